"""The insights page's cards: what each card shows, built from the shown runs and the page's choices.

Tables (best run per metric, groups, ablations) and the charts' cards (Pareto front, trends,
correlations, group dots, parallel coordinates). Everything from the runs is rendered as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from .. import ids
from ..analysis.directions import metric_direction
from ..analysis.filters import option_text
from ..analysis.insights import Ablation, Best, ablation_pairs, best_per_metric, group_stats, spearman
from ..analysis.insights_view import MAX_LEVELS, Choices, Options, ablation_params, label
from ..analysis.numbers import MISSING, format_number
from ..analysis.pareto import metric_values, pareto_front
from ..analysis.trends import STEP, Fit, fit_line, spans_decades, trajectories, trend_points
from ..analysis.view import parse_view, view_query
from .insights_charts import (
    PALETTE,
    correlation_figure,
    group_bar_figure,
    parallel_figure,
    pareto_figure,
    trajectory_figure,
    trend_figure,
)
from .links import run_link

GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
ARROWS = {"max": "↑", "min": "↓"}
MAX_ABLATION_ROWS = 80
MIN_RUNS_FOR_RHO = 5
MAX_CORRELATION_PARAMS = 20
MAX_GROUP_CHARTS = 6
MAX_TRAJECTORIES = 10


# ---------------------------------------------------------------- small pieces


def empty(text: str) -> html.P:
    return html.P(text, className="text-muted fst-italic mb-0 insights-empty")


def graph(id_: str | None, figure: Any, config: Mapping[str, Any] = GRAPH_CONFIG) -> html.Div:
    """A chart in a box as tall as its figure: a responsive graph takes its container's height."""
    height = figure.layout.height or 420
    kwargs = {"id": id_} if id_ else {}
    return html.Div(
        dcc.Graph(figure=figure, config=dict(config), style={"height": "100%"}, **kwargs),
        className="insights-graph",
        style={"height": f"{height}px"},
    )


def signed(value: float) -> str:
    return ("+" if value > 0 else "") + format_number(value)


# ---------------------------------------------------------------- best per metric


def _names(rows: pd.DataFrame) -> dict[str, str]:
    return dict(zip(rows["run_id"].astype(str), rows["name"].astype(str), strict=True))


def best_section(rows: pd.DataFrame, options: Options, overrides: Mapping[str, str]) -> Any:
    if rows.empty:
        return empty("No runs to rank.")
    return best_table(best_per_metric(rows, overrides), options.metrics, _names(rows), overrides)


def best_table(
    best: Mapping[str, Best], metrics: Sequence[str], names: Mapping[str, str], overrides: Mapping[str, str]
) -> Any:
    """One row per directional metric (table order); the undirected ones listed underneath."""
    rows = []
    undirected = []
    for column in metrics:
        name = label(column)
        found = best.get(name)
        direction = metric_direction(column, overrides)
        if direction is None:
            undirected.append(name)
            continue
        if found is None:
            continue
        margin = "only run with a value" if found.margin is None else format_number(found.margin)
        rows.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Span(name, className="font-monospace"),
                            html.Span(
                                f" {ARROWS[direction]}",
                                className="direction",
                                title="higher is better" if direction == "max" else "lower is better",
                            ),
                        ]
                    ),
                    html.Td(run_link(found.run_id, names.get(found.run_id, found.run_id))),
                    html.Td(format_number(found.value), className="num best-value"),
                    html.Td(margin, className="num margin" + (" muted" if found.margin is None else "")),
                ],
                **{"data-metric": name},
            )
        )
    parts: list[Any] = []
    if rows:
        head = html.Thead(
            html.Tr(
                [
                    html.Th("metric"),
                    html.Th("best run"),
                    html.Th("value", className="num"),
                    html.Th("margin to 2nd", className="num"),
                ]
            )
        )
        parts.append(
            html.Div(
                dbc.Table(
                    [head, html.Tbody(rows)],
                    size="sm",
                    hover=True,
                    className="insights-table best-table mb-2",
                ),
                className="insights-scroll",
            )
        )
    else:
        parts.append(empty("No metric with a known direction among these runs."))
    if undirected:
        parts.append(
            html.P(
                [
                    html.Span(
                        "No known direction (set one in the settings to rank them): ", className="fw-semibold"
                    ),
                    ", ".join(undirected),
                ],
                className="insights-note mb-0 undirected",
            )
        )
    return parts


