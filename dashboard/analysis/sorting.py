"""Server-side sorting of the runs table, in AG Grid's sort-model shape.

Runs mix sources, so one column can hold numbers for some runs, text for others and
nothing for the rest. The order is total and never raises: numbers (booleans count as
0/1), then text in natural order (``ckpt 500`` before ``ckpt 1000``), then missing values
last, whichever the direction; the direction flips the order within numbers and within
text only. Ties keep their previous order (stable), so multi-sort composes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .filters import is_missing, natural_key

_NUMBER, _TEXT, _MISSING = 0, 1, 2


def _group_and_value(value: Any) -> tuple[int, float, str]:
    if is_missing(value):
        return _MISSING, 0.0, ""
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return _NUMBER, float(value), ""
    return _TEXT, 0.0, str(value)


def _dense_rank(items: Sequence[Any], key: Any = None) -> np.ndarray:
    """Each item's position among the distinct items in sorted order (equal items share one)."""
    distinct = sorted(set(items), key=key)
    where = {item: i for i, item in enumerate(distinct)}
    return np.array([where[item] for item in items], dtype=np.int64)


def _text_key(text: str) -> tuple[Any, str]:
    return natural_key(text), text


def _sort_keys(series: pd.Series, descending: bool) -> list[np.ndarray]:
    """Arrays for ``np.lexsort``, most significant first: group, then the within-group rank."""
    triples = [_group_and_value(v) for v in series.tolist()]
    groups = np.array([g for g, _, _ in triples], dtype=np.int64)
    numbers = np.array([n for _, n, _ in triples], dtype="float64")
    numbers = np.where(np.isnan(numbers), 0.0, numbers)  # NaN only reaches here as "missing"
    texts = _dense_rank([t for _, _, t in triples], key=_text_key)
    sign = -1 if descending else 1
    return [groups, sign * numbers, sign * texts]


def _valid(item: Any, columns: pd.Index) -> tuple[str, bool] | None:
    if not isinstance(item, Mapping):
        return None
    column, direction = item.get("colId"), item.get("sort")
    if column not in columns or direction not in ("asc", "desc"):
        return None
    return str(column), direction == "desc"


def _default_order(frame: pd.DataFrame) -> list[tuple[str, bool]]:
    order = [("baseline", True)] if "baseline" in frame.columns else []
    if "run_id" in frame.columns:
        order.append(("run_id", False))
    return order


def sort_frame(frame: pd.DataFrame, sort_model: Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """The frame's rows in sort-model order (first entry most significant); index kept.

    Unknown columns and directions are ignored; with nothing left the order is baselines
    first, then ``run_id``.
    """
    columns = frame.columns
    order = [v for v in (_valid(item, columns) for item in (sort_model or ())) if v is not None]
    if not order:
        order = _default_order(frame)
    if not order or len(frame) < 2:
        return frame
    keys: list[np.ndarray] = []
    for column, descending in order:
        keys.extend(_sort_keys(frame[column], descending))
    # lexsort sorts by the last key first, and is stable.
    positions = np.lexsort(list(reversed(keys)))
    return frame.iloc[positions]


def pin_baselines(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(baseline rows, other rows)``, each in the frame's order: the UI pins baselines on top."""
    if "baseline" not in frame.columns:
        return frame.iloc[0:0], frame
    flags = np.array([v is True or v is np.True_ for v in frame["baseline"].tolist()], dtype=bool)
    return frame[flags], frame[~flags]
