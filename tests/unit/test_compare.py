"""The comparison summary: reference choice, row order, folded counts, best cells, overfitting; and data/."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.analysis.compare import (
    MAX_RUNS,
    Overfit,
    build_summary,
    describe_overfit,
    overfitting,
    reading_for,
)
from dashboard.analysis.intervals import two_proportion_test, wilson
from dashboard.analysis.labels import unique_labels
from dashboard.ingest.base import Series
from dashboard.rows import build_frame
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]
TTT = "dailytalk_ttt_l29-31_blr1e-2/checkpoints/checkpoint_002000/consolidated"
LORA = "dailytalk_lora_r64/checkpoints/checkpoint_002000/consolidated"
BASE = "moshi-finetune/baseline_paper_metrics_results"


def _row(
    run_id: str, metrics: dict[str, float], baseline: bool = False, name: str | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": run_id,
        "name": name if name is not None else run_id,
        "status": "completed",
        "source": "test",
        "baseline": baseline,
    }
    row.update({"metrics." + k: v for k, v in metrics.items()})
    return row


def _frame() -> Any:
    return build_frame(
        [
            _row(
                "a",
                {
                    "sblimp_accuracy": 0.556,
                    "sblimp_samples": 1000,
                    "hellaswag/acc": 0.515,
                    "hellaswag/acc_stderr": 0.005,
                    "eval_loss": 0.30,
                    "epoch": 3.0,
                    "only_a_loss": 1.5,
                },
            ),
            _row(
                "b",
                {
                    "sblimp_accuracy": 0.560,
                    "sblimp_samples": 1000,
                    "hellaswag/acc": 0.49,
                    "hellaswag/acc_stderr": 0.005,
                    "eval_loss": 0.30,
                    "epoch": 3.0,
                },
            ),
            _row(
                "base",
                {
                    "sblimp_accuracy": 0.538,
                    "sblimp_samples": 1000,
                    "hellaswag/acc": 0.5,
                    "hellaswag/acc_stderr": 0.005,
                    "eval_loss": 0.35,
                    "epoch": 1.0,
                },
                baseline=True,
                name="baseline",
            ),
        ]
    )


def _by_metric(summary: Any) -> dict[str, Any]:
    return {row.metric: row for row in summary.rows}


def test_reference_is_the_baseline_when_compared() -> None:
    summary = build_summary(_frame(), ["a", "b", "base"])
    assert summary.run_ids == ["a", "b", "base"]
    assert summary.names == ["a", "b", "baseline"]
    assert summary.reference_id == "base"
    assert summary.reference_index == 2


def test_reference_is_the_first_without_a_baseline_and_can_be_changed() -> None:
    assert build_summary(_frame(), ["b", "a"]).reference_id == "b"
    changed = build_summary(_frame(), ["a", "b", "base"], reference_id="a")
    assert changed.reference_id == "a"
    sblimp = _by_metric(changed)["sblimp_accuracy"]
    # against a (556/1000): base is 538/1000, Δ = −0.018; b is 560/1000, Δ = +0.004
    assert sblimp.cells[0].difference is None
    assert sblimp.cells[2].difference.delta == pytest.approx(-0.018, abs=1e-15)
    assert sblimp.cells[2].difference.p == pytest.approx(
        two_proportion_test(556, 1000, 538, 1000)[1], abs=1e-15
    )
    assert sblimp.cells[2].better is False
    assert sblimp.cells[1].difference.delta == pytest.approx(0.004, abs=1e-15)


def test_unknown_reference_and_runs_are_dropped_with_a_note() -> None:
    summary = build_summary(_frame(), ["a", "gone", "b"], reference_id="elsewhere")
    assert summary.run_ids == ["a", "b"]
    assert summary.reference_id == "a"
    assert any("gone" in note for note in summary.notes)
    assert any("elsewhere" in note for note in summary.notes)
    empty = build_summary(_frame(), ["gone"])
    assert (empty.run_ids, empty.rows, empty.reference_id) == ([], [], None)


def test_more_than_five_runs_is_refused() -> None:
    frame = build_frame([_row(f"r{i}", {"loss": float(i)}) for i in range(MAX_RUNS + 1)])
    with pytest.raises(ValueError):
        build_summary(frame, [f"r{i}" for i in range(MAX_RUNS + 1)])
    assert len(build_summary(frame, [f"r{i}" for i in range(MAX_RUNS)]).run_ids) == MAX_RUNS


def test_rows_directed_first_counts_and_errors_folded() -> None:
    summary = build_summary(_frame(), ["a", "b", "base"])
    metrics = [row.metric for row in summary.rows]
    assert metrics == ["eval_loss", "hellaswag/acc", "only_a_loss", "sblimp_accuracy", "epoch"]
    assert [row.direction for row in summary.rows] == ["min", "max", "min", "max", None]


def test_intervals_and_differences_in_cells() -> None:
    rows = _by_metric(build_summary(_frame(), ["a", "b", "base"]))
    sblimp = rows["sblimp_accuracy"]
    a, _, base = sblimp.cells
    assert base.difference is None
    assert (base.estimate.low, base.estimate.high) == wilson(538, 1000)
    # 556 vs 538 of 1000: z = 0.8086, p = 0.4188 → ≈
    assert a.difference.indistinguishable is True
    assert a.difference.p == pytest.approx(0.41876561280818856, abs=1e-12)
    assert a.better is True
    hellaswag = rows["hellaswag/acc"]
    # 0.515 vs 0.5 with se 0.005 each: z = 2.1213, p = 0.0339 → real; 0.49 vs 0.5: z = −1.4142, p = 0.1573 → ≈
    assert hellaswag.cells[0].difference.indistinguishable is False
    assert hellaswag.cells[0].difference.p == pytest.approx(0.03389485352468927, abs=1e-9)
    assert hellaswag.cells[1].difference.indistinguishable is True
    assert hellaswag.cells[1].difference.p == pytest.approx(math.erfc(math.sqrt(2) / math.sqrt(2)), abs=1e-12)
    assert hellaswag.cells[1].better is False


def test_missing_metrics_leave_empty_cells() -> None:
    rows = _by_metric(build_summary(_frame(), ["a", "b", "base"]))
    only_a = rows["only_a_loss"]
    assert [c.estimate is not None for c in only_a.cells] == [True, False, False]
    # the reference has no value: nothing to differ from
    assert all(c.difference is None for c in only_a.cells)
    assert only_a.best == []  # one value is not a contest
    with_a_ref = _by_metric(build_summary(_frame(), ["a", "b"], reference_id="a"))["only_a_loss"]
    assert with_a_ref.cells[1].estimate is None and with_a_ref.cells[1].difference is None


def test_best_per_row_by_direction_with_ties() -> None:
    rows = _by_metric(build_summary(_frame(), ["a", "b", "base"]))
    assert rows["sblimp_accuracy"].best == [1]
    assert rows["hellaswag/acc"].best == [0]
    assert rows["eval_loss"].best == [0, 1]  # 0.30 twice (min)
    assert rows["epoch"].best == []  # no direction
    assert rows["eval_loss"].cells[0].difference.delta == pytest.approx(-0.05, abs=1e-15)
    assert rows["eval_loss"].cells[0].better is True


def test_override_turns_a_direction_around() -> None:
    rows = _by_metric(build_summary(_frame(), ["a", "b", "base"], overrides={"epoch": "max"}))
    assert rows["epoch"].direction == "max"
    assert rows["epoch"].best == [0, 1]


def test_wilson_note_says_accuracies_are_k_over_n() -> None:
    summary = build_summary(_frame(), ["a", "base"])
    assert summary.interval_kinds == {"wilson", "stderr"}
    assert any("k = round(accuracy × samples)" in note for note in summary.notes)


# ---------------------------------------------------------------- overfitting


@pytest.mark.parametrize(
    ("gap", "reading"),
    [
        (0.0, "excellent"),
        (0.0499, "excellent"),
        (0.05, "good"),
        (0.0999, "good"),
        (0.1, "moderate"),
        (0.1999, "moderate"),
        (0.2, "high"),
        (3.0, "high"),
        (-0.001, "leakage"),
    ],
)
def test_readings_follow_the_seed(gap: float, reading: str) -> None:
    assert reading_for(gap) == reading


def test_overfitting_gap_prefers_the_last_logged_train_loss() -> None:
    # HF: train_loss is the mean over the run, loss the last logged value
    item = overfitting({"eval_loss": 0.2633862793445587, "loss": 0.2177, "train_loss": 0.332606})
    assert item.gap == pytest.approx(0.2633862793445587 - 0.2177, abs=1e-15)
    assert (item.reading, item.eval_key, item.train_key) == ("excellent", "eval_loss", "loss")
    only_train = overfitting({"val_loss": 1.0, "train_loss": 0.85})
    assert only_train.gap == pytest.approx(0.15, abs=1e-15)
    assert (only_train.reading, only_train.eval_key, only_train.train_key) == (
        "moderate",
        "val_loss",
        "train_loss",
    )
    assert overfitting({"eval_loss": 1.0, "loss": 1.2}).reading == "leakage"


def test_overfitting_needs_both_losses() -> None:
    assert overfitting({"eval_loss": 1.0}) == Overfit(None, None)
    assert overfitting({"loss": 1.0, "eval_loss": math.nan}) == Overfit(None, None)


def test_convergence_step_from_the_eval_curve() -> None:
    curve = Series(
        "eval_loss",
        x=np.array([100.0, 200.0, 300.0, 400.0, 500.0]),
        y=np.array([0.9, 0.5, np.nan, 0.5, 0.6]),
    )
    item = overfitting({"eval_loss": 0.6, "loss": 0.45}, curve)
    assert item.best_eval_step == 200.0  # the first step reaching the minimum
    assert item.best_eval_loss == 0.5
    assert describe_overfit(item) == (
        "gap 0.15 (eval_loss − loss): moderate overfitting (gap < 0.2); best eval loss at step 200"
    )
    by_tokens = Series("eval_loss", x=curve.x, y=curve.y, x_kind="tokens")
    assert overfitting({}, by_tokens).best_eval_step is None
    assert overfitting({}, curve).best_eval_step == 200.0


def test_summary_carries_overfit_per_run() -> None:
    frame = build_frame([_row("hf", {"eval_loss": 0.5, "loss": 0.25}), _row("pm", {"sblimp_accuracy": 0.5})])
    curve = Series("eval_loss", x=np.array([1.0, 2.0]), y=np.array([0.4, 0.5]))
    summary = build_summary(frame, ["hf", "pm"], eval_loss={"hf": curve})
    assert [o.gap for o in summary.overfit] == [0.25, None]
    assert summary.overfit[0].reading == "high"
    assert summary.overfit[0].best_eval_step == 1.0


# ---------------------------------------------------------------- the bundled data/


def test_real_three_runs(tmp_path: Path) -> None:
    frame = Store([str(PROJECT / "data")], cache_dir=str(tmp_path / "cache")).rescan().runs
    summary = build_summary(frame, [TTT, LORA, BASE])
    assert summary.reference_id == BASE  # the baseline, although listed last
    rows = _by_metric(summary)
    assert "sblimp_samples" not in rows and "tstory_samples" not in rows
    assert [row.metric for row in summary.rows][
        -1
    ] == "librilight_samples"  # counts without an accuracy: no direction
    sblimp = rows["sblimp_accuracy"]
    assert [c.estimate.value for c in sblimp.cells] == [0.554, 0.548, 0.546]
    assert [c.estimate.k for c in sblimp.cells] == [554, 548, 546]
    assert sblimp.best == [0]
    assert sblimp.cells[0].difference.p == pytest.approx(
        two_proportion_test(546, 1000, 554, 1000)[1], abs=1e-15
    )
    tstory = rows["tstory_accuracy"]
    assert [c.estimate.k for c in tstory.cells] == [1490, 1474, 1450]
    # the largest gap of the three, 1490 vs 1450 of 1871, is still noise: p = 0.111
    assert tstory.cells[0].difference.indistinguishable is True
    assert tstory.cells[0].difference.p == pytest.approx(
        two_proportion_test(1450, 1871, 1490, 1871)[1], abs=1e-15
    )
    ppl = rows["librilight_perplexity_8k"]
    assert ppl.direction == "min" and ppl.best == [0]
    assert ppl.cells[0].difference.p is None  # no interval known for perplexities
    assert [o.gap for o in summary.overfit] == [None, None, None]


def test_repeated_names_never_collide_with_a_real_name() -> None:
    frame = build_frame(
        [
            _row("r1", {"loss": 1.0}, name="x"),
            _row("r2", {"loss": 2.0}, name="x"),
            _row("r3", {"loss": 3.0}, name="x (2)"),
            _row("r4", {"loss": 4.0}, name="a\n\nb"),
            _row("r5", {"loss": 5.0}, name="a b"),
        ]
    )
    names = build_summary(frame, ["r1", "r2", "r3", "r4", "r5"]).names
    assert names == ["x", "x (3)", "x (2)", "a b", "a b (2)"]


def test_unique_labels_skips_every_taken_suffix() -> None:
    assert unique_labels(["a", "a", "a"]) == ["a", "a (2)", "a (3)"]
    assert unique_labels(["x", "x", "x (2)"]) == ["x", "x (3)", "x (2)"]
    assert unique_labels(["x (2)", "x", "x"]) == ["x (2)", "x", "x (3)"]
    assert unique_labels(["x (2)", "x (2)", "x", "x", "x (3)"]) == [
        "x (2)",
        "x (2) (2)",
        "x",
        "x (4)",
        "x (3)",
    ]
    assert unique_labels([" a\t", "a"]) == ["a", "a (2)"]  # trimmed, then compared
