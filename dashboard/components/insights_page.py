"""The insights page (``/insights``): facts across the runs the runs page shows, one card per question.

The runs come from the runs page's filters (the same query string); the page's own choices (Pareto
axes, trend axes and colour, group-by param, metrics, parallel-coordinates params) live in one extra
query parameter, ``ins`` (JSON), holding only what differs from the defaults. A choice that is not
among the options the data offers is ignored, so a stale or hand-edited link still opens.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from .. import ids
from ..analysis.directions import metric_direction
from ..analysis.filters import option_text, varying_columns
from ..analysis.insights import (
    Ablation,
    Best,
    ablation_pairs,
    best_per_metric,
)
from ..analysis.numbers import MISSING, format_number
from ..analysis.runs_view import SUPPORTING_SUFFIXES, metric_order
from ..analysis.trends import STEP, Fit, numeric, spans_decades
from .publication import publication_section

INSIGHTS_PATH = "/insights"
INS_PARAM = "ins"
MAX_LEVELS = 30  # a param with more distinct values is not a group, a category axis or an ablation change
DEFAULT_METRICS = 5
DEFAULT_PARALLEL_PARAMS = 4
MAX_ABLATION_ROWS = 80
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
ARROWS = {"max": "↑", "min": "↓"}


# ---------------------------------------------------------------- what the data offers


@dataclass(frozen=True)
class Options:
    """The choices the shown runs offer (column names, best first)."""

    metrics: tuple[str, ...] = ()  # metric columns with a finite value somewhere
    directional: tuple[str, ...] = ()  # ... that have a direction
    x_axes: tuple[str, ...] = ()  # "step" and numeric params that vary
    categories: tuple[str, ...] = ()  # experiment and params with 2..MAX_LEVELS values (groups, colours)
    params: tuple[str, ...] = ()  # params that vary (parallel coordinates)


def _distinct(series: pd.Series) -> int:
    """Distinct values as the filters name them (``2000`` and ``2000.0`` are one)."""
    try:
        unique = pd.Series(series.dropna().unique())
    except TypeError:  # unhashable values
        unique = series.dropna()
    return int(unique.map(option_text).nunique())


def _is_numeric_param(series: pd.Series) -> bool:
    values = numeric(series)
    return int(values.notna().sum()) > 0 and values.notna().sum() == series.notna().sum()


def _ranked(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Columns most runs have first, then those with fewer distinct values, then in the frame's order."""
    position = {c: i for i, c in enumerate(columns)}
    return sorted(columns, key=lambda c: (-int(frame[c].notna().sum()), _distinct(frame[c]), position[c]))


def options_for(frame: pd.DataFrame, overrides: Mapping[str, str]) -> Options:
    metrics = tuple(
        c
        for c in metric_order(frame)
        if numeric(frame[c]).notna().any() and not c.endswith(SUPPORTING_SUFFIXES)
    )
    directional = tuple(m for m in metrics if metric_direction(m, overrides) is not None)
    varying = _ranked(frame, varying_columns(frame))
    x_axes = [STEP] if STEP in frame.columns and numeric(frame[STEP]).nunique() >= 2 else []
    x_axes += [c for c in varying if _is_numeric_param(frame[c])]
    categories = [
        c for c in ("experiment", "source") if c in frame.columns and 2 <= _distinct(frame[c]) <= MAX_LEVELS
    ]
    labels = set(label_params(frame, varying))
    categories += [c for c in varying if 2 <= _distinct(frame[c]) <= MAX_LEVELS and c not in labels]
    return Options(metrics, directional, tuple(x_axes), tuple(categories), tuple(varying))


# ---------------------------------------------------------------- the page's choices


@dataclass(frozen=True)
class Choices:
    pareto: tuple[str | None, str | None] = (None, None)
    trend_y: str | None = None
    trend_x: str | None = None
    trend_colour: str | None = None
    group: str | None = None
    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)  # what the URL said (kept when valid)


def read_ins(search: str | None) -> dict[str, Any]:
    """The ``ins`` JSON object of a query string; anything else (bad JSON, a list) is ``{}``."""
    for key, value in parse_qsl((search or "").lstrip("?")):
        if key == INS_PARAM:
            try:
                parsed = json.loads(value)
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


def _one(value: Any, allowed: Sequence[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _many(value: Any, allowed: Sequence[str]) -> tuple[str, ...] | None:
    """The listed options the data offers; an empty list is a choice (nothing), junk is not."""
    if not isinstance(value, list):
        return None
    kept = tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v in allowed))
    return kept if kept or not value else None


