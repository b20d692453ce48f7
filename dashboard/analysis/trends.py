"""Trends across runs: a metric against a param or the step, its least-squares line, checkpoint trajectories.

Pure pandas/numpy. Missing is missing: a run without the metric or the x value is left out, never read
as 0. A wide positive x (spanning two decades or more, like learning rates) is fitted and drawn on log10 x,
and the line says so.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .curves import downsample, finite
from .filters import natural_key, option_text
from .pareto import numeric

__all__ = [
    "STEP",
    "Fit",
    "colour_labels",
    "fit_line",
    "line_points",
    "numeric",
    "series_line",
    "series_runs",
    "spans_decades",
    "trajectories",
    "trend_points",
    "x_values",
]

STEP = "step"
LOG_DECADES = 2.0
MAX_COLOURS = 8  # distinct colour groups before the rest become "other"
OTHER = "other"


@dataclass(frozen=True)
class Fit:
    """``y ≈ intercept + slope · x`` (x in log10 when ``log_x``), over ``n`` runs; ``r2`` the fit's R²."""

    slope: float
    intercept: float
    log_x: bool
    n: int
    r2: float | None


def spans_decades(x: np.ndarray | pd.Series) -> bool:
    """All positive and the largest at least 100× the smallest: read on a log scale."""
    values = np.asarray(x, dtype="float64")
    values = values[np.isfinite(values)]
    if len(values) < 2 or values.min() <= 0:
        return False
    return bool(math.log10(values.max() / values.min()) >= LOG_DECADES)


def fit_line(x: np.ndarray | pd.Series, y: np.ndarray | pd.Series, log_x: bool = False) -> Fit | None:
    """Ordinary least squares of y on x (or log10 x); None with fewer than two distinct x."""
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    keep = np.isfinite(xs) & np.isfinite(ys)
    if log_x:
        keep &= xs > 0
    xs, ys = xs[keep], ys[keep]
    if log_x:
        xs = np.log10(xs)
    if len(np.unique(xs)) < 2:
        return None
    dx = xs - xs.mean()
    slope = float((dx * (ys - ys.mean())).sum() / (dx * dx).sum())
    intercept = float(ys.mean() - slope * xs.mean())
    total = float(((ys - ys.mean()) ** 2).sum())
    residual = float(((ys - (intercept + slope * xs)) ** 2).sum())
    r2 = 1.0 - residual / total if total > 0 else None
    return Fit(slope, intercept, log_x, len(xs), r2)


def line_points(fit: Fit, low: float, high: float) -> tuple[list[float], list[float]]:
    """Two ends of the fitted line over [low, high] in data units (a log fit is straight on a log axis)."""
    ends = [low, high]
    at = [math.log10(v) for v in ends] if fit.log_x else ends
    return ends, [fit.intercept + fit.slope * v for v in at]


def x_values(frame: pd.DataFrame, x: str) -> pd.Series:
    """``step`` (the run's last step) or a param, as numbers."""
    column = x if x in frame.columns else ("params." + x if not x.startswith("params.") else x)
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return numeric(frame[column])


