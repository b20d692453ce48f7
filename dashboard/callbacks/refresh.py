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

# While the first scan of a big tree runs, the header polls this often to show its progress.
PROGRESS_POLL_MS = 1000


def progress_text(progress: dict[str, Any]) -> str:
    """``Scanning… 1,204 folders, 310 runs`` for a first scan under way."""
    if not progress:
        return scan_text(None)
    folders, runs = int(progress.get("folders") or 0), int(progress.get("runs") or 0)
    where = f" in {progress['root']}" if progress.get("root") else ""
    return f"Scanning{where}… {folders:,} folders, {runs:,} runs so far"


@callback(
    Output(ids.RUN_COUNT, "children"),
    Output(ids.PROBLEM_BADGE, "children"),
    Output(ids.PROBLEM_BADGE, "color"),
    Output(ids.PROBLEMS_PANEL, "children"),
    Output(ids.SNAPSHOT_VERSION, "data"),
    Output(ids.LAST_SCAN, "children"),
    Output(ids.REFRESH_INTERVAL, "interval"),
    Input(ids.REFRESH_INTERVAL, "n_intervals"),
    State(ids.SNAPSHOT_VERSION, "data"),
)
def refresh(_n: int, shown_version: int | None) -> tuple[Any, ...]:
    context = current()
    snap = context.snapshot
    interval = int(context.settings.refresh_seconds * 1000)
    if snap.scanned_at is None:
        return (no_update,) * 5 + (progress_text(context.store.progress), PROGRESS_POLL_MS)
    if snap.version == shown_version:
        return (no_update,) * 5 + (scan_text(snap.scanned_at), interval)
    problems = [p.as_dict() for p in snap.problems]
    return (
        run_count_text(len(snap.runs)),
        problem_badge_text(len(problems)),
        "warning" if problems else "success",
        problems_table(problems),
        snap.version,
        scan_text(snap.scanned_at),
        interval,
    )


@callback(
    Output(ids.PROBLEMS_COLLAPSE, "is_open"),
    Input(ids.PROBLEM_BADGE, "n_clicks"),
    State(ids.PROBLEMS_COLLAPSE, "is_open"),
    prevent_initial_call=True,
)
def toggle_problems(_clicks: int, is_open: bool) -> bool:
    return not is_open
