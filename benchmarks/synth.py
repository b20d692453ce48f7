"""Writers of synthetic run folders, byte-shaped like the real files in ``../shared/realdata``.

Used by ``scripts/make_sample_data.py`` (the bundled ``data/`` tree) and by ``benchmarks/generate.py``
(large trees for timing). Every value comes from the caller or from a ``random.Random`` the caller seeds,
so the same calls always write the same bytes.

Formats written, each serialised the way its real producer does:

- seed layout (moshi-finetune TTT fork): ``<experiment>/checkpoints/checkpoint_%06d/consolidated/``
  ``training_config.json`` (``json.dumps(indent=4)``) and ``paper_metrics_results.json``
  (``json.dump(indent=2)``), neither with a trailing newline; a ``baseline_paper_metrics_results.json``.
- Hugging Face Trainer output folder: ``trainer_state.json`` (indent 2, sorted keys, newline),
  ``all_results.json`` / ``train_results.json`` / ``eval_results.json`` (indent 4, sorted, no newline),
  ``config.json`` (indent 2, sorted, newline), optional ``checkpoint-N/`` snapshots.
"""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path
from typing import Any

BENCHMARKS = ("sblimp", "swuggy", "tstory", "sstory")
# Sample counts of the real evaluation sets (accuracy = k / n exactly).
SAMPLES = {"sblimp": 1000, "swuggy": 2000, "tstory": 1871, "sstory": 1871}
# Plausible accuracy range per benchmark, from worst (skill 0) to best (skill 1) fine-tune.
ACCURACY_RANGE = {
    "sblimp": (0.530, 0.560),
    "swuggy": (0.620, 0.652),
    "tstory": (0.750, 0.810),
    "sstory": (0.590, 0.622),
}
METHOD_LR = {"ttt": 5e-05, "lora": 2e-05, "fullft": 2e-06}
DATA_PATHS = {
    "dailytalk": "/data/lab/daily-talk-contiguous/train/dailytalk_train.jsonl",
    "librilight": "/data/lab/librilight/train/librilight_train.jsonl",
}
EVAL_ROOT = "/data/lab/eval"


_WRITTEN: list[Path] = []


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    _WRITTEN.append(path)
    return path


def take_written() -> list[Path]:
    """Paths written since the last call (lets a caller spot stale files it did not rewrite)."""
    paths = list(_WRITTEN)
    _WRITTEN.clear()
    return paths


