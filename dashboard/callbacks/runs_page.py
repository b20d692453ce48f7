"""The runs page: the table of every run, redrawn when the snapshot changes."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback

from .. import ids
from ..components.runs_table import column_defs, row_data, runs_table
from ..context import current


def render_runs_page() -> Any:
    return runs_table(current().snapshot.runs)


@callback(
    Output(ids.RUNS_TABLE, "rowData"),
    Output(ids.RUNS_TABLE, "columnDefs"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    prevent_initial_call=True,
)
def redraw_table(_version: int | None) -> tuple[Any, Any]:
    frame = current().snapshot.runs
    return row_data(frame), column_defs(frame)
