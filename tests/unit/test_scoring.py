"""The recommendation score: hand-computed totals for each normalisation, missing rule and preset."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from dashboard.analysis.scoring import (
    Constraint,
    Criterion,
    ScoringSpec,
    loss_preset,
    paper_metrics_preset,
    score,
    sensitivity,
)

NAN = math.nan


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Runs in the store's shape: identity columns and ``metrics.<k>`` floats (NaN = missing)."""
    out = []
    for row in rows:
        record: dict[str, Any] = {"run_id": row["run_id"], "name": row["run_id"]}
        record["status"] = row.get("status", "completed")
        record.update({f"metrics.{k}": float(v) for k, v in row.items() if k not in ("run_id", "status")})
        out.append(record)
    return pd.DataFrame(out)


def totals(result: Any) -> dict[str, float]:
    return {r.run_id: r.total for r in result.ranking}


THREE = frame(
    [
        {"run_id": "a", "acc": 0.25, "loss": 1.0},
        {"run_id": "b", "acc": 0.5, "loss": 2.0},
        {"run_id": "c", "acc": 0.75, "loss": 5.0},
    ]
)


def test_minmax_totals_by_hand() -> None:
    # acc (max): a 0, b 0.5, c 1; loss (min): a 1, b (5-2)/4 = 0.75, c 0; weights 3:1.
    spec = ScoringSpec([Criterion("acc", 3, "max"), Criterion("loss", 1, "min")])
    result = score(THREE, spec)
    assert [r.run_id for r in result.ranking] == ["c", "b", "a"]
    assert totals(result) == pytest.approx({"a": 25.0, "b": 56.25, "c": 75.0})
    b = result.ranking[1]
    assert b.parts["acc"] == pytest.approx((0.5, 37.5))
    assert b.parts["loss"] == pytest.approx((0.75, 18.75))
    assert result.winner is not None and result.winner.run_id == "c"
    assert result.runner_up is not None and result.runner_up.run_id == "b"
    assert result.winner.reasons == ["best acc (0.75)", "worst loss (5)"]
    assert b.reasons == ["2nd on acc", "2nd on loss"]
    assert result.excluded == [] and result.notes == []
    assert "Weights: acc max 75%, loss min 25%." in result.rules_text


def test_metric_names_may_carry_the_prefix() -> None:
    spec = ScoringSpec([Criterion("metrics.acc", 1, "max")])
    assert totals(score(THREE, spec)) == pytest.approx({"a": 0.0, "b": 50.0, "c": 100.0})


def test_rank_normalisation_with_ties() -> None:
    # acc ranks: c 1, a/b 2.5 -> a 0.75, b 0.75, c 0; loss: a 1, b 0.5, c 0; equal weights.
    data = frame(
        [
            {"run_id": "a", "acc": 0.5, "loss": 1.0},
            {"run_id": "b", "acc": 0.5, "loss": 2.0},
            {"run_id": "c", "acc": 0.25, "loss": 3.0},
        ]
    )
    spec = ScoringSpec([Criterion("acc", 1, "max"), Criterion("loss", 1, "min")], normalisation="rank")
    result = score(data, spec)
    assert totals(result) == pytest.approx({"a": 87.5, "b": 62.5, "c": 0.0})
    assert result.ranking[0].parts["acc"] == pytest.approx((0.75, 37.5))
    assert result.ranking[0].reasons[0] == "best acc (0.5)"
    assert result.ranking[1].reasons[0] == "best acc (0.5)"  # a tie is best for both


def test_constant_column_scores_one_with_a_note() -> None:
    data = frame([{"run_id": "a", "acc": 0.5, "loss": 1.0}, {"run_id": "b", "acc": 0.5, "loss": 2.0}])
    result = score(data, ScoringSpec([Criterion("acc", 1, "max"), Criterion("loss", 1, "min")]))
    assert totals(result) == pytest.approx({"a": 100.0, "b": 50.0})
    assert any("acc is the same for every ranked run" in n for n in result.notes)


