"""Curve analysis: EMA values, spike rule, display downsampling, the training summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dashboard.analysis import curves
from dashboard.analysis.curves import (
    downsample,
    ema,
    ema_spans,
    focus_range,
    is_eval_loss,
    is_train_loss,
    max_steps_of,
    pick_eval_loss,
    pick_train_loss,
    spikes,
    training_summary,
)
from dashboard.ingest.base import Series


def _series(name: str, x: list[float], y: list[float], **kwargs: object) -> Series:
    return Series(name=name, x=np.array(x, dtype=float), y=np.array(y, dtype=float), **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- EMA


def test_ema_is_the_bias_corrected_average_by_hand() -> None:
    # span 3 -> alpha 0.5, weights 1, 0.5, 0.25 on the newest, previous, ... point.
    out = ema(np.array([1.0, 2.0, 3.0]), span=3)
    assert out[0] == pytest.approx(1.0)
    assert out[1] == pytest.approx((2 + 0.5 * 1) / 1.5)  # 5/3
    assert out[2] == pytest.approx((3 + 0.5 * 2 + 0.25 * 1) / 1.75)  # 2.428571...


def test_ema_of_a_constant_is_the_constant_and_span_one_is_the_curve() -> None:
    assert np.allclose(ema(np.full(7, 4.5), span=50), 4.5)
    y = np.array([3.0, 1.0, 2.0])
    assert np.allclose(ema(y, span=1), y)
    with pytest.raises(ValueError):
        ema(y, span=0)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (10_000, (10, 50, 200)),
        (400, (10, 50, 100)),  # the long span clamped to a quarter of the curve
        (80, (10, 20)),  # 50 and 200 both clamp to 20: drawn once
        (60, (10, 15)),
        (49, ()),  # too short to smooth
        (0, ()),
    ],
)
def test_ema_spans_are_clamped_and_deduplicated(n: int, expected: tuple[int, ...]) -> None:
    assert ema_spans(n) == expected


# ---------------------------------------------------------------- spikes


def test_a_jump_over_a_flat_history_is_a_spike_and_the_first_points_are_not_judged() -> None:
    y = np.array([1.0] * 12 + [2.0] + [1.0] * 3)
    mask = spikes(y, long_span=20)
    assert np.flatnonzero(mask).tolist() == [12]
    # Fewer earlier points than SPIKE_MIN_POINTS: never a spike, however large.
    early = np.array([1.0] * 5 + [100.0])
    assert not spikes(early, long_span=20).any()


def test_spike_threshold_is_k_rolling_standard_deviations_above_the_previous_ema() -> None:
    base = np.array([0.0, 2.0] * 5)  # 10 points: mean 1, sample std sqrt(10/9)
    sd = math.sqrt(10 / 9)
    assert np.std(base, ddof=1) == pytest.approx(sd)
    before = ema(base, span=10)[-1]  # the long EMA as it stood before the judged point
    k = curves.SPIKE_K
    above = np.append(base, before + (k + 0.05) * sd)
    below = np.append(base, before + (k - 0.05) * sd)
    assert spikes(above, long_span=10)[-1]
    assert not spikes(below, long_span=10)[-1]
    # A drop is never a spike: only losses that jump up are flagged.
    assert not spikes(np.append(base, before - 10 * sd), long_span=10)[-1]


def test_spikes_in_a_noisy_falling_curve_are_the_planted_ones() -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(3000)
    y = 2.0 + 3.0 * np.exp(-steps / 300) + rng.normal(0, 0.02, steps.shape[0])
    planted = [800, 1500, 2600]
    y[planted] += 0.5
    mask = spikes(y, long_span=200)
    assert np.flatnonzero(mask).tolist() == planted


# ---------------------------------------------------------------- downsampling


def test_downsample_keeps_global_extremes_within_the_budget_and_drops_nans() -> None:
    rng = np.random.default_rng(1)
    n = 100_000
    x = np.arange(n, dtype=float)
    y = np.cumsum(rng.normal(size=n))
    y[rng.choice(n, 500, replace=False)] = np.nan
    y[12_345] = 1e6  # a single huge spike
    y[77_777] = -1e6
    dx, dy = downsample(x, y, 2000)
    assert dx.shape[0] <= 2000
    assert dy.max() == 1e6 and dy.min() == -1e6
    assert np.isfinite(dy).all()
    assert np.all(np.diff(dx) > 0)
    assert dx[0] == 0 and dx[-1] == n - 1  # the curve keeps its ends


def test_downsample_returns_short_curves_whole_and_refuses_tiny_budgets() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([1.0, np.nan, 3.0, np.inf])
    dx, dy = downsample(x, y, 2000)
    assert dx.tolist() == [1.0, 3.0] and dy.tolist() == [1.0, 3.0]
    with pytest.raises(ValueError):
        downsample(x, y, 4)


def test_downsample_sorts_an_unsorted_curve_first() -> None:
    x = np.arange(5000, dtype=float)[::-1].copy()
    y = np.sin(x / 50)
    dx, _ = downsample(x, y, 500)
    assert dx.shape[0] <= 500 and np.all(np.diff(dx) > 0)


# ---------------------------------------------------------------- y focus


def test_focus_range_drops_the_initial_drop_but_keeps_the_rest_and_the_overlay() -> None:
    y = np.concatenate([[11.0, 9.0, 7.0, 5.0], np.linspace(4.0, 3.0, 96)])
    # The first 10 of 100 points may leave the axis: the top is y[10], padded by 5% of the spread.
    top = y[10]
    pad = 0.05 * (top - 3.0)
    assert focus_range(y) == pytest.approx((3.0 - pad, top + pad))
    # An overlaid curve's tail stays in view (its own first 10% may leave too).
    keep = np.linspace(4.6, 4.2, 30)
    pad = 0.05 * (keep[3] - 3.0)
    assert focus_range(y, keep=keep) == pytest.approx((3.0 - pad, keep[3] + pad))
    assert focus_range(np.linspace(4.0, 3.0, 100)) is None  # nothing to hide
    assert focus_range(np.array([10.0, 1.0])) is None  # too short to judge


# ---------------------------------------------------------------- training summary


@pytest.mark.parametrize(
    "name", ["loss", "train_loss", "train/loss", "Train.Loss", "training_loss", "loss_step"]
)
def test_train_loss_names(name: str) -> None:
    assert is_train_loss(name)


@pytest.mark.parametrize("name", ["eval_loss", "val_loss", "eval/loss", "validation_loss", "eval_g0_loss"])
def test_eval_loss_names(name: str) -> None:
    assert is_eval_loss(name)
    assert not is_train_loss(name)


def test_not_loss_names() -> None:
    for name in ("librilight_loss", "train_gen_loss", "loss_scale_factor", "lossy"):
        assert not is_train_loss(name), name


def test_pick_train_loss_prefers_the_logged_curve_over_a_final_value() -> None:
    series = {
        "train_loss": _series("train_loss", [100], [1.5]),
        "loss": _series("loss", [10, 20, 30], [2.0, 1.8, 1.7]),
        "librilight_loss": _series("librilight_loss", [1, 2, 3, 4], [5, 5, 5, 5], x_kind="position"),
    }
    assert pick_train_loss(series).name == "loss"  # type: ignore[union-attr]
    assert pick_train_loss({"l": series["librilight_loss"]}) is None


def test_pick_eval_loss_prefers_the_plain_name() -> None:
    series = {n: _series(n, [1, 2], [1.0, 0.5]) for n in ("eval_g0_loss", "eval_loss", "eval_g1_loss")}
    assert pick_eval_loss(series).name == "eval_loss"  # type: ignore[union-attr]


def test_max_steps_from_params() -> None:
    assert max_steps_of({"max_steps": 2000}) == 2000
    assert max_steps_of({"max_steps": "500"}) == 500  # MLflow params are strings
    assert max_steps_of({"max_steps": -1, "trainer.max_steps": 300}) == 300  # -1 is HF's "not set"
    assert max_steps_of({"max_steps": None}) is None
    assert max_steps_of({"max_steps": True}) is None
    assert max_steps_of({}) is None


def _hf_like_series() -> dict[str, Series]:
    steps = [10.0 * i for i in range(1, 11)]
    return {
        "loss": _series("loss", steps, [2.0 - s / 100 for s in steps]),
        "eval_loss": _series("eval_loss", [50, 100], [1.6, 1.1]),
        "learning_rate": _series("learning_rate", steps, [1e-4] * 10),
    }


def test_training_summary_of_a_fixture_run() -> None:
    summary = training_summary(_hf_like_series(), {"max_steps": 200}, {}, step=100)
    assert summary is not None
    assert summary.loss_series == "loss"
    assert summary.step == 100 and summary.max_steps == 200 and summary.progress == 0.5
    assert summary.best is not None
    assert (summary.best.series, summary.best.value, summary.best.step) == ("eval_loss", 1.1, 100.0)
    assert summary.latest_raw == pytest.approx(1.0)
    assert summary.latest_smooth is None  # 10 points: not smoothed
    assert summary.elapsed_seconds is None and summary.tokens is None


def test_training_summary_without_eval_uses_the_lowest_train_loss_and_its_first_step() -> None:
    series = {"train/loss": _series("train/loss", [1, 2, 3, 4], [3.0, 1.0, 2.0, 1.0])}
    summary = training_summary(series, {}, {}, step=None)
    assert summary is not None and summary.best is not None
    assert (summary.best.series, summary.best.value, summary.best.step) == ("train/loss", 1.0, 2.0)
    assert summary.step == 4.0  # no step recorded: the last logged one
    assert summary.max_steps is None and summary.progress is None


def test_training_summary_elapsed_and_tokens() -> None:
    series = _hf_like_series()
    series["loss"].time = np.array([1000.0 + 60 * i for i in range(10)])
    series["num_input_tokens_seen"] = _series("num_input_tokens_seen", [10, 100], [1e6, 2.5e6])
    summary = training_summary(series, {}, {"train_runtime": 999.0}, step=100)
    assert summary is not None
    assert summary.elapsed_seconds == 540.0 and summary.elapsed_source == "logged timestamps"
    assert summary.tokens == 2.5e6 and summary.tokens_source == "num_input_tokens_seen"
    # No timestamps: the Trainer's train_runtime; zero tokens is "not counted".
    plain = training_summary(
        _hf_like_series(), {}, {"train_runtime": 756.6, "num_input_tokens_seen": 0.0}, 100
    )
    assert plain is not None
    assert (plain.elapsed_seconds, plain.elapsed_source) == (756.6, "train_runtime")
    assert plain.tokens is None


def test_no_training_summary_without_a_loss_curve() -> None:
    series = {"librilight_loss": _series("librilight_loss", [1, 2], [5, 6], x_kind="position")}
    assert training_summary(series, {}, {}, step=2000) is None
    assert training_summary({}, {}, {}, step=None) is None


def test_latest_loss_is_the_short_ema_on_long_curves() -> None:
    y = np.linspace(3.0, 2.0, 500)
    series = {"loss": Series("loss", np.arange(500, dtype=float), y)}
    summary = training_summary(series, {}, {}, step=499)
    assert summary is not None and summary.smooth_span == 10
    assert summary.latest_smooth == pytest.approx(ema(y, 10)[-1])
