"""The app through its factory: health, offline assets, layout and live refresh wiring."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.callbacks.refresh import refresh
from dashboard.callbacks.router import route
from dashboard.callbacks.runs_grid import serve_rows
from dashboard.context import EXTENSION_KEY
from dashboard.settings import Settings
from dashboard.webapp import create_app
from tests.fixtures.trees import write_hf_run, write_seed_run


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "lab"
    write_seed_run(root, "exp", 1000)
    write_hf_run(root, "hf_run")
    return root


@pytest.fixture
def app(tree: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(results_dirs=[tree], cache_dir=tmp_path / "cache", refresh_seconds=1)
    app = create_app(settings, start_scanner=False)
    app.server.extensions[EXTENSION_KEY].scanner.scan_now()
    app.server.extensions[EXTENSION_KEY].scanner.first_scan_done.set()
    return app


def test_healthz_reports_runs_and_problems(app) -> None:  # type: ignore[no-untyped-def]
    response = app.server.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["runs"] == 2
    assert body["problems"] == 0
    assert body["last_scan"] is not None
    assert body["last_scan_age_seconds"] < 60


def test_healthz_before_the_first_scan_is_starting(tree: Path, tmp_path: Path) -> None:
    app = create_app(Settings(results_dirs=[tree], cache_dir=tmp_path / "c"), start_scanner=False)
    body = app.server.test_client().get("/healthz").get_json()
    assert body["status"] == "starting"
    assert body["runs"] == 0


def test_page_uses_only_local_assets(app) -> None:  # type: ignore[no-untyped-def]
    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert urls, html
    assert all(u.startswith("/") for u in urls), [u for u in urls if not u.startswith("/")]
    assert any("00_bootstrap.min.css" in u for u in urls)
    assert client.get("/assets/00_bootstrap.min.css").status_code == 200


def test_runs_page_serves_the_runs(app) -> None:  # type: ignore[no-untyped-def]
    layout = json.dumps(json.loads(app.server.test_client().get("/_dash-layout").get_data(as_text=True)))
    assert '"2 runs"' in layout
    assert '"0 problems"' in layout
    with app.server.test_request_context():
        page = json.dumps(route("/").to_plotly_json(), cls=PlotlyJSONEncoder)
        response, url, _written = serve_rows({"startRow": 0, "endRow": 200, "sortModel": []}, "")
    assert '"runs-table"' in page and '"filter-panel"' in page
    assert [r["name"] for r in response["rowData"]] == ["exp @ 1000", "hf_run"]
    assert response["rowCount"] == 2
    assert url.__class__.__name__ == "NoUpdate"  # the grid's sort equals the URL's: nothing to write


def test_unknown_path_and_unknown_run(app) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context():
        assert "Page not found" in str(route("/nope"))
        assert "Run not found" in str(route("/run/no%2Fsuch"))
        assert "no/such" in str(route("/run/no%2Fsuch"))


def test_refresh_sends_news_only_when_something_changed(app, tree: Path) -> None:  # type: ignore[no-untyped-def]
    context = app.server.extensions[EXTENSION_KEY]
    with app.server.test_request_context():
        shown = context.snapshot.version
        unchanged = refresh(1, shown)
        assert unchanged[0].__class__.__name__ == "NoUpdate"
        write_seed_run(tree, "exp", 2000)
        context.scanner.scan_now()
        count, badge, _color, _panel, version, _scan, interval = refresh(2, shown)
        response, _url, _written = serve_rows({"startRow": 0, "endRow": 100, "sortModel": []}, "")
        rows = response["rowData"]
    assert count == "3 runs"
    assert badge == "0 problems"
    assert version == context.snapshot.version != shown
    assert interval == 1000  # the refresh interval (1 s here) once a scan has landed
    assert sorted(r["name"] for r in rows) == ["exp @ 1000", "exp @ 2000", "hf_run"]


def test_debug_is_refused_off_loopback(tree: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from dashboard.server import serve

    settings = Settings(results_dirs=[tree], cache_dir=tmp_path / "c", host="0.0.0.0", debug=True)
    assert serve(settings) == 2
    assert "refusing --debug on 0.0.0.0" in capsys.readouterr().err


def test_a_slow_first_scan_never_holds_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A root on a slow network disk: the page and /healthz answer at once, with the scan's progress."""
    import time

    from dashboard.ingest import paper_metrics

    root = tmp_path / "slow"
    for step in range(1, 7):
        write_seed_run(root, "exp", step * 100)
    real_read = paper_metrics.READER.read

    def slow_read(claim):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return real_read(claim)

    monkeypatch.setattr(paper_metrics.READER, "read", slow_read)
    app = create_app(Settings(results_dirs=[root], cache_dir=tmp_path / "cache", refresh_seconds=30))
    context = app.server.extensions[EXTENSION_KEY]
    client = app.server.test_client()
    try:
        time.sleep(0.6)
        started = time.perf_counter()
        layout = client.get("/_dash-layout")
        layout_seconds = time.perf_counter() - started
        health = client.get("/healthz").get_json()
        health_seconds = time.perf_counter() - started - layout_seconds
        assert (layout_seconds, health_seconds) < (1.6, 0.5), (layout_seconds, health_seconds)
        assert layout.status_code == 200 and "Scanning" in layout.get_data(as_text=True)
        assert health["status"] == "starting" and health["runs"] == 0
        assert health["progress"]["root"] == "slow" and 1 <= health["progress"]["runs"] < 6
        assert context.scanner.first_scan_done.wait(10)
        assert client.get("/healthz").get_json()["runs"] == 6
    finally:
        context.scanner.stop()
