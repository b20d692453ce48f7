"""Facts across many runs: best per metric, Pareto fronts, one-param ablations, groups, rank correlations.

Pure pandas/numpy so the insights page and the CLI say the same thing. Directions come
from ``directions.metric_direction`` (user overrides honoured); a metric without one has
no best and no Pareto front. Missing values (NaN) are skipped, never read as 0.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .directions import metric_direction
from .filters import is_missing

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
    column = _column(METRIC_PREFIX, metric)
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return values.where(np.isfinite(values))


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


def pareto_front(frame: pd.DataFrame, x_metric: str, y_metric: str, overrides: Mapping[str, str]) -> set[str]:
    """Run ids no other run beats on one metric without losing on the other; equal points all stay."""
    signs = []
    for metric in (x_metric, y_metric):
        direction = metric_direction(metric, overrides)
        if direction is None:
            raise ValueError(f"{_bare(metric)} has no direction; set one in the settings")
        signs.append(1.0 if direction == "max" else -1.0)
    x = _numbers(frame, x_metric) * signs[0]
    y = _numbers(frame, y_metric) * signs[1]
    points = [(i, x[i], y[i]) for i in frame.index if not (math.isnan(x[i]) or math.isnan(y[i]))]
    front: set[str] = set()
    for i, xi, yi in points:
        dominated = any(xj >= xi and yj >= yi and (xj > xi or yj > yi) for _, xj, yj in points)
        if not dominated:
            front.add(str(frame.at[i, "run_id"]))
    return front


def _same(a: Any, b: Any) -> bool:
    if is_missing(a) and is_missing(b):
        return True
    return bool(a == b) and not (is_missing(a) or is_missing(b))


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so ``8 < 16`` orders as numbers and reads back as ``8``."""
    return value.item() if isinstance(value, np.generic) else value


def _order_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def ablation_pairs(frame: pd.DataFrame, params: Sequence[str], metrics: Sequence[str]) -> list[Ablation]:
    """Pairs of runs differing in exactly one of ``params``; metric deltas (after − before) averaged per change.

    ``before``/``after`` are ordered (numbers ascending, then text) so a change and its reverse pool.
    """
    columns = [_column(PARAM_PREFIX, p) for p in params]
    settings = [
        [_plain(frame.at[i, c]) if c in frame.columns else None for c in columns] for i in frame.index
    ]
    values = {_bare(m): _numbers(frame, m) for m in metrics}
    pooled: dict[tuple[str, Any, Any], list[dict[str, float]]] = {}
    for (ia, a), (ib, b) in itertools.combinations(zip(frame.index, settings, strict=True), 2):
        differ = [k for k in range(len(columns)) if not _same(a[k], b[k])]
        if len(differ) != 1 or is_missing(a[differ[0]]) or is_missing(b[differ[0]]):
            continue
        k = differ[0]
        if _order_key(a[k]) > _order_key(b[k]):
            ia, ib, a, b = ib, ia, b, a
        deltas = {m: float(v[ib] - v[ia]) for m, v in values.items()}
        pooled.setdefault((_bare(columns[k]), a[k], b[k]), []).append(deltas)
    out: list[Ablation] = []
    for (param, before, after), found in pooled.items():
        means = {}
        for metric in values:
            finite = [d[metric] for d in found if not math.isnan(d[metric])]
            means[metric] = float(np.mean(finite)) if finite else math.nan
        out.append(Ablation(param, before, after, len(found), means))
    return sorted(out, key=lambda e: (e.param, _order_key(e.before), _order_key(e.after)))


def group_stats(frame: pd.DataFrame, param: str, metric: str) -> pd.DataFrame:
    """Mean, sample std (NaN for one run) and count of a metric per value of a param; runs missing either skipped."""
    column = _column(PARAM_PREFIX, param)
    data = pd.DataFrame({"value": frame[column], "metric": _numbers(frame, metric)}).dropna()
    grouped = data.groupby("value", sort=True)["metric"]
    return pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "count": grouped.count()})


def _spearman(a: pd.Series, b: pd.Series) -> float:
    ra, rb = a.rank(method="average"), b.rank(method="average")
    if ra.nunique() < 2 or rb.nunique() < 2:
        return math.nan
    return float(np.corrcoef(ra.to_numpy(), rb.to_numpy())[0, 1])


def spearman(
    frame: pd.DataFrame, params: Sequence[str], metrics: Sequence[str], min_runs: int = 5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank correlation of each numeric param with each metric, and the run counts behind each cell.

    A cell with fewer than ``min_runs`` runs having both values (or a constant side) is NaN.
    """
    corr = pd.DataFrame(np.nan, index=[_bare(p) for p in params], columns=[_bare(m) for m in metrics])
    counts = pd.DataFrame(0, index=corr.index, columns=corr.columns)
    for param in params:
        column = _column(PARAM_PREFIX, param)
        if column not in frame.columns:
            continue
        x = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        for metric in metrics:
            both = pd.DataFrame({"x": x, "y": _numbers(frame, metric)}).dropna()
            counts.loc[_bare(param), _bare(metric)] = len(both)
            if len(both) >= min_runs:
                corr.loc[_bare(param), _bare(metric)] = _spearman(both["x"], both["y"])
    return corr, counts
