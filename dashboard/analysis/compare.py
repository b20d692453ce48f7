"""Head-to-head comparison of 1–5 runs: the summary model the comparison page renders.

``build_summary(frame, run_ids)`` gives one column per run (in the order given) and one
row per metric any of them has. One run is the *reference*: the one asked for, else the
baseline if one is compared, else the first; every other cell carries its difference to
it (absolute, %, and a test against noise, see ``intervals``). Rows with a direction
(``directions.metric_direction``) come first, then the rest, each group in natural name
order; a count or standard error that qualifies another metric (``sblimp_samples``,
``hellaswag/acc_stderr``) is folded into that metric's interval rather than shown.
``best`` lists the cells holding the best value of a directional row (ties: all of
them) when at least two runs differ on it.

``overfitting(metrics, eval_loss_series)`` reads the eval − train loss gap the seed's way
and the convergence step (the step of the lowest eval loss).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from ..ingest.base import Series
from .curves import lowest
from .directions import Direction, metric_direction
from .filters import is_missing, natural_key
from .intervals import ALPHA, Difference, Estimate, compare_to, estimate_for, supporting_keys
from .labels import unique_labels
from .numbers import format_number

MAX_RUNS = 5
METRIC_PREFIX = "metrics."
# Final eval / train loss keys, most usual first. HF's ``train_loss`` is the mean over the
# whole run while ``loss`` is the last logged value, so ``loss`` is preferred when both exist.
EVAL_LOSS_KEYS = ("eval_loss", "val_loss", "validation_loss", "valid_loss", "dev_loss")
TRAIN_LOSS_KEYS = ("loss", "train_loss", "training_loss")

Reading = Literal["excellent", "good", "moderate", "high", "leakage"]
READINGS: dict[str, str] = {
    "excellent": "excellent (gap < 0.05)",
    "good": "good (gap < 0.1)",
    "moderate": "moderate overfitting (gap < 0.2)",
    "high": "high overfitting (gap ≥ 0.2)",
    "leakage": "eval loss below train loss: suspect leakage",
}


@dataclass(frozen=True)
class Cell:
    """One run's value of one metric; ``difference`` is to the reference (``None`` for it or when missing).

    ``better`` is whether the difference goes the metric's good way (``None``: no direction,
    no difference, or equal).
    """

    run_id: str
    estimate: Estimate | None
    difference: Difference | None = None
    better: bool | None = None


@dataclass(frozen=True)
class SummaryRow:
    metric: str
    direction: Direction
    cells: list[Cell]
    best: list[int]


@dataclass(frozen=True)
class Overfit:
    """The eval − train loss gap and its reading; the step of the lowest eval loss when a curve is given."""

    gap: float | None
    reading: Reading | None
    best_eval_step: float | None = None
    best_eval_loss: float | None = None
    eval_key: str | None = None
    train_key: str | None = None

    @property
    def text(self) -> str:
        return READINGS[self.reading] if self.reading else ""


@dataclass
class Summary:
    run_ids: list[str]
    names: list[str]
    reference_id: str | None
    rows: list[SummaryRow]
    overfit: list[Overfit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    alpha: float = ALPHA

    @property
    def reference_index(self) -> int | None:
        return self.run_ids.index(self.reference_id) if self.reference_id in self.run_ids else None

    @property
    def interval_kinds(self) -> set[str]:
        """Which interval kinds appear (``wilson``, ``stderr``): what a caption must explain."""
        return {c.estimate.kind for r in self.rows for c in r.cells if c.estimate and c.estimate.kind}


# ---------------------------------------------------------------- overfitting


def reading_for(gap: float) -> Reading:
    """The seed's reading: < 0.05 excellent, < 0.1 good, < 0.2 moderate, ≥ 0.2 high; negative: leakage.

    The gap is rounded to 12 decimals first, so ``0.35 − 0.30`` (``0.04999…``) reads as the
    0.05 it is shown as.
    """
    gap = round(gap, 12)
    if gap < 0:
        return "leakage"
    if gap < 0.05:
        return "excellent"
    if gap < 0.1:
        return "good"
    if gap < 0.2:
        return "moderate"
    return "high"


def _first_finite(metrics: Mapping[str, Any], keys: Sequence[str]) -> tuple[str, float] | None:
    for key in keys:
        value = metrics.get(key)
        if value is None or isinstance(value, bool) or is_missing(value):
            continue
        number = float(value)
        if math.isfinite(number):
            return key, number
    return None


def overfitting(metrics: Mapping[str, Any], eval_loss_series: Series | None = None) -> Overfit:
    """Gap = final eval loss − final train loss (both needed), and the step of the lowest eval loss.

    ``metrics`` holds bare names. The convergence step needs a step-indexed ``eval_loss_series``
    (``store.series(run_id)``; ``curves.pick_eval_loss`` picks it); without one it is ``None``.
    """
    best_step = best_loss = None
    if eval_loss_series is not None and eval_loss_series.x_kind == "step":
        best = lowest(eval_loss_series)
        if best is not None:
            best_step, best_loss = best.step, best.value
    found_eval = _first_finite(metrics, EVAL_LOSS_KEYS)
    found_train = _first_finite(metrics, TRAIN_LOSS_KEYS)
    if found_eval is None or found_train is None:
        return Overfit(None, None, best_step, best_loss)
    gap = found_eval[1] - found_train[1]
    return Overfit(gap, reading_for(gap), best_step, best_loss, found_eval[0], found_train[0])


# ---------------------------------------------------------------- summary


def row_metrics(row: Mapping[str, Any]) -> dict[str, float]:
    """A frame row's finite metrics under bare names."""
    out: dict[str, float] = {}
    for column, value in row.items():
        if not isinstance(column, str) or not column.startswith(METRIC_PREFIX) or is_missing(value):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[column[len(METRIC_PREFIX) :]] = number
    return out


