"""JSON-lines metrics reader: moshi-finetune run folders, generic metrics.jsonl, broken variants.

There is no real run folder of this format in realdata, only moshi-finetune's
example config; the fixtures below write rows exactly as moshi-finetune's
``MetricsLogger.log`` does (``json.dumps(metrics)`` + ``at`` = ``utcnow().isoformat()``).
"""

from __future__ import annotations

import builtins
import json
import math
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from dashboard.ingest.base import Claim, ReadResult
from dashboard.ingest.jsonl_metrics import READER, load_args
from dashboard.ingest.walk import Walker

MOSHI_YAML = "D-kyutai-labs-moshi-finetune-config-format/example/moshi_7B.yaml"
START = datetime(2025, 3, 4, 9, 30, 0)  # naive, as utcnow() gives
GB = 1024**3


def claims(root: Path) -> list[Claim]:
    return Walker(str(root)).walk([READER])


def read_tree(root: Path) -> ReadResult:
    out = ReadResult()
    for claim in claims(root):
        result = READER.read(claim)
        out.runs += result.runs
        out.problems += result.problems
    return out


def train_row(step: int, max_steps: int) -> dict[str, Any]:
    """``get_train_logs`` + what ``MetricsLogger.log`` adds, key order kept."""
    return {
        "lr": 2e-6 * min(1.0, step / 10),
        "step": step,
        "loss": round(4.0 - step * 0.01, 6),
        "prob_real_tokens": 0.4375,
        "percent_done": 100 * step / max_steps,
        "peak_allocated_mem": 61_203_890_176 / GB,
        "allocated_mem": 31_012_569_088 / GB,
        "wps": 1532.7 + step,
        "avg_wps": 1510.2,
        "eta_in_seconds": 3.2 * (max_steps - step),
        "at": (START + timedelta(seconds=3 * step)).isoformat(),
    }


def eval_row(step: int) -> dict[str, Any]:
    """``get_eval_logs`` with perplexity and every loss, + ``at``."""
    return {
        "step": step,
        "train_loss": round(4.0 - step * 0.01, 6),
        "perplexity": 40.0 - step / 10,
        "eval_loss": 3.7 - step / 1000,
        "text_eval_loss": 2.1 - step / 1000,
        "audio_eval_loss": 4.4 - step / 1000,
        "at": (START + timedelta(seconds=3 * step + 1)).isoformat(),
    }


def jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def train_args(max_steps: int, **changes: Any) -> dict[str, Any]:
    """``dataclasses.asdict(TrainArgs)`` as ``TrainArgs.save`` dumps it."""
    args = {
        "data": {
            "eval_data": "/data/dailytalk_eval.jsonl",
            "shuffle": True,
            "train_data": "/data/dailytalk.jsonl",
        },
        "run_dir": "/runs/dailytalk_lora",
        "moshi_paths": {
            "hf_repo_id": "kyutai/moshiko-pytorch-bf16",
            "mimi_path": None,
            "moshi_path": None,
            "tokenizer_path": None,
            "config_path": None,
        },
        "first_codebook_weight_multiplier": 100.0,
        "text_padding_weight": 0.5,
        "optim": {"lr": 2e-6, "weight_decay": 0.1, "pct_start": 0.05},
        "seed": 0,
        "num_microbatches": 1,
        "duration_sec": 100.0,
        "batch_size": 16,
        "max_norm": 1.0,
        "max_steps": max_steps,
        "log_freq": 10,
        "ckpt_freq": 25,
        "save_adapters": True,
        "do_ckpt": True,
        "num_ckpt_keep": 3,
        "eval_freq": 25,
        "do_eval": True,
        "gradient_checkpointing": True,
        "world_size": 8,
        "wandb": {"project": None, "offline": False, "key": None, "run_name": None},
        "lora": {"enable": True, "rank": 128, "scaling": 2.0, "ft_embed": False},
        "full_finetuning": False,
        "param_dtype": "bfloat16",
        "overwrite_run_dir": False,
    }
    args.update(changes)
    return args


def moshi_run(folder: Path, last_step: int = 50, max_steps: int = 50, evals: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "args.yaml").write_text(yaml.dump(train_args(max_steps)))
    steps = range(10, last_step + 1, 10)
    (folder / "metrics.train.jsonl").write_text(jsonl([train_row(s, max_steps) for s in steps]))
    if evals:
        eval_steps = [s for s in (25, 50) if s <= last_step]
        (folder / "metrics.eval.jsonl").write_text(jsonl([eval_row(s) for s in eval_steps]))
    (folder / "tb").mkdir(exist_ok=True)
    (folder / "tb" / "events.out.tfevents.1741080600.node1.train").write_bytes(b"\x00\x01")
    ckpt = folder / "checkpoints" / "checkpoint_000050" / "consolidated"
    ckpt.mkdir(parents=True, exist_ok=True)
    (ckpt / "config.json").write_text('{"dim": 4096}')
    return folder


