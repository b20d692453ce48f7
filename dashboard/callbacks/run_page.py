"""One run's page (``/run/<run_id>``): built from the store, kept live while the run's files change."""

from __future__ import annotations

from typing import Any

from dash import ALL, MATCH, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..components.run_page import (
    RunView,
    chart_figures,
    metrics_table,
    page_body,
    page_state,
    run_not_found_body,
    run_page,
    section_children,
)
from ..components.run_params import params_table
from ..context import current


def run_view(run_id: str, with_series: bool = True) -> RunView | None:
    """What the page shows about ``run_id``, or None when the last scan has no such run.

    Without series it is cheap (no file or cache read): enough to tell whether anything changed.
    """
    store = current().store
    run = store.run(run_id)
    if run is None:
        return None
    frame = store.snapshot.runs
    shown = frame.loc[frame["run_id"] == run_id, "status"] if "run_id" in frame else []
    status = str(shown.iloc[0]) if len(shown) else run.status  # the displayed status ("running" by recency)
    return RunView(
        run_id=run_id,
        run=run,
        status=status,
        problems=store.run_problems(run_id),
        series=store.series(run_id) if with_series else {},
    )


def render_run_page(run_id: str) -> Any:
    return run_page(run_view(run_id), run_id)


@callback(
    Output(ids.RUN_PAGE_BODY, "children"),
    Output({"type": ids.RUN_SECTION, "name": ALL}, "children"),
    Output({"type": ids.RUN_CHART, "index": ALL}, "figure"),
    Output(ids.RUN_PAGE_STATE, "data"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    State(ids.RUN_PAGE_STATE, "data"),
    State({"type": ids.RUN_PARAMS_SEARCH, "index": ALL}, "value"),
    State({"type": ids.RUN_METRICS_SEARCH, "index": ALL}, "value"),
    prevent_initial_call=True,
)
def follow_run(
    _version: Any, state: dict[str, Any] | None, queries: list[str | None], metric_queries: list[str | None]
) -> tuple[Any, ...]:
    """A new snapshot: redraw what changed for the shown run, in place when the same curves exist."""
    if not state or not state.get("run_id"):
        raise PreventUpdate
    view = run_view(state["run_id"], with_series=False)
    if view is None:
        if state.get("stamp") is None:
            raise PreventUpdate
        gone = {"run_id": state["run_id"], "stamp": None, "charts": []}
        return run_not_found_body(state["run_id"]), *_unchanged(), gone
    if view.stamp == state.get("stamp"):  # another run changed: nothing to redraw here
        raise PreventUpdate
    view.series = current().store.series(view.run_id)
    figures = chart_figures(view)
    names = list(figures)
    if state.get("stamp") is None or names != state.get("charts"):
        body, new_state = page_body(view, _first(queries), figures, _first(metric_queries))
        return body, *_unchanged(), new_state
    sections = section_children(view, _first(metric_queries))
    section_out = [sections[item["id"]["name"]] for item in ctx.outputs_list[1]]
    shown = list(figures.values())
    figure_out = [shown[item["id"]["index"]] for item in ctx.outputs_list[2]]
    return no_update, section_out, figure_out, page_state(view, names)


def _first(values: list[str | None]) -> str:
    return next((v for v in values if v), "")


def _unchanged() -> tuple[list[Any], list[Any]]:
    """``no_update`` for each section and figure on the page (wildcard outputs want one per match)."""
    return [no_update] * len(ctx.outputs_list[1]), [no_update] * len(ctx.outputs_list[2])


@callback(
    Output({"type": ids.RUN_PARAMS_TABLE, "index": MATCH}, "children"),
    Input({"type": ids.RUN_PARAMS_SEARCH, "index": MATCH}, "value"),
    State(ids.RUN_PAGE_STATE, "data"),
    prevent_initial_call=True,
)
def search_params(query: str | None, state: dict[str, Any] | None) -> Any:
    run = current().store.run(state["run_id"]) if state and state.get("run_id") else None
    if run is None:
        raise PreventUpdate
    return params_table(run.params, query or "")


@callback(
    Output({"type": ids.RUN_METRICS_TABLE, "index": MATCH}, "children"),
    Input({"type": ids.RUN_METRICS_SEARCH, "index": MATCH}, "value"),
    State(ids.RUN_PAGE_STATE, "data"),
    prevent_initial_call=True,
)
def search_metrics(query: str | None, state: dict[str, Any] | None) -> Any:
    run = current().store.run(state["run_id"]) if state and state.get("run_id") else None
    if run is None:
        raise PreventUpdate
    return metrics_table(run.metrics, query or "")
