"""The publication-table card: pick metrics, LaTeX or Markdown, a caption; preview, copy, download.

Only the layout; ``callbacks/publication.py`` fills the metric choices, the preview and the note.
The preview is a ``<pre>`` holding plain text (Dash escapes it), so run names are never markup.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids

FORMATS = (("latex", "LaTeX"), ("markdown", "Markdown"))
DEFAULT_FORMAT = "latex"
PREVIEW_STYLE = {"maxHeight": "28rem", "whiteSpace": "pre-wrap", "overflow": "auto"}  # wrapped only on screen


def _controls() -> dbc.Row:
    metrics = html.Div(
        [
            dbc.Label("Metrics (columns)", html_for=ids.PUBLICATION_METRICS, className="small mb-1"),
            dcc.Dropdown(
                id=ids.PUBLICATION_METRICS,
                multi=True,
                options=[],
                value=None,  # None until the callback sets the defaults; [] is the user's empty choice
                placeholder="Choose metrics",
            ),
        ]
    )
    fmt = html.Div(
        [
            dbc.Label("Format", className="small mb-1 d-block"),
            dbc.RadioItems(
                id=ids.PUBLICATION_FORMAT,
                options=[{"label": label, "value": value} for value, label in FORMATS],
                value=DEFAULT_FORMAT,
                inline=True,
            ),
        ]
    )
    caption = html.Div(
        [
            dbc.Label("Caption", html_for=ids.PUBLICATION_CAPTION, className="small mb-1"),
            dbc.Input(
                id=ids.PUBLICATION_CAPTION,
                type="text",
                debounce=True,
                placeholder="Your caption; the note on bold and ± is added after it",
                size="sm",
            ),
        ]
    )
    return dbc.Row(
        [dbc.Col(metrics, lg=6), dbc.Col(fmt, lg="auto"), dbc.Col(caption, lg=True)],
        className="g-3 mb-2 align-items-end",
    )


def _actions() -> html.Div:
    return html.Div(
        [
            html.Span(id=ids.PUBLICATION_NOTE, className="small text-muted me-auto"),
            dcc.Clipboard(
                id=ids.PUBLICATION_COPY,
                target_id=ids.PUBLICATION_PREVIEW,
                title="Copy the table",
                className="btn btn-sm btn-outline-secondary",
            ),
            dbc.Button(
                "Download",
                id=ids.PUBLICATION_DOWNLOAD_BUTTON,
                size="sm",
                color="primary",
                outline=True,
                n_clicks=0,
                title="Download the table (.tex or .md)",
            ),
            dcc.Download(id=ids.PUBLICATION_DOWNLOAD),
        ],
        className="d-flex align-items-center gap-2 mb-2",
    )


def publication_section() -> dbc.Card:
    """The card (id ``publication``): the runs are the selection of the URL's view, else the runs shown."""
    header = html.Div(
        [
            html.H5("Publication table", className="mb-0 me-2"),
            html.Span(
                "runs as rows, best per column in bold, 95% intervals where known",
                className="small text-muted",
            ),
        ],
        className="d-flex flex-wrap align-items-baseline gap-2",
    )
    body = dbc.CardBody(
        [
            _controls(),
            _actions(),
            html.Pre(
                id=ids.PUBLICATION_PREVIEW,
                className="bg-body-tertiary border rounded p-2 small mb-0",
                style=PREVIEW_STYLE,
            ),
        ]
    )
    return dbc.Card([dbc.CardHeader(header), body], id=ids.PUBLICATION, className="mb-3 shadow-sm")
