"""Figures of the comparison page: bars per metric, a radar of normalised metrics, overlaid curves.

Each run keeps its colour (selection order, ``RUN_COLOURS``) on every chart. Run names reach Plotly
escaped (``plot_text``): legend names are shortened, and the full name is in the hover label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ..analysis.compare import Summary, SummaryRow
from ..analysis.curves import DISPLAY_POINTS, WEBGL_POINTS, downsample, ema, ema_spans, finite, normalise
from ..analysis.intervals import Estimate
from ..ingest.base import Series
from .figures import base_layout, grid_axes
from .run_charts import GRID_COLOUR, TEXT_COLOUR, plot_text, x_label

LEGEND_CHARS = 28
MAX_BARS = 12  # metrics drawn as bars; the table has them all
MAX_RADAR_AXES = 12
BAR_HEIGHT = 220
CURVE_HEIGHT = 320
RAW_OPACITY = 0.25


@dataclass(frozen=True)
class RunStyle:
    """How one compared run is drawn: its (unique) name and colour."""

    run_id: str
    name: str
    colour: str

    @property
    def short(self) -> str:
        return shorten(self.name, LEGEND_CHARS)


def shorten(text: str, limit: int) -> str:
    """The start and the end of a long name (runs often differ only at the end)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 5
    return text[:head] + "…" + text[-(limit - 1 - head) :]


# ---------------------------------------------------------------- bars


def bar_rows(summary: Summary) -> list[SummaryRow]:
    """The rows worth a bar chart: at least two runs have a value; directional ones first (table order)."""
    rows = [r for r in summary.rows if sum(c.estimate is not None for c in r.cells) >= 2]
    return rows[:MAX_BARS]


def bar_figure(row: SummaryRow, styles: Sequence[RunStyle]) -> go.Figure:
    """One metric, runs side by side in their colours, the 95% interval as error bars where known."""
    fig = go.Figure()
    for cell, style in zip(row.cells, styles, strict=True):
        e = cell.estimate
        if e is None:
            continue
        error = None
        if e.low is not None and e.high is not None:
            error = {
                "type": "data",
                "symmetric": False,
                "array": [max(e.high - e.value, 0.0)],
                "arrayminus": [max(e.value - e.low, 0.0)],
                "color": TEXT_COLOUR,
                "thickness": 1.2,
                "width": 6,
            }
        fig.add_trace(
            go.Bar(
                x=[plot_text(style.short)],
                y=[e.value],
                marker={"color": style.colour},
                error_y=error,
                meta=plot_text(style.name),
                hovertemplate="%{meta}<br>%{y:.4g}<extra></extra>",
                showlegend=False,
            )
        )
    base_layout(fig, BAR_HEIGHT)
    fig.update_layout(margin={"l": 48, "r": 8, "t": 8, "b": 8}, bargap=0.25)
    grid_axes(fig)
    fig.update_xaxes(showticklabels=False)
    values = [c.estimate.value for c in row.cells if c.estimate is not None]
    if values and min(values) > 0 and max(values) <= 1 and row.direction == "max":
        fig.update_yaxes(rangemode="tozero")
    return fig


# ---------------------------------------------------------------- radar


def radar_rows(summary: Summary) -> list[SummaryRow]:
    """Directional rows where at least two runs differ: the axes of the radar."""
    out = []
    for row in summary.rows:
        values = {c.estimate.value for c in row.cells if c.estimate is not None}
        if row.direction is not None and len(values) >= 2:
            out.append(row)
    return out[:MAX_RADAR_AXES]


RADAR_FLOOR = 0.2  # the worst run sits on this ring, not at the centre, so every run draws a shape


def normalised(row: SummaryRow) -> list[float | None]:
    """Each run's value scaled across the compared runs: the best at 1, the worst at ``RADAR_FLOOR``.

    Lower-is-better metrics are flipped so outward is always better; all equal is 1 for everyone.
    """
    values = [c.estimate.value if c.estimate is not None else None for c in row.cells]
    present = [v for v in values if v is not None]
    low, high = min(present), max(present)
    span = high - low
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif span == 0:
            out.append(1.0)
        else:
            score = (v - low) / span
            score = score if row.direction == "max" else 1.0 - score
            out.append(RADAR_FLOOR + (1.0 - RADAR_FLOOR) * score)
    return out


def radar_figure(summary: Summary, styles: Sequence[RunStyle]) -> go.Figure | None:
    """The runs over their directional metrics, outward = better; None with fewer than 3 axes."""
    rows = radar_rows(summary)
    if len(rows) < 3:
        return None
    labels = [plot_text(shorten(r.metric, 30)) + (" ↑" if r.direction == "max" else " ↓") for r in rows]
    scores = [normalised(r) for r in rows]
    fig = go.Figure()
    for i, style in enumerate(styles):
        r = [s[i] for s in scores]
        raw = [_value(row.cells[i].estimate) for row in rows]
        fig.add_trace(
            go.Scatterpolar(
                r=[*r, r[0]],
                theta=[*labels, labels[0]],
                customdata=[*raw, raw[0]],
                name=plot_text(style.short),
                meta=plot_text(style.name),
                line={"color": style.colour, "width": 2},
                fill="toself",
                fillcolor=_transparent(style.colour, 0.08),
                connectgaps=False,
                hovertemplate="%{meta}<br>%{theta}: %{customdata:.4g}<extra></extra>",
            )
        )
    base_layout(fig, 420)
    fig.update_layout(
        margin={"l": 60, "r": 60, "t": 30, "b": 30},
        polar={
            "bgcolor": "rgba(0,0,0,0)",
            "radialaxis": {
                "range": [0, 1.05],
                "tickvals": [RADAR_FLOOR, 1.0],
                "showticklabels": False,
                "gridcolor": GRID_COLOUR,
            },
            "angularaxis": {"gridcolor": GRID_COLOUR, "linecolor": GRID_COLOUR},
        },
        legend={"orientation": "h", "y": -0.08, "font": {"size": 11}},
    )
    fig.add_annotation(
        text="outward = better · each axis scaled from the worst (inner ring) to the best of these runs",
        xref="paper",
        yref="paper",
        x=0,
        y=1.06,
        xanchor="left",
        showarrow=False,
        font={"size": 11, "color": TEXT_COLOUR},
    )
    return fig


