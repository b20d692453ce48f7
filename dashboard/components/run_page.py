"""Layout of one run's page. Everything from the run's files is rendered as text."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from .. import ids
from ..ingest.base import Problem, Run


def run_not_found(run_id: str) -> html.Div:
    return html.Div(
        [
            html.H4("Run not found"),
            html.P(["No run has the id ", html.Code(run_id), " in the last scan."]),
            html.A("All runs", href="/"),
        ],
        className="p-4",
        id=ids.RUN_PAGE,
    )


def _table(rows: list[tuple[str, Any]], headers: tuple[str, str]) -> dbc.Table:
    body = [html.Tr([html.Td(k, className="font-monospace"), html.Td(str(v))]) for k, v in rows]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(body)], size="sm", striped=True
    )


def run_page(run_id: str, run: Run, problems: list[Problem], series_lengths: dict[str, int]) -> html.Div:
    return html.Div(
        [
            html.A("← All runs", href="/"),
            html.H3(run.name, className="mt-2"),
            html.P([html.Code(run_id), " · ", run.source, " · ", run.status], className="text-muted"),
            html.H5("Metrics"),
            _table(sorted(run.metrics.items()), ("Metric", "Value")),
            html.H5("Series"),
            _table(sorted(series_lengths.items()), ("Series", "Points")),
            html.H5("Params"),
            _table(sorted(run.params.items()), ("Param", "Value")),
            html.H5("Files read"),
            html.Ul([html.Li(path, className="font-monospace small") for path in run.files]),
            html.H5("Problems"),
            html.Ul([html.Li(f"{p.path}: {p.reason}") for p in problems]) if problems else html.P("None."),
        ],
        className="p-3",
        id=ids.RUN_PAGE,
    )
