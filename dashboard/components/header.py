"""The page header: title, Runs / Insights links, run count, last scan time, problems badge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.insights_view import INSIGHTS_PATH, read_ins, with_ins

RUNS_PATH = "/"


@dataclass(frozen=True)
class NavTargets:
    """Where the header's links lead, which one is current, and what to remember for other pages."""

    runs_href: str
    insights_href: str
    runs_class: str
    insights_class: str
    remembered: dict[str, Any] = field(default_factory=dict)


def _link_class(active: bool) -> str:
    return "nav-link px-2" + (" active" if active else "")


def nav_targets(pathname: str, search: str, remembered: Mapping[str, Any]) -> NavTargets:
    """Links carrying the runs page's query (filters, sort, selection) and the insights page's ``ins``.

    On the runs page and the insights page the URL says both; elsewhere (a run's page, a comparison)
    the last ones seen are kept, so going back to either page finds the same runs.
    """
    view = str(remembered.get("view", "")) if isinstance(remembered.get("view"), str) else ""
    ins = remembered.get("ins") if isinstance(remembered.get("ins"), dict) else {}
    path = pathname or RUNS_PATH
    if path in (RUNS_PATH, INSIGHTS_PATH):
        view = with_ins(search, {})
    if path == INSIGHTS_PATH:
        ins = read_ins(search)
    return NavTargets(
        runs_href=RUNS_PATH + view,
        insights_href=INSIGHTS_PATH + with_ins(view, ins or {}),
        runs_class=_link_class(path == RUNS_PATH),
        insights_class=_link_class(path == INSIGHTS_PATH),
        remembered={"view": view, "ins": ins or {}},
    )


def nav_links() -> html.Nav:
    return html.Nav(
        [
            dcc.Link("Runs", href=RUNS_PATH, id=ids.NAV_RUNS, className=_link_class(True)),
            dcc.Link("Insights", href=INSIGHTS_PATH, id=ids.NAV_INSIGHTS, className=_link_class(False)),
            dcc.Store(id=ids.NAV_STATE, storage_type="memory"),
        ],
        className="navbar-nav flex-row gap-1 header-nav",
        **{"aria-label": "Pages"},
    )


def scan_text(scanned_at: float | None) -> str:
    if scanned_at is None:
        return "Scanning…"
    return "Last scan " + datetime.fromtimestamp(scanned_at).strftime("%H:%M:%S")


def run_count_text(n_runs: int) -> str:
    return f"{n_runs} run" + ("" if n_runs == 1 else "s")


def problem_badge_text(n_problems: int) -> str:
    return f"{n_problems} problem" + ("" if n_problems == 1 else "s")


def _remembered_switch(switch_id: str, label: str, value: bool) -> dbc.Switch:
    """A header switch whose position this browser remembers (local storage)."""
    return dbc.Switch(
        id=switch_id,
        label=label,
        value=value,
        persistence=True,
        persistence_type="local",
        className="text-white mb-0",
        label_class_name="text-white-50",
    )


def header(n_runs: int, n_problems: int, scanned_at: float | None, roots: list[str]) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                html.Div(
                    [
                        html.Span("Runboard", className="navbar-brand mb-0 h1"),
                        nav_links(),
                        html.Small(
                            " · ".join(roots), className="text-white-50 roots", title="Results folders"
                        ),
                    ],
                    className="d-flex align-items-baseline gap-3",
                ),
                html.Div(
                    [
                        html.Span(run_count_text(n_runs), id=ids.RUN_COUNT, className="text-white"),
                        html.Span(scan_text(scanned_at), id=ids.LAST_SCAN, className="text-white-50"),
                        _remembered_switch(ids.LIVE_SWITCH, "Live", True),
                        _remembered_switch(ids.THEME_SWITCH, "Dark", False),
                        dbc.Button(
                            problem_badge_text(n_problems),
                            id=ids.PROBLEM_BADGE,
                            color="warning" if n_problems else "success",
                            size="sm",
                            outline=not n_problems,
                            n_clicks=0,
                            title="Show files that could not be read",
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center gap-3",
                ),
            ],
            fluid=True,
        ),
        id=ids.HEADER,
        color="dark",
        dark=True,
        className="mb-3",
    )
