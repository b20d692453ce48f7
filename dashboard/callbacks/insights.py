"""The insights page (``/insights``): computed on the runs the runs page's filters keep.

The router renders the page once. A changed URL (a control writing ``ins``, back/forward, a pasted link)
or a new snapshot redraws only the cards whose inputs changed: each card's key (data version, filters,
its own choices) is kept in ``insights-state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from .. import ids
from ..analysis.filters import active_chips
from ..analysis.insights_view import (
    INSIGHTS_PATH,
    SECTIONS,
    Choices,
    Options,
    card_keys,
    options_for,
    read_ins,
    resolve,
    search_for,
)
from ..analysis.trends import series_line, series_runs
from ..analysis.view import parse_view
from ..components.insights_cards import (
    MAX_TRAJECTORIES,
    ablations_section,
    best_section,
    correlation_section,
    groups_section,
    parallel_section,
    pareto_section,
    pick_trajectories,
    summary,
    trends_section,
)
from ..components.insights_page import PageParts, dropdown_options, insights_page
from ..context import current
from .view_cache import current_facets, current_view

# The page's controls, in the order of their values and options below.
CONTROLS = (
    ids.INSIGHTS_PARETO_X,
    ids.INSIGHTS_PARETO_Y,
    ids.INSIGHTS_TREND_Y,
    ids.INSIGHTS_TREND_X,
    ids.INSIGHTS_TREND_COLOUR,
    ids.INSIGHTS_GROUP_BY,
    ids.INSIGHTS_METRICS,
    ids.INSIGHTS_PARALLEL_PARAMS,
)
BODIES = {
    "summary": ids.INSIGHTS_SUMMARY,
    "best": ids.INSIGHTS_BEST,
    "pareto": ids.INSIGHTS_PARETO,
    "trends": ids.INSIGHTS_TRENDS,
    "correlations": ids.INSIGHTS_CORRELATIONS,
    "groups": ids.INSIGHTS_GROUPS,
    "ablations": ids.INSIGHTS_ABLATIONS,
    "parallel": ids.INSIGHTS_PARALLEL,
}
CONTROL_VALUES = tuple(Output(control, "value") for control in CONTROLS)
CONTROL_OPTIONS = tuple(Output(control, "options") for control in CONTROLS)
SECTION_BODIES = tuple(Output(BODIES[name], "children") for name in SECTIONS)


@dataclass(frozen=True)
class Shown:
    """The runs a query shows and the page's state over them, with the data version they were read at."""

    version: Any
    rows: pd.DataFrame
    total: int
    error: str | None
    options: Options
    choices: Choices


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


def _builders(search: str | None, shown: Shown) -> dict[str, Callable[[], Any]]:
    overrides = current().settings.metric_directions
    chips = [chip.label for chip in active_chips(parse_view(search).filters, current_facets())]
    rows, options, choices = shown.rows, shown.options, shown.choices
    return {
        "summary": lambda: summary(len(rows), shown.total, chips, shown.error),
        "best": lambda: best_section(rows, options, overrides),
        "pareto": lambda: pareto_section(rows, choices, overrides, search),
        "trends": lambda: trends_section(rows, choices, *_trajectories(rows, choices.trend_y)),
        "correlations": lambda: correlation_section(rows, choices, options),
        "groups": lambda: groups_section(rows, choices),
        "ablations": lambda: ablations_section(rows, choices, overrides),
        "parallel": lambda: parallel_section(rows, choices),
    }


def _shown(search: str | None) -> Shown:
    # The version is read before the rows: a scan landing in between makes the cards' keys older than
    # their data, so the next snapshot tick redraws them again (never the reverse, which would leave
    # old data under a new key for good).
    version = current().snapshot.version
    overrides = current().settings.metric_directions
    result = current_view(search)
    options = options_for(result.rows, overrides)
    choices = resolve(read_ins(search), options, overrides)
    return Shown(version, result.rows, result.total, result.error, options, choices)


def render_insights_page(search: str | None) -> Any:
    shown = _shown(search)
    built = {name: make() for name, make in _builders(search, shown).items()}
    keys = card_keys(search, shown.version, shown.choices)
    overrides = current().settings.metric_directions
    return insights_page(PageParts(**built), shown.options, shown.choices, overrides, keys)


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
def follow_insights(search: str | None, version: Any, pathname: str | None, drawn: Any) -> tuple[Any, ...]:
    """Redraw the cards whose inputs changed; set the controls to what the URL says."""
    if pathname != INSIGHTS_PATH:
        raise PreventUpdate
    shown = _shown(search)
    keys = card_keys(search, shown.version, shown.choices)
    drawn = drawn if isinstance(drawn, dict) else {}
    if keys == drawn:
        raise PreventUpdate
    builders = _builders(search, shown)
    bodies = [builders[name]() if keys[name] != drawn.get(name) else no_update for name in SECTIONS]
    return (*bodies, *_control_values(shown.choices), *_control_options(shown.options), keys)


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    *(Input(control, "value") for control in CONTROLS),
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
    """The controls' values as ``ins`` (only what differs from the defaults); a history entry per change.

    Only a real change is written: controls set to what the URL already resolves to (every redraw sets
    them) write nothing, however stale or oddly spelled the URL's ``ins`` is.
    """
    if pathname != INSIGHTS_PATH:
        raise PreventUpdate
    shown = _shown(search)
    wanted = Choices(
        pareto=(pareto_x, pareto_y),
        trend_y=trend_y,
        trend_x=trend_x,
        trend_colour=trend_colour or None,
        group=group,
        metrics=tuple(metrics or ()),
        params=tuple(params or ()),
    )
    new = search_for(search, wanted, shown.options, current().settings.metric_directions)
    if new is None:
        raise PreventUpdate
    return new
