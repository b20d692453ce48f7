"""The recommendation card's controls: presets, rules, the metrics to score, threshold constraints
("Only runs where sblimp_accuracy ≥ 0.54", shown as removable chips), one weight slider each.

Rebuilt only when what they offer changes (``controls_key``), so moving a slider never
rebuilds the slider under the pointer; the card that holds them is ``recommendation.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.recommend_view import (
    CONSTRAINT_OPS,
    PRESET_LABELS,
    WEIGHT_MAX,
    MetricChoice,
    RecommendPlan,
    plain_number,
)
from ..analysis.scoring import MISSING_TEXT, Constraint, Criterion

ARROWS = {"max": "↑", "min": "↓"}
DIRECTION_TEXT = {"max": "higher is better", "min": "lower is better"}
NORM_LABELS = {"minmax": "min-max", "rank": "rank"}
MISSING_LABELS = {"exclude": "exclude the run", "worst": "count as worst", "skip-metric": "skip the metric"}
OP_SYMBOLS = {">=": "≥", "<=": "≤"}


def controls_key(plan: RecommendPlan) -> str:
    """What the controls offer; equal keys mean the rendered controls can stay."""
    offered = [c.metric for c in plan.choices]
    criteria = [c.metric for c in plan.spec.criteria]
    return repr([plan.preset, criteria, offered, plan.chosen, plan.thresholdable])


def _select(control_id: str, label: str, options: Mapping[str, str], value: str, title: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=control_id, className="rec-control-label"),
            dbc.Select(
                id=control_id,
                options=[{"label": text, "value": key} for key, text in options.items()],
                value=value,
                size="sm",
                className="rec-select",
            ),
        ],
        className="rec-control",
        title=title,
    )


def _choice_label(choice: MetricChoice) -> str:
    return f"{choice.metric} {ARROWS[choice.direction]}"


def toolbar(plan: RecommendPlan) -> list[Any]:
    """The preset buttons, normalisation, missing-value rule and completed-only switch; custom's metrics."""
    spec = plan.spec
    custom = plan.preset == "custom"
    offered = {c.metric: c for c in plan.choices}
    options = [{"label": _choice_label(c), "value": c.metric} for c in plan.choices]
    options += [{"label": m, "value": m} for m in plan.chosen if m not in offered]  # chosen, not shown now
    return [
        html.Div(
            [
                dbc.RadioItems(
                    id=ids.REC_PRESET,
                    options=[{"label": text, "value": key} for key, text in PRESET_LABELS.items()],
                    value=plan.preset,
                    className="btn-group btn-group-sm rec-presets",
                    inputClassName="btn-check",
                    labelClassName="btn btn-outline-primary",
                    labelCheckedClassName="active",
                ),
                _select(
                    ids.REC_NORM,
                    "Normalise",
                    NORM_LABELS,
                    spec.normalisation,
                    "How each metric becomes a 0–1 score across the runs ranked",
                ),
                _select(ids.REC_MISSING, "Missing", MISSING_LABELS, spec.missing, MISSING_TEXT[spec.missing]),
                dbc.Switch(
                    id=ids.REC_COMPLETED,
                    label="Completed only",
                    value=spec.completed_only,
                    className="rec-switch mb-0",
                ),
            ],
            className="rec-toolbar-row",
        ),
        html.Div(
            dcc.Dropdown(
                id=ids.REC_METRICS,
                options=options,
                value=list(plan.chosen),
                multi=True,
                placeholder="Add metrics to score (↑ higher is better, ↓ lower is better)…",
                className="rec-metrics",
            ),
            className="rec-metrics-row",
            style={} if custom else {"display": "none"},
        ),
        constraints_row(plan),
    ]


# ---------------------------------------------------------------- threshold constraints


def constraint_label(constraint: Constraint) -> str:
    """'sblimp_accuracy ≥ 0.54': the threshold as typed (no rounding), the operator as a symbol."""
    return f"{constraint.metric} {OP_SYMBOLS[constraint.op]} {plain_number(constraint.value)}"


