"""Generate a large synthetic results tree for the scan benchmark.

Usage::

    python benchmarks/generate.py N OUT [--seed S]

Writes N runs under OUT, split between formats by ``FORMATS`` (format -> (share, writer)): about 85%
evaluated checkpoints in the paper-metrics seed layout, spread over N/4 experiments (so about 3.4
checkpoints each, every third experiment keeping a LibriLight progression curve on its last
checkpoint), and 15% finished Hugging Face Trainer runs with 1,000-step histories. Each format writes
under its own sub-folder, ``OUT/<format>/``. Same N and seed, same bytes.

To benchmark another format, add a writer ``(out, count, seed) -> None`` that writes ``count`` runs
under ``out`` and give it a share in ``FORMATS`` (shares are normalised).
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


FORMATS: dict[str, tuple[float, Writer]] = {
    "paper_metrics": (0.85, write_paper_metrics),
    "hf_trainer": (0.15, write_hf_trainer),
}


def split(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Run counts per format summing to ``n`` (largest remainder)."""
    total = sum(shares.values())
    exact = {k: n * s / total for k, s in shares.items()}
    counts = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


def generate(n: int, out: Path, seed: int = 0) -> dict[str, int]:
    """Write the tree; returns the number of runs written per format."""
    counts = split(n, {k: share for k, (share, _) in FORMATS.items()})
    for fmt, (_, writer) in FORMATS.items():
        writer(out / fmt, counts[fmt], seed)
    synth.take_written()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of runs")
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.n, args.out, args.seed)
    files = [p for p in args.out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(
        f"{args.n} runs {counts} -> {len(files)} files, {size / 2**20:.1f} MiB in "
        f"{time.perf_counter() - started:.1f}s under {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
