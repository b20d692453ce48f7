"""The plain-text log reader: the real llm.c log, each built-in format, and broken files."""

from __future__ import annotations

import builtins
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest import text_log
from dashboard.ingest.base import ReadResult, Run
from dashboard.ingest.text_log import READER, is_log_name, make_reader, parse_value
from dashboard.ingest.walk import Walker

REAL = "E-KellerJordan-modded-nanogpt-AdamW-llmc-log"
REAL_LOG = "f66d43d7-e449-4029-8adf-e8537bab49ea.log"


def scan(root: Path, reader: Any = READER) -> list[ReadResult]:
    return [reader.read(c) for c in Walker(str(root)).walk([reader])]


def one_run(folder: Path, name: str, text: str | bytes, reader: Any = READER) -> tuple[Run, ReadResult]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode() if isinstance(text, str) else text)
    results = scan(folder, reader)
    assert len(results) == 1
    assert len(results[0].runs) == 1, results[0].problems
    return results[0].runs[0], results[0]


def points(run: Run, name: str) -> list[tuple[float, float]]:
    series = run.series[name]
    return list(zip(series.x.tolist(), series.y.tolist(), strict=True))


# ------------------------------------------------------------------ real data


def test_real_llmc_log(realdata: Path) -> None:
    folder = realdata / REAL
    claims = Walker(str(realdata)).walk([READER])
    mine = [c for c in claims if c.folder == str(folder)]
    assert len(mine) == 1 and mine[0].files == (str(folder / REAL_LOG),)
    result = READER.read(mine[0])
    assert result.problems == []
    (run,) = result.runs
    assert run.key == REAL_LOG
    assert run.name == "f66d43d7-e449-4029-8adf-e8537bab49ea"
    assert run.experiment == REAL
    assert run.path == str(folder / REAL_LOG) and run.files == [str(folder / REAL_LOG)]
    assert run.source == "text_log" and run.status == "unknown" and run.step == 9536
    assert run.params == {}
    assert set(run.series) == {"train_loss", "val_loss"}
    train, val = run.series["train_loss"], run.series["val_loss"]
    assert len(train) == 9536 and len(val) == 76
    assert (train.x[0], train.y[0]) == (0.0, 10.965596)
    assert (train.x[1], train.y[1]) == (1.0, 10.814037)
    assert (train.x[-1], train.y[-1]) == (9535.0, 3.340180)
    assert (val.x[0], val.y[0]) == (0.0, 10.968871)
    assert (val.x[1], val.y[1]) == (128.0, 6.034447)
    assert (val.x[-1], val.y[-1]) == (9536.0, 3.275959)
    assert run.metrics == {"train_loss": 3.340180, "val_loss": 3.275959}
    assert any("trl and tel" in note for note in run.notes)
    assert np.all(np.diff(train.x) > 0)


# ------------------------------------------------------------------ formats

MODDED = """\
import os
import torch
    print0(f"step:{step}/{args.num_iterations} val_loss:{val_loss:.4f} train_time:{t:.0f}ms")
====================================================================================================
Running pytorch 2.4.0 compiled for CUDA 12.4
nvidia-smi:
Mon Jun  3 12:00:00 2024
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4     |
|   0  NVIDIA H100 80GB HBM3      On  | 00000000:19:00.0 Off |                    0 |
| N/A   34C    P0    60W / 700W |   1234MiB / 81559MiB |      0%      Default |
+-----------------------------------------------------------------------------+
step:0/4 val_loss:10.8258 train_time:0ms step_avg:nanms
step:1/4 train_loss:10.8258 train_time:22516ms step_avg:nanms
step:2/4 train_loss:9.5312 train_time:22733ms step_avg:nanms
step:3/4 train_loss:8.1234 train_time:22950ms step_avg:217.00ms
step:4/4 train_loss:7.5 train_time:23167ms step_avg:217.00ms
step:4/4 val_loss:7.4321 train_time:23167ms step_avg:217.00ms
peak memory consumption: 31234 MiB
"""


def test_modded_nanogpt_log(tmp_path: Path) -> None:
    run, result = one_run(tmp_path / "modded", "train.log", MODDED)
    assert result.problems == []
    assert run.key == "train.log" and run.name == "modded"  # "train" is too generic a name
    assert run.status == "completed" and run.step == 4 and run.params == {"max_steps": 4}
    assert points(run, "val_loss") == [(0.0, 10.8258), (4.0, 7.4321)]
    assert points(run, "train_loss") == [(1.0, 10.8258), (2.0, 9.5312), (3.0, 8.1234), (4.0, 7.5)]
    assert points(run, "train_time")[-1] == (4.0, 23167.0)
    avg = run.series["step_avg"]
    assert np.isnan(avg.y[:3]).all() and avg.y[3] == 217.0  # nanms: missing, not 0
    assert run.metrics["step_avg"] == 217.0 and run.metrics["val_loss"] == 7.4321
    assert any("3 values logged as nan" in note for note in run.notes)