def f32(value: float) -> float:
    """A float as a float32 tensor prints it (HF logs ``grad_norm`` and eval losses that way)."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


# --------------------------------------------------------------------------------------------------
# Seed layout: training_config.json + paper_metrics_results.json


def make_config(
    experiment: str,
    rng: random.Random,
    *,
    method: str = "ttt",
    dataset: str = "dailytalk",
    ttt_layers: str = "29,30,31",
    ttt_base_lr: float = 0.01,
    lora_rank: int = 64,
    lr: float | None = None,
    max_steps: int = 2000,
    seed: int = 42,
    ttt_mlp_layers: int | None = None,
    librilight_max_files: int = 3,
) -> dict[str, Any]:
    """A ``training_config.json`` dict with exactly the real keys, in the real order.

    ``method`` is "ttt", "lora" or "fullft"; it sets ``ttt.enable``/``lora.enable``/``full_finetuning``
    as the fork's launch scripts do. Fields not given are drawn from ``rng``.
    """
    if method not in METHOD_LR:
        raise ValueError(f"unknown method {method!r}")
    mlp_layers = ttt_mlp_layers if ttt_mlp_layers is not None else rng.choice((3, 5))
    layer_list = [int(x) for x in ttt_layers.split(",")]
    return {
        "data": {"train_data": DATA_PATHS[dataset], "shuffle": False, "eval_data": ""},
        "run_dir": f"/data/lab/runs/{experiment}",
        "moshi_paths": {
            "hf_repo_id": "kyutai/moshiko-pytorch-bf16",
            "mimi_path": None,
            "moshi_path": None,
            "tokenizer_path": None,
            "config_path": None,
        },
        "first_codebook_weight_multiplier": 100.0,
        "text_padding_weight": 0.5,
        "optim": {"lr": lr if lr is not None else METHOD_LR[method], "weight_decay": 0.1, "pct_start": 0.05},
        "seed": seed,
        "num_microbatches": 1,
        "duration_sec": rng.choice((100.0, 200.0)),
        "batch_size": rng.choice((2, 4)),
        "max_norm": 1.0,
        "max_steps": max_steps,
        "log_freq": 5,
        "ckpt_freq": 100,
        "save_adapters": method != "fullft",
        "do_ckpt": True,
        "num_ckpt_keep": 2,
        "eval_freq": 0,
        "do_eval": False,
        "gradient_checkpointing": method == "fullft",
        "world_size": 1,
        "wandb": {
            "project": f"{dataset}-{method}-finetune",
            "offline": False,
            "key": None,
            "run_name": experiment,
        },
        "lora": {"enable": method == "lora", "rank": lora_rank, "scaling": 2.0, "ft_embed": False},
        "full_finetuning": method == "fullft",
        "ttt": {
            "enable": method == "ttt",
            "layers": ttt_layers,
            "base_lr": ttt_base_lr,
            "mini_batch_size": 64,
            "persistent_states": True,
            "initial_gating_alpha": 0.001,
            "override_gating_alpha_on_resume": True,
            "log_inner_loop_losses": False,
            "inner_loop_log_interval": 10,
            "save_inner_loop_plots": False,
            "inner_loop_plot_dir": "./evaluation_plots/inner_loop",
            "optimize_chunk_size": True,
            "chunk_size": None,
            "max_chunk_size": 50,
            "prefer_efficiency": True,
            "ttt_mlp_layers": mlp_layers,
            "ttt_mlp_hidden_dims": None,
            "ttt_mlp_expansion_factor": 4.0,
            "normalize_ttt_output": True,
            "target_output_norm": 25.0,
        },
        "paper_metrics": {
            "paper_metrics_eval": True,
            "paper_metrics_freq": 1000,
            "save_results_json": True,
            "results_dir": "./evaluation_results",
            "paper_metrics_use_silence": True,
            "paper_metrics_use_user_stream": False,
            "ttt_fig5_enable": False,
            "ttt_fig5_max_T": 2048,
            "ttt_fig5_layers": layer_list,
            "ttt_fig5_smooth": 10,
            "sblimp_audio_dir": f"{EVAL_ROOT}/sLM21_dataset/syntactic/test/",
            "sblimp_gold_csv": f"{EVAL_ROOT}/sLM21_dataset/syntactic/test/gold.csv",
            "sblimp_max_pairs": 100,
            "sstory_audio_dir": f"{EVAL_ROOT}/sSC/sSC/",
            "sstory_max_pairs": 100,
            "swuggy_audio_dir": f"{EVAL_ROOT}/sLM21_dataset/lexical/test/",
            "swuggy_gold_csv": f"{EVAL_ROOT}/sLM21_dataset/lexical/test/gold.csv",
            "swuggy_max_pairs": 100,
            "tstory_audio_dir": f"{EVAL_ROOT}/tSC/tSC/",
            "tstory_max_pairs": 100,
            "librilight_evaluation_mode": "pre_concatenated",
            "librilight_concatenated_dir": f"{EVAL_ROOT}/librilight_1hour_sequences",
            "librilight_max_files": librilight_max_files,
        },
        "param_dtype": "bfloat16",
        "overwrite_run_dir": True,
        "resume_from": None,
        "reset_optimizer": False,
        "reset_step": False,
    }


def make_progression(
    rng: random.Random, loss0: float, slope: float, lengths: tuple[int, ...]
) -> list[dict[str, float]]:
    """``librilight_progression``: one point per 1000 tokens for each evaluated sequence, sorted by
    position (so positions repeat, one entry per sequence long enough), loss rising with position."""
    offsets = [rng.gauss(0.0, 0.12) for _ in lengths]
    points: list[dict[str, float]] = []
    for position in range(1000, max(lengths) + 1, 1000):
        losses = [
            loss0 + off + slope * position + rng.gauss(0.0, 0.04)
            for off, length in zip(offsets, lengths, strict=True)
            if position <= length
        ]
        for loss in sorted(losses):
            points.append(
                {"position": position, "loss": round(loss, 4), "perplexity": round(math.exp(loss), 2)}
            )
    return points


def _fit_slope(points: list[dict[str, float]]) -> float:
    """Least-squares slope of loss against position, as the fork reports ``librilight_slope``."""
    xs = [p["position"] for p in points]
    ys = [p["loss"] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def _perplexity_at(points: list[dict[str, float]], position: int) -> float:
    """Mean perplexity of the sequences around ``position`` (within 1000 tokens)."""
    near = [p["perplexity"] for p in points if abs(p["position"] - position) <= 1000]
    return sum(near) / len(near)


def make_paper_metrics(
    rng: random.Random,
    skill: float,
    *,
    loss0: float = 5.8,
    slope: float = 3e-05,
    sequences: int = 3,
    sentinel: bool = False,
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Metrics dict (real key order) and its LibriLight progression.

    ``skill`` (about 0..1) places each accuracy in its plausible range; accuracies are ``k/n`` for the
    real sample counts. Perplexities come from the progression curve. ``sentinel`` mimics a short
    LibriLight evaluation: the 16k/24k perplexities are written as ``0.0`` ("not computed").
    """
    metrics: dict[str, Any] = {}
    for name in BENCHMARKS:
        low, high = ACCURACY_RANGE[name]
        n = SAMPLES[name]
        p = low + (high - low) * skill + rng.gauss(0.0, 0.003)
        k = max(0, min(n, round(p * n)))
        metrics[f"{name}_accuracy"] = k / n
        metrics[f"{name}_samples"] = n
    if sentinel:
        lengths = tuple(rng.randint(7600, 8400) for _ in range(max(1, sequences - 1)))
    else:
        lengths = tuple(rng.randint(41000, 44000) for _ in range(sequences))
    points = make_progression(rng, loss0, slope, lengths)
    metrics["librilight_perplexity_8k"] = _perplexity_at(points, 8000)
    metrics["librilight_perplexity_16k"] = 0.0 if sentinel else _perplexity_at(points, 16000)
    metrics["librilight_perplexity_24k"] = 0.0 if sentinel else _perplexity_at(points, 24000)
    metrics["librilight_slope"] = _fit_slope(points)
    metrics["librilight_samples"] = sum(lengths)
    accuracies = [metrics[f"{name}_accuracy"] for name in BENCHMARKS]
    metrics["paper_metrics_avg"] = sum(accuracies) / 4
    return metrics, points


