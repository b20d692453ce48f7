"""Summary exports: Markdown and LaTeX pinned as golden strings, CSV values, escaping; and data/."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.analysis.compare import Summary, build_summary
from dashboard.analysis.compare_export import (
    CSV_COLUMNS,
    caption_text,
    escape_latex,
    escape_markdown,
    latex_text,
    summary_csv,
    summary_latex,
    summary_markdown,
)
from dashboard.rows import build_frame
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]


def _row(run_id: str, name: str, metrics: dict[str, float], baseline: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": run_id, "name": name, "status": "completed", "source": "test"}
    row["baseline"] = baseline
    row.update({"metrics." + k: v for k, v in metrics.items()})
    return row


def _frame() -> pd.DataFrame:
    base = {
        "sblimp_accuracy": 0.538,
        "sblimp_samples": 1000,
        "hellaswag/acc": 0.5,
        "hellaswag/acc_stderr": 0.005,
        "eval_loss": 0.35,
        "loss": 0.30,
    }
    other = {
        "sblimp_accuracy": 0.556,
        "sblimp_samples": 1000,
        "hellaswag/acc": 0.515,
        "hellaswag/acc_stderr": 0.005,
        "eval_loss": 0.30,
        "loss": 0.28,
        "bleu": 31.25,
    }
    return build_frame(
        [_row("base", "baseline", base, baseline=True), _row("run_1", "ttt_l29 & 50% #1", other)]
    )


@pytest.fixture
def summary() -> Summary:
    return build_summary(_frame(), ["run_1", "base"])


# Hand check of the numbers below:
# sblimp 556/1000 → Wilson [0.525049, 0.586522]; 538/1000 → [0.507013, 0.568696]; Δ = +0.018 = +3.346 % of
#   0.538; pooled z = 0.8086, p = 0.4188 ≥ 0.05 → ≈.
# hellaswag 0.515 vs 0.5, se 0.005 each → ± 1.96·0.005 = 0.0098; z = 0.015/0.0070711 = 2.1213, p = 0.034.
# eval_loss 0.30 vs 0.35: −0.05 = −14.29 %; loss 0.28 vs 0.30: −0.02 = −6.667 % (no interval: not tested).
# gaps: 0.30 − 0.28 = 0.02 (excellent), 0.35 − 0.30 = 0.05 (good: the 0.05 bound belongs to "good").
CAPTION = (
    "95% Wilson intervals for accuracies with known sample counts; ± 1.96 standard errors where reported. "
    "In parentheses: difference to baseline (absolute, %); ≈: not distinguishable from it at α = 0.05 "
    "(two-sided test), else the p-value. Best per row in bold."
)

MARKDOWN = (
    "| Metric | ttt\\_l29 & 50% #1 | baseline (reference) |\n"
    "|---|---:|---:|\n"
    "| `bleu` ↑ | 31.25 | — |\n"
    "| `eval_loss` ↓ | **0.3** (-0.05, -14.29%) | 0.35 |\n"
    "| `hellaswag/acc` ↑ | **0.515** ± 0.0098 (+0.015, +3%, p = 0.034) | 0.5 ± 0.0098 |\n"
    "| `loss` ↓ | **0.28** (-0.02, -6.667%) | 0.3 |\n"
    "| `sblimp_accuracy` ↑ | **0.556** [0.525, 0.5865] (+0.018, +3.346%, ≈) | 0.538 [0.507, 0.5687] |\n"
    "| overfitting gap (eval − train loss) | 0.02 (excellent) | 0.05 (good) |\n"
    "\n" + CAPTION + "\n"
)

LATEX = r"""% requires \usepackage{booktabs}
\begin{table}[htbp]
\centering
\caption{95\% Wilson intervals for accuracies with known sample counts; $\pm$ 1.96 standard errors where reported. In parentheses: difference to baseline (absolute, \%); $\approx$: not distinguishable from it at $\alpha$ = 0.05 (two-sided test), else the p-value. Best per row in bold.}
\label{tab:comparison}
\begin{tabular}{lrr}
\toprule
Metric & ttt\_l29 \& 50\% \#1 & baseline (ref.) \\
\midrule
bleu $\uparrow$ & 31.25 & --- \\
eval\_loss $\downarrow$ & \textbf{0.3} ($-$0.05, $-$14.29\%) & 0.35 \\
hellaswag/acc $\uparrow$ & \textbf{0.515} $\pm$ 0.0098 (+0.015, +3\%, $p = 0.034$) & 0.5 $\pm$ 0.0098 \\
loss $\downarrow$ & \textbf{0.28} ($-$0.02, $-$6.667\%) & 0.3 \\
sblimp\_accuracy $\uparrow$ & \textbf{0.556} [0.525, 0.5865] (+0.018, +3.346\%, $\approx$) & 0.538 [0.507, 0.5687] \\
overfitting gap (eval $-$ train loss) & 0.02 (excellent) & 0.05 (good) \\
\bottomrule
\end{tabular}
\end{table}
"""


def test_markdown_golden(summary: Summary) -> None:
    assert summary_markdown(summary) == MARKDOWN


def test_latex_golden(summary: Summary) -> None:
    assert summary_latex(summary) == LATEX


def test_caption_says_what_the_intervals_are(summary: Summary) -> None:
    assert caption_text(summary) == CAPTION
    only_wilson = build_summary(
        _frame()[["run_id", "name", "baseline", "metrics.sblimp_accuracy", "metrics.sblimp_samples"]],
        ["base"],
    )
    assert caption_text(only_wilson) == "95% Wilson intervals for accuracies with known sample counts."


def test_given_caption_and_names_are_escaped(summary: Summary) -> None:
    latex = summary_latex(
        summary, names=["A_1", "{B}"], caption="50% of $x ~ y^2 & #z \\ ok", label="tab:a_b"
    )
    assert r"\caption{50\% of \$x \textasciitilde{} y\textasciicircum{}2 \& \#z \textbackslash{} ok}" in latex
    assert r"\label{tab:a\_b}" in latex
    assert r"Metric & A\_1 & \{B\} (ref.) \\" in latex
    markdown = summary_markdown(summary, names=["a|b", "*c*"], caption="my note")
    assert markdown.startswith("| Metric | a\\|b | \\*c\\* (reference) |\n")
    assert markdown.endswith("\n\nmy note\n")


def test_escape_latex_every_special_character_once() -> None:
    assert escape_latex("_ % & # $ { } ~ ^ \\") == (
        r"\_ \% \& \# \$ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert escape_latex(r"\textbf{x}") == r"\textbackslash{}textbf\{x\}"


def test_escape_markdown() -> None:
    assert escape_markdown("a_b|c*d`e[f]<g>\\") == "a\\_b\\|c\\*d\\`e\\[f\\]\\<g\\>\\\\"


def test_csv_is_tidy_and_full_precision(summary: Summary) -> None:
    rows = list(csv.DictReader(io.StringIO(summary_csv(summary))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_key = {(r["metric"], r["run_id"]): r for r in rows}
    sblimp = by_key[("sblimp_accuracy", "run_1")]
    assert sblimp["value"] == "0.556"
    assert (sblimp["interval"], sblimp["n"], sblimp["k"]) == ("wilson", "1000", "556")
    assert float(sblimp["low"]) == pytest.approx(0.5250491625099077, abs=1e-14)
    assert float(sblimp["p"]) == pytest.approx(0.41876561280818856, abs=1e-12)
    assert (sblimp["indistinguishable"], sblimp["best"], sblimp["reference"]) == ("true", "true", "false")
    assert by_key[("sblimp_accuracy", "base")]["delta"] == ""
    assert by_key[("sblimp_accuracy", "base")]["reference"] == "true"
    assert by_key[("eval_loss", "run_1")]["delta"] == "-0.05"
    assert by_key[("eval_loss", "run_1")]["indistinguishable"] == ""  # not tested
    assert by_key[("bleu", "base")]["value"] == ""
    assert by_key[("hellaswag/acc", "run_1")]["stderr"] == "0.005"
    assert by_key[("overfitting_gap", "base")]["value"] == "0.05"
    assert by_key[("overfitting_gap", "base")]["note"] == "good (gap < 0.1)"
    assert len(rows) == 5 * 2 + 2


def test_csv_neutralises_formulas() -> None:
    frame = build_frame([_row("=cmd", "=HYPERLINK(1)", {"loss": 1.0}), _row("b", "+b", {"loss": -2.0})])
    rows = list(csv.DictReader(io.StringIO(summary_csv(build_summary(frame, ["=cmd", "b"])))))
    assert rows[0]["run_id"] == "'=cmd"
    assert rows[0]["name"] == "'=HYPERLINK(1)"
    assert rows[1]["name"] == "'+b"
    assert rows[1]["value"] == "-2.0"  # numbers are left alone


def test_names_must_match_the_runs(summary: Summary) -> None:
    with pytest.raises(ValueError):
        summary_markdown(summary, names=["only one"])


def test_single_run_has_no_differences_or_bold() -> None:
    assert summary_markdown(build_summary(_frame(), ["base"])) == (
        "| Metric | baseline (reference) |\n"
        "|---|---:|\n"
        "| `eval_loss` ↓ | 0.35 |\n"
        "| `hellaswag/acc` ↑ | 0.5 ± 0.0098 |\n"
        "| `loss` ↓ | 0.3 |\n"
        "| `sblimp_accuracy` ↑ | 0.538 [0.507, 0.5687] |\n"
        "| overfitting gap (eval − train loss) | 0.05 (good) |\n"
        "\n"
        "95% Wilson intervals for accuracies with known sample counts; ± 1.96 standard errors where reported.\n"
    )


def test_real_three_runs_markdown(tmp_path: Path) -> None:
    frame = Store([str(PROJECT / "data")], cache_dir=str(tmp_path / "cache")).rescan().runs
    ids = [
        "dailytalk_ttt_l29-31_blr1e-2/checkpoints/checkpoint_002000/consolidated",
        "dailytalk_lora_r64/checkpoints/checkpoint_002000/consolidated",
        "moshi-finetune/baseline_paper_metrics_results",
    ]
    lines = summary_markdown(build_summary(frame, ids)).splitlines()
    assert lines[0] == (
        "| Metric | dailytalk\\_ttt\\_l29-31\\_blr1e-2 @ 2000 | dailytalk\\_lora\\_r64 @ 2000 "
        "| baseline (moshi-finetune) (reference) |"
    )
    # 554, 548, 546 of 1000: Wilson bounds by hand as in test_intervals; both differences are noise
    assert (
        "| `sblimp_accuracy` ↑ | **0.554** [0.523, 0.5845] (+0.008, +1.465%, ≈) "
        "| 0.548 [0.517, 0.5786] (+0.002, +0.3663%, ≈) | 0.546 [0.515, 0.5766] |"
    ) in lines
    assert "| `librilight_samples` | 125164 (-1809, -1.425%) | 127283 (+310, +0.2441%) | 126973 |" in lines
    latex = summary_latex(build_summary(frame, ids))
    assert (
        r"sblimp\_accuracy $\uparrow$ & \textbf{0.554} [0.523, 0.5845] (+0.008, +1.465\%, $\approx$)" in latex
    )


def _injected_summary() -> Summary:
    """Names and metric keys with newlines, tabs, U+2028 and ``| < >``: each must stay on its line."""
    frame = build_frame(
        [
            _row("a", "x\n\n# H |y", {"eval\r\nloss": 1.0, "sc<o>re|\u2028x": 2.0}),
            _row("b", "<b>\tc\x0bd", {"eval\r\nloss": 0.5}),
        ]
    )
    return build_summary(frame, ["a", "b"])


def test_markdown_folds_whitespace_so_no_row_or_heading_is_injected() -> None:
    assert summary_markdown(_injected_summary()) == (
        "| Metric | x # H \\|y (reference) | \\<b\\> c d |\n"
        "|---|---:|---:|\n"
        "| `eval loss` ↓ | 1 | **0.5** (-0.5, -50%) |\n"
        "| `sc<o>re\\| x` | 2 | — |\n"
        "\n"
        "In parentheses: difference to x # H \\|y (absolute, %). Best per row in bold.\n"
    )


def test_latex_folds_whitespace_and_spells_bar_and_angle_brackets() -> None:
    assert summary_latex(_injected_summary()) == (
        "% requires \\usepackage{booktabs}\n"
        "\\begin{table}[htbp]\n"
        "\\centering\n"
        r"\caption{In parentheses: difference to x \# H \textbar{}y (absolute, \%). Best per row in bold.}"
        "\n"
        "\\label{tab:comparison}\n"
        "\\begin{tabular}{lrr}\n"
        "\\toprule\n"
        r"Metric & x \# H \textbar{}y (ref.) & \textless{}b\textgreater{} c d \\" + "\n"
        "\\midrule\n"
        r"eval loss $\downarrow$ & 1 & \textbf{0.5} ($-$0.5, $-$50\%) \\" + "\n"
        r"sc\textless{}o\textgreater{}re\textbar{} x & 2 & --- \\" + "\n"
        "\\bottomrule\n"
        "\\end{tabular}\n"
        "\\end{table}\n"
    )


def test_a_given_caption_is_one_line_and_escaped_in_both_formats(summary: Summary) -> None:
    latex = summary_latex(summary, caption="first\n\nsecond | <third>")
    assert r"\caption{first second \textbar{} \textless{}third\textgreater{}}" in latex
    markdown = summary_markdown(summary, caption="first\r\n\r\n# second *")
    assert markdown.endswith("|\n\nfirst # second \\*\n")


def test_escapes_fold_every_kind_of_whitespace_and_drop_control_characters() -> None:
    text = "a\r\nb\tc\x0bd\x0ce\u2028f\u2029g\x85h\u00a0i\x00j\x1bk  l"
    assert escape_markdown(text) == "a b c d e f g h ijk l"
    assert escape_latex(text) == "a b c d e f g h ijk l"
    assert escape_markdown(" lead ") == " lead "  # ends kept: pieces are joined
    assert latex_text("a|b<c>d") == r"a\textbar{}b\textless{}c\textgreater{}d"
