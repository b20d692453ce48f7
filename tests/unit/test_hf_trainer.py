"""The hf_trainer reader: every real Trainer folder, snapshots as one run, and broken variants."""

from __future__ import annotations

import builtins
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest.base import Claim, Problem, Run
from dashboard.ingest.hf_trainer import READER
from dashboard.ingest.walk import Walker

T5 = "A-10844110-t5-summarization-demo"
AGU = "A-AguLeon-LoRA_RoBERTa_AGNews-checkpoints"
DHEENA = "A-Dheena731-tinyLlama-finetune"
FUJUMP = "A-Fujump-qlora-output"
P4 = "A-P4P4N1CK-whisper-large-v2-japanese-5k-steps"
VIZ = "A-aigoncharov-trainer_state_viz"
BART = "A-rnpcs-philschmid-bart-large-cnn-samsum-root"
STOP = "should_training_stop"


# ---------------------------------------------------------------- helpers


def scan(root: Path) -> tuple[list[Claim], list[Run], list[Problem]]:
    """Walk ``root`` with this reader only and read every claim."""
    claims = Walker(str(root)).walk([READER])
    runs: list[Run] = []
    problems: list[Problem] = []
    for claim in claims:
        result = READER.read(claim)
        runs.extend(result.runs)
        problems.extend(result.problems)
    return claims, runs, problems


def one_run(root: Path) -> tuple[Run, list[Problem]]:
    claims, runs, problems = scan(root)
    assert len(claims) == 1 and len(runs) == 1, (claims, runs, problems)
    return runs[0], problems


def write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))  # Python's json: writes NaN / Infinity tokens
    return path


def state(steps: int, max_steps: int | None = None, **extra: Any) -> dict[str, Any]:
    """A trainer_state.json with a loss row every 10 steps and an eval row every 20."""
    history: list[dict[str, Any]] = []
    for step in range(10, steps + 1, 10):
        history.append({"epoch": step / 100, "learning_rate": 1e-4, "loss": 1.0 / step, "step": step})
        if step % 20 == 0:
            history.append({"epoch": step / 100, "eval_loss": 2.0 / step, "step": step})
    data = {
        "global_step": steps,
        "max_steps": max_steps or steps,
        "num_train_epochs": 1,
        "log_history": history,
    }
    data.update(extra)
    return data


def real_json(realdata: Path, rel: str) -> Any:
    return json.loads((realdata / rel).read_text())


# ---------------------------------------------------------------- the real folders


def test_every_real_kind_a_folder_is_one_claim_and_one_run(realdata: Path) -> None:
    claims, runs, problems = scan(realdata)
    expected = sorted(p.name for p in realdata.iterdir() if p.name.startswith("A-"))
    assert [Path(c.folder).name for c in claims] == expected
    assert [r.name for r in runs] == expected
    assert problems == []
    assert all(r.key == "" and r.source == "hf_trainer" and r.experiment == r.name for r in runs)


def test_t5_eval_only_in_results_files(realdata: Path) -> None:
    run, _ = one_run(realdata / T5)
    assert run.status == "completed" and run.step == 215337
    assert run.metrics["eval_loss"] == 1.633907675743103
    assert run.metrics["eval_rouge1"] == 41.6324
    assert run.metrics["train_loss"] == 1.8040490566820844
    assert run.metrics["loss"] == 1.7423  # last logged training loss
    assert run.metrics["grad_norm"] == 2.5202980041503906
    assert "eval_loss" not in run.series
    assert len(run.series["loss"]) == 430 and len(run.series["epoch"]) == 431
    assert run.series["loss"].x[0] == 500 and run.series["loss"].y[0] == 1.9963
    assert run.params["model.d_model"] == 512
    assert run.params["model.architectures"] == ["T5ForConditionalGeneration"]
    assert run.params["num_train_epochs"] == 3 and run.params["logging_steps"] == 500
    assert run.params["train_batch_size"] == 4 and run.params["max_steps"] == 215337
    assert "best_metric" not in run.metrics and "best_global_step" not in run.params


