"""The runs table (dash-ag-grid, infinite row model): rows are served page by page.

Sorting and filtering happen in pandas on the server, so 10,000 runs never ship to
the browser at once and the CSV export can reproduce exactly what is shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from .. import ids
from ..analysis.recommend_view import SCORE_COLUMN
from ..analysis.runs_view import IDENTITY_SHOWN, by_coverage, metric_order
from ..rows import SERIES_COLUMN, plain

NUMBER_FORMAT = {"function": "formatNumber(params.value)"}
TEXT_FORMAT = {"function": "formatText(params.value)"}
BLOCK_SIZE = 200
# Row fields carrying which metric cells are the best / worst of the rows shown.
BEST_FIELD = "_best"
WORST_FIELD = "_worst"
# Row fields saying whether the run is selected and in which colour (the server is the truth).
SELECTED_FIELD = "_selected"
COLOUR_FIELD = "_colour"
# Row fields from the recommendation: the recommended run (its name gets a star) and the name's tooltip
# (the run's place, total and reasons). The total itself is the ``score`` column.
RECOMMENDED_FIELD = "_recommended"
NAME_TIP_FIELD = "_name_tip"
SCORE_TOOLTIP = "Recommendation score (0–100) over the runs shown; the card above says how it is made"
SELECT_COLUMN = {
    "colId": "_select",
    "headerName": "",
    "field": SELECTED_FIELD,
    "cellRenderer": "SelectBox",
    "pinned": "left",
    "width": 58,
    "minWidth": 58,
    "maxWidth": 58,
    "sortable": False,
    "resizable": False,
    "suppressMovable": True,
    "lockVisible": True,
    "headerTooltip": "Select up to 5 runs to compare",
    "cellStyle": {"paddingLeft": "10px", "paddingRight": "2px"},
}
CELL_CLASS_RULES = {
    "rb-best": {"function": f"isFlagged(params, '{BEST_FIELD}')"},
    "rb-worst": {"function": f"isFlagged(params, '{WORST_FIELD}')"},
}


def row_data(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Records for the grid; a missing value is left out (shown as a dash), never NaN.

    Left out rather than null: a lab's runs share few metrics, and 200 rows naming every
    visible column they lack would be mostly repeated key names on the wire.
    """
    wanted = [c for c in (columns if columns is not None else frame.columns) if c != SERIES_COLUMN]
    if "run_id" not in wanted:
        wanted = ["run_id", *wanted]
    records = frame[wanted].to_dict("records")
    return [{k: p for k, v in row.items() if (p := plain(v)) is not None} for row in records]


def is_numeric_column(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


WIDTHS = {"experiment": 190, "source": 130, "status": 110, "step": 80, "updated_at": 180}


def _column(
    field: str, header: str, numeric: bool, hidden: bool, sort: dict[str, Any] | None
) -> dict[str, Any]:
    column: dict[str, Any] = {
        "width": WIDTHS.get(field, 130 if numeric else 150),
        "field": field,
        "colId": field,
        "headerName": header,
        "headerTooltip": field,
        "tooltipField": field,
        "valueFormatter": NUMBER_FORMAT if numeric else TEXT_FORMAT,
        "hide": hidden,
    }
    if numeric:
        column["type"] = "rightAligned"
    if field.startswith("metrics."):
        column["cellClassRules"] = CELL_CLASS_RULES
    if sort is not None:  # {"sort": "asc"|"desc"|None, "index": int|None}; absent: keep the grid's
        column["sort"] = sort["sort"]
        column["sortIndex"] = sort["index"]
    return column


def column_defs(
    frame: pd.DataFrame,
    visible: Sequence[str],
    sort_model: Sequence[dict[str, str]] | None = (),
    scored: bool = False,
) -> list[dict[str, Any]]:
    """Column groups (run, metrics, params); the name pinned left and linking to the run's page.

    ``scored``: a recommendation is active, so a ``score`` column follows the name.

    With ``sort_model=None`` the definitions carry no sort at all, and the grid keeps the sort it
    has: a redraw must not undo a sort click whose request is still on its way.
    """
    shown = set(visible)
    sorts: dict[str, dict[str, Any]] = {}
    if sort_model is not None:  # the view's sort, and no sort on every other column
        sorts = defaultdict(lambda: {"sort": None, "index": None})
        sorts.update({s["colId"]: {"sort": s["sort"], "index": i} for i, s in enumerate(sort_model)})

    def sort_of(column: str) -> dict[str, Any] | None:
        return sorts[column] if sort_model is not None else None

    name = _column("name", "Name", False, False, sort_of("name"))
    name.update(pinned="left", width=260, minWidth=160, cellRenderer="RunLink", lockVisible=True)
    name["tooltipField"] = NAME_TIP_FIELD
    score = _column(SCORE_COLUMN, "Score", True, False, sort_of(SCORE_COLUMN))
    score.update(width=104, headerTooltip=SCORE_TOOLTIP, lockVisible=True, cellRenderer="ScoreCell")
    score["tooltipField"] = NAME_TIP_FIELD  # the total's place and reasons, not the raw float
    identity = [name, *([score] if scored else [])] + [
        _column(c, c.replace("_", " ").capitalize(), c == "step", c not in shown, sort_of(c))
        for c in IDENTITY_SHOWN
    ]
    metrics = [_column(c, c[8:], True, c not in shown, sort_of(c)) for c in metric_order(frame)]
    params = [
        _column(c, c[7:], is_numeric_column(frame[c]), c not in shown, sort_of(c))
        for c in by_coverage(frame, "params.")
    ]
    groups: list[dict[str, Any]] = [
        {"headerName": "Run", "groupId": "run", "children": [SELECT_COLUMN, *identity]}
    ]
    if metrics:
        groups.append({"headerName": "Metrics", "groupId": "metrics", "children": metrics})
    if params:
        groups.append({"headerName": "Params", "groupId": "params", "children": params})
    return groups


def runs_table(
    frame: pd.DataFrame, visible: Sequence[str], sort_model: Sequence[dict[str, str]], scored: bool = False
) -> dag.AgGrid:
    return dag.AgGrid(
        id=ids.RUNS_TABLE,
        rowModelType="infinite",
        columnDefs=column_defs(frame, visible, sort_model, scored),
        getRowId="params.data.run_id",
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 90, "filter": False},
        dashGridOptions={
            "suppressFieldDotNotation": True,
            "tooltipShowDelay": 400,
            "enableCellTextSelection": True,
            "animateRows": False,
            "rowHeight": 34,
            "headerHeight": 36,
            "cacheBlockSize": BLOCK_SIZE,
            "maxBlocksInCache": 20,
            "infiniteInitialRowCount": 1,
            "rowClassRules": {"rb-selected-row": f"params.data && params.data.{SELECTED_FIELD}"},
            "suppressDragLeaveHidesColumns": True,
            # Tens of columns at most are shown by default; rendering them all keeps headers findable.
            "suppressColumnVirtualisation": True,
        },
        className="ag-theme-quartz runs-grid",
        style={"height": "calc(100vh - 250px)", "minHeight": "380px", "width": "100%"},
    )
