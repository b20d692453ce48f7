"""The recommendation card in real headless Chromium: a weight slider must change the recommended run.

The lab (paper-metrics layout) is built so the answer is known by hand. Four metrics are the
same for every run (each scores 1); the two that differ, with equal weights of 50:

    run        sBLIMP   norm   perplexity 8k   norm   total (of 6 × 50)
    alpha      0.60     1      800             0      5/6   = 83.3
    bravo      0.50     0      700             0.5    4.5/6 = 75.0
    charlie    0.54     0.4    600             1      5.4/6 = 90.0   <- recommended

sBLIMP at 100 (total weight 350): alpha 300/350 = 85.7 beats charlie 290/350 = 82.9.
sBLIMP at 0 (left out, total 250): charlie 250/250 = 100, alpha 200/250 = 80.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.fixtures.trees import age_tree, seed_metrics, write_seed_run

pytestmark = pytest.mark.browser

LAB = (("alpha", 0.60, 800.0), ("bravo", 0.50, 700.0), ("charlie", 0.54, 600.0))


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    for experiment, sblimp, perplexity in LAB:
        write_seed_run(root, experiment, 1000, metrics=seed_metrics(sblimp=sblimp, perplexity_8k=perplexity))
    age_tree(root)
    running = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    yield running
    stop_server(running)


def winner(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text("#rec-headline .rec-winner")


def wait_winner(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Both places agree: the card's winner and the one starred name in the table."""
    script = f"""() => {{
        const card = document.querySelector('#rec-headline .rec-winner');
        const stars = [...document.querySelectorAll('#runs-table .run-link.rb-recommended')];
        return card && card.innerText === {json.dumps(name)} && stars.length === 1
            && stars[0].innerText === {json.dumps(name)};
    }}"""
    page.wait_for_function(script, timeout=15000)


def wait_badge(page, total: str) -> None:  # type: ignore[no-untyped-def]
    """The winner's total in the card's headline (a function, not an expression: the page's CSP forbids eval)."""
    script = (
        f"() => document.querySelector('#rec-headline .rec-score-badge').innerText === {json.dumps(total)}"
    )
    page.wait_for_function(script, timeout=15000)


