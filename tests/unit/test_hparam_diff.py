"""Hyperparameter diff: what differs, what is shared, display texts, the two-run sentence; and data/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard.analysis.hparam_diff import (
    MAX_DISPLAY,
    DiffRow,
    describe_pair,
    diff_params,
    full_text,
    shorten,
)
from dashboard.ingest.base import Run, flatten
from dashboard.rows import build_frame, run_row
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]
TTT = "dailytalk_ttt_l29-31_blr1e-2/checkpoints/checkpoint_002000/consolidated"
TTT_BLR1 = "dailytalk_ttt_l29-31_blr1/checkpoints/checkpoint_001000/consolidated"
LORA = "dailytalk_lora_r64/checkpoints/checkpoint_002000/consolidated"
BASE = "moshi-finetune/baseline_paper_metrics_results"

PATH_A = "/data/lab/daily-talk-contiguous/train/dailytalk_train_2024_v1.jsonl"
PATH_B = "/data/lab/daily-talk-contiguous/train/dailytalk_train_2025_v2.jsonl"


def _frame(params: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """A frame as the store builds it (lists become JSON text, int columns with gaps become floats)."""
    rows = [
        run_row(
            run_id,
            Run(key="", name=run_id, source="test", path="/x/" + run_id, params=flatten(p)),
            "completed",
            {},
        )
        for run_id, p in params.items()
    ]
    return build_frame(rows)


FIXTURE = {
    "r1": {
        "optim": {"lr": 0.01, "weight_decay": 0.1},
        "max_steps": 1000,
        "batch_size": 2,
        "full_finetuning": False,
        "ttt": {"enable": True, "layers": [29, 30, 31], "base_lr": 0.01},
        "lora": {"rank": 64},
        "data": {"train_data": PATH_A},
        "seed": 42,
    },
    "r2": {
        "optim": {"lr": 0.01, "weight_decay": 0.1},
        "max_steps": 2000,
        "batch_size": 2,
        "full_finetuning": False,
        "ttt": {"enable": True, "layers": [29, 30, 31], "base_lr": 1.0},
        "data": {"train_data": PATH_A},
        "seed": 42,
    },
    "r3": {
        "optim": {"lr": 0.01, "weight_decay": 0.1},
        "max_steps": 1000,
        "batch_size": 2,
        "full_finetuning": True,
        "ttt": {"enable": True, "layers": [31], "base_lr": 0.01},
        "lora": {"rank": 64},
        "data": {"train_data": PATH_B},
        "seed": 42,
    },
    "empty": {},
}


def _rows(diff: Any) -> dict[str, DiffRow]:
    return {row.key: row for row in diff.differ}


def test_three_runs_known_differences() -> None:
    diff = diff_params(_frame(FIXTURE), ["r1", "r2", "r3"])
    rows = _rows(diff)
    assert list(rows) == [
        "data.train_data",
        "full_finetuning",
        "lora.rank",
        "max_steps",
        "ttt.base_lr",
        "ttt.layers",
    ]
    assert [key for key, _ in diff.same] == [
        "batch_size",
        "optim.lr",
        "optim.weight_decay",
        "seed",
        "ttt.enable",
    ]
    assert str(diff.counts) == "6 differ / 5 same"
    assert diff.present == [11, 10, 11]
    # the nested key, numbers written exactly (2000.0 from a float column reads 2000)
    assert rows["ttt.base_lr"].display == ["0.01", "1", "0.01"]
    assert rows["max_steps"].values == [1000, 2000, 1000]
    assert rows["max_steps"].display == ["1000", "2000", "1000"]
    # a param missing in one run differs, shown as —
    assert rows["lora.rank"].display == ["64", "—", "64"]
    assert rows["lora.rank"].values == [64, None, 64]
    assert rows["lora.rank"].partial is True
    assert rows["max_steps"].partial is False
    # the list, as the store keeps it (JSON text)
    assert rows["ttt.layers"].display == ["[29,30,31]", "[29,30,31]", "[31]"]
    assert rows["full_finetuning"].display == ["false", "false", "true"]
    # the long path keeps its tail; the full value stays for hover
    assert rows["data.train_data"].display == [
        "…/dailytalk_train_2024_v1.jsonl",
        "…/dailytalk_train_2024_v1.jsonl",
        "…/dailytalk_train_2025_v2.jsonl",
    ]
    assert rows["data.train_data"].full == [PATH_A, PATH_A, PATH_B]


def test_same_values_keep_their_value() -> None:
    same = dict(diff_params(_frame(FIXTURE), ["r1", "r2", "r3"]).same)
    assert same["batch_size"] == 2
    assert same["ttt.enable"] is True
    assert same["optim.weight_decay"] == 0.1


def test_pair_sentence_lists_few_differences() -> None:
    diff = diff_params(_frame(FIXTURE), ["r1", "r2"])
    assert str(diff.counts) == "3 differ / 8 same"
    # values both runs have first, then missing vs present
    assert (
        describe_pair(diff)
        == "differs only in max_steps (1000 → 2000), ttt.base_lr (0.01 → 1) and lora.rank (64 → —)"
    )
    two = {
        "r1": {"ttt": {"base_lr": 0.01}, "max_steps": 1000, "seed": 1},
        "r2": {"ttt": {"base_lr": 1.0}, "max_steps": 2000, "seed": 1},
    }
    assert describe_pair(diff_params(_frame(two), ["r1", "r2"])) == (
        "differs only in max_steps (1000 → 2000) and ttt.base_lr (0.01 → 1)"
    )
    one = {"r1": {"lr": 0.1}, "r2": {"lr": 0.2}}
    assert describe_pair(diff_params(_frame(one), ["r1", "r2"])) == "differs only in lr (0.1 → 0.2)"


def test_pair_sentence_counts_many_differences() -> None:
    many = {
        "r1": {f"p{i}": i for i in range(9)} | {"wandb": {"run_name": "a"}, "run_dir": "/a"},
        "r2": {f"p{i}": i + 1 for i in range(9)} | {"wandb": {"run_name": "b"}, "run_dir": "/b"},
    }
    diff = diff_params(_frame(many), ["r1", "r2"])
    assert str(diff.counts) == "11 differ / 0 same"
    # run names and output folders are mentioned last
    assert describe_pair(diff) == "differs in 11 params, including p0, p1, p2"


def test_pair_sentence_edge_cases() -> None:
    frame = _frame(FIXTURE)
    same = {"r1": {"a": 1, "b": "x"}, "r2": {"a": 1.0, "b": "x"}}
    assert describe_pair(diff_params(_frame(same), ["r1", "r2"])) == "same params (2)"
    assert describe_pair(diff_params(frame, ["r1", "empty"]), names=["TTT", "baseline"]) == (
        "baseline records no params (TTT has 11)"
    )
    with pytest.raises(ValueError):
        describe_pair(diff_params(frame, ["r1", "r2", "r3"]))


def test_kinds_compare_strictly() -> None:
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b"],
            "params.flag": pd.Series([True, 1], dtype=object),
            "params.text": ["1000", "1000"],
            "params.count": pd.Series(["1000", 1000], dtype=object),
            "params.layers": pd.Series([[29, 30, 31], [29, 30, 31]], dtype=object),
            "params.tags": pd.Series([["x", "y"], None], dtype=object),
            "params.nowhere": [float("nan"), float("nan")],
            "params.blank": ["", "x"],
        }
    )
    diff = diff_params(frame, ["a", "b"])
    rows = _rows(diff)
    assert set(rows) == {"flag", "count", "tags", "blank"}
    assert rows["flag"].display == ["true", "1"]
    assert rows["tags"].display == ['["x", "y"]', "—"]
    assert rows["blank"].display == ['""', "x"]
    assert dict(diff.same) == {
        "text": "1000",
        "layers": [29, 30, 31],
    }  # params.nowhere: in no run, not counted


def test_unknown_run_is_an_error() -> None:
    with pytest.raises(KeyError):
        diff_params(_frame(FIXTURE), ["r1", "nope"])


def test_shorten_and_full_text() -> None:
    assert shorten("short") == "short"
    long_list = full_text(list(range(20)))
    assert long_list.startswith("[0, 1, 2")
    assert shorten(long_list) == long_list[: MAX_DISPLAY - 1] + "…"
    assert len(shorten(long_list)) == MAX_DISPLAY
    assert shorten("/a/" + "x" * 60) == "…" + "x" * (MAX_DISPLAY - 1)
    assert (
        shorten("C:\\runs\\experiments\\2025\\dailytalk\\checkpoint_002000")
        == "…\\dailytalk\\checkpoint_002000"
    )
    assert full_text(5e-05) == "5e-05"
    assert full_text(2000.0) == "2000"
    assert full_text(None) == "—"
    assert full_text({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


# ---------------------------------------------------------------- the bundled data/


@pytest.fixture(scope="module")
def real_frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("cache")
    return Store([str(PROJECT / "data")], cache_dir=str(cache)).rescan().runs


def test_real_ttt_vs_lora(real_frame: pd.DataFrame) -> None:
    diff = diff_params(real_frame, [TTT, LORA])
    assert str(diff.counts) == "6 differ / 72 same"
    rows = _rows(diff)
    assert rows["optim.lr"].display == ["5e-05", "2e-05"]
    assert rows["ttt.enable"].display == ["true", "false"]
    assert rows["run_dir"].display == ["…/dailytalk_ttt_l29-31_blr1e-2", "…/lab/runs/dailytalk_lora_r64"]
    assert describe_pair(diff) == "differs in 6 params, including lora.enable, optim.lr, ttt.enable"


def test_real_base_lr_sweep(real_frame: pd.DataFrame) -> None:
    diff = diff_params(real_frame, [TTT, TTT_BLR1])
    assert describe_pair(diff) == "differs in 5 params, including batch_size, ttt.base_lr, ttt.ttt_mlp_layers"
    assert _rows(diff)["ttt.base_lr"].display == ["0.01", "1"]


def test_real_baseline_has_no_params(real_frame: pd.DataFrame) -> None:
    diff = diff_params(real_frame, [TTT, LORA, BASE])
    assert str(diff.counts) == "78 differ / 0 same"
    assert diff.present == [78, 78, 0]
    assert describe_pair(diff_params(real_frame, [TTT, BASE]), names=["ttt", "baseline"]) == (
        "baseline records no params (ttt has 78)"
    )
