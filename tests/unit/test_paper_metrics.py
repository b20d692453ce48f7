"""The paper_metrics reader: the seed layout, baseline files, and every broken variant."""

from __future__ import annotations

import builtins
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest.base import Claim, ReadResult, Run, flatten
from dashboard.ingest.paper_metrics import READER, checkpoint_position, run_name
from dashboard.ingest.walk import Walker

SEED = "S-AlufRon-seed-layout"
PAPER = "D-AlufRon-claude-web-paper-metrics"
SEED_RUNS = {
    # experiment -> (checkpoint folder, step)
    "dailytalk_finetune_from_librilight11": ("checkpoint_000200", 200),
    "dailytalk_finetune_from_librilight3": ("checkpoint_002000", 2000),
    "dailytalk_finetune_from_librilight5": ("checkpoint_002000", 2000),
    "dailytalk_finetune_from_librilight6": ("checkpoint_002000", 2000),
}

RESULTS = {
    "sblimp_accuracy": 0.542,
    "sblimp_samples": 1000,
    "swuggy_accuracy": 0.64,
    "swuggy_samples": 2000,
    "librilight_perplexity_8k": 702.27,
    "librilight_perplexity_16k": 1318.3,
    "librilight_slope": 7.3e-05,
    "paper_metrics_avg": 0.648,
}
CONFIG = {"max_steps": 300, "optim": {"lr": 5e-05}, "ttt": {"enable": True, "base_lr": 0.01}, "tags": [1, 2]}


# ---------------------------------------------------------------- helpers


def scan(root: Path) -> tuple[list[Claim], list[Run], ReadResult]:
    """Walk ``root`` with this reader only and read every claim."""
    claims = Walker(str(root)).walk([READER])
    merged = ReadResult()
    for claim in claims:
        result = READER.read(claim)
        merged.runs.extend(result.runs)
        merged.problems.extend(result.problems)
    return claims, merged.runs, merged


def write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))
    return path


def only_run(root: Path) -> tuple[Run, ReadResult]:
    _, runs, result = scan(root)
    assert len(runs) == 1, runs
    return runs[0], result


def expected_metrics(results: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in results.items()
        if k != "librilight_progression" and not (k.startswith("librilight_perplexity_") and v == 0.0)
    }


def seed_checkpoint(tmp_path: Path, step_dir: str = "checkpoint_000300") -> Path:
    return tmp_path / "exp_a" / "checkpoints" / step_dir


# ---------------------------------------------------------------- real data: the seed layout


def test_seed_layout_reads_four_checkpoints_and_the_baseline(realdata: Path) -> None:
    root = realdata / SEED
    claims, runs, result = scan(root)
    assert result.problems == []
    assert len(claims) == 5
    by_experiment = {r.experiment: r for r in runs if not r.is_baseline}
    assert set(by_experiment) == set(SEED_RUNS)
    for experiment, (checkpoint, step) in SEED_RUNS.items():
        run = by_experiment[experiment]
        folder = root / experiment / "checkpoints" / checkpoint / "consolidated"
        results = json.loads((folder / "paper_metrics_results.json").read_text())
        config = json.loads((folder / "training_config.json").read_text())
        assert run.key == ""
        assert run.path == str(folder)
        assert run.step == step
        assert run.name == f"{experiment} @ {step}"
        assert run.status == "completed"
        assert run.source == "paper_metrics"
        assert run.metrics == expected_metrics(results)
        assert run.params == flatten(config)
        assert run.files == [str(folder / "paper_metrics_results.json"), str(folder / "training_config.json")]
        assert run.updated_at is None