# ---------------------------------------------------------------- a finished moshi-finetune run


@pytest.fixture
def finished(tmp_path: Path):
    folder = moshi_run(tmp_path / "dailytalk_lora")
    result = read_tree(tmp_path)
    assert result.problems == []
    (run,) = result.runs
    return folder, run


def test_claim_of_a_moshi_run_dir(tmp_path: Path) -> None:
    folder = moshi_run(tmp_path / "dailytalk_lora")
    (claim,) = claims(tmp_path)
    assert claim.reader == "jsonl_metrics"
    assert claim.folder == str(folder)
    assert claim.files == tuple(
        str(folder / n) for n in ("args.yaml", "metrics.eval.jsonl", "metrics.train.jsonl")
    )
    assert claim.prune == frozenset({"tb"})  # the same values again, as TensorBoard events


def test_walker_still_descends_into_checkpoints(tmp_path: Path) -> None:
    folder = moshi_run(tmp_path / "run")
    (folder / "tb" / "metrics.jsonl").write_text('{"step": 1, "x": 1}\n')
    (folder / "checkpoints" / "metrics.jsonl").write_text('{"step": 1, "x": 1}\n')
    assert [c.folder for c in claims(tmp_path)] == [str(folder), str(folder / "checkpoints")]


def test_finished_identity(finished) -> None:
    folder, run = finished
    assert (run.key, run.name, run.experiment) == ("", "dailytalk_lora", "dailytalk_lora")
    assert run.source == "jsonl_metrics"
    assert run.path == str(folder)
    assert run.status == "completed"  # percent_done reached 100
    assert run.step == 50
    assert run.files == [str(folder / n) for n in ("args.yaml", "metrics.eval.jsonl", "metrics.train.jsonl")]
    assert run.notes == []
    assert run.updated_at is None


def test_finished_series_and_metrics(finished) -> None:
    _, run = finished
    assert sorted(run.series) == sorted(
        [
            *("lr", "loss", "prob_real_tokens", "percent_done", "peak_allocated_mem", "allocated_mem"),
            *("wps", "avg_wps", "eta_in_seconds"),
            *("train_loss", "perplexity", "eval_loss", "text_eval_loss", "audio_eval_loss"),
        ]
    )
    loss = run.series["loss"]
    assert loss.x.tolist() == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert loss.y.tolist() == [3.9, 3.8, 3.7, 3.6, 3.5]
    assert loss.x_kind == "step"
    assert run.series["perplexity"].x.tolist() == [25.0, 50.0]
    assert run.metrics["loss"] == 3.5
    assert run.metrics["lr"] == 2e-6
    assert run.metrics["percent_done"] == 100.0
    assert run.metrics["eta_in_seconds"] == 0.0
    assert run.metrics["peak_allocated_mem"] == 61_203_890_176 / GB
    assert run.metrics["eval_loss"] == 3.7 - 50 / 1000
    assert run.metrics["perplexity"] == 35.0
    assert run.metrics["train_loss"] == 3.5


def test_finished_times_are_utc(finished) -> None:
    _, run = finished
    first = datetime(2025, 3, 4, 9, 30, 30, tzinfo=timezone.utc).timestamp()
    assert run.series["loss"].time is not None
    assert run.series["loss"].time.tolist() == [first + 30 * i for i in range(5)]
    assert run.series["eval_loss"].time.tolist() == [first + 46, first + 121]
    assert "at" not in run.series


def test_finished_params(finished) -> None:
    _, run = finished
    p = run.params
    assert p["optim.lr"] == 2e-6
    assert p["lora.rank"] == 128 and p["lora.enable"] is True
    assert p["max_steps"] == 50
    assert p["moshi_paths.mimi_path"] is None
    assert p["wandb.project"] is None
    assert p["data.train_data"] == "/data/dailytalk.jsonl"
    assert p["param_dtype"] == "bfloat16"


# ---------------------------------------------------------------- moshi_7B.yaml as args.yaml