# ---------------------------------------------------------------- Pareto front


def pareto_section(
    rows: pd.DataFrame, choices: Choices, overrides: Mapping[str, str], search: str | None
) -> Any:
    x, y = choices.pareto
    if x is None or y is None:
        return empty("A Pareto front needs two metrics with a known direction.")
    if x == y:
        return empty("Choose two different metrics.")
    points = pd.DataFrame(
        {
            "run_id": rows["run_id"].astype(str),
            "name": rows["name"].astype(str),
            "x": metric_values(rows, x),
            "y": metric_values(rows, y),
        }
    ).dropna(subset=["x", "y"])
    if points.empty:
        return empty(f"No run has both {label(x)} and {label(y)}.")
    front = pareto_front(rows, x, y, overrides)
    view = parse_view(search)
    view.filters = {**view.filters, "pareto": [x, y]}
    link = dcc.Link(
        "Show non-dominated runs in the table", href="/" + view_query(view), id=ids.INSIGHTS_PARETO_LINK
    )
    caption = (
        f"{len(front)} of {len(points)} runs with both metrics are non-dominated: no other run is at least as "
        f"good on both and better on one. Dominated runs are faded."
    )
    return [
        html.Div(
            [html.Span(caption, className="insights-note me-3"), link],
            className="d-flex flex-wrap align-items-baseline mb-1",
        ),
        graph(ids.INSIGHTS_PARETO_CHART, pareto_figure(points, front, x, y, overrides)),
    ]


# ---------------------------------------------------------------- trends


def fit_text(fit: Fit | None, x_name: str, y_name: str) -> str:
    if fit is None:
        return "No trend line: fewer than two distinct x values."
    unit = (
        f"per decade of {x_name} (log x: it spans two decades or more)"
        if fit.log_x
        else f"per unit of {x_name}"
    )
    r2 = f", R² {fit.r2:.2f}" if fit.r2 is not None else ""
    return f"Least-squares line over {fit.n} runs: {y_name} changes {signed(fit.slope)} {unit}{r2}."


def _x_title(x: str) -> str:
    return "step (each run's last)" if x == STEP else label(x)


def trend_chart(rows: pd.DataFrame, choices: Choices) -> list[Any]:
    y, x = choices.trend_y, choices.trend_x
    if y is None or x is None:
        return [empty("Trends need a metric and a numeric param or steps that vary.")]
    points = trend_points(rows, y, x, choices.trend_colour)
    if points.empty:
        return [empty(f"No run has both {label(y)} and {_x_title(x)}.")]
    fit = fit_line(points["x"], points["y"], log_x=spans_decades(points["x"]))
    colour = label(choices.trend_colour) if choices.trend_colour else None
    figure = trend_figure(points, fit, _x_title(x), label(y), colour)
    return [
        html.H6(f"{label(y)} against {_x_title(x)}", className="insights-subtitle"),
        graph(ids.INSIGHTS_TREND_CHART, figure),
        html.P(fit_text(fit, label(x), label(y)), className="insights-note mb-0 fit-text"),
    ]


def trajectory_chart(lines: Mapping[str, pd.DataFrame], metric: str | None, dropped: int) -> list[Any]:
    if metric is None:
        return []
    title = html.H6(f"Checkpoint trajectories: {label(metric)} against step", className="insights-subtitle")
    if not lines:
        return [
            title,
            empty("No experiment has two or more checkpoints (or a logged curve) with this metric."),
        ]
    note = "One line per experiment, through its checkpoints (or the run's own logged curve)."
    if dropped:
        note += f" {dropped} more experiments not drawn (those with the most points are)."
    return [
        title,
        graph(ids.INSIGHTS_TRAJECTORY_CHART, trajectory_figure(lines, label(metric))),
        html.P(note, className="insights-note mb-0"),
    ]