def test_seed_layout_exact_values(realdata: Path) -> None:
    _, runs, _ = scan(realdata / SEED)
    run3 = next(r for r in runs if r.experiment == "dailytalk_finetune_from_librilight3")
    assert run3.metrics["sblimp_accuracy"] == 0.554
    assert run3.metrics["sblimp_samples"] == 1000.0
    assert run3.metrics["tstory_accuracy"] == 0.8022447888829503
    assert run3.metrics["librilight_perplexity_16k"] == 811.9432639179149
    assert run3.metrics["librilight_slope"] == 2.2545725346625426e-05
    assert run3.metrics["paper_metrics_avg"] == 0.6541620122928915
    assert run3.params["ttt.base_lr"] == 1.0
    assert run3.params["ttt.layers"] == "29,30,31"
    assert run3.params["lora.enable"] is False
    assert run3.params["optim.lr"] == 5e-05
    assert run3.params["max_steps"] == 2000
    assert run3.params["paper_metrics.ttt_fig5_layers"] == [29, 30, 31]
    assert run3.params["moshi_paths.mimi_path"] is None
    assert run3.series == {}
    assert run3.notes == []

    run11 = next(r for r in runs if r.experiment == "dailytalk_finetune_from_librilight11")
    assert run11.params["ttt.base_lr"] == 0.01
    assert run11.params["max_steps"] == 200
    assert run11.metrics["librilight_perplexity_8k"] == 11097.700229705191
    perplexity = run11.series["librilight_perplexity"]
    assert len(perplexity) == 44
    # position 1000 holds 240.27, 311.63, 332.25 in the file
    assert perplexity.x[0] == 1000.0
    assert perplexity.y[0] == pytest.approx((240.27 + 311.63 + 332.25) / 3)
    assert perplexity.y[-1] == 2674.55  # one sample at 44000


def test_seed_layout_baseline_file(realdata: Path) -> None:
    root = realdata / SEED
    _, runs, _ = scan(root)
    baseline = [r for r in runs if r.is_baseline]
    assert len(baseline) == 1
    run = baseline[0]
    path = root / "moshi-finetune" / "baseline_paper_metrics_results.json"
    assert run.key == "baseline_paper_metrics_results"
    assert run.path == str(path)
    assert run.name == "baseline (moshi-finetune)"
    assert run.step is None and run.experiment is None
    assert run.params == {}
    assert run.metrics == expected_metrics(json.loads(path.read_text()))
    assert run.metrics["paper_metrics_avg"] == 0.6471103019775521


# ---------------------------------------------------------------- real data: paper-metrics files


def test_paper_metrics_root_baseline_progression(realdata: Path) -> None:
    root = realdata / PAPER
    _, runs, result = scan(root)
    assert result.problems == []
    assert len(runs) == 2
    run = next(r for r in runs if r.path == str(root / "baseline_paper_metrics_results.json"))
    assert run.is_baseline
    assert run.key == "baseline_paper_metrics_results"
    assert run.status == "completed"
    assert run.metrics["librilight_perplexity_8k"] == 6336.9645741972345
    assert run.metrics["librilight_samples"] == 129574.0
    assert "librilight_progression" not in run.metrics
    perplexity = run.series["librilight_perplexity"]
    loss = run.series["librilight_loss"]
    assert perplexity.x_kind == "position" and loss.x_kind == "position"
    # 128 entries, 44 distinct positions 1000..44000 (most have 3 samples)
    assert len(perplexity) == 44 and len(loss) == 44
    assert list(perplexity.x) == [float(p) for p in range(1000, 45000, 1000)]
    assert perplexity.samples_x is not None and perplexity.samples_y is not None
    assert len(perplexity.samples_x) == 128 and len(perplexity.samples_y) == 128
    assert np.all(np.diff(perplexity.samples_x) >= 0)
    # position 1000 in the file: perplexity 378.66, 377.04, 390.53; loss 5.9366, 5.9324, 5.9675
    assert perplexity.y[0] == pytest.approx((378.66 + 377.04 + 390.53) / 3)
    assert perplexity.y[0] == pytest.approx(382.0766666666667)
    assert loss.y[0] == pytest.approx((5.9366 + 5.9324 + 5.9675) / 3)
    assert list(perplexity.samples_y[:3]) == [378.66, 377.04, 390.53]
    assert perplexity.y[-1] == 2821.91 and loss.y[-1] == 7.9452
    assert run.notes == [
        "librilight_progression: 128 samples at 44 positions; curves show the mean per position"
    ]