def colour_labels(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """Each run's colour group as text ("—" when missing); the rarest beyond ``MAX_COLOURS`` become "other"."""
    if not column or column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    texts = pd.Series(
        [
            "—" if v is None or (isinstance(v, float) and math.isnan(v)) else option_text(v)
            for v in frame[column]
        ],
        index=frame.index,
        dtype=object,
    )
    counts = texts.value_counts()
    if len(counts) <= MAX_COLOURS:
        return texts
    ranked = sorted(counts.index, key=lambda t: (-int(counts[t]), natural_key(str(t))))
    kept = set(
        ranked[: MAX_COLOURS - 1]
    )  # the most common (ties in natural order); one colour left for the rest
    return texts.where(texts.isin(kept), OTHER)


def trend_points(frame: pd.DataFrame, metric: str, x: str, colour: str | None = None) -> pd.DataFrame:
    """Runs having both values: ``run_id``, ``name``, ``x``, ``y``, ``colour`` (text), sorted by x."""
    column = metric if metric.startswith("metrics.") else "metrics." + metric
    y = numeric(frame[column]) if column in frame.columns else pd.Series(np.nan, index=frame.index)
    points = pd.DataFrame(
        {
            "run_id": frame["run_id"].astype(str),
            "name": frame["name"].astype(str) if "name" in frame.columns else frame["run_id"].astype(str),
            "x": x_values(frame, x),
            "y": y,
            "colour": colour_labels(frame, colour),
        }
    )
    return points.dropna(subset=["x", "y"]).sort_values(["x", "run_id"], kind="stable").reset_index(drop=True)


def trajectories(
    frame: pd.DataFrame, metric: str, min_points: int = 2, limit: int | None = None
) -> tuple[dict[str, pd.DataFrame], int]:
    """Per experiment, the metric at each checkpoint step (``step``, ``y``, ``run_id``), step ascending;
    and how many experiments were left out by ``limit``.

    Only experiments with at least ``min_points`` checkpoints holding the metric; a step reported
    twice (two runs of one experiment at the same step) keeps both points. With ``limit``, the
    experiments with the most points are kept (ties by name); the result is in name order.
    """
    if "experiment" not in frame.columns or STEP not in frame.columns:
        return {}, 0
    points = trend_points(frame, metric, STEP)
    by_run = pd.Series(frame["experiment"].to_numpy(), index=frame["run_id"].astype(str).to_numpy())
    points["experiment"] = by_run.reindex(points["run_id"].to_numpy()).to_numpy()
    points = points.dropna(subset=["experiment"])
    sizes = points.groupby("experiment").size()
    eligible = sorted((str(e) for e in sizes.index[sizes >= min_points]), key=lambda e: (-int(sizes[e]), e))
    kept = sorted(eligible if limit is None else eligible[:limit])
    chosen = points[points["experiment"].astype(str).isin(set(kept))]
    out: dict[str, pd.DataFrame] = {}
    groups = dict(tuple(chosen.groupby(chosen["experiment"].astype(str), sort=True)))
    for experiment in kept:
        rows = groups[experiment]
        out[experiment] = rows.rename(columns={"x": "step"})[["step", "y", "run_id"]].reset_index(drop=True)
    return out, len(eligible) - len(kept)


SERIES_POINTS = 500  # points per logged curve drawn as a trajectory


def series_runs(frame: pd.DataFrame, metric: str, skip: set[str], limit: int) -> list[tuple[str, str]]:
    """``(run_id, label)`` of runs whose own logged curve of ``metric`` can stand for their experiment.

    A run alone in its experiment (the only row with that label, its experiment or else its name)
    whose series of the metric's name has two points or more; labels in ``skip`` (already drawn
    from checkpoint rows) are left out. At most ``limit`` of them, longest series first.
    """
    name = metric[len("metrics.") :] if metric.startswith("metrics.") else metric
    if "_series" not in frame.columns:
        return []
    experiments = frame["experiment"] if "experiment" in frame.columns else frame["name"]
    labels = [
        experiment if isinstance(experiment, str) and experiment else str(run_name)
        for experiment, run_name in zip(experiments, frame["name"], strict=True)
    ]
    rows_per_label = Counter(labels)
    found: list[tuple[int, str, str]] = []
    for run_id, label, logged in zip(frame["run_id"], labels, frame["_series"], strict=True):
        lengths = logged if isinstance(logged, dict) else {}
        points = int(lengths.get(name, 0) or 0)
        if label in skip or rows_per_label[label] > 1 or points < 2:
            continue
        found.append((points, str(run_id), label))
    found.sort(key=lambda f: (-f[0], f[2]))
    return [(run_id, label) for _, run_id, label in found[:limit]]


def series_line(x: np.ndarray, y: np.ndarray) -> pd.DataFrame | None:
    """A logged curve as a trajectory (``step``, ``y``), finite points only, downsampled for display."""
    xs, ys = finite(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
    if len(xs) < 2:
        return None
    xs, ys = downsample(xs, ys, SERIES_POINTS)
    return pd.DataFrame({"step": xs, "y": ys, "run_id": ""})
