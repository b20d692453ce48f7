"""Figures of the insights page: Pareto scatter, trend and trajectories, Spearman heatmap, group dots,
parallel coordinates (the cards built on them are in ``insights_cards``).

Every string from the runs (names, param values, metric names) reaches Plotly escaped (``plot_text``)
and as data: hover templates hold only ``%{...}`` placeholders and fixed words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..analysis.directions import metric_direction
from ..analysis.filters import natural_key, option_text
from ..analysis.insights_view import label
from ..analysis.trends import Fit, line_points
from .compare_charts import shorten
from .figures import base_layout, grid_axes
from .run_charts import TEXT_COLOUR, plot_text

# Okabe–Ito, then a grey: distinguishable for colour-blind readers, readable on both themes.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#999999")
FRONT_COLOUR = "#D55E00"
DOMINATED_COLOUR = "#8c96a0"
FIT_COLOUR = "#6c757d"
WEBGL_POINTS = 2000  # more markers than this: WebGL
MAX_LABELS = 40  # front runs labelled on the chart; more are named on hover only
LABEL_CHARS = 32
LEGEND_CHARS = 30
CHART_HEIGHT = 420
BAR_HEIGHT = 230


def _base(fig: go.Figure, height: int) -> go.Figure:
    """The shared look, room for axis titles, the legend in a row above the plot."""
    base_layout(fig, height)
    fig.update_layout(
        margin={"l": 64, "r": 16, "t": 16, "b": 56},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
    )
    return grid_axes(fig, automargin=True)


def _scatter(n: int) -> type[go.Scatter] | type[go.Scattergl]:
    return go.Scattergl if n > WEBGL_POINTS else go.Scatter


def axis_title(metric: str, overrides: Mapping[str, str]) -> str:
    direction = metric_direction(metric, overrides)
    arrow = {"max": " (higher is better ↑)", "min": " (lower is better ↓)"}.get(direction or "", "")
    return plot_text(label(metric)) + arrow


# ---------------------------------------------------------------- Pareto


def staircase(points: pd.DataFrame, x_max: bool, y_max: bool) -> tuple[list[float], list[float]]:
    """The front's step line: consecutive front points (by x) joined through their worse corner."""
    ordered = points.sort_values(["x", "y"]).reset_index(drop=True)
    xs: list[float] = []
    ys: list[float] = []
    for i, row in ordered.iterrows():
        if i:
            prev = ordered.iloc[int(i) - 1]  # type: ignore[call-overload]
            xs.append(min(prev.x, row.x) if x_max else max(prev.x, row.x))
            ys.append(min(prev.y, row.y) if y_max else max(prev.y, row.y))
        xs.append(float(row.x))
        ys.append(float(row.y))
    return xs, ys


