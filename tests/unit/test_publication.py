"""Publication tables: golden LaTeX and Markdown for a hand-made frame, and the rules behind them.

Hand-computed numbers (z = 1.959963984540054, Wilson half-width
``z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²)``):

- 50/100: sqrt(0.0025 + 0.0000960365) = 0.0509513; × 1.887458 = 0.096168 → ``0.096``
- 62/100: sqrt(0.002356 + 0.0000960365) = 0.0495181; × 1.887458 = 0.093463 → ``0.093``
- stderr 0.01 → 1.96 × 0.01 = 0.0196 → ``0.020``; 0.02 → 0.0392 → ``0.039``

Decimals: sblimp has values written with ≤ 2 decimals but its smallest half-width 0.093 needs
3 for two significant digits (cap 4): 3. eval loss: 1.25 → 2 (cap 3). hellaswag/acc: 0.0196 → 3.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from dashboard.analysis.publication import (
    caption_note,
    caption_text,
    is_asymmetric,
    publication_table,
    readable_header,
    tex_text,
    to_latex,
    to_markdown,
)

HOSTILE_NAME = "lora 50% & #2 {x}~^\\$"
ODD_METRIC = "odd%&#${}~^\\|key"  # no direction: never bold


def _row(run_id: str, name: str | None, metrics: dict[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": run_id, "name": name}
    row.update({"metrics." + k: v for k, v in metrics.items()})
    return row


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _row(
                "a",
                "base_v1",
                {
                    "sblimp_accuracy": 0.5,
                    "sblimp_samples": 100,
                    "eval_loss": 1.25,
                    "hellaswag/acc": 0.25,
                    "hellaswag/acc_stderr": 0.01,
                    ODD_METRIC: 1,
                },
            ),
            _row("b", HOSTILE_NAME, {"sblimp_accuracy": 0.62, "sblimp_samples": 100, ODD_METRIC: 2}),
            _row(
                "c",
                "c|d",
                {
                    "sblimp_accuracy": 0.62,
                    "sblimp_samples": 100,
                    "eval_loss": 1.5,
                    "hellaswag/acc": 0.3,
                    "hellaswag/acc_stderr": 0.02,
                    ODD_METRIC: 3,
                },
            ),
        ]
    )


METRICS = ["sblimp_accuracy", "metrics.eval_loss", "hellaswag/acc", ODD_METRIC]

NOTE = (
    "Best value per column in bold (↑ higher is better, ↓ lower is better). "
    "± is half the width of the 95% Wilson score interval for sblimp accuracy (n = 100); "
    "1.96 reported standard errors for hellaswag/acc. "
    "Values without ± have no known interval. —: not available."
)

EXPECTED_LATEX = r"""% requires \usepackage{booktabs}
\begin{table}[htbp]
\centering
\begin{tabular}{l r r r r}
\toprule
Run & sblimp accuracy $\uparrow$ & eval loss $\downarrow$ & hellaswag/acc $\uparrow$ & odd\%\&\#\$\{\}\textasciitilde{}\textasciicircum{}\textbackslash{}\textbar{}key \\
\midrule
base\_v1 & 0.500 $\pm$ 0.096 & \textbf{1.25} & 0.250 $\pm$ 0.020 & 1 \\
lora 50\% \& \#2 \{x\}\textasciitilde{}\textasciicircum{}\textbackslash{}\$ & \textbf{0.620} $\pm$ 0.093 & --- & --- & 2 \\
c\textbar{}d & \textbf{0.620} $\pm$ 0.093 & 1.50 & \textbf{0.300} $\pm$ 0.039 & 3 \\
\bottomrule
\end{tabular}
\caption{Results on sBLIMP\_test. Best value per column in bold ($\uparrow$ higher is better, $\downarrow$ lower is better). $\pm$ is half the width of the 95\% Wilson score interval for sblimp accuracy (n = 100); 1.96 reported standard errors for hellaswag/acc. Values without $\pm$ have no known interval. ---: not available.}
\label{tab:results}
\end{table}
"""

EXPECTED_MARKDOWN = (
    "| Run | sblimp accuracy ↑ | eval loss ↓ | hellaswag/acc ↑ | odd%&#${}~^\\\\\\|key |\n"
    "|---|---:|---:|---:|---:|\n"
    "| base\\_v1 | 0.500 ± 0.096 | **1.25** | 0.250 ± 0.020 | 1 |\n"
    "| lora 50% & #2 {x}~^\\\\$ | **0.620** ± 0.093 | — | — | 2 |\n"
    "| c\\|d | **0.620** ± 0.093 | 1.50 | **0.300** ± 0.039 | 3 |\n"
    "\n"
    "Table: Results on sBLIMP\\_test. " + NOTE + "\n"
)


def test_latex_is_the_expected_booktabs_table() -> None:
    table = publication_table(_frame(), METRICS)
    assert to_latex(table, caption="Results on sBLIMP_test") == EXPECTED_LATEX


def test_markdown_is_the_expected_pipe_table() -> None:
    table = publication_table(_frame(), METRICS)
    assert to_markdown(table, caption="Results on sBLIMP_test") == EXPECTED_MARKDOWN


def test_model_holds_the_hand_computed_intervals_and_bold() -> None:
    table = publication_table(_frame(), METRICS)
    assert table.labels == ["base_v1", HOSTILE_NAME, "c|d"]
    assert [c.decimals for c in table.columns] == [3, 2, 3, 0]
    assert [c.direction for c in table.columns] == ["max", "min", "max", None]
    sblimp = [row[0] for row in table.rows]
    assert [e.best for e in sblimp] == [False, True, True]  # the tie is bold twice
    assert [e.kind for e in sblimp] == ["wilson"] * 3
    assert [e.n for e in sblimp] == [100] * 3
    assert sblimp[0].half_width == pytest.approx(0.0961685, abs=1e-6)
    assert sblimp[1].half_width == pytest.approx(0.0934632, abs=1e-6)
    assert table.rows[2][2].half_width == pytest.approx(0.0391993, abs=1e-6)
    assert table.rows[1][1].value is None
    assert table.note == NOTE


def test_default_caption_is_the_note_and_a_caption_is_one_line() -> None:
    table = publication_table(_frame(), METRICS)
    assert caption_text(table) == NOTE
    assert caption_text(table, "  Two\n\nlines  ") == "Two lines. " + NOTE  # a blank line would end \caption
    assert caption_text(table, "Ends with a stop.") == "Ends with a stop. " + NOTE
    assert to_markdown(table).endswith("\n\nTable: " + NOTE.replace("_", "\\_") + "\n")


def test_label_and_caption_position_in_latex() -> None:
    text = to_latex(publication_table(_frame(), ["eval_loss"]), label="tab:my_runs")
    lines = text.splitlines()
    assert lines[lines.index(r"\end{tabular}") + 1].startswith(r"\caption{")
    assert lines[-2:] == [r"\label{tab:my\_runs}", r"\end{table}"]


def test_tiny_numbers_are_scaled_in_the_header_and_negative_numbers_use_math_minus() -> None:
    frame = pd.DataFrame(
        [
            _row("a", "a", {"librilight_slope": 7.3e-5}),
            _row("b", "b", {"librilight_slope": -2.1e-5}),
        ]
    )
    table = publication_table(frame, ["librilight_slope"])
    assert table.columns[0].exponent == -5
    assert table.columns[0].decimals == 1  # 7.3 and 2.1: one decimal, float noise ignored
    latex = to_latex(table).splitlines()
    assert latex[5] == r"Run & librilight slope ($\times 10^{-5}$) $\downarrow$ \\"
    assert latex[7:9] == [r"a & 7.3 \\", r"b & \textbf{$-$2.1} \\"]
    markdown = to_markdown(table).splitlines()
    assert markdown[0] == "| Run | librilight slope (×10⁻⁵) ↓ |"
    assert markdown[2:4] == ["| a | 7.3 |", "| b | **-2.1** |"]
    assert markdown[-1] == "Table: Best value per column in bold (↑ higher is better, ↓ lower is better)."


def test_no_bold_without_direction_or_without_a_difference() -> None:
    frame = pd.DataFrame(
        [
            _row("a", "a", {"eval_loss": 0.5, "num_tokens": 10, "bleu": 30}),
            _row("b", "b", {"eval_loss": 0.5, "num_tokens": 20, "bleu": 30.00001}),
        ]
    )
    table = publication_table(frame, ["eval_loss", "num_tokens", "bleu"])
    assert [e.best for row in table.rows for e in row] == [False] * 6  # bleu: equal as shown (30.00)
    assert table.note == ""
    assert "\\caption" not in to_latex(table)
    assert to_markdown(table).endswith("| b | 0.5 | 20 | 30.00 |\n")


def test_direction_overrides_are_honoured() -> None:
    frame = pd.DataFrame([_row("a", "a", {"num_tokens": 10}), _row("b", "b", {"num_tokens": 20})])
    table = publication_table(frame, ["num_tokens"], {"num_tokens": "max"})
    assert [row[0].best for row in table.rows] == [False, True]
    assert to_markdown(table).splitlines()[0] == "| Run | num tokens ↑ |"


def test_wilson_counts_stated_per_column_and_mixed_kinds_per_column() -> None:
    frame = pd.DataFrame(
        [
            _row("a", "a", {"x_accuracy": 0.5, "x_samples": 100, "y_accuracy": 0.25, "y_samples": 200}),
            _row("b", "b", {"x_accuracy": 0.5, "x_samples": 120, "y_accuracy": 0.3, "y_stderr": 0.01}),
        ]
    )
    table = publication_table(frame, ["x_accuracy"])
    assert caption_note(table) == "± is half the width of the 95% Wilson score interval (n = 100–120)."
    per_column = pd.DataFrame(
        [_row("a", "a", {"x_accuracy": 0.5, "x_samples": 100, "z_accuracy": 0.5, "z_samples": 2000})]
    )
    assert caption_note(publication_table(per_column, ["x_accuracy", "z_accuracy"])) == (
        "± is half the width of the 95% Wilson score interval (n = 100 for x accuracy, 2000 for z accuracy)."
    )
    table = publication_table(frame, ["y_accuracy"])
    assert [row[0].kind for row in table.rows] == ["wilson", None]  # y_stderr is not y_accuracy_stderr
    both = pd.DataFrame(
        [
            _row("a", "a", {"y_accuracy": 0.25, "y_samples": 200}),
            _row("b", "b", {"y_accuracy": 0.3, "y_accuracy_stderr": 0.01}),
        ]
    )
    assert caption_note(publication_table(both, ["y_accuracy"])) == (
        "Best value per column in bold (↑ higher is better, ↓ lower is better). "
        "± is half the width of the 95% Wilson score interval for y accuracy (some runs) (n = 200); "
        "1.96 reported standard errors for y accuracy (some runs)."
    )


def test_single_count_and_stderr_only_captions() -> None:
    wilson = pd.DataFrame([_row("a", "a", {"x_accuracy": 0.5, "x_samples": 100})])
    assert caption_note(publication_table(wilson, ["x_accuracy"])) == (
        "± is half the width of the 95% Wilson score interval (n = 100)."
    )
    stderr = pd.DataFrame([_row("a", "a", {"acc": 0.5, "acc_stderr": 0.01})])
    assert caption_note(publication_table(stderr, ["acc"])) == "± is 1.96 reported standard errors."


def test_labels_fall_back_to_run_id_and_are_made_unique() -> None:
    frame = pd.DataFrame(
        [_row("r1", "same", {"bleu": 1}), _row("r2", "same", {"bleu": 2}), _row("r3", None, {"bleu": 3})]
    )
    assert publication_table(frame, ["bleu"]).labels == ["same", "same (2)", "r3"]


def test_readable_header_and_tex_text() -> None:
    assert readable_header("metrics.sblimp_accuracy") == "sblimp accuracy"
    assert readable_header("eval_WER_clean") == "eval WER clean"
    assert tex_text("a<b>c|d ± —") == r"a\textless{}b\textgreater{}c\textbar{}d $\pm$ ---"


INJECTED_NAME = "x\n\n# H |y\r\tz\u2028\u2029w\x0b\x0cv"  # a Markdown heading and a LaTeX \par if kept
INJECTED_METRIC = "odd\r\n\nkey"


def test_newlines_in_names_and_metrics_are_folded_to_one_line() -> None:
    frame = pd.DataFrame(
        [_row("a", INJECTED_NAME, {INJECTED_METRIC: 1}), _row("b", "y\u00a0 z", {INJECTED_METRIC: 2})]
    )
    table = publication_table(frame, [INJECTED_METRIC])
    assert table.labels == ["x # H |y z w v", "y z"]
    assert table.columns[0].header == "odd key"
    assert to_markdown(table) == ("| Run | odd key |\n|---|---:|\n| x # H \\|y z w v | 1 |\n| y z | 2 |\n")
    assert to_latex(table).splitlines()[5:9] == [
        r"Run & odd key \\",
        r"\midrule",
        r"x \# H \textbar{}y z w v & 1 \\",
        r"y z & 2 \\",
    ]
    caption = to_latex(table, caption="a\r\n\r\nb\u2029c").splitlines()
    assert caption[11] == r"\caption{a b c.}"


def test_names_that_fold_alike_are_made_unique_and_never_collide() -> None:
    frame = pd.DataFrame(
        [
            _row("r1", "x", {"bleu": 1}),
            _row("r2", "x", {"bleu": 2}),
            _row("r3", "x (2)", {"bleu": 3}),
            _row("r4", "a\nb", {"bleu": 4}),
            _row("r5", "a b", {"bleu": 5}),
            _row("r6", " \n ", {"bleu": 6}),  # nothing to show: the run id
        ]
    )
    labels = publication_table(frame, ["bleu"]).labels
    assert labels == ["x", "x (3)", "x (2)", "a b", "a b (2)", "r6"]
    assert len(set(labels)) == len(labels)


# 99/100 (hand): z²/n = 0.0384146; centre (0.99 + 0.0192073)/1.0384146 = 0.971873; half-width
# z/(1 + z²/n)·sqrt(0.99·0.01/100 + z²/40000) = 1.887458 · sqrt(0.000099 + 0.0000960365) = 0.026359
# → [0.945514, 0.998233]: sides 0.008233 and 0.044486 differ by 0.036253 > 0.25 · 0.026359 = 0.00659.
# 50/100 is symmetric (± 0.096, see the top). Decimals: 0.026 needs 3.
ASYMMETRIC_NOTE = (
    "Best value per column in bold (↑ higher is better, ↓ lower is better). "
    "± is half the width of the 95% Wilson score interval (n = 100). "
    "[low, high] is the 95% Wilson score interval itself, printed where it is clearly asymmetric (n = 100)."
)


def _asymmetric_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _row("a", "near_one", {"x_accuracy": 0.99, "x_samples": 100}),
            _row("b", "half", {"x_accuracy": 0.5, "x_samples": 100}),
        ]
    )


def test_asymmetric_wilson_interval_is_printed_as_its_bounds() -> None:
    table = publication_table(_asymmetric_frame(), ["x_accuracy"])
    near_one = table.rows[0][0]
    assert near_one.asymmetric and not table.rows[1][0].asymmetric
    assert near_one.low == pytest.approx(0.945514, abs=1e-6)
    assert near_one.high == pytest.approx(0.998233, abs=1e-6)
    assert table.note == ASYMMETRIC_NOTE
    assert to_latex(table).splitlines()[7:9] == [
        r"near\_one & \textbf{0.990}\,[0.946, 0.998] \\",
        r"half & 0.500 $\pm$ 0.096 \\",
    ]
    assert to_markdown(table) == (
        "| Run | x accuracy ↑ |\n|---|---:|\n"
        "| near\\_one | **0.990** [0.946, 0.998] |\n"
        "| half | 0.500 ± 0.096 |\n\n"
        "Table: " + ASYMMETRIC_NOTE.replace("[low, high]", "\\[low, high\\]") + "\n"
    )


def test_bounds_only_caption_and_values_without_interval() -> None:
    frame = pd.DataFrame([_row("a", "a", {"x_accuracy": 0.99, "x_samples": 100, "bleu": 30})])
    assert caption_note(publication_table(frame, ["x_accuracy", "bleu"])) == (
        "[low, high] is the 95% Wilson score interval itself, printed where it is clearly asymmetric "
        "(n = 100). Values with neither ± nor [low, high] have no known interval."
    )


def test_asymmetry_threshold_is_a_quarter_of_the_half_width() -> None:
    assert not is_asymmetric(0.5, 0.4, 0.6)  # sides equal
    assert not is_asymmetric(0.5, 0.38, 0.6)  # sides 0.12, 0.10: 0.02 ≤ 0.25 · 0.11
    assert is_asymmetric(0.5, 0.36, 0.6)  # sides 0.14, 0.10: 0.04 > 0.25 · 0.12
    assert not is_asymmetric(1.0, 1.0, 1.0)  # no width
