"""The comparison page in real headless Chromium: from the runs page's selection, and from a pasted link."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.fixtures.trees import age_tree, write_hf_run, write_lab

pytestmark = pytest.mark.browser

HOSTILE = "hfrun-<img src=x onerror=alert(1)>"
HF_RUNS = (("hfrun-a", 100), ("hfrun-b", 200), (HOSTILE, 300))  # (name, max_steps): max_steps differs
TTT = "ttt_l29_blr1e-2/checkpoints/checkpoint_002000/consolidated"
TTT_L31 = "ttt_l31_blr1e-1/checkpoints/checkpoint_002000/consolidated"
LORA = "lora_r64/checkpoints/checkpoint_002000/consolidated"

TRACES_JS = """
() => {
    const charts = [...document.querySelectorAll('#compare-panel .compare-curve')];
    if (!charts.length || charts.some(c => !c.querySelector('.main-svg'))) return null;
    return charts.map(c => c.querySelectorAll('.scatterlayer .trace').length);
}
"""


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = write_lab(tmp_path / "lab")
    for name, max_steps in HF_RUNS:
        write_hf_run(root, name, steps=100, max_steps=max_steps)
    age_tree(root)
    running = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    yield running
    stop_server(running)


def _compare_url(server, runs: list[str], ref: str | None = None) -> str:  # type: ignore[no-untyped-def]
    query = {"runs": json.dumps(runs)} | ({"ref": ref} if ref else {})
    return server.url + "/compare?" + urlencode(query)


def _diff_keys(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [k.strip() for k in page.locator("#hparam-diff .diff-table tbody .param-key").all_text_contents()]


def _deltas(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(page.locator("#compare-summary .delta").all_text_contents())


def test_selected_runs_open_in_the_comparison_with_their_curves(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_page(server.url + "/?q=hfrun")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.wait_for_selector("#runs-table .ag-pinned-left-cols-container .ag-row")
    page.wait_for_function("document.querySelector('#showing').innerText.startsWith('Showing 3 of')")
    boxes = page.locator("#runs-table .select-box")
    for i in range(3):
        boxes.nth(i).click()
        page.wait_for_function(
            f"JSON.parse(new URLSearchParams(location.search).get('sel') || '[]').length === {i + 1}"
        )
    selected = json.loads(parse_qs(urlparse(page.url).query)["sel"][0])
    page.wait_for_function("document.querySelectorAll('#selection-tray .tray-item').length === 3")
    page.click("#compare-link")
    page.wait_for_selector("#compare-panel .compare-head")
    assert urlparse(page.url).path == "/compare"
    assert json.loads(parse_qs(urlparse(page.url).query)["runs"][0]) == selected  # selection order kept
    assert page.locator("#compare-summary .compare-head").count() == 3
    names = page.locator("#compare-summary .compare-run-name").all_text_contents()
    assert sorted(names) == sorted(name for name, _ in HF_RUNS)  # the hostile name is plain text
    assert page.locator("#compare-panel img").count() == 0
    # the diff: exactly max_steps differs
    assert _diff_keys(page) == ["max_steps"]
    assert "1 differ / 0 same" in page.inner_text("#hparam-diff .diff-badge")
    # one chart per logged series, each with one trace per run
    traces = page.wait_for_function(TRACES_JS, timeout=15000).json_value()
    assert traces == [3, 3, 3, 3]  # loss, eval_loss, learning_rate, epoch
    # the log-y switch redraws every curve with a log axis
    page.wait_for_timeout(500)  # curves drawn and their callbacks wired
    page.check("#compare-log-y")
    page.wait_for_function(
        "[...document.querySelectorAll('#compare-panel .compare-curve')].every(g => { const p = g.querySelector('.js-plotly-plot'); return p && p.layout && p.layout.yaxis.type === 'log'; })",
        timeout=15000,
    )
    with page.expect_download() as info:
        page.locator(".svg-export").first.click()  # the first curve chart, as vector graphics
    assert info.value.suggested_filename.startswith("compare_") and info.value.suggested_filename.endswith(
        ".svg"
    )
    assert "<svg" in Path(info.value.path()).read_text()[:200]
    assert dialogs == []
    assert watch.errors == []


def test_a_pasted_link_reproduces_the_view_and_the_reference_can_be_changed(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_page(_compare_url(server, [TTT, TTT_L31, LORA], ref=LORA))
    page.wait_for_selector("#compare-summary .compare-head")
    heads = page.locator("#compare-summary .compare-head")
    assert heads.count() == 3
    assert "reference" in heads.nth(2).inner_text()
    assert page.input_value("#compare-ref") == LORA
    assert _diff_keys(page) == ["lora.enable", "ttt.base_lr", "ttt.enable", "ttt.layers"]
    # sblimp: 0.556 and 0.548 against LoRA's 0.545
    row = page.locator("#compare-summary tbody tr", has_text="sblimp_accuracy")
    assert "+0.011 (+2.018%)" in row.inner_text()
    before = _deltas(page)
    page.select_option("#compare-ref", TTT)
    page.wait_for_function(f"new URLSearchParams(location.search).get('ref') === {json.dumps(TTT)}")
    page.wait_for_function(
        "document.querySelectorAll('#compare-summary .compare-head')[0].innerText.includes('reference')"
    )
    after = _deltas(page)
    assert after != before
    assert (
        "-0.011 (-1.978%)"
        in page.locator("#compare-summary tbody tr", has_text="sblimp_accuracy").inner_text()
    )
    # the same link opened afresh shows the same table
    again, _ = open_page(page.url)
    again.wait_for_selector("#compare-summary .compare-head")
    assert _deltas(again) == after
    assert watch.errors == []


def test_exports_download_named_files(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_page(_compare_url(server, [TTT, LORA]))
    page.wait_for_selector("#compare-summary .compare-head")
    with page.expect_download() as info:
        page.click("text=Markdown")
    download = info.value
    assert download.suggested_filename == "compare_ttt_l29_blr1e-2_2000_vs_lora_r64_2000.md"
    text = Path(download.path()).read_text()
    assert text.startswith("| Metric | ttt\\_l29\\_blr1e-2 @ 2000 (reference) | lora\\_r64 @ 2000 |")
    with page.expect_download() as info:
        page.click("text=LaTeX")
    assert "\\toprule" in Path(info.value.path()).read_text()
    assert watch.errors == []
