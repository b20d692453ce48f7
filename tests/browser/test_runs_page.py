"""The runs page as a researcher uses it, in real headless Chromium, on a lab with known answers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import grid_names, start_server, stop_server, wait_grid_names
from tests.fixtures.trees import age_tree, write_lab, write_seed_run

pytestmark = pytest.mark.browser

ALL_RUNS = 8  # seven checkpoints and the baseline


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    root = write_lab(tmp_path / "lab")
    age_tree(root)
    return root


@pytest.fixture
def server(lab: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    running = start_server([lab], tmp_path / "cache", tmp_path / "server.log", refresh_seconds=1)
    yield running
    stop_server(running)


def facet(page, label: str):  # type: ignore[no-untyped-def]
    return page.locator(".facet").filter(has=page.locator(".facet-label", has_text=label)).first


def showing(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text("#showing")


def wait_showing(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"document.querySelector('#showing').innerText === {json.dumps(text)}", timeout=15000
    )


def query(page) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return parse_qs(urlparse(page.url).query)


def open_runs(open_page, url: str):  # type: ignore[no-untyped-def]
    page, watch = open_page(url)
    page.wait_for_selector("#runs-table .ag-pinned-left-cols-container .ag-row")
    return page, watch


def test_ttt_enabled_and_base_lr_range_leave_exactly_the_expected_runs(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_runs(open_page, server.url + "/")
    wait_showing(page, f"Showing {ALL_RUNS} of {ALL_RUNS} runs")
    facet(page, "ttt.enable").locator("label", has_text="yes").click()
    wait_showing(page, f"Showing 5 of {ALL_RUNS} runs")
    upper = facet(page, "ttt.base_lr").locator("[role='slider']").nth(1)
    upper.focus()
    for _ in range(12):  # one decade down, in twelfths: 1 -> 0.1
        page.keyboard.press("ArrowLeft")
    upper.blur()
    wait_showing(page, f"Showing 4 of {ALL_RUNS} runs")
    assert sorted(grid_names(page)) == [
        "ttt_l29_blr1e-2 @ 1000",
        "ttt_l29_blr1e-2 @ 2000",
        "ttt_l29_blr1e-3 @ 500",
        "ttt_l31_blr1e-1 @ 2000",
    ]
    chips = page.inner_text("#chips")
    assert "ttt.enable: yes" in chips
    assert "ttt.base_lr" in chips and "0.1" in chips
    assert json.loads(query(page)["f"][0]) == {
        "bool": {"params.ttt.enable": "yes"},
        "range": {"params.ttt.base_lr": [None, 0.1]},
    }
    assert watch.errors == []


def test_layers_choice_and_chip_removal(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    dropdown = facet(page, "ttt.layers")
    dropdown.locator(".Select-control, .dash-dropdown").first.click()
    page.get_by_role("option", name="31", exact=True).click()
    wait_showing(page, f"Showing 1 of {ALL_RUNS} runs")
    wait_grid_names(page, ["ttt_l31_blr1e-1 @ 2000"])
    page.locator("#chips button").first.click()
    wait_showing(page, f"Showing {ALL_RUNS} of {ALL_RUNS} runs")


def test_invalid_regex_says_so_and_changes_nothing(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/?q=lora")
    wait_showing(page, f"Showing 2 of {ALL_RUNS} runs")
    page.fill("#search", "/ttt_(/")
    page.press("#search", "Enter")
    page.wait_for_function("document.querySelector('#search-error').innerText.length > 0", timeout=15000)
    assert page.inner_text("#search-error").startswith("Invalid regular expression")
    assert showing(page) == f"Showing {ALL_RUNS} of {ALL_RUNS} runs" or showing(page).startswith("Showing")


def test_sorting_by_a_metric_orders_rows_baseline_pinned_first(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    header = page.locator(
        "#runs-table .ag-header-cell[col-id='metrics.sblimp_accuracy'] .ag-header-cell-label"
    )
    header.click()  # ascending
    page.wait_for_function("location.search.includes('sort')", timeout=15000)
    header.click()  # descending
    page.wait_for_function("decodeURIComponent(location.search).includes('desc')", timeout=15000)
    wait_grid_names(
        page,
        [
            "baseline (moshi-finetune)",
            "ttt_l29_blr1e-2 @ 2000",
            "ttt_l31_blr1e-1 @ 2000",
            "lora_r64 @ 2000",
            "ttt_l29_blr1e-2 @ 1000",
            "lora_r64 @ 1000",
            "ttt_l29_blr1e-3 @ 500",
            "ttt_l29_blr1 @ 2000",
        ],
    )
    assert json.loads(query(page)["sort"][0]) == [["metrics.sblimp_accuracy", "desc"]]
    best = page.locator("#runs-table .ag-row[row-index='1'] [col-id='metrics.sblimp_accuracy']")
    assert "rb-best" in (best.get_attribute("class") or "")


def test_five_selected_and_the_sixth_refused(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    boxes = page.locator("#runs-table .select-box")
    for i in range(5):
        boxes.nth(i).click()
        page.wait_for_function(
            f"(new URLSearchParams(location.search).get('sel') || '[]').split(',').length === {i + 1}"
        )
    before = query(page)["sel"][0]
    boxes.nth(5).click()
    page.wait_for_selector("#selection-refused")
    assert "At most 5 runs" in page.inner_text("#selection-message")
    page.wait_for_timeout(500)
    assert query(page)["sel"][0] == before
    assert not boxes.nth(5).is_checked()
    assert page.locator("#selection-tray .tray-item").count() == 5
    page.click("#selection-clear")
    page.wait_for_function("!location.search.includes('sel')", timeout=15000)


def test_selection_survives_filtering(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    page.locator("#runs-table .ag-row[row-index='1'] .select-box").click()
    page.wait_for_selector("#selection-tray .tray-item")
    selected = page.inner_text("#selection-tray .tray-name")
    page.fill("#search", "no-such-run")
    page.press("#search", "Enter")
    wait_showing(page, f"Showing 0 of {ALL_RUNS} runs")
    assert page.is_visible("#empty-result")
    assert page.inner_text("#selection-tray .tray-name") == selected
    page.click("#empty-reset")
    wait_showing(page, f"Showing {ALL_RUNS} of {ALL_RUNS} runs")
    assert page.locator("#runs-table .ag-row[row-index='1'] .select-box").is_checked()


def test_exported_csv_equals_the_filtered_sorted_table(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(
        open_page, server.url + '/?f={"bool":{"params.ttt.enable":"yes"}}&sort=[["step","asc"]]'
    )
    wait_showing(page, f"Showing 5 of {ALL_RUNS} runs")
    shown = grid_names(page)
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename.startswith("runboard-runs-")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r["name"] for r in rows] == shown
    header = list(rows[0])
    assert header[:4] == ["run_id", "name", "score", "experiment"]  # the score column, as the table shows it
    assert "params.ttt.base_lr" in header  # varies: shown and exported
    assert "params.optim.weight_decay" not in header  # the same in every run: hidden, not exported


def test_url_round_trip_and_back_button(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    facet(page, "lora.enable").locator("label", has_text="yes").click()
    wait_showing(page, f"Showing 2 of {ALL_RUNS} runs")
    page.locator("#runs-table .ag-row[row-index='0'] .select-box").click()
    page.wait_for_selector("#selection-tray .tray-item")
    shared = page.url
    again, _ = open_runs(open_page, shared)
    wait_showing(again, f"Showing 2 of {ALL_RUNS} runs")
    assert again.inner_text("#chips").startswith("lora.enable: yes")
    assert again.locator("#selection-tray .tray-item").count() == 1
    assert again.locator("#runs-table .ag-row[row-index='0'] .select-box").is_checked()
    checked = facet(again, "lora.enable").locator("input[value='yes']")
    assert checked.is_checked()
    page.go_back()  # undo the selection
    page.go_back()  # undo the filter
    wait_showing(page, f"Showing {ALL_RUNS} of {ALL_RUNS} runs")
    assert facet(page, "lora.enable").locator("input[value='any']").is_checked()


def test_new_run_appears_without_reload_keeping_the_view(server, lab: Path, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_runs(open_page, server.url + "/")
    facet(page, "ttt.enable").locator("label", has_text="yes").click()
    wait_showing(page, f"Showing 5 of {ALL_RUNS} runs")
    page.locator("#runs-table .ag-row[row-index='0'] .select-box").click()
    page.wait_for_selector("#selection-tray .tray-item")
    write_seed_run(lab, "ttt_fresh", 3000)
    wait_showing(page, f"Showing 6 of {ALL_RUNS + 1} runs")
    assert "ttt_fresh @ 3000" in grid_names(page)
    assert "1 new run" in page.inner_text("#new-runs-notice")
    assert page.locator("#selection-tray .tray-item").count() == 1
    assert "ttt.enable: yes" in page.inner_text("#chips")
    assert watch.errors == []


def test_column_chooser_shows_a_constant_param_and_json_export_follows(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_runs(open_page, server.url + "/")
    assert page.locator("#runs-table .ag-header-cell[col-id='params.optim.weight_decay']").count() == 0
    page.click("#columns-button")
    page.locator("#columns-chooser label", has_text="optim.weight_decay").click()
    page.wait_for_selector("#runs-table .ag-header-cell[col-id='params.optim.weight_decay']")
    assert "params.optim.weight_decay" in json.loads(query(page)["cols"][0])
    page.keyboard.press("Escape")
    with page.expect_download() as download:
        page.click("#export-json")
    doc = json.loads(Path(download.value.path()).read_text())
    assert len(doc["runs"]) == ALL_RUNS
    assert all(run["params"].get("optim.weight_decay") == 0.1 for run in doc["runs"] if not run["baseline"])


def test_dark_mode_is_remembered_and_refresh_can_be_paused(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_runs(open_page, server.url + "/")
    page.click("label[for=theme-switch]")
    page.click("label[for=live-switch]")
    page.reload()
    page.wait_for_selector("#runs-table .ag-row")
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == "dark"
    assert not page.locator("#live-switch").is_checked()
    assert watch.errors == []


def test_ticked_runs_are_compared_under_the_tray(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_runs(open_page, server.url + '/?sort=[["name","asc"]]')
    wait_grid_names(
        page,
        [
            "baseline (moshi-finetune)",
            "lora_r64 @ 1000",
            "lora_r64 @ 2000",
            "ttt_l29_blr1 @ 2000",
            "ttt_l29_blr1e-2 @ 1000",
            "ttt_l29_blr1e-2 @ 2000",
            "ttt_l29_blr1e-3 @ 500",
            "ttt_l31_blr1e-1 @ 2000",
        ],
    )
    assert page.locator("#compare-panel .compare-head").count() == 0  # nothing ticked, no panel
    for row in (2, 5):  # lora_r64 @ 2000, ttt_l29_blr1e-2 @ 2000
        page.locator(f"#runs-table .ag-row[row-index='{row}'] .select-box").click()
    page.wait_for_function(
        "document.querySelectorAll('#compare-panel .compare-head').length === 2", timeout=15000
    )
    heads = page.locator("#compare-summary .compare-run-name").all_text_contents()
    assert heads == ["lora_r64 @ 2000", "ttt_l29_blr1e-2 @ 2000"]  # selection order
    assert "differs" in page.inner_text("#hparam-diff")
    facet(page, "lora.enable").locator("label", has_text="yes").click()  # filtering keeps the comparison
    wait_showing(page, f"Showing 2 of {ALL_RUNS} runs")
    assert page.locator("#compare-panel .compare-head").count() == 2
    assert watch.errors == []
