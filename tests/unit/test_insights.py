"""Insights across runs: hand-computed bests, Pareto fronts (with ties), ablations, groups and correlations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.analysis.insights import (
    Best,
    ablation_pairs,
    best_per_metric,
    group_stats,
    pareto_front,
    spearman,
)

NAN = math.nan

RUNS = pd.DataFrame(
    {
        "run_id": ["a", "b", "c", "d"],
        "metrics.acc": [0.5, 0.75, 0.7, 0.75],
        "metrics.loss": [1.0, 2.0, 3.0, 2.0],
        "metrics.widget": [1.0, 2.0, 3.0, 4.0],
        "metrics.wer": [NAN, NAN, 0.3, NAN],
    }
)


def test_best_per_metric_value_and_margin() -> None:
    best = best_per_metric(RUNS, {})
    assert best["acc"].run_id == "b" and best["acc"].value == 0.75
    assert best["acc"].margin == 0.0  # d ties b
    assert best["loss"] == Best("a", 1.0, 1.0)
    assert best["wer"] == Best("c", 0.3, None)
    assert "widget" not in best  # no direction
    assert best_per_metric(RUNS, {"widget": "max"})["widget"] == Best("d", 4.0, 1.0)


def test_pareto_front_honours_directions_and_keeps_ties() -> None:
    # acc max, loss min: c (0.7, 3) is beaten by b (0.75, 2); b and d are equal points: both stay.
    assert pareto_front(RUNS, "acc", "metrics.loss", {}) == {"a", "b", "d"}
    # Flip loss to max: d/b (0.75, 2) vs c (0.7, 3): c now non-dominated, a is beaten by b.
    assert pareto_front(RUNS, "acc", "loss", {"loss": "max"}) == {"b", "c", "d"}
    with pytest.raises(ValueError, match="widget has no direction"):
        pareto_front(RUNS, "acc", "widget", {})


def test_pareto_front_skips_runs_missing_a_metric() -> None:
    assert pareto_front(RUNS, "acc", "wer", {}) == {"c"}


ABLATION = pd.DataFrame(
    {
        "run_id": ["r1", "r2", "r3", "r4", "r5"],
        "params.lr": [0.1, 0.2, 0.1, 0.2, 0.3],
        "params.bs": [8, 8, 16, 16, 32],
        "metrics.acc": [0.5, 0.6, 0.7, 0.9, NAN],
    }
)


def test_ablation_pairs_average_known_effects() -> None:
    effects = {(e.param, e.before, e.after): e for e in ablation_pairs(ABLATION, ["lr", "bs"], ["acc"])}
    # lr 0.1 → 0.2: (r1, r2) +0.1 and (r3, r4) +0.2; bs 8 → 16: +0.2 and +0.3; r5 differs in both.
    assert set(effects) == {("lr", 0.1, 0.2), ("bs", 8, 16)}
    assert effects[("lr", 0.1, 0.2)].pairs == 2
    assert effects[("lr", 0.1, 0.2)].deltas["acc"] == pytest.approx(0.15)
    assert effects[("bs", 8, 16)].deltas["acc"] == pytest.approx(0.25)


def test_ablation_with_one_param_orders_the_change() -> None:
    effects = ablation_pairs(ABLATION, ["params.lr"], ["acc"])
    # Only lr considered: every pair with different lr counts; r5 has no acc so its deltas are NaN.
    by_change = {(e.before, e.after): e for e in effects}
    assert by_change[(0.1, 0.2)].pairs == 4
    assert by_change[(0.1, 0.2)].deltas["acc"] == pytest.approx((0.1 + 0.4 - 0.1 + 0.2) / 4)
    assert math.isnan(by_change[(0.2, 0.3)].deltas["acc"])


def test_group_stats() -> None:
    stats = group_stats(ABLATION, "bs", "acc")
    assert list(stats.index) == [8, 16]  # bs 32 has no acc
    assert stats.loc[8, "mean"] == pytest.approx(0.55)
    assert stats.loc[8, "std"] == pytest.approx(math.sqrt(0.005))
    assert stats.loc[16, "count"] == 2


def test_spearman_with_counts_and_min_runs() -> None:
    data = pd.DataFrame(
        {
            "params.x": [1, 2, 3, 4, 5],
            "params.c": [1, 1, 1, 1, 1],
            "metrics.up": [1.0, 4.0, 9.0, 16.0, 25.0],
            "metrics.down": [5.0, 4.0, 3.0, 2.0, 1.0],
            "metrics.gappy": [1.0, 2.0, NAN, 4.0, 5.0],
        }
    )
    corr, counts = spearman(data, ["x", "c"], ["up", "down", "gappy"], min_runs=5)
    assert corr.loc["x", "up"] == pytest.approx(1.0)
    assert corr.loc["x", "down"] == pytest.approx(-1.0)
    assert counts.loc["x", "gappy"] == 4 and math.isnan(corr.loc["x", "gappy"])
    assert math.isnan(corr.loc["c", "up"]) and counts.loc["c", "up"] == 5
    lenient, _ = spearman(data, ["x"], ["gappy"], min_runs=4)
    assert lenient.loc["x", "gappy"] == pytest.approx(1.0)
