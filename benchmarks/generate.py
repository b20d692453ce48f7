"""Generate a large synthetic results tree for the benchmarks.

Usage::

    python benchmarks/generate.py N OUT [--seed S] [--mix]

Writes N runs under OUT, split between formats by a profile (format -> (share, writer)); each format
writes under its own sub-folder, ``OUT/<format>/``. Same N, seed and profile, same bytes.

- ``FORMATS`` (the default, used by ``bench_scan.py``): about 85% evaluated checkpoints in the
  paper-metrics seed layout, spread over N/4 experiments (so about 3.4 checkpoints each, every third
  experiment keeping a LibriLight progression curve on its last checkpoint), and 15% finished Hugging
  Face Trainer runs with 1,000-step histories.
- ``MIX_FORMATS`` (``--mix``, used by ``bench_formats.py``): 55% seed layout, 15% Hugging Face and 5%
  each of Lightning CSV, MLflow, lm-eval, moshi JSON-lines, TensorBoard and plain-text logs. The
  format names are the readers' names, so a benchmark can check each reader found its runs.

To benchmark another format, add a writer ``(out, count, seed) -> None`` that writes ``count`` runs
under ``out`` and give it a share in a profile (shares are normalised).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import synth

Writer = Callable[[Path, int, int], None]

TTT_LAYERS = ("29,30,31", "31", "25,27,29,31", "27,29,31")
BASE_LRS = (1e-3, 1e-2, 1e-1, 1.0)
METHODS = ("ttt", "ttt", "ttt", "lora", "fullft")
DATASETS = ("dailytalk", "dailytalk", "librilight")


def _experiment_config(name: str, rng: random.Random, max_steps: int) -> tuple[dict, float]:
    """A random configuration and how much a too-high learning rate hurts it (0..1)."""
    method = rng.choice(METHODS)
    base_lr = rng.choice(BASE_LRS)
    lr = rng.choice((1e-05, 2e-05, 5e-05)) if method != "fullft" else rng.choice((2e-06, 1e-05))
    config = synth.make_config(
        name,
        rng,
        method=method,
        dataset=rng.choice(DATASETS),
        ttt_layers=rng.choice(TTT_LAYERS),
        ttt_base_lr=base_lr,
        lora_rank=rng.choice((16, 32, 64, 128)),
        lr=lr,
        max_steps=max_steps,
        seed=rng.choice((42, 7, 1234)),
    )
    harm = 0.6 if (method == "ttt" and base_lr >= 1.0) or (method == "fullft" and lr >= 1e-05) else 0.0
    return config, harm


def write_paper_metrics(out: Path, count: int, seed: int) -> None:
    """``count`` checkpoints over ``count / (0.85 * 4)`` experiments (N/4 when this is 85% of N)."""
    if count <= 0:
        return
    n_exp = max(1, round(count / 3.4))
    per_exp = [count // n_exp + (1 if i < count % n_exp else 0) for i in range(n_exp)]
    for index, n_ckpt in enumerate(per_exp):
        name = f"exp{index:05d}"
        rng = random.Random(f"{seed}:paper_metrics:{index}")
        steps = [500 * (j + 1) for j in range(n_ckpt)]
        config, harm = _experiment_config(name, rng, max_steps=steps[-1])
        name = (
            f"{name}_{'ttt' if config['ttt']['enable'] else 'lora' if config['lora']['enable'] else 'fullft'}"
        )
        config["run_dir"] = f"/data/lab/runs/{name}"
        config["wandb"]["run_name"] = name
        base = rng.uniform(0.2, 0.6)
        for j, step in enumerate(steps):
            t = (j + 1) / len(steps)
            skill = base + (0.3 - harm) * t
            slope = rng.uniform(1.5e-05, 6e-05) * (1 + 2 * harm * t)
            metrics, points = synth.make_paper_metrics(rng, skill, slope=slope)
            keep = index % 3 == 0 and step == steps[-1]
            synth.write_seed_run(out, name, step, config, metrics, points if keep else None)


def write_hf_trainer(out: Path, count: int, seed: int) -> None:
    """``count`` finished Trainer runs of 1,000 steps (100 train rows, 10 eval rows)."""
    models = tuple(synth.MODEL_CONFIGS)
    for index in range(count):
        rng = random.Random(f"{seed}:hf_trainer:{index}")
        model = rng.choice(models)
        synth.write_hf_run(
            out,
            f"run{index:05d}-{model}",
            1000,
            rng,
            model=model,
            logging_steps=10,
            eval_steps=100,
            save_steps=500,
            lr=rng.choice((1e-05, 3e-05, 5e-05, 1e-04)),
            warmup_steps=rng.choice((0, 50, 100)),
            train_batch_size=rng.choice((8, 16, 32)),
            loss_start=rng.uniform(2.0, 4.0),
            loss_end=rng.uniform(0.3, 1.5),
        )
        synth.take_written()  # the log is only for the sample-data script; keep memory flat


def write_lightning(out: Path, count: int, seed: int) -> None:
    """``count`` Lightning CSVLogger versions, 1-4 per project (re-runs of one script)."""
    index = project = 0
    while index < count:
        rng = random.Random(f"{seed}:lightning_csv:{project}")
        for version in range(min(count - index, rng.randint(1, 4))):
            synth.write_lightning_run(
                out,
                f"project{project:04d}",
                version,
                rng,
                lr=rng.choice((1e-4, 3e-4, 1e-3)),
                loss_start=rng.uniform(1.5, 3.0),
                loss_end=rng.uniform(0.1, 0.6),
                acc_end=rng.uniform(0.7, 0.95),
            )
            index += 1
        project += 1
        synth.take_written()


def write_mlflow(out: Path, count: int, seed: int) -> None:
    """``count`` MLflow runs in stores of 5-15 runs; every third store has one run still RUNNING."""
    index = store = 0
    while index < count:
        rng = random.Random(f"{seed}:mlflow:{store}")
        n_runs = min(count - index, rng.randint(5, 15))
        synth.write_mlflow_store(
            out, f"project{store:04d}", n_runs, rng, experiment=f"sweep-{store}", running=int(store % 3 == 0)
        )
        index += n_runs
        store += 1
        synth.take_written()


LM_EVAL_STEPS = (1000, 2000, 4000, 8000, 16000, 36000, 71000, 143000)
LM_EVAL_SIZES = {"70m": 70_426_624, "160m": 162_322_944, "410m": 405_334_016, "1b": 1_011_781_632}


def write_lm_eval(out: Path, count: int, seed: int) -> None:
    """``count`` lm-eval results files: 4-8 checkpoints per model, one folder per model."""
    index = model = 0
    while index < count:
        rng = random.Random(f"{seed}:lm_eval:{model}")
        size = rng.choice(tuple(LM_EVAL_SIZES))
        n_files = min(count - index, rng.choice((4, 5, 6, 8)))
        steps = tuple(sorted(rng.sample(LM_EVAL_STEPS, n_files)))
        skill = {"70m": 0.2, "160m": 0.35, "410m": 0.55, "1b": 0.75}[size] + rng.uniform(-0.05, 0.05)
        name = f"lab/pythia-{size}-run{model:04d}"
        synth.write_lm_eval_results(out, name, steps, rng, final_skill=skill, n_params=LM_EVAL_SIZES[size])
        index += n_files
        model += 1
        synth.take_written()


def write_jsonl(out: Path, count: int, seed: int) -> None:
    """``count`` moshi-finetune run folders of 1,000 steps; one in five stopped at 600 steps."""
    for index in range(count):
        rng = random.Random(f"{seed}:jsonl_metrics:{index}")
        finished = index % 5 != 4
        synth.write_jsonl_run(
            out,
            f"run{index:05d}_{rng.choice(('dailytalk', 'fisher', 'librilight'))}_lora",
            rng,
            n_steps=1000 if finished else 600,
            max_steps=1000,
            lr=rng.choice((2e-06, 5e-06, 1e-05)),
        )
        synth.take_written()


def write_tensorboard(out: Path, count: int, seed: int) -> None:
    """``count`` SummaryWriter folders of 1,000 steps; two in three with an ``add_hparams`` folder."""
    for index in range(count):
        rng = random.Random(f"{seed}:tensorboard:{index}")
        synth.write_tensorboard_run(out, f"run{index:05d}", rng, hparams=index % 3 != 2)
        synth.take_written()


def write_text_logs(out: Path, count: int, seed: int) -> None:
    """``count`` logs of 2,000 steps, 1-3 per record folder; modded-nanogpt and llm.c alternate."""
    index = record = 0
    while index < count:
        rng = random.Random(f"{seed}:text_log:{record}")
        style = "modded" if record % 2 == 0 else "llmc"
        for _ in range(min(count - index, rng.randint(1, 3))):
            synth.write_text_log(
                out / f"record{record:04d}",
                rng,
                style=style,
                val_every=125 if style == "modded" else 128,
                loss_end=rng.uniform(3.2, 3.5),
            )
            index += 1
        record += 1
        synth.take_written()


FORMATS: dict[str, tuple[float, Writer]] = {
    "paper_metrics": (0.85, write_paper_metrics),
    "hf_trainer": (0.15, write_hf_trainer),
}
MIX_FORMATS: dict[str, tuple[float, Writer]] = {
    "paper_metrics": (0.55, write_paper_metrics),
    "hf_trainer": (0.15, write_hf_trainer),
    "lightning_csv": (0.05, write_lightning),
    "mlflow": (0.05, write_mlflow),
    "lm_eval": (0.05, write_lm_eval),
    "jsonl_metrics": (0.05, write_jsonl),
    "tensorboard": (0.05, write_tensorboard),
    "text_log": (0.05, write_text_logs),
}
PROFILES = {"default": FORMATS, "mix": MIX_FORMATS}


def split(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Run counts per format summing to ``n`` (largest remainder)."""
    total = sum(shares.values())
    exact = {k: n * s / total for k, s in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


def generate(n: int, out: Path, seed: int = 0, profile: str = "default") -> dict[str, int]:
    """Write the tree; returns the number of runs written per format."""
    formats = PROFILES[profile]
    counts = split(n, {k: share for k, (share, _) in formats.items()})
    for fmt, (_, writer) in formats.items():
        writer(out / fmt, counts[fmt], seed)
    synth.take_written()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of runs")
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mix", action="store_true", help="every format (MIX_FORMATS), not FORMATS")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.n, args.out, args.seed, "mix" if args.mix else "default")
    files = [p for p in args.out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(
        f"{args.n} runs {counts} -> {len(files)} files, {size / 2**20:.1f} MiB in "
        f"{time.perf_counter() - started:.1f}s under {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
