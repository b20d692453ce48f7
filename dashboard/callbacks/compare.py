"""The comparison page (``/compare?runs=[...]&ref=<id>``): built from the store, the URL is the view.

The router renders the page once; afterwards a changed ``runs`` list (back/forward, a pasted link) or
a change in the compared runs' data redraws the panel, a changed ``ref`` only the summary table. Curves
are redrawn in place for the smoothing, log-y and zoom controls (a zoom re-reads the zoomed window at
full detail, since each trace is downsampled for display).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..analysis.compare import Summary, build_summary
from ..analysis.compare_export import summary_csv, summary_latex, summary_markdown
from ..analysis.curves import pick_eval_loss
from ..analysis.hparam_diff import diff_params
from ..analysis.view import View, parse_view, view_query
from ..components.compare import (
    COMPARE_PATH,
    CompareQuery,
    compare_page,
    compare_search,
    curve_names,
    curve_runs,
    empty_panel,
    export_filename,
    panel_children,
    parse_compare,
    smoothing_span,
    styles_for,
    summary_table,
)
from ..components.compare_charts import RunStyle, curve_figure, needs_redraw_on_zoom
from ..context import current
from ..ingest.base import Series

RUNS_PATH = "/"
COMPARE_PATHS = (COMPARE_PATH, RUNS_PATH)  # the comparison page, and the panel under the runs page's tray

EXPORTS = {
    "csv": (summary_csv, "csv", "text/csv"),
    "md": (summary_markdown, "md", "text/markdown"),
    "tex": (summary_latex, "tex", "application/x-tex"),
}


def _known(frame: pd.DataFrame, run_ids: list[str]) -> list[str]:
    present = set(frame["run_id"]) if "run_id" in frame.columns else set()
    return [r for r in run_ids if r in present]


def _series(run_ids: list[str]) -> dict[str, dict[str, Series]]:
    store = current().store
    return {run_id: store.series(run_id) for run_id in run_ids}


def _query(search: str | None, pathname: str | None) -> CompareQuery:
    """The runs compared: the comparison page's ``runs``, or on the runs page its selection."""
    if pathname == COMPARE_PATH:
        return parse_compare(search)
    view = parse_view(search)
    return CompareQuery(view.selected, view.ref, 0)


def _summary(
    search: str | None, pathname: str | None, series: dict[str, dict[str, Series]] | None = None
) -> Summary:
    context = current()
    frame = context.snapshot.runs
    query = _query(search, pathname)
    curves = series if series is not None else _series(_known(frame, query.runs))
    eval_loss = {run_id: pick_eval_loss(s) for run_id, s in curves.items()}
    return build_summary(
        frame, query.runs, query.ref, context.settings.metric_directions, eval_loss=eval_loss
    )


def _stamp(frame: pd.DataFrame, run_ids: list[str]) -> str:
    """What the compared runs' rows hold (params, metrics, series lengths): equal stamps, nothing to redraw."""
    if "run_id" not in frame.columns or not run_ids:
        return ""  # as the empty panel records it, so a page with nothing ticked redraws nothing
    rows = frame[frame["run_id"].isin(run_ids)].sort_values("run_id")
    return hashlib.blake2b(repr(rows.to_dict("records")).encode(), digest_size=12).hexdigest()


def render_panel(search: str | None, pathname: str | None) -> tuple[list[Any], dict[str, Any]]:
    """The panel's children and the state later callbacks read (runs, styles, curve names, data stamp)."""
    frame = current().snapshot.runs
    query = _query(search, pathname)
    if pathname != COMPARE_PATH and not query.runs:  # the runs page with nothing ticked: no panel
        return [], {"query_runs": [], "stamp": "", "styles": [], "curves": []}
    notes = (
        [f"only the first 5 runs are compared ({query.dropped} more in the link)"] if query.dropped else []
    )
    series = _series(_known(frame, query.runs))
    summary = _summary(search, pathname, series)
    state: dict[str, Any] = {"query_runs": query.runs, "stamp": _stamp(frame, summary.run_ids)}
    if not summary.run_ids:
        return empty_panel([*notes, *summary.notes]), {**state, "styles": [], "curves": []}
    diff = diff_params(frame, summary.run_ids)
    styles = styles_for(summary)
    state["styles"] = [[s.run_id, s.name, s.colour] for s in styles]
    state["curves"] = curve_names(series)
    return panel_children(summary, diff, series, notes), state


def render_compare_page(search: str | None) -> Any:
    children, state = render_panel(search, COMPARE_PATH)
    back = view_query(View(selected=parse_compare(search).runs))
    return compare_page(children, state, back)


