"""Trend lines and trajectories on hand-made frames: exact slopes, log-x, missing values left out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.trends import (
    OTHER,
    colour_labels,
    fit_line,
    line_points,
    series_line,
    series_runs,
    spans_decades,
    trajectories,
    trend_points,
)

NAN = math.nan


def test_fit_line_exact_on_a_straight_line() -> None:
    fit = fit_line([1, 2, 3, 4], [3, 5, 7, 9])
    assert fit is not None
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(1.0)
    assert fit.n == 4 and fit.r2 == pytest.approx(1.0) and not fit.log_x


def test_fit_line_least_squares_by_hand() -> None:
    # mean x = 1, mean y = 1; Sxy = 1, Sxx = 2 -> slope 0.5, intercept 0.5; residuals -0.5, 1, -0.5 -> R² = 1 - 1.5/2.
    fit = fit_line([0, 1, 2, NAN], [0, 2, 1, 5])
    assert fit is not None
    assert (fit.slope, fit.intercept, fit.n) == (pytest.approx(0.5), pytest.approx(0.5), 3)
    assert fit.r2 == pytest.approx(0.25)


def test_fit_line_on_log_x_is_per_decade() -> None:
    fit = fit_line([0.001, 0.01, 0.1], [1.0, 2.0, 3.0], log_x=True)
    assert fit is not None
    assert fit.slope == pytest.approx(1.0) and fit.intercept == pytest.approx(4.0) and fit.log_x
    xs, ys = line_points(fit, 0.001, 0.1)
    assert xs == [0.001, 0.1] and ys == [pytest.approx(1.0), pytest.approx(3.0)]


def test_fit_line_needs_two_distinct_x() -> None:
    assert fit_line([2, 2, 2], [1, 2, 3]) is None
    assert fit_line([1], [1]) is None
    assert fit_line([-1, 0, 1], [1, 2, 3], log_x=True) is None  # only one positive x left


def test_spans_decades() -> None:
    assert spans_decades(np.array([1e-3, 1e-2, 1e-1]))
    assert spans_decades(pd.Series([1.0, 100.0]))
    assert not spans_decades(pd.Series([1.0, 99.0]))
    assert not spans_decades(pd.Series([0.0, 1.0, 1000.0]))  # zero: no log axis
    assert not spans_decades(pd.Series([NAN, 5.0]))


FRAME = pd.DataFrame(
    {
        "run_id": ["a", "b", "c", "d", "e"],
        "name": ["A", "B", "C", "D", "E"],
        "experiment": ["x", "x", "y", "y", None],
        "step": [1000, 500, 500, 2000, NAN],
        "params.lr": [0.1, 0.01, "auto", 0.001, 0.1],
        "params.kind": ["ttt", "lora", "ttt", None, "ttt"],
        "metrics.acc": [0.6, 0.5, 0.4, NAN, 0.9],
    }
)


def test_trend_points_against_a_param_skip_missing_and_text() -> None:
    points = trend_points(FRAME, "acc", "lr", "params.kind")
    # c has text lr, d no acc: left out; sorted by x then run id.
    assert points["run_id"].tolist() == ["b", "a", "e"]
    assert points["x"].tolist() == [0.01, 0.1, 0.1]
    assert points["colour"].tolist() == ["lora", "ttt", "ttt"]


def test_trend_points_against_step() -> None:
    points = trend_points(FRAME, "metrics.acc", "step")
    assert points["run_id"].tolist() == ["b", "c", "a"]
    assert points["colour"].tolist() == ["", "", ""]


def test_trajectories_one_line_per_experiment() -> None:
    lines, dropped = trajectories(FRAME, "acc")
    # x: b (500) then a (1000); y has one checkpoint with acc (d has none): no line; e has no experiment.
    assert list(lines) == ["x"] and dropped == 0
    assert lines["x"]["step"].tolist() == [500, 1000]
    assert lines["x"]["y"].tolist() == [0.5, 0.6]
    assert lines["x"]["run_id"].tolist() == ["b", "a"]


def test_colour_labels_keep_the_common_values() -> None:
    frame = pd.DataFrame({"params.seed": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, None]})
    labels = colour_labels(frame, "params.seed")
    # 11 runs, 10 values: the 7 most common kept (ties in natural order, "—" last), the rest "other".
    assert labels.tolist() == ["1", "1", "2", "3", "4", "5", "6", "7", OTHER, OTHER, OTHER]
    few = colour_labels(pd.DataFrame({"params.kind": ["a", None]}), "params.kind")
    assert few.tolist() == ["a", "—"]


def test_series_runs_pick_runs_alone_with_the_logged_metric() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["h1", "h2", "h3", "c1", "p1", "p2", "n1"],
            "name": ["H1", "H2", "H3", "C1", "P1", "P2", "N1"],
            "experiment": ["hf1", "hf2", "hf3", "ckpt", "pair", "pair", None],
            "_series": [
                {"eval_loss": 6},
                {"eval_loss": 30},
                {"eval_loss": 1},  # one point: no line
                {"eval_loss": 9},
                {"eval_loss": 90},  # two runs in one experiment: neither stands for it
                {"eval_loss": 80},
                {"eval_loss": 3},  # no experiment: labelled by its name
            ],
        }
    )
    assert series_runs(frame, "metrics.eval_loss", {"ckpt"}, limit=5) == [
        ("h2", "hf2"),
        ("h1", "hf1"),
        ("n1", "N1"),
    ]
    assert series_runs(frame, "eval_loss", set(), limit=1) == [("h2", "hf2")]


def test_series_line_keeps_finite_points() -> None:
    line = series_line(np.array([1.0, 2.0, 3.0]), np.array([0.5, NAN, 0.25]))
    assert line is not None
    assert line["step"].tolist() == [1.0, 3.0] and line["y"].tolist() == [0.5, 0.25]
    assert series_line(np.array([1.0]), np.array([1.0])) is None


def test_trajectories_keep_the_experiments_with_most_points() -> None:
    frame = pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(7)],
            "experiment": ["b", "b", "b", "a", "a", "c", "c"],
            "step": [1, 2, 3, 1, 2, 1, 2],
            "metrics.acc": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
        }
    )
    lines, dropped = trajectories(frame, "acc", limit=2)
    assert list(lines) == ["a", "b"] and dropped == 1  # b has 3 points; a beats c on the name tie
    assert lines["a"]["y"].tolist() == [0.4, 0.5]