def label_positions(xs: Sequence[float]) -> list[str]:
    """Above and below in turn along x, so neighbouring names on a tight front do not overprint."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    positions = [""] * len(xs)
    for rank, i in enumerate(order):
        positions[i] = "top center" if rank % 2 == 0 else "bottom center"
    return positions


def pareto_figure(
    points: pd.DataFrame, front: set[str], x: str, y: str, overrides: Mapping[str, str]
) -> go.Figure:
    """``points``: run_id, name, x, y. Front runs labelled with their names and joined; the others faded."""
    on_front = points["run_id"].isin(front)
    dominated, best = points[~on_front], points[on_front]
    fig = go.Figure()
    fig.add_trace(
        _scatter(len(dominated))(
            x=dominated["x"],
            y=dominated["y"],
            mode="markers",
            name="dominated",
            text=[plot_text(n) for n in dominated["name"]],
            marker={"color": DOMINATED_COLOUR, "size": 7, "opacity": 0.35},
            hovertemplate="%{text}<br>%{x:.4g}, %{y:.4g}<extra>dominated</extra>",
        )
    )
    if len(best):
        step_x, step_y = staircase(
            best, metric_direction(x, overrides) == "max", metric_direction(y, overrides) == "max"
        )
        fig.add_trace(
            go.Scatter(
                x=step_x,
                y=step_y,
                mode="lines",
                name="front",
                line={"color": FRONT_COLOUR, "width": 1.5, "dash": "dot"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        labelled = len(best) <= MAX_LABELS
        fig.add_trace(
            go.Scatter(
                x=best["x"],
                y=best["y"],
                mode="markers+text" if labelled else "markers",
                name="non-dominated",
                text=[plot_text(shorten(n, LABEL_CHARS)) for n in best["name"]],
                hovertext=[plot_text(n) for n in best["name"]],
                textposition=label_positions(best["x"].tolist()),
                textfont={"size": 11, "color": TEXT_COLOUR},
                cliponaxis=False,
                marker={"color": FRONT_COLOUR, "size": 10, "line": {"color": "white", "width": 1}},
                hovertemplate="%{hovertext}<br>%{x:.4g}, %{y:.4g}<extra>non-dominated</extra>",
            )
        )
    _base(fig, CHART_HEIGHT)
    fig.update_layout(xaxis_title=axis_title(x, overrides), yaxis_title=axis_title(y, overrides))
    return fig


# ---------------------------------------------------------------- trends


def _colour_order(labels: Sequence[str]) -> list[str]:
    distinct = sorted(set(labels), key=lambda t: (t in ("other", "—"), natural_key(t)))
    return distinct


def trend_figure(
    points: pd.DataFrame, fit: Fit | None, x_title: str, y_title: str, colour_title: str | None
) -> go.Figure:
    """``points`` from ``trends.trend_points``; one trace per colour group, the fitted line dashed."""
    fig = go.Figure()
    groups = _colour_order(points["colour"].tolist()) if len(points) else []
    for i, group in enumerate(groups):
        rows = points[points["colour"] == group]
        fig.add_trace(
            _scatter(len(rows))(
                x=rows["x"],
                y=rows["y"],
                mode="markers",
                name=plot_text(shorten(f"{colour_title} = {group}", LEGEND_CHARS))
                if colour_title
                else "runs",
                text=[plot_text(n) for n in rows["name"]],
                marker={"color": PALETTE[i % len(PALETTE)], "size": 9, "opacity": 0.85},
                hovertemplate="%{text}<br>x %{x:.4g}<br>y %{y:.4g}<extra></extra>",
                showlegend=bool(colour_title),
            )
        )
    if fit is not None and len(points):
        line_x, line_y = line_points(fit, float(points["x"].min()), float(points["x"].max()))
        fig.add_trace(
            go.Scatter(
                x=line_x,
                y=line_y,
                mode="lines",
                name="least-squares line",
                line={"color": FIT_COLOUR, "width": 2, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    _base(fig, CHART_HEIGHT)
    fig.update_layout(xaxis_title=plot_text(x_title), yaxis_title=plot_text(y_title))
    if fit is not None and fit.log_x:
        fig.update_xaxes(type="log", exponentformat="e")
    return fig


def trajectory_figure(lines: Mapping[str, pd.DataFrame], y_title: str) -> go.Figure:
    """One line per experiment (``step``, ``y``), in the palette's order."""
    fig = go.Figure()
    for i, (experiment, rows) in enumerate(lines.items()):
        fig.add_trace(
            go.Scatter(
                x=rows["step"],
                y=rows["y"],
                mode="lines+markers" if len(rows) <= 60 else "lines",
                name=plot_text(shorten(experiment, LEGEND_CHARS)),
                meta=plot_text(experiment),
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                marker={"size": 6},
                hovertemplate="%{meta}<br>step %{x}<br>%{y:.4g}<extra></extra>",
            )
        )
    _base(fig, CHART_HEIGHT)
    fig.update_layout(
        xaxis_title="step",
        yaxis_title=plot_text(y_title),
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "font": {"size": 11}},
        margin={"r": 8, "b": 8},
    )
    return fig


# ---------------------------------------------------------------- correlations