def test_paper_metrics_data_baseline_sentinels(realdata: Path) -> None:
    root = realdata / PAPER
    _, runs, _ = scan(root)
    path = root / "data" / "baseline_paper_metrics_results.json"
    run = next(r for r in runs if r.path == str(path))
    assert run.is_baseline
    assert run.name == "baseline (data)"
    assert "librilight_perplexity_16k" not in run.metrics
    assert "librilight_perplexity_24k" not in run.metrics
    assert run.metrics["librilight_perplexity_8k"] == 3.8483760080133944
    assert run.metrics["sblimp_accuracy"] == 0.64
    assert run.metrics["sblimp_samples"] == 50.0
    assert run.metrics["librilight_samples"] == 14994.0
    assert run.metrics["paper_metrics_avg"] == 0.695
    assert len(run.metrics) == 12
    assert run.series == {}
    assert run.notes == [
        "librilight_perplexity_16k = 0.0 read as missing (not computed)",
        "librilight_perplexity_24k = 0.0 read as missing (not computed)",
    ]


def test_whole_realdata_tree_only_claims_paper_metrics(realdata: Path) -> None:
    claims = Walker(str(realdata)).walk([READER])
    assert sorted(Path(c.folder).relative_to(realdata).parts[0] for c in claims) == sorted(
        [PAPER, PAPER, SEED, SEED, SEED, SEED, SEED]
    )


# ---------------------------------------------------------------- fixture layouts


def test_results_beside_config_without_consolidated(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", CONFIG)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.path == str(folder)
    assert run.step == 300 and run.experiment == "exp_a"
    assert run.name == "exp_a @ 300"
    assert run.metrics == expected_metrics(RESULTS)
    assert run.params == {
        "max_steps": 300,
        "optim.lr": 5e-05,
        "ttt.enable": True,
        "ttt.base_lr": 0.01,
        "tags": [1, 2],
    }


def test_results_in_checkpoint_config_in_consolidated(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path, "checkpoint_002000")
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "consolidated" / "training_config.json", CONFIG)
    write(folder / "consolidated" / "consolidated.safetensors", b"\x00weights")
    claims, runs, result = scan(tmp_path)
    assert result.problems == []
    assert len(claims) == 1
    assert claims[0].prune == frozenset({"consolidated"})
    assert claims[0].files == (
        str(folder / "consolidated" / "training_config.json"),
        str(folder / "paper_metrics_results.json"),
    )
    (run,) = runs
    assert run.path == str(folder) and run.step == 2000
    assert run.params["ttt.base_lr"] == 0.01
    assert run.files == [str(folder / "paper_metrics_results.json"), claims[0].files[0]]