def _or(value: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return default if value is None else value


def _default_pareto(options: Options, overrides: Mapping[str, str]) -> tuple[str | None, str | None]:
    """A trade-off when there is one: the first "higher is better" against the first "lower is better"."""
    ups = [m for m in options.directional if metric_direction(m, overrides) == "max"]
    downs = [m for m in options.directional if metric_direction(m, overrides) == "min"]
    if ups and downs:
        return ups[0], downs[0]
    both = list(options.directional[:2])
    return (both[0] if both else None, both[1] if len(both) > 1 else None)


def defaults(options: Options, overrides: Mapping[str, str]) -> Choices:
    trend_x = options.x_axes[0] if options.x_axes else None
    params_ = [c for c in options.categories if c.startswith("params.")]
    # The compared methods first (`ttt.enable`, `lora.enable`: what the facets put first too).
    group = next((c for c in params_ if c.endswith(".enable")), None) or next(iter(params_), None)
    group = group or (options.categories[0] if options.categories else None)
    switches = [c for c in params_ if c.endswith(".enable")]
    params = tuple([*switches, *(c for c in params_ if c not in switches)][:DEFAULT_PARALLEL_PARAMS])
    return Choices(
        pareto=_default_pareto(options, overrides),
        trend_y=options.directional[0] if options.directional else (options.metrics[:1] or (None,))[0],
        trend_x=trend_x,
        trend_colour=None,
        group=group,
        metrics=options.directional[:DEFAULT_METRICS],
        params=params,
    )


def resolve(raw: Mapping[str, Any], options: Options, overrides: Mapping[str, str]) -> Choices:
    """The URL's choices where the data offers them, the defaults elsewhere."""
    base = defaults(options, overrides)
    pareto = raw.get("pareto")
    px, py = base.pareto
    if isinstance(pareto, list) and len(pareto) == 2:
        px = _one(pareto[0], options.directional) or px
        py = _one(pareto[1], options.directional) or py
    colour = raw.get("trend_colour")
    return Choices(
        pareto=(px, py),
        trend_y=_one(raw.get("trend_y"), options.metrics) or base.trend_y,
        trend_x=_one(raw.get("trend_x"), options.x_axes) or base.trend_x,
        trend_colour=_one(colour, options.categories) if colour else None,
        group=_one(raw.get("group"), options.categories) or base.group,
        metrics=_or(_many(raw.get("metrics"), options.metrics), base.metrics),
        params=_or(_many(raw.get("params"), options.params), base.params),
        raw=dict(raw),
    )


def choices_ins(choices: Choices, base: Choices) -> dict[str, Any]:
    """What to keep in the URL: only the choices that differ from the defaults."""
    out: dict[str, Any] = {}
    if choices.pareto != base.pareto:
        out["pareto"] = list(choices.pareto)
    for key in ("trend_y", "trend_x", "trend_colour", "group"):
        if getattr(choices, key) != getattr(base, key):
            out[key] = getattr(choices, key)
    for key in ("metrics", "params"):
        if tuple(getattr(choices, key)) != tuple(getattr(base, key)):
            out[key] = list(getattr(choices, key))
    return out


def with_ins(search: str | None, ins: Mapping[str, Any]) -> str:
    """``search`` with its ``ins`` replaced (dropped when empty); the other parameters untouched."""
    pairs = [
        (k, v) for k, v in parse_qsl((search or "").lstrip("?"), keep_blank_values=True) if k != INS_PARAM
    ]
    if ins:
        pairs.append((INS_PARAM, json.dumps(dict(ins), separators=(",", ":"), ensure_ascii=False)))
    return "?" + urlencode(pairs) if pairs else ""


def update_choices(choices: Choices, **changes: Any) -> Choices:
    return replace(choices, **changes)


# ---------------------------------------------------------------- small pieces


def label(column: str | None) -> str:
    if column is None:
        return MISSING
    return column.split(".", 1)[1] if column.startswith(("metrics.", "params.")) else column


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


def run_link(run_id: str, name: str) -> dcc.Link:
    return dcc.Link(name, href=f"/run/{run_id}", className="run-link", title=run_id)


# ---------------------------------------------------------------- best per metric


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


def log_x_wanted(x: pd.Series) -> bool:
    return spans_decades(x)


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


# ---------------------------------------------------------------- the page


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


# ---------------------------------------------------------------- sections (computed on the shown runs)

MIN_LABEL_VALUES = 3


def _names(rows: pd.DataFrame) -> dict[str, str]:
    return dict(zip(rows["run_id"].astype(str), rows["name"].astype(str), strict=True))


def best_section(rows: pd.DataFrame, options: Options, overrides: Mapping[str, str]) -> Any:
    if rows.empty:
        return empty("No runs to rank.")
    return best_table(best_per_metric(rows, overrides), options.metrics, _names(rows), overrides)


def label_params(rows: pd.DataFrame, params: Sequence[str]) -> list[str]:
    """Text params that only name the experiment (one value per experiment and back: run dirs, run names)."""
    if "experiment" not in rows.columns:
        return []
    found = []
    for column in params:
        values = rows[column]
        if (
            pd.api.types.is_numeric_dtype(values.dtype)
            or pd.api.types.infer_dtype(values, skipna=True) != "string"
        ):
            continue
        present = values.notna()
        pairs = pd.DataFrame({"e": rows["experiment"][present].astype(str), "v": values[present]})
        pairs = pairs.drop_duplicates()
        if len(pairs) >= MIN_LABEL_VALUES and pairs["e"].is_unique and pairs["v"].is_unique:
            found.append(column)
    return found


def _differing(rows: pd.DataFrame) -> list[str]:
    """Params (and the step) on which the runs are not all equal, missing counting as a value."""
    columns = [STEP] if STEP in rows.columns else []
    columns += [c for c in rows.columns if isinstance(c, str) and c.startswith("params.")]
    out = []
    for column in columns:
        try:
            distinct = rows[column].nunique(dropna=False)
        except TypeError:  # unhashable values: compare their text
            distinct = rows[column].astype(str).nunique(dropna=False)
        if distinct >= 2:
            out.append(column)
    return out


def ablations_section(rows: pd.DataFrame, choices: Choices, overrides: Mapping[str, str]) -> Any:
    if not choices.metrics:
        return empty("Choose metrics above.")
    params = _differing(rows)
    labels = label_params(rows, [p for p in params if p != STEP])
    considered = [p for p in params if p not in labels]
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
