"""Layout of one run's page (``/run/<run_id>``). Everything from the run's files is rendered as text.

The page is a body of sections: header, stat cards, charts, metrics, "how this run was read", params.
A live update replaces sections and figures in place (``section_children``, ``chart_figures``) so the
user's zoom and searches survive; only a change in which curves exist redraws the whole body.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import plotly.graph_objects as go
from dash import dcc, html

from .. import ids
from ..analysis.curves import TrainingSummary, pick_eval_loss, pick_train_loss, training_summary
from ..analysis.numbers import MISSING, format_number
from ..ingest.base import Problem, Run, Series
from .run_charts import figures, is_drawable, spike_definition, x_label
from .run_params import params_card

STATUS_COLOURS = {"completed": "success", "running": "primary", "failed": "danger", "unknown": "secondary"}
METRICS_SEARCH_FROM = 12  # more metrics than this: a search box
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d"],
}


@dataclass
class RunView:
    """Everything the page shows about one run, gathered by the callback (no I/O here)."""

    run_id: str
    run: Run
    status: str
    problems: list[Problem] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    now: float = field(default_factory=time.time)

    @property
    def stamp(self) -> list[Any]:
        """What changes when the run's files change: a live update redraws only then."""
        return [self.status, self.run.updated_at, self.run.step, len(self.run.files), len(self.problems)]


# ---------------------------------------------------------------- text helpers


