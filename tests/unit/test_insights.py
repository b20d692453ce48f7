"""Insights across runs: hand-computed bests, Pareto fronts (with ties), ablations, groups and correlations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.insights import (
    Best,
    ablation_pairs,
    best_per_metric,
    group_stats,
    spearman,
)
from dashboard.analysis.pareto import metric_values, pareto_front

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
    assert list(stats.index) == ["8", "16"]  # bs 32 has no acc; groups are named as the filters name them
    assert stats.loc["8", "mean"] == pytest.approx(0.55)
    assert stats.loc["8", "std"] == pytest.approx(math.sqrt(0.005))
    assert stats.loc["16", "count"] == 2


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


# ---------------------------------------------------------------- fast versions agree with the definitions


def _pareto_by_definition(frame: pd.DataFrame, sx: float, sy: float) -> set[str]:
    points = [
        (r.run_id, r.x * sx, r.y * sy) for r in frame.itertuples() if not (math.isnan(r.x) or math.isnan(r.y))
    ]
    return {
        i
        for i, xi, yi in points
        if not any(xj >= xi and yj >= yi and (xj > xi or yj > yi) for _, xj, yj in points)
    }


@pytest.mark.parametrize("seed", range(25))
def test_pareto_sweep_matches_the_definition_with_ties_and_gaps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    # Few distinct values: many equal x, equal y and equal points.
    x = rng.integers(0, 6, n).astype(float)
    y = rng.integers(0, 6, n).astype(float)
    x[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame({"run_id": [f"r{i}" for i in range(n)], "x": x, "y": y})
    frame["metrics.acc"], frame["metrics.loss"] = frame["x"], frame["y"]
    assert pareto_front(frame, "acc", "loss", {}) == _pareto_by_definition(frame, 1.0, -1.0)
    assert pareto_front(frame, "acc", "loss", {"loss": "max"}) == _pareto_by_definition(frame, 1.0, 1.0)


def test_pareto_on_no_runs() -> None:
    assert pareto_front(RUNS.iloc[:0], "acc", "loss", {}) == set()


def _ablations_by_definition(frame: pd.DataFrame, columns: list[str], metric: str) -> dict[tuple, tuple]:
    """Every pair of runs, the O(n²) way (the definition the grouped version must match)."""

    def same(a: object, b: object) -> bool:
        missing_a, missing_b = pd.isna(a), pd.isna(b)  # type: ignore[call-overload]
        return bool(missing_a and missing_b) or (not missing_a and not missing_b and a == b)

    found: dict[tuple, list[float]] = {}
    counts: dict[tuple, int] = {}
    rows = frame.to_dict("records")
    for ra, rb in itertools.combinations(rows, 2):
        differ = [c for c in columns if not same(ra[c], rb[c])]
        if len(differ) != 1 or pd.isna(ra[differ[0]]) or pd.isna(rb[differ[0]]):
            continue
        c = differ[0]
        if ra[c] > rb[c]:
            ra, rb = rb, ra
        key = (c.split(".", 1)[1], ra[c], rb[c])
        counts[key] = counts.get(key, 0) + 1
        delta = rb[metric] - ra[metric]
        found.setdefault(key, [])
        if not math.isnan(delta):
            found[key].append(delta)
    return {k: (counts[k], float(np.mean(v)) if v else math.nan) for k, v in found.items()}


@pytest.mark.parametrize("seed", range(15))
def test_grouped_ablations_match_every_pair(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 30
    frame = pd.DataFrame(
        {
            "params.a": rng.integers(0, 3, n).astype(float),
            "params.b": rng.choice([8.0, 16.0, np.nan], n),
            "params.c": rng.integers(0, 2, n).astype(float),
            "metrics.acc": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        }
    )
    frame.insert(0, "run_id", [f"r{i}" for i in range(n)])
    columns = ["params.a", "params.b", "params.c"]
    fast = {
        (e.param, e.before, e.after): (e.pairs, e.deltas["acc"])
        for e in ablation_pairs(frame, columns, ["acc"])
    }
    slow = _ablations_by_definition(frame, columns, "metrics.acc")
    assert set(fast) == set(slow)
    for key, (pairs, mean) in slow.items():
        assert fast[key][0] == pairs
        assert fast[key][1] == pytest.approx(mean, nan_ok=True)


def test_ablation_with_a_frame_column_and_a_level_cap() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "step": [500, 1000, 500, 1000],
            "params.seed": [1, 1, 2, 2],
            "metrics.acc": [0.5, 0.7, 0.6, 0.9],
        }
    )
    effects = {(e.param, e.before, e.after): e for e in ablation_pairs(frame, ["step", "seed"], ["acc"])}
    # step 500 → 1000 at seed 1: +0.2, at seed 2: +0.3; seed 1 → 2 at step 500: +0.1, at 1000: +0.2.
    assert effects[("step", 500, 1000)].pairs == 2
    assert effects[("step", 500, 1000)].deltas["acc"] == pytest.approx(0.25)
    assert effects[("seed", 1, 2)].deltas["acc"] == pytest.approx(0.15)
    capped = ablation_pairs(frame, ["step", "seed"], ["acc"], max_levels=1)
    assert capped == []  # both have two values: neither may be reported as the change


def test_group_stats_by_an_identity_column() -> None:
    frame = pd.DataFrame({"experiment": ["x", "x", "y"], "metrics.acc": [0.5, 0.7, 0.9]})
    stats = group_stats(frame, "experiment", "acc")
    assert list(stats.index) == ["x", "y"]
    assert stats.loc["x", "mean"] == pytest.approx(0.6) and stats.loc["y", "count"] == 1


def test_spearman_with_the_step_column() -> None:
    frame = pd.DataFrame({"step": [1, 2, 3, 4, 5], "metrics.acc": [0.1, 0.3, 0.2, 0.4, 0.5]})
    corr, counts = spearman(frame, ["step"], ["acc"])
    # ranks 1..5 vs 1,3,2,4,5: d² = 0+1+1+0+0 = 2 -> 1 - 6·2/(5·24) = 0.9
    assert corr.loc["step", "acc"] == pytest.approx(0.9) and counts.loc["step", "acc"] == 5


FLAGS = pd.DataFrame(
    {
        "run_id": ["a", "b", "c", "d", "e"],
        "params.flag": [True, 1, 1.0, False, 0],  # a yes/no param and a number: five runs, four values
        "metrics.acc": [0.5, 0.7, 0.9, 0.2, 0.4],
    }
)


def test_group_stats_keep_booleans_apart_from_numbers() -> None:
    stats = group_stats(FLAGS, "flag", "acc")
    assert list(stats.index) == ["0", "1", "false", "true"]  # 1 and 1.0 are one group; True is not 1
    assert stats["count"].tolist() == [1, 2, 1, 1]
    assert stats["mean"].tolist() == pytest.approx([0.4, 0.8, 0.2, 0.5])


def test_ablation_codes_keep_booleans_apart_from_numbers() -> None:
    found = [
        (repr(e.before), repr(e.after), e.pairs, round(e.deltas["acc"], 9))
        for e in ablation_pairs(FLAGS, ["flag"], ["acc"])
    ]
    # after − before, averaged over the pairs: 0 → 1 is (0.7 − 0.4 + 0.9 − 0.4) / 2, and so on.
    assert found == [
        ("0", "1", 2, 0.4),
        ("0", "False", 1, -0.2),
        ("0", "True", 1, 0.1),
        ("1", "False", 2, -0.6),
        ("1", "True", 2, -0.3),
        ("False", "True", 1, 0.3),
    ]


def test_pareto_reads_metric_values_as_numbers_only() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "e"],
            "metrics.acc": pd.Series(["0.9", 0.5, True, None, 0.4], dtype=object),
            "metrics.loss": [0.1, 1.0, 0.1, 0.1, math.inf],
        }
    )
    assert metric_values(frame, "acc").tolist() == pytest.approx([NAN, 0.5, NAN, NAN, 0.4], nan_ok=True)
    # Only b has both as numbers ("0.9" is text, True a yes/no, e's loss infinite): b alone is the front.
    assert pareto_front(frame, "acc", "loss", {}) == {"b"}
