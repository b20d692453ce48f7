"""The insights page in real headless Chromium on a lab built so its answers are known by hand."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.browser.conftest import start_server, stop_server, wait_grid_names
from tests.fixtures.trees import age_tree, seed_config, seed_metrics, write_seed_run

pytestmark = pytest.mark.browser

# (experiment, base_lr, layers, ttt, lora, sblimp accuracy (max), LibriLight perplexity 8k (min)), all at step 1000.
# Pareto front on (sblimp ↑, perplexity ↓): A, B, C. D is beaten by B and C; E by B (0.55 ≥ 0.545, 500 ≤ 550).
# Single-param changes: A–B base_lr 0.01 → 0.1; B–C layers "29,30,31" → "31"; C–E base_lr 0.1 → 1.
# D (LoRA, no TTT) differs from A in two params: no pair.
LAB = (
    ("exp_a", 0.01, "29,30,31", True, False, 0.56, 900.0),
    ("exp_b", 0.1, "29,30,31", True, False, 0.55, 500.0),
    ("exp_c", 0.1, "31", True, False, 0.54, 300.0),
    ("exp_d", 0.01, "29,30,31", False, True, 0.53, 600.0),
    ("exp_e", 1.0, "31", True, False, 0.545, 550.0),
)
METRICS = ["metrics.sblimp_accuracy", "metrics.librilight_perplexity_8k"]
INS = {"pareto": METRICS, "metrics": METRICS}
TTT_ONLY = json.dumps({"bool": {"params.ttt.enable": "yes"}})

FIGURE_JS = """
(id) => {
    const graph = document.querySelector('#' + id + ' .js-plotly-plot');
    if (!graph || !graph.data) return null;
    return graph.data.map(t => [t.name, t.text ? [...t.text] : null]);
}
"""


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "lab"
    for experiment, base_lr, layers, ttt, lora, sblimp, ppl in LAB:
        config = seed_config(ttt=ttt, layers=layers, base_lr=base_lr, lora=lora)
        write_seed_run(root, experiment, 1000, config=config, metrics=seed_metrics(sblimp, ppl))
    age_tree(root)
    running = start_server([root], tmp_path / "cache", tmp_path / "server.log")
    yield running
    stop_server(running)


def _insights_url(server, **query: str) -> str:  # type: ignore[no-untyped-def]
    return server.url + "/insights?" + urlencode({"ins": json.dumps(INS), **query})


def _rows(page, selector: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        selector + " tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def test_pareto_chart_labels_exactly_the_front(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, watch = open_page(_insights_url(server))
    traces = page.wait_for_function(FIGURE_JS, arg="insights-pareto-chart", timeout=20000).json_value()
    named = dict((name, text) for name, text in traces if text is not None)
    assert sorted(named["non-dominated"]) == ["exp_a @ 1000", "exp_b @ 1000", "exp_c @ 1000"]
    assert sorted(named["dominated"]) == ["exp_d @ 1000", "exp_e @ 1000"]
    # The labels are drawn, not only held in the data.
    drawn = page.locator("#insights-pareto-chart .textpoint text").all_text_contents()
    assert sorted(drawn) == ["exp_a @ 1000", "exp_b @ 1000", "exp_c @ 1000"]
    assert watch.errors == [] and watch.foreign_requests == []


def test_best_per_metric_table(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_page(_insights_url(server))
    page.wait_for_selector("#insights-best tbody tr")
    rows = {r[0].split(" ")[0]: r[1:] for r in _rows(page, "#insights-best")}
    assert rows["sblimp_accuracy"] == ["exp_a @ 1000", "0.56", "0.01"]
    assert rows["librilight_perplexity_8k"] == ["exp_c @ 1000", "300", "200"]
    href = page.get_attribute("#insights-best tr[data-metric='sblimp_accuracy'] a", "href")
    assert href == "/run/exp_a/checkpoints/checkpoint_001000/consolidated"


def test_ablation_table_averages_each_single_change(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_page(_insights_url(server))
    page.wait_for_selector("#insights-ablations tbody tr")
    head = page.eval_on_selector_all(
        "#insights-ablations thead th", "cells => cells.map(c => c.innerText.trim())"
    )
    assert head == ["param", "change", "pairs", "Δ sblimp_accuracy", "Δ librilight_perplexity_8k"]
    assert _rows(page, "#insights-ablations") == [
        ["ttt.base_lr", "0.01 → 0.1", "1", "-0.01", "-400"],
        ["ttt.base_lr", "0.1 → 1", "1", "+0.005", "+250"],
        ["ttt.layers", "29,30,31 → 31", "1", "-0.01", "-200"],
    ]
    # Colour by direction: lower perplexity is better, lower accuracy worse.
    classes = page.eval_on_selector_all(
        "#insights-ablations tbody tr:first-child td.num", "cells => cells.map(c => c.className)"
    )
    assert classes == ["num", "num delta-worse", "num delta-better"]


def test_filters_from_the_runs_page_and_the_non_dominated_link(server, open_page) -> None:  # type: ignore[no-untyped-def]
    # The runs page filtered to TTT runs; the header's Insights link carries the filter.
    page, watch = open_page(
        server.url + "/?" + urlencode({"f": json.dumps({"bool": {"params.ttt.enable": "yes"}})})
    )
    wait_grid_names(page, ["exp_a @ 1000", "exp_b @ 1000", "exp_c @ 1000", "exp_e @ 1000"])
    page.click("#nav-insights")
    page.wait_for_selector("#insights-summary")
    page.wait_for_function(
        "document.querySelector('#insights-summary').innerText.startsWith('Insights on 4 of 5 runs')"
    )
    assert "ttt.enable: yes" in page.inner_text("#insights-summary")
    page.wait_for_selector("#insights-pareto-chart .main-svg")
    page.click("#nav-runs")
    wait_grid_names(page, ["exp_a @ 1000", "exp_b @ 1000", "exp_c @ 1000", "exp_e @ 1000"])
    page.goto(_insights_url(server, f=TTT_ONLY))
    href = page.get_attribute("#insights-pareto-link", "href")
    query = parse_qs(urlparse(href).query)
    assert json.loads(query["f"][0]) == {"bool": {"params.ttt.enable": "yes"}, "pareto": METRICS}
    assert "ins" not in query
    assert watch.errors == []


def test_runs_table_shows_the_non_dominated_runs(server, open_page) -> None:  # type: ignore[no-untyped-def]
    page, _ = open_page(_insights_url(server, f=TTT_ONLY))
    page.click("#insights-pareto-link")
    wait_grid_names(page, ["exp_a @ 1000", "exp_b @ 1000", "exp_c @ 1000"])
    chips = page.locator("#chips .chip-label").all_text_contents()
    assert chips == ["ttt.enable: yes", "non-dominated on sblimp_accuracy, librilight_perplexity_8k"]