MISSING = frame(
    [
        {"run_id": "a", "acc": 0.25, "loss": 1.0},
        {"run_id": "b", "acc": 0.75, "loss": NAN},
        {"run_id": "c", "acc": 0.5, "loss": 3.0},
    ]
)
BOTH = [Criterion("acc", 1, "max"), Criterion("loss", 1, "min")]


def test_missing_exclude() -> None:
    result = score(MISSING, ScoringSpec(BOTH, missing="exclude"))
    assert result.excluded == [("b", "missing loss")]
    # Normalised over a and c only: a (0 + 1), c (1 + 0).
    assert totals(result) == pytest.approx({"a": 50.0, "c": 50.0})
    assert any("not ranked" in rule for rule in result.rules_text)


def test_missing_worst() -> None:
    result = score(MISSING, ScoringSpec(BOTH, missing="worst"))
    # acc: a 0, b 1, c 0.5; loss over a, c: a 1, c 0; b's missing loss counts 0.
    assert totals(result) == pytest.approx({"a": 50.0, "b": 50.0, "c": 25.0})
    b = next(r for r in result.ranking if r.run_id == "b")
    assert b.parts["loss"] == (0.0, 0.0)
    assert "no loss: counted as worst" in b.reasons
    assert any("worst score (0)" in rule for rule in result.rules_text)


def test_missing_skip_metric() -> None:
    result = score(MISSING, ScoringSpec(BOTH, missing="skip-metric"))
    assert totals(result) == pytest.approx({"a": 50.0, "b": 100.0, "c": 25.0})
    b = result.ranking[0]
    assert b.run_id == "b" and set(b.parts) == {"acc"}
    assert b.parts["acc"] == pytest.approx((1.0, 100.0))
    assert "no loss: score re-weighted over the others" in b.reasons
    assert any("re-weighted" in rule for rule in result.rules_text)


def test_a_run_with_none_of_the_metrics_is_listed() -> None:
    data = frame([{"run_id": "a", "acc": 0.5}, {"run_id": "b", "acc": 0.25}, {"run_id": "z", "other": 1.0}])
    result = score(data, ScoringSpec([Criterion("acc", 1, "max")], missing="skip-metric"))
    assert ("z", "has none of the chosen metrics") in result.excluded
    assert totals(result) == pytest.approx({"a": 100.0, "b": 0.0})


def test_constraints_and_status_exclude_with_reasons() -> None:
    data = pd.concat(
        [
            THREE,
            frame([{"run_id": "r", "acc": 0.9, "loss": 0.5, "status": "running"}]),
            frame([{"run_id": "n", "loss": 0.5}]),
        ],
        ignore_index=True,
    )
    spec = ScoringSpec(BOTH, constraints=[Constraint("acc", ">=", 0.5)])
    result = score(data, spec)
    assert result.excluded == [
        ("r", "not completed (status running)"),
        ("a", "fails acc >= 0.5 (0.25)"),
        ("n", "no acc to check acc >= 0.5"),
    ]
    # b and c remain: acc b 0 c 1; loss b 1 c 0.
    assert totals(result) == pytest.approx({"b": 50.0, "c": 50.0})
    assert "Constraint: acc >= 0.5." in result.rules_text
    below = score(THREE, ScoringSpec(BOTH, constraints=[Constraint("loss", "<=", 2.0)]))
    assert [r.run_id for r in below.ranking] == ["a", "b"]


def test_unusable_criteria_are_noted_not_zeroed() -> None:
    spec = ScoringSpec(
        [Criterion("acc", 1, "max"), Criterion("absent", 1, "max"), Criterion("loss", 0, "min")]
    )
    result = score(THREE, spec)
    assert totals(result) == pytest.approx({"a": 0.0, "b": 50.0, "c": 100.0})
    assert "absent: no ranked run has it; left out" in result.notes
    assert "loss: weight 0 is not positive; left out" in result.notes


