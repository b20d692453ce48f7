"""Layout of the comparison page (``/compare?runs=[...]&ref=<id>``): summary, params diff, exports, charts.

Everything from the runs' files is rendered as text (Dash escapes it); tooltips are ``title``
attributes. Each run has its selection-order colour (``RUN_COLOURS``), the same on every chart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.compare import MAX_RUNS, Cell, Overfit, Summary, SummaryRow
from ..analysis.compare_export import caption_text
from ..analysis.hparam_diff import DiffRow, ParamDiff, describe_pair
from ..analysis.intervals import p_text
from ..analysis.numbers import format_number, signed
from ..ingest.base import Series
from .compare_charts import RunStyle, bar_figure, bar_rows, curve_figure, has_time, radar_figure, shorten
from .run_charts import chart_order, is_drawable
from .run_page import GRAPH_CONFIG as _GRAPH_CONFIG
from .runs_page import COMPARE_PATH, RUN_COLOURS, compare_search

__all__ = ["COMPARE_PATH", "compare_search", "parse_compare"]
MAX_CURVES = 40
SMOOTHING_MARKS = (0, 5, 10, 25, 50, 100, 200)
DEFAULT_SMOOTHING = 10


def smoothing_span(position: int | None) -> int:
    """The EMA span at a slider position (the slider moves over ``SMOOTHING_MARKS``, evenly spaced)."""
    index = min(max(int(position or 0), 0), len(SMOOTHING_MARKS) - 1)
    return SMOOTHING_MARKS[index]


EXPORT_FORMATS = (("csv", "CSV"), ("md", "Markdown"), ("tex", "LaTeX"))
ARROWS = {"max": ("↑", "higher is better"), "min": ("↓", "lower is better")}
# Typed loosely: dcc.Graph wants its own TypedDict, the run page shares a plain dict.
GRAPH_CONFIG: Any = _GRAPH_CONFIG
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# ---------------------------------------------------------------- the URL


@dataclass
class CompareQuery:
    runs: list[str] = field(default_factory=list)
    ref: str | None = None
    dropped: int = 0  # ids past MAX_RUNS


def parse_compare(search: str | None) -> CompareQuery:
    """``?runs=<JSON list>&ref=<id>``; a ``runs`` that does not parse is no runs, never an error."""
    values = parse_qs((search or "").lstrip("?"))
    runs: list[str] = []
    raw = values.get("runs", [""])[0]
    try:
        parsed = json.loads(raw) if raw else []
    except ValueError:
        parsed = []
    if isinstance(parsed, list):
        runs = list(dict.fromkeys(v for v in parsed if isinstance(v, str) and v))
    ref = values.get("ref", [""])[0] or None
    return CompareQuery(runs[:MAX_RUNS], ref, max(len(runs) - MAX_RUNS, 0))


def export_filename(names: Sequence[str], extension: str) -> str:
    """``compare_<name>_vs_<name>.<ext>`` in safe characters, not too long for any file system."""
    safe = [_UNSAFE.sub("_", n).strip("._") or "run" for n in names]
    stem = "compare_" + "_vs_".join(s[:40] for s in safe)
    return stem[:150] + "." + extension


def image_stem(names: Sequence[str], chart: str) -> str:
    """A safe file name (no extension) made of the compared runs' names and the chart's."""
    stem = export_filename(names, "svg").removesuffix(".svg")
    safe = _UNSAFE.sub("_", chart).strip("._") or "chart"
    return f"{stem}_{safe[:40]}"


def image_config(names: Sequence[str], chart: str) -> Any:
    """The graph config: the modebar camera saves a PNG (2x, for slides) named after the runs.

    plotly.js's camera takes one format, so SVG is a button beside the chart (``svg_button``),
    which a clientside callback turns into ``Plotly.downloadImage(..., {format: "svg"})``.
    """
    return {
        **GRAPH_CONFIG,
        "toImageButtonOptions": {"format": "png", "filename": image_stem(names, chart), "scale": 2},
    }


def svg_button(names: Sequence[str], chart: str) -> html.Button:
    stem = image_stem(names, chart)
    return html.Button(
        "SVG",
        id={"type": ids.SVG_EXPORT, "file": stem},
        n_clicks=0,
        className="btn btn-sm btn-outline-secondary py-0 px-1 svg-export",
        title=f"Download this chart as SVG ({stem}.svg); the camera in the chart's toolbar saves PNG",
    )


def styles_for(summary: Summary) -> list[RunStyle]:
    return [
        RunStyle(run_id, name, RUN_COLOURS[i % len(RUN_COLOURS)])
        for i, (run_id, name) in enumerate(zip(summary.run_ids, summary.names, strict=True))
    ]


# ---------------------------------------------------------------- pieces


def run_label(style: RunStyle, reference: bool = False) -> html.Span:
    """Swatch + name (full name and id on hover), marked when it is the reference."""
    parts: list[Any] = [
        html.Span(className="swatch", style={"backgroundColor": style.colour}),
        html.Span(
            shorten(style.name, 44), className="compare-run-name", title=f"{style.name}\n{style.run_id}"
        ),
    ]
    if reference:
        parts.append(html.Span("reference", className="badge text-bg-secondary compare-ref-badge"))
    return html.Span(parts, className="compare-run-label")


def _metric_label(row: SummaryRow) -> html.Th:
    parts: list[Any] = [html.Span(row.metric, className="font-monospace")]
    if row.direction in ARROWS:
        arrow, meaning = ARROWS[row.direction]
        parts.append(html.Span(f" {arrow}", className="direction", title=meaning))
    return html.Th(parts, scope="row", className="compare-metric")


def _difference(cell: Cell) -> list[Any]:
    d = cell.difference
    if d is None:
        return []
    text = signed(d.delta) + (f" ({signed(d.delta_pct)}%)" if d.delta_pct is not None else "")
    tone = {True: "delta-better", False: "delta-worse", None: "delta-neutral"}[cell.better]
    parts: list[Any] = [html.Span(text, className=f"delta {tone}", title=d.explanation)]
    if d.p is not None:
        marker = "≈" if d.indistinguishable else p_text(d.p)
        kind = "approx" if d.indistinguishable else "pvalue"
        parts.append(html.Span(marker, className=f"delta-test {kind}", title=d.explanation))
    return [html.Div(parts, className="delta-line")]


def _cell(cell: Cell, best: bool, reference: bool) -> html.Td:
    e = cell.estimate
    classes = "compare-cell" + (" is-ref" if reference else "")
    if e is None:
        return html.Td("—", className=classes + " missing", title="not reported by this run")
    value = html.Span(format_number(e.value), className="value" + (" best" if best else ""))
    parts: list[Any] = [html.Div(value)]
    if e.low is not None and e.high is not None:
        interval = f"[{format_number(e.low)}, {format_number(e.high)}]"
        parts.append(html.Div(interval, className="interval", title=e.explanation))
    parts += _difference(cell)
    return html.Td(parts, className=classes + (" best-cell" if best else ""), title=e.explanation)


def _overfit_rows(overfit: Sequence[Overfit], ref: int | None) -> list[html.Tr]:
    rows: list[html.Tr] = []
    if any(o.gap is not None for o in overfit):
        cells = [
            html.Td(
                "—"
                if o.gap is None
                else [html.Div(format_number(o.gap)), html.Div(o.text, className="interval")],
                className="compare-cell" + (" is-ref" if i == ref else ""),
                title=f"{o.eval_key} − {o.train_key}"
                if o.gap is not None
                else "needs a final eval and train loss",
            )
            for i, o in enumerate(overfit)
        ]
        label = html.Th("overfitting gap (eval − train loss)", scope="row", className="compare-metric")
        rows.append(html.Tr([label, *cells], className="overfit-row"))
    if any(o.best_eval_step is not None for o in overfit):
        cells = [
            html.Td(
                "—" if o.best_eval_step is None else format_number(o.best_eval_step),
                className="compare-cell" + (" is-ref" if i == ref else ""),
                title="" if o.best_eval_loss is None else f"eval loss {format_number(o.best_eval_loss)}",
            )
            for i, o in enumerate(overfit)
        ]
        label = html.Th("converged: step of best eval loss", scope="row", className="compare-metric")
        rows.append(html.Tr([label, *cells], className="overfit-row"))
    return rows


def summary_table(summary: Summary) -> Any:
    """The table a researcher screenshots: one column per run, one row per metric."""
    styles = styles_for(summary)
    ref = summary.reference_index
    head = html.Tr(
        [html.Th("Metric", scope="col")]
        + [
            html.Th(
                run_label(s, i == ref),
                scope="col",
                className="compare-head" + (" is-ref" if i == ref else ""),
            )
            for i, s in enumerate(styles)
        ]
    )
    body = [
        html.Tr([_metric_label(row)] + [_cell(c, i in row.best, i == ref) for i, c in enumerate(row.cells)])
        for row in summary.rows
    ]
    body += _overfit_rows(summary.overfit, ref)
    if not summary.rows:
        body.append(html.Tr(html.Td("These runs report no metrics.", colSpan=len(styles) + 1)))
    table = html.Table(
        [html.Thead(head), html.Tbody(body)], className="table table-sm compare-table align-middle mb-1"
    )
    caption = caption_text(summary)
    return [
        html.Div(table, className="compare-scroll"),
        html.P(caption, className="small text-muted mb-0 compare-caption") if caption else None,
    ]


def _ref_selector(summary: Summary) -> html.Div:
    options = [
        {"label": name, "value": run_id} for run_id, name in zip(summary.run_ids, summary.names, strict=True)
    ]
    return html.Div(
        [
            html.Label("Reference", htmlFor=ids.COMPARE_REF, className="small text-muted me-2 mb-0"),
            dbc.Select(id=ids.COMPARE_REF, options=options, value=summary.reference_id, size="sm"),
        ],
        className="d-flex align-items-center compare-ref-select",
    )


def _export_buttons() -> html.Div:
    buttons = [
        dbc.Button(
            label,
            id={"type": ids.COMPARE_EXPORT, "format": fmt},
            size="sm",
            color="primary",
            outline=True,
            n_clicks=0,
            title=f"Download the summary as {label}",
        )
        for fmt, label in EXPORT_FORMATS
    ]
    return html.Div(
        [html.Span("Export", className="small text-muted me-1"), *buttons],
        className="d-flex gap-2 align-items-center",
    )


def summary_card(summary: Summary) -> dbc.Card:
    header = html.Div(
        [html.H5("Summary", className="mb-0 me-3"), _ref_selector(summary), _export_buttons()],
        className="d-flex flex-wrap align-items-center gap-3",
    )
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(summary_table(summary), id=ids.COMPARE_SUMMARY)],
        className="mb-3 shadow-sm",
    )


# ---------------------------------------------------------------- params diff


MAX_OPEN_PARTIAL = 12  # params set in only some runs shown in the table; more are collapsed


def _conflicts(row: DiffRow) -> bool:
    """The runs that set it disagree (rather than it being missing in some runs only)."""
    return len({full for full, v in zip(row.full, row.values, strict=True) if v is not None}) > 1


def _diff_row(row: DiffRow) -> html.Tr:
    cells = [
        html.Td(
            shown,
            title=full if value is not None else "not set in this run",
            className="param-value" + (" missing" if value is None else ""),
        )
        for shown, full, value in zip(row.display, row.full, row.values, strict=True)
    ]
    return html.Tr([html.Th(row.key, scope="row", className="font-monospace param-key"), *cells])


def _diff_table(head: html.Tr, rows: Sequence[DiffRow]) -> html.Div:
    table = html.Table(
        [html.Thead(head), html.Tbody([_diff_row(r) for r in rows])],
        className="table table-sm diff-table mb-2",
    )
    return html.Div(table, className="compare-scroll")


def _same_details(same: Sequence[tuple[str, Any]]) -> html.Details:
    rows = [
        html.Tr(
            [
                html.Th(key, scope="row", className="font-monospace param-key"),
                html.Td(_value_text(v), className="param-value"),
            ]
        )
        for key, v in same
    ]
    return html.Details(
        [
            html.Summary(f"{len(same)} params are the same in all runs", className="small"),
            html.Table(html.Tbody(rows), className="table table-sm diff-same-table mt-2"),
        ],
        className="diff-same",
    )


def hparam_diff(diff: ParamDiff, summary: Summary) -> dbc.Card:
    """Params that differ (runs disagreeing first, then set in only some runs), the same ones collapsed."""
    styles = styles_for(summary)
    head = html.Tr([html.Th("Param", scope="col")] + [html.Th(run_label(s), scope="col") for s in styles])
    conflicting = [r for r in diff.differ if _conflicts(r)]
    partial = [r for r in diff.differ if not _conflicts(r)]
    parts: list[Any] = []
    if len(diff.run_ids) == 2:
        parts.append(html.P(describe_pair(diff, summary.names), className="diff-sentence mb-2"))
    else:
        bare = [name for name, count in zip(summary.names, diff.present, strict=True) if count == 0]
        if bare:
            parts.append(html.P(f"No params recorded for {', '.join(bare)}.", className="small text-muted"))
    if not diff.differ and len(diff.run_ids) > 2:
        parts.append(html.P("No param differs between these runs.", className="text-muted small"))
    if conflicting and len(partial) > MAX_OPEN_PARTIAL:
        parts.append(_diff_table(head, conflicting))
        parts.append(
            html.Details(
                [
                    html.Summary(f"{len(partial)} params set in only some runs", className="small"),
                    _diff_table(head, partial),
                ],
                className="diff-same diff-partial mb-2",
            )
        )
    elif diff.differ:
        parts.append(_diff_table(head, conflicting + partial))
    if diff.same:
        parts.append(_same_details(diff.same))
    header = html.Div(
        [
            html.H5("Hyperparameters", className="mb-0"),
            dbc.Badge(str(diff.counts), color="info", className="diff-badge"),
        ],
        className="d-flex align-items-center gap-2",
    )
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(parts)], id=ids.HPARAM_DIFF, className="mb-3 shadow-sm"
    )


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---------------------------------------------------------------- charts


def bars_card(summary: Summary) -> Any:
    rows = bar_rows(summary)
    if not rows:
        return None
    styles = styles_for(summary)
    tiles = [
        html.Div(
            [
                html.Div(
                    [
                        html.Span(row.metric, className="font-monospace"),
                        html.Span(f" {ARROWS[row.direction][0]}" if row.direction in ARROWS else ""),
                    ],
                    className="bar-title",
                    title=row.metric,
                ),
                dcc.Graph(
                    figure=bar_figure(row, styles),
                    config={**GRAPH_CONFIG, "displayModeBar": False},
                    style={"height": "220px"},
                    className="bar-chart",
                ),
            ],
            className="bar-tile",
        )
        for row in rows
    ]
    more = len([r for r in summary.rows if sum(c.estimate is not None for c in r.cells) >= 2]) - len(rows)
    legend = html.Div([run_label(s) for s in styles], className="d-flex flex-wrap gap-3 mb-2 small")
    note = (
        html.P(f"{more} more metrics in the table.", className="small text-muted mb-0") if more > 0 else None
    )
    return dbc.Card(
        [
            dbc.CardHeader(html.H5("Metrics", className="mb-0")),
            dbc.CardBody([legend, html.Div(tiles, className="bar-grid"), note]),
        ],
        className="mb-3 shadow-sm",
    )


def radar_card(summary: Summary) -> Any:
    fig = radar_figure(summary, styles_for(summary))
    if fig is None:
        return None
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [html.H5("Profile", className="mb-0"), svg_button(summary.names, "profile")],
                    className="d-flex justify-content-between align-items-center",
                )
            ),
            dbc.CardBody(
                dcc.Graph(
                    figure=fig,
                    config=image_config(summary.names, "profile"),
                    style={"height": "420px"},
                    className="radar-chart",
                )
            ),
        ],
        className="mb-3 shadow-sm",
    )


def curve_names(series: Mapping[str, Mapping[str, Series]]) -> list[str]:
    """Series drawable in at least one run, in the run page's order."""
    names = {name for per_run in series.values() for name, s in per_run.items() if is_drawable(s)}
    return chart_order(sorted(names))[:MAX_CURVES]