def test_real_moshi_example_yaml_as_args(realdata: Path, tmp_path: Path) -> None:
    folder = tmp_path / "moshi_7B_run"
    folder.mkdir()
    shutil.copyfile(realdata / MOSHI_YAML, folder / "args.yaml")
    (folder / "metrics.train.jsonl").write_text(jsonl([train_row(s, 2000) for s in (1, 2, 3)]))
    (run,) = read_tree(tmp_path).runs
    assert run.params == {
        "data.eval_data": "",
        "data.shuffle": True,
        "data.train_data": "",
        "moshi_paths.hf_repo_id": "kyutai/moshiko-pytorch-bf16",
        "full_finetuning": False,
        "lora.enable": True,
        "lora.rank": 128,
        "lora.scaling": 2.0,
        "lora.ft_embed": False,
        "first_codebook_weight_multiplier": 100.0,
        "text_padding_weight": 0.5,
        "duration_sec": 100,
        "batch_size": 16,
        "max_steps": 2000,
        "gradient_checkpointing": True,
        "optim.lr": 2e-6,
        "optim.weight_decay": 0.1,
        "optim.pct_start": 0.05,
        "seed": 0,
        "log_freq": 1,
        "eval_freq": 100,
        "do_eval": False,
        "do_ckpt": True,
        "ckpt_freq": 100,
        "save_adapters": True,
        "run_dir": "",
    }
    assert isinstance(run.params["optim.lr"], float)  # YAML 1.1 alone would give the string "2e-6"
    assert run.status == "unknown"  # step 3 of 2000
    assert run.step == 3


def test_load_args_float_and_none_spellings(tmp_path: Path) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(
        "a: 2e-6\nb: 1E+3\nc: -3.5e-4\nd: '2e-6'\ne: None\nf: null\ng: .5\nh: 100.\n"
        "i: 1_000\nj: 2025-03-04\nk: [None, 1e-5]\nl: inf\nm: 1e\n"
    )
    assert load_args(str(path)) == {
        "a": 2e-6,
        "b": 1000.0,
        "c": -3.5e-4,
        "d": "2e-6",  # quoted: the author meant a string
        "e": None,
        "f": None,
        "g": 0.5,
        "h": 100.0,
        "i": 1000,
        "j": "2025-03-04",
        "k": [None, 1e-5],
        "l": "inf",
        "m": "1e",
    }


# ---------------------------------------------------------------- running, resumed, generic


def test_running_run_with_half_written_last_line(tmp_path: Path) -> None:
    folder = moshi_run(tmp_path / "run", last_step=30, max_steps=50)
    with open(folder / "metrics.train.jsonl", "a") as handle:
        handle.write(json.dumps(train_row(40, 50))[:37])
    result = read_tree(tmp_path)
    assert result.problems == []
    (run,) = result.runs
    assert run.status == "unknown"
    assert run.step == 30
    assert run.metrics["percent_done"] == 60.0
    assert run.notes == ["metrics.train.jsonl: incomplete last line ignored (still being written?)"]


def test_completed_by_max_steps_without_percent_done(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "args.yaml").write_text("max_steps: 300\noptim:\n  lr: 3e-4\n")
    (folder / "metrics.jsonl").write_text(jsonl([{"step": s, "loss": 1.0 / s} for s in (100, 200, 300)]))
    (run,) = read_tree(tmp_path).runs
    assert run.status == "completed"
    assert run.metrics == {"loss": 1.0 / 300}


def test_generic_rows_without_step_use_row_index(tmp_path: Path) -> None:
    folder = tmp_path / "probe"
    folder.mkdir()
    rows = [{"acc": 0.5, "name": "a", "flag": True}, {"acc": 0.75, "extra": 2}, {"acc": 0.625}]
    (folder / "metrics.jsonl").write_text(jsonl(rows))
    (run,) = read_tree(tmp_path).runs
    assert run.series["acc"].x.tolist() == [0.0, 1.0, 2.0]
    assert run.series["acc"].x_kind == "row"
    assert run.series["extra"].x.tolist() == [1.0]
    assert run.step is None
    assert run.status == "unknown"
    assert run.params == {}
    assert sorted(run.metrics) == ["acc", "extra"]  # strings and booleans are not series


