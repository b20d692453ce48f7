"""Controls of the runs page write the view into the URL; nothing else holds it.

Each writer reads the current query, changes its part, and pushes the new query
(a browser history entry, so back/forward walk through changes). It also records
the query it wrote, so the page knows the panel already shows it.
"""

from __future__ import annotations

import math
from typing import Any

from dash import ALL, MATCH, Input, Output, State, callback, ctx, no_update

from .. import ids
from ..analysis.filters import clean_state, remove_chip
from ..analysis.view import MAX_SELECTED, parse_view, view_query
from ..components.filter_panel import LISTED_OPTIONS, choice_options
from ..components.runs_page import selection_refused
from .view_cache import current_facets, current_view

URL_OUT = (
    Output(ids.URL, "search", allow_duplicate=True),
    Output(ids.LAST_WRITTEN_QUERY, "data", allow_duplicate=True),
)


def _round(value: float) -> float:
    """Slider positions carry float noise (-3 + 100 * 0.01); six significant digits is what was meant."""
    return float(f"{value:.6g}")


def _range_value(value: list[float], low: float, high: float, log: bool) -> list[float | None] | None:
    """A slider's [low, high] as a filter: ends left at the data's limits stay open."""
    lo, hi = value
    span = (high - low) or 1.0
    lo_open, hi_open = lo <= low + span * 1e-9, hi >= high - span * 1e-9
    if lo_open and hi_open:
        return None
    convert = (lambda v: _round(math.pow(10.0, v))) if log else _round
    return [None if lo_open else convert(lo), None if hi_open else convert(hi)]


def write_view(search: str | None, **changes: Any) -> tuple[str, str]:
    """The query with ``changes`` applied to the view, twice: for ``URL_OUT``'s two outputs."""
    view = parse_view(search)
    for name, value in changes.items():
        setattr(view, name, value)
    query = view_query(view)
    return query, query


@callback(
    *URL_OUT,
    Input(ids.SEARCH, "value"),
    Input({"type": ids.FACET_BOOL, "column": ALL}, "value"),
    Input({"type": ids.FACET_CHOICE, "column": ALL}, "value"),
    Input({"type": ids.FACET_RANGE, "column": ALL, "log": ALL}, "value"),
    Input(ids.ADD_FACET, "value"),
    State({"type": ids.FACET_BOOL, "column": ALL}, "id"),
    State({"type": ids.FACET_CHOICE, "column": ALL}, "id"),
    State({"type": ids.FACET_RANGE, "column": ALL, "log": ALL}, "id"),
    State({"type": ids.FACET_RANGE, "column": ALL, "log": ALL}, "min"),
    State({"type": ids.FACET_RANGE, "column": ALL, "log": ALL}, "max"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def write_filters(
    query: str | None,
    bools: list[str],
    choices: list[list[str] | None],
    ranges: list[list[float]],
    added: str | None,
    bool_ids: list[dict[str, Any]],
    choice_ids: list[dict[str, Any]],
    range_ids: list[dict[str, Any]],
    range_mins: list[float],
    range_maxs: list[float],
    search: str | None,
) -> tuple[Any, Any]:
    """The panel shows every active filter, so its controls are the whole filter state."""
    view = parse_view(search)
    state: dict[str, Any] = {
        "q": (query or "").strip(),
        "bool": {i["column"]: v for i, v in zip(bool_ids, bools, strict=True) if v in ("yes", "no")},
        "choice": {i["column"]: list(v) for i, v in zip(choice_ids, choices, strict=True) if v},
        "range": {},
    }
    for rid, value, low, high in zip(range_ids, ranges, range_mins, range_maxs, strict=True):
        if value and len(value) == 2:
            bounds = _range_value(value, low, high, bool(rid["log"]))
            if bounds is not None:
                state["range"][rid["column"]] = bounds
    more = list(view.more)
    if ctx.triggered_id == ids.ADD_FACET and added and added not in more:
        more.append(added)
    if "pareto" in view.filters:  # set from the insights page; the panel has no control for it
        state["pareto"] = view.filters["pareto"]
    new = clean_state(state)
    if new == clean_state(view.filters) and more == view.more:
        return no_update, no_update
    return write_view(search, filters=new, more=more)


@callback(
    *URL_OUT,
    Input({"type": ids.CHIP, "key": ALL}, "n_clicks"),
    Input(ids.RESET_FILTERS, "n_clicks"),
    Input(ids.EMPTY_RESET, "n_clicks"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def remove_filters(_chips: list[int], _reset: int, _empty: int, search: str | None) -> tuple[Any, Any]:
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update  # a chip button appearing, not a click
    view = parse_view(search)
    if isinstance(trigger, dict) and trigger.get("type") == ids.CHIP:
        return write_view(search, filters=clean_state(remove_chip(view.filters, str(trigger["key"]))))
    return write_view(search, filters={}, more=[])


@callback(
    *URL_OUT,
    Input(ids.COLUMNS_CHOOSER, "value"),
    Input(ids.COLUMNS_DEFAULT, "n_clicks"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def write_columns(chosen: list[str] | None, _default: int, search: str | None) -> tuple[Any, Any]:
    if ctx.triggered_id == ids.COLUMNS_DEFAULT:
        return write_view(search, columns=None)
    if chosen is None or list(chosen) == current_view(search).columns:
        return no_update, no_update
    return write_view(search, columns=list(chosen))


@callback(
    *URL_OUT,
    Output(ids.SELECTION_MESSAGE, "children"),
    Input(ids.RUNS_TABLE, "cellRendererData"),
    Input({"type": ids.SELECTION_REMOVE, "run_id": ALL}, "n_clicks"),
    Input(ids.SELECTION_CLEAR, "n_clicks"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def write_selection(
    clicked: dict[str, Any] | None, _remove: list[int], _clear: int, search: str | None
) -> tuple[Any, ...]:
    view = parse_view(search)
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update, no_update
    selected = list(view.selected)
    if trigger == ids.SELECTION_CLEAR:
        selected = []
    elif isinstance(trigger, dict) and trigger.get("type") == ids.SELECTION_REMOVE:
        selected = [r for r in selected if r != trigger["run_id"]]
    elif clicked and isinstance(clicked.get("value"), dict):
        run_id, want = str(clicked["value"].get("run_id")), bool(clicked["value"].get("selected"))
        if want and run_id not in selected:
            if len(selected) >= MAX_SELECTED:
                return no_update, no_update, selection_refused()
            selected.append(run_id)
        elif not want:
            selected = [r for r in selected if r != run_id]
    query, written = write_view(search, selected=selected)
    return query, written, None


@callback(
    Output({"type": ids.FACET_CHOICE, "column": MATCH}, "options"),
    Input({"type": ids.FACET_CHOICE, "column": MATCH}, "search_value"),
    State({"type": ids.FACET_CHOICE, "column": MATCH}, "value"),
    State({"type": ids.FACET_CHOICE, "column": MATCH}, "id"),
    prevent_initial_call=True,
)
def search_choices(search: str | None, chosen: list[str] | None, facet_id: dict[str, Any]) -> Any:
    """Options of a facet with too many values to list, as the user types."""
    facet = next((f for f in current_facets() if f.column == facet_id["column"]), None)
    if facet is None or len(facet.options) <= LISTED_OPTIONS or search is None:
        return no_update
    return choice_options(facet.options, chosen or [], search)