@callback(
    Output(ids.COMPARE_PANEL, "children"),
    Output(ids.COMPARE_STATE, "data"),
    Input(ids.URL, "search"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    State(ids.URL, "pathname"),
    State(ids.COMPARE_STATE, "data"),
    prevent_initial_call=True,
)
def follow_compare(
    search: str | None, _version: Any, pathname: str | None, state: dict[str, Any] | None
) -> tuple[Any, Any]:
    """Redraw the panel when the compared runs changed: another list, or new data for one of them."""
    if pathname not in COMPARE_PATHS:
        raise PreventUpdate
    query = _query(search, pathname)
    state = state or {}
    frame = current().snapshot.runs
    if query.runs == state.get("query_runs") and _stamp(frame, _known(frame, query.runs)) == state.get(
        "stamp"
    ):
        raise PreventUpdate
    return render_panel(search, pathname)


@callback(
    Output(ids.COMPARE_SUMMARY, "children"),
    Output(ids.COMPARE_REF, "value"),
    Input(ids.URL, "search"),
    State(ids.URL, "pathname"),
    State(ids.COMPARE_STATE, "data"),
    prevent_initial_call=True,
)
def follow_reference(
    search: str | None, pathname: str | None, state: dict[str, Any] | None
) -> tuple[Any, Any]:
    """Another reference, same runs: only the summary moves (charts keep their zoom)."""
    query = _query(search, pathname)
    if pathname not in COMPARE_PATHS or not state or query.runs != state.get("query_runs") or not query.runs:
        raise PreventUpdate  # the panel is redrawn whole by follow_compare
    summary = _summary(search, pathname)
    return summary_table(summary), summary.reference_id


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.COMPARE_REF, "value"),
    State(ids.URL, "search"),
    State(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def write_reference(ref: str | None, search: str | None, pathname: str | None) -> Any:
    if pathname not in COMPARE_PATHS or not ref:
        raise PreventUpdate
    query = _query(search, pathname)
    if ref == query.ref or (query.ref is None and ref == _summary(search, pathname).reference_id):
        raise PreventUpdate  # already shown: the select following the URL, not a choice
    if pathname == COMPARE_PATH:
        return compare_search(query.runs, ref)
    view = parse_view(search)  # on the runs page the reference joins the rest of the view
    view.ref = ref
    return view_query(view)


@callback(
    Output(ids.COMPARE_DOWNLOAD, "data"),
    Input({"type": ids.COMPARE_EXPORT, "format": ALL}, "n_clicks"),
    State(ids.URL, "search"),
    State(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def export_summary(_clicks: list[int], search: str | None, pathname: str | None) -> Any:
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value") or not isinstance(trigger, dict):
        raise PreventUpdate
    writer, extension, mime = EXPORTS[str(trigger["format"])]
    summary = _summary(search, pathname)
    if not summary.run_ids:
        raise PreventUpdate
    return {
        "content": writer(summary),
        "filename": export_filename(summary.names, extension),
        "type": mime,
        "base64": False,
    }


def _x_window(relayout: dict[str, Any] | None) -> tuple[float, float] | bool | None:
    """The x range a relayout asks for; ``None``: the whole curve (autorange); ``False``: no x change."""
    if not relayout:
        return False
    if relayout.get("xaxis.autorange") or relayout.get("autosize"):
        return None if relayout.get("xaxis.autorange") else False
    if "xaxis.range[0]" in relayout and "xaxis.range[1]" in relayout:
        lo, hi = relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    elif isinstance(relayout.get("xaxis.range"), list) and len(relayout["xaxis.range"]) == 2:
        lo, hi = relayout["xaxis.range"]
    else:
        return False
    try:
        return float(lo), float(hi)
    except (TypeError, ValueError):
        return False


@callback(
    Output({"type": ids.COMPARE_CURVE, "index": MATCH}, "figure"),
    Input({"type": ids.COMPARE_CURVE, "index": MATCH}, "relayoutData"),
    Input(ids.COMPARE_SMOOTHING, "value"),
    Input(ids.COMPARE_LOG_Y, "value"),
    Input(ids.COMPARE_X_MODE, "value"),
    State({"type": ids.COMPARE_CURVE, "index": MATCH}, "id"),
    State(ids.COMPARE_STATE, "data"),
    prevent_initial_call=True,
)
def redraw_curve(
    relayout: dict[str, Any] | None,
    span: int | None,
    log_y: bool | None,
    x_mode: str | None,
    graph_id: dict[str, Any],
    state: dict[str, Any] | None,
) -> Any:
    """Smoothing, log-y and x by step or time for every curve; a zoom re-reads that window at full detail."""
    names = (state or {}).get("curves") or []
    index = int(graph_id["index"])
    if index >= len(names):
        raise PreventUpdate
    styles = [RunStyle(*item) for item in (state or {}).get("styles", [])]
    runs = curve_runs(names[index], styles, _series([s.run_id for s in styles]))
    window = _x_window(relayout)
    zoomed = isinstance(ctx.triggered_id, dict)
    if zoomed and (window is False or not needs_redraw_on_zoom(runs)):
        raise PreventUpdate
    # A zoom window is in the units of the x shown: switching between step and time drops it.
    shown = window if isinstance(window, tuple) and ctx.triggered_id != ids.COMPARE_X_MODE else None
    mode = "time" if x_mode == "time" else "step"
    return (
        curve_figure(names[index], runs, smoothing_span(span), bool(log_y), shown, mode)
        if runs
        else no_update
    )


# The chart beside the clicked SVG button, downloaded as vector graphics under the button's file name.
clientside_callback(
    """
    function (clicks) {
        const ctx = window.dash_clientside.callback_context;
        if (!clicks || !ctx.triggered_id) { return; }
        const button = document.getElementById(JSON.stringify(ctx.triggered_id, Object.keys(ctx.triggered_id).sort()));
        const card = button && button.closest(".card");
        const graph = card && card.querySelector(".js-plotly-plot");
        if (graph && window.Plotly) {
            window.Plotly.downloadImage(graph, {format: "svg", filename: ctx.triggered_id.file});
        }
    }
    """,
    Input({"type": ids.SVG_EXPORT, "file": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