def _metrics_text(metrics: dict[str, Any], progression: list[dict[str, float]] | None) -> str:
    body = dict(metrics)
    if progression is not None:
        body["librilight_progression"] = progression
    return json.dumps(body, indent=2)


def write_seed_run(
    root: str | Path,
    experiment: str,
    step: int,
    config: dict[str, Any],
    metrics: dict[str, Any],
    progression: list[dict[str, float]] | None = None,
) -> Path:
    """One evaluated checkpoint in the seed layout; returns its ``consolidated`` folder."""
    folder = Path(root) / experiment / "checkpoints" / f"checkpoint_{step:06d}" / "consolidated"
    write_text(folder / "training_config.json", json.dumps(config, indent=4))
    write_text(folder / "paper_metrics_results.json", _metrics_text(metrics, progression))
    return folder


def write_baseline(
    folder: str | Path, metrics: dict[str, Any], progression: list[dict[str, float]] | None = None
) -> Path:
    """``<folder>/baseline_paper_metrics_results.json``: the un-fine-tuned model's results."""
    return write_text(
        Path(folder) / "baseline_paper_metrics_results.json", _metrics_text(metrics, progression)
    )


# --------------------------------------------------------------------------------------------------
# Hugging Face Trainer output folder

MODEL_CONFIGS: dict[str, dict[str, Any]] = {
    "roberta": {
        "_name_or_path": "roberta-base",
        "architectures": ["RobertaForSequenceClassification"],
        "hidden_size": 768,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "model_type": "roberta",
        "vocab_size": 50265,
    },
    "gpt2": {
        "_name_or_path": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "n_embd": 768,
        "n_head": 12,
        "n_layer": 12,
        "n_positions": 1024,
        "model_type": "gpt2",
        "vocab_size": 50257,
    },
    "whisper": {
        "_name_or_path": "openai/whisper-small",
        "architectures": ["WhisperForConditionalGeneration"],
        "d_model": 768,
        "decoder_layers": 12,
        "encoder_layers": 12,
        "model_type": "whisper",
        "vocab_size": 51865,
    },
    "t5": {
        "_name_or_path": "t5-small",
        "architectures": ["T5ForConditionalGeneration"],
        "d_model": 512,
        "num_heads": 8,
        "num_layers": 6,
        "model_type": "t5",
        "vocab_size": 32128,
    },
}


