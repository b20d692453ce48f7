"""Security headers, the CSP's script hashes, optional basic auth and its settings."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from dashboard.context import EXTENSION_KEY
from dashboard.settings import Settings
from dashboard.webapp import create_app
from tests.fixtures.trees import seed_config, write_seed_run

PAYLOAD = '<img src=x onerror="window.__xss=1">'


# What a browser would need allowed: the inline scripts of a served page (test-side, to check the pins).
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


def make_app(tmp_path: Path, **overrides):  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    write_seed_run(root, "exp", 1000)
    settings = Settings(results_dirs=[root], cache_dir=tmp_path / "cache", **overrides)
    app = create_app(settings, start_scanner=False)
    context = app.server.extensions[EXTENSION_KEY]
    context.scanner.scan_now()
    context.scanner.first_scan_done.set()
    return app


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(tmp_path)


def asset_paths(html: str) -> tuple[str, str]:
    """One stylesheet from assets/ and one Dash component bundle, as the page links them."""
    css = re.search(r'href="(/assets/[^"]+\.css[^"]*)"', html)
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+)"', html)
    assert css and bundle, html
    return css.group(1), bundle.group(1)


def test_every_kind_of_response_carries_the_headers(app) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    css, bundle = asset_paths(client.get("/").get_data(as_text=True))
    for path in ("/", "/healthz", css, bundle, "/_dash-layout", "/_dash-dependencies", "/no/such/page"):
        response = client.get(path)
        assert response.status_code == 200, path  # a Dash page path is the app's index, not a 404
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["default-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["img-src"] == ["'self'", "data:"], path
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"], path


def test_scripts_are_allowed_by_hash_exactly_as_dash_computes_them(app) -> None:  # type: ignore[no-untyped-def]
    response = app.server.test_client().get("/")
    script_src = directives(response.headers["Content-Security-Policy"])["script-src"]
    assert script_src[:2] == ["'self'", "'unsafe-eval'"]  # eval: plotly's WebGL traces (regl)
    assert set(script_src[2:]) == set(app.csp_hashes())  # Dash's own hashes of its inline scripts
    assert set(inline_script_hashes(response.get_data(as_text=True))) == set(script_src[2:])  # all it serves
    assert len(script_src) == len(set(script_src))
    assert "'unsafe-inline'" not in script_src and "'unsafe-hashes'" not in script_src


def test_json_responses_allow_no_inline_script(app) -> None:  # type: ignore[no-untyped-def]
    policy = app.server.test_client().get("/_dash-layout").headers["Content-Security-Policy"]
    assert directives(policy)["script-src"] == ["'self'", "'unsafe-eval'"]


def test_inline_script_hashes_skip_sources_data_blocks_and_comments() -> None:
    empty = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"  # SHA-256 of no bytes
    html = (
        '<script src="/a.js"></script>'
        '<script id="_dash-config" type="application/json">{"a": 1}</script>'
        "<!--[if IE]><script>alert(1)</script><![endif]-->"
        '<SCRIPT type="application/javascript"></SCRIPT>'
        "<script></script>"
    )
    assert inline_script_hashes(html) == [empty]


def test_the_page_html_holds_no_run_data_so_its_hashes_cover_only_dash(tmp_path: Path) -> None:
    # The CSP hashes the inline scripts of the HTML it serves; that is safe only because run data
    # never reaches that HTML (it arrives as JSON through callbacks).
    root = tmp_path / "lab"
    write_seed_run(root, PAYLOAD, 1000, config=seed_config(layers=PAYLOAD))
    app = create_app(Settings(results_dirs=[root], cache_dir=tmp_path / "c"), start_scanner=False)
    app.server.extensions[EXTENSION_KEY].scanner.scan_now()
    client = app.server.test_client()
    for path in (
        "/",
        "/run/" + quote(PAYLOAD + "/checkpoints", safe=""),
        "/compare?runs=" + quote(PAYLOAD),
        "/insights?ins=" + quote('{"group":"<script>window.__xss=1</script>"}'),
    ):
        html = client.get(path).get_data(as_text=True)
        assert "onerror" not in html and "__xss" not in html, path


def test_auth_off_by_default(app) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200


@pytest.fixture
def locked(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(tmp_path, auth_user="ada", auth_password="s3cret pass:word")


def test_auth_on_asks_every_route_but_healthz(locked) -> None:  # type: ignore[no-untyped-def]
    client = locked.server.test_client()
    for path in ("/", "/run/exp", "/_dash-layout", "/_dash-dependencies", "/assets/10_runboard.css"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Runboard", charset="UTF-8"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert client.post("/_dash-update-component", json={}).status_code == 401
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok"}  # open to monitors; no errors, paths or pids without a login
    signed_in = client.get("/healthz", headers=basic("ada", "s3cret pass:word")).get_json()
    assert signed_in["status"] == "ok" and signed_in["runs"] == 1 and "last_error" in signed_in


def test_auth_accepts_only_the_right_pair(locked) -> None:  # type: ignore[no-untyped-def]
    client = locked.server.test_client()
    assert client.get("/", headers=basic("ada", "s3cret pass:word")).status_code == 200
    assert client.get("/_dash-layout", headers=basic("ada", "s3cret pass:word")).status_code == 200
    assert client.get("/", headers=basic("ada", "wrong")).status_code == 401
    assert client.get("/", headers=basic("ada", "s3cret pass:wor")).status_code == 401
    assert client.get("/", headers=basic("bob", "s3cret pass:word")).status_code == 401
    assert client.get("/", headers=basic("", "")).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret pass:word"}).status_code == 401


def test_settings_read_auth_from_the_environment() -> None:
    settings = Settings.from_env({"RUNBOARD_AUTH_USER": "ada", "RUNBOARD_AUTH_PASSWORD": "pw"})
    assert (settings.auth_user, settings.auth_password) == ("ada", "pw")
    assert "pw" not in repr(settings)
    off = Settings.from_env({})
    assert (off.auth_user, off.auth_password) == (None, None)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RUNBOARD_AUTH_PASSWORD": "pw"}, "RUNBOARD_AUTH_PASSWORD is set but RUNBOARD_AUTH_USER is not"),
        ({"RUNBOARD_AUTH_USER": "ada"}, "RUNBOARD_AUTH_USER is set but RUNBOARD_AUTH_PASSWORD is not"),
        ({"RUNBOARD_AUTH_USER": "ada", "RUNBOARD_AUTH_PASSWORD": ""}, "RUNBOARD_AUTH_PASSWORD is not"),
        ({"RUNBOARD_AUTH_USER": "a:b", "RUNBOARD_AUTH_PASSWORD": "pw"}, "must not contain ':'"),
    ],
)
def test_half_configured_auth_is_a_clear_error(env: dict[str, str], message: str) -> None:
    settings = Settings.from_env(env)  # reading is fine (``runboard scan`` reads the same environment)
    with pytest.raises(ValueError, match=re.escape(message)):
        settings.check_auth()


def test_the_app_refuses_half_configured_auth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard.server import serve

    settings = Settings(results_dirs=[tmp_path], cache_dir=tmp_path / "c", auth_password="pw")
    with pytest.raises(ValueError, match="RUNBOARD_AUTH_USER is not"):
        create_app(settings, start_scanner=False)
    assert serve(settings) == 2  # ``python app.py`` says it in one line and stops
    assert capsys.readouterr().err.startswith(
        "runboard: RUNBOARD_AUTH_PASSWORD is set but RUNBOARD_AUTH_USER"
    )


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "dashboard.security" and r.levelname == "WARNING"
    ]


def test_an_open_non_loopback_bind_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dashboard.security"):
        make_app(tmp_path / "a", host="0.0.0.0")
        make_app(tmp_path / "b", host="0.0.0.0", auth_user="ada", auth_password="pw")
        make_app(tmp_path / "c")
    assert [w.split(":")[0] for w in warnings_of(caplog)] == ["Runboard binds 0.0.0.0 without authentication"]


def test_the_first_remote_client_of_an_open_server_is_warned_about_once(
    app,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = app.server.test_client()
    with caplog.at_level(logging.WARNING, logger="dashboard.security"):
        client.get("/healthz")  # loopback: nothing to say
        assert warnings_of(caplog) == []
        client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
        client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.4"})
    assert [w.split(";")[0] for w in warnings_of(caplog)] == [
        "Runboard is serving 10.1.2.3 without authentication"
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../pyproject.toml",
        "/assets/..%2Fpyproject.toml",
        "/assets/%2e%2e/pyproject.toml",
        "/_dash-component-suites/../../pyproject.toml",
        "/_dash-component-suites/dash/..%2F..%2F..%2F..%2Fpyproject.toml",
        "/_dash-component-suites/dash/../../../../../../etc/passwd",
    ],
)
def test_static_routes_do_not_serve_paths_from_the_client(app, path: str) -> None:  # type: ignore[no-untyped-def]
    response = app.server.test_client().get(path)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "[project]" not in body and "root:x:0:0" not in body


def test_a_run_id_is_looked_up_among_scanned_runs_never_opened_as_a_path(tmp_path: Path) -> None:
    from dashboard.callbacks.router import route

    app = make_app(tmp_path)
    outside = write_seed_run(tmp_path / "outside", "secret_exp", 100)  # a real run folder, not under a root
    store = app.server.extensions[EXTENSION_KEY].store
    client = app.server.test_client()
    for run_id in (
        "../outside/secret_exp/checkpoints/checkpoint_000100/consolidated",
        str(outside),
        "/etc/passwd",
    ):
        assert store.run(run_id) is None and store.series(run_id) == {}
        html = client.get("/run/" + quote(run_id, safe="")).get_data(as_text=True)
        assert "secret_exp" not in html and "root:x:0:0" not in html
        with app.server.test_request_context():
            page = str(route("/run/" + quote(run_id, safe="")))
        assert "Run not found" in page and "secret_exp @ 100" not in page and "sblimp" not in page
