"""Write the bundled sample results tree ``data/`` (the default root, so a fresh clone shows something).

Usage::

    python scripts/make_sample_data.py            # writes <repo>/data
    python scripts/make_sample_data.py --out DIR  # anywhere else (e.g. a test's tmp_path)

The tree is a small but realistic lab: speech-LM fine-tunes in the moshi-finetune TTT fork's layout
(``<experiment>/checkpoints/checkpoint_NNNNNN/consolidated/{training_config.json,
paper_metrics_results.json}``) comparing TTT (several ``ttt.layers`` and ``ttt.base_lr`` from 1e-3 to
1.0), LoRA and full fine-tuning, two seeds of one configuration, a baseline file, LibriLight
progression curves, one evaluation with the ``0.0`` "not computed" perplexity sentinel, and four
finished Hugging Face Trainer runs under ``hf/`` (one with ``checkpoint-N`` snapshots).

Deterministic: every value comes from ``random.Random`` seeded by the experiment's name, so running the
script twice gives byte-identical files (``tests/unit/test_sample_data.py`` checks the committed tree).
Files already in the output folder that this script did not write are reported, never deleted.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import synth  # noqa: E402

SEED = 2025


@dataclass(frozen=True)
class Experiment:
    """One training run and how good its checkpoints turn out (the sample data's ground truth)."""

    name: str
    method: str
    steps: tuple[int, ...]
    skill: tuple[float, float]  # skill at the first and last checkpoint (0..1)
    slope: tuple[float, float]  # LibriLight loss slope per token, first and last checkpoint
    loss0: float = 5.7
    config: dict[str, Any] = field(default_factory=dict)
    sentinel_at: int | None = None  # checkpoint evaluated on short LibriLight files only
    progression_at: tuple[int, ...] = ()  # checkpoints whose results keep the progression curve


DAILY = (500, 1000, 2000)
EXPERIMENTS = (
    Experiment("dailytalk_ttt_l29-31_blr1e-2", "ttt", DAILY, (0.45, 0.78), (3.0e-05, 2.1e-05),
               config={"ttt_layers": "29,30,31", "ttt_base_lr": 1e-2, "ttt_mlp_layers": 3},
               progression_at=(500, 2000)),
    Experiment("dailytalk_ttt_l29-31_blr1e-2_seed7", "ttt", DAILY, (0.42, 0.74), (3.1e-05, 2.3e-05),
               config={"ttt_layers": "29,30,31", "ttt_base_lr": 1e-2, "ttt_mlp_layers": 3, "seed": 7},
               progression_at=(2000,)),
    Experiment("dailytalk_ttt_l29-31_blr1e-1", "ttt", DAILY, (0.50, 0.86), (2.8e-05, 1.8e-05),
               config={"ttt_layers": "29,30,31", "ttt_base_lr": 1e-1, "ttt_mlp_layers": 3},
               progression_at=(2000,)),
    Experiment("dailytalk_ttt_l29-31_blr1", "ttt", DAILY, (0.40, 0.18), (5.5e-05, 9.5e-05), loss0=6.0,
               config={"ttt_layers": "29,30,31", "ttt_base_lr": 1.0, "ttt_mlp_layers": 5},
               progression_at=(2000,)),
    Experiment("dailytalk_ttt_l31_blr1e-2", "ttt", DAILY, (0.35, 0.58), (3.8e-05, 3.2e-05),
               config={"ttt_layers": "31", "ttt_base_lr": 1e-2, "ttt_mlp_layers": 3}),
    Experiment("dailytalk_ttt_l25-31odd_blr1e-3", "ttt", DAILY, (0.38, 0.64), (3.5e-05, 2.6e-05),
               config={"ttt_layers": "25,27,29,31", "ttt_base_lr": 1e-3, "ttt_mlp_layers": 5},
               progression_at=(2000,)),
    Experiment("dailytalk_lora_r64", "lora", DAILY, (0.40, 0.62), (5.0e-05, 4.6e-05),
               config={"lora_rank": 64}, progression_at=(2000,)),
    Experiment("dailytalk_lora_r16", "lora", DAILY, (0.33, 0.52), (5.2e-05, 4.9e-05),
               config={"lora_rank": 16}, sentinel_at=500),
    Experiment("dailytalk_fullft", "fullft", DAILY, (0.36, 0.60), (6.0e-05, 5.6e-05),
               config={"lr": 2e-06}, progression_at=(2000,)),
    Experiment("dailytalk_fullft_lr1e-5", "fullft", DAILY, (0.30, 0.12), (7.0e-05, 1.1e-04), loss0=6.1,
               config={"lr": 1e-05}),
    Experiment("librilight_ttt_l29-31_blr1e-2", "ttt", (1000, 2500, 5000), (0.30, 0.55),
               (2.2e-05, 1.2e-05), loss0=5.5,
               config={"dataset": "librilight", "ttt_layers": "29,30,31", "ttt_base_lr": 1e-2,
                       "ttt_mlp_layers": 3, "max_steps": 5000, "lr": 3e-05},
               progression_at=(1000, 2500, 5000)),
)  # fmt: skip

HF_RUNS: tuple[tuple[str, int, dict[str, Any]], ...] = (
    ("roberta-base-sst2-lora", 1200,
     {"model": "roberta", "logging_steps": 25, "eval_steps": 200, "save_steps": 500,
      "snapshots": (500, 1000, 1200), "lr": 5e-04, "warmup_steps": 60, "train_batch_size": 32,
      "train_samples": 67349, "eval_samples": 872, "loss_start": 0.7, "loss_end": 0.22,
      "eval_metric": ("accuracy", 0.62, 0.93)}),
    ("whisper-small-dailytalk-asr", 2000,
     {"model": "whisper", "logging_steps": 25, "eval_steps": 500, "save_steps": 1000, "lr": 1e-05,
      "warmup_steps": 200, "train_batch_size": 16, "train_samples": 20000, "eval_samples": 1200,
      "loss_start": 1.9, "loss_end": 0.35, "eval_metric": ("wer", 0.46, 0.19), "best_is_loss": True,
      "transformers_version": "4.44.2"}),
    ("gpt2-dailytalk-transcripts", 1500,
     {"model": "gpt2", "logging_steps": 50, "eval_steps": 250, "save_steps": 500, "lr": 5e-05,
      "train_batch_size": 8, "train_samples": 6000, "eval_samples": 600, "loss_start": 3.9,
      "loss_end": 2.85, "eval_metric": None}),
    ("t5-small-dialogsum", 1000,
     {"model": "t5", "logging_steps": 20, "eval_steps": 250, "save_steps": 500, "lr": 3e-04,
      "train_batch_size": 16, "train_samples": 12460, "eval_samples": 500, "loss_start": 2.6,
      "loss_end": 1.35, "eval_metric": ("rouge1", 24.0, 38.5)}),
)  # fmt: skip

README = """\
# Sample results

Synthetic but realistic results written by `scripts/make_sample_data.py` (do not edit by hand;
rerun the script). Runboard shows this folder when no `--results-dir` is given.

- `dailytalk_*`, `librilight_*`: speech-LM fine-tunes in the moshi-finetune TTT fork's layout, one
  evaluated checkpoint per `checkpoints/checkpoint_NNNNNN/consolidated/` folder.
- `moshi-finetune/baseline_paper_metrics_results.json`: the model before fine-tuning.
- `hf/`: Hugging Face Trainer output folders.

`dailytalk_lora_r16` checkpoint 500 was evaluated on short LibriLight files only: its 16k/24k
perplexities are `0.0`, the format's "not computed" value.
"""


def _progress(exp: Experiment, step: int) -> float:
    """0 at the first checkpoint, 1 at the last, on a log-step scale (gains flatten out)."""
    first, last = exp.steps[0], exp.steps[-1]
    return math.log(step / first) / math.log(last / first)


def write_experiment(out: Path, exp: Experiment) -> None:
    rng = random.Random(f"{SEED}:{exp.name}")
    options = dict(exp.config)
    options.setdefault("max_steps", exp.steps[-1])
    config = synth.make_config(exp.name, rng, method=exp.method, **options)
    for step in exp.steps:
        t = _progress(exp, step)
        skill = exp.skill[0] + (exp.skill[1] - exp.skill[0]) * t
        slope = exp.slope[0] + (exp.slope[1] - exp.slope[0]) * t
        metrics, points = synth.make_paper_metrics(
            rng, skill, loss0=exp.loss0 - 0.15 * t, slope=slope, sentinel=step == exp.sentinel_at
        )
        progression = points if step in exp.progression_at else None
        synth.write_seed_run(out, exp.name, step, config, metrics, progression)


def write_baseline(out: Path) -> None:
    rng = random.Random(f"{SEED}:baseline")
    metrics, points = synth.make_paper_metrics(rng, 0.42, loss0=5.9, slope=4.2e-05)
    synth.write_baseline(out / "moshi-finetune", metrics, points)


def write_hf(out: Path) -> None:
    for name, n_steps, options in HF_RUNS:
        synth.write_hf_run(out / "hf", name, n_steps, random.Random(f"{SEED}:hf:{name}"), **options)


def make_sample_data(out: Path) -> list[Path]:
    """Write the whole tree under ``out``; returns the files written, sorted."""
    out.mkdir(parents=True, exist_ok=True)
    synth.take_written()
    for exp in EXPERIMENTS:
        write_experiment(out, exp)
    write_baseline(out)
    write_hf(out)
    synth.write_text(out / "README.md", README)
    return sorted(synth.take_written())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=REPO / "data", help="output folder (default: <repo>/data)"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    written = make_sample_data(out)
    stale = sorted(set(p for p in out.rglob("*") if p.is_file()) - set(written))
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({size / 1024:.0f} KiB) under {out}")
    for path in stale:
        print(f"warning: not written by this script (left in place): {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