def test_eval_keys_that_clash_with_train_keys_are_prefixed(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.train.jsonl").write_text(jsonl([{"step": 5, "loss": 2.0, "perplexity": 7.4}]))
    eval_rows = [{"step": 5, "loss": 1.5, "perplexity": 4.5, "eval_loss": 1.4, "acc": 0.3}]
    (folder / "metrics.eval.jsonl").write_text(jsonl(eval_rows))
    (run,) = read_tree(tmp_path).runs
    assert run.metrics == {
        "loss": 2.0,
        "perplexity": 7.4,
        "eval_perplexity": 4.5,
        "eval/loss": 1.5,  # eval_loss is the eval log's own key
        "eval_loss": 1.4,
        "acc": 0.3,  # no clash: keeps its name
    }
    assert run.notes == [
        "keys already used by the train log renamed: loss -> eval/loss, perplexity -> eval_perplexity"
    ]


def test_eval_key_already_prefixed_and_clashing(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.train.jsonl").write_text(jsonl([{"step": 5, "eval_loss": 9.0}]))
    (folder / "metrics.eval.jsonl").write_text(jsonl([{"step": 5, "eval_loss": 1.4}]))
    (run,) = read_tree(tmp_path).runs
    assert run.metrics == {"eval_loss": 9.0, "eval/eval_loss": 1.4}


def test_time_keys(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    rows = [
        {"step": 1, "loss": 1.0, "timestamp": 1741080600.5, "time": 0.25},
        {"step": 2, "loss": 0.9, "time": 1741080660000},
        {"step": 3, "loss": 0.8, "at": "2025-03-04T09:32:00Z"},
        {"step": 4, "loss": 0.7, "at": "not a date"},
    ]
    (folder / "metrics.jsonl").write_text(jsonl(rows))
    (run,) = read_tree(tmp_path).runs
    t = run.series["loss"].time
    assert t is not None
    assert t[:3].tolist() == [1741080600.5, 1741080660.0, 1741080720.0] and math.isnan(t[3])
    assert run.series["time"].x.tolist() == [1.0]  # a 0.25 s duration, not a clock
    assert "timestamp" not in run.series and "at" not in run.series


def test_resumed_run_rewrites_steps(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    rows = [{"step": s, "loss": 3.0 - s / 100} for s in (10, 20, 30)]
    rows += [{"step": s, "loss": 2.0 - s / 100} for s in (20, 30, 40)]
    (folder / "metrics.jsonl").write_text(jsonl(rows))
    (run,) = read_tree(tmp_path).runs
    assert run.series["loss"].x.tolist() == [10.0, 20.0, 30.0, 40.0]
    assert run.series["loss"].y.tolist() == [2.9, 1.8, 1.7, 1.6]
    assert run.notes == ["metrics.jsonl: 2 steps logged again (resumed?); last value kept"]


def test_rows_without_a_usable_step_in_a_stepped_log(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    text = '{"iter": 1, "loss": 2.0}\n{"iter": NaN, "loss": 1.0}\n{"loss": 0.5}\n{"iter": 3, "loss": 0.25}\n'
    (folder / "metrics.jsonl").write_text(text)
    (run,) = read_tree(tmp_path).runs
    assert run.series["loss"].x.tolist() == [1.0, 3.0]
    assert run.series["loss"].y.tolist() == [2.0, 0.25]
    assert sorted(run.series) == ["loss"]
    assert run.step == 3
    assert run.notes == ["metrics.jsonl: 2 rows without a step ignored"]


def test_nested_rows_are_flattened(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.jsonl").write_text(jsonl([{"step": 1, "train": {"loss": 1.5, "acc": {"top1": 0.2}}}]))
    (run,) = read_tree(tmp_path).runs
    assert run.metrics == {"train.loss": 1.5, "train.acc.top1": 0.2}


# ---------------------------------------------------------------- broken variants


def test_malformed_lines_are_one_problem_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    good = [json.dumps({"step": s, "loss": 1.0 / s}) for s in (1, 2, 3, 4)]
    lines = [good[0], "{not json", good[1], "[1, 2]", "", good[2], '{"step": 3,,}', good[3]]
    (folder / "metrics.train.jsonl").write_text("\n".join(lines) + "\n")
    result = read_tree(tmp_path)
    (problem,) = result.problems
    assert problem.path == str(folder / "metrics.train.jsonl")
    assert problem.reason == "3 malformed lines skipped (first at line 2)"
    (run,) = result.runs
    assert run.series["loss"].x.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_one_malformed_line_and_a_broken_last_line_with_newline(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.jsonl").write_text('{"step": 1, "loss": 1}\n{"step": 2\n{"step": 3, "loss": 0.5}\n')
    result = read_tree(tmp_path)
    assert [p.reason for p in result.problems] == ["1 malformed line skipped (line 2)"]
    assert result.runs[0].step == 3


def test_nan_and_infinity_values(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    text = (
        '{"step": 1, "loss": 2.0}\n{"step": 2, "loss": NaN}\n{"step": 3, "loss": Infinity, "lr": -Infinity}\n'
    )
    (folder / "metrics.jsonl").write_text(text)
    result = read_tree(tmp_path)
    assert result.problems == []
    (run,) = result.runs
    y = run.series["loss"].y
    assert y[0] == 2.0 and np.isnan(y[1:]).all()
    assert run.metrics == {"loss": 2.0}  # lr has no finite value: missing
    assert "lr" in run.series


def test_args_problems_do_not_hide_the_metrics(tmp_path: Path) -> None:
    for name, text in [("a", "max_steps: [1, 2\n"), ("b", "- a list\n- of things\n"), ("c", "\x00\x00bin")]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "args.yaml").write_text(text)
        (folder / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    result = read_tree(tmp_path)
    assert [r.metrics for r in result.runs] == [{"loss": 1.0}] * 3
    assert [r.params for r in result.runs] == [{}] * 3
    assert [p.reason for p in result.problems] == [
        "malformed YAML at line 2",
        "expected a YAML mapping of arguments, found list",
        "binary file, not text",
    ]


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    (folder / "args.yaml").write_text("\n".join(bomb) + "\n")
    (folder / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    result = read_tree(tmp_path)
    assert [p.reason for p in result.problems] == ["args file too large or too deeply nested to read"]
    assert result.runs[0].metrics == {"loss": 1.0}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\x01\x02binary\n", "binary file, not text"),
        (b"[1]\n[2]\n", "2 malformed lines skipped (first at line 1)"),
    ],
)
def test_unusable_log_without_args_is_no_run(tmp_path: Path, content: bytes, reason: str) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "metrics.jsonl").write_bytes(content)
    result = read_tree(tmp_path)
    assert result.runs == []
    assert [(p.path, p.reason) for p in result.problems] == [(str(folder / "metrics.jsonl"), reason)]


def test_empty_logs(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "metrics.jsonl").write_text("")
    started = tmp_path / "started"
    started.mkdir()
    (started / "args.yaml").write_text(yaml.dump(train_args(100)))
    (started / "metrics.train.jsonl").write_text("\n")
    result = read_tree(tmp_path)
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(lonely / "metrics.jsonl"), "no metric rows yet")
    ]
    (run,) = result.runs
    assert run.name == "started" and run.series == {} and run.metrics == {}
    assert run.params["max_steps"] == 100
    assert run.status == "unknown" and run.step is None
    assert run.notes == ["metrics.train.jsonl is empty"]


def test_empty_eval_log_beside_a_train_log(tmp_path: Path) -> None:
    folder = moshi_run(tmp_path / "run", evals=False)
    (folder / "metrics.eval.jsonl").write_text("")
    result = read_tree(tmp_path)
    assert result.problems == []
    assert result.runs[0].notes == ["metrics.eval.jsonl is empty"]


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = moshi_run(tmp_path / "run")
    locked = str(folder / "metrics.eval.jsonl")
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == locked:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    result = read_tree(tmp_path)
    assert [(p.path, p.reason) for p in result.problems] == [(locked, "permission denied")]
    (run,) = result.runs
    assert "eval_loss" not in run.metrics and run.metrics["loss"] == 3.5
    assert locked not in run.files


def test_config_yaml_is_the_fallback_for_args(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.yaml").write_text("lr: 1e-3\n")
    (tmp_path / "a" / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.yaml").write_text("lr: 1e-3\n")
    (tmp_path / "b" / "args.yaml").write_text("lr: 5e-5\n")
    (tmp_path / "b" / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    a, b = read_tree(tmp_path).runs
    assert (a.params, b.params) == ({"lr": 1e-3}, {"lr": 5e-5})
    assert [os.path.basename(f) for f in b.files] == ["args.yaml", "metrics.jsonl"]


def test_claim_ignores_other_names(tmp_path: Path) -> None:
    for name in (
        "args.yaml",
        "metrics.csv",
        "train_metrics.jsonl",
        "metrics.json",
        "metrics.train.jsonl.bak",
    ):
        (tmp_path / name).write_text("{}")
    assert claims(tmp_path) == []
    (tmp_path / "metrics.val-set.jsonl").write_text('{"step": 1, "acc": 0.5}\n')
    (claim,) = claims(tmp_path)
    assert claim.files == (str(tmp_path / "args.yaml"), str(tmp_path / "metrics.val-set.jsonl"))
    assert claim.prune == frozenset()  # no tb/ here
