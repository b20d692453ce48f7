"""Which page the path asks for: ``/`` the runs page, ``/run/<run_id>`` one run, ``/compare`` runs head to head."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from dash import Input, Output, State, callback, html

from .. import ids
from .compare import COMPARE_PATH, render_compare_page
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
