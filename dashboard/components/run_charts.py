"""Plotly figures of one run's series: the smoothed loss with spikes, progression curves, plain curves.

Names from the run's files reach Plotly only as data (trace ``name``), escaped, because Plotly's SVG text
understands a few HTML-like tags; hover text is a ``hovertemplate`` naming values, never a run's strings.
"""

from __future__ import annotations

import html as html_text
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from ..analysis.curves import (
    DISPLAY_POINTS,
    EMA_SPANS,
    MIN_SMOOTH_POINTS,
    SPIKE_K,
    SPIKE_WINDOW,
    WEBGL_POINTS,
    downsample,
    ema,
    ema_spans,
    finite,
    focus_range,
    is_eval_loss,
    is_train_loss,
    normalise,
    spikes,
)
from ..ingest.base import Series

X_LABELS = {"step": "step", "position": "token position", "row": "row", "epoch": "epoch"}
CHART_HEIGHT = 300
MAX_SPIKE_MARKERS = 500
RAW_COLOUR = "#adb5bd"
# Light to strong blue as the smoothing grows; all readable on the light and the dark theme.
EMA_COLOURS = ("#b6d4fe", "#6ea8fe", "#0d6efd")
EVAL_COLOUR = "#fd7e14"
SPIKE_COLOUR = "#dc3545"
LINE_COLOUR = "#0d6efd"
TEXT_COLOUR = "#7b8590"
GRID_COLOUR = "rgba(128, 128, 128, 0.2)"
# Series about the machine rather than the model: drawn after the others.
_SYSTEM_WORDS = ("runtime", "per_second", "samples_per", "steps_per", "flos", "mem", "epoch", "wps", "eta")


def plot_text(text: str) -> str:
    """Text Plotly shows literally: its SVG labels read ``<b>``-like tags and decode entities."""
    return html_text.escape(str(text), quote=False)


def is_loss_like(name: str) -> bool:
    n = normalise(name)
    return "loss" in n or "perplexity" in n or n.endswith("ppl")


def x_label(series: Series) -> str:
    return X_LABELS.get(series.x_kind, series.x_kind)


def is_drawable(series: Series) -> bool:
    """A chart needs two finite points; one value is shown as a number instead."""
    x, _ = finite(series.x, series.y)
    return x.shape[0] >= 2


def chart_order(names: list[str]) -> list[str]:
    """Loss first, then evaluation curves, learning rate and gradient norm, the rest; machine stats last."""

    def rank(name: str) -> tuple[int, str]:
        n = normalise(name)
        if is_train_loss(name):
            return 0, n
        if is_eval_loss(name):
            return 1, n
        if any(word in n for word in _SYSTEM_WORDS):
            return 5, n
        if n.startswith(("eval", "val", "test")):
            return 2, n
        if "lr" in n.split("_") or "learning_rate" in n or "grad" in n:
            return 3, n
        return 4, n

    return sorted(names, key=rank)


def _scatter(n_raw: int) -> type[go.Scatter] | type[go.Scattergl]:
    return go.Scattergl if n_raw > WEBGL_POINTS else go.Scatter


def _hover(series: Series) -> str:
    return f"%{{fullData.name}}: %{{y:.4g}}<br>{x_label(series)} %{{x:,}}<extra></extra>"


def _figure() -> go.Figure:
    """An empty figure on the empty template: the look is set below, and copying Plotly's default
    template into each of a run's 30 figures costs more than building the figures."""
    return go.Figure(layout={"template": "none"})


def _layout(fig: go.Figure, series: Series, show_legend: bool) -> go.Figure:
    fig.update_layout(
        height=CHART_HEIGHT,
        margin={"l": 56, "r": 12, "t": 8 if not show_legend else 28, "b": 44},
        showlegend=show_legend,
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "left",
            "x": 0,
            "font": {"size": 11},
        },
        hovermode="closest",
        uirevision=series.name,  # a live update keeps the user's zoom
        # Transparent, mid-grey text and grid: the same figure reads on the light and the dark theme.
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 12, "color": TEXT_COLOUR},
    )
    axes = {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR, "zeroline": False}
    fig.update_xaxes(
        title={"text": x_label(series), "standoff": 4}, tickformat="~s", hoverformat=",.6~g", **axes
    )
    # "4e-4", not Plotly's default "400µ", for learning rates.
    fig.update_yaxes(exponentformat="e", **axes)
    return fig


def series_figure(series: Series) -> go.Figure:
    """A plain curve, or a progression mean with its individual samples."""
    x, y = finite(series.x, series.y)
    n_samples = series.samples_x.shape[0] if series.samples_x is not None else 0
    # One trace type per figure: WebGL traces draw above SVG ones, whatever the trace order.
    trace = _scatter(max(x.shape[0], n_samples))
    dx, dy = downsample(x, y, DISPLAY_POINTS)
    fig = _figure()
    has_samples = series.samples_x is not None and series.samples_y is not None
    if has_samples:
        assert series.samples_x is not None and series.samples_y is not None
        sx, sy = finite(series.samples_x, series.samples_y)
        sx, sy = downsample(sx, sy, DISPLAY_POINTS)
        fig.add_trace(
            trace(
                x=sx,
                y=sy,
                mode="markers",
                name=f"samples ({series.samples_x.shape[0]})",
                marker={"size": 4, "color": LINE_COLOUR, "opacity": 0.22},
                hovertemplate=_hover(series),
            )
        )
    fig.add_trace(
        trace(
            x=dx,
            y=dy,
            mode="lines+markers" if dx.shape[0] <= 60 else "lines",
            name="mean" if has_samples else plot_text(series.name),
            line={"color": LINE_COLOUR, "width": 2},
            marker={"size": 5},
            hovertemplate=_hover(series),
        )
    )
    _layout(fig, series, show_legend=has_samples)
    if not has_samples and series.x_kind == "step" and is_loss_like(series.name):
        _focus(fig, y)
    return fig


