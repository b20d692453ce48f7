"""The run page in real headless Chromium: stat cards, one chart per curve, params search, live updates."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from dashboard.store import Store
from tests.browser.conftest import start_server, stop_server
from tests.fixtures.trees import age_tree, write_hf_run

pytestmark = pytest.mark.browser

MODEL_CONFIG = {"model_type": "gpt2", "n_layer": 2, "n_head": 4, "n_embd": 64, "vocab_size": 50257}


def _hf_run(root: Path, name: str, steps: int = 100, max_steps: int = 200, finished: bool = True) -> Path:
    folder = write_hf_run(root, name, steps=steps, max_steps=max_steps, finished=finished)
    (folder / "config.json").write_text(json.dumps(MODEL_CONFIG))
    return folder


def _param_rows(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator(".params-table tbody tr:not(.param-group)").count())


def test_run_page_shows_stat_cards_charts_and_searchable_params(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    _hf_run(root, "tiny-hf")
    age_tree(root)
    store = Store([root], cache_dir=tmp_path / "expected")
    store.rescan()
    run = store.run("tiny-hf")
    assert run is not None
    drawable = [n for n, s in store.series("tiny-hf").items() if len(s) >= 2]
    server = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    try:
        page, watch = open_page(server.url + "/run/tiny-hf")
        page.wait_for_selector("#run-page .stat-card")
        assert page.text_content(".run-name") == "tiny-hf"
        stats = page.text_content(".stat-grid") or ""
        assert "100 / 200" in stats and "50.0% of max_steps" in stats
        assert "Best eval_loss" in stats and "1.1" in stats and "at step 100" in stats
        # One chart per curve with two or more points, each drawn by Plotly.
        page.wait_for_function(
            f"document.querySelectorAll('.run-chart .main-svg').length >= {len(drawable)}", timeout=15000
        )
        assert page.locator(".run-chart").count() == len(drawable) == 4
        titles = page.locator(".chart-title").all_text_contents()
        assert titles[0] == "loss" and sorted(titles) == sorted(drawable)
        # Params: all rows, then the search narrows them (debounced, answered by the server).
        assert _param_rows(page) == len(run.params) == 1 + len(MODEL_CONFIG)
        page.fill(".run-params-search", "n_")
        page.wait_for_function(
            "document.querySelectorAll('.params-table tbody tr:not(.param-group)').length === 3"
        )
        assert sorted(page.locator(".param-key").all_text_contents()) == [
            "model.n_embd",
            "model.n_head",
            "model.n_layer",
        ]
        assert "Files read (" in (page.text_content("#run-read") or "")
        assert watch.errors == []
        assert watch.foreign_requests == []
    finally:
        stop_server(server)


def test_html_in_a_run_name_is_text_on_the_run_page(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = "<img src=x onerror=alert(1)>"
    root = tmp_path / "lab"
    _hf_run(root, name)
    server = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    try:
        page, watch = open_page(server.url + "/run/" + quote(name, safe=""))
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.wait_for_selector("#run-page .run-name")
        assert page.text_content(".run-name") == name
        assert page.locator("#run-page img").count() == 0
        page.wait_for_selector(".run-chart .main-svg")
        page.wait_for_timeout(500)
        assert dialogs == []
        assert watch.errors == []
    finally:
        stop_server(server)


def test_a_running_run_is_followed_as_it_logs(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    _hf_run(root, "live", steps=40, max_steps=200, finished=False)  # no eval yet
    server = start_server([root], tmp_path / "cache", tmp_path / "server.log", refresh_seconds=1)
    try:
        page, watch = open_page(server.url + "/run/live")
        page.wait_for_selector("#run-page .stat-card")
        assert "running" in (page.text_content(".status-badge") or "")
        assert "40 / 200" in (page.text_content(".stat-grid") or "")
        page.wait_for_selector(".run-chart .main-svg")
        assert page.locator(".chart-title").all_text_contents() == ["loss", "learning_rate", "epoch"]
        page.fill(".run-params-search", "vocab")
        page.wait_for_function(
            "document.querySelectorAll('.params-table tbody tr:not(.param-group)').length === 1"
        )
        # The first evaluations arrive: a new curve, so the body is redrawn; the search is kept.
        _hf_run(root, "live", steps=100, max_steps=200, finished=False)
        page.wait_for_function(
            "document.querySelector('.stat-grid').textContent.includes('100 / 200')", timeout=20000
        )
        titles = page.locator(".chart-title").all_text_contents()
        assert titles == ["loss", "eval_loss", "learning_rate", "epoch"]
        assert page.input_value(".run-params-search") == "vocab"
        assert _param_rows(page) == 1
        # More of the same curves: figures are updated in place (the user's zoom survives).
        page.wait_for_selector(".run-chart .main-svg")
        _hf_run(root, "live", steps=150, max_steps=200, finished=False)
        page.wait_for_function(
            "document.querySelector('.stat-grid').textContent.includes('150 / 200')", timeout=20000
        )
        page.wait_for_function(
            "document.querySelector('.run-chart .js-plotly-plot')._fullData[0].x.length === 15", timeout=10000
        )
        assert page.locator(".chart-title").all_text_contents() == titles
        assert page.input_value(".run-params-search") == "vocab"
        assert watch.errors == []
    finally:
        stop_server(server)