def test_modded_nanogpt_unfinished_is_not_completed(tmp_path: Path) -> None:
    text = "step:1/3000 train_loss:10.8 train_time:1ms step_avg:nanms\nstep:2/3000 train_loss:9.1\n"
    run, _ = one_run(tmp_path / "r", "train.log", text)
    assert run.status == "unknown" and run.params == {"max_steps": 3000} and run.step == 2


def test_build_nanogpt_log(tmp_path: Path) -> None:
    text = "0 val 10.9512\n0 hella 0.2500\n0 train 10.955070\n1 train 10.011234\n250 val 6.0123\n250 hella 0.2610\n"
    run, _ = one_run(tmp_path / "log", "log.txt", text)
    assert run.name == "log" and run.key == "log.txt"
    assert points(run, "train_loss") == [(0.0, 10.95507), (1.0, 10.011234)]
    assert points(run, "val_loss") == [(0.0, 10.9512), (250.0, 6.0123)]
    assert points(run, "hellaswag_acc_norm") == [(0.0, 0.25), (250.0, 0.261)]
    assert run.step == 250 and run.status == "unknown"


def test_key_value_with_glued_units(tmp_path: Path) -> None:
    text = (
        "2024-06-01 12:00:00,123 INFO step=10 loss=2.5 lr=1e-4 time=12.3ms tput=3.2e+01tok/s delta=-0.5 acc=95%\n"
        "2024-06-01 12:00:01,456 INFO step=20 loss=nan lr=2E-4 time=0.5s grad_norm=inf\n"
        "[rank0] Step: 30 | loss: 1.75 | eval acc: 0.5\n"
    )
    run, _ = one_run(tmp_path / "kv", "stdout.txt", text)
    assert points(run, "lr") == [(10.0, 1e-4), (20.0, 2e-4)]
    assert points(run, "time") == [(10.0, 12.3), (20.0, 0.5)]
    assert points(run, "tput") == [(10.0, 32.0)]
    assert points(run, "delta") == [(10.0, -0.5)] and points(run, "acc") == [(10.0, 95.0)]
    loss = run.series["loss"]
    assert loss.x.tolist() == [10.0, 20.0, 30.0] and math.isnan(loss.y[1])
    assert run.metrics["loss"] == 1.75 and run.metrics["eval_acc"] == 0.5
    assert "grad_norm" not in run.series and "grad_norm" not in run.metrics  # only inf: missing
    assert any("2 values logged as nan/inf" in n for n in run.notes)


def test_karpathy_nanogpt_lines(tmp_path: Path) -> None:
    text = (
        "step 0: train loss 10.9876, val loss 10.9912\n"
        "iter 0: loss 10.9801, time 1234.56ms, mfu -100.00%\n"
        "iter 10: loss 9.1234, time 98.70ms, mfu 35.12%\n"
    )
    run, _ = one_run(tmp_path / "ng", "out.log", text)
    assert points(run, "train_loss") == [(0.0, 10.9876)]
    assert points(run, "val_loss") == [(0.0, 10.9912)]
    assert points(run, "loss") == [(0.0, 10.9801), (10.0, 9.1234)]
    assert points(run, "mfu") == [(0.0, -100.0), (10.0, 35.12)]
    assert run.name == "ng"  # "out" is too generic a stem: the folder names the run
    assert run.key == "out.log"


def test_generic_step_forms(tmp_path: Path) -> None:
    text = (
        "global_step=1 loss=5\n"
        "Iter 2 loss 4 lr 0.1\n"
        "Iteration: 3, loss=3\n"
        "[4/10] loss=2\n"
        "Epoch [1/3] Step [5/10] loss: 1\n"
        "epoch 2 loss=9\n"  # no step: skipped
    )
    run, _ = one_run(tmp_path / "g", "train.log", text)
    assert points(run, "loss") == [(1.0, 5.0), (2.0, 4.0), (3.0, 3.0), (4.0, 2.0), (5.0, 1.0)]
    assert points(run, "lr") == [(2.0, 0.1)]
    assert run.params == {"max_steps": 10} and run.status == "unknown"


def test_repeated_step_last_wins_and_nan_does_not_erase(tmp_path: Path) -> None:
    text = "step=1 loss=3.0\nstep=1 loss=2.0\nstep=2 loss=1.0\nstep=2 loss=nan\n"
    run, _ = one_run(tmp_path / "rep", "train.log", text)
    assert points(run, "loss") == [(1.0, 2.0), (2.0, 1.0)]