def test_aguleon_three_snapshots_are_one_run_with_the_1200_step_history(realdata: Path) -> None:
    folder = realdata / AGU
    claims = Walker(str(realdata)).walk([READER])
    claim = next(c for c in claims if c.folder == str(folder))
    assert claim.prune == {"checkpoint-500", "checkpoint-1000", "checkpoint-1200"}
    assert len(claim.files) == 6
    assert not any("checkpoint-" in Path(c.folder).name for c in claims)
    run, problems = one_run(folder)
    assert problems == []
    assert run.step == 1200 and run.status == "completed"  # global_step == max_steps
    assert len(run.series["loss"]) == 12 and run.series["loss"].x[-1] == 1200
    assert run.metrics["loss"] == 0.2362
    assert run.metrics["eval_accuracy"] == 0.9135802469135802
    assert run.metrics["eval_loss"] == 0.289970725774765
    assert run.params["adapter.r"] == 4 and run.params["adapter.lora_alpha"] == 16
    assert run.params["adapter.target_modules"] == ["query", "value", "key"]
    assert run.files == [
        str(folder / "checkpoint-1200" / "adapter_config.json"),
        str(folder / "checkpoint-1200" / "trainer_state.json"),
    ]
    assert any("history from checkpoint-1200" in n for n in run.notes)


def test_p4p4n1ck_last_checkpoint_and_foreign_best_checkpoint(realdata: Path) -> None:
    folder = realdata / P4
    run, problems = one_run(folder)
    assert problems == []
    claim = Walker(str(folder)).walk([READER])[0]
    assert claim.prune == {"last-checkpoint"}
    assert str(folder / "last-checkpoint" / "trainer_state.json") in claim.files
    # The root history (206 rows) is one row longer than last-checkpoint's: it wins.
    assert len(real_json(realdata, f"{P4}/trainer_state.json")["log_history"]) == 206
    assert run.series["train_loss"].y.tolist() == [0.01890342615880072]
    assert run.status == "completed" and run.step == 5000
    assert run.metrics["eval_wer"] == 0.7449365679946583
    assert run.metrics["eval_runtime"] == 1712.6978  # results file overrides the logged 1710.8673
    assert run.series["eval_runtime"].y[-1] == 1710.8673
    assert run.metrics["best_metric"] == 0.7431560204762965
    assert (
        run.params["best_model_checkpoint"]
        == "/storage/elsayedissa/whisper-large-v2-japanese-24h/checkpoint-3000"
    )
    assert run.params["num_train_epochs"] == 39
    assert "grad_norm" not in run.series
    assert len(run.series["eval_wer"]) == 5 and len(run.series["loss"]) == 200
    assert any("eval_wer at step 3000" in n for n in run.notes)


def test_aigoncharov_eval_sets_logged_separately_merge_by_step(realdata: Path) -> None:
    run, _ = one_run(realdata / VIZ)
    history = real_json(realdata, f"{VIZ}/trainer_state.json")["log_history"]
    pairs = {(row["step"], key) for row in history for key in row if key != "step"}
    assert sum(len(s) for s in run.series.values()) == len(pairs) == 1051
    assert len(run.series) == 34
    assert len(run.series["epoch"]) == len({row["step"] for row in history}) == 31
    for group in range(6):
        curve = run.series[f"eval_g{group}_accuracy"]
        assert len(curve) == 31 and curve.x[0] == 0 and curve.x[-1] == 12030
    assert run.series["loss"].x[-1] == 12030 and len(run.series["loss"]) == 30
    assert run.metrics["eval_g5_loss"] == 4.835134983062744
    assert run.metrics["eval_g0_accuracy"] == 0.5935162094763092
    assert run.series["eval_g1_loss"].y[0] == 8.220163345336914
    assert run.status == "completed" and run.step == 12030


