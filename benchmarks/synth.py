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
- PyTorch Lightning ``CSVLogger``: ``version_N/metrics.csv`` (``csv`` module, sorted columns, CRLF,
  sparse train / val / LR-monitor rows) and ``hparams.yaml`` (``yaml.dump``).
- MLflow file store: ``mlruns/<experiment>/<run>/{meta.yaml,params/,metrics/,tags/}``; one value per
  file, metric lines ``<timestamp_ms> <value> <step>``.
- lm-evaluation-harness v0.4: ``<model_name_sanitized>/results_<iso time>.json`` (indent 2), metric
  keys with a filter (``acc,none``), one file per evaluated checkpoint.
- moshi-finetune run folder: ``args.yaml``, ``metrics.train.jsonl``, ``metrics.eval.jsonl``.
- Plain-text logs: llm.c (``s:N trl:X``) and modded-nanogpt (``step:N/T train_loss:X ...``).
- TensorBoard event files as PyTorch's ``SummaryWriter`` writes them (TFRecord framing, ``simple_value``
  scalars, ``add_hparams`` in a ``<time.time()>/`` sub-folder), encoded here without any package.
"""

from __future__ import annotations

import json
import math
import random
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from dashboard.ingest.tensorboard import masked_crc32c

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


def write_binary(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
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


# --------------------------------------------------------------------------------------------------
# Shared helpers of the formats below

# Where synthetic clocks start: 2024-03-01 00:00 UTC, plus whatever offset the caller's rng draws.
EPOCH_START = 1_709_251_200.0


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (``uuid.uuid4`` would not be reproducible)."""
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def _cosine_lr(step: int, n_steps: int, lr: float, warmup: int) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    return lr * 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, n_steps - warmup)))


# --------------------------------------------------------------------------------------------------
# PyTorch Lightning CSVLogger: version_N/{metrics.csv,hparams.yaml}

LIGHTNING_COLUMNS = ("epoch", "lr-AdamW", "step", "train_acc", "train_loss", "val_acc", "val_loss")


def _lightning_row(cells: dict[str, Any]) -> str:
    """One row as ``csv.DictWriter`` writes it: ``str`` of each number, missing cells empty."""
    return ",".join("" if cells.get(c) is None else str(cells[c]) for c in LIGHTNING_COLUMNS)


def _lightning_rows(rng: random.Random, spec: dict[str, Any]) -> list[str]:
    """Sparse rows in logging order: LR monitor at each epoch start, train every ``log_every``
    steps, validation every ``val_every``; a few train losses are logged NaNs."""
    n_steps, per_epoch = spec["n_steps"], spec["steps_per_epoch"]
    rows = [",".join(LIGHTNING_COLUMNS)]
    for step in range(n_steps):
        epoch, frac = step // per_epoch, (step + 1) / n_steps
        if step % per_epoch == 0:
            rows.append(_lightning_row({"lr-AdamW": _cosine_lr(step, n_steps, spec["lr"], 0), "step": step}))
        if (step + 1) % spec["log_every"] == 0:
            loss = f32(_curve(spec["loss_start"], spec["loss_end"], frac, rng, 0.08))
            acc = f32(min(1.0, _curve(0.1, spec["acc_end"], frac, rng, 0.03)))
            nan = rng.random() < spec["nan_rate"]
            cells = {"epoch": epoch, "step": step, "train_acc": acc, "train_loss": math.nan if nan else loss}
            rows.append(_lightning_row(cells))
        if (step + 1) % spec["val_every"] == 0:
            loss = f32(_curve(spec["loss_start"], spec["loss_end"] * 1.1, frac, rng, 0.01))
            acc = f32(min(1.0, _curve(0.1, spec["acc_end"] * 0.97, frac, rng, 0.005)))
            rows.append(_lightning_row({"epoch": epoch, "step": step, "val_acc": acc, "val_loss": loss}))
    return rows