def pick_trajectories(rows: pd.DataFrame, metric: str | None) -> tuple[dict[str, pd.DataFrame], int]:
    """Checkpoint lines of the experiments with the most points, at most ``MAX_TRAJECTORIES``; and how many were left."""
    if metric is None:
        return {}, 0
    return trajectories(rows, metric, limit=MAX_TRAJECTORIES)


def trends_section(
    rows: pd.DataFrame, choices: Choices, lines: Mapping[str, pd.DataFrame], dropped: int
) -> Any:
    return dbc.Row(
        [
            dbc.Col(trend_chart(rows, choices), xl=7),
            dbc.Col(trajectory_chart(lines, choices.trend_y, dropped), xl=5),
        ],
        className="g-3",
    )


# ---------------------------------------------------------------- correlations


def correlation_section(rows: pd.DataFrame, choices: Choices, options: Options) -> Any:
    params = list(options.x_axes[:MAX_CORRELATION_PARAMS])
    metrics = list(choices.metrics)
    if not params or not metrics:
        return empty("Correlations need numeric params that vary and at least one chosen metric.")
    corr, counts = spearman(rows, params, metrics, min_runs=MIN_RUNS_FOR_RHO)
    corr.index = [_x_title(p) if p == STEP else label(p) for p in params]
    counts.index = corr.index
    shared = (
        counts.max(axis=1) > 0
    )  # a param no run shares with these metrics (another source's) says nothing
    corr, counts = corr[shared], counts[shared]
    if corr.empty:
        return empty("No run has both a numeric param that varies and one of the chosen metrics.")
    return [
        html.P(
            f"Spearman rank correlation of each numeric param with each metric; n is the number of runs having "
            f"both. Grey cells have fewer than {MIN_RUNS_FOR_RHO} such runs or a constant side.",
            className="insights-note",
        ),
        graph(ids.INSIGHTS_CORRELATION_CHART, correlation_figure(corr, counts, MIN_RUNS_FOR_RHO)),
    ]


# ---------------------------------------------------------------- groups


def group_table(stats: Mapping[str, pd.DataFrame], group: str) -> Any:
    """Rows: group values (natural order of the first metric's index); per metric mean ± std (n)."""
    metrics = [m for m, s in stats.items() if len(s)]
    if not metrics:
        return empty("No run has both the group param and a chosen metric.")
    values: list[Any] = []
    for m in metrics:
        values.extend(v for v in stats[m].index if v not in values)
    head = html.Thead(
        html.Tr([html.Th(label(group)), *[html.Th(label(m), className="num") for m in metrics]])
    )
    body = []
    for value in values:
        cells: list[Any] = [html.Td(option_text(value), className="font-monospace group-value")]
        for m in metrics:
            s = stats[m]
            if value not in s.index:
                cells.append(html.Td(MISSING, className="num muted"))
                continue
            mean, std, count = (
                float(s.at[value, "mean"]),
                float(s.at[value, "std"]),
                int(s.at[value, "count"]),
            )
            spread = "" if math.isnan(std) else f" ± {format_number(std)}"
            cells.append(
                html.Td(
                    [format_number(mean) + spread, html.Span(f" n={count}", className="count")],
                    className="num",
                )
            )
        body.append(html.Tr(cells))
    return html.Div(
        dbc.Table([head, html.Tbody(body)], size="sm", hover=True, className="insights-table group-table"),
        className="insights-scroll",
    )


def groups_section(rows: pd.DataFrame, choices: Choices) -> Any:
    if choices.group is None:
        return empty("No param splits these runs into a few groups.")
    if not choices.metrics:
        return empty("Choose metrics above.")
    stats = {m: group_stats(rows, choices.group, m) for m in choices.metrics}
    tiles = []
    for i, (metric, table) in enumerate(list(stats.items())[:MAX_GROUP_CHARTS]):
        if len(table):
            tiles.append(
                html.Div(
                    [
                        html.Div(label(metric), className="bar-title", title=label(metric)),
                        graph(
                            None,
                            group_bar_figure(table, PALETTE[i % len(PALETTE)]),
                            {**GRAPH_CONFIG, "displayModeBar": False},
                        ),
                    ],
                    className="bar-tile",
                )
            )
    return [
        html.P(
            "Mean ± sample standard deviation and run count per group: repeated seeds aggregate into one line.",
            className="insights-note",
        ),
        group_table(stats, choices.group),
        html.Div(tiles, className="insights-bar-grid mt-2"),
    ]


