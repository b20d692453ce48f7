"""The publication-table card: which runs, which metrics, and the text in the chosen format.

The runs are the URL view's selection (``sel``, in selection order) when it names known runs,
else the runs the runs page shows for that view (filtered and sorted), at most ``MAX_ROWS``.
Importing this module registers its callbacks; the card itself is mounted by a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, dcc, no_update

from .. import ids
from ..analysis.directions import metric_direction
from ..analysis.intervals import supporting_keys
from ..analysis.publication import publication_table, to_latex, to_markdown
from ..analysis.runs_view import metric_order
from ..analysis.view import parse_view
from ..context import current
from .view_cache import current_view

MAX_ROWS = 50
MAX_DEFAULT_METRICS = 6
METRIC_PREFIX = "metrics."
EXTENSIONS = {"latex": "tex", "markdown": "md"}


def publication_rows(search: str | None) -> tuple[pd.DataFrame, str]:
    """The runs to tabulate for a URL query, and a sentence saying which they are."""
    frame = current().snapshot.runs
    selected = parse_view(search).selected
    note = ""
    if selected and "run_id" in frame.columns:
        known = [r for r in selected if r in set(frame["run_id"])]
        if known:
            rows = frame.drop_duplicates("run_id").set_index("run_id", drop=False).loc[known]
            return rows.reset_index(drop=True), f"{len(known)} selected run{'s' if len(known) > 1 else ''}."
        note = "The selected runs are no longer in the table; "
    shown = current_view(search).rows
    if len(shown) > MAX_ROWS:
        return shown.head(MAX_ROWS), (
            f"{note}First {MAX_ROWS} of the {len(shown)} runs the runs page shows: "
            "filter or select runs to choose others."
        )
    count = f"{len(shown)} run{'' if len(shown) == 1 else 's'}"
    return shown, f"{note}{count} the runs page shows (select runs there to choose fewer)."


def metric_choices(rows: pd.DataFrame) -> list[str]:
    """Metrics (bare names) at least one of the runs has, directional first; counts and errors folded."""
    present = [c for c in metric_order(rows) if rows[c].notna().any()]
    bare = [c[len(METRIC_PREFIX) :] for c in present]
    folded = supporting_keys(set(bare))
    return [m for m in bare if m not in folded]


def default_metrics(search: str | None, choices: Sequence[str], overrides: Mapping[str, str]) -> list[str]:
    """The metrics the runs page shows that have a direction (up to 6), else the first directional ones."""
    directed = [m for m in choices if metric_direction(m, overrides) is not None]
    shown = [c[len(METRIC_PREFIX) :] for c in current_view(search).columns if c.startswith(METRIC_PREFIX)]
    picked = [m for m in shown if m in directed]
    return (picked or directed)[:MAX_DEFAULT_METRICS]


def table_text(rows: pd.DataFrame, metrics: Sequence[str], fmt: str | None, caption: str | None) -> str:
    table = publication_table(rows, metrics, current().settings.metric_directions)
    return to_markdown(table, caption) if fmt == "markdown" else to_latex(table, caption)


@callback(
    Output(ids.PUBLICATION_METRICS, "options"),
    Output(ids.PUBLICATION_METRICS, "value"),
    Output(ids.PUBLICATION_PREVIEW, "children"),
    Output(ids.PUBLICATION_NOTE, "children"),
    Input(ids.PUBLICATION_METRICS, "value"),
    Input(ids.PUBLICATION_FORMAT, "value"),
    Input(ids.PUBLICATION_CAPTION, "value"),
    Input(ids.URL, "search"),
    Input(ids.SNAPSHOT_VERSION, "data"),
)
def render_publication(
    chosen: list[str] | None, fmt: str | None, caption: str | None, search: str | None, _version: Any
) -> tuple[Any, Any, str, str]:
    """Choices, the chosen metrics (defaults on first show), the table text and which runs it holds."""
    rows, note = publication_rows(search)
    choices = metric_choices(rows)
    options = [{"label": m, "value": m} for m in choices]
    if chosen is None:
        metrics = default_metrics(search, choices, current().settings.metric_directions)
    else:
        metrics = [m for m in chosen if m in choices]  # a metric none of these runs has is dropped
    value = no_update if metrics == chosen else metrics
    if rows.empty:
        return options, value, "", "No runs to tabulate: the runs page shows none for this view."
    if not metrics:
        return options, value, "", f"{note} Choose at least one metric."
    return options, value, table_text(rows, metrics, fmt, caption), note


@callback(
    Output(ids.PUBLICATION_DOWNLOAD, "data"),
    Input(ids.PUBLICATION_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.PUBLICATION_PREVIEW, "children"),
    State(ids.PUBLICATION_FORMAT, "value"),
    prevent_initial_call=True,
)
def download_publication(clicks: int | None, text: str | None, fmt: str | None) -> Any:
    """The previewed text as a file: what is downloaded is what is shown."""
    if not clicks or not text:
        return no_update
    return dcc.send_string(text, f"runboard-table.{EXTENSIONS.get(fmt or '', 'tex')}")
