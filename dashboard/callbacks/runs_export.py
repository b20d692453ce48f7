"""Export exactly what the runs page shows: the filtered rows, visible columns and sort order.

When the table shows the recommendation's ``score`` column (right after the name), the export
holds it in the same place, at full precision; runs the recommendation did not rank are empty.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, no_update

from .. import ids
from ..analysis.export import to_csv, to_json
from ..analysis.recommend_view import SCORE_COLUMN
from ..context import current
from ..rows import IDENTITY_COLUMNS, SERIES_COLUMN
from .runs_page import is_scored
from .view_cache import current_recommendation, current_view


def shown_frame(search: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The view's rows (with the score when the table shows it) and the columns the table shows, in order."""
    result = current_view(search)
    rows, shown = result.rows, list(result.columns)
    if is_scored(search):
        totals = current_recommendation(search).totals
        rows = rows.assign(**{SCORE_COLUMN: rows["run_id"].astype(str).map(totals).astype("float64")})
        place = shown.index("name") + 1 if "name" in shown else 0
        shown.insert(place, SCORE_COLUMN)
    return rows, ["run_id", *shown]


def csv_export(search: str | None) -> str:
    rows, columns = shown_frame(search)
    return to_csv(rows, columns)


def json_export(search: str | None) -> bytes:
    """JSON records always carry the run's identity; params and metrics are the visible ones."""
    rows, columns = shown_frame(search)
    snapshot = current().snapshot
    identity = [c for c in IDENTITY_COLUMNS if c not in columns]
    series = [c for c in (SERIES_COLUMN,) if c in rows.columns]
    return to_json(
        rows[[*columns, *identity, *series]],
        [r.path for r in snapshot.roots],
        [p.as_dict() for p in snapshot.problems],
    )


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
    stem = f"runboard-runs-{date.today().isoformat()}"
    if ctx.triggered_id == ids.EXPORT_CSV:
        return dcc.send_string(csv_export(search), f"{stem}.csv")
    return dcc.send_bytes(json_export(search), f"{stem}.json")
