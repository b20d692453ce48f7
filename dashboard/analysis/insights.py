"""Facts across many runs: best per metric, one-param ablations, groups, rank correlations (Pareto
fronts are in ``pareto``).

Pure pandas/numpy so the insights page and the CLI say the same thing. Directions come
from ``directions.metric_direction`` (user overrides honoured); a metric without one has
no best and no Pareto front. Missing values (NaN) are skipped, never read as 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .directions import metric_direction
from .filters import is_missing, natural_key, option_text
from .pareto import metric_values

METRIC_PREFIX = "metrics."
PARAM_PREFIX = "params."


@dataclass(frozen=True)
class Best:
    """The best run of a metric; ``margin`` is how far ahead of the second-best run it is (None: alone)."""

    run_id: str
    value: float
    margin: float | None


@dataclass(frozen=True)
class Ablation:
    """Mean metric change when ``param`` goes from ``before`` to ``after`` with every other given param equal."""

    param: str
    before: Any
    after: Any
    pairs: int
    deltas: dict[str, float]


def _column(prefix: str, name: str) -> str:
    return name if name.startswith(prefix) else prefix + name


def _bare(name: str) -> str:
    return name.split(".", 1)[1] if name.startswith((METRIC_PREFIX, PARAM_PREFIX)) else name


def _numbers(frame: pd.DataFrame, metric: str) -> pd.Series:
    return metric_values(frame, metric)


def best_per_metric(frame: pd.DataFrame, overrides: Mapping[str, str]) -> dict[str, Best]:
    """Per directional metric (bare name): the best run, its value and the margin to the second."""
    out: dict[str, Best] = {}
    for column in frame.columns:
        if not isinstance(column, str) or not column.startswith(METRIC_PREFIX):
            continue
        direction = metric_direction(column, overrides)
        values = _numbers(frame, column).dropna()
        if direction is None or values.empty:
            continue
        ordered = values.sort_values(ascending=direction == "min", kind="stable")
        best = float(ordered.iloc[0])
        margin = abs(best - float(ordered.iloc[1])) if len(ordered) > 1 else None
        out[_bare(column)] = Best(str(frame.at[ordered.index[0], "run_id"]), best, margin)
    return out


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so ``8 < 16`` orders as numbers and reads back as ``8``."""
    return value.item() if isinstance(value, np.generic) else value


def _order_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _param_column(frame: pd.DataFrame, name: str) -> str:
    """A column as given when the frame has it (``step``, ``experiment``), else ``params.<name>``."""
    return name if name in frame.columns else _column(PARAM_PREFIX, name)


@dataclass(frozen=True)
class _Flag:
    """A boolean as a factorisation key: ``True == 1 == 1.0`` in Python, but a yes/no param is not a number."""

    value: bool


def _key(value: Any) -> Any:
    """What equal values share: the value itself (``8 == 8.0``), booleans apart, unhashables by their text."""
    if isinstance(value, (bool, np.bool_)):
        return _Flag(bool(value))
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def factorize_values(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """One code per distinct value, in order of appearance (missing: -1), and those values.

    Numbers compare as numbers (``8`` and ``8.0`` share a code), a boolean is only equal to itself.
    """
    keys = [None if is_missing(v) else _key(_plain(v)) for v in series.tolist()]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    return (
        np.asarray(codes, dtype=np.int64),
        [u.value if isinstance(u, _Flag) else u for u in uniques],
    )


def _codes(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, list[Any]]:
    if column not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int64), []
    return factorize_values(frame[column])


def _group_ids(codes: np.ndarray) -> np.ndarray:
    """One id per distinct row of ``codes`` (runs agreeing on every column share it); exact, no hashing."""
    if codes.shape[1] == 0:
        return np.zeros(codes.shape[0], dtype=np.int64)
    table = pd.DataFrame(codes)
    return table.groupby(list(table.columns), sort=False).ngroup().to_numpy(dtype=np.int64)