def curve_runs(
    name: str, styles: Sequence[RunStyle], series: Mapping[str, Mapping[str, Series]]
) -> list[tuple[RunStyle, Series | None]]:
    return [(s, series.get(s.run_id, {}).get(name)) for s in styles]


def _smoothing_control(timed: bool) -> html.Div:
    marks = {i: ("off" if v == 0 else str(v)) for i, v in enumerate(SMOOTHING_MARKS)}
    return html.Div(
        [
            html.Label(
                "EMA smoothing (points)",
                className="small text-muted mb-0 me-2",
                title="Exponential moving average span in logged points; the raw curve stays faint behind it. Curves under 50 points are not smoothed.",
            ),
            html.Div(
                dcc.Slider(
                    id=ids.COMPARE_SMOOTHING,
                    min=0,
                    max=len(SMOOTHING_MARKS) - 1,
                    step=1,
                    marks=marks,
                    value=SMOOTHING_MARKS.index(DEFAULT_SMOOTHING),
                    included=False,
                ),
                className="smoothing-slider",
            ),
            dbc.Switch(id=ids.COMPARE_LOG_Y, label="log y", value=False, className="mb-0 ms-3"),
            dbc.RadioItems(
                id=ids.COMPARE_X_MODE,
                options=[{"label": "x: step", "value": "step"}, {"label": "time", "value": "time"}],
                value="step",
                inline=True,
                className="mb-0 ms-3 small",
                # Always in the page (a callback listens to it); offered only when some run logged times.
                style={} if timed else {"display": "none"},
            ),
        ],
        className="d-flex flex-wrap align-items-center gap-2",
    )


