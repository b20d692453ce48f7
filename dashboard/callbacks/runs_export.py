"""Export exactly what the runs page shows: the filtered rows, visible columns and sort order."""

from __future__ import annotations

from datetime import date
from typing import Any

from dash import Input, Output, State, callback, ctx, dcc, no_update

from .. import ids
from ..analysis.export import to_csv, to_json
from ..context import current
from ..rows import IDENTITY_COLUMNS, SERIES_COLUMN
from .view_cache import current_view


@callback(
    Output(ids.DOWNLOAD, "data"),
    Input(ids.EXPORT_CSV, "n_clicks"),
    Input(ids.EXPORT_JSON, "n_clicks"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def export_view(_csv: int, _json: int, search: str | None) -> Any:
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    result = current_view(search)
    columns = ["run_id", *result.columns]
    stem = f"runboard-runs-{date.today().isoformat()}"
    if ctx.triggered_id == ids.EXPORT_CSV:
        return dcc.send_string(to_csv(result.rows, columns), f"{stem}.csv")
    # JSON records always carry the run's identity; params and metrics are the visible ones.
    snapshot = current().snapshot
    identity = [c for c in IDENTITY_COLUMNS if c not in columns]
    rows = result.rows[[*columns, *identity, *[c for c in (SERIES_COLUMN,) if c in result.rows.columns]]]
    body = to_json(rows, [r.path for r in snapshot.roots], [p.as_dict() for p in snapshot.problems])
    return dcc.send_bytes(body, f"{stem}.json")
