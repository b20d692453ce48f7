"""Security headers on every response, and optional HTTP basic auth for a shared server.

Content-Security-Policy, and why each allowance is there:

- ``script-src 'self'`` plus the SHA-256 of Dash's own inline ``<script>`` blocks, pinned once at
  start-up from ``app.csp_hashes()`` (``allow_inline_scripts``): the renderer bootstrap (``var renderer =
  new DashRenderer();``) and the clientside callbacks it inlines. The page carries no run data (layout
  and callback results arrive as JSON), and pinning means nothing that ever got into a page could allow
  itself. Inline
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

import hmac
import logging
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


def content_security_policy(script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    policy = dict(BASE_POLICY)
    if script_hashes:
        policy["script-src"] = " ".join([BASE_POLICY["script-src"], *script_hashes])
    return "; ".join(f"{name} {value}" for name, value in policy.items())


SCRIPT_HASHES_KEY = "RUNBOARD_SCRIPT_HASHES"


def allow_inline_scripts(server: flask.Flask, hashes: list[str]) -> None:
    """Pin the inline scripts pages may run: Dash's own (``app.csp_hashes()``), computed once at start-up.

    Pinned rather than hashed from each page served, so nothing that ever got into a page could
    allow itself.
    """
    server.config[SCRIPT_HASHES_KEY] = tuple(hashes)


def _add_headers(response: flask.Response) -> flask.Response:
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    hashes: tuple[str, ...] = ()
    if response.mimetype == "text/html":
        hashes = flask.current_app.config.get(SCRIPT_HASHES_KEY, ())
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


def signed_in(settings: Settings) -> bool:
    """True when no login is configured, or the request carries the right one."""
    if not (settings.auth_user and settings.auth_password):
        return True
    given = flask.request.authorization
    return (
        given is not None
        and given.type == "basic"
        and _credentials_match(
            given.username or "", given.password or "", settings.auth_user, settings.auth_password
        )
    )


def _require_auth(settings: Settings) -> Callable[[], flask.Response | None]:
    def check() -> flask.Response | None:
        if flask.request.path in OPEN_PATHS or signed_in(settings):
            return None
        return _challenge()

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
        server.before_request(_require_auth(settings))
        return
    if settings.host not in LOOPBACK_HOSTS:
        log.warning(
            "Runboard binds %s without authentication: anyone who can reach it sees every run; set "
            "RUNBOARD_AUTH_USER and RUNBOARD_AUTH_PASSWORD to require a login",
            settings.host,
        )
        return
    server.before_request(_warn_once_when_open())
