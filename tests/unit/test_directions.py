"""Metric directions: inferred from names (every special case of the module's table), overrides, best/worst."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.directions import best_and_worst, infer_direction, metric_direction, words
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        # the seed's paper-metrics file
        ("sblimp_accuracy", "max"),
        ("swuggy_accuracy", "max"),
        ("tstory_accuracy", "max"),
        ("sstory_accuracy", "max"),
        ("paper_metrics_avg", "max"),
        ("librilight_perplexity_8k", "min"),
        ("librilight_perplexity_24k", "min"),
        ("librilight_slope", "min"),
        ("sblimp_samples", None),
        ("librilight_samples", None),
        # Hugging Face Trainer
        ("eval_loss", "min"),
        ("train_loss", "min"),
        ("loss", "min"),
        ("eval_runtime", "min"),
        ("train_runtime", "min"),
        ("eval_samples_per_second", "max"),
        ("train_steps_per_second", "max"),
        ("eval_samples", None),
        ("train_samples", None),
        ("epoch", None),
        ("grad_norm", None),
        ("learning_rate", None),
        ("total_flos", None),
        ("best_metric", None),
        ("eval_wer", "min"),
        ("eval_rouge1", "max"),
        ("test_rougeLsum", "max"),
        ("eval_g0_accuracy", "max"),
        ("train_mem_gpu_alloc_delta", "min"),
        ("test_gen_len", None),
        ("mean_token_accuracy", "max"),
        ("num_tokens", None),
        # lm-evaluation-harness
        ("hendrycksTest-virology/acc", "max"),
        ("hendrycksTest-virology/acc_norm", "max"),
        ("hendrycksTest-virology/acc_stderr", None),
        ("hendrycksTest-virology/acc_norm_stderr", None),
        ("lambada_openai/ppl", "min"),
        ("lambada_openai/ppl_stderr", None),
        ("crows_pairs_english/pct_stereotype", None),
        ("crows_pairs_english/likelihood_difference", None),
        ("hellaswag/acc,none", "max"),
        ("hellaswag/acc_stderr,none", None),
        ("mmlu/n-shot", None),
        ("wikitext/word_perplexity,none", "min"),
        ("wikitext/bits_per_byte,none", "min"),
        ("exact_match", "max"),
        ("em", "max"),
        ("f1", "max"),
        # Lightning, MLflow, moshi-finetune, misc
        ("val_mse", "min"),
        ("train_disc_loss", "min"),
        ("lr-Adam", None),
        ("val_acc", "max"),
        ("accuracy", "max"),
        ("peak_allocated_mem", "min"),
        ("percent_done", None),
        ("eta_in_seconds", None),
        ("step_time", "min"),
        ("score_time", "min"),
        ("total_loss", "min"),
        ("avg_loss", "min"),
        ("latency_ms", "min"),
        ("cer", "min"),
        ("eer", "min"),
        ("rmse", "min"),
        ("bleu", "max"),
        ("auc", "max"),
        ("precision", "max"),
        ("recall", "max"),
        ("top1_acc", "max"),
        ("num_examples", None),
        ("sample_count", None),
        ("slope", None),
        ("weight_norm", None),
        # camelCase, glued words, case, the prefix
        ("evalLoss", "min"),
        ("ValAccuracy", "max"),
        ("valloss", "min"),
        ("WER", "min"),
        ("metrics.sblimp_accuracy", "max"),
        # unknown
        ("foo", None),
        ("", None),
        ("likelihood", None),
    ],
)
def test_infer_direction(metric: str, expected: str | None) -> None:
    assert infer_direction(metric) == expected


def test_words_split_on_separators_and_camel_case() -> None:
    assert words("hellaswag/acc_norm,none") == ["hellaswag", "acc", "norm", "none"]
    assert words("metrics.evalLoss") == ["eval", "loss"]
    assert words("a[0].b-c d") == ["a", "0", "b", "c", "d"]


def test_override_wins_over_inference() -> None:
    overrides = {"eval_loss": "max", "sblimp_accuracy": "none", "foo": "min", "paper_metrics_avg": "MIN"}
    assert metric_direction("eval_loss", overrides) == "max"
    assert metric_direction("sblimp_accuracy", overrides) is None
    assert metric_direction("foo", overrides) == "min"
    assert metric_direction("paper_metrics_avg", overrides) == "min"
    assert metric_direction("metrics.eval_loss", overrides) == "max"  # prefixed metric, bare key


def test_override_with_prefixed_key_and_invalid_values() -> None:
    assert metric_direction("foo", {"metrics.foo": "max"}) == "max"
    assert metric_direction("eval_loss", {"eval_loss": "lower"}) == "min"  # invalid: inference
    assert metric_direction("eval_loss", {"eval_loss": None}) == "min"  # type: ignore[dict-item]
    assert metric_direction("eval_loss", {}) == "min"


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "params.acc": [1.0, 2.0, 3.0, 4.0],  # not a metric column
            "metrics.acc": [0.5, np.nan, 0.7, 0.6],
            "metrics.eval_loss": [2.0, 1.5, np.inf, np.nan],
            "metrics.same_acc": [0.3, 0.3, np.nan, 0.3],  # one distinct value
            "metrics.epoch": [1.0, 2.0, 3.0, 4.0],  # no direction
            "metrics.lonely_loss": [np.nan, np.nan, np.nan, 1.0],
            "metrics.foo": [1.0, 5.0, 3.0, np.nan],  # unknown unless overridden
        }
    )


def test_best_and_worst_exact() -> None:
    assert best_and_worst(_frame(), {}) == {
        "metrics.acc": (0.7, 0.5),
        "metrics.eval_loss": (1.5, 2.0),  # inf is not finite: ignored
    }


def test_best_and_worst_follows_overrides() -> None:
    out = best_and_worst(_frame(), {"acc": "min", "foo": "max", "eval_loss": "none"})
    assert out == {"metrics.acc": (0.5, 0.7), "metrics.foo": (5.0, 1.0)}


def test_best_and_worst_on_subsets() -> None:
    frame = _frame()
    assert best_and_worst(frame.iloc[[0, 1]], {}) == {"metrics.eval_loss": (1.5, 2.0)}
    assert best_and_worst(frame.iloc[0:0], {}) == {}


def test_best_and_worst_on_the_sample_data(tmp_path: Path) -> None:
    frame = Store([PROJECT / "data"], cache_dir=tmp_path / "cache").rescan().runs
    out = best_and_worst(frame, {})
    sblimp = frame["metrics.sblimp_accuracy"].dropna()
    assert out["metrics.sblimp_accuracy"] == (sblimp.max(), sblimp.min())
    slope = frame["metrics.librilight_slope"].dropna()
    assert out["metrics.librilight_slope"] == (slope.min(), slope.max())
    assert "metrics.sblimp_samples" not in out  # a count (and constant)
    assert "metrics.epoch" not in out
    assert "metrics.learning_rate" not in out
    for best, worst in out.values():
        assert math.isfinite(best) and math.isfinite(worst) and best != worst
