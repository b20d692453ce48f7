"""The insights page (``/insights``): facts across the runs the runs page shows, one card per question.

The layout only: the page's state (options, choices, ``ins``) is ``analysis.insights_view``, the
cards' bodies are ``insights_cards``, built by ``callbacks.insights``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.directions import metric_direction
from ..analysis.insights_view import INSIGHTS_PATH, Choices, Options, label
from .insights_cards import ARROWS
from .publication import publication_section

__all__ = ["INSIGHTS_PATH", "PageParts", "card", "controls", "dropdown_options", "insights_page"]


def dropdown_options(
    columns: Sequence[str], overrides: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    """Plain-text labels (Dash renders them as text); metrics carry their direction arrow."""
    out = []
    for c in columns:
        arrow = ARROWS.get(metric_direction(c, overrides) or "", "") if overrides is not None else ""
        out.append({"label": f"{label(c)} {arrow}".rstrip(), "value": c})
    return out


def _dropdown(
    id_: str, columns: Sequence[str], value: Any, overrides: Mapping[str, str] | None = None, **kw: Any
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_,
        options=dropdown_options(columns, overrides),
        value=value,
        clearable=kw.pop("clearable", False),
        className="insights-dropdown",
        **kw,
    )


def _control(text: str, control: Any, wide: bool = False) -> html.Div:
    return html.Div(
        [html.Label(text, className="insights-control-label"), control],
        className="insights-control" + (" wide" if wide else ""),
    )


def card(
    title: str, body_id: str, children: Any, controls: Sequence[Any] = (), note: str | None = None
) -> dbc.Card:
    head: list[Any] = [html.H5(title, className="mb-0 me-auto")]
    header = dbc.CardHeader(
        [
            html.Div(head, className="d-flex align-items-center"),
            html.Div(list(controls), className="insights-controls"),
        ]
        if controls
        else head
    )
    body: list[Any] = [html.Div(children, id=body_id)]
    if note:
        body.insert(0, html.P(note, className="insights-note"))
    return dbc.Card([header, dbc.CardBody(body)], className="mb-3 shadow-sm insights-card")


@dataclass
class PageParts:
    """Every card's body, built by the callback module."""

    summary: Any
    best: Any
    pareto: Any
    trends: Any
    correlations: Any
    groups: Any
    ablations: Any
    parallel: Any


def controls(options: Options, choices: Choices, overrides: Mapping[str, str]) -> dict[str, Any]:
    px, py = choices.pareto
    return {
        "pareto": [
            _control("x", _dropdown(ids.INSIGHTS_PARETO_X, options.directional, px, overrides)),
            _control("y", _dropdown(ids.INSIGHTS_PARETO_Y, options.directional, py, overrides)),
        ],
        "trends": [
            _control("metric", _dropdown(ids.INSIGHTS_TREND_Y, options.metrics, choices.trend_y, overrides)),
            _control("against", _dropdown(ids.INSIGHTS_TREND_X, options.x_axes, choices.trend_x)),
            _control(
                "colour by",
                _dropdown(
                    ids.INSIGHTS_TREND_COLOUR,
                    options.categories,
                    choices.trend_colour,
                    clearable=True,
                    placeholder="none",
                ),
            ),
        ],
        "groups": [_control("group by", _dropdown(ids.INSIGHTS_GROUP_BY, options.categories, choices.group))],
        "parallel": [
            _control(
                "params",
                _dropdown(
                    ids.INSIGHTS_PARALLEL_PARAMS,
                    options.params,
                    list(choices.params),
                    multi=True,
                    clearable=True,
                ),
                wide=True,
            )
        ],
        "metrics": _dropdown(
            ids.INSIGHTS_METRICS,
            options.metrics,
            list(choices.metrics),
            overrides,
            multi=True,
            clearable=True,
            placeholder="choose metrics",
        ),
    }


def insights_page(
    parts: PageParts, options: Options, choices: Choices, overrides: Mapping[str, str], state: Any
) -> html.Div:
    ctl = controls(options, choices, overrides)
    toolbar = html.Div(
        [
            html.Div(parts.summary, id=ids.INSIGHTS_SUMMARY, className="insights-summary"),
            _control(
                "Metrics for correlations, groups, ablations and parallel coordinates",
                ctl["metrics"],
                wide=True,
            ),
        ],
        className="insights-toolbar mb-3",
    )
    return html.Div(
        [
            dcc.Store(id=ids.INSIGHTS_STATE, data=state),
            html.H4("Insights", className="mb-2"),
            toolbar,
            card("Best run per metric", ids.INSIGHTS_BEST, parts.best),
            card("Pareto front", ids.INSIGHTS_PARETO, parts.pareto, ctl["pareto"]),
            card("Trends", ids.INSIGHTS_TRENDS, parts.trends, ctl["trends"]),
            dbc.Row(
                [
                    dbc.Col(
                        card("Correlations (Spearman)", ids.INSIGHTS_CORRELATIONS, parts.correlations), xl=6
                    ),
                    dbc.Col(card("Groups", ids.INSIGHTS_GROUPS, parts.groups, ctl["groups"]), xl=6),
                ]
            ),
            card(
                "Ablation pairs: runs that differ in exactly one param",
                ids.INSIGHTS_ABLATIONS,
                parts.ablations,
            ),
            card("Parallel coordinates", ids.INSIGHTS_PARALLEL, parts.parallel, ctl["parallel"]),
            html.Div(publication_section(), id=ids.PUBLICATION_SLOT, className="publication-slot"),
        ],
        id=ids.INSIGHTS_PAGE,
        className="insights-page pb-4",
    )