def count_text(value: float) -> str:
    """``1234567`` -> ``1.23M``: token counts are read by order of magnitude."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:,.0f}"


def duration_text(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def step_text(step: float | None) -> str:
    return MISSING if step is None or not math.isfinite(step) else f"{int(step):,}"


def ago_text(when: float, now: float) -> str:
    delta = now - when
    if delta < 90:
        return "just now"
    if delta < 3600:
        return f"{delta / 60:.0f} min ago"
    if delta < 86400 * 2:
        return f"{delta / 3600:.0f} h ago"
    return f"{delta / 86400:.0f} days ago"


# ---------------------------------------------------------------- sections


def _status_badge(status: str) -> dbc.Badge:
    colour = STATUS_COLOURS.get(status, "secondary")
    dot = [html.Span(className="live-dot")] if status == "running" else []
    return dbc.Badge([*dot, status], color=colour, className="status-badge", pill=True)


def header_section(view: RunView) -> list[Any]:
    run = view.run
    meta: list[Any] = []

    def add(label: str, value: Any) -> None:
        meta.append(html.Span([html.Span(label + " ", className="text-muted"), value], className="me-3"))

    if run.experiment:
        add("experiment", html.Span(run.experiment, className="fw-semibold"))
    add("step", step_text(run.step) if run.step is not None else MISSING)
    if run.updated_at is not None:
        stamp = datetime.fromtimestamp(run.updated_at).strftime("%Y-%m-%d %H:%M")
        add("updated", html.Span(f"{stamp} ({ago_text(run.updated_at, view.now)})", title=stamp))
    badges = [_status_badge(view.status), dbc.Badge(run.source, color="light", text_color="dark", pill=True)]
    if run.is_baseline:
        badges.append(dbc.Badge("baseline", color="info", pill=True))
    return [
        html.Div(
            [html.H3(run.name, className="run-name mb-0"), html.Div(badges, className="d-flex gap-2")],
            className="d-flex flex-wrap align-items-center gap-3",
        ),
        html.Div(meta, className="small mt-1"),
        _jump_links(view),
        html.Div(
            [
                html.Code(run.path, className="run-path"),
                dcc.Clipboard(
                    id=ids.RUN_PATH_COPY, content=run.path, title="Copy the path", className="copy-button"
                ),
            ],
            className="d-flex align-items-center gap-2 mt-2",
        ),
    ]


def _jump_links(view: RunView) -> html.Nav:
    targets = [("Charts", ids.RUN_CHARTS)] if any(is_drawable(s) for s in view.series.values()) else []
    targets += [("Metrics", ids.RUN_METRICS), ("Params", ids.RUN_PARAMS), ("Files & notes", ids.RUN_READ)]
    links: list[Any] = []
    for label, anchor in targets:
        links += [html.A(label, href=f"#{anchor}", className="jump-link"), " "]
    return html.Nav(links, className="jump-links small mt-1", **{"aria-label": "Sections"})


def _stat(title: str, value: Any, detail: Any = None, extra: Any = None) -> dbc.Card:
    body = [html.Div(title, className="stat-title"), html.Div(value, className="stat-value")]
    if extra is not None:
        body.append(extra)
    if detail is not None:
        body.append(html.Div(detail, className="stat-detail"))
    return dbc.Card(dbc.CardBody(body, className="py-2 px-3"), className="stat-card shadow-sm")


def stat_cards(summary: TrainingSummary) -> list[Any]:
    """Step of max, best loss, latest smoothed loss, elapsed time, tokens seen."""
    step = step_text(summary.step)
    progress = summary.progress
    if summary.max_steps:
        value: Any = [step, html.Span(f" / {summary.max_steps:,}", className="stat-of")]
        bar = dbc.Progress(value=100 * (progress or 0), className="stat-progress", style={"height": "6px"})
        cards = [_stat("Step", value, f"{100 * (progress or 0):.1f}% of max_steps", bar)]
    else:
        cards = [_stat("Step", step, "max_steps not recorded")]
    best = summary.best
    if best is not None:
        cards.append(
            _stat(f"Best {best.series}", format_number(best.value), f"at step {step_text(best.step)}")
        )
    if summary.latest_smooth is not None:
        cards.append(
            _stat(
                f"Latest {summary.loss_series}",
                format_number(summary.latest_smooth),
                f"EMA span {summary.smooth_span}; last raw {format_number(summary.latest_raw)}",
            )
        )
    elif summary.latest_raw is not None:
        cards.append(
            _stat(f"Latest {summary.loss_series}", format_number(summary.latest_raw), "last logged value")
        )
    if summary.elapsed_seconds is not None:
        cards.append(
            _stat("Elapsed", duration_text(summary.elapsed_seconds), f"from {summary.elapsed_source}")
        )
    else:
        cards.append(_stat("Elapsed", MISSING, "no timestamps logged"))
    if summary.tokens is not None:
        cards.append(_stat("Tokens seen", count_text(summary.tokens), summary.tokens_source))
    return [html.Div(cards, className="stat-grid mb-3")]


def stats_section(view: RunView) -> list[Any]:
    summary = training_summary(view.series, view.run.params, view.run.metrics, view.run.step)
    return stat_cards(summary) if summary is not None else []


def singles_section(view: RunView) -> list[Any]:
    """Series that cannot make a chart: logged once (their value is in the metrics) or never finite."""
    once = sorted(n for n, s in view.series.items() if not is_drawable(s) and s.last_finite() is not None)
    empty = sorted(n for n, s in view.series.items() if s.last_finite() is None)
    lines = []
    if once:
        lines.append(html.Div(["Logged once (value under Metrics): ", ", ".join(once)]))
    if empty:
        lines.append(html.Div(["No finite value logged: ", ", ".join(empty)]))
    return [html.Div(lines, className="small text-muted mb-3")] if lines else []


def metrics_table(metrics: Mapping[str, float], query: str = "") -> Any:
    """Metrics by name, 4 significant digits (the exact value on hover); ``query`` words filter names."""
    if not metrics:
        return html.P("This run recorded no metrics.", className="text-muted mb-0 p-3")
    words = query.lower().split()
    shown = [(n, v) for n, v in sorted(metrics.items()) if all(w in n.lower() for w in words)]
    if not shown:
        return html.P(["No metric matches ", html.Code(query), "."], className="text-muted mb-0 p-3")
    rows = [
        html.Tr(
            [
                html.Td(name, className="font-monospace metric-name"),
                html.Td(
                    format_number(value), className="text-end font-monospace metric-value", title=repr(value)
                ),
            ]
        )
        for name, value in shown
    ]
    head = html.Thead(html.Tr([html.Th("Metric"), html.Th("Value", className="text-end")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="mb-0 metrics-table")


def metrics_section(view: RunView, query: str = "") -> list[Any]:
    table = metrics_table(view.run.metrics, query)
    return [html.Div(table, id={"type": ids.RUN_METRICS_TABLE, "index": 0})]


def _metrics_header(view: RunView, query: str) -> Any:
    title = html.Span(["Metrics ", _count_badge(len(view.run.metrics))])
    if len(view.run.metrics) <= METRICS_SEARCH_FROM:
        return title
    search = dbc.Input(
        id={"type": ids.RUN_METRICS_SEARCH, "index": 0},
        type="search",
        value=query,
        placeholder="Search metrics…",
        size="sm",
        debounce=250,
        className="run-metrics-search",
        autocomplete="off",
    )
    return html.Div([title, search], className="d-flex align-items-center justify-content-between gap-3")


def _shown_path(path: str, folder: str) -> str:
    """A file read, relative to the run's folder (a run that is one file shows its name)."""
    if path == folder:
        return os.path.basename(path)
    if folder and path.startswith(folder.rstrip(os.sep) + os.sep):
        return path[len(folder.rstrip(os.sep)) + 1 :]
    return path