def test_config_beside_wins_over_consolidated(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", {"max_steps": 1})
    write(folder / "consolidated" / "training_config.json", {"max_steps": 2})
    run, _ = only_run(tmp_path)
    assert run.params == {"max_steps": 1}


def test_results_in_both_checkpoint_and_consolidated_are_two_runs(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "consolidated" / "paper_metrics_results.json", {"sblimp_accuracy": 0.5})
    write(folder / "consolidated" / "training_config.json", CONFIG)
    claims, runs, _ = scan(tmp_path)
    assert [c.prune for c in claims] == [frozenset(), frozenset()]
    assert sorted(r.path for r in runs) == [str(folder), str(folder / "consolidated")]
    inner = next(r for r in runs if r.path.endswith("consolidated"))
    assert inner.name == "exp_a @ 300"
    assert inner.metrics == {"sblimp_accuracy": 0.5}
    assert inner.params["max_steps"] == 300


def test_checkpoint_without_checkpoints_parent(tmp_path: Path) -> None:
    folder = tmp_path / "exp_b" / "checkpoint_000050" / "consolidated"
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", CONFIG)
    run, _ = only_run(tmp_path)
    assert (run.step, run.experiment, run.name) == (50, "exp_b", "exp_b @ 50")


def test_plain_run_outside_checkpoints(tmp_path: Path) -> None:
    folder = tmp_path / "my_eval" / "consolidated"
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", CONFIG)
    run, _ = only_run(tmp_path)
    assert (run.step, run.experiment, run.name) == (None, None, "my_eval")


def test_several_prefixed_files_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "evals"
    write(folder / "baseline_paper_metrics_results.json", RESULTS)
    write(folder / "Moshiko-Baseline_paper_metrics_results.json", {"sblimp_accuracy": 0.5})
    write(folder / "ttt_paper_metrics_results.json", {"sblimp_accuracy": 0.6})
    write(folder / "training_config.json", CONFIG)
    claims, runs, result = scan(tmp_path)
    assert result.problems == []
    assert len(claims) == 1
    assert str(folder / "training_config.json") not in claims[0].files
    got = {r.key: (r.name, r.is_baseline, r.path, r.params) for r in runs}
    assert got == {
        "Moshiko-Baseline_paper_metrics_results": (
            "Moshiko-Baseline (evals)",
            True,
            str(folder / "Moshiko-Baseline_paper_metrics_results.json"),
            {},
        ),
        "baseline_paper_metrics_results": (
            "baseline (evals)",
            True,
            str(folder / "baseline_paper_metrics_results.json"),
            {},
        ),
        "ttt_paper_metrics_results": (
            "ttt (evals)",
            False,
            str(folder / "ttt_paper_metrics_results.json"),
            {},
        ),
    }


def test_plain_and_prefixed_results_in_one_checkpoint(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path) / "consolidated"
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "baseline_paper_metrics_results.json", {"sblimp_accuracy": 0.5})
    write(folder / "training_config.json", CONFIG)
    _, runs, _ = scan(tmp_path)
    assert [(r.key, r.name, r.step, bool(r.params)) for r in runs] == [
        ("", "exp_a @ 300", 300, True),
        ("baseline_paper_metrics_results", "baseline (exp_a @ 300)", 300, False),
    ]


def test_claim_ignores_unrelated_folders(tmp_path: Path) -> None:
    write(tmp_path / "run" / "training_config.json", CONFIG)
    write(tmp_path / "run" / "paper_metrics_results.json.bak", RESULTS)
    write(tmp_path / "run" / "metrics.json", RESULTS)
    assert Walker(str(tmp_path)).walk([READER]) == []


# ---------------------------------------------------------------- values


