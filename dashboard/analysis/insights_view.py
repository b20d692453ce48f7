"""The insights page as the URL holds it: what the shown runs offer, the page's choices, ``ins``.

The runs come from the runs page's filters (the same query string); the page's own choices (Pareto
axes, trend axes and colour, group-by param, metrics, parallel-coordinates params) live in one extra
query parameter, ``ins`` (JSON), holding only what differs from the defaults. A choice that is not
among the options the data offers is ignored, so a stale or hand-edited link still opens.

Pure pandas (no Dash), like ``recommend_view`` for the recommendation card.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd

from .directions import metric_direction
from .filters import option_text, varying_columns
from .insights import factorize_values
from .numbers import MISSING
from .runs_view import SUPPORTING_SUFFIXES, metric_order
from .trends import STEP, numeric
from .view import parse_view

INSIGHTS_PATH = "/insights"
INS_PARAM = "ins"
MAX_LEVELS = 30  # a param with more distinct values is not a group, a category axis or an ablation change
DEFAULT_METRICS = 5
DEFAULT_PARALLEL_PARAMS = 4
MIN_LABEL_VALUES = 3
SECTIONS = ("summary", "best", "pareto", "trends", "correlations", "groups", "ablations", "parallel")


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

    def key(column: str) -> tuple[int, int, int]:
        values: pd.Series = frame[column]
        return (-int(values.notna().sum()), _distinct(values), position[column])

    return sorted(columns, key=key)


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


def differing_params(rows: pd.DataFrame) -> list[str]:
    """Params (and the step) on which the runs are not all equal, missing counting as a value.

    Values compare as the ablations compare them: ``8`` equals ``8.0``, ``True`` is not ``1``.
    """
    columns = [STEP] if STEP in rows.columns else []
    columns += [c for c in rows.columns if isinstance(c, str) and c.startswith("params.")]
    out = []
    for column in columns:
        codes, uniques = factorize_values(rows[column])
        if len(uniques) + int(bool((codes < 0).any())) >= 2:
            out.append(column)
    return out


def ablation_params(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The params an ablation may change (and must otherwise hold equal), and those set aside as run labels."""
    params = differing_params(rows)
    labels = label_params(rows, [p for p in params if p != STEP])
    return [p for p in params if p not in labels], labels


# ---------------------------------------------------------------- the page's choices


@dataclass(frozen=True)
class Choices:
    """What the page shows; equal choices draw the same page, whatever the URL spelled."""

    pareto: tuple[str | None, str | None] = (None, None)
    trend_y: str | None = None
    trend_x: str | None = None
    trend_colour: str | None = None
    group: str | None = None
    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


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


def search_for(
    search: str | None, wanted: Choices, options: Options, overrides: Mapping[str, str]
) -> str | None:
    """The query to write for the choices the controls hold, or None when there is nothing to write.

    Compared as resolved choices, never as query strings: a stale or oddly spelled ``ins`` that
    already resolves to ``wanted`` is left alone, so setting the controls to what the URL says
    (every redraw does) never rewrites the URL nor pushes a history entry.
    """
    base = defaults(options, overrides)
    chosen = resolve(choices_ins(wanted, base), options, overrides)
    if chosen == resolve(read_ins(search), options, overrides):
        return None
    return with_ins(search, choices_ins(chosen, base))


def card_keys(search: str | None, version: Any, choices: Choices) -> dict[str, str]:
    """What each card depends on (the data's version, the filters, its own choices); equal keys: no redraw."""
    filters = json.dumps(parse_view(search).filters, sort_keys=True)
    base = [version, filters]
    own: dict[str, Any] = {
        "summary": [],
        "best": [],
        "pareto": list(choices.pareto),
        "trends": [choices.trend_y, choices.trend_x, choices.trend_colour],
        "correlations": list(choices.metrics),
        "groups": [choices.group, list(choices.metrics)],
        "ablations": list(choices.metrics),
        "parallel": [list(choices.params), list(choices.metrics)],
    }
    return {name: json.dumps([*base, own[name]], default=str) for name in SECTIONS}


def label(column: str | None) -> str:
    """A column as the page names it: ``metrics.acc`` -> ``acc``; none -> "—"."""
    if column is None:
        return MISSING
    return column.split(".", 1)[1] if column.startswith(("metrics.", "params.")) else column