# ---------------------------------------------------------------- ablations


def _tone(delta: float, direction: str | None) -> str:
    if math.isnan(delta) or delta == 0 or direction is None:
        return "delta-neutral"
    return "delta-better" if (delta > 0) == (direction == "max") else "delta-worse"


def ablation_table(effects: Sequence[Ablation], metrics: Sequence[str], overrides: Mapping[str, str]) -> Any:
    if not effects:
        return empty("No two runs differ in exactly one param.")
    names = [label(m) for m in metrics]
    head = html.Thead(
        html.Tr(
            [html.Th("param"), html.Th("change"), html.Th("pairs", className="num")]
            + [html.Th(f"Δ {n}", className="num") for n in names]
        )
    )
    rows = []
    for e in effects[:MAX_ABLATION_ROWS]:
        cells: list[Any] = [
            html.Td(e.param, className="font-monospace"),
            html.Td(f"{option_text(e.before)} → {option_text(e.after)}", className="font-monospace change"),
            html.Td(str(e.pairs), className="num"),
        ]
        for column, name in zip(metrics, names, strict=True):
            delta = e.deltas.get(name, math.nan)
            text = MISSING if math.isnan(delta) else signed(delta)
            cells.append(html.Td(text, className=f"num {_tone(delta, metric_direction(column, overrides))}"))
        rows.append(html.Tr(cells))
    parts: list[Any] = [
        html.Div(
            dbc.Table(
                [head, html.Tbody(rows)], size="sm", hover=True, className="insights-table ablation-table"
            ),
            className="insights-scroll",
        )
    ]
    if len(effects) > MAX_ABLATION_ROWS:
        parts.append(
            html.P(
                f"First {MAX_ABLATION_ROWS} of {len(effects)} changes shown.", className="insights-note mb-0"
            )
        )
    return parts


def ablations_section(rows: pd.DataFrame, choices: Choices, overrides: Mapping[str, str]) -> Any:
    if not choices.metrics:
        return empty("Choose metrics above.")
    considered, labels = ablation_params(rows)
    effects = ablation_pairs(rows, considered, choices.metrics, max_levels=MAX_LEVELS)
    note = (
        "Pairs of runs equal in every param (and step) but one; the mean change in each metric when that param "
        "changes (after − before), over the pairs found. Green: better by the metric's direction; red: worse."
    )
    parts: list[Any] = [html.P(note, className="insights-note")]
    if labels:
        parts.append(
            html.P(
                "Ignored as run labels (one value per experiment): " + ", ".join(label(c) for c in labels),
                className="insights-note",
            )
        )
    parts.append(html.Div(ablation_table(effects, choices.metrics, overrides)))
    return parts


# ---------------------------------------------------------------- parallel coordinates and the summary


def parallel_section(rows: pd.DataFrame, choices: Choices) -> Any:
    columns = [*choices.params, *choices.metrics]
    if len(columns) < 2:
        return empty("Choose at least two params or metrics.")
    complete = rows.dropna(subset=columns)
    if complete.empty:
        return empty("No run has every chosen value.")
    colour = f" Colour: {label(choices.metrics[0])}." if choices.metrics else ""
    return [
        html.P(
            f"{len(complete)} of {len(rows)} runs have every chosen value. Drag along an axis to highlight a range.{colour}",
            className="insights-note",
        ),
        graph(
            ids.INSIGHTS_PARALLEL_CHART,
            parallel_figure(complete, list(choices.params), list(choices.metrics)),
        ),
    ]


def summary(shown: int, total: int, chips: Sequence[str], error: str | None) -> Any:
    parts: list[Any] = [
        html.Span(
            f"Insights on {shown} of {total} run" + ("" if total == 1 else "s"), className="fw-semibold"
        )
    ]
    if chips:
        parts.append(html.Span(" · filtered by " + "; ".join(chips), className="text-muted"))
    else:
        parts.append(html.Span(" · all runs (filter them on the runs page)", className="text-muted"))
    if error:
        parts.append(html.Div(error, className="text-danger small"))
    return parts