def score_cell(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """The score shown in the table for the row whose name cell reads ``name``."""
    script = """(name) => {
        const link = [...document.querySelectorAll('#runs-table .run-link')].find(a => a.innerText === name);
        const index = link.closest('.ag-row').getAttribute('row-index');
        const cell = document.querySelector(`#runs-table .ag-center-cols-container .ag-row[row-index='${index}'] [col-id='score']`);
        return cell ? cell.innerText : null;
    }"""
    return str(page.evaluate(script, name))


def slider(page, metric: str):  # type: ignore[no-untyped-def]
    return page.locator(".rec-weights-table tr", has_text=metric).locator("[role='slider']")


def rec_state(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(json.loads(parse_qs(urlparse(page.url).query)["rec"][0]))


def test_moving_the_sblimp_weight_changes_the_recommended_run(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_page(server.url + "/")
    wait_winner(page, "charlie @ 1000")
    assert page.inner_text("#rec-headline") .replace("\n", " ").split() == [
        "★", "charlie", "@", "1000", "90.0", "runner-up", "alpha", "@", "1000", "83.3", "Stable",
    ]  # fmt: skip
    assert score_cell(page, "charlie @ 1000") == "90.0"
    assert score_cell(page, "bravo @ 1000") == "75.0"
    handle = slider(page, "sblimp_accuracy")
    handle.focus()
    page.keyboard.press("End")  # weight 100
    handle.blur()
    wait_winner(page, "alpha @ 1000")
    assert rec_state(page) == {"preset": "paper", "weights": {"sblimp_accuracy": 100}}
    assert page.inner_text("#rec-headline .rec-runner-up") == "charlie @ 1000"
    wait_badge(page, "85.7")
    assert score_cell(page, "alpha @ 1000") == "85.7"
    assert "best sblimp_accuracy (0.6)" in page.inner_text("#rec-result .rec-why")
    # Back restores the previous weights, the winner and the slider's position.
    page.go_back()
    wait_winner(page, "charlie @ 1000")
    page.wait_for_function(
        "() => document.querySelector(\".rec-weights-table [role='slider']\").getAttribute('aria-valuenow') === '50'",
        timeout=15000,
    )
    assert watch.errors == []


def test_weights_from_the_url_then_a_slider(server, open_page) -> None:  # type: ignore[no-untyped-def]
    rec = json.dumps({"weights": {"sblimp_accuracy": 100}}, separators=(",", ":"))
    page, watch = open_page(server.url + "/?rec=" + quote(rec))
    wait_winner(page, "alpha @ 1000")
    assert slider(page, "sblimp_accuracy").get_attribute("aria-valuenow") == "100"
    handle = slider(page, "sblimp_accuracy")
    handle.focus()
    page.keyboard.press("Home")  # weight 0: sBLIMP leaves the score
    handle.blur()
    wait_winner(page, "charlie @ 1000")
    assert rec_state(page)["weights"] == {"sblimp_accuracy": 0}
    wait_badge(page, "100.0")
    page.click("#rec-footer .rec-notes summary")
    assert "sblimp_accuracy: weight 0 is not positive; left out" in page.inner_text("#rec-footer .rec-notes")
    # Sorting by score puts the recommended run on top.
    page.click("#runs-table .ag-header-cell[col-id='score'] .ag-header-cell-label")  # ascending
    page.click("#runs-table .ag-header-cell[col-id='score'] .ag-header-cell-label")  # descending
    page.wait_for_function(
        """() => decodeURIComponent(location.search).includes('["score","desc"]')""", timeout=15000
    )
    first = "document.querySelector(\"#runs-table .ag-row[row-index='0'] [col-id='name']\")"
    page.wait_for_function(f"() => ({first} || {{}}).innerText === 'charlie @ 1000'", timeout=15000)
    assert watch.errors == []


def not_ranked_count(page) -> int:  # type: ignore[no-untyped-def]
    """The number in the footer's "Not ranked (n runs)"; 0 when nobody is left out (no such line)."""
    found = page.locator("#rec-footer .rec-excluded summary")
    if found.count() == 0:
        return 0
    return int(found.inner_text().split("(")[1].split()[0])


def test_a_constraint_excludes_the_winner_and_its_chip_brings_it_back(server, open_page) -> None:  # type: ignore[no-untyped-def]
    """sBLIMP ≥ 0.55 leaves only alpha (0.60): bravo (0.50) and charlie (0.54) are not ranked."""
    page, watch = open_page(server.url + "/")
    wait_winner(page, "charlie @ 1000")
    assert not_ranked_count(page) == 0
    page.select_option("#rec-constraint-metric", "sblimp_accuracy")
    page.select_option("#rec-constraint-op", ">=")
    # A value that is not a number is explained beside the row and changes nothing.
    page.fill("#rec-constraint-value", "0.5x")
    page.click("#rec-constraint-add")
    page.wait_for_selector("#rec-constraint-message:has-text('is not a number')", timeout=15000)
    assert "rec=" not in page.url and page.locator(".rec-constraint-chip").count() == 0
    page.fill("#rec-constraint-value", "0.55")
    page.press("#rec-constraint-value", "Enter")
    wait_winner(page, "alpha @ 1000")
    assert rec_state(page) == {"preset": "paper", "constraints": [["sblimp_accuracy", ">=", 0.55]]}
    assert page.inner_text(".rec-constraint-chip .chip-label") == "sblimp_accuracy ≥ 0.55"
    assert page.inner_text("#rec-constraint-message") == ""
    wait_badge(page, "100.0")  # alone in the ranking: every metric is the same for every ranked run
    assert not_ranked_count(page) == 2
    page.click("#rec-footer .rec-excluded summary")
    assert page.inner_text("#rec-footer .rec-excluded ul").splitlines() == [
        "bravo @ 1000 — fails sblimp_accuracy >= 0.55 (0.5)",
        "charlie @ 1000 — fails sblimp_accuracy >= 0.55 (0.54)",
    ]
    assert score_cell(page, "charlie @ 1000") == "—"
    # Removing the chip brings the first answer back; Back brings the constraint back with its chip.
    page.click(".rec-constraint-chip .btn-close-chip")
    wait_winner(page, "charlie @ 1000")
    assert rec_state(page) == {"preset": "paper"}
    assert not_ranked_count(page) == 0 and page.locator(".rec-constraint-chip").count() == 0
    page.go_back()
    wait_winner(page, "alpha @ 1000")
    page.wait_for_selector(".rec-constraint-chip:has-text('sblimp_accuracy ≥ 0.55')", timeout=15000)
    assert not_ranked_count(page) == 2
    # A weight moved while a constraint is active keeps the constraint.
    handle = slider(page, "sblimp_accuracy")
    handle.focus()
    page.keyboard.press("End")
    handle.blur()
    page.wait_for_function("() => decodeURIComponent(location.search).includes('\"weights\"')", timeout=15000)
    assert rec_state(page) == {
        "preset": "paper",
        "weights": {"sblimp_accuracy": 100},
        "constraints": [["sblimp_accuracy", ">=", 0.55]],
    }
    assert watch.errors == []