def correlation_figure(corr: pd.DataFrame, counts: pd.DataFrame, min_runs: int) -> go.Figure:
    """Spearman ρ per (param, metric); every cell says its run count; cells without a ρ are grey."""
    params = [plot_text(p) for p in corr.index]
    metrics = [plot_text(m) for m in corr.columns]
    z = corr.to_numpy(dtype="float64")
    n = counts.to_numpy(dtype="int64")
    missing = np.isnan(z)
    why = np.where(
        n < min_runs,
        np.char.add(np.char.add("too few runs (fewer than ", str(min_runs)), ")"),
        "one side is constant",
    )
    text = np.char.add("n=", n.astype(str))
    rho_text = np.array(
        [
            [f"ρ {v:+.2f}<br>n={c}" if not math.isnan(v) else f"n={c}" for v, c in zip(zr, cr, strict=True)]
            for zr, cr in zip(z, n, strict=True)
        ]
    )
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=np.where(missing, 0.0, np.nan),
            x=metrics,
            y=params,
            text=text,
            customdata=why,
            texttemplate="%{text}",
            colorscale=[[0, "rgba(128,128,128,0.25)"], [1, "rgba(128,128,128,0.25)"]],
            showscale=False,
            hoverongaps=False,
            hovertemplate="%{y} × %{x}<br>%{text}: %{customdata}<extra>no ρ</extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=metrics,
            y=params,
            text=rho_text,
            texttemplate="%{text}",
            customdata=n,
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            colorbar={"title": {"text": "ρ"}, "thickness": 12},
            hoverongaps=False,
            hovertemplate="%{y} × %{x}<br>Spearman ρ %{z:+.3f}<br>%{customdata} runs<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    _base(fig, max(220, 46 * len(params) + 120))
    fig.update_layout(margin={"l": 8, "r": 8, "t": 8, "b": 8})
    fig.update_xaxes(side="top", tickangle=-30, showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return fig


# ---------------------------------------------------------------- groups


def group_bar_figure(stats: pd.DataFrame, colour: str) -> go.Figure:
    """One metric's mean per group as a dot, ± one standard deviation (none for a group of one).

    Dots rather than bars: groups often differ by less than a bar's height from zero would show.
    """
    labels = [plot_text(shorten(option_text(v), 18)) for v in stats.index]
    errors = [0.0 if math.isnan(s) else s for s in stats["std"]]
    fig = go.Figure(
        go.Scatter(
            x=labels,
            y=stats["mean"],
            mode="markers",
            error_y={"type": "data", "array": errors, "color": colour, "thickness": 1.5, "width": 6},
            customdata=np.column_stack([stats["count"].to_numpy(), stats["std"].to_numpy()]),
            marker={"color": colour, "size": 10},
            hovertemplate="%{x}<br>mean %{y:.4g}<br>std %{customdata[1]:.3g}<br>%{customdata[0]} runs<extra></extra>",
        )
    )
    _base(fig, BAR_HEIGHT)
    fig.update_layout(margin={"l": 52, "r": 8, "t": 8, "b": 8}, showlegend=False)
    fig.update_xaxes(type="category")
    return fig


# ---------------------------------------------------------------- parallel coordinates


def parallel_figure(frame: pd.DataFrame, params: Sequence[str], metrics: Sequence[str]) -> go.Figure:
    """One axis per param then metric; text and yes/no params as categories with their labels; lines
    coloured by the first metric. ``frame`` holds only complete rows."""
    dimensions = []
    for column in [*params, *metrics]:
        values = frame[column]
        title = plot_text(shorten(label(column), 24))
        numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)
        if numeric:
            dimensions.append({"label": title, "values": values.astype("float64").tolist()})
            continue
        texts = [option_text(v) for v in values]
        categories = sorted(set(texts), key=natural_key)
        index = {t: i for i, t in enumerate(categories)}
        dimensions.append(
            {
                "label": title,
                "values": [index[t] for t in texts],
                "tickvals": list(range(len(categories))),
                "ticktext": [plot_text(shorten(t, 22)) for t in categories],
                "range": [-0.25, len(categories) - 0.75] if len(categories) > 1 else [-1, 1],
            }
        )
    colour = frame[metrics[0]].astype("float64") if metrics else None
    line: dict[str, object] = {"color": PALETTE[0]}
    if colour is not None:
        line = {
            "color": colour.tolist(),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"thickness": 10},
        }
    fig = go.Figure(
        go.Parcoords(dimensions=dimensions, line=line, labelfont={"size": 12}, tickfont={"size": 10})
    )
    _base(fig, CHART_HEIGHT)
    fig.update_layout(margin={"l": 64, "r": 64, "t": 56, "b": 24})
    return fig