def info_section(view: RunView) -> list[Any]:
    """How this run was read: the reader's notes, the files read, this run's problems."""
    run = view.run
    notes = (
        html.Ul([html.Li(note) for note in run.notes], className="mb-0 small")
        if run.notes
        else html.P("Nothing unusual: every value was read as written.", className="text-muted small mb-0")
    )
    files = html.Ul(
        [html.Li(_shown_path(p, run.path), title=p, className="font-monospace small") for p in run.files],
        className="mb-0 files-list",
    )
    if view.problems:
        head = html.Thead(html.Tr([html.Th("File"), html.Th("Reader"), html.Th("Reason")]))
        rows = [
            html.Tr(
                [
                    html.Td(p.path, className="font-monospace small text-break"),
                    html.Td(p.reader),
                    html.Td(p.reason),
                ]
            )
            for p in view.problems
        ]
        problems: Any = dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0 small problems-table")
    else:
        problems = html.P("None: every claimed file was read.", className="text-muted small mb-0")
    return [
        html.Div(
            [html.Span("Read by ", className="text-muted"), html.Code(run.source)], className="small mb-2"
        ),
        html.H6("Notes", className="info-title"),
        notes,
        html.H6(f"Files read ({len(run.files)})", className="info-title mt-3"),
        files,
        html.H6(
            f"Problems ({len(view.problems)})",
            className="info-title mt-3" + (" text-warning-emphasis" if view.problems else ""),
        ),
        problems,
    ]


def section_children(view: RunView, metrics_query: str = "") -> dict[str, list[Any]]:
    return {
        "header": header_section(view),
        "stats": stats_section(view),
        "singles": singles_section(view),
        "metrics": metrics_section(view, metrics_query),
        "info": info_section(view),
    }


def _section(name: str, children: list[Any], **kwargs: Any) -> html.Div:
    return html.Div(children, id={"type": ids.RUN_SECTION, "name": name}, **kwargs)


# ---------------------------------------------------------------- charts


def chart_figures(view: RunView) -> dict[str, go.Figure]:
    loss = pick_train_loss(view.series)
    eval_loss = pick_eval_loss(view.series)
    return figures(view.series, loss.name if loss else None, eval_loss.name if eval_loss else None)