def _value(estimate: Estimate | None) -> float | None:
    return estimate.value if estimate is not None else None


def _transparent(colour: str, alpha: float) -> str:
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


# ---------------------------------------------------------------- curves


def _window(x: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """The points inside ``window``, plus one on each side so the line reaches the edges."""
    if window is None:
        return np.ones(x.shape[0], dtype=bool)
    lo, hi = window
    start = max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
    stop = min(int(np.searchsorted(x, hi, side="right")) + 1, x.shape[0])
    keep = np.zeros(x.shape[0], dtype=bool)
    keep[start:stop] = True
    return keep


def _sorted_finite(series: Series) -> tuple[np.ndarray, np.ndarray]:
    x, y = finite(series.x, series.y)
    if x.shape[0] and np.any(np.diff(x) < 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return x, y


def is_schedule(name: str) -> bool:
    """Learning rate, epoch, step counters: set by the trainer, not noisy; an EMA would only make them lag."""
    words = normalise(name).split("_")
    return (
        "lr" in words or "learning" in words or any(w in ("epoch", "epochs", "step", "steps") for w in words)
    )


TIME_KIND = "hours since start"


def in_relative_time(series: Series) -> Series | None:
    """The series against wall-clock hours since its first timestamp, or None when none were logged."""
    if series.time is None or series.time.shape[0] != series.x.shape[0]:
        return None
    finite_time = series.time[np.isfinite(series.time)]
    if finite_time.shape[0] < 2:
        return None
    hours = (series.time - finite_time.min()) / 3600.0
    return Series(series.name, x=hours, y=series.y, x_kind=TIME_KIND)


def has_time(runs: Sequence[tuple[RunStyle, Series | None]]) -> bool:
    return any(s is not None and in_relative_time(s) is not None for _, s in runs)


def curve_figure(
    name: str,
    runs: Sequence[tuple[RunStyle, Series | None]],
    span: int = 0,
    log_y: bool = False,
    window: tuple[float, float] | None = None,
    x_mode: str = "step",
) -> go.Figure:
    """One series across runs: each run a trace in its colour, downsampled to ``DISPLAY_POINTS``.

    With ``span`` the EMA is drawn strong over the raw curve kept faint (short curves are not smoothed,
    ``ema_spans``). ``window`` (an x range the user zoomed to) re-reads only that part at full detail;
    the EMA is computed on the whole curve first, so zooming does not change it.
    """
    if x_mode == "time":  # runs that logged no timestamps cannot be placed on a clock: left out
        runs = [(style, in_relative_time(s) if s is not None else None) for style, s in runs]
    present = [(style, s) for style, s in runs if s is not None]
    data = [(style, s, *_sorted_finite(s)) for style, s in present]
    big = any(x.shape[0] > WEBGL_POINTS for _, _, x, _ in data)
    trace = go.Scattergl if big else go.Scatter
    fig = go.Figure()
    for style, series, x, y in data:
        spans = ema_spans(x.shape[0], (span,)) if span and not is_schedule(name) else ()
        keep = _window(x, window)
        hover = f"%{{meta}}<br>%{{y:.4g}} at {x_label(series)} %{{x:,}}<extra></extra>"
        rx, ry = downsample(x[keep], y[keep], DISPLAY_POINTS)
        common = {"meta": plot_text(style.name), "hovertemplate": hover, "legendgroup": style.run_id}
        fig.add_trace(
            trace(
                x=rx,
                y=ry,
                mode="lines" if rx.shape[0] > 60 else "lines+markers",
                name=plot_text(style.short) + (" (raw)" if spans else ""),
                line={"color": style.colour, "width": 1 if spans else 2},
                marker={"size": 4},
                opacity=RAW_OPACITY if spans else 1.0,
                showlegend=not spans,
                **common,
            )
        )
        if spans:
            sx, sy = downsample(x[keep], ema(y, spans[0])[keep], DISPLAY_POINTS)
            fig.add_trace(
                trace(
                    x=sx,
                    y=sy,
                    mode="lines",
                    name=plot_text(style.short),
                    line={"color": style.colour, "width": 2.2},
                    **common,
                )
            )
    base_layout(fig, CURVE_HEIGHT)
    fig.update_layout(
        margin={"l": 56, "r": 12, "t": 28, "b": 44},
        hovermode="closest",
        uirevision=f"{name}|{log_y}|{x_mode}",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": 11}},
    )
    grid_axes(fig)
    first = present[0][1] if present else None
    fig.update_xaxes(
        title={"text": x_label(first) if first else "", "standoff": 4}, tickformat="~s", hoverformat=",.6~g"
    )
    if window is not None:
        fig.update_xaxes(range=list(window), autorange=False)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def needs_redraw_on_zoom(runs: Sequence[tuple[RunStyle, Series | None]]) -> bool:
    """A zoom shows more detail only when some trace was downsampled."""
    return any(s is not None and len(s) > DISPLAY_POINTS for _, s in runs)