def write_lightning_run(
    root: str | Path,
    project: str,
    version: int,
    rng: random.Random,
    *,
    n_steps: int = 1000,
    log_every: int = 1,
    val_every: int = 100,
    steps_per_epoch: int = 250,
    lr: float = 1e-3,
    loss_start: float = 2.3,
    loss_end: float = 0.3,
    acc_end: float = 0.9,
    nan_rate: float = 0.002,
    hparams: dict[str, Any] | None = None,
) -> Path:
    """``<root>/<project>/lightning_logs/version_<N>/``, as ``CSVLogger`` leaves a finished run.

    ``metrics.csv`` has sorted columns (a hyphenated ``lr-AdamW``), CRLF line ends (the ``csv``
    module's default) and sparse rows; ``hparams.yaml`` is ``yaml.dump`` of the hyperparameters.
    """
    folder = Path(root) / project / "lightning_logs" / f"version_{version}"
    spec = {
        "n_steps": n_steps,
        "log_every": log_every,
        "val_every": val_every,
        "steps_per_epoch": steps_per_epoch,
        "lr": lr,
        "loss_start": loss_start,
        "loss_end": loss_end,
        "acc_end": acc_end,
        "nan_rate": nan_rate,
    }
    rows = _lightning_rows(rng, spec)
    if hparams is None:
        hparams = {
            "batch_size": rng.choice((32, 64, 128)),
            "dropout": rng.choice((0.0, 0.1, 0.2)),
            "hidden_size": rng.choice((128, 256, 512)),
            "learning_rate": lr,
            "max_epochs": math.ceil(n_steps / steps_per_epoch),
            "num_layers": rng.choice((2, 4, 6)),
            "optimizer": {"betas": [0.9, 0.999], "name": "AdamW", "weight_decay": 0.01},
            "scheduler": "cosine",
        }
    write_text(folder / "metrics.csv", "\r\n".join(rows) + "\r\n")
    write_text(folder / "hparams.yaml", yaml.dump(hparams))
    return folder


# --------------------------------------------------------------------------------------------------
# MLflow file store: mlruns/<experiment>/<run>/{meta.yaml,params/,metrics/,tags/}

RUN_NAME_WORDS = (
    ("bold", "calm", "clever", "dapper", "eager", "gentle", "honest", "lucky", "merry", "quiet"),
    ("ape", "bat", "cod", "doe", "eel", "fox", "gnu", "hen", "owl", "yak"),
)


def _mlflow_yaml(data: dict[str, Any]) -> str:
    """MLflow's ``write_yaml``: safe dump, block style, sorted keys."""
    return yaml.safe_dump(data, default_flow_style=False, allow_unicode=True)