def test_dheena_saved_mid_run_without_results_is_unknown(realdata: Path) -> None:
    run, _ = one_run(realdata / DHEENA)
    assert run.step == 2800 and run.params["max_steps"] == 2808
    assert run.status == "unknown"
    assert run.metrics["best_metric"] == 1.1219322681427002 == run.metrics["eval_loss"]
    assert run.params["best_global_step"] == 2800
    assert run.params["best_model_checkpoint"] == "./results/checkpoint-2800"
    assert run.metrics["mean_token_accuracy"] == 0.7662254864970843
    assert run.metrics["num_tokens"] == 11424256.0
    assert run.params["adapter.r"] == 8 and run.params["adapter.lora_alpha"] == 32
    assert len(run.series["eval_loss"]) == 14 and len(run.series["loss"]) == 186
    assert "best_metric matches eval_loss at step 2800 (the file does not name the metric)." in run.notes


def test_fujump_results_overlay_and_extra_metrics_json_ignored(realdata: Path) -> None:
    folder = realdata / FUJUMP
    run, _ = one_run(folder)
    claim = Walker(str(folder)).walk([READER])[0]
    assert str(folder / "metrics.json") not in claim.files
    assert run.status == "completed" and run.step == 10000
    assert run.metrics["epoch"] == 24.29  # train_results.json's rounding, over the state's 24.2866
    assert run.metrics["train_loss"] == 0.8600688213944435
    assert len(run.series["loss"]) == 1000 and run.metrics["loss"] == 0.0886
    assert set(run.series) == {
        "epoch",
        "learning_rate",
        "loss",
        "total_flos",
        "train_loss",
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
    }
    assert run.params == {"max_steps": 10000, "num_train_epochs": 25}


def test_bart_root_history_wins_over_checkpoint_500(realdata: Path) -> None:
    folder = realdata / BART
    run, problems = one_run(folder)
    assert problems == []
    assert run.step == 693 and run.status == "completed"
    assert run.metrics["test_loss"] == 1.4224162101745605
    assert run.metrics["eval_loss"] == 1.3891159296035767
    assert run.metrics["eval_mem_gpu_alloc_delta"] == 0.0
    assert run.series["loss"].x.tolist() == [500.0] and run.series["loss"].y.tolist() == [1.2342]
    assert run.params["model.d_model"] == 1024
    assert str(folder / "checkpoint-500" / "trainer_state.json") in run.files
    assert str(folder / "checkpoint-500" / "config.json") not in run.files  # the root config was used
    assert "best_metric" not in run.metrics


# ---------------------------------------------------------------- claims


def test_no_claim_for_checkpoint_without_state(tmp_path: Path) -> None:
    write(tmp_path / "run" / "checkpoint-5" / "model.safetensors", b"\x00weights")
    assert Walker(str(tmp_path)).walk([READER]) == []


