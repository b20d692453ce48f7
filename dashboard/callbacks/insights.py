"""The insights page (``/insights``): computed on the runs the runs page's filters keep.

The router renders the page once. A changed URL (a control writing ``ins``, back/forward, a pasted link)
or a new snapshot redraws only the cards whose inputs changed: each card's key (data version, filters,
its own choices) is kept in ``insights-state``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..analysis.filters import active_chips
from ..analysis.trends import series_line, series_runs
from ..analysis.view import parse_view
from ..components.insights_charts import (
    MAX_TRAJECTORIES,
    correlation_section,
    groups_section,
    parallel_section,
    pareto_section,
    pick_trajectories,
    trends_section,
)
from ..components.insights_page import (
    INSIGHTS_PATH,
    Choices,
    Options,
    PageParts,
    ablations_section,
    best_section,
    choices_ins,
    defaults,
    dropdown_options,
    insights_page,
    options_for,
    read_ins,
    resolve,
    summary,
    update_choices,
    with_ins,
)
from ..context import current
from .view_cache import current_facets, current_view

SECTIONS = ("summary", "best", "pareto", "trends", "correlations", "groups", "ablations", "parallel")


def _trajectories(rows: pd.DataFrame, metric: str | None) -> tuple[dict[str, pd.DataFrame], int]:
    """Checkpoint lines, then logged curves of runs alone in their experiment, up to the cap."""
    lines, dropped = pick_trajectories(rows, metric)
    room = MAX_TRAJECTORIES - len(lines)
    if metric is None or room <= 0:
        return lines, dropped
    store = current().store
    name = metric.split(".", 1)[1]
    for run_id, label in series_runs(rows, metric, set(lines), room):
        curve = store.series(run_id).get(name)
        line = series_line(curve.x, curve.y) if curve is not None and curve.x_kind == "step" else None
        if line is not None:
            lines[label] = line
    return lines, dropped


def _keys(search: str | None, version: Any, choices: Choices) -> dict[str, str]:
    """What each card depends on; an unchanged key means nothing to redraw."""
    filters = json.dumps(parse_view(search).filters, sort_keys=True)
    base = [version, filters]
    own: dict[str, Any] = {
        "summary": [],
        "best": [],
        "pareto": list(choices.pareto),
        "trends": [choices.trend_y, choices.trend_x, choices.trend_colour],
        "correlations": list(choices.metrics),
        "groups": [choices.group, list(choices.metrics)],
        "ablations": list(choices.metrics),
        "parallel": [list(choices.params), list(choices.metrics)],
    }
    return {name: json.dumps([*base, own[name]], default=str) for name in SECTIONS}


def _builders(
    search: str | None, rows: pd.DataFrame, total: int, error: str | None, options: Options, choices: Choices
) -> dict[str, Callable[[], Any]]:
    overrides = current().settings.metric_directions
    facets = current_facets()
    chips = [chip.label for chip in active_chips(parse_view(search).filters, facets)]
    return {
        "summary": lambda: summary(len(rows), total, chips, error),
        "best": lambda: best_section(rows, options, overrides),
        "pareto": lambda: pareto_section(rows, choices, overrides, search),
        "trends": lambda: trends_section(rows, choices, *_trajectories(rows, choices.trend_y)),
        "correlations": lambda: correlation_section(rows, choices, options),
        "groups": lambda: groups_section(rows, choices),
        "ablations": lambda: ablations_section(rows, choices, overrides),
        "parallel": lambda: parallel_section(rows, choices),
    }


def _shown(search: str | None) -> tuple[pd.DataFrame, int, str | None, Options, Choices]:
    overrides = current().settings.metric_directions
    result = current_view(search)
    options = options_for(result.rows, overrides)
    return result.rows, result.total, result.error, options, resolve(read_ins(search), options, overrides)


def render_insights_page(search: str | None) -> Any:
    rows, total, error, options, choices = _shown(search)
    built = {name: make() for name, make in _builders(search, rows, total, error, options, choices).items()}
    keys = _keys(search, current().snapshot.version, choices)
    overrides = current().settings.metric_directions
    return insights_page(PageParts(**built), options, choices, overrides, keys)


CONTROL_VALUES = (
    Output(ids.INSIGHTS_PARETO_X, "value"),
    Output(ids.INSIGHTS_PARETO_Y, "value"),
    Output(ids.INSIGHTS_TREND_Y, "value"),
    Output(ids.INSIGHTS_TREND_X, "value"),
    Output(ids.INSIGHTS_TREND_COLOUR, "value"),
    Output(ids.INSIGHTS_GROUP_BY, "value"),
    Output(ids.INSIGHTS_METRICS, "value"),
    Output(ids.INSIGHTS_PARALLEL_PARAMS, "value"),
)
CONTROL_OPTIONS = (
    Output(ids.INSIGHTS_PARETO_X, "options"),
    Output(ids.INSIGHTS_PARETO_Y, "options"),
    Output(ids.INSIGHTS_TREND_Y, "options"),
    Output(ids.INSIGHTS_TREND_X, "options"),
    Output(ids.INSIGHTS_TREND_COLOUR, "options"),
    Output(ids.INSIGHTS_GROUP_BY, "options"),
    Output(ids.INSIGHTS_METRICS, "options"),
    Output(ids.INSIGHTS_PARALLEL_PARAMS, "options"),
)
SECTION_BODIES = (
    Output(ids.INSIGHTS_SUMMARY, "children"),
    Output(ids.INSIGHTS_BEST, "children"),
    Output(ids.INSIGHTS_PARETO, "children"),
    Output(ids.INSIGHTS_TRENDS, "children"),
    Output(ids.INSIGHTS_CORRELATIONS, "children"),
    Output(ids.INSIGHTS_GROUPS, "children"),
    Output(ids.INSIGHTS_ABLATIONS, "children"),
    Output(ids.INSIGHTS_PARALLEL, "children"),
)


def _control_values(choices: Choices) -> list[Any]:
    px, py = choices.pareto
    return [
        px,
        py,
        choices.trend_y,
        choices.trend_x,
        choices.trend_colour,
        choices.group,
        list(choices.metrics),
        list(choices.params),
    ]


def _control_options(options: Options) -> list[Any]:
    overrides = current().settings.metric_directions
    return [
        dropdown_options(options.directional, overrides),
        dropdown_options(options.directional, overrides),
        dropdown_options(options.metrics, overrides),
        dropdown_options(options.x_axes),
        dropdown_options(options.categories),
        dropdown_options(options.categories),
        dropdown_options(options.metrics, overrides),
        dropdown_options(options.params),
    ]


@callback(
    *SECTION_BODIES,
    *CONTROL_VALUES,
    *CONTROL_OPTIONS,
    Output(ids.INSIGHTS_STATE, "data"),
    Input(ids.URL, "search"),
    Input(ids.SNAPSHOT_VERSION, "data"),
    State(ids.URL, "pathname"),
    State(ids.INSIGHTS_STATE, "data"),
    prevent_initial_call=True,
)
def follow_insights(search: str | None, version: Any, pathname: str | None, shown: Any) -> tuple[Any, ...]:
    """Redraw the cards whose inputs changed; set the controls to what the URL says."""
    if pathname != INSIGHTS_PATH:
        raise PreventUpdate
    rows, total, error, options, choices = _shown(search)
    keys = _keys(search, current().snapshot.version, choices)
    shown = shown if isinstance(shown, dict) else {}
    if keys == shown:
        raise PreventUpdate
    builders = _builders(search, rows, total, error, options, choices)
    bodies = [builders[name]() if keys[name] != shown.get(name) else no_update for name in SECTIONS]
    return (*bodies, *_control_values(choices), *_control_options(options), keys)


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Input(ids.INSIGHTS_PARETO_X, "value"),
    Input(ids.INSIGHTS_PARETO_Y, "value"),
    Input(ids.INSIGHTS_TREND_Y, "value"),
    Input(ids.INSIGHTS_TREND_X, "value"),
    Input(ids.INSIGHTS_TREND_COLOUR, "value"),
    Input(ids.INSIGHTS_GROUP_BY, "value"),
    Input(ids.INSIGHTS_METRICS, "value"),
    Input(ids.INSIGHTS_PARALLEL_PARAMS, "value"),
    State(ids.URL, "search"),
    State(ids.URL, "pathname"),
    prevent_initial_call=True,
)
def write_choices(
    pareto_x: str | None,
    pareto_y: str | None,
    trend_y: str | None,
    trend_x: str | None,
    trend_colour: str | None,
    group: str | None,
    metrics: list[str] | None,
    params: list[str] | None,
    search: str | None,
    pathname: str | None,
) -> str:
    """The controls' values as ``ins`` (only what differs from the defaults); a history entry per change."""
    if pathname != INSIGHTS_PATH:
        raise PreventUpdate
    overrides = current().settings.metric_directions
    _, _, _, options, current_choices = _shown(search)
    wanted = update_choices(
        current_choices,
        pareto=(pareto_x, pareto_y),
        trend_y=trend_y,
        trend_x=trend_x,
        trend_colour=trend_colour or None,
        group=group,
        metrics=tuple(metrics or ()),
        params=tuple(params or ()),
    )
    chosen = resolve(choices_ins(wanted, defaults(options, overrides)), options, overrides)
    new = with_ins(search, choices_ins(chosen, defaults(options, overrides)))
    if new == (search or ""):
        raise PreventUpdate
    return new
