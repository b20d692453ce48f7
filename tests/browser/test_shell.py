"""The app shell in real headless Chromium: the bundled sample runs, offline, no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.store import Store
from tests.browser.conftest import grid_names, start_server, stop_server
from tests.conftest import PROJECT
from tests.fixtures.trees import write_seed_run

pytestmark = pytest.mark.browser


@pytest.fixture
def sample_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = start_server([PROJECT / "data"], tmp_path / "cache", tmp_path / "server.log")
    yield server
    stop_server(server)


def test_shell_shows_the_sample_runs_offline_without_console_errors(
    sample_server, open_page, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    expected = Store([PROJECT / "data"], cache_dir=tmp_path / "expected").rescan().runs
    page, watch = open_page(sample_server.url + "/")
    page.wait_for_selector("#runs-table .ag-row")
    assert page.inner_text("#run-count") == f"{len(expected)} runs"
    assert page.inner_text("#problem-badge") == "0 problems"
    shown = grid_names(page)
    assert shown[0] == "baseline (moshi-finetune)"  # the baseline is pinned first
    assert set(shown) <= set(expected["name"]) and len(shown) >= 10
    # Bootstrap came from the app itself: the navbar is styled dark.
    background = page.eval_on_selector("#header", "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(33, 37, 41)"
    assert watch.errors == []
    assert watch.foreign_requests == []


def test_new_run_appears_without_reload(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    write_seed_run(root, "first_experiment", 1000)
    server = start_server([root], tmp_path / "cache", tmp_path / "server.log", refresh_seconds=1)
    try:
        page, watch = open_page(server.url + "/")
        page.wait_for_selector("#runs-table .ag-row")
        assert page.inner_text("#run-count") == "1 run"
        write_seed_run(root, "second_experiment", 500)
        page.wait_for_function("document.querySelector('#run-count').innerText === '2 runs'", timeout=15000)
        page.wait_for_selector("text=second_experiment @ 500")
        assert watch.errors == []
    finally:
        stop_server(server)


def test_html_in_a_run_name_is_shown_as_text(open_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    write_seed_run(root, "<img src=x onerror=alert(1)>", 1000)
    server = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    try:
        page, _watch = open_page(server.url + "/")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.wait_for_selector("#runs-table .ag-row")
        assert grid_names(page) == ["<img src=x onerror=alert(1)> @ 1000"]
        assert page.locator("#runs-table img").count() == 0
        page.wait_for_timeout(500)
        assert dialogs == []
    finally:
        stop_server(server)