def test_root_state_claims_and_prunes_only_snapshots_with_state(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write(run / "trainer_state.json", state(40))
    write(run / "checkpoint-20" / "trainer_state.json", state(20, 40))
    write(run / "checkpoint-40" / "optimizer.pt", b"\x00")
    write(run / "tmp-checkpoint-40" / "trainer_state.json", "{")
    write(run / "runs" / "events.out.tfevents", b"\x00")
    write(run / "checkpoint-²" / "trainer_state.json", state(10))
    claims = Walker(str(tmp_path)).walk([READER])
    claim = next(c for c in claims if c.folder == str(run))
    # runs/ is Trainer's TensorBoard copy of log_history: pruned, or it would be a second run.
    assert claim.prune == {"checkpoint-20", "tmp-checkpoint-40", "runs"}
    assert claim.files == (str(run / "checkpoint-20" / "trainer_state.json"), str(run / "trainer_state.json"))
    # A sub-folder whose name only looks like a checkpoint is walked and claimed on its own.
    assert [Path(c.folder).name for c in claims] == ["run", "checkpoint-²"]


def test_claim_lists_every_companion_file(tmp_path: Path) -> None:
    names = ["trainer_state.json", "all_results.json", "train_results.json", "eval_results.json"]
    names += ["test_results.json", "training_args.json", "config.json", "adapter_config.json"]
    for name in [*names, "README.md", "training_args.bin"]:
        write(tmp_path / name, {})
    claim = Walker(str(tmp_path)).walk([READER])[0]
    assert claim.files == tuple(sorted(str(tmp_path / n) for n in names))


# ---------------------------------------------------------------- history


def test_eval_rows_at_the_same_step_merge(tmp_path: Path) -> None:
    history = [
        {"epoch": 0.5, "loss": 2.0, "grad_norm": 1.5, "step": 50},
        {"epoch": 0.5, "eval_a_loss": 3.0, "step": 50},
        {"epoch": 0.5, "eval_b_loss": 4.0, "step": 50},
        {"epoch": 1.0, "loss": 1.0, "rewards/chosen": 0.25, "flag": True, "note": "x", "step": 100},
        {"epoch": 1.0, "eval_a_loss": 2.5, "step": 100},
    ]
    write(tmp_path / "trainer_state.json", {"global_step": 100, "max_steps": 200, "log_history": history})
    run, problems = one_run(tmp_path)
    assert problems == [] and run.status == "unknown" and run.step == 100
    assert run.series["epoch"].x.tolist() == [50.0, 100.0] and run.series["epoch"].y.tolist() == [0.5, 1.0]
    assert run.series["eval_a_loss"].x.tolist() == [50.0, 100.0]
    assert run.series["eval_b_loss"].x.tolist() == [50.0]
    assert run.series["rewards/chosen"].y.tolist() == [0.25]
    assert "flag" not in run.series and "note" not in run.series and "step" not in run.series
    assert run.metrics == {
        "epoch": 1.0,
        "eval_a_loss": 2.5,
        "eval_b_loss": 4.0,
        "grad_norm": 1.5,
        "loss": 1.0,
        "rewards/chosen": 0.25,
    }
    assert all(s.x.dtype == s.y.dtype == np.float64 and s.time is None for s in run.series.values())


def test_rows_out_of_order_are_sorted_by_step(tmp_path: Path) -> None:
    history = [{"loss": 3.0, "step": 30}, {"loss": 1.0, "step": 10}, {"loss": 2.0, "step": 20}]
    write(tmp_path / "trainer_state.json", {"log_history": history})
    run, _ = one_run(tmp_path)
    assert run.series["loss"].x.tolist() == [10.0, 20.0, 30.0]
    assert run.series["loss"].y.tolist() == [1.0, 2.0, 3.0]
    assert run.step == 30  # no global_step: the last logged step
    assert run.metrics["loss"] == 3.0


def test_nan_and_infinity_are_gaps(tmp_path: Path) -> None:
    history = [
        {"loss": 1.0, "grad_norm": math.inf, "step": 10},
        {"loss": 0.5, "grad_norm": 2.0, "step": 20},
        {"loss": math.nan, "grad_norm": -math.inf, "step": 30},
        {"loss": 10**400, "step": 40},
    ]
    path = write(
        tmp_path / "trainer_state.json", {"global_step": 40, "max_steps": 40, "log_history": history}
    )
    assert "NaN" in path.read_text() and "Infinity" in path.read_text()
    run, problems = one_run(tmp_path)
    assert problems == []
    loss = run.series["loss"]
    assert loss.x.tolist() == [10.0, 20.0, 30.0, 40.0]
    assert loss.y[:2].tolist() == [1.0, 0.5] and np.isnan(loss.y[2:]).all()
    assert run.metrics["loss"] == 0.5 and run.metrics["grad_norm"] == 2.0
    assert np.isnan(run.series["grad_norm"].y[[0, 2]]).all()
    assert "4 logged values were NaN or infinite; they are gaps in the curves." in run.notes


def test_rows_without_a_numeric_step_are_skipped(tmp_path: Path) -> None:
    history = [{"loss": 1.0, "step": 10}, {"loss": 9.0}, {"loss": 9.0, "step": "20"}, [1, 2], None]
    write(tmp_path / "trainer_state.json", {"log_history": history})
    run, _ = one_run(tmp_path)
    assert run.series["loss"].y.tolist() == [1.0]
    assert "4 log_history entries without a numeric step were skipped." in run.notes


@pytest.mark.parametrize(
    ("history", "found"),
    [
        ({"loss": 1.0}, "an object"),
        ("rows", "a string"),
        (None, "missing"),
        (3, "a number"),
        (True, "a boolean"),
    ],
)
def test_log_history_not_a_list(tmp_path: Path, history: Any, found: str) -> None:
    data: dict[str, Any] = {"global_step": 7, "max_steps": 7, "best_metric": 0.5}
    if history is not None:
        data["log_history"] = history
    path = write(tmp_path / "trainer_state.json", data)
    run, problems = one_run(tmp_path)
    assert run.series == {} and run.step == 7 and run.status == "completed"
    assert run.metrics == {"best_metric": 0.5}
    assert [(p.path, p.reader) for p in problems] == [(str(path), "hf_trainer")]
    assert problems[0].reason == f"log_history is {found}, not a list; no curves read"


# ---------------------------------------------------------------- snapshots


def test_truncated_root_state_uses_the_checkpoint_snapshot(tmp_path: Path) -> None:
    text = json.dumps(state(60), indent=1)
    root = write(tmp_path / "trainer_state.json", text[: text.rindex("},") + 2])  # cut mid-write
    write(tmp_path / "checkpoint-40" / "trainer_state.json", state(40, 60))
    write(tmp_path / "checkpoint-40" / "config.json", {"hidden_size": 64})
    run, problems = one_run(tmp_path)
    assert [(p.path, p.reason.split(" (")[0]) for p in problems] == [(str(root), "truncated JSON")]
    assert run.step == 40 and run.status == "unknown"
    assert run.series["loss"].x[-1] == 40 and run.metrics["eval_loss"] == 2.0 / 40
    assert run.params["model.hidden_size"] == 64
    assert any("history from checkpoint-40" in n and "unusable or shorter" in n for n in run.notes)


def test_longer_snapshot_beats_a_shorter_root(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", state(20, 100))
    write(tmp_path / "last-checkpoint" / "trainer_state.json", state(80, 100))
    write(tmp_path / "checkpoint-60" / "trainer_state.json", state(60, 100))
    run, _ = one_run(tmp_path)
    assert run.step == 80 and len(run.series["loss"]) == 8


def test_equal_root_and_snapshot_prefer_the_root(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", state(40, train_batch_size=8))
    write(tmp_path / "checkpoint-40" / "trainer_state.json", state(40, train_batch_size=4))
    run, _ = one_run(tmp_path)
    assert run.params["train_batch_size"] == 8
    assert (
        "1 checkpoint snapshot (checkpoint-40) read as one run; history from the output folder." in run.notes
    )


def test_newest_broken_snapshot_falls_back_to_the_next(tmp_path: Path) -> None:
    write(tmp_path / "checkpoint-10" / "trainer_state.json", state(10, 30))
    write(tmp_path / "checkpoint-20" / "trainer_state.json", state(20, 30))
    broken = write(tmp_path / "checkpoint-30" / "trainer_state.json", b"\x00\x01binary")
    run, problems = one_run(tmp_path)
    assert [(p.path, p.reason) for p in problems] == [(str(broken), "binary file, not text")]
    assert run.step == 20
    assert str(tmp_path / "checkpoint-10" / "trainer_state.json") not in run.files  # older prefix: not read


def test_all_states_broken_and_no_results_is_no_run(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", "")
    write(tmp_path / "checkpoint-5" / "trainer_state.json", [1, 2])
    claims, runs, problems = scan(tmp_path)
    assert len(claims) == 1 and runs == []
    assert sorted(p.reason for p in problems) == ["empty file", "expected a JSON object, found list"]


def test_broken_state_with_results_still_makes_a_run(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", "{not json at all}\n")
    write(tmp_path / "eval_results.json", {"eval_accuracy": 0.8, "eval_samples": 100})
    run, problems = one_run(tmp_path)
    assert len(problems) == 1 and problems[0].reason.startswith("malformed JSON at line 1")
    assert run.metrics == {"eval_accuracy": 0.8, "eval_samples": 100.0}
    assert run.status == "completed" and run.step is None and run.series == {}


# ---------------------------------------------------------------- results, params, status


def test_malformed_results_file_is_a_problem_but_the_run_loads(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", state(40, 100))
    bad = write(tmp_path / "all_results.json", '{"eval_loss": 0.1,')
    write(tmp_path / "test_results.json", {"test_loss": 0.3, "test_name": "x", "test_bad": math.nan})
    run, problems = one_run(tmp_path)
    assert [p.path for p in problems] == [str(bad)]
    assert run.metrics["eval_loss"] == 2.0 / 40 and run.metrics["test_loss"] == 0.3
    assert "test_name" not in run.metrics and "test_bad" not in run.metrics
    assert run.status == "completed"  # all_results.json exists: training reached its end
    assert str(bad) not in run.files


@pytest.mark.parametrize(
    ("files", "extra", "status"),
    [
        ({}, {}, "unknown"),
        ({"eval_results.json": {"eval_loss": 1.0}}, {}, "completed"),
        ({"train_results.json": {"train_loss": 1.0}}, {}, "completed"),
        ({"test_results.json": {"test_loss": 1.0}}, {}, "unknown"),
        ({}, {"stateful_callbacks": {"TrainerControl": {"args": {STOP: True}}}}, "completed"),
        ({}, {"stateful_callbacks": {"TrainerControl": {"args": {STOP: False}}}}, "unknown"),
        ({}, {"stateful_callbacks": "odd"}, "unknown"),
    ],
)
def test_status_when_saved_before_max_steps(
    tmp_path: Path, files: dict[str, Any], extra: dict[str, Any], status: str
) -> None:
    write(tmp_path / "trainer_state.json", state(40, 100, **extra))
    for name, content in files.items():
        write(tmp_path / name, content)
    run, _ = one_run(tmp_path)
    assert run.status == status and run.step == 40


def test_num_train_epochs_sys_maxsize_is_missing(tmp_path: Path) -> None:
    data = state(40, 40)
    data["num_train_epochs"] = 9223372036854775807
    write(tmp_path / "trainer_state.json", data)
    run, problems = one_run(tmp_path)
    assert sys.maxsize == 9223372036854775807
    assert problems == [] and "num_train_epochs" not in run.params and run.status == "completed"
    assert any("sys.maxsize" in n for n in run.notes)


def test_params_from_training_args_configs_and_state(tmp_path: Path) -> None:
    args = {
        "eval_steps": None,
        "learning_rate": 5e-5,
        "max_steps": -1,
        "metric_for_best_model": "eval_f1",
        "deepspeed": {"stage": 2},
    }
    extra = {
        "eval_steps": 20,
        "best_metric": 0.9,
        "best_model_checkpoint": "/elsewhere/checkpoint-20",
        "trial_params": {"a": 1},
    }
    write(tmp_path / "trainer_state.json", state(40, 40, **extra))
    write(tmp_path / "training_args.json", args)
    write(tmp_path / "config.json", {"model_type": "bert", "id2label": {"0": "neg"}, "dims": [1, 2]})
    write(tmp_path / "adapter_config.json", {"r": 16, "lora_alpha": 32, "loftq_config": {}})
    run, problems = one_run(tmp_path)
    assert problems == []
    assert run.params["learning_rate"] == 5e-5 and run.params["deepspeed.stage"] == 2
    assert run.params["max_steps"] == 40  # trainer_state's effective value over the -1 sentinel
    assert "max_steps: training_args says -1, trainer_state 40; kept the latter." in run.notes
    assert run.params["eval_steps"] == 20 and not any(n.startswith("eval_steps") for n in run.notes)
    assert run.params["model.model_type"] == "bert" and run.params["model.id2label.0"] == "neg"
    assert run.params["model.dims"] == [1, 2] and run.params["adapter.r"] == 16
    assert run.params["best_model_checkpoint"] == "/elsewhere/checkpoint-20"
    assert "trial_params" not in run.params
    assert run.metrics["best_metric"] == 0.9
    assert "best_metric is metric_for_best_model (eval_f1)." in run.notes


def test_malformed_config_falls_back_to_the_snapshot_copy(tmp_path: Path) -> None:
    write(tmp_path / "trainer_state.json", state(20))
    bad = write(tmp_path / "config.json", "[1, 2]")
    write(tmp_path / "checkpoint-20" / "trainer_state.json", state(20))
    write(tmp_path / "checkpoint-20" / "config.json", {"d_model": 8})
    run, problems = one_run(tmp_path)
    assert [p.path for p in problems] == [str(bad)]
    assert run.params["model.d_model"] == 8


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "trainer_state.json", state(20))
    locked = write(tmp_path / "eval_results.json", {"eval_loss": 1.0})
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    run, problems = one_run(tmp_path)
    assert [(p.path, p.reason) for p in problems] == [(str(locked), "permission denied")]
    assert run.metrics["eval_loss"] == 2.0 / 20


def test_generic_output_folder_takes_the_experiment_from_its_parent(tmp_path: Path) -> None:
    write(tmp_path / "bert_sst2_lr3e-5" / "results" / "trainer_state.json", state(20))
    run, _ = one_run(tmp_path)
    assert run.name == "results" and run.experiment == "bert_sst2_lr3e-5"
    assert run.path == str(tmp_path / "bert_sst2_lr3e-5" / "results")


def test_lone_checkpoint_folder_as_root(tmp_path: Path) -> None:
    folder = tmp_path / "my_run" / "checkpoint-20"
    write(folder / "trainer_state.json", state(20, 40))
    claims = Walker(str(folder)).walk([READER])
    assert len(claims) == 1 and claims[0].prune == frozenset()
    (run,) = READER.read(claims[0]).runs
    assert run.name == "checkpoint-20" and run.experiment == "my_run" and run.step == 20


def test_read_never_opens_unclaimed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "trainer_state.json", state(20))
    write(tmp_path / "metrics.json", {"x": 1})
    claim = Walker(str(tmp_path)).walk([READER])[0]
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    READER.read(claim)
    assert opened and set(opened) <= set(claim.files)


def test_trainer_tensorboard_copy_is_not_a_second_run(tmp_path: Path) -> None:
    from dashboard.ingest import default_readers
    from tests.unit.test_tensorboard import event, simple, write_events  # a hand encoder of event files

    out = tmp_path / "output"
    out.mkdir()
    (out / "trainer_state.json").write_text(
        json.dumps({"global_step": 10, "max_steps": 10, "log_history": [{"loss": 1.0, "step": 10}]})
    )
    runs = out / "runs" / "Nov24_07-00-00_host"
    runs.mkdir(parents=True)
    write_events(runs, event(10, 1700000000.0, simple("train/loss", 1.0)))
    claims = Walker(str(tmp_path)).walk(default_readers())
    assert [(c.reader, Path(c.folder).name) for c in claims] == [("hf_trainer", "output")]