def constraint_chips(plan: RecommendPlan) -> list[Any]:
    """One removable chip per active constraint; the remove button's id names the metric and op."""
    chips: list[Any] = []
    for constraint in plan.spec.constraints:
        label = constraint_label(constraint)
        chips.append(
            html.Span(
                [
                    html.Span(label, className="chip-label"),
                    html.Button(
                        "×",
                        id={
                            "type": ids.REC_CONSTRAINT_REMOVE,
                            "metric": constraint.metric,
                            "op": constraint.op,
                        },
                        n_clicks=0,
                        className="btn-close-chip",
                        title=f"Remove constraint {label}",
                        **{"aria-label": f"Remove constraint {label}"},
                    ),
                ],
                className="filter-chip rec-constraint-chip badge rounded-pill",
            )
        )
    return chips


def _first_metric(plan: RecommendPlan) -> str | None:
    """The form starts on the first scored metric (the usual thing to put a floor under)."""
    scored = [c.metric for c in plan.spec.criteria if c.metric in plan.thresholdable]
    return (scored or plan.thresholdable or [None])[0]


def constraints_row(plan: RecommendPlan) -> html.Div:
    """'Only runs where [metric] [≥|≤] [value] Add', the active constraints as chips, an inline message."""
    return html.Div(
        [
            html.Label("Only runs where", htmlFor=ids.REC_CONSTRAINT_METRIC, className="rec-control-label"),
            dbc.Select(
                id=ids.REC_CONSTRAINT_METRIC,
                options=[{"label": m, "value": m} for m in plan.thresholdable],
                value=_first_metric(plan),
                placeholder="metric…",
                size="sm",
                className="rec-select rec-constraint-metric",
            ),
            html.Label("Comparison", htmlFor=ids.REC_CONSTRAINT_OP, className="visually-hidden"),
            dbc.Select(
                id=ids.REC_CONSTRAINT_OP,
                options=[{"label": OP_SYMBOLS[op], "value": op} for op in CONSTRAINT_OPS],
                value=CONSTRAINT_OPS[0],
                size="sm",
                className="rec-select rec-constraint-op",
            ),
            html.Label("Threshold", htmlFor=ids.REC_CONSTRAINT_VALUE, className="visually-hidden"),
            dbc.Input(
                id=ids.REC_CONSTRAINT_VALUE,
                type="text",
                inputMode="decimal",
                placeholder="value",
                size="sm",
                autoComplete="off",
                className="rec-constraint-value",
            ),
            dbc.Button(
                "Add", id=ids.REC_CONSTRAINT_ADD, size="sm", color="secondary", outline=True, n_clicks=0
            ),
            html.Span(constraint_chips(plan), id=ids.REC_CONSTRAINT_CHIPS, className="rec-constraint-chips"),
            html.Div(id=ids.REC_CONSTRAINT_MESSAGE, className="rec-constraint-message", role="alert"),
        ],
        className="rec-constraints-row",
    )


def _criterion_label(criterion: Criterion) -> html.Td:
    return html.Td(
        html.Div(
            [
                html.Span(criterion.metric, className="rec-metric-name", title=criterion.metric),
                html.Span(
                    ARROWS[criterion.direction],
                    className="rec-dir",
                    title=DIRECTION_TEXT[criterion.direction],
                ),
            ],
            className="rec-metric",
        ),
        className="rec-metric-cell",
    )


def weights_table(plan: RecommendPlan) -> list[Any]:
    """One slider per criterion (0–100, sent on release), in the breakdown's row order."""
    if not plan.spec.criteria:
        return []
    rows = [
        html.Tr(
            [
                _criterion_label(criterion),
                html.Td(
                    dcc.Slider(
                        id={"type": ids.REC_WEIGHT, "metric": criterion.metric},
                        min=0,
                        max=WEIGHT_MAX,
                        step=1,
                        value=plan.weights[criterion.metric],
                        marks=None,
                        updatemode="mouseup",
                        allow_direct_input=False,
                        tooltip={"placement": "top"},
                        className="rec-slider",
                    ),
                    className="rec-slider-cell",
                ),
            ]
        )
        for criterion in plan.spec.criteria
    ]
    head = html.Tr([html.Th("Metric"), html.Th("Weight", className="rec-weight-head")])
    total = html.Tr([html.Td("Total", className="rec-total-label"), html.Td()], className="rec-total-row")
    return [
        html.Div("Weights", className="rec-caption"),
        html.Table([html.Thead(head), html.Tbody([*rows, total])], className="rec-table rec-weights-table"),
    ]