def _chart_card(index: int, series: Series, figure: go.Figure, is_loss: bool) -> dbc.Col:
    title = html.Div(
        [
            html.Span(series.name, className="chart-title font-monospace"),
            html.Span(
                f"{len(series):,} points · x = {x_label(series)}", className="text-muted small chart-meta"
            ),
        ],
        className="d-flex flex-wrap justify-content-between align-items-baseline column-gap-2",
    )
    parts: list[Any] = [
        dbc.CardHeader(title, className="py-1"),
        dbc.CardBody(
            dcc.Graph(
                id={"type": ids.RUN_CHART, "index": index},
                figure=figure,
                config=GRAPH_CONFIG,
                style={"height": "300px"},
                className="run-chart",
            ),
            className="p-1",
        ),
    ]
    if is_loss:
        n_finite = int(np.isfinite(series.y).sum())
        parts.append(dbc.CardFooter(spike_definition(n_finite), className="small text-muted py-1"))
    return dbc.Col(dbc.Card(parts, className="h-100 shadow-sm"), xs=12, lg=6, className="mb-3")


def charts_grid(view: RunView, figs: Mapping[str, go.Figure]) -> Any:
    if not figs:
        if view.series:
            return html.Div()
        return html.P("This run logged no curves.", className="text-muted small mb-3")
    loss = pick_train_loss(view.series)
    cards = [
        _chart_card(i, view.series[name], fig, loss is not None and name == loss.name)
        for i, (name, fig) in enumerate(figs.items())
    ]
    return dbc.Row(cards, className="g-3 run-charts", id=ids.RUN_CHARTS)


# ---------------------------------------------------------------- the page


def page_state(view: RunView, chart_names: list[str]) -> dict[str, Any]:
    return {"run_id": view.run_id, "stamp": view.stamp, "charts": chart_names}


def page_body(
    view: RunView,
    query: str = "",
    figs: dict[str, go.Figure] | None = None,
    metrics_query: str = "",
) -> tuple[list[Any], dict[str, Any]]:
    """The body's children and the state the live update compares against.

    ``query`` and ``metrics_query`` are the params and metrics searches to keep on a redraw.
    """
    sections = section_children(view, metrics_query)
    figs = chart_figures(view) if figs is None else figs
    body = [
        dbc.Card(dbc.CardBody(_section("header", sections["header"])), className="mb-3 shadow-sm run-header"),
        _section("stats", sections["stats"]),
        charts_grid(view, figs),
        _section("singles", sections["singles"]),
        dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Card(
                            [
                                dbc.CardHeader(_metrics_header(view, metrics_query)),
                                _section("metrics", sections["metrics"], className="metrics-scroll"),
                            ],
                            className="mb-3 shadow-sm",
                            id=ids.RUN_METRICS,
                        ),
                        dbc.Card(
                            [
                                dbc.CardHeader("How this run was read"),
                                dbc.CardBody(_section("info", sections["info"])),
                            ],
                            className="mb-3 shadow-sm",
                            id=ids.RUN_READ,
                        ),
                    ],
                    xs=12,
                    lg=5,
                ),
                dbc.Col(params_card(view.run.params, query), xs=12, lg=7),
            ]
        ),
    ]
    return body, page_state(view, list(figs))


def _count_badge(n: int) -> dbc.Badge:
    return dbc.Badge(str(n), color="light", text_color="dark")


def run_not_found_body(run_id: str) -> list[Any]:
    return [
        html.H4("Run not found", className="mt-3"),
        html.P(["No run has the id ", html.Code(run_id), " in the last scan."]),
        html.P(
            "It may not have been scanned yet, or its folder was removed; this page updates on the next scan.",
            className="text-muted small",
        ),
    ]


def run_page(view: RunView | None, run_id: str, query: str = "") -> html.Div:
    """The whole page: a state store (run id and what is shown) and the body."""
    if view is None:
        body, state = run_not_found_body(run_id), {"run_id": run_id, "stamp": None, "charts": []}
    else:
        body, state = page_body(view, query)
    return html.Div(
        [
            dcc.Store(id=ids.RUN_PAGE_STATE, data=state),
            dcc.Link("← All runs", href="/", className="back-link small"),
            html.Div(body, id=ids.RUN_PAGE_BODY, className="mt-2"),
        ],
        id=ids.RUN_PAGE,
        className="run-page pb-4",
    )


def run_not_found(run_id: str) -> html.Div:
    return run_page(None, run_id)