def _unique_names(names: list[str]) -> list[str]:
    """Run names as column headers: one line each, a repeat gets `` (2)``, `` (3)`` (``labels``)."""
    return unique_labels(names)


def _resolve_reference(
    run_ids: list[str], baselines: list[bool], wanted: str | None, notes: list[str]
) -> str:
    if wanted is not None:
        if wanted in run_ids:
            return wanted
        notes.append(f"reference {wanted} is not among the compared runs; using the default")
    for run_id, is_baseline in zip(run_ids, baselines, strict=True):
        if is_baseline:
            return run_id
    return run_ids[0]


def _order(metrics: set[str], overrides: Mapping[str, str]) -> list[tuple[str, Direction]]:
    shown = metrics - supporting_keys(metrics)
    directed = [(m, metric_direction(m, overrides)) for m in shown]
    return sorted(directed, key=lambda item: (item[1] is None, natural_key(item[0]), item[0]))


def _best(values: list[float | None], direction: Direction) -> list[int]:
    finite = [v for v in values if v is not None]
    if direction is None or len(finite) < 2 or len(set(finite)) < 2:
        return []
    target = max(finite) if direction == "max" else min(finite)
    return [i for i, v in enumerate(values) if v == target]


def _better(direction: Direction, delta: float) -> bool | None:
    if direction is None or delta == 0:
        return None
    return delta > 0 if direction == "max" else delta < 0


def _row(
    metric: str,
    direction: Direction,
    run_ids: list[str],
    per_run: list[dict[str, float]],
    ref: int,
    alpha: float,
) -> SummaryRow:
    estimates = [estimate_for(m, metric) for m in per_run]
    reference = estimates[ref]
    cells: list[Cell] = []
    for i, (run_id, estimate) in enumerate(zip(run_ids, estimates, strict=True)):
        if i == ref or estimate is None or reference is None:
            cells.append(Cell(run_id, estimate))
            continue
        difference = compare_to(reference, estimate, alpha)
        cells.append(Cell(run_id, estimate, difference, _better(direction, difference.delta)))
    best = _best([e.value if e else None for e in estimates], direction)
    return SummaryRow(metric, direction, cells, best)


def _known_runs(frame: pd.DataFrame, run_ids: Sequence[str], notes: list[str]) -> list[str]:
    present = set(frame["run_id"]) if "run_id" in frame.columns else set()
    kept: list[str] = []
    for run_id in dict.fromkeys(run_ids):
        if run_id in present:
            kept.append(run_id)
        else:
            notes.append(f"run {run_id} is not in the table (any more)")
    if len(kept) > MAX_RUNS:
        raise ValueError(f"at most {MAX_RUNS} runs can be compared, got {len(kept)}")
    return kept


def build_summary(
    frame: pd.DataFrame,
    run_ids: Sequence[str],
    reference_id: str | None = None,
    overrides: Mapping[str, str] | None = None,
    eval_loss: Mapping[str, Series | None] | None = None,
    alpha: float = ALPHA,
) -> Summary:
    """The comparison of ``run_ids`` (1–5, in this order) over the runs ``frame``.

    Unknown ids are dropped with a note (a stale URL), as is a ``reference_id`` that is not
    compared; no known run gives an empty summary. ``eval_loss`` maps run ids to their eval
    loss curve, for the convergence step. More than ``MAX_RUNS`` known runs is a ``ValueError``.
    """
    notes: list[str] = []
    ids = _known_runs(frame, run_ids, notes)
    if not ids:
        return Summary([], [], None, [], notes=notes, alpha=alpha)
    rows = frame.drop_duplicates("run_id").set_index("run_id").loc[ids]
    records = [dict(rows.loc[run_id]) for run_id in ids]
    names = _unique_names([_name(r, run_id) for r, run_id in zip(records, ids, strict=True)])
    baselines = [_flag(r.get("baseline")) for r in records]
    reference = _resolve_reference(ids, baselines, reference_id, notes)
    ref = ids.index(reference)
    per_run = [row_metrics(r) for r in records]
    available = set().union(*per_run)
    summary_rows = [_row(m, d, ids, per_run, ref, alpha) for m, d in _order(available, overrides or {})]
    curves = eval_loss or {}
    overfit = [overfitting(m, curves.get(run_id)) for m, run_id in zip(per_run, ids, strict=True)]
    summary = Summary(ids, names, reference, summary_rows, overfit, notes, alpha)
    if "wilson" in summary.interval_kinds:
        notes.append(
            "accuracies are read as k/n: k = round(accuracy × samples) is recovered for intervals and tests"
        )
    return summary


def _flag(value: Any) -> bool:
    return value is not None and not is_missing(value) and bool(value)


def _name(record: Mapping[str, Any], run_id: str) -> str:
    name = record.get("name")
    return str(name) if isinstance(name, str) and name else run_id


def describe_overfit(item: Overfit) -> str:
    """``gap 0.0457 (eval_loss − loss): excellent (gap < 0.05); best eval loss at step 1200``."""
    parts: list[str] = []
    if item.gap is not None:
        parts.append(f"gap {format_number(item.gap)} ({item.eval_key} − {item.train_key}): {item.text}")
    if item.best_eval_step is not None:
        parts.append(f"best eval loss at step {format_number(item.best_eval_step)}")
    return "; ".join(parts)