def test_loss_preset_is_the_seed_rule() -> None:
    data = frame(
        [
            {"run_id": "x", "eval_loss": 1.0, "loss": 0.97},  # gap 0.03 excellent: 100
            {"run_id": "y", "eval_loss": 1.2, "loss": 1.12},  # gap 0.08 good: 80
            {"run_id": "z", "eval_loss": 1.5, "loss": 1.6},  # gap -0.1 leakage: 40
            {"run_id": "w", "eval_loss": 0.5, "loss": 0.5, "status": "failed"},
            {"run_id": "v", "eval_loss": 0.4},
        ]
    )
    result = score(data, loss_preset())
    # eval score 100/60/0 × 0.7 + gap points × 0.3.
    assert totals(result) == pytest.approx({"x": 100.0, "y": 66.0, "z": 12.0})
    assert [r.run_id for r in result.ranking] == ["x", "y", "z"]
    assert result.excluded == [("w", "not completed (status failed)"), ("v", "missing overfitting")]
    x, _, z = result.ranking
    assert x.reasons == ["best eval loss (1)", "gap 0.03: excellent"]
    assert z.reasons == ["worst eval loss (1.5)", "gap -0.1: suspect leakage"]
    assert z.parts["overfitting"] == pytest.approx((0.4, 12.0))
    assert any("< 0.05 → 100" in rule for rule in result.rules_text)


def test_loss_preset_high_and_moderate_gaps_and_val_loss() -> None:
    data = frame(
        [
            {"run_id": "m", "val_loss": 2.0, "train_loss": 1.85},  # moderate: 60
            {"run_id": "h", "val_loss": 3.0, "train_loss": 2.5},  # high: 30
        ]
    )
    assert totals(score(data, loss_preset())) == pytest.approx({"m": 70 + 18.0, "h": 9.0})


def test_sensitivity_names_the_weight_that_flips() -> None:
    data = frame(
        [
            {"run_id": "p", "m1": 1.0, "m2": 0.0},
            {"run_id": "q", "m1": 0.0, "m2": 1.0},
            {"run_id": "r", "m1": 0.5, "m2": 0.25},
        ]
    )
    close = ScoringSpec([Criterion("m1", 1.0, "max"), Criterion("m2", 0.9, "max")])
    assert score(data, close).winner.run_id == "p"  # type: ignore[union-attr]
    result = sensitivity(data, close)
    assert not result.stable
    assert result.flips == [("m1", "-20%", "q"), ("m2", "+20%", "q")]
    clear = ScoringSpec([Criterion("m1", 1.0, "max"), Criterion("m2", 0.5, "max")])
    assert sensitivity(data, clear).stable


def test_empty_input() -> None:
    result = score(frame([]).reindex(columns=["run_id", "name", "status"]), loss_preset())
    assert result.ranking == [] and result.winner is None and result.runner_up is None
    assert sensitivity(THREE, ScoringSpec([Criterion("absent", 1, "max")])).stable


def test_paper_preset_on_real_runs() -> None:
    from pathlib import Path

    from dashboard.store import Store

    data_dir = Path(__file__).resolve().parents[2] / "data"
    if not data_dir.is_dir():
        pytest.skip("no sample data")
    runs = Store([str(data_dir)], cache_dir=None).rescan().runs
    spec = paper_metrics_preset(runs)
    assert [c.metric for c in spec.criteria] == [
        "sblimp_accuracy",
        "swuggy_accuracy",
        "tstory_accuracy",
        "sstory_accuracy",
        "librilight_perplexity_8k",
        "librilight_slope",
    ]
    assert {c.direction for c in spec.criteria[:4]} == {"max"}
    result = score(runs, spec)
    assert all(0.0 <= r.total <= 100.0 for r in result.ranking)
    assert all(reason.startswith("missing sblimp_accuracy") for _, reason in result.excluded)
    assert result.winner is not None
