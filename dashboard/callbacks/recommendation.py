"""The recommendation card: its controls write ``rec`` into the URL; the card redraws from the URL.

Like the filter panel, the controls are rebuilt only when the URL changed by navigation
(back/forward, a pasted link) or when what they offer changed (another preset, other
metrics); a slider the user just released is never replaced under the pointer. Threshold
constraints have their own row: Add (or Enter) and a chip's × edit only ``rec["constraints"]``,
and the chips follow the URL without rebuilding the other controls.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..analysis.recommend_view import (
    build_plan,
    clean_rec,
    parse_threshold,
    with_constraint,
    without_constraint,
)
from ..components.recommendation import footer, headline, result_parts
from ..components.recommendation_controls import constraint_chips, controls_key, toolbar, weights_table
from ..context import current
from .runs_controls import URL_OUT, write_view
from .runs_page import RUNS_PATH
from .view_cache import current_recommendation, current_view, recommendation_key, shown_runs


def shown_names(search: str | None) -> dict[str, str]:
    rows = current_view(search).rows
    return dict(zip(rows["run_id"].astype(str), rows["name"].astype(str), strict=True))


@callback(
    Output(ids.REC_HEADLINE, "children"),
    Output(ids.REC_RESULT, "children"),
    Output(ids.REC_FOOTER, "children"),
    Output(ids.REC_TOOLBAR, "children"),
    Output(ids.REC_WEIGHTS, "children"),
    Output(ids.REC_CONSTRAINT_CHIPS, "children"),
    Output(ids.REC_CONTROLS_KEY, "data"),
    Output(ids.REC_RESULT_KEY, "data"),
    Input(ids.URL, "search"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    State(ids.URL, "pathname"),
    State(ids.LAST_WRITTEN_QUERY, "data"),
    State(ids.REC_CONTROLS_KEY, "data"),
    State(ids.REC_RESULT_KEY, "data"),
    prevent_initial_call=True,
)
def show_recommendation(
    search: str | None,
    _version: int | None,
    pathname: str | None,
    last_written: str | None,
    shown_key: str | None,
    shown_result: str | None,
) -> tuple[Any, ...]:
    if (pathname or "/") != RUNS_PATH:
        raise PreventUpdate
    navigated = (search or "") != (last_written or "")
    result_key = recommendation_key(search)
    if result_key == shown_result and not navigated:
        raise PreventUpdate  # a sort, a tick, a column: the same runs and rec, the same card
    recommendation = current_recommendation(search)
    names = shown_names(search)
    plan = recommendation.plan
    key = controls_key(plan)
    rebuild = navigated or key != shown_key
    same = result_key == shown_result
    return (
        no_update if same else headline(recommendation, names),
        no_update if same else result_parts(recommendation, names),
        no_update if same else footer(recommendation, names),
        toolbar(plan) if rebuild else no_update,
        weights_table(plan) if rebuild else no_update,
        # The chips sit in the toolbar: a rebuilt toolbar brings its own, otherwise they follow the rec.
        no_update if rebuild or same else constraint_chips(plan),
        key,
        result_key,
    )


@callback(
    *URL_OUT,
    Input(ids.REC_PRESET, "value"),
    Input(ids.REC_NORM, "value"),
    Input(ids.REC_MISSING, "value"),
    Input(ids.REC_COMPLETED, "value"),
    Input(ids.REC_METRICS, "value"),
    Input({"type": ids.REC_WEIGHT, "metric": ALL}, "value"),
    State({"type": ids.REC_WEIGHT, "metric": ALL}, "id"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def write_recommendation(
    preset: str | None,
    norm: str | None,
    missing: str | None,
    completed: bool | None,
    metrics: list[str] | None,
    weights: list[float | None],
    weight_ids: list[dict[str, Any]],
    search: str | None,
) -> tuple[Any, Any]:
    """The controls are the whole ``rec`` state; it is written only when it means something new."""
    current_plan = current_recommendation(search).plan
    state: dict[str, Any] = {
        "preset": preset,
        "norm": norm,
        "missing": missing,
        "completed": completed,
        "weights": {i["metric"]: w for i, w in zip(weight_ids, weights, strict=True)},
        "metrics": list(metrics or []),
        "constraints": current_plan.state().get("constraints", []),  # edited by their own row
    }
    if preset == "custom" and current_plan.preset != "custom" and not state["metrics"]:
        # Custom starts from the metrics the previous preset scored (those a custom score can use).
        offered = {c.metric for c in current_plan.choices}
        state["metrics"] = [c.metric for c in current_plan.spec.criteria if c.metric in offered]
    overrides = current().settings.metric_directions
    new_plan = build_plan(shown_runs(search), clean_rec(state), overrides)
    if new_plan.state() == current_plan.state() or not ctx.triggered:
        return no_update, no_update
    return write_view(search, rec=new_plan.state())


def _write_rec(search: str | None, rec: dict[str, Any]) -> tuple[Any, Any]:
    """Write ``rec`` for the runs shown, unless it means what the URL already says."""
    overrides = current().settings.metric_directions
    new_state = build_plan(shown_runs(search), rec, overrides).state()
    if new_state == current_recommendation(search).plan.state():
        return no_update, no_update
    return write_view(search, rec=new_state)


@callback(
    *URL_OUT,
    Output(ids.REC_CONSTRAINT_MESSAGE, "children"),
    Output(ids.REC_CONSTRAINT_VALUE, "invalid"),
    Output(ids.REC_CONSTRAINT_VALUE, "value"),
    Input(ids.REC_CONSTRAINT_ADD, "n_clicks"),
    Input(ids.REC_CONSTRAINT_VALUE, "n_submit"),
    State(ids.REC_CONSTRAINT_METRIC, "value"),
    State(ids.REC_CONSTRAINT_OP, "value"),
    State(ids.REC_CONSTRAINT_VALUE, "value"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def add_constraint(
    _clicks: int | None,
    _submits: int | None,
    metric: str | None,
    op: str | None,
    typed: str | None,
    search: str | None,
) -> tuple[Any, ...]:
    """Add 'metric op value' (Add or Enter); a bad entry is explained beside the row and changes nothing."""
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # the row was just drawn, not used
    value, problem = parse_threshold(typed)
    if not isinstance(metric, str) or not metric:
        problem = "Choose a metric first."
    if value is None or problem:
        return no_update, no_update, problem, True, no_update
    rec = with_constraint(current_recommendation(search).plan.state(), metric, op or ">=", value)
    return (*_write_rec(search, rec), "", False, "")


@callback(
    *URL_OUT,
    Input({"type": ids.REC_CONSTRAINT_REMOVE, "metric": ALL, "op": ALL}, "n_clicks"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def remove_constraint(_clicks: list[int | None], search: str | None) -> tuple[Any, Any]:
    clicked = ctx.triggered_id
    if not isinstance(clicked, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate  # chips redrawn, none clicked
    rec = without_constraint(current_recommendation(search).plan.state(), clicked["metric"], clicked["op"])
    return _write_rec(search, rec)