def test_traceback_and_nvidia_smi_interleaved(tmp_path: Path) -> None:
    text = (
        "step 1 loss=4.0\n"
        "| N/A   34C    P0    60W / 700W |   1234MiB / 81559MiB |      0%      Default |\n"
        "Traceback (most recent call last):\n"
        '  File "train.py", line 12, in <module>\n'
        "    step = 0; loss = model(x)\n"
        "RuntimeError: NCCL timeout\n"
        "step 2 loss=3.0\n"  # training went on after the first traceback
        "[rank0]: Traceback (most recent call last):\n"
        '[rank0]:   File "train.py", line 99, in <module>\n'
        "[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
    )
    run, _ = one_run(tmp_path / "tb", "train.log", text)
    assert points(run, "loss") == [(1.0, 4.0), (2.0, 3.0)]
    assert set(run.series) == {"loss"}
    assert run.status == "failed" and any("traceback" in n for n in run.notes)


def test_traceback_in_the_middle_is_not_failure(tmp_path: Path) -> None:
    text = "step 1 loss=4.0\nTraceback (most recent call last):\nValueError: x\nstep 2 loss=3.0\n"
    run, _ = one_run(tmp_path / "tb", "train.log", text)
    assert run.status == "unknown"


def test_code_dump_lines_are_not_steps(tmp_path: Path) -> None:
    text = "    step = 0\n    for step in range(10):\n    if step % 100 == 0:\nwarmup_iters = 250\nmodel: nanogpt step 3\n"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "train.log").write_text(text)
    assert scan(tmp_path / "c") == [ReadResult()]


def test_nan_word_is_not_a_missing_value() -> None:
    assert parse_value("nanogpt") is None
    assert math.isnan(parse_value("nanms") or 0.0)


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("1e-4", 1e-4),
        ("-0.5", -0.5),
        ("3.2e+01", 32.0),
        ("12.3ms", 12.3),
        ("0.5s", 0.5),
        ("95%", 95.0),
        ("1.5s/it", 1.5),
        (".5", 0.5),
        ("7.", 7.0),
        ("2.3.", 2.3),
        ("00:10:00", None),
        ("1.2.3", None),
        ("abc", None),
        ("", None),
    ],
)
def test_parse_value(token: str, value: float | None) -> None:
    assert parse_value(token) == value


@pytest.mark.parametrize("token", ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "nanms", "1e999"])
def test_parse_value_missing(token: str) -> None:
    value = parse_value(token)
    assert value is not None and math.isnan(value)


# ------------------------------------------------------------------ not logs, broken files


def test_text_without_training_lines_gives_no_run_and_no_problem(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("We tried a bigger batch. It steps up the loss.\nSee [1/2] above.\n")
    (tmp_path / "requirements.txt").write_text("torch==2.4\n")
    results = scan(tmp_path)
    assert results == [ReadResult()]


def test_binary_named_like_a_log_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "eval.log").write_text("step 3 acc=0.5\n")
    (result,) = scan(tmp_path)
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(tmp_path / "train.log"), "binary file, not text")
    ]
    assert [r.key for r in result.runs] == ["eval.log"]


def test_empty_file_is_quietly_nothing(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_bytes(b"")
    assert scan(tmp_path) == [ReadResult()]


def test_lfs_pointer_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"
    )
    (result,) = scan(tmp_path)
    assert result.runs == [] and "Git LFS pointer" in result.problems[0].reason


def test_crlf_and_progress_bar_carriage_returns(tmp_path: Path) -> None:
    text = (
        b"step=1 loss=3.0\r\nstep=2 loss=2.0\r\n 10%|#   | step=3 loss=1.5\r 20%|##  | step=4 loss=1.25\r\n"
    )
    run, _ = one_run(tmp_path / "crlf", "train.log", text)
    assert points(run, "loss") == [(1.0, 3.0), (2.0, 2.0), (3.0, 1.5), (4.0, 1.25)]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    text = "step=1 loss=3.0 note=caf\xe9\nstep=2 loss=2.0 \xb5s=4\n\xff\xfe\xfdgarbage\nstep=3 loss=1.0\n"
    run, _ = one_run(tmp_path / "latin", "train.log", text.encode("latin-1"))
    assert points(run, "loss") == [(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]


def test_utf16_log_from_powershell(tmp_path: Path) -> None:
    run, _ = one_run(tmp_path / "ps", "train.log", "step=1 loss=3.0\r\nstep=2 loss=2.0\r\n".encode("utf-16"))
    assert points(run, "loss") == [(1.0, 3.0), (2.0, 2.0)]


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.log").write_text("step=1 loss=3.0\n")
    real_open = builtins.open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("train.log"):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    (result,) = scan(tmp_path)
    assert result.runs == [] and result.problems[0].reason == "permission denied"


def test_vanished_file(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("step=1 loss=3.0\n")
    (claim,) = Walker(str(tmp_path)).walk([READER])
    (tmp_path / "train.log").unlink()
    result = READER.read(claim)
    assert result.runs == [] and result.problems[0].reason == "file vanished while scanning"


def test_large_text_without_log_lines_is_abandoned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_log, "SNIFF_CHARS", 1000)
    (tmp_path / "corpus.txt").write_text("the quick brown fox\n" * 200 + "step=1 loss=3.0\n")
    assert scan(tmp_path) == [ReadResult()]


def test_huge_log_is_cut_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_log, "MAX_CHARS", 40)
    run, _ = one_run(tmp_path / "big", "train.log", "step=1 loss=3.0\nstep=2 loss=2.0\nstep=3 loss=1.0\n")
    assert points(run, "loss") == [(1.0, 3.0), (2.0, 2.0)]
    assert any("Only the first" in n for n in run.notes)


