"""The runs page: filter panel, toolbar (count, chips, columns, export), table, selection tray."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids
from ..analysis.filters import Chip
from ..analysis.view import MAX_SELECTED

# Okabe–Ito: distinguishable for colour-blind readers; a run keeps its colour on every chart.
RUN_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00")
COMPARE_PATH = "/compare"


def compare_search(run_ids: Sequence[str], ref: str | None = None) -> str:
    """The comparison page's query: ``?runs=<JSON list, in selection order>[&ref=<id>]``."""
    parts = [("runs", json.dumps(list(run_ids), separators=(",", ":"), ensure_ascii=False))]
    if ref:
        parts.append(("ref", ref))
    return "?" + urlencode(parts)


def showing_text(shown: int, total: int) -> str:
    return f"Showing {shown} of {total} run" + ("" if total == 1 else "s")


def chips(active: Sequence[Chip]) -> list[Any]:
    return [
        html.Span(
            [
                html.Span(chip.label, className="chip-label"),
                html.Button(
                    "×",
                    id={"type": ids.CHIP, "key": chip.key},
                    n_clicks=0,
                    className="btn-close-chip",
                    title=f"Remove filter {chip.label}",
                    **{"aria-label": f"Remove filter {chip.label}"},
                ),
            ],
            className="filter-chip badge rounded-pill text-bg-primary me-1 mb-1",
        )
        for chip in active
    ]


def selection_tray(selected: Sequence[tuple[str, str]]) -> list[Any]:
    """``selected``: (run id, name) in selection order; each gets its colour."""
    if not selected:
        return [html.Span(f"Tick up to {MAX_SELECTED} runs to compare them.", className="text-muted small")]
    items: list[Any] = [
        html.Span(f"Selected {len(selected)}/{MAX_SELECTED}:", className="me-2 small fw-semibold")
    ]
    for i, (run_id, name) in enumerate(selected):
        items.append(
            html.Span(
                [
                    html.Span(
                        className="swatch", style={"backgroundColor": RUN_COLOURS[i % len(RUN_COLOURS)]}
                    ),
                    html.Span(name, className="tray-name", title=run_id),
                    html.Button(
                        "×",
                        id={"type": ids.SELECTION_REMOVE, "run_id": run_id},
                        n_clicks=0,
                        className="btn-close-chip",
                        title=f"Unselect {name}",
                    ),
                ],
                className="tray-item me-2",
            )
        )
    if len(selected) >= 2:
        items.append(
            dcc.Link(
                "Compare →",
                href=COMPARE_PATH + compare_search([run_id for run_id, _ in selected]),
                id=ids.COMPARE_LINK,
                className="btn btn-primary btn-sm ms-1",
                title="Compare the selected runs head to head",
            )
        )
    else:
        items.append(html.Span("Tick another run to compare.", className="text-muted small"))
    return items


def selection_refused() -> dbc.Alert:
    return dbc.Alert(
        f"At most {MAX_SELECTED} runs can be compared. Unselect one before adding another.",
        color="warning",
        dismissable=True,
        duration=8000,
        className="py-2 mb-0",
        id="selection-refused",
    )


def columns_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Columns")),
            dbc.ModalBody(
                [
                    html.P(
                        "Constant params are hidden by default; tick any column to show it.",
                        className="small text-muted",
                    ),
                    dcc.Checklist(
                        id=ids.COLUMNS_CHOOSER,
                        options=[],
                        value=[],
                        className="columns-chooser",
                        inputClassName="me-2",
                    ),
                ]
            ),
            dbc.ModalFooter(
                dbc.Button(
                    "Back to defaults", id=ids.COLUMNS_DEFAULT, color="secondary", size="sm", n_clicks=0
                )
            ),
        ],
        id=ids.COLUMNS_MODAL,
        is_open=False,
        scrollable=True,
        size="lg",
    )


def toolbar() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span(id=ids.SHOWING, className="fw-semibold me-3 text-nowrap"),
                    html.Span(id=ids.CHIPS, className="chips"),
                    dbc.Button("Reset filters", id=ids.RESET_FILTERS, size="sm", color="link", n_clicks=0),
                ],
                className="d-flex flex-wrap align-items-center flex-grow-1",
            ),
            html.Div(
                [
                    dbc.Button(
                        "Columns",
                        id=ids.COLUMNS_BUTTON,
                        size="sm",
                        color="secondary",
                        outline=True,
                        n_clicks=0,
                    ),
                    dbc.Button(
                        "Export CSV", id=ids.EXPORT_CSV, size="sm", color="primary", outline=True, n_clicks=0
                    ),
                    dbc.Button(
                        "Export JSON",
                        id=ids.EXPORT_JSON,
                        size="sm",
                        color="primary",
                        outline=True,
                        n_clicks=0,
                    ),
                ],
                className="d-flex gap-2 flex-shrink-0",
            ),
        ],
        className="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-2",
    )


def empty_result() -> html.Div:
    return html.Div(
        [
            html.Span("No run matches these filters. "),
            dbc.Button("Reset filters", id=ids.EMPTY_RESET, size="sm", color="primary", n_clicks=0),
        ],
        id=ids.EMPTY_RESULT,
        className="alert alert-info py-2 mb-2",
        style={"display": "none"},
    )


def compare_section(children: list[Any], state: dict[str, Any]) -> html.Div:
    """The comparison of the ticked runs, under the tray (the same panel as ``/compare``)."""
    return html.Div(
        [
            html.Div(children, id=ids.COMPARE_PANEL),
            dcc.Store(id=ids.COMPARE_STATE, data=state),
            dcc.Download(id=ids.COMPARE_DOWNLOAD),
        ],
        className="runs-compare mt-3",
    )


def runs_page(
    panel: list[Any],
    table: Any,
    last_written: str,
    columns_key: str,
    compare: Any = None,
    recommendation: Any = None,
) -> html.Div:
    """``recommendation``: the card above the toolbar (``components.recommendation``), if any."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(dbc.CardBody(panel, id=ids.FILTER_PANEL), className="filter-card"),
                        xs=12,
                        md=4,
                        lg=3,
                        className="mb-3",
                    ),
                    dbc.Col(
                        [
                            *([recommendation] if recommendation is not None else []),
                            toolbar(),
                            html.Div(id=ids.NEW_RUNS_NOTICE),
                            empty_result(),
                            table,
                            html.Div(id=ids.SELECTION_MESSAGE, className="mt-2"),
                            html.Div(
                                [
                                    html.Div(id=ids.SELECTION_TRAY, className="selection-tray"),
                                    dbc.Button(
                                        "Clear selection",
                                        id=ids.SELECTION_CLEAR,
                                        size="sm",
                                        color="link",
                                        n_clicks=0,
                                    ),
                                ],
                                className="d-flex flex-wrap align-items-center mt-2",
                            ),
                        ],
                        xs=12,
                        md=8,
                        lg=9,
                    ),
                ]
            ),
            compare if compare is not None else compare_section([], {}),
            columns_modal(),
            dcc.Download(id=ids.DOWNLOAD),
            dcc.Store(id=ids.LAST_WRITTEN_QUERY, data=last_written),
            dcc.Store(id=ids.COLUMNS_KEY, data=columns_key),
            dcc.Store(id=ids.SHOWN_RUN_COUNT),
            dcc.Store(id=ids.GRID_REFRESH),
        ]
    )
