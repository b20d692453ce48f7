"""Serves the grid's row blocks (AG Grid infinite row model), filtered and sorted in pandas.

The grid owns the sort clicks (shift-click for multi-sort); when its sort differs
from the URL's, the URL is updated so the sort is shared, exported and restored.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, no_update

from .. import ids
from ..analysis.recommend_view import SCORE_COLUMN, Recommendation
from ..analysis.view import parse_view, view_query
from ..components.recommendation import name_tips
from ..components.runs_page import RUN_COLOURS
from ..components.runs_table import (
    BEST_FIELD,
    COLOUR_FIELD,
    NAME_TIP_FIELD,
    RECOMMENDED_FIELD,
    SELECTED_FIELD,
    WORST_FIELD,
    row_data,
)
from .view_cache import current_recommendation, current_view


def _sort_model(request: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"colId": str(s["colId"]), "sort": str(s["sort"])}
        for s in request.get("sortModel") or []
        if s.get("sort") in ("asc", "desc") and s.get("colId")
    ]


def _add_scores(rows: list[dict[str, Any]], recommendation: Recommendation) -> None:
    """Each row's total, the recommended run's flag, and the name's tooltip (place, total, reasons)."""
    totals = recommendation.totals
    winner = recommendation.result.winner
    tips = name_tips(recommendation.result, {row["run_id"] for row in rows})
    for row in rows:
        run_id = row["run_id"]
        row[SCORE_COLUMN] = totals.get(run_id)
        row[RECOMMENDED_FIELD] = winner is not None and run_id == winner.run_id
        row[NAME_TIP_FIELD] = tips.get(run_id) or row.get("name") or run_id


@callback(
    Output(ids.RUNS_TABLE, "getRowsResponse"),
    Output(ids.URL, "search", allow_duplicate=True),
    Output(ids.LAST_WRITTEN_QUERY, "data", allow_duplicate=True),
    Input(ids.RUNS_TABLE, "getRowsRequest"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def serve_rows(request: dict[str, Any] | None, search: str | None) -> tuple[Any, Any, Any]:
    if not request:
        return no_update, no_update, no_update
    sort_model = _sort_model(request)
    result = current_view(search, sort_model)
    start = max(int(request.get("startRow") or 0), 0)
    end = max(int(request.get("endRow") or start), start)
    block = result.rows.iloc[start:end]
    view = parse_view(search)
    colours = {run_id: RUN_COLOURS[i % len(RUN_COLOURS)] for i, run_id in enumerate(view.selected)}
    rows = row_data(block, result.columns)
    for row in rows:
        best = [c for c, (b, _w) in result.best_worst.items() if row.get(c) == b]
        worst = [c for c, (_b, w) in result.best_worst.items() if row.get(c) == w]
        row[BEST_FIELD], row[WORST_FIELD] = best, worst
        row[SELECTED_FIELD] = row["run_id"] in colours
        row[COLOUR_FIELD] = colours.get(row["run_id"])
    _add_scores(rows, current_recommendation(search))
    response = {"rowData": rows, "rowCount": len(result.rows)}
    if sort_model == view.sort:
        return response, no_update, no_update
    view.sort = sort_model
    query = view_query(view)
    return response, query, query
