"""Live refresh of what every page shows: header counts, problems, and the snapshot version.

Pages listen to ``ids.SNAPSHOT_VERSION``: it changes only when the scanner published
different runs or problems, so an unchanged tree costs the browser nothing.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, no_update

from .. import ids
from ..components.header import problem_badge_text, run_count_text, scan_text
from ..components.problems import problems_table
from ..context import current


@callback(
    Output(ids.RUN_COUNT, "children"),
    Output(ids.PROBLEM_BADGE, "children"),
    Output(ids.PROBLEM_BADGE, "color"),
    Output(ids.PROBLEMS_PANEL, "children"),
    Output(ids.SNAPSHOT_VERSION, "data"),
    Output(ids.LAST_SCAN, "children"),
    Input(ids.REFRESH_INTERVAL, "n_intervals"),
    State(ids.SNAPSHOT_VERSION, "data"),
)
def refresh(_n: int, shown_version: int | None) -> tuple[Any, ...]:
    snap = current().snapshot
    if snap.scanned_at is None or snap.version == shown_version:
        return (no_update,) * 5 + (scan_text(snap.scanned_at),)
    problems = [p.as_dict() for p in snap.problems]
    return (
        run_count_text(len(snap.runs)),
        problem_badge_text(len(problems)),
        "warning" if problems else "success",
        problems_table(problems),
        snap.version,
        scan_text(snap.scanned_at),
    )


@callback(
    Output(ids.PROBLEMS_COLLAPSE, "is_open"),
    Input(ids.PROBLEM_BADGE, "n_clicks"),
    State(ids.PROBLEMS_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)
def toggle_problems(_clicks: int, is_open: bool) -> bool:
    return not is_open
