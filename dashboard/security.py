"""Security headers on every response, and optional HTTP basic auth for a shared server.

Content-Security-Policy, and why each allowance is there:

- ``script-src 'self'`` plus the SHA-256 of each inline ``<script>`` in the HTML being served. Dash's
  page has exactly two kinds: the renderer bootstrap (``var renderer = new DashRenderer();``) and the
  clientside callbacks it inlines. Both are Dash's own code; the page carries no run data (layout and
  callback results arrive as JSON), so hashing what is served allows those and nothing else. Inline
  event handlers (``onerror=``) and ``javascript:`` URLs stay blocked (no ``'unsafe-hashes'``). The JSON
  config block (``type="application/json"``) is data, never run, and needs nothing.
- ``'unsafe-eval'``: plotly.js draws WebGL traces (``scattergl``, used for curves over
  ``WEBGL_POINTS`` points, and ``parcoords`` on the insights page) with regl, which compiles its draw
  calls with ``Function``; without it those charts stay blank. It lets code already running compile
  strings; it does not let injected markup run (inline scripts and handlers still need a hash). If the
  charts ever stop using WebGL traces, drop it here (``SCRIPT_EVAL``). dash-ag-grid runs our
  ``{"function": ...}`` strings through its own interpreter and needs nothing.
- ``style-src 'self' 'unsafe-inline'``: dash-renderer, dcc (dropdowns, loading), dash-ag-grid and
  plotly.js inject ``<style>`` elements at run time, whose contents cannot be hashed ahead of time
  (with ``style-src 'self'`` the grid's layout falls apart). Inline style cannot run script.
- ``img-src 'self' data:``: Bootstrap's checkboxes, switches and select arrows are SVG data URIs.
- ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers): no clickjacking frame.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Callable

import flask
from dash.exceptions import DependencyException

from .settings import LOOPBACK_HOSTS, Settings

log = logging.getLogger(__name__)

REALM = "Runboard"
OPEN_PATHS = frozenset({"/healthz"})  # load balancers and monitors probe without credentials

SCRIPT_EVAL = "'unsafe-eval'"  # plotly's WebGL traces (regl); see the module docstring
BASE_POLICY = {
    "default-src": "'self'",
    "script-src": f"'self' {SCRIPT_EVAL}",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# An inline script: a <script> without src. Data blocks (type="application/json") are not run.
_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # Dash's IE notice sits in a conditional comment
_SRC_ATTR = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_DATA_TYPE = re.compile(r"\btype\s*=\s*[\"']?application/json", re.IGNORECASE)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for the inline scripts of ``html``, in page order."""
    hashes: list[str] = []
    for match in _INLINE_SCRIPT.finditer(_COMMENT.sub("", html)):
        attrs = match.group("attrs")
        if _SRC_ATTR.search(attrs) or _DATA_TYPE.search(attrs):
            continue
        digest = base64.b64encode(hashlib.sha256(match.group("body").encode()).digest()).decode()
        token = f"'sha256-{digest}'"
        if token not in hashes:
            hashes.append(token)
    return hashes


def content_security_policy(script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    policy = dict(BASE_POLICY)
    if script_hashes:
        policy["script-src"] = " ".join([BASE_POLICY["script-src"], *script_hashes])
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _add_headers(response: flask.Response) -> flask.Response:
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    hashes: list[str] = []
    if response.mimetype == "text/html" and not response.direct_passthrough:
        hashes = inline_script_hashes(response.get_data(as_text=True))
    response.headers["Content-Security-Policy"] = content_security_policy(hashes)
    return response


def _credentials_match(given_user: str, given_password: str, user: str, password: str) -> bool:
    # Both compared in constant time, and both always compared: timing says nothing about which failed.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok & password_ok


def _challenge() -> flask.Response:
    response = flask.Response("Authentication required.\n", status=401, mimetype="text/plain")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _require_auth(user: str, password: str) -> Callable[[], flask.Response | None]:
    def check() -> flask.Response | None:
        if flask.request.path in OPEN_PATHS:
            return None
        given = flask.request.authorization
        if (
            given is None
            or given.type != "basic"
            or not _credentials_match(given.username or "", given.password or "", user, password)
        ):
            return _challenge()
        return None

    return check


def _warn_once_when_open() -> Callable[[], None]:
    """Warn once if a client from another machine reaches a server that has no authentication.

    The bind address is not always in the settings (gunicorn takes it from its own config), so the
    first remote client is what tells.
    """
    warned = False

    def check() -> None:
        nonlocal warned
        remote = flask.request.remote_addr or ""
        if not warned and remote and remote not in LOOPBACK_HOSTS and not remote.startswith("127."):
            warned = True
            log.warning(
                "Runboard is serving %s without authentication; set RUNBOARD_AUTH_USER and "
                "RUNBOARD_AUTH_PASSWORD to require a login",
                remote,
            )

    return check


def _not_a_bundle(_error: DependencyException) -> flask.Response:
    # Dash answers a probe like /_dash-component-suites/../x with an exception (a 500 and a logged
    # traceback per request); it is simply not one of the bundles it serves.
    return flask.Response("Not found.\n", status=404, mimetype="text/plain")


def install(server: flask.Flask, settings: Settings) -> None:
    """Add the security headers to every response and, when configured, require basic auth."""
    settings.check_auth()
    server.after_request(_add_headers)
    server.register_error_handler(DependencyException, _not_a_bundle)
    if settings.auth_user and settings.auth_password:
        server.before_request(_require_auth(settings.auth_user, settings.auth_password))
        return
    if settings.host not in LOOPBACK_HOSTS:
        log.warning(
            "Runboard binds %s without authentication: anyone who can reach it sees every run; set "
            "RUNBOARD_AUTH_USER and RUNBOARD_AUTH_PASSWORD to require a login",
            settings.host,
        )
        return
    server.before_request(_warn_once_when_open())