def test_zero_sentinel_only_for_perplexity(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    values = {"librilight_perplexity_24k": 0.0, "librilight_perplexity_8k": 0, "sblimp_accuracy": 0.0}
    write(folder / "paper_metrics_results.json", {**values, "librilight_slope": 0.0})
    write(folder / "training_config.json", CONFIG)
    run, _ = only_run(tmp_path)
    assert run.metrics == {"sblimp_accuracy": 0.0, "librilight_slope": 0.0}
    assert run.notes == [
        "librilight_perplexity_24k = 0.0 read as missing (not computed)",
        "librilight_perplexity_8k = 0.0 read as missing (not computed)",
    ]


def test_nan_infinity_and_non_numbers_are_skipped_with_notes(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    text = (
        '{"sblimp_accuracy": NaN, "swuggy_accuracy": Infinity, "tstory_accuracy": -Infinity,'
        ' "sstory_accuracy": "0.61", "sblimp_samples": true, "swuggy_samples": null,'
        ' "extra": {"a": 1}, "paper_metrics_avg": 0.65}'
    )
    write(folder / "paper_metrics_results.json", text)
    write(folder / "training_config.json", CONFIG)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.metrics == {"paper_metrics_avg": 0.65}
    assert run.notes == [
        "sblimp_accuracy = nan skipped (not a finite number)",
        "swuggy_accuracy = inf skipped (not a finite number)",
        "tstory_accuracy = -inf skipped (not a finite number)",
        "sstory_accuracy = '0.61' skipped (not a number)",
        "sblimp_samples = True skipped (not a number)",
        "swuggy_samples = None skipped (not a number)",
        "extra = {'a': 1} skipped (not a number)",
    ]


def test_progression_with_malformed_entries(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    progression = [
        {"position": 2000, "loss": 6.0, "perplexity": 400.0},
        {"position": 1000, "loss": 5.0, "perplexity": 150.0},
        "garbage",
        {"loss": 5.5, "perplexity": 250.0},  # no position
        {"position": "3000", "loss": 7.0, "perplexity": 1000.0},  # position as text
        {"position": 3000, "loss": "x", "perplexity": None},  # nothing usable
        {"position": 1000, "loss": 5.2, "perplexity": 170.0},
        {"position": 2000, "loss": 6.2},  # loss only: feeds the loss curve alone
    ]
    write(folder / "paper_metrics_results.json", {**RESULTS, "librilight_progression": progression})
    write(folder / "training_config.json", CONFIG)
    run, result = only_run(tmp_path)
    assert result.problems == []
    perplexity, loss = run.series["librilight_perplexity"], run.series["librilight_loss"]
    assert list(perplexity.x) == [1000.0, 2000.0]
    assert list(perplexity.y) == [160.0, 400.0]
    assert list(loss.x) == [1000.0, 2000.0]
    assert loss.y[0] == pytest.approx(5.1) and loss.y[1] == pytest.approx(6.1)
    assert perplexity.samples_x is not None and perplexity.samples_y is not None
    assert list(perplexity.samples_x) == [1000.0, 1000.0, 2000.0]
    assert list(perplexity.samples_y) == [150.0, 170.0, 400.0]
    assert loss.samples_y is not None
    assert list(loss.samples_y) == [5.0, 5.2, 6.0, 6.2]
    assert perplexity.x.dtype == np.float64 and perplexity.y.dtype == np.float64
    assert run.notes[0] == (
        "librilight_progression: 4 of 8 entries skipped (no numeric position, loss or perplexity)"
    )
    assert "librilight_progression" not in run.metrics


def test_progression_not_a_list(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", {**RESULTS, "librilight_progression": {"1000": 3}})
    write(folder / "training_config.json", CONFIG)
    run, _ = only_run(tmp_path)
    assert run.series == {}
    assert run.notes == ["librilight_progression is not a list (dict); ignored"]


def test_progression_only_still_a_run(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    write(folder / "x_paper_metrics_results.json", {"librilight_progression": [{"position": 1, "loss": 2}]})
    run, _ = only_run(tmp_path)
    assert run.metrics == {}
    assert list(run.series) == ["librilight_loss"]


# ---------------------------------------------------------------- broken results files


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"sblimp_accuracy": 0.5,\n  "swuggy_accuracy": 0.6', "truncated JSON (ends at line 2)"),
        ('{"sblimp_accuracy": 0.5, "swuggy_acc', "truncated JSON (ends at line 1)"),  # cut inside a string
        (b"", "empty file"),
        (b"\x00\x01\x02binary", "binary file, not text"),
        (
            "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n",
            "Git LFS pointer, not the real file (run `git lfs pull`)",
        ),
        ("[0.5, 0.6]", "expected a JSON object, found list"),
        ("0.5", "expected a JSON object, found float"),
        ("{}", "no numeric metrics in the results file"),
        ('{"sblimp_accuracy": "n/a"}', "no numeric metrics in the results file"),
        ('{"a": 1} trailing', "malformed JSON"),
    ],
)
def test_broken_results_file_is_a_problem(tmp_path: Path, content: str | bytes, reason: str) -> None:
    folder = seed_checkpoint(tmp_path)
    results = write(folder / "paper_metrics_results.json", content)
    write(folder / "training_config.json", CONFIG)
    _, runs, result = scan(tmp_path)
    assert runs == []
    assert [p.path for p in result.problems] == [str(results)]
    assert result.problems[0].reader == "paper_metrics"
    assert result.problems[0].reason.startswith(reason)


def test_broken_file_run_does_not_hide_its_neighbours(tmp_path: Path) -> None:
    folder = tmp_path / "evals"
    write(folder / "a_paper_metrics_results.json", '{"sblimp_accuracy": ')
    write(folder / "b_paper_metrics_results.json", {"sblimp_accuracy": 0.5})
    write(folder / "paper_metrics_results.json", "[]")
    _, runs, result = scan(tmp_path)
    assert [r.key for r in runs] == ["b_paper_metrics_results"]
    assert sorted(Path(p.path).name for p in result.problems) == [
        "a_paper_metrics_results.json",
        "paper_metrics_results.json",
    ]


# ---------------------------------------------------------------- broken or missing config


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"max_steps": 20', "truncated JSON (ends at line 1); run has no params"),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n", "Git LFS pointer"),
        ("[1, 2]", "expected a JSON object, found list; run has no params"),
        (b"", "empty file; run has no params"),
    ],
)
def test_broken_config_is_a_problem_but_the_run_loads(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    folder = seed_checkpoint(tmp_path)
    results = write(folder / "paper_metrics_results.json", RESULTS)
    config = write(folder / "consolidated" / "training_config.json", content)
    run, result = only_run(tmp_path)
    assert run.metrics == expected_metrics(RESULTS)
    assert run.params == {}
    assert run.files == [str(results)]
    assert [p.path for p in result.problems] == [str(config)]
    assert result.problems[0].reason.startswith(reason)


def test_missing_config_is_a_problem_but_the_run_loads(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path) / "consolidated"
    write(folder / "paper_metrics_results.json", RESULTS)
    run, result = only_run(tmp_path)
    assert run.metrics == expected_metrics(RESULTS)
    assert run.step == 300
    (problem,) = result.problems
    assert problem.path == str(folder / "training_config.json")
    assert problem.reason == (
        "training_config.json not found beside paper_metrics_results.json or in consolidated/;"
        " run has no params"
    )


def test_config_with_nan_and_deep_nesting(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", '{"optim": {"lr": NaN, "sched": {"warmup": 10}}, "seed": 42}')
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert math.isnan(run.params["optim.lr"])
    assert run.params["optim.sched.warmup"] == 10 and run.params["seed"] == 42


# ---------------------------------------------------------------- files vanishing or unreadable


def test_permission_denied_on_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = seed_checkpoint(tmp_path)
    results = write(folder / "paper_metrics_results.json", RESULTS)
    write(folder / "training_config.json", CONFIG)
    claims = Walker(str(tmp_path)).walk([READER])
    real_open = builtins.open

    def guarded(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(results):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    result = READER.read(claims[0])
    assert result.runs == []
    assert [(p.path, p.reason) for p in result.problems] == [(str(results), "permission denied")]


def test_file_vanished_between_claim_and_read(tmp_path: Path) -> None:
    folder = seed_checkpoint(tmp_path)
    write(folder / "paper_metrics_results.json", RESULTS)
    config = write(folder / "training_config.json", CONFIG)
    claims = Walker(str(tmp_path)).walk([READER])
    config.unlink()
    result = READER.read(claims[0])
    assert len(result.runs) == 1 and result.runs[0].params == {}
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(config), "file vanished while scanning; run has no params")
    ]


# ---------------------------------------------------------------- naming helpers


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/r/exp/checkpoints/checkpoint_002000/consolidated", (2000, "exp")),
        ("/r/exp/checkpoints/checkpoint_000200", (200, "exp")),
        ("/r/exp/checkpoint_000050/consolidated", (50, "exp")),
        ("/r/a/checkpoints/checkpoint_000100/inner/checkpoint_000300/consolidated", (300, "inner")),
        ("/r/exp/consolidated", (None, None)),
        ("/r/exp/checkpoint_final/consolidated", (None, None)),
        ("/checkpoint_000007", (7, None)),
    ],
)
def test_checkpoint_position(path: str, expected: tuple[int | None, str | None]) -> None:
    assert checkpoint_position(path) == expected


def test_run_name() -> None:
    assert run_name("/r/exp/checkpoints/checkpoint_002000/consolidated", 2000, "exp") == "exp @ 2000"
    assert run_name("/checkpoint_000007", 7, None) == "checkpoint @ 7"
    assert run_name("/r/my_eval/consolidated", None, None) == "my_eval"
    assert run_name("/r/my_eval", None, None) == "my_eval"


def test_reader_identity() -> None:
    assert READER.name == "paper_metrics"
    assert isinstance(READER.version, int)
