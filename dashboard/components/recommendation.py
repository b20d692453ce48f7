"""The recommendation card: which run to pick among those shown, and why.

Three parts redraw separately so moving a slider never rebuilds the slider under the
pointer: the controls (preset, rules, weights) are rebuilt only when what they offer
changes; the headline, breakdown, reasons and footer follow every change. Weights and
breakdown sit side by side in rows of one height, so each slider lines up with what it
does to the winner and the runner-up. Everything from the runs is rendered as text.
The controls (toolbar, weight sliders) are built in ``recommendation_controls.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from dash import dcc, html

from .. import ids
from ..analysis.numbers import format_number
from ..analysis.recommend_view import MAX_SCORED_RUNS, SENSITIVITY_DELTA, Recommendation
from ..analysis.scoring import RunScore, ScoreResult
from .links import run_href
from .recommendation_controls import controls_key, toolbar, weights_table

PERCENT = format_number(round(100 * SENSITIVITY_DELTA, 6))


def _run_link(run: RunScore, className: str = "") -> dcc.Link:
    return dcc.Link(run.name, href=run_href(run.run_id), title=run.run_id, className=f"run-link {className}")


def _points(value: float) -> str:
    return f"{value:.1f}"


# ---------------------------------------------------------------- result


def _sensitivity_text(recommendation: Recommendation, names: Mapping[str, str]) -> tuple[bool, str]:
    found = recommendation.sensitivity
    if found.stable:
        return True, f"Stable: no weight moved ±{PERCENT}% changes the winner."
    flips = "; ".join(
        f"{move} on {metric} → {names.get(run_id, run_id)} wins" for metric, move, run_id in found.flips
    )
    return False, f"Fragile: {flips}."


def _names(recommendation: Recommendation, names: Mapping[str, str]) -> dict[str, str]:
    return {**names, **{run.run_id: run.name for run in recommendation.result.ranking}}


def headline(recommendation: Recommendation, names: Mapping[str, str]) -> list[Any]:
    """The one line the collapsed card still shows."""
    result, plan = recommendation.result, recommendation.plan
    if recommendation.too_many is not None:
        return [
            html.Span(
                f"Not scored: {recommendation.too_many:,} runs shown, at most {MAX_SCORED_RUNS:,}. "
                "Filter the runs to get a recommendation.",
                className="text-muted",
            )
        ]
    if plan.prompt:
        return [html.Span(plan.prompt, className="text-muted")]
    winner, runner_up = result.winner, result.runner_up
    if winner is None:
        return [html.Span("No run can be ranked with these rules (see why below).", className="text-muted")]
    stable, text = _sensitivity_text(recommendation, _names(recommendation, names))
    parts: list[Any] = [
        html.Span("★", className="rec-star", title="recommended"),
        _run_link(winner, "rec-winner"),
        html.Span(_points(winner.total), className="rec-score-badge"),
    ]
    if runner_up is not None:
        parts += [
            html.Span("runner-up", className="rec-sep"),
            _run_link(runner_up, "rec-runner-up"),
            html.Span(_points(runner_up.total), className="rec-score-badge muted"),
        ]
    parts.append(
        html.Span(
            "Stable" if stable else "Fragile",
            className="badge rec-stability " + ("text-bg-success" if stable else "text-bg-warning"),
            title=text,
        )
    )
    return parts


def _part_cells(run: RunScore | None, metric: str) -> list[html.Td]:
    part = run.parts.get(metric) if run is not None else None
    if part is None:
        return [html.Td("—", className="rec-num missing"), html.Td("—", className="rec-num missing")]
    value, weighted = part
    return [html.Td(f"{value:.2f}", className="rec-num"), html.Td(_points(weighted), className="rec-num pts")]


def breakdown_table(recommendation: Recommendation) -> html.Div | None:
    """Per criterion: its share of the weight, then normalised score and points for winner and runner-up."""
    criteria = recommendation.plan.spec.criteria
    winner, runner_up = recommendation.result.winner, recommendation.result.runner_up
    if not criteria or winner is None:
        return None
    scored = {m for run in recommendation.result.ranking for m in run.parts}
    total_weight = sum(c.weight for c in criteria if c.metric in scored) or 1.0
    rows = []
    for criterion in criteria:
        used = criterion.metric in scored
        share = f"{100 * criterion.weight / total_weight:.0f}%" if used else "—"
        cells = [html.Td(share, className="rec-num share" + ("" if used else " missing"))]
        rows.append(
            html.Tr(
                [*cells, *_part_cells(winner, criterion.metric), *_part_cells(runner_up, criterion.metric)]
            )
        )
    score_tip = "normalised 0–1: 1 = best of the ranked runs"
    points_tip = "points: share × normalised score × 100"
    head = html.Tr(
        [
            html.Th("Share", className="rec-num", title="the criterion's share of the total weight"),
            html.Th("★ 0–1", className="rec-num", title=score_tip),
            html.Th("pts", className="rec-num", title=points_tip),
            html.Th("2nd 0–1", className="rec-num", title=score_tip),
            html.Th("pts", className="rec-num", title=points_tip),
        ]
    )
    second_total = _points(runner_up.total) if runner_up is not None else "—"
    total = html.Tr(
        [
            html.Td("100%", className="rec-num share"),
            html.Td(),
            html.Td(_points(winner.total), className="rec-num rec-total"),
            html.Td(),
            html.Td(second_total, className="rec-num rec-total"),
        ],
        className="rec-total-row",
    )
    return html.Div(
        [
            html.Div("Breakdown", className="rec-caption"),
            html.Table(
                [html.Thead(head), html.Tbody([*rows, total])], className="rec-table rec-breakdown-table"
            ),
        ],
        className="rec-breakdown",
    )


def _reasons(label: str, run: RunScore, place: str) -> html.Div:
    return html.Div(
        [
            html.Div([html.Span(place, className="rec-place"), _run_link(run)], className="rec-why-head"),
            html.Ul([html.Li(reason) for reason in run.reasons] or [html.Li("no ranked difference")]),
        ],
        className="rec-why-run",
        title=label,
    )


def why(recommendation: Recommendation, names: Mapping[str, str]) -> html.Div:
    result, plan = recommendation.result, recommendation.plan
    if recommendation.too_many is not None or plan.prompt or result.winner is None:
        message = plan.prompt or "Nothing to rank: every run shown was left out."
        if recommendation.too_many is not None:
            message = (
                f"Scoring covers at most {MAX_SCORED_RUNS:,} runs; {recommendation.too_many:,} are shown."
            )
        return html.Div(html.P(message, className="mb-0 text-muted"), className="rec-why")
    children: list[Any] = [html.Div("Why", className="rec-caption"), _reasons("winner", result.winner, "★")]
    if result.runner_up is not None:
        children.append(_reasons("runner-up", result.runner_up, "2nd"))
    stable, text = _sensitivity_text(recommendation, _names(recommendation, names))
    children.append(html.Div(text, className="rec-sensitivity " + ("stable" if stable else "fragile")))
    return html.Div(children, className="rec-why")


MAX_LISTED = 50  # runs named in "Not ranked"; the rest are counted


def _details(summary: str, items: Sequence[Any], className: str) -> html.Details:
    return html.Details(
        [html.Summary(summary), html.Ul([html.Li(item) for item in items])], className=f"rec-more {className}"
    )


def footer(recommendation: Recommendation, names: Mapping[str, str]) -> list[Any]:
    """How it is scored (rules), who is left out and why, and notes: each a collapsed list."""
    result, plan = recommendation.result, recommendation.plan
    out: list[Any] = []
    if result.rules_text:
        out.append(_details("How it is scored", result.rules_text, "rec-rules"))
    if result.excluded:
        items = [
            [
                html.Span(names.get(run_id, run_id), className="rec-excluded-name", title=run_id),
                f" — {reason}",
            ]
            for run_id, reason in result.excluded[:MAX_LISTED]
        ]
        count = len(result.excluded)
        if count > MAX_LISTED:  # thousands of lines would weigh megabytes and help no one
            items.append([f"… and {count - MAX_LISTED:,} more (filter the table to narrow the contest)"])
        out.append(_details(f"Not ranked ({count} run{'' if count == 1 else 's'})", items, "rec-excluded"))
    notes = [*plan.notes, *result.notes]
    if notes:
        out.append(_details(f"Notes ({len(notes)})", notes, "rec-notes"))
    return out


def result_parts(recommendation: Recommendation, names: Mapping[str, str]) -> list[Any]:
    """What follows every change: the breakdown and the reasons (beside the weights)."""
    table = breakdown_table(recommendation)
    return [*([table] if table is not None else []), why(recommendation, names)]


def name_tips(result: ScoreResult, run_ids: Collection[str]) -> dict[str, str]:
    """The name cell's tooltip for scored runs: place, total and reasons in words."""
    count = len(result.ranking)
    tips: dict[str, str] = {}
    for place, run in enumerate(result.ranking, start=1):
        if run.run_id not in run_ids:
            continue
        title = f"★ Recommended: {run.name}" if place == 1 else f"{run.name} — #{place} of {count}"
        reasons = "; ".join(run.reasons)
        tips[run.run_id] = f"{title} (score {_points(run.total)})" + (f": {reasons}" if reasons else "")
    return tips