def loss_figure(loss: Series, eval_loss: Series | None = None) -> go.Figure:
    """The raw loss (faint) under short/medium/long EMAs, spikes marked, the eval loss on top."""
    x, y = finite(loss.x, loss.y)
    n = x.shape[0]
    trace = _scatter(n)
    spans = ema_spans(n)
    fig = _figure()
    rx, ry = downsample(x, y, DISPLAY_POINTS)
    fig.add_trace(
        trace(
            x=rx,
            y=ry,
            mode="lines" if n > 60 else "lines+markers",
            name="raw",
            line={"color": RAW_COLOUR if spans else LINE_COLOUR, "width": 1 if spans else 2},
            marker={"size": 4 if spans else 5},
            opacity=0.7 if spans else 1.0,
            hovertemplate=_hover(loss),
        )
    )
    for span, colour in zip(spans, EMA_COLOURS[-len(spans) :] if spans else (), strict=False):
        sx, sy = downsample(x, ema(y, span), DISPLAY_POINTS)
        fig.add_trace(
            trace(
                x=sx,
                y=sy,
                mode="lines",
                name=f"EMA {span}",
                line={"color": colour, "width": 1.5 if span != spans[-1] else 2.5},
                hovertemplate=_hover(loss),
            )
        )
    if spans:
        _add_spikes(fig, trace, loss, x, y, spans[-1])
    if eval_loss is not None:
        ex, ey = finite(eval_loss.x, eval_loss.y)
        ex, ey = downsample(ex, ey, DISPLAY_POINTS)
        fig.add_trace(
            trace(
                x=ex,
                y=ey,
                mode="lines+markers",
                name=plot_text(eval_loss.name),
                line={"color": EVAL_COLOUR, "width": 2},
                marker={"size": 6 if ex.shape[0] <= 30 else 3},
                hovertemplate=_hover(eval_loss),
            )
        )
    _layout(fig, loss, show_legend=True)
    fig.update_layout(hovermode="x unified")
    _focus(fig, y, finite(eval_loss.x, eval_loss.y)[1] if eval_loss is not None else None)
    return fig


def _focus(fig: go.Figure, y: np.ndarray, keep: np.ndarray | None = None) -> None:
    """Zoom the y axis past a loss's initial drop, saying so (Autoscale in the modebar shows it all)."""
    span = focus_range(y, keep=keep)
    if span is None:
        return
    fig.update_yaxes(range=list(span), autorange=False)
    fig.add_annotation(
        text="↑ first points above the axis (Autoscale shows all)",
        xref="paper",
        yref="paper",
        x=1,
        y=1,
        xanchor="right",
        yanchor="top",
        showarrow=False,
        font={"size": 10, "color": TEXT_COLOUR},
    )


def _add_spikes(
    fig: go.Figure,
    trace: type[go.Scatter] | type[go.Scattergl],
    loss: Series,
    x: np.ndarray,
    y: np.ndarray,
    long_span: int,
) -> None:
    mask = spikes(y, long_span)
    if not mask.any():
        return
    sx, sy = x[mask], y[mask]
    if sx.shape[0] > MAX_SPIKE_MARKERS:
        keep = np.sort(np.argsort(sy)[-MAX_SPIKE_MARKERS:])
        sx, sy = sx[keep], sy[keep]
    fig.add_trace(
        trace(
            x=sx,
            y=sy,
            mode="markers",
            name=f"spikes ({int(mask.sum())})",
            marker={"symbol": "x", "size": 8, "color": SPIKE_COLOUR, "line": {"width": 1}},
            hovertemplate=_hover(loss),
        )
    )


def spike_definition(n_points: int) -> str:
    spans = ema_spans(n_points)
    if not spans:
        return f"Fewer than {MIN_SMOOTH_POINTS} points: drawn as logged, not smoothed; no spike detection."
    return (
        f"EMA spans {', '.join(map(str, spans))} logged points (asked {', '.join(map(str, EMA_SPANS))}; "
        f"at most a quarter of the curve). Spikes: raw points more than {SPIKE_K:g} standard deviations "
        f"of the previous {SPIKE_WINDOW} points above the EMA {spans[-1]} before them."
    )


def figures(
    series: Mapping[str, Series], loss_name: str | None, eval_name: str | None
) -> dict[str, go.Figure]:
    """One figure per drawable series, in display order; the training loss gets the smoothed figure."""
    out: dict[str, go.Figure] = {}
    for name in chart_order([n for n, s in series.items() if is_drawable(s)]):
        if name == loss_name:
            out[name] = loss_figure(series[name], series.get(eval_name) if eval_name else None)
        else:
            out[name] = series_figure(series[name])
    return out
