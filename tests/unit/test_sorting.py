"""Sorting the runs table: missing last both ways, mixed types without errors, stable, multi-sort."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.sorting import pin_baselines, sort_frame
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["r3", "r1", "r10", "r2", "r0", "base"],
            "baseline": [False, False, False, False, False, True],
            "name": ["ckpt 1000", "ckpt 500", "Ckpt 20", None, "ckpt 500", "baseline"],
            "metrics.acc": [0.5, np.nan, 0.7, 0.5, 0.6, 0.4],
            "step": pd.array([1000, 500, 20, None, 500, None], dtype="Int64"),
            "params.mixed": [2, "b", None, 10.5, "a", True],
            "params.flag": [True, None, False, True, False, None],
        }
    )


def order(sort_model: list[Any], data: pd.DataFrame | None = None) -> list[str]:
    return list(sort_frame(frame() if data is None else data, sort_model)["run_id"])


def test_numbers_ascending_and_descending_keep_missing_last() -> None:
    assert order([{"colId": "metrics.acc", "sort": "asc"}]) == ["base", "r3", "r2", "r0", "r10", "r1"]
    assert order([{"colId": "metrics.acc", "sort": "desc"}]) == ["r10", "r0", "r3", "r2", "base", "r1"]


def test_nullable_integers() -> None:
    assert order([{"colId": "step", "sort": "asc"}]) == ["r10", "r1", "r0", "r3", "r2", "base"]
    assert order([{"colId": "step", "sort": "desc"}]) == ["r3", "r1", "r0", "r10", "r2", "base"]


def test_mixed_types_numbers_before_text_then_missing() -> None:
    # True counts as the number 1; ties (none here) would keep the input order
    assert order([{"colId": "params.mixed", "sort": "asc"}]) == ["base", "r3", "r2", "r0", "r1", "r10"]
    assert order([{"colId": "params.mixed", "sort": "desc"}]) == ["r2", "r3", "base", "r1", "r0", "r10"]


def test_text_is_natural_and_case_insensitive() -> None:
    assert order([{"colId": "name", "sort": "asc"}]) == ["base", "r10", "r1", "r0", "r3", "r2"]
    assert order([{"colId": "name", "sort": "desc"}]) == ["r3", "r1", "r0", "r10", "base", "r2"]


def test_ties_are_stable_and_multi_sort_applies_in_order() -> None:
    # r3 and r2 tie on acc: their input order stays
    assert order([{"colId": "metrics.acc", "sort": "asc"}])[1:3] == ["r3", "r2"]
    model = [{"colId": "params.flag", "sort": "desc"}, {"colId": "run_id", "sort": "desc"}]
    assert order(model) == ["r3", "r2", "r10", "r0", "r1", "base"]
    model = [{"colId": "step", "sort": "asc"}, {"colId": "metrics.acc", "sort": "desc"}]
    assert order(model) == ["r10", "r0", "r1", "r3", "r2", "base"]


def test_unknown_columns_and_bad_entries_are_ignored() -> None:
    model = [
        {"colId": "params.vanished", "sort": "asc"},
        {"colId": "metrics.acc", "sort": "sideways"},
        "junk",
        {"sort": "asc"},
        {"colId": "metrics.acc", "sort": "desc"},
    ]
    assert order(model) == order([{"colId": "metrics.acc", "sort": "desc"}])


@pytest.mark.parametrize("model", [[], None, [{"colId": "nope", "sort": "asc"}]])
def test_default_order_is_baselines_then_run_id(model: list[dict] | None) -> None:
    assert list(sort_frame(frame(), model)["run_id"]) == ["base", "r0", "r1", "r2", "r3", "r10"]


def test_sorting_keeps_index_and_columns() -> None:
    data = frame()
    out = sort_frame(data, [{"colId": "metrics.acc", "sort": "asc"}])
    assert list(out.index) == [5, 0, 3, 4, 2, 1]
    assert list(out.columns) == list(data.columns)
    assert sort_frame(data.iloc[0:0], []).empty


def test_pin_baselines_splits_in_order() -> None:
    data = sort_frame(frame(), [{"colId": "metrics.acc", "sort": "desc"}])
    pinned, rest = pin_baselines(data)
    assert list(pinned["run_id"]) == ["base"]
    assert list(rest["run_id"]) == ["r10", "r0", "r3", "r2", "r1"]
    pinned, rest = pin_baselines(data.drop(columns=["baseline"]))
    assert pinned.empty and len(rest) == len(data)


def test_sample_data_sorted_by_a_metric(tmp_path: Path) -> None:
    runs = Store([PROJECT / "data"], cache_dir=tmp_path / "cache").rescan().runs
    column = "metrics.sblimp_accuracy"
    out = sort_frame(runs, [{"colId": column, "sort": "desc"}, {"colId": "run_id", "sort": "asc"}])
    values = out[column].tolist()
    present = [v for v in values if not np.isnan(v)]
    assert present == sorted(present, reverse=True)
    assert present[0] == runs[column].max()
    assert all(np.isnan(v) for v in values[len(present) :])  # the HF runs, last
    assert list(out["source"].iloc[len(present) :]) == ["hf_trainer"] * 4
    default = sort_frame(runs, [])
    assert default["baseline"].iloc[0]
    assert list(default["run_id"].iloc[1:3]) == [
        "dailytalk_fullft/checkpoints/checkpoint_000500/consolidated",
        "dailytalk_fullft/checkpoints/checkpoint_001000/consolidated",
    ]
