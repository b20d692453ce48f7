"""The Dash app factory: ``create_app(settings)`` builds a fresh app over a store."""

from __future__ import annotations

import logging
import os

import dash
import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from . import callbacks as _callbacks  # noqa: F401  (registers module-level callbacks)
from . import ids, security
from .callbacks.refresh import PROGRESS_POLL_MS
from .components.header import header
from .components.problems import problems_panel
from .context import EXTENSION_KEY, AppContext
from .coordination import ScanLease
from .ingest import default_readers
from .scanner import Scanner
from .settings import PROJECT_DIR, Settings
from .store import Store

log = logging.getLogger(__name__)
# A small tree's first scan is shown at once; a big or slow one never holds the page longer than this.
FIRST_SCAN_WAIT_SECONDS = 1.0


def _layout(context: AppContext) -> html.Div:
    # A small tree is shown at once; a big one renders "Scanning…" and fills in on the next tick.
    # Dash may build the layout twice for one request: wait only the first time.
    if not (flask.has_request_context() and flask.g.get("runboard_waited")):
        if flask.has_request_context():
            flask.g.runboard_waited = True
        context.scanner.first_scan_done.wait(FIRST_SCAN_WAIT_SECONDS)
    snap = context.snapshot
    problems = [p.as_dict() for p in snap.problems]
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            header(len(snap.runs), len(problems), snap.scanned_at, [r.path for r in snap.roots]),
            dbc.Container([problems_panel(problems), html.Div(id=ids.PAGE)], fluid=True),
            dcc.Interval(
                id=ids.REFRESH_INTERVAL,
                interval=PROGRESS_POLL_MS
                if snap.scanned_at is None
                else int(context.settings.refresh_seconds * 1000),
            ),
            dcc.Store(id=ids.SNAPSHOT_VERSION, data=snap.version if snap.scanned_at else None),
        ]
    )


def create_app(settings: Settings | None = None, start_scanner: bool = True) -> dash.Dash:
    settings = settings or Settings.from_env()
    settings.check_auth()  # a half-configured login is refused before anything is created
    store = Store(settings.results_dirs, settings.cache_dir, default_readers(settings.log_patterns))
    scanner = Scanner(store, settings.refresh_seconds, ScanLease(store.lock_path))
    context = AppContext(settings=settings, store=store, scanner=scanner)

    server = flask.Flask("runboard")
    security.install(server, settings)
    server.extensions[EXTENSION_KEY] = context
    app = dash.Dash(
        "runboard",
        server=server,
        title="Runboard",
        assets_folder=str(PROJECT_DIR / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
    )
    app.layout = lambda: _layout(context)
    security.allow_inline_scripts(server, app.csp_hashes())

    @server.get("/healthz")
    def healthz() -> flask.Response:
        body = context.health()
        code = 200 if body["status"] in ("ok", "starting") else 503
        if not security.signed_in(settings):  # open to monitors, but errors and paths only for users
            body = {"status": body["status"]}
        return flask.make_response(flask.jsonify(body), code)

    if start_scanner:
        scanner.start()
    log.info(
        "Runboard over %s (cache %s)",
        ", ".join(map(os.fspath, settings.results_dirs)),
        store.lock_path.parent,
    )
    return app