# ---------------------------------------------------------------- the card


def recommendation_card(
    recommendation: Recommendation, names: Mapping[str, str], result_key: str | None = None
) -> html.Div:
    plan = recommendation.plan
    return html.Div(
        [
            html.Details(
                [
                    html.Summary(
                        [
                            html.Span("Recommendation", className="rec-title"),
                            html.Span(
                                headline(recommendation, names), id=ids.REC_HEADLINE, className="rec-headline"
                            ),
                        ],
                        className="rec-summary",
                    ),
                    html.Div(
                        [
                            html.Div(toolbar(plan), id=ids.REC_TOOLBAR, className="rec-toolbar"),
                            html.Div(
                                [
                                    html.Div(
                                        weights_table(plan), id=ids.REC_WEIGHTS, className="rec-weights"
                                    ),
                                    html.Div(
                                        result_parts(recommendation, names),
                                        id=ids.REC_RESULT,
                                        className="rec-result",
                                    ),
                                ],
                                className="rec-grid",
                            ),
                            html.Div(
                                footer(recommendation, names), id=ids.REC_FOOTER, className="rec-footer"
                            ),
                        ],
                        className="rec-body",
                    ),
                ],
                open=True,
                className="rec-details",
            ),
            dcc.Store(id=ids.REC_CONTROLS_KEY, data=controls_key(plan)),
            dcc.Store(id=ids.REC_RESULT_KEY, data=result_key),
        ],
        id=ids.RECOMMENDATION,
        className="card rec-card mb-2",
    )
