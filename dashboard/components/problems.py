"""The problems panel: every file that could not be read, with path, reader and reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from .. import ids


def problems_table(problems: list[dict[str, Any]]) -> Any:
    if not problems:
        return html.P("No problems: every file found was read.", className="text-muted mb-0")
    rows = [
        html.Tr(
            [
                html.Td(p["path"], className="font-monospace small text-break"),
                html.Td(p["reader"]),
                html.Td(p["reason"]),
                html.Td(
                    datetime.fromtimestamp(p["when"]).strftime("%Y-%m-%d %H:%M:%S"), className="text-nowrap"
                ),
            ]
        )
        for p in problems
    ]
    head = html.Thead(html.Tr([html.Th("File"), html.Th("Reader"), html.Th("Reason"), html.Th("Seen")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, className="mb-0")


def problems_panel(problems: list[dict[str, Any]], is_open: bool = False) -> dbc.Collapse:
    return dbc.Collapse(
        dbc.Card(
            [
                dbc.CardHeader("Problems: files that could not be read (every other run still loaded)"),
                dbc.CardBody(problems_table(problems), id=ids.PROBLEMS_PANEL),
            ],
            className="mb-3 border-warning",
        ),
        id=ids.PROBLEMS_COLLAPSE,
        is_open=is_open,
    )
