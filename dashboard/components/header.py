"""The page header: title, run count, last scan time, problems badge."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import html

from .. import ids


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
