"""The params card of a run's page: every config value, grouped by first dotted part, searchable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from .. import ids

GENERAL = "general"


def param_text(value: Any) -> str:
    """A config value as its source wrote it: lists as JSON, floats exactly (``5e-05``), not rounded."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)) or value == "":
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def group_params(params: Mapping[str, Any], query: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """Params grouped by their first dotted part (``ttt.*``), un-nested keys under "general".

    ``query`` keeps the rows whose key or value holds every word of it (case-insensitive).
    Groups come "general" first, then by name; rows by key.
    """
    words = query.lower().split()
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(params, key=str):
        text = param_text(params[key])
        haystack = f"{key} {text}".lower()
        if not all(word in haystack for word in words):
            continue
        group = str(key).split(".", 1)[0] if "." in str(key) else GENERAL
        groups.setdefault(group, []).append((str(key), text))
    return sorted(groups.items(), key=lambda item: (item[0] != GENERAL, item[0]))


def params_table(params: Mapping[str, Any], query: str = "") -> Any:
    if not params:
        return html.P("This run recorded no params.", className="text-muted mb-0 p-3")
    groups = group_params(params, query)
    if not groups:
        return html.P(["No param matches ", html.Code(query), "."], className="text-muted mb-0 p-3")
    bodies = []
    for group, rows in groups:
        label = GENERAL if group == GENERAL else f"{group}.*"
        head = html.Tr(
            html.Th([label, html.Span(f" {len(rows)}", className="text-muted fw-normal")], colSpan=2),
            className="param-group",
        )
        cells = [
            html.Tr([_param_key(key, group), html.Td(text, className="param-value")]) for key, text in rows
        ]
        bodies.append(html.Tbody([head, *cells]))
    return dbc.Table(bodies, size="sm", hover=True, className="mb-0 params-table")


def _param_key(key: str, group: str) -> html.Td:
    if group != GENERAL and key.startswith(group + "."):
        parts: list[Any] = [html.Span(group + ".", className="text-muted"), key[len(group) + 1 :]]
    else:
        parts = [key]
    return html.Td(parts, className="font-monospace param-key", title=key)


def params_card(params: Mapping[str, Any], query: str = "") -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                html.Div(
                    [
                        html.Span(["Params ", dbc.Badge(str(len(params)), color="light", text_color="dark")]),
                        dbc.Input(
                            id={"type": ids.RUN_PARAMS_SEARCH, "index": 0},
                            type="search",
                            value=query,
                            placeholder="Search params (key or value)…",
                            size="sm",
                            debounce=250,
                            className="run-params-search",
                            autocomplete="off",
                        ),
                    ],
                    className="d-flex align-items-center justify-content-between gap-3",
                )
            ),
            html.Div(
                params_table(params, query),
                id={"type": ids.RUN_PARAMS_TABLE, "index": 0},
                className="params-scroll",
            ),
        ],
        className="mb-3 shadow-sm",
        id=ids.RUN_PARAMS,
    )
