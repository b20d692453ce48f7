"""Runs as rows of the data contract: identity columns, ``params.*``, ``metrics.*``.

Shared by the store (its DataFrame) and the CLI/exports, so the table, the CSV
and the JSON always agree on names and values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import orjson
import pandas as pd

from .ingest.base import Run

IDENTITY_COLUMNS = (
    "run_id",
    "name",
    "experiment",
    "source",
    "status",
    "step",
    "updated_at",
    "path",
    "baseline",
)
# Not shown as columns of the contract, but carried for the UI (names and lengths of series).
SERIES_COLUMN = "_series"


def iso_time(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_PLAIN = frozenset({str, int, bool, type(None)})


_INT64 = 2**63


def param_cell(value: Any) -> Any:
    """A param as a table cell: scalars stay, containers become their JSON text, and integers
    too big for 64 bits (a YAML seed) their digits, since JSON and the browser cannot hold them."""
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return str(value)


def plain(value: Any) -> Any:
    """A frame cell as JSON: missing (None, NA, NaN, inf) is None, numpy scalars become Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars (a float32 NaN is no float: convert, then look again)
        return plain(value.item())
    return value


def run_row(run_id: str, run: Run, status: str, series_lengths: dict[str, int]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": run_id,
        "name": run.name,
        "experiment": run.experiment,
        "source": run.source,
        "status": status,
        "step": run.step,
        "updated_at": iso_time(run.updated_at),
        "path": run.path,
        "baseline": run.is_baseline,
    }
    for key, value in run.params.items():
        plain = type(value) in _PLAIN and (type(value) is not int or -_INT64 <= value < _INT64)
        row["params." + key] = value if plain else param_cell(value)
    for key, value in run.metrics.items():
        row["metrics." + key] = value
    row[SERIES_COLUMN] = series_lengths
    return row


def ordered_columns(columns: Sequence[str]) -> list[str]:
    """Identity, params by name, then metrics in the order the sources write them (a results file
    lists its headline numbers first: sblimp, swuggy, tstory, sstory, then LibriLight)."""
    params = sorted(c for c in columns if c.startswith("params."))
    metrics = [c for c in columns if c.startswith("metrics.")]
    return [*IDENTITY_COLUMNS, *params, *metrics, SERIES_COLUMN]


def build_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run; columns in contract order; ``step`` as nullable integers."""
    columns: dict[str, None] = {}  # first appearance order
    for row in rows:
        columns.update(dict.fromkeys(row))
    frame = pd.DataFrame.from_records(rows, columns=ordered_columns(list(columns)))
    frame["step"] = frame["step"].astype("Int64")
    frame["baseline"] = frame["baseline"].fillna(False).astype(bool)
    for column in frame.columns:
        if column.startswith("metrics."):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def contract_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != SERIES_COLUMN]
