"""What the runs page shows for a view: the filtered, sorted rows and their columns.

One function serves the table, the count, the best/worst colouring and the
exports, so what is exported is exactly what is shown.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from .directions import best_and_worst, infer_direction
from .filters import apply_filters, varying_columns
from .sorting import pin_baselines, sort_frame
from .view import View

IDENTITY_SHOWN = ("experiment", "source", "status", "step", "updated_at")


@dataclass(frozen=True)
class ViewResult:
    rows: pd.DataFrame  # filtered and sorted; baselines first
    total: int  # runs before filtering
    error: str | None  # a filter that could not be applied (e.g. a bad regex), said to the user
    columns: list[str]  # visible columns, in table order
    best_worst: dict[str, tuple[float, float]]  # metric column -> (best, worst) among the rows shown


# The full frame's column orders and defaults, asked for by every page callback: computed once per frame.
_PER_FRAME: dict[tuple[int, str], tuple[weakref.ref[pd.DataFrame], list[str]]] = {}
_PER_FRAME_LOCK = threading.Lock()


def _once_per_frame(frame: pd.DataFrame, what: str, compute: Callable[[], list[str]]) -> list[str]:
    key = (id(frame), what)
    with _PER_FRAME_LOCK:
        found = _PER_FRAME.get(key)
    if found is not None and found[0]() is frame:  # the same frame, not a new one at a reused id
        return list(found[1])
    value = compute()
    with _PER_FRAME_LOCK:
        for stale in [k for k, (ref, _) in _PER_FRAME.items() if ref() is None]:
            del _PER_FRAME[stale]
        _PER_FRAME[key] = (weakref.ref(frame), value)
    return list(value)


def by_coverage(frame: pd.DataFrame, prefix: str) -> list[str]:
    """Columns under ``prefix``, those most runs have first (then in the frame's order)."""

    def compute() -> list[str]:
        columns = [c for c in frame.columns if c.startswith(prefix)]
        counts = frame[columns].notna().sum() if columns else pd.Series(dtype=int)
        return sorted(columns, key=lambda c: -int(counts[c]))  # stable: ties keep the frame's order

    return _once_per_frame(frame, "coverage:" + prefix, compute)


# Identity columns a fresh view shows when they tell runs apart (updated_at is one click away).
IDENTITY_DEFAULT = ("experiment", "source", "status", "step")


# Bookkeeping beside a metric (sample counts, standard errors): kept, exported, hidden by default.
SUPPORTING_SUFFIXES = ("_samples", "_stderr")


def metric_order(frame: pd.DataFrame) -> list[str]:
    """Metrics with a known direction first (most runs first), then the others, supporting ones last."""

    def rank(column: str) -> int:
        if column.endswith(SUPPORTING_SUFFIXES):
            return 2
        return 0 if infer_direction(column[len("metrics.") :]) else 1

    return sorted(by_coverage(frame, "metrics."), key=rank)  # stable: coverage order within a rank


def default_columns(frame: pd.DataFrame) -> list[str]:
    """A fresh view: the name, identity columns that vary, the metrics, and the params that differ."""
    return _once_per_frame(frame, "default", lambda: _default_columns(frame))


def _default_columns(frame: pd.DataFrame) -> list[str]:
    varying = set(varying_columns(frame))
    params = [c for c in by_coverage(frame, "params.") if c in varying]
    identity = [c for c in IDENTITY_DEFAULT if c in frame.columns and frame[c].astype(str).nunique() > 1]
    metrics = [c for c in metric_order(frame) if not c.endswith(SUPPORTING_SUFFIXES)]
    return ["name", *identity, *metrics, *params]


def table_order(frame: pd.DataFrame) -> list[str]:
    """Every displayable column in the table's order (identity, metrics, params)."""
    return ["name", *IDENTITY_SHOWN, *metric_order(frame), *by_coverage(frame, "params.")]


def visible_columns(frame: pd.DataFrame, chosen: Sequence[str] | None) -> list[str]:
    if chosen is None:
        return default_columns(frame)
    wanted = set(chosen) | {"name"}
    return [c for c in table_order(frame) if c in wanted]


def filter_runs(frame: pd.DataFrame, view: View, overrides: Mapping[str, str]) -> ViewResult:
    """The view's filters applied, rows in the frame's order: what every sort of the same view shares."""
    result = apply_filters(frame, view.filters, overrides)
    return ViewResult(
        rows=result.frame,
        total=len(frame),
        error=result.error,
        columns=visible_columns(frame, view.columns),
        best_worst=best_and_worst(result.frame, overrides),  # the rows' extremes: the same in any order
    )


def sort_result(filtered: ViewResult, sort_model: Sequence[Mapping[str, str]]) -> ViewResult:
    """``filtered``'s rows sorted by ``sort_model``, baselines pinned first."""
    baselines, others = pin_baselines(sort_frame(filtered.rows, list(sort_model)))
    ordered = (
        pd.concat([baselines, others], ignore_index=True) if len(baselines) else others.reset_index(drop=True)
    )
    return replace(filtered, rows=ordered)


def compute_view(
    frame: pd.DataFrame,
    view: View,
    overrides: Mapping[str, str],
    sort_model: Sequence[Mapping[str, str]] | None = None,
) -> ViewResult:
    """Filter, then sort (by ``sort_model``, else the view's), baselines pinned first."""
    return sort_result(
        filter_runs(frame, view, overrides), sort_model if sort_model is not None else view.sort
    )