def curves_card(
    names: list[str], styles: Sequence[RunStyle], series: Mapping[str, Mapping[str, Series]]
) -> Any:
    if not names:
        return dbc.Card(
            [
                dbc.CardHeader(html.H5("Curves", className="mb-0")),
                dbc.CardBody(html.P("None of these runs logged curves.", className="text-muted small mb-0")),
            ],
            className="mb-3 shadow-sm",
        )
    timed = any(has_time(curve_runs(name, styles, series)) for name in names)
    cards = []
    for i, name in enumerate(names):
        runs = curve_runs(name, styles, series)
        have = sum(s is not None for _, s in runs)
        title = html.Div(
            [
                html.Span(name, className="chart-title font-monospace"),
                html.Span(
                    [
                        html.Span(f"{have} of {len(runs)} runs", className="text-muted small me-2"),
                        svg_button([s.name for s in styles], name),
                    ]
                ),
            ],
            className="d-flex justify-content-between align-items-baseline column-gap-2",
        )
        graph = dcc.Graph(
            id={"type": ids.COMPARE_CURVE, "index": i},
            figure=curve_figure(name, runs, DEFAULT_SMOOTHING),
            config=image_config([s.name for s in styles], name),
            style={"height": "320px"},
            className="compare-curve",
        )
        cards.append(
            dbc.Col(
                dbc.Card(
                    [dbc.CardHeader(title, className="py-1"), dbc.CardBody(graph, className="p-1")],
                    className="h-100",
                ),
                xs=12,
                lg=6,
                className="mb-3",
            )
        )
    header = html.Div(
        [html.H5("Curves", className="mb-0 me-3"), _smoothing_control(timed)],
        className="d-flex flex-wrap align-items-center gap-2",
    )
    return dbc.Card(
        [dbc.CardHeader(header), dbc.CardBody(dbc.Row(cards, className="g-3"))], className="mb-3 shadow-sm"
    )