def _curve(start: float, end: float, frac: float, rng: random.Random, noise: float) -> float:
    """Exponential-ish approach from ``start`` to ``end`` with multiplicative noise."""
    value = end + (start - end) * math.exp(-4.0 * frac)
    return value * (1.0 + rng.gauss(0.0, noise))


def _lr_at(step: int, n_steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up then linear decay, as logged (the rate used for ``step``, never exactly 0)."""
    if step < warmup:
        return lr * step / warmup
    return lr * (n_steps - step + 1) / max(1, n_steps - warmup)


def _history(
    rng: random.Random, n_steps: int, spec: dict[str, Any], steps_per_epoch: float
) -> tuple[list[dict[str, Any]], list[float]]:
    """Train rows every ``logging_steps`` and eval rows (separate entries) every ``eval_steps``."""
    rows: list[dict[str, Any]] = []
    losses: list[float] = []
    metric = spec.get("eval_metric")
    for step in range(1, n_steps + 1):
        frac = step / n_steps
        epoch = step / steps_per_epoch
        if step % spec["logging_steps"] == 0:
            loss = round(_curve(spec["loss_start"], spec["loss_end"], frac, rng, 0.04), 4)
            losses.append(loss)
            rows.append(
                {
                    "epoch": epoch,
                    "grad_norm": f32(abs(rng.gauss(2.5, 0.6)) + 0.2),
                    "learning_rate": _lr_at(step, n_steps, spec["lr"], spec["warmup_steps"]),
                    "loss": loss,
                    "step": step,
                }
            )
        if step % spec["eval_steps"] == 0:
            row: dict[str, Any] = {"epoch": epoch, "step": step}
            row["eval_loss"] = f32(
                _curve(spec["loss_start"] * 1.05, spec["loss_end"] * 1.15, frac, rng, 0.01)
            )
            if metric is not None:
                name, start, end = metric
                row[f"eval_{name}"] = _curve(start, end, frac, rng, 0.005)
            runtime = round(spec["eval_samples"] / spec["eval_speed"] * (1 + rng.gauss(0, 0.01)), 4)
            row["eval_runtime"] = runtime
            row["eval_samples_per_second"] = round(spec["eval_samples"] / runtime, 3)
            row["eval_steps_per_second"] = round(spec["eval_samples"] / runtime / 8, 3)
            rows.append(row)
    return rows, losses


def _state(
    spec: dict[str, Any], n_steps: int, global_step: int, rows: list[dict[str, Any]], epoch: float
) -> dict[str, Any]:
    return {
        "best_global_step": spec.get("best_step"),
        "best_metric": spec.get("best_metric"),
        "best_model_checkpoint": spec.get("best_checkpoint"),
        "epoch": epoch,
        "eval_steps": spec["eval_steps"],
        "global_step": global_step,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": rows,
        "logging_steps": spec["logging_steps"],
        "max_steps": n_steps,
        "num_input_tokens_seen": 0,
        "num_train_epochs": spec["num_train_epochs"],
        "save_steps": spec["save_steps"],
        "stateful_callbacks": {
            "TrainerControl": {
                "args": {
                    "should_epoch_stop": False,
                    "should_evaluate": False,
                    "should_log": False,
                    "should_save": True,
                    "should_training_stop": global_step >= n_steps,
                },
                "attributes": {},
            }
        },
        "total_flos": spec["flos_per_step"] * global_step,
        "train_batch_size": spec["train_batch_size"],
        "trial_name": None,
        "trial_params": None,
    }


def _dump_state(path: Path, state: dict[str, Any]) -> None:
    write_text(path, json.dumps(state, indent=2, sort_keys=True) + "\n")


def _dump_results(path: Path, results: dict[str, Any]) -> None:
    write_text(path, json.dumps(results, indent=4, sort_keys=True))


def _model_config(model: str, transformers_version: str) -> str:
    config = dict(MODEL_CONFIGS[model], torch_dtype="float32", transformers_version=transformers_version)
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def write_hf_run(
    root: str | Path,
    name: str,
    n_steps: int,
    rng: random.Random,
    *,
    model: str = "roberta",
    logging_steps: int = 25,
    eval_steps: int = 250,
    save_steps: int = 500,
    snapshots: tuple[int, ...] = (),
    lr: float = 5e-05,
    warmup_steps: int = 0,
    train_batch_size: int = 8,
    train_samples: int = 8000,
    eval_samples: int = 872,
    loss_start: float = 2.5,
    loss_end: float = 0.6,
    eval_metric: tuple[str, float, float] | None = ("accuracy", 0.55, 0.90),
    best_is_loss: bool = False,
    transformers_version: str = "4.46.3",
) -> Path:
    """A finished Trainer output folder (``global_step == max_steps``, results files written).

    ``snapshots`` adds ``checkpoint-N/`` folders whose ``trainer_state.json`` holds the history up
    to N, as the Trainer saves them mid-run.
    """
    folder = Path(root) / name
    steps_per_epoch = train_samples / train_batch_size
    spec: dict[str, Any] = {
        "logging_steps": logging_steps,
        "eval_steps": eval_steps,
        "save_steps": save_steps,
        "lr": lr,
        "warmup_steps": warmup_steps,
        "loss_start": loss_start,
        "loss_end": loss_end,
        "eval_metric": eval_metric,
        "eval_samples": eval_samples,
        "eval_speed": rng.uniform(40.0, 200.0),
        "train_batch_size": train_batch_size,
        "num_train_epochs": math.ceil(n_steps / steps_per_epoch),
        "flos_per_step": float(rng.randint(10**12, 10**13)),
    }
    rows, losses = _history(rng, n_steps, spec, steps_per_epoch)
    evals = [r for r in rows if "eval_loss" in r]
    if best_is_loss and evals:
        best = min(evals, key=lambda r: r["eval_loss"])
        spec["best_step"] = best["step"]
        spec["best_metric"] = best["eval_loss"]
        spec["best_checkpoint"] = f"./{name}/checkpoint-{best['step']}"
    epoch = n_steps / steps_per_epoch
    seconds = n_steps * rng.uniform(0.15, 0.9)
    train = {
        "epoch": epoch,
        "total_flos": spec["flos_per_step"] * n_steps,
        "train_loss": sum(losses) / len(losses),
        "train_runtime": round(seconds, 4),
        "train_samples_per_second": round(n_steps * train_batch_size / seconds, 3),
        "train_steps_per_second": round(n_steps / seconds, 3),
    }
    for snap in snapshots:
        early = [r for r in rows if r["step"] <= snap]
        state = _state(spec, n_steps, snap, early, snap / steps_per_epoch)
        _dump_state(folder / f"checkpoint-{snap}" / "trainer_state.json", state)
        write_text(folder / f"checkpoint-{snap}" / "config.json", _model_config(model, transformers_version))
    final = [*rows, {"step": n_steps, **train}]
    _dump_state(folder / "trainer_state.json", _state(spec, n_steps, n_steps, final, epoch))
    last_eval = {k: v for k, v in evals[-1].items() if k != "step"} if evals else {"epoch": epoch}
    last_eval["eval_samples"] = eval_samples
    _dump_results(folder / "train_results.json", dict(train, train_samples=train_samples))
    _dump_results(folder / "eval_results.json", last_eval)
    _dump_results(folder / "all_results.json", {**train, **last_eval, "train_samples": train_samples})
    write_text(folder / "config.json", _model_config(model, transformers_version))
    return folder
