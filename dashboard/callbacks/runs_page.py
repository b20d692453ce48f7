"""The runs page: render it from the URL, and redraw what depends on the view.

The URL query is the view (``analysis.view``). Controls write it (runs_controls),
this module reads it: counts, chips, tray, the grid's columns, and — when the URL
changed by navigation (back/forward, a pasted link) rather than by a control —
the filter panel itself, so the controls show the view they are in.
"""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..analysis.filters import active_chips
from ..analysis.runs_view import table_order
from ..analysis.view import parse_view
from ..components.filter_panel import filter_panel
from ..components.recommendation import recommendation_card
from ..components.runs_page import chips, compare_section, runs_page, selection_tray, showing_text
from ..components.runs_table import column_defs, runs_table
from ..context import current
from .compare import render_panel
from .view_cache import current_facets, current_recommendation, current_view, recommendation_key

RUNS_PATH = "/"


def columns_key(frame: Any, visible: list[str], sort: Any, scored: bool = False) -> str:
    """What the grid's column definitions depend on; equal keys mean nothing to resend."""
    return json.dumps([list(frame.columns), visible, sort, scored])


def is_scored(search: str | None) -> bool:
    """A recommendation is active (it ranks some run): the table shows its score column."""
    return current_recommendation(search).result.winner is not None


def render_runs_page(search: str | None) -> Any:
    frame = current().snapshot.runs
    view = parse_view(search)
    result = current_view(search)
    panel = filter_panel(current_facets(), view.filters, view.more)
    scored = is_scored(search)
    table = runs_table(frame, result.columns, view.sort, scored)
    compare = compare_section(*render_panel(search, RUNS_PATH))
    names = dict(zip(result.rows["run_id"].astype(str), result.rows["name"].astype(str), strict=True))
    card = recommendation_card(current_recommendation(search), names, recommendation_key(search))
    key = columns_key(frame, result.columns, None, scored)
    return runs_page(panel, table, search or "", key, compare, card)


def _chooser_options(frame: Any) -> list[dict[str, str]]:
    return [
        {"label": c.removeprefix("params.").removeprefix("metrics."), "value": c} for c in table_order(frame)
    ]


def _new_runs_notice(before: int | None, now: int) -> Any:
    if before is None or now <= before:
        return no_update
    added = now - before
    text = f"{added} new run" + ("" if added == 1 else "s") + " since you opened the page."
    return dbc.Alert(text, color="info", dismissable=True, duration=10000, className="py-2 mb-2")


@callback(
    Output(ids.SHOWING, "children"),
    Output(ids.CHIPS, "children"),
    Output(ids.EMPTY_RESULT, "style"),
    Output(ids.SEARCH_ERROR, "children"),
    Output(ids.SELECTION_TRAY, "children"),
    Output(ids.SELECTION_CLEAR, "style"),
    Output(ids.FILTER_PANEL, "children"),
    Output(ids.RUNS_TABLE, "columnDefs"),
    Output(ids.COLUMNS_CHOOSER, "options"),
    Output(ids.COLUMNS_CHOOSER, "value"),
    Output(ids.GRID_REFRESH, "data"),
    Output(ids.NEW_RUNS_NOTICE, "children"),
    Output(ids.SHOWN_RUN_COUNT, "data"),
    Output(ids.COLUMNS_KEY, "data"),
    Input(ids.URL, "search"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    State(ids.URL, "pathname"),
    State(ids.LAST_WRITTEN_QUERY, "data"),
    State(ids.SHOWN_RUN_COUNT, "data"),
    State(ids.COLUMNS_KEY, "data"),
    State(ids.GRID_REFRESH, "data"),
)
def show_view(
    search: str | None,
    version: int | None,
    pathname: str | None,
    last_written: str | None,
    shown_count: int | None,
    shown_columns: str | None,
    shown_rows: str | None,
) -> tuple[Any, ...]:
    if (pathname or "/") != RUNS_PATH:
        raise PreventUpdate
    frame = current().snapshot.runs
    view = parse_view(search)
    result = current_view(search)
    facets = current_facets()
    navigated = (search or "") != (last_written or "")
    # Column definitions are sent only when they change: replacing them under a header the user is
    # clicking would swallow the click.
    scored = is_scored(search)
    new_key = columns_key(frame, result.columns, view.sort if navigated else None, scored)
    # The recommendation's state is in the rows too: their scores and the star move with it.
    rows_key = json.dumps(
        [version, view.filters, result.columns, view.selected, view.sort if navigated else None, view.rec]
    )
    names = dict(zip(frame["run_id"], frame["name"], strict=True))
    selected = [(run_id, names.get(run_id, run_id)) for run_id in view.selected]
    return (
        showing_text(len(result.rows), result.total),
        chips(active_chips(view.filters, facets)),
        {"display": "block"} if len(result.rows) == 0 and result.total else {"display": "none"},
        result.error or "",
        selection_tray(selected),
        {"display": "inline-block"} if selected else {"display": "none"},
        filter_panel(facets, view.filters, view.more) if navigated else no_update,
        column_defs(frame, result.columns, view.sort if navigated else None, scored)
        if new_key != shown_columns
        else no_update,
        _chooser_options(frame),
        result.columns,
        # The grid re-fetches its rows when what they hold changed; a sort it asked for itself needs nothing.
        rows_key if rows_key != shown_rows else no_update,
        _new_runs_notice(shown_count, len(frame)),
        len(frame),
        new_key,
    )


# Re-fetch the rows the grid shows (keeps its scroll position) whenever the view or the data changed.
clientside_callback(
    """
    function (refresh) {
        if (refresh && window.dash_ag_grid) {
            window.dash_ag_grid.getApiAsync("runs-table").then(function (api) { api.refreshInfiniteCache(); });
        }
    }
    """,
    Input(ids.GRID_REFRESH, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.COLUMNS_MODAL, "is_open"),
    Input(ids.COLUMNS_BUTTON, "n_clicks"),
    State(ids.COLUMNS_MODAL, "is_open"),
    prevent_initial_call=True,
)
def toggle_columns(_clicks: int, is_open: bool) -> bool:
    return not is_open