# ---------------------------------------------------------------- the page


def panel_children(
    summary: Summary,
    diff: ParamDiff | None,
    series: Mapping[str, Mapping[str, Series]],
    notes: Sequence[str] = (),
) -> list[Any]:
    styles = styles_for(summary)
    messages = [*notes, *summary.notes]
    alerts = (
        [dbc.Alert([html.Div(m) for m in messages], color="warning", className="py-2 small")]
        if messages
        else []
    )
    names = curve_names(series)
    return [
        *alerts,
        summary_card(summary),
        hparam_diff(diff, summary) if diff is not None else None,
        bars_card(summary),
        radar_card(summary),
        curves_card(names, styles, series),
    ]


def empty_panel(notes: Sequence[str]) -> list[Any]:
    return [
        *[dbc.Alert(n, color="warning", className="py-2 small") for n in notes],
        html.P(
            ["No runs to compare. Tick runs on the ", dcc.Link("runs page", href="/"), " and press Compare."],
            className="text-muted",
        ),
    ]


def compare_page(children: list[Any], state: dict[str, Any], back_search: str) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dcc.Link("← All runs", href="/" + back_search, className="back-link small"),
                    html.H4("Comparison", className="mb-0"),
                ],
                className="d-flex align-items-baseline gap-3 my-2",
            ),
            html.Div(children, id=ids.COMPARE_PANEL),
            dcc.Store(id=ids.COMPARE_STATE, data=state),
            dcc.Download(id=ids.COMPARE_DOWNLOAD),
        ],
        id=ids.COMPARE_PAGE,
        className="compare-page",
    )