# ------------------------------------------------------------------ several logs, names, claims


def test_several_logs_one_run_each(tmp_path: Path) -> None:
    folder = tmp_path / "exp1"
    folder.mkdir()
    (folder / "stdout.txt").write_text("step=1 loss=3.0\n")
    (folder / "stderr.txt").write_text("step=1 loss=4.0\n")
    (folder / "seed2.log").write_text("step=1 loss=5.0\n")
    (folder / "README.txt").write_text("step=1 loss=9.0\n")  # not claimed: never a log
    (result,) = scan(folder)
    runs = {r.key: r for r in result.runs}
    assert set(runs) == {"stdout.txt", "stderr.txt", "seed2.log"}
    assert runs["seed2.log"].name == "seed2" and runs["stdout.txt"].name == "exp1/stdout"
    assert all(r.experiment == "exp1" for r in runs.values())
    assert runs["stderr.txt"].metrics == {"loss": 4.0}


@pytest.mark.parametrize(
    "name",
    [
        "train.log",
        "run.txt",
        "nohup.out",
        "job.err",
        "log",
        "train_log",
        "train_log_0",
        "stdout",
        "stderr_1.txt",
    ],
)
def test_log_names(name: str) -> None:
    assert is_log_name(name)


@pytest.mark.parametrize(
    "name",
    ["requirements.txt", "README.txt", "LICENSE.txt", "a.out", "train.py", "train_log.py", "stdout.json",
     "vocab.txt", "merges.txt", ".hidden.log", "metrics.csv", "events.out.tfevents.1.host"],
)  # fmt: skip
def test_not_log_names(name: str) -> None:
    assert not is_log_name(name)


def test_claim_through_walker(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "train.log").write_text("step=1 loss=3.0\n")
    (tmp_path / "a" / "model.py").write_text("step = 1\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.yaml").write_text("lr: 1\n")
    claims = Walker(str(tmp_path)).walk([READER])
    assert [(c.folder, c.files, c.prune) for c in claims] == [
        (str(tmp_path / "a"), (str(tmp_path / "a" / "train.log"),), frozenset())
    ]


# ------------------------------------------------------------------ user patterns


def test_user_patterns(tmp_path: Path) -> None:
    reader = make_reader([r"ep (?P<step>\d+)/(?P<total>\d+) \| acc (?P<acc>\S+) \| wer (?P<wer>\S+)"])
    assert reader.version != READER.version and READER.version == text_log.VERSION
    text = "ep 1/2 | acc 0.5 | wer 30%\nep 2/2 | acc 0.75 | wer n/a\nstep=2 loss=1.0\n"
    run, _ = one_run(tmp_path / "u", "train.log", text, reader)
    assert points(run, "acc") == [(1.0, 0.5), (2.0, 0.75)]
    assert points(run, "wer") == [(1.0, 30.0)]
    assert points(run, "loss") == [(2.0, 1.0)]  # built-in patterns still apply
    assert run.status == "completed" and run.params == {"max_steps": 2}
    assert any("user:" in n for n in run.notes)


def test_user_pattern_without_matches_leaves_builtins(tmp_path: Path) -> None:
    reader = make_reader([r"never (?P<step>\d+) (?P<x>\d+)"])
    run, _ = one_run(tmp_path / "u", "train.log", "s:1 trl:2.5\n", reader)
    assert points(run, "train_loss") == [(1.0, 2.5)]


@pytest.mark.parametrize("pattern", [r"(?P<step>\d+", r"loss (?P<loss>\S+)", r"step (?P<step>\d+)"])
def test_bad_user_patterns_raise(pattern: str) -> None:
    with pytest.raises(ValueError, match="text_log pattern"):
        make_reader([pattern])
