"""The runs table (dash-ag-grid): identity, metrics and params column groups."""

from __future__ import annotations

import math
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from .. import ids
from ..rows import SERIES_COLUMN

IDENTITY_SHOWN = ("experiment", "source", "status", "step", "updated_at")
NUMBER_FORMAT = {"function": "formatNumber(params.value)"}
TEXT_FORMAT = {"function": "formatText(params.value)"}


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def row_data(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Records for the grid: missing values are null (shown as a dash), never NaN."""
    columns = [c for c in frame.columns if c != SERIES_COLUMN]
    return [{k: _cell(v) for k, v in row.items()} for row in frame[columns].to_dict("records")]


def _varies(series: pd.Series) -> bool:
    return series.astype(str).nunique(dropna=False) > 1


def _by_coverage(frame: pd.DataFrame, prefix: str) -> list[str]:
    """Columns under ``prefix``, those most runs have first (then by name)."""
    columns = [c for c in frame.columns if c.startswith(prefix)]
    counts = frame[columns].notna().sum() if columns else pd.Series(dtype=int)
    return sorted(columns, key=lambda c: (-int(counts[c]), c))


def _column(field: str, header: str, numeric: bool, **extra: Any) -> dict[str, Any]:
    column: dict[str, Any] = {
        "field": field,
        "headerName": header,
        "headerTooltip": field,
        "tooltipField": field,
        "valueFormatter": NUMBER_FORMAT if numeric else TEXT_FORMAT,
    }
    if numeric:
        column["type"] = "rightAligned"
        column["filter"] = "agNumberColumnFilter"
    column.update(extra)
    return column


def column_defs(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Name pinned left; identity, metrics and params as groups; constant params hidden."""
    identity = [_column("name", "Name", False, pinned="left", minWidth=220)]
    identity += [_column(c, c.replace("_", " ").capitalize(), c == "step") for c in IDENTITY_SHOWN]
    metrics = [_column(c, c[len("metrics.") :], True) for c in _by_coverage(frame, "metrics.")]
    params = [
        _column(
            c,
            c[len("params.") :],
            pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]),
            hide=not _varies(frame[c]),
        )
        for c in _by_coverage(frame, "params.")
    ]
    groups: list[dict[str, Any]] = [{"headerName": "Run", "children": identity}]
    if metrics:
        groups.append({"headerName": "Metrics", "children": metrics})
    if params:
        groups.append({"headerName": "Params", "children": params})
    return groups


def runs_table(frame: pd.DataFrame) -> dag.AgGrid:
    return dag.AgGrid(
        id=ids.RUNS_TABLE,
        rowData=row_data(frame),
        columnDefs=column_defs(frame),
        getRowId="params.data.run_id",
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 90},
        dashGridOptions={
            "suppressFieldDotNotation": True,
            "tooltipShowDelay": 300,
            "enableCellTextSelection": True,
            "animateRows": False,
            "rowHeight": 34,
            "headerHeight": 36,
        },
        columnSize="autoSize",
        className="ag-theme-quartz runs-grid",
        style={"height": "calc(100vh - 140px)", "minHeight": "360px", "width": "100%"},
    )