def _value_cells(groups: np.ndarray, own: np.ndarray, values: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Per (group of runs equal elsewhere, value of the changed param): runs, and per metric the sum and
    count of finite values. Runs missing the changed param take no part."""
    present = own >= 0
    data: dict[str, Any] = {"group": groups[present], "value": own[present], "runs": 1}
    for i, v in enumerate(values.values()):
        kept = v[present]
        data[f"s{i}"] = np.where(np.isnan(kept), 0.0, kept)
        data[f"n{i}"] = (~np.isnan(kept)).astype(np.int64)
    return pd.DataFrame(data).groupby(["group", "value"], as_index=False, sort=False).sum()


def _pooled_changes(
    cells: pd.DataFrame, rank: np.ndarray, metrics: list[str]
) -> dict[tuple[int, int], tuple[int, dict[str, float]]]:
    """Every two values within a group, ``a`` before ``b`` in ``rank``; pooled over groups.

    Over the runs of two cells the pairs' deltas sum to ``n_a·Σb − n_b·Σa`` (finite values only),
    so the mean is found without listing pairs.
    """
    shared = cells[cells.duplicated("group", keep=False)]
    if shared.empty:
        return {}
    both = shared.merge(shared, on="group", suffixes=("_a", "_b"))
    both = both[rank[both["value_a"].to_numpy()] < rank[both["value_b"].to_numpy()]]
    pooled = pd.DataFrame(
        {"a": both["value_a"], "b": both["value_b"], "pairs": both["runs_a"] * both["runs_b"]}
    )
    for i in range(len(metrics)):
        na, nb = both[f"n{i}_a"], both[f"n{i}_b"]
        pooled[f"sum{i}"] = na * both[f"s{i}_b"] - nb * both[f"s{i}_a"]
        pooled[f"count{i}"] = na * nb
    totals = pooled.groupby(["a", "b"], sort=False).sum()
    out: dict[tuple[int, int], tuple[int, dict[str, float]]] = {}
    for (a, b), fields in zip(totals.index, totals.to_dict("records"), strict=True):
        means = {
            m: fields[f"sum{i}"] / fields[f"count{i}"] if fields[f"count{i}"] else math.nan
            for i, m in enumerate(metrics)
        }
        out[(int(a), int(b))] = (int(fields["pairs"]), means)
    return out


def ablation_pairs(
    frame: pd.DataFrame, params: Sequence[str], metrics: Sequence[str], max_levels: int | None = None
) -> list[Ablation]:
    """Pairs of runs differing in exactly one of ``params``; metric deltas (after − before) averaged per change.

    ``before``/``after`` are ordered (numbers ascending, then text) so a change and its reverse pool.
    A param given as a frame column (``step``) is used as is. With ``max_levels``, a param holding more
    distinct values than that is never reported as the change (its runs must still agree on it).
    Runs are grouped by everything but the changed param and pairs are counted per pair of values,
    so the cost is O(n log n) per param, whatever the number of pairs.
    """
    columns = [_param_column(frame, p) for p in params]
    encoded = [_codes(frame, c) for c in columns]
    codes = np.column_stack([c for c, _ in encoded]) if encoded else np.zeros((len(frame), 0), np.int64)
    values = {_bare(m): _numbers(frame, m).to_numpy() for m in metrics}
    out: list[Ablation] = []
    for k, (own, uniques) in enumerate(encoded):
        if len(uniques) < 2 or (max_levels is not None and len(uniques) > max_levels):
            continue
        order = sorted(range(len(uniques)), key=lambda i: _order_key(uniques[i]))
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        cells = _value_cells(_group_ids(np.delete(codes, k, axis=1)), own, values)
        for (ca, cb), (pairs, means) in _pooled_changes(cells, rank, list(values)).items():
            out.append(Ablation(_bare(columns[k]), uniques[ca], uniques[cb], pairs, means))
    return sorted(out, key=lambda e: (e.param, _order_key(e.before), _order_key(e.after)))


def _group_order(value: Any) -> tuple[int, Any]:
    """Numbers ascending, then everything else (yes/no, text) in natural order of its text."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return (0, float(value))
    return (1, natural_key(option_text(value)))


def group_stats(frame: pd.DataFrame, param: str, metric: str) -> pd.DataFrame:
    """Mean, sample std (NaN for one run) and count of a metric per value of a param; runs missing either skipped.

    Groups are the values as the filters name them (``option_text``): ``8`` and ``8.0`` are one group
    (``"8"``), ``True`` is ``"true"``, never the number 1. The index is that text, numbers first.
    ``param`` may name a frame column (``experiment``) as well as a param.
    """
    column = _param_column(frame, param)
    metric_numbers = _numbers(frame, metric)
    present = (
        [
            (option_text(_plain(v)), _plain(v), m)
            for v, m in zip(frame[column].tolist(), metric_numbers.tolist(), strict=True)
            if not is_missing(v) and not math.isnan(m)
        ]
        if column in frame.columns
        else []
    )
    data = pd.DataFrame(present, columns=["text", "value", "metric"])
    grouped = data.groupby("text", sort=False)["metric"]
    stats = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "count": grouped.count()})
    first = data.drop_duplicates("text").set_index("text")["value"]
    order = sorted(stats.index, key=lambda t: _group_order(first[t]))
    return stats.reindex(order)


def _spearman(a: pd.Series, b: pd.Series) -> float:
    ra, rb = a.rank(method="average"), b.rank(method="average")
    if ra.nunique() < 2 or rb.nunique() < 2:
        return math.nan
    return float(np.corrcoef(ra.to_numpy(), rb.to_numpy())[0, 1])


def spearman(
    frame: pd.DataFrame, params: Sequence[str], metrics: Sequence[str], min_runs: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank correlation of each numeric param with each metric, and the run counts behind each cell.

    A param given as a frame column (``step``) is used as is.
    A cell with fewer than ``min_runs`` runs having both values (or a constant side) is NaN.
    """
    corr = pd.DataFrame(np.nan, index=[_bare(p) for p in params], columns=[_bare(m) for m in metrics])
    counts = pd.DataFrame(0, index=corr.index, columns=corr.columns)
    for param in params:
        column = _param_column(frame, param)
        if column not in frame.columns:
            continue
        x = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        for metric in metrics:
            both = pd.DataFrame({"x": x, "y": _numbers(frame, metric)}).dropna()
            counts.loc[_bare(param), _bare(metric)] = len(both)
            if len(both) >= min_runs:
                corr.loc[_bare(param), _bare(metric)] = _spearman(both["x"], both["y"])
    return corr, counts
