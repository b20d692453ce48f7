"""The filter panel, built from the runs' own values (see ``analysis.filters.build_facets``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.filters import Facet
from ..analysis.numbers import format_number

# How many param facets the panel shows before "Add a filter…" (active ones always show).
SHOWN_PARAM_FACETS = 30
IDENTITY_FACETS = ("status", "source", "experiment", "step")


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf


# Log sliders move in twelfths of a decade from a whole decade, so 1e-3 … 1e-1 are exact stops.
LOG_STEPS_PER_DECADE = 12


def _range_control(facet: Facet, current: list[Any] | None) -> dcc.RangeSlider:
    assert facet.low is not None and facet.high is not None
    lo, hi = current if current and len(current) == 2 else (None, None)
    if facet.log:
        low, high = float(math.floor(math.log10(facet.low))), float(math.ceil(math.log10(facet.high)))
        marks = {d: {"label": format_number(10.0**d)} for d in range(int(low), int(high) + 1)}
        step: float | None = 1 / LOG_STEPS_PER_DECADE
        # Bounds come from the URL: anything not a positive number leaves that end open.
        value = [
            min(max(math.log10(lo), low), high) if _positive(lo) else low,
            min(max(math.log10(hi), low), high) if _positive(hi) else high,
        ]
    else:
        low, high = float(facet.low), float(facet.high)
        value = [lo if lo is not None else low, hi if hi is not None else high]
        if facet.options:  # few distinct values: the slider snaps to them; only the ends are labelled
            marks = {float(o): {"label": "\u200b"} for o in facet.options}  # a tick, no text
            marks.update({low: {"label": format_number(low)}, high: {"label": format_number(high)}})
            step = None
        else:
            marks = {low: {"label": format_number(low)}, high: {"label": format_number(high)}}
            step = (high - low) / 200 or None
    return dcc.RangeSlider(
        id={"type": ids.FACET_RANGE, "column": facet.column, "log": facet.log},
        min=low,
        max=high,
        value=value,
        marks=marks,
        step=step,
        allowCross=False,
        updatemode="mouseup",
        # Typed bounds would be log10 units on a log slider: offer them on linear ones only.
        allow_direct_input=not facet.log,
        tooltip={"placement": "bottom", "transform": "pow10" if facet.log else "round4"},
        className="facet-range",
    )


# A dropdown holding thousands of options (one per experiment in a big lab) costs the browser seconds
# to index; past this many, options are served as the user types.
LISTED_OPTIONS = 100
MATCHES_SHOWN = 50


def choice_options(options: Sequence[str], chosen: Sequence[str], search: str | None) -> list[dict[str, str]]:
    """All options when ``search`` is "", else the chosen ones and the first matches of ``search``."""
    if search == "":
        matches = list(options)
    else:
        needle = (search or "").lower()
        matches = [o for o in options if needle in str(o).lower()][:MATCHES_SHOWN] if needle else []
    listed = list(dict.fromkeys([*chosen, *matches]))
    return [{"label": str(o), "value": str(o)} for o in listed]


def _control(facet: Facet, state: dict[str, Any]) -> Any:
    if facet.kind == "bool":
        return dbc.RadioItems(
            id={"type": ids.FACET_BOOL, "column": facet.column},
            options=[
                {"label": "any", "value": "any"},
                {"label": "yes", "value": "yes"},
                {"label": "no", "value": "no"},
            ],
            value=state.get("bool", {}).get(facet.column, "any"),
            inline=True,
            className="facet-bool",
        )
    if facet.kind == "choice":
        chosen = state.get("choice", {}).get(facet.column, [])
        many = len(facet.options) > LISTED_OPTIONS
        return dcc.Dropdown(
            id={"type": ids.FACET_CHOICE, "column": facet.column},
            options=choice_options(facet.options, chosen, "" if not many else None),
            value=chosen,
            multi=True,
            placeholder=f"any — type to search {len(facet.options)} values" if many else "any",
            className="facet-choice",
        )
    return _range_control(facet, state.get("range", {}).get(facet.column))


def _is_active(facet: Facet, state: dict[str, Any]) -> bool:
    return any(facet.column in state.get(part, {}) for part in ("choice", "bool", "range"))


def _group(facet: Facet) -> str:
    return facet.label.split(".", 1)[0] if "." in facet.label else "general"


def _group_key(facet: Facet, switched: frozenset[str]) -> tuple[int, str]:
    """Identity facets first, then groups with an on/off switch (``lora.enable``, ``ttt.enable``:
    the method being compared), then general params, then the other groups by name."""
    if not facet.column.startswith("params."):
        return (0, "")
    group = _group(facet)
    if group in switched:
        return (1, group)
    return (2, "") if group == "general" else (3, group)


def visible_facets(facets: Sequence[Facet], state: dict[str, Any], more: Sequence[str]) -> list[Facet]:
    """Identity facets, the first few param facets, and any facet active or added by the user.

    Param facets are grouped by their first dotted part (``ttt.*``, ``lora.*``), general ones first."""
    params_shown = 0
    shown = []
    switched = frozenset(_group(f) for f in facets if f.kind == "bool" and f.label.endswith(".enable"))
    for facet in sorted(facets, key=lambda f: _group_key(f, switched)):
        is_param = facet.column.startswith("params.")
        if (
            not is_param
            or _is_active(facet, state)
            or facet.column in more
            or params_shown < SHOWN_PARAM_FACETS
        ):
            shown.append(facet)
            params_shown += is_param
    return shown


def filter_panel(facets: Sequence[Facet], state: dict[str, Any], more: Sequence[str]) -> list[Any]:
    """The panel's content: search, one control per shown facet, and "Add a filter…"."""
    shown = visible_facets(facets, state, more)
    hidden = [f for f in facets if f not in shown]
    children: list[Any] = [
        html.Label(
            "Search name, id or path", htmlFor=ids.SEARCH, className="form-label small text-muted mb-1"
        ),
        dbc.Input(
            id=ids.SEARCH,
            value=state.get("q", ""),
            placeholder="text, or /regex/",
            debounce=True,
            type="search",
            className="mb-1",
        ),
        html.Div(id=ids.SEARCH_ERROR, className="small text-danger mb-2"),
    ]
    group = None
    for facet in shown:
        if facet.column.startswith("params."):
            name = _group(facet)
            if name != group:
                group = name
                children.append(
                    html.Div(name, className="facet-group text-uppercase small text-muted mt-3 mb-2")
                )
        children.append(
            html.Div(
                [
                    html.Div(
                        facet.label,
                        className="facet-label small fw-semibold text-truncate",
                        title=facet.column,
                    ),
                    _control(facet, state),
                ],
                className="facet mb-3",
            )
        )
    # Always present (a callback listens to it), hidden when every facet is already shown.
    children.append(
        dcc.Dropdown(
            id=ids.ADD_FACET,
            options=[{"label": f.label, "value": f.column} for f in hidden],
            placeholder=f"Add a filter… ({len(hidden)} more params)",
            value=None,
            className="add-facet",
            style={} if hidden else {"display": "none"},
        )
    )
    return children