def _mlflow_metric(rng: random.Random, steps: range, start_ms: int, ms_per_step: int, value: Any) -> str:
    """``<timestamp_ms> <value> <step>`` lines, as ``FileStore.log_metric`` appends them."""
    lines = []
    for step in steps:
        stamp = start_ms + step * ms_per_step + rng.randint(0, ms_per_step // 4)
        lines.append(f"{stamp} {value(step)} {step}\n")
    return "".join(lines)


def _write_mlflow_run(
    folder: Path, rng: random.Random, spec: dict[str, Any], start_ms: int, running: bool
) -> int:
    """One run folder; returns its end time (ms)."""
    n_steps = spec["n_steps"] * 3 // 5 if running else spec["n_steps"]
    ms_per_step = rng.randint(200, 2000)
    end_ms = start_ms + n_steps * ms_per_step + rng.randint(1000, 9000)
    name = f"{rng.choice(RUN_NAME_WORDS[0])}-{rng.choice(RUN_NAME_WORDS[1])}-{rng.randint(1, 999)}"
    lr, loss0, loss1 = rng.choice((1e-4, 3e-4, 1e-3)), rng.uniform(1.5, 3.0), rng.uniform(0.1, 0.6)
    params = {
        "batch_size": rng.choice((32, 64, 128)),
        "dropout": rng.choice((0.1, 0.2, 0.3)),
        "epochs": spec["n_steps"] // 50,
        "image_size": [224, 224, 3],
        "learning_rate": lr,
        "model": rng.choice(("resnet18", "resnet50", "efficientnet_b0")),
        "optimizer": "Adam",
        "pretrained": rng.random() < 0.5,
        "seed": rng.choice((0, 42, 1234)),
        "weight_decay": 0.0001,
    }
    for key, value in params.items():
        write_text(folder / "params" / key, str(value))
    tags = {
        "mlflow.runName": name,
        "mlflow.source.git.commit": _hex(rng, 40),
        "mlflow.source.name": "train.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.user": "lab",
    }
    for key, value in tags.items():
        write_text(folder / "tags" / key, value)
    every, steps = spec["val_every"], range(n_steps)

    def train(step: int) -> float:
        return _curve(loss0, loss1, step / spec["n_steps"], rng, 0.05)

    def val_loss(step: int) -> float:
        return _curve(loss0, loss1 * 1.2, step / spec["n_steps"], rng, 0.01)

    def val_acc(step: int) -> float:
        return min(1.0, _curve(0.2, 0.92, step / spec["n_steps"], rng, 0.005))

    metrics = folder / "metrics"
    write_text(metrics / "loss", _mlflow_metric(rng, steps, start_ms, ms_per_step, train))

    def lr_at(step: int) -> float:
        return _cosine_lr(step, spec["n_steps"], lr, 0)

    write_text(metrics / "learning_rate", _mlflow_metric(rng, steps, start_ms, ms_per_step, lr_at))
    val_steps = range(every - 1, n_steps, every)
    write_text(metrics / "val_loss", _mlflow_metric(rng, val_steps, start_ms, ms_per_step, val_loss))
    write_text(metrics / "val_accuracy", _mlflow_metric(rng, val_steps, start_ms, ms_per_step, val_acc))
    run_id = folder.name
    meta: dict[str, Any] = {
        "artifact_uri": f"{spec['location']}/{folder.parent.name}/{run_id}/artifacts",
        "end_time": None if running else end_ms,
        "entry_point_name": "",
        "experiment_id": folder.parent.name,
        "lifecycle_stage": "active",
        "run_id": run_id,
        "run_name": name,
        "run_uuid": run_id,
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": start_ms,
        "status": 1 if running else 3,
        "tags": [],
        "user_id": "lab",
    }
    write_text(folder / "meta.yaml", _mlflow_yaml(meta))
    return end_ms


def write_mlflow_store(
    root: str | Path,
    project: str,
    n_runs: int,
    rng: random.Random,
    *,
    experiment: str = "baseline-sweep",
    n_steps: int = 500,
    val_every: int = 10,
    running: int = 0,
) -> Path:
    """``<root>/<project>/mlruns``: the empty ``Default`` experiment ``0`` MLflow always creates and
    one named experiment (a MLflow 2 style numeric id) with ``n_runs`` runs, the last ``running`` of
    them still RUNNING (status 1, no end time, 60% of the steps). Each run logs ``loss`` and
    ``learning_rate`` every step and ``val_loss`` / ``val_accuracy`` every ``val_every`` steps;
    params and tags are one file each without a trailing newline, as MLflow writes them.
    """
    store = Path(root) / project / "mlruns"
    location = f"file:///home/lab/{project}/mlruns"
    created = int(EPOCH_START * 1000) + rng.randint(0, 30 * 86_400_000)
    default = {
        "artifact_location": f"{location}/0",
        "creation_time": created,
        "experiment_id": "0",
        "last_update_time": created,
        "lifecycle_stage": "active",
        "name": "Default",
    }
    write_text(store / "0" / "meta.yaml", _mlflow_yaml(default))
    exp_id = str(rng.randint(10**17, 10**18 - 1))
    meta = dict(default, artifact_location=f"{location}/{exp_id}", experiment_id=exp_id, name=experiment)
    write_text(store / exp_id / "meta.yaml", _mlflow_yaml(meta))
    spec = {"n_steps": n_steps, "val_every": val_every, "location": location}
    start = created + 60_000
    for index in range(n_runs):
        run_dir = store / exp_id / _hex(rng, 32)
        start = _write_mlflow_run(run_dir, rng, spec, start, index >= n_runs - running) + 5_000
    return store


# --------------------------------------------------------------------------------------------------
# lm-evaluation-harness v0.4 results files

# task -> (dataset_path, dataset_name, samples, chance accuracy, best accuracy, metrics)
LM_EVAL_TASKS: dict[str, tuple[str, str | None, int, float, float, tuple[str, ...]]] = {
    "arc_challenge": ("allenai/ai2_arc", "ARC-Challenge", 1172, 0.20, 0.45, ("acc", "acc_norm")),
    "arc_easy": ("allenai/ai2_arc", "ARC-Easy", 2376, 0.27, 0.75, ("acc", "acc_norm")),
    "boolq": ("super_glue", "boolq", 3270, 0.45, 0.75, ("acc",)),
    "copa": ("super_glue", "copa", 100, 0.50, 0.85, ("acc",)),
    "hellaswag": ("hellaswag", None, 10042, 0.25, 0.60, ("acc", "acc_norm")),
    "lambada_openai": ("EleutherAI/lambada_openai", "default", 5153, 0.0, 0.70, ("perplexity", "acc")),
    "logiqa": ("EleutherAI/logiqa", "logiqa", 651, 0.20, 0.30, ("acc", "acc_norm")),
    "mmlu_abstract_algebra": ("hails/mmlu_no_train", "abstract_algebra", 100, 0.22, 0.32, ("acc",)),
    "mmlu_anatomy": ("hails/mmlu_no_train", "anatomy", 135, 0.22, 0.45, ("acc",)),
    "mmlu_astronomy": ("hails/mmlu_no_train", "astronomy", 152, 0.20, 0.45, ("acc",)),
    "mmlu_college_biology": ("hails/mmlu_no_train", "college_biology", 144, 0.22, 0.50, ("acc",)),
    "mmlu_marketing": ("hails/mmlu_no_train", "marketing", 234, 0.25, 0.65, ("acc",)),
    "mmlu_nutrition": ("hails/mmlu_no_train", "nutrition", 306, 0.22, 0.50, ("acc",)),
    "openbookqa": ("openbookqa", "main", 500, 0.15, 0.35, ("acc", "acc_norm")),
    "piqa": ("baber/piqa", None, 1838, 0.55, 0.80, ("acc", "acc_norm")),
    "rte": ("super_glue", "rte", 277, 0.48, 0.65, ("acc",)),
    "sciq": ("sciq", None, 1000, 0.40, 0.94, ("acc", "acc_norm")),
    "wic": ("super_glue", "wic", 638, 0.48, 0.55, ("acc",)),
    "winogrande": ("winogrande", "winogrande_xl", 1267, 0.49, 0.70, ("acc",)),
    "wsc273": ("winograd_wsc", "wsc273", 273, 0.50, 0.85, ("acc",)),
}
LM_EVAL_ENV = (
    "PyTorch version: 2.3.1+cu121\nIs debug build: False\nCUDA used to build PyTorch: 12.1\n"
    "ROCM used to build PyTorch: N/A\n\nOS: Ubuntu 22.04.4 LTS (x86_64)\nGCC version: (Ubuntu "
    "11.4.0-1ubuntu1~22.04) 11.4.0\nClang version: Could not collect\nCMake version: version 3.29.3\n"
    "Libc version: glibc-2.35\n\nPython version: 3.10.14 (main, May  6 2024, 19:42:50) [GCC 11.2.0] "
    "(64-bit runtime)\nIs CUDA available: True\nCUDA runtime version: 12.1.105\nGPU models and "
    "configuration: \nGPU 0: NVIDIA A100-SXM4-80GB\n\nNvidia driver version: 535.161.08\n\n"
    "Versions of relevant libraries:\n[pip3] numpy==1.26.4\n[pip3] torch==2.3.1\n[pip3] "
    "transformers==4.41.2\n[conda] Could not collect"
)


def _lm_eval_config(task: str) -> dict[str, Any]:
    """The task's YAML config as v0.4 echoes it under ``configs``."""
    path, name, _, _, _, metrics = LM_EVAL_TASKS[task]
    ppl = metrics[0] == "perplexity"
    return {
        "task": task,
        "dataset_path": path,
        "dataset_name": name,
        "validation_split": "validation",
        "test_split": "test",
        "doc_to_text": "{{text.split(' ')[:-1]|join(' ')}}" if ppl else "Question: {{question}}\nAnswer:",
        "doc_to_target": "{{' '+text.split(' ')[-1]}}" if ppl else "{{label}}",
        "doc_to_choice": None if ppl else "{{choices}}",
        "description": "",
        "target_delimiter": " ",
        "fewshot_delimiter": "\n\n",
        "num_fewshot": 0,
        "metric_list": [
            {
                "metric": m,
                "aggregation": "perplexity" if m == "perplexity" else "mean",
                "higher_is_better": m != "perplexity",
            }
            for m in metrics
        ],
        "output_type": "loglikelihood" if ppl else "multiple_choice",
        "repeats": 1,
        "should_decontaminate": False,
        "metadata": {"version": 1.0},
    }


def _lm_eval_scores(rng: random.Random, task: str, skill: float) -> dict[str, Any]:
    """``alias`` then ``<metric>,none`` / ``<metric>_stderr,none`` pairs; accuracies are k/n."""
    _, _, n, chance, best, metrics = LM_EVAL_TASKS[task]
    entry: dict[str, Any] = {"alias": task}
    for metric in metrics:
        if metric == "perplexity":
            ppl = math.exp(math.log(3000.0) * (1 - skill) + math.log(4.5) * skill) * rng.uniform(0.95, 1.05)
            entry["perplexity,none"] = ppl
            entry["perplexity_stderr,none"] = ppl * rng.uniform(0.03, 0.05)
            continue
        lift = 0.02 if metric == "acc_norm" else 0.0
        p = chance + (best - chance) * skill + lift + rng.gauss(0.0, 0.01)
        k = max(0, min(n, round(p * n)))
        entry[f"{metric},none"] = k / n
        entry[f"{metric}_stderr,none"] = math.sqrt((k / n) * (1 - k / n) / (n - 1))
    return entry


def make_lm_eval_results(
    rng: random.Random, model: str, step: int, skill: float, when: float, n_params: int
) -> dict[str, Any]:
    """A v0.4 results document (key order as ``EvaluationTracker`` writes it) for one checkpoint."""
    tasks = sorted(LM_EVAL_TASKS)
    start = rng.uniform(20.0, 40.0)
    took = rng.uniform(600.0, 2400.0)
    return {
        "results": {task: _lm_eval_scores(rng, task, skill) for task in tasks},
        "group_subtasks": {task: [] for task in reversed(tasks)},
        "configs": {task: _lm_eval_config(task) for task in tasks},
        "versions": {task: 1.0 for task in tasks},
        "n-shot": {task: 0 for task in tasks},
        "higher_is_better": {task: {m: m != "perplexity" for m in LM_EVAL_TASKS[task][5]} for task in tasks},
        "n-samples": {
            task: {"original": LM_EVAL_TASKS[task][2], "effective": LM_EVAL_TASKS[task][2]} for task in tasks
        },
        "config": {
            "model": "hf",
            "model_args": f"pretrained={model},revision=step{step},dtype=float16",
            "model_num_parameters": n_params,
            "model_dtype": "torch.float16",
            "model_revision": f"step{step}",
            "model_sha": _hex(rng, 40),
            "batch_size": "auto",
            "batch_sizes": [64],
            "device": "cuda:0",
            "use_cache": None,
            "limit": None,
            "bootstrap_iters": 100000,
            "gen_kwargs": None,
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": _hex(rng, 7),
        "date": when,
        "pretty_env_info": LM_EVAL_ENV,
        "transformers_version": "4.41.2",
        "upper_git_hash": None,
        "tokenizer_pad_token": ["<|endoftext|>", "0"],
        "tokenizer_eos_token": ["<|endoftext|>", "0"],
        "tokenizer_bos_token": ["<|endoftext|>", "0"],
        "eot_token_id": 0,
        "max_length": 2048,
        "task_hashes": {},
        "model_source": "hf",
        "model_name": model,
        "model_name_sanitized": model.replace("/", "__"),
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": False,
        "chat_template": None,
        "chat_template_sha": None,
        "start_time": start,
        "end_time": start + took,
        "total_evaluation_time_seconds": str(took),
    }


def write_lm_eval_results(
    root: str | Path,
    model: str,
    steps: tuple[int, ...],
    rng: random.Random,
    *,
    final_skill: float = 0.5,
    n_params: int = 162_322_944,
) -> list[Path]:
    """``<root>/<model_name_sanitized>/results_<time>.json``, one per checkpoint ``revision=step<N>``,
    as ``lm_eval --output_path <root>`` leaves a sweep over a Pythia-like model's checkpoints.

    Skill grows with the log of the step up to ``final_skill`` at the last one. Each file is
    ``json.dumps(indent=2, ensure_ascii=False)`` without a trailing newline.
    """
    folder = Path(root) / model.replace("/", "__")
    when = EPOCH_START + rng.uniform(0, 60 * 86_400)
    paths = []
    for step in steps:
        skill = final_skill * math.log1p(step) / math.log1p(max(steps))
        data = make_lm_eval_results(rng, model, step, skill, when, n_params)
        stamp = datetime.fromtimestamp(when, tz=timezone.utc).replace(tzinfo=None).isoformat()
        name = f"results_{stamp.replace(':', '-')}.json"
        paths.append(write_text(folder / name, json.dumps(data, indent=2, ensure_ascii=False)))
        when += data["end_time"] - data["start_time"] + rng.uniform(30.0, 300.0)
    return paths


# --------------------------------------------------------------------------------------------------
# moshi-finetune run folder: args.yaml + metrics.train.jsonl + metrics.eval.jsonl

GIB = 1024**3


def make_moshi_args(name: str, rng: random.Random, *, max_steps: int, lr: float) -> dict[str, Any]:
    """``dataclasses.asdict(TrainArgs)`` of upstream moshi-finetune (no TTT fields)."""
    return {
        "data": {
            "eval_data": "/data/lab/dailytalk/eval.jsonl",
            "shuffle": True,
            "train_data": "/data/lab/dailytalk/train.jsonl",
        },
        "run_dir": f"/data/lab/runs/{name}",
        "moshi_paths": {
            "hf_repo_id": "kyutai/moshiko-pytorch-bf16",
            "mimi_path": None,
            "moshi_path": None,
            "tokenizer_path": None,
            "config_path": None,
        },
        "first_codebook_weight_multiplier": 100.0,
        "text_padding_weight": 0.5,
        "optim": {"lr": lr, "weight_decay": 0.1, "pct_start": 0.05},
        "seed": rng.choice((0, 42)),
        "num_microbatches": 1,
        "duration_sec": rng.choice((100.0, 200.0)),
        "batch_size": rng.choice((8, 16)),
        "max_norm": 1.0,
        "max_steps": max_steps,
        "log_freq": 1,
        "ckpt_freq": 500,
        "save_adapters": True,
        "do_ckpt": True,
        "num_ckpt_keep": 3,
        "eval_freq": 100,
        "do_eval": True,
        "gradient_checkpointing": True,
        "world_size": rng.choice((1, 8)),
        "wandb": {"project": None, "offline": False, "key": None, "run_name": None},
        "lora": {"enable": True, "rank": rng.choice((64, 128)), "scaling": 2.0, "ft_embed": False},
        "full_finetuning": False,
        "param_dtype": "bfloat16",
        "overwrite_run_dir": False,
    }


def _moshi_train_row(step: int, spec: dict[str, Any], rng: random.Random, at: datetime) -> dict[str, Any]:
    """``get_train_logs`` + the ``at`` that ``MetricsLogger.log`` adds, keys in their order."""
    max_steps = spec["max_steps"]
    warmup = max(1, round(0.05 * max_steps))
    return {
        "lr": _cosine_lr(step - 1, max_steps, spec["lr"], warmup),
        "step": step,
        "loss": _curve(spec["loss_start"], spec["loss_end"], step / max_steps, rng, 0.03),
        "prob_real_tokens": rng.uniform(0.40, 0.46),
        "percent_done": 100 * step / max_steps,
        "peak_allocated_mem": spec["peak"] / GIB,
        "allocated_mem": (spec["peak"] - rng.randint(0, 2 * GIB)) / GIB,
        "wps": spec["wps"] * (1 + rng.gauss(0.0, 0.02)),
        "avg_wps": spec["wps"],
        "eta_in_seconds": (max_steps - step) * spec["seconds"],
        "at": at.isoformat(),
    }


def write_jsonl_run(
    root: str | Path,
    name: str,
    rng: random.Random,
    *,
    n_steps: int = 1000,
    max_steps: int | None = None,
    eval_every: int = 100,
    lr: float = 2e-06,
) -> Path:
    """``<root>/<name>/``: a moshi-finetune run directory after ``n_steps`` steps of ``max_steps``
    (default: finished). One train row per step (``log_freq: 1``), an eval row every ``eval_every``
    steps, each ``json.dumps(row)`` + newline; ``args.yaml`` is ``yaml.dump`` of ``TrainArgs``; the
    last checkpoint keeps its ``consolidated/config.json``.
    """
    folder = Path(root) / name
    max_steps = max_steps or n_steps
    spec = {
        "max_steps": max_steps,
        "lr": lr,
        "loss_start": rng.uniform(3.5, 4.5),
        "loss_end": rng.uniform(1.8, 2.6),
        "peak": rng.randint(55, 75) * GIB + rng.randint(0, GIB),
        "wps": rng.uniform(1200.0, 2400.0),
        "seconds": rng.uniform(1.5, 4.0),
    }
    start = datetime(2025, 3, 1) + timedelta(seconds=rng.randint(0, 60 * 86_400))
    train, evals = [], []
    for step in range(1, n_steps + 1):
        at = start + timedelta(seconds=step * spec["seconds"], microseconds=rng.randint(0, 999_999))
        row = _moshi_train_row(step, spec, rng, at)
        train.append(json.dumps(row) + "\n")
        if step % eval_every == 0:
            loss = _curve(spec["loss_start"] * 1.05, spec["loss_end"] * 1.1, step / max_steps, rng, 0.01)
            text, audio = loss * rng.uniform(0.5, 0.6), loss * rng.uniform(1.1, 1.2)
            evals.append(
                json.dumps(
                    {
                        "step": step,
                        "train_loss": row["loss"],
                        "perplexity": math.exp(loss),
                        "eval_loss": loss,
                        "text_eval_loss": text,
                        "audio_eval_loss": audio,
                        "at": (at + timedelta(seconds=30)).isoformat(),
                    }
                )
                + "\n"
            )
    write_text(folder / "args.yaml", yaml.dump(make_moshi_args(name, rng, max_steps=max_steps, lr=lr)))
    write_text(folder / "metrics.train.jsonl", "".join(train))
    write_text(folder / "metrics.eval.jsonl", "".join(evals))
    checkpoint = folder / "checkpoints" / f"checkpoint_{n_steps:06d}" / "consolidated"
    write_text(checkpoint / "config.json", json.dumps({"dim": 4096, "num_heads": 32, "num_layers": 32}))
    return folder


# --------------------------------------------------------------------------------------------------
# Plain-text training logs: llm.c and modded-nanogpt

MODDED_PREAMBLE = """import os
import sys
with open(sys.argv[0]) as f:
    code = f.read() # read the code of this file ASAP, for logging
import uuid
import time
import torch

def print0(s, logonly=False):
    if master_process:
        with open(logfile, "a") as f:
            if not logonly:
                print(s)
            f.write(s+'\\n')

# begin the training loop
for step in range(args.num_iterations + 1):
    last_step = (step == args.num_iterations)
    if (last_step or (args.val_loss_every > 0 and step % args.val_loss_every == 0)):
        val_loss /= val_steps
        print0(f'step:{step}/{args.num_iterations} val_loss:{val_loss:.4f} train_time:{training_time_ms:.0f}ms')
    if last_step:
        break
    approx_time = training_time_ms + 1000 * (time.perf_counter() - t0)
    print0(f"step:{step+1}/{args.num_iterations} train_loss:{train_loss.item():.4f} train_time:{approx_time:.0f}ms")

print0(f"peak memory consumption: {torch.cuda.max_memory_allocated() // 1024 // 1024} MiB")
"""
NVIDIA_SMI = """+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|=========================================+========================+======================|
|   0  NVIDIA H100 80GB HBM3          On  |   00000000:19:00.0 Off |                    0 |
| N/A   31C    P0            117W /  700W |    2231MiB /  81559MiB |      0%      Default |
+-----------------------------------------+------------------------+----------------------+
"""


def _llmc_lines(rng: random.Random, n_steps: int, val_every: int, loss: Any) -> list[str]:
    """``s:N tel:X`` every ``val_every`` steps and at the end, ``s:N trl:X`` every step before it."""
    lines = []
    for step in range(n_steps + 1):
        if step % val_every == 0 or step == n_steps:
            lines.append(f"s:{step} tel:{loss(step, 0.005) * 1.01:f}\n")
        if step < n_steps:
            lines.append(f"s:{step} trl:{loss(step, 0.02):f}\n")
    return lines


def _modded_lines(rng: random.Random, n_steps: int, val_every: int, loss: Any) -> list[str]:
    """The script's own source, an environment banner, then ``step:N/T ...`` lines."""
    lines = [
        MODDED_PREAMBLE,
        "=" * 100 + "\n",
        "Running python 3.12.7 (main, Oct  1 2024, 08:52:12) [GCC 11.4.0]\n",
    ]
    lines += ["Running pytorch 2.6.0.dev20241203+cu124 compiled for CUDA 12.4\n", NVIDIA_SMI]
    lines.append("=" * 100 + "\n")
    ms_per_step, elapsed = rng.uniform(150.0, 400.0), 0.0
    for step in range(n_steps + 1):
        avg = f"{elapsed / (step - 10):.2f}" if step > 10 else "nan"
        if step % val_every == 0 or step == n_steps:
            lines.append(
                f"step:{step}/{n_steps} val_loss:{loss(step, 0.005) * 1.01:.4f} "
                f"train_time:{elapsed:.0f}ms step_avg:{avg}ms\n"
            )
        if step == n_steps:
            break
        elapsed += ms_per_step * (1 + rng.gauss(0.0, 0.01)) if step >= 10 else 0.0
        avg = f"{elapsed / (step + 1 - 10):.2f}" if step + 1 > 10 else "nan"
        lines.append(
            f"step:{step + 1}/{n_steps} train_loss:{loss(step + 1, 0.02):.4f} "
            f"train_time:{elapsed:.0f}ms step_avg:{avg}ms\n"
        )
    lines.append(f"peak memory consumption: {rng.randint(28000, 34000)} MiB\n")
    return lines


def write_text_log(
    root: str | Path,
    rng: random.Random,
    *,
    style: str = "modded",
    n_steps: int = 2000,
    val_every: int = 125,
    loss_start: float = 10.97,
    loss_end: float = 3.28,
) -> Path:
    """``<root>/<uuid>.txt`` (modded-nanogpt: the script's source, a banner and ``nvidia-smi`` as
    noise before ``step:N/T`` lines, step_avg ``nan`` for the first ten steps) or ``<root>/<uuid>.log``
    (llm.c: only ``s:N trl:X`` / ``s:N tel:X`` lines, like the real record)."""
    if style not in ("modded", "llmc"):
        raise ValueError(f"unknown log style {style!r}")

    def loss(step: int, noise: float) -> float:
        return _curve(loss_start, loss_end, step / n_steps, rng, noise)

    make = _modded_lines if style == "modded" else _llmc_lines
    suffix = ".txt" if style == "modded" else ".log"
    return write_text(Path(root) / f"{_uuid(rng)}{suffix}", "".join(make(rng, n_steps, val_every, loss)))


# --------------------------------------------------------------------------------------------------
# TensorBoard event files, as torch.utils.tensorboard.SummaryWriter writes them


def _masked_crc(data: bytes) -> int:
    # The reader's implementation; its correctness is tested against the published CRC-32C value.
    return masked_crc32c(data)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _pb(number: int, value: bytes | str | int | float, kind: str = "bytes") -> bytes:
    """One protobuf field: ``bytes`` (length-delimited; text is UTF-8), ``int`` (varint), ``double``,
    ``float``."""
    if isinstance(value, (bytes, str)):
        data = value.encode() if isinstance(value, str) else value
        return _varint(number << 3 | 2) + _varint(len(data)) + data
    if kind == "int":
        return _varint(number << 3) + _varint(int(value))
    if kind == "double":
        return _varint(number << 3 | 1) + struct.pack("<d", value)
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def _record(event: bytes) -> bytes:
    """TFRecord framing: length, its masked CRC-32C, the data, its masked CRC-32C."""
    header = struct.pack("<Q", len(event))
    return header + struct.pack("<I", _masked_crc(header)) + event + struct.pack("<I", _masked_crc(event))


def _event(wall_time: float, step: int, summary: bytes) -> bytes:
    return _pb(1, wall_time, "double") + (_pb(2, step, "int") if step else b"") + _pb(5, summary)


def _scalar(tag: str, value: float) -> bytes:
    """``Summary(value=[Value(tag, simple_value)])``: ``add_scalar`` without ``new_style``."""
    return _pb(1, _pb(1, tag) + _pb(2, value, "float"))


def _plugin_summary(tag: str, content: bytes) -> bytes:
    metadata = _pb(1, _pb(1, "hparams") + _pb(2, content))
    return _pb(1, _pb(1, tag) + _pb(9, metadata))


def _pb_value(value: Any) -> bytes:
    """google.protobuf.Value: number 2, string 3, bool 4."""
    if isinstance(value, bool):
        return _pb(4, int(value), "int")
    if isinstance(value, (int, float)):
        return _pb(2, float(value), "double")
    return _pb(3, str(value))


def _hparams_events(hparams: dict[str, Any], metrics: dict[str, float], when: float) -> list[bytes]:
    """What ``add_hparams`` writes: the experiment, session start (the values) and session end."""
    infos = b"".join(_pb(1, _pb(1, key)) for key in hparams)
    metric_infos = b"".join(_pb(5, _pb(1, _pb(2, key))) for key in metrics)
    experiment = _pb(1, 0, "int") + _pb(2, _pb(4, infos) + metric_infos)
    entries = b"".join(_pb(1, _pb(1, k) + _pb(2, _pb_value(v))) for k, v in hparams.items())
    start = _pb(1, 0, "int") + _pb(3, entries + _pb(4, "") + _pb(5, when, "double"))
    end = _pb(1, 0, "int") + _pb(4, _pb(1, 1, "int") + _pb(2, when, "double"))
    events = [
        _event(when, 0, _plugin_summary("_hparams_/experiment", experiment)),
        _event(when, 0, _plugin_summary("_hparams_/session_start_info", start)),
        _event(when, 0, _plugin_summary("_hparams_/session_end_info", end)),
    ]
    return events + [_event(when, 0, _scalar(key, value)) for key, value in metrics.items()]


def _event_file(folder: Path, when: float, host: str, pid: int, events: list[bytes]) -> Path:
    header = _pb(1, when, "double") + _pb(3, "brain.Event:2")
    data = b"".join(_record(e) for e in [header, *events])
    return write_binary(folder / f"events.out.tfevents.{int(when):010d}.{host}.{pid}.0", data)


def write_tensorboard_run(
    root: str | Path,
    name: str,
    rng: random.Random,
    *,
    n_steps: int = 1000,
    val_every: int = 50,
    hparams: bool = True,
) -> Path:
    """``<root>/<name>/events.out.tfevents.<time>.<host>.<pid>.0``: ``train/loss`` and ``train/lr``
    every step, ``val/loss`` and ``val/accuracy`` every ``val_every``; with ``hparams``, the
    ``<time.time()>/`` sub-folder ``add_hparams`` writes (hyperparameters + ``hparam/*`` metrics).
    """
    folder = Path(root) / name
    host, pid = f"gpu-node-{rng.randint(1, 16)}", rng.randint(1000, 99999)
    start = EPOCH_START + rng.uniform(0, 60 * 86_400)
    lr, loss0, loss1 = rng.choice((1e-4, 3e-4, 1e-3)), rng.uniform(1.5, 3.0), rng.uniform(0.1, 0.6)
    seconds = rng.uniform(0.1, 0.5)
    events: list[bytes] = []
    val_loss = val_acc = 0.0
    for step in range(n_steps):
        when = start + step * seconds
        frac = (step + 1) / n_steps
        events.append(_event(when, step, _scalar("train/loss", _curve(loss0, loss1, frac, rng, 0.05))))
        events.append(_event(when, step, _scalar("train/lr", _cosine_lr(step, n_steps, lr, 0))))
        if (step + 1) % val_every == 0:
            val_loss = _curve(loss0, loss1 * 1.2, frac, rng, 0.01)
            val_acc = min(1.0, _curve(0.2, 0.9, frac, rng, 0.005))
            events.append(_event(when + 1, step, _scalar("val/loss", val_loss)))
            events.append(_event(when + 1, step, _scalar("val/accuracy", val_acc)))
    _event_file(folder, start, host, pid, events)
    if hparams:
        end = start + n_steps * seconds + 2
        values = {"lr": lr, "batch_size": rng.choice((32, 64)), "optimizer": "AdamW", "augment": True}
        scores = {"hparam/val_loss": val_loss, "hparam/val_accuracy": val_acc}
        _event_file(folder / repr(round(end, 6)), end, host, pid, _hparams_events(values, scores, end))
    return folder
