"""The publication-table card on /insights in real headless Chromium: the selected runs as LaTeX and Markdown.

Four of five seed runs are selected (``sel``); the view shows three metrics (``cols``), so those
are the default columns. Hand-computed cells (z = 1.959964, n = 1000, z/(1 + z²/1000) = 1.952464):

- sblimp 0.54 → k = 540: sqrt(0.54·0.46/1000 + z²/4e6) = sqrt(0.0002484 + 0.00000096) = 0.0157911
  → ± 0.030831; 0.556 → sqrt(0.000246864 + 0.00000096) = 0.0157424 → ± 0.030737.
- sblimp 0.996: sqrt(0.000003984 + 0.00000096) = 0.0022236 → half-width 0.0043415 around the centre
  (0.996 + 0.0019207)/1.0038415 = 0.994102: [0.989760, 0.998443]. Its sides (0.002443 above, 0.006240
  below) differ by 0.003797 > 0.25 · 0.0043415, so the interval itself is printed, not ± 0.0043.
- sblimp decimals: two significant digits of the smallest half-width 0.0043 → 4 (the cap for 0.996: 4).
  0.996 is the only bold one.
- perplexity 8k (min): 700.0, 650.5 (bold), 800.0, 900.0 — one decimal, as 650.5 is written.
- paper metrics avg = (sblimp + 0.632 + 0.79 + 0.61) / 4: 0.643, 0.647, 0.647, 0.757 (bold).
- "near|one": ``|`` escaped in both formats (a Markdown cell border, an em dash in pdflatex's font).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.fixtures.trees import age_tree, seed_config, seed_metrics, write_seed_run

pytestmark = pytest.mark.browser

RUNS = (  # (experiment, step, lora, sblimp, perplexity at 8k)
    ("ttt_a", 1000, False, 0.54, 700.0),
    ("lora_r64&50%", 2000, True, 0.556, 650.5),
    ("full_c", 2000, False, 0.556, 800.0),
    ("near|one", 3000, False, 0.996, 900.0),
    ("not_selected", 500, False, 0.6, 100.0),
)
COLUMNS = ["name", "metrics.sblimp_accuracy", "metrics.librilight_perplexity_8k", "metrics.paper_metrics_avg"]

EXPECTED_LATEX = r"""% requires \usepackage{booktabs}
\begin{table}[htbp]
\centering
\begin{tabular}{l r r r}
\toprule
Run & sblimp accuracy $\uparrow$ & librilight perplexity 8k $\downarrow$ & paper metrics avg $\uparrow$ \\
\midrule
ttt\_a @ 1000 & 0.5400 $\pm$ 0.0308 & 700.0 & 0.643 \\
lora\_r64\&50\% @ 2000 & 0.5560 $\pm$ 0.0307 & \textbf{650.5} & 0.647 \\
full\_c @ 2000 & 0.5560 $\pm$ 0.0307 & 800.0 & 0.647 \\
near\textbar{}one @ 3000 & \textbf{0.9960}\,[0.9898, 0.9984] & 900.0 & \textbf{0.757} \\
\bottomrule
\end{tabular}
\caption{Seed runs. Best value per column in bold ($\uparrow$ higher is better, $\downarrow$ lower is better). $\pm$ is half the width of the 95\% Wilson score interval (n = 1000). [low, high] is the 95\% Wilson score interval itself, printed where it is clearly asymmetric (n = 1000). Values with neither $\pm$ nor [low, high] have no known interval.}
\label{tab:results}
\end{table}
"""

EXPECTED_MARKDOWN = (
    "| Run | sblimp accuracy ↑ | librilight perplexity 8k ↓ | paper metrics avg ↑ |\n"
    "|---|---:|---:|---:|\n"
    "| ttt\\_a @ 1000 | 0.5400 ± 0.0308 | 700.0 | 0.643 |\n"
    "| lora\\_r64&50% @ 2000 | 0.5560 ± 0.0307 | **650.5** | 0.647 |\n"
    "| full\\_c @ 2000 | 0.5560 ± 0.0307 | 800.0 | 0.647 |\n"
    "| near\\|one @ 3000 | **0.9960** [0.9898, 0.9984] | 900.0 | **0.757** |\n"
    "\n"
    "Table: Seed runs. Best value per column in bold (↑ higher is better, ↓ lower is better). "
    "± is half the width of the 95% Wilson score interval (n = 1000). "
    "\\[low, high\\] is the 95% Wilson score interval itself, printed where it is clearly asymmetric "
    "(n = 1000). Values with neither ± nor \\[low, high\\] have no known interval.\n"
)


def write_tree(root: Path) -> list[str]:
    """The five runs; returns the run ids of the four to select, in selection order."""
    run_ids = []
    for experiment, step, lora, sblimp, perplexity in RUNS:
        config = seed_config(ttt=not lora, lora=lora)
        write_seed_run(root, experiment, step, config, seed_metrics(sblimp=sblimp, perplexity_8k=perplexity))
        run_ids.append(f"{experiment}/checkpoints/checkpoint_{step:06d}/consolidated")
    age_tree(root)
    return run_ids[:4]


def insights_query(selected: list[str]) -> str:
    return "?" + urlencode({"sel": json.dumps(selected), "cols": json.dumps(COLUMNS)})


def preview_text(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("document.querySelector('#publication-preview').textContent"))


def wait_preview(page, expected: str) -> None:  # type: ignore[no-untyped-def]
    script = f"() => (document.querySelector('#publication-preview') || {{}}).textContent === {json.dumps(expected)}"
    try:
        page.wait_for_function(script, timeout=15000)
    except Exception:
        assert preview_text(page) == expected  # shows the difference
        raise


def check_card(page) -> None:  # type: ignore[no-untyped-def]
    """Markdown, then LaTeX, with a caption typed in: the preview holds exactly the expected text."""
    page.wait_for_selector("#publication #publication-preview")
    page.wait_for_function("document.querySelector('#publication-preview').textContent.length > 0")
    assert page.inner_text("#publication-note") == "4 selected runs."
    page.fill("#publication-caption", "Seed runs")
    page.press("#publication-caption", "Enter")
    page.locator("#publication-format label", has_text="Markdown").click()
    wait_preview(page, EXPECTED_MARKDOWN)
    page.locator("#publication-format label", has_text="LaTeX").click()
    wait_preview(page, EXPECTED_LATEX)


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    selected = write_tree(tmp_path / "lab")
    running = start_server([tmp_path / "lab"], tmp_path / "cache", tmp_path / "server.log")
    yield running, selected
    stop_server(running)


def test_publication_table_of_the_selected_runs_is_the_expected_latex(server, open_page) -> None:  # type: ignore[no-untyped-def]
    running, selected = server
    page, watch = open_page(running.url + "/insights" + insights_query(selected))
    check_card(page)
    with page.expect_download() as download:
        page.click("#publication-download-button")
    assert download.value.suggested_filename == "runboard-table.tex"
    assert Path(download.value.path()).read_text(encoding="utf-8") == EXPECTED_LATEX
    assert watch.errors == []
    assert watch.foreign_requests == []
