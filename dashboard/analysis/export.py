"""Exports of the runs table: CSV safe for spreadsheets, and the contract's JSON."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson
import pandas as pd

from ..rows import SERIES_COLUMN, plain

SCHEMA_VERSION = "1.0"
# A cell starting with one of these is run as a formula by Excel/LibreOffice/Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a quote to text a spreadsheet would execute; numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """The rows and columns given, as CSV; missing values are empty cells."""
    cols = [c for c in (columns if columns is not None else frame.columns) if c != SERIES_COLUMN]
    safe = frame[cols].copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def run_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as nested records: identity fields, then ``params``, ``metrics``, ``series``."""
    records = []
    for row in frame.to_dict("records"):
        record: dict[str, Any] = {}
        params: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        for column, value in row.items():
            key = str(column)
            value = plain(value)
            if key.startswith("params."):
                if value is not None:
                    params[key[7:]] = value
            elif key.startswith("metrics."):
                if value is not None:
                    metrics[key[8:]] = value
            elif key == SERIES_COLUMN:
                record["series"] = dict(value) if isinstance(value, dict) else {}
            else:
                record[key] = value
        record["params"] = params
        record["metrics"] = metrics
        records.append(record)
    return records


def to_json(frame: pd.DataFrame, roots: Iterable[str], problems: Iterable[dict[str, Any]]) -> bytes:
    document = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "roots": list(roots),
        "runs": run_records(frame),
        "problems": list(problems),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
