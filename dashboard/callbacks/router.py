"""Which page the path asks for: ``/`` the runs page, ``/run/<run_id>`` one run, ``/compare`` runs head to
head, ``/insights`` facts across the runs shown; and the header's Runs / Insights links."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from dash import Input, Output, State, callback, html

from .. import ids
from ..components.header import nav_targets
from ..components.insights_page import INSIGHTS_PATH
from . import insights  # noqa: F401  (registers the insights page's callbacks)
from .compare import COMPARE_PATH, render_compare_page
from .insights import render_insights_page
from .run_page import render_run_page
from .runs_page import render_runs_page

RUN_PREFIX = "/run/"


@callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))
def route(pathname: str | None, search: str | None = None) -> Any:
    path = pathname or "/"
    if path.startswith(RUN_PREFIX):
        return render_run_page(unquote(path[len(RUN_PREFIX) :]))
    if path == COMPARE_PATH:
        return render_compare_page(search)
    if path == INSIGHTS_PATH:
        return render_insights_page(search)
    if path in ("/", ""):
        return render_runs_page(search)
    return html.Div(
        [
            html.H4("Page not found"),
            html.P(["Nothing lives at ", html.Code(path), "."]),
            html.A("All runs", href="/"),
        ],
        className="p-4",
    )


@callback(
    Output(ids.NAV_RUNS, "href"),
    Output(ids.NAV_INSIGHTS, "href"),
    Output(ids.NAV_RUNS, "className"),
    Output(ids.NAV_INSIGHTS, "className"),
    Output(ids.NAV_STATE, "data"),
    Input(ids.URL, "pathname"),
    Input(ids.URL, "search"),
    State(ids.NAV_STATE, "data"),
)
def follow_nav(pathname: str | None, search: str | None, remembered: Any) -> tuple[Any, ...]:
    """Both links carry the runs page's query (its filters), so each page works on the same runs."""
    targets = nav_targets(pathname or "/", search or "", remembered if isinstance(remembered, dict) else {})
    return (
        targets.runs_href,
        targets.insights_href,
        targets.runs_class,
        targets.insights_class,
        targets.remembered,
    )
