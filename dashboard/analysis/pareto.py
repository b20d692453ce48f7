"""Pareto fronts of two metrics, and the one reading of metric values as numbers they rest on.

Its own module, below ``filters`` (the ``pareto`` filter) and ``insights``/``trends`` (the card), so
the filter, the chart and its "N of M" caption all count the same runs: a value is a number only when
it is a finite int or float, never text or a boolean (as ``ingest.base.as_float`` reads metrics).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .directions import metric_direction

METRIC_PREFIX = "metrics."


def numeric(series: pd.Series) -> pd.Series:
    """Finite numbers as float, NaN for missing, text and booleans."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return pd.Series(np.nan, index=series.index, dtype="float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("float64")
    else:
        values = pd.Series(
            [
                float(v)
                if isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
                else np.nan
                for v in series.tolist()
            ],
            index=series.index,
            dtype="float64",
        )
    return values.where(np.isfinite(values))


def metric_column(metric: str) -> str:
    """``acc`` or ``metrics.acc`` -> ``metrics.acc``."""
    return metric if metric.startswith(METRIC_PREFIX) else METRIC_PREFIX + metric


def metric_values(frame: pd.DataFrame, metric: str) -> pd.Series:
    """A metric's finite values (NaN elsewhere, and everywhere when the frame lacks the column)."""
    column = metric_column(metric)
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return numeric(frame[column])


def pareto_front(frame: pd.DataFrame, x_metric: str, y_metric: str, overrides: Mapping[str, str]) -> set[str]:
    """Run ids no other run beats on one metric without losing on the other; equal points all stay.

    Only runs with both values (``metric_values``) take part. A sweep in O(n log n): runs sorted by x
    (better first); a run is on the front when it is the best y among runs with its x and strictly
    better on y than every run with a better x.
    """
    signs = []
    for metric in (x_metric, y_metric):
        direction = metric_direction(metric, overrides)
        if direction is None:
            name = metric_column(metric)[len(METRIC_PREFIX) :]
            raise ValueError(f"{name} has no direction; set one in the settings")
        signs.append(1.0 if direction == "max" else -1.0)
    x = (metric_values(frame, x_metric) * signs[0]).to_numpy()
    y = (metric_values(frame, y_metric) * signs[1]).to_numpy()
    keep = ~(np.isnan(x) | np.isnan(y))
    positions = np.flatnonzero(keep)
    order = positions[np.lexsort((-y[positions], -x[positions]))]  # x descending, then y descending
    run_ids = frame["run_id"].to_numpy()
    front: set[str] = set()
    best_y_of_better_x = -math.inf
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and x[order[end]] == x[order[start]]:
            end += 1
        group_best = y[order[start]]
        if group_best > best_y_of_better_x:
            front.update(str(run_ids[i]) for i in order[start:end] if y[i] == group_best)
        best_y_of_better_x = max(best_y_of_better_x, group_best)
        start = end
    return front
