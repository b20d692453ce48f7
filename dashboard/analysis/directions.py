"""Which way is better for a metric: inferred from its name, overridable in settings.

The table colours best/worst cells and the recommendation ranks runs, so a wrong guess
misleads; when the name is not clearly directional the answer is ``None`` (no colouring)
and the user can set one in the settings (``"min"``, ``"max"`` or ``"none"``).

The name is split into lower-case words on ``_ - / . [ ] , : @`` spaces and camelCase
boundaries (``evalLoss`` → ``eval``, ``loss``; ``hellaswag/acc_norm,none`` → ``hellaswag``,
``acc``, ``norm``, ``none``). A word also matches with trailing digits removed
(``rouge1`` → ``rouge``, ``acc5`` → ``acc``). Rules, first match wins:

=====================================  =========  ==================================================
words / pattern                        direction  why
=====================================  =========  ==================================================
``per second``/``per sec``,            max        throughput (``train_samples_per_second``): the
``throughput``                                    speed twin of ``runtime``, which is ``min``
``stderr``, ``std``, ``stddev``,       None       uncertainty of another metric (``acc_stderr``,
``sem``, ``ci``, ``var``                          ``ppl_stderr``), not a result in itself
``lr``, ``learning rate``              None       a schedule value (``lr-Adam``), not a result
``grad``/``weight``/``param`` + norm   None       training diagnostics (``grad_norm``); note
                                                  ``acc_norm`` is still an accuracy
``best_metric``                        None       HF's copy of whichever metric picked the best
                                                  checkpoint: its direction is unknown here
``slope`` with ``librilight``/         min        in the paper-metrics format ``librilight_slope``
``perplexity``/``ppl``/``loss``                   is the slope of perplexity vs token position:
                                                  flatter (lower) means less long-context decay
``slope`` otherwise                    None       a slope of what, is not said
``loss``, ``nll``, ``perplexity``,     min        lower is better: losses, errors, costs, time and
``ppl``, ``bpb``, ``bits_per_*``,                 memory (``eval_runtime``, ``peak_mem``,
``error``, ``err``, ``wer``, ``cer``,             ``train_mem_gpu_alloc_delta``, ``step_time``,
``eer``, ``mse``, ``mae``, ``rmse``,              ``total_loss``)
``mape``, ``time``, ``runtime``,
``latency``, ``duration``, ``mem``,
``memory``, ``regret``, ``cost``,
``ece``, ``brier``
``accuracy``, ``acc``, ``f1``,         max        higher is better: quality scores; ``avg`` is the
``bleu``, ``rouge*``, ``chrf``,                   paper-metrics average of accuracies
``meteor``, ``bertscore``, ``auc``/               (``paper_metrics_avg``); checked after the ``min``
``auroc``/``auprc``, ``score``,                   words so ``score_time`` is a time and
``avg``/``average``, ``precision``,               ``avg_loss`` a loss
``recall``, ``exact`` (_match),
``em``, ``correct``, ``mcc``,
``map``/``ndcg``/``mrr``, ``top1``/
``top5``, ``iou``, ``dice``,
``reward``, ``win rate``, ``r2``,
``spearman``/``pearson``
``samples``, ``count``, ``num``,       None       counts and bookkeeping (``sblimp_samples``,
``n``/``shot``, ``total``, ``size``,              ``num_tokens``, ``n-shot``, ``total_flos``,
``tokens``, ``flos``, ``epoch(s)``,               ``epoch``, ``gen_len``)
``step(s)``, ``seed``, ``len``
``pct``/``percent``/``likelihood``     None       ``crows_pairs/pct_stereotype`` is best near 50;
                                                  ``likelihood_difference`` has no agreed sign
anything else                          None       unknown: no colouring
=====================================  =========  ==================================================

Long, unambiguous words also match inside a glued word (``valloss``, ``trainaccuracy``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Literal

import pandas as pd

Direction = Literal["min", "max"] | None

METRIC_PREFIX = "metrics."
OVERRIDE_VALUES = frozenset({"min", "max", "none"})

_SPLIT = re.compile(r"[_\-/.\[\],:@\s]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_UNCERTAINTY = frozenset({"stderr", "std", "stddev", "stdev", "sem", "ci", "var", "variance"})
_COUNTS = frozenset(
    {
        "samples",
        "sample",
        "count",
        "counts",
        "num",
        "n",
        "shot",
        "shots",
        "total",
        "size",
        "tokens",
        "flos",
        "epoch",
        "epochs",
        "step",
        "steps",
        "seed",
        "len",
        "length",
    }
)
_SCHEDULE = frozenset({"lr"})
_NORM_OWNERS = frozenset({"grad", "gradient", "weight", "param", "params"})
_SLOPE_CONTEXT = frozenset({"librilight", "perplexity", "ppl", "loss"})
_UNDIRECTED = frozenset({"pct", "percent", "likelihood"})
_MIN_WORDS = frozenset(
    {
        "loss",
        "losses",
        "nll",
        "perplexity",
        "ppl",
        "bpb",
        "bpc",
        "error",
        "errors",
        "err",
        "wer",
        "cer",
        "eer",
        "mse",
        "mae",
        "rmse",
        "mape",
        "time",
        "runtime",
        "latency",
        "duration",
        "mem",
        "memory",
        "regret",
        "cost",
        "ece",
        "brier",
    }
)
_MAX_WORDS = frozenset(
    {
        "accuracy",
        "acc",
        "f1",
        "bleu",
        "sacrebleu",
        "bertscore",
        "rouge",
        "chrf",
        "meteor",
        "auc",
        "auroc",
        "auprc",
        "score",
        "avg",
        "average",
        "precision",
        "recall",
        "exact",
        "em",
        "correct",
        "mcc",
        "map",
        "ndcg",
        "mrr",
        "top1",
        "top5",
        "iou",
        "dice",
        "reward",
        "winrate",
        "r2",
        "spearman",
        "pearson",
    }
)
# Long enough to be safe inside a glued word ("valloss", "trainaccuracy").
_MIN_GLUED = ("loss", "perplexity", "runtime", "latency", "error")
_MAX_GLUED = ("accuracy", "precision", "recall")


def words(metric: str) -> list[str]:
    """Lower-case words of a metric name (see the module docstring)."""
    name = metric[len(METRIC_PREFIX) :] if metric.startswith(METRIC_PREFIX) else metric
    parts: list[str] = []
    for chunk in _SPLIT.split(name):
        parts.extend(p.lower() for p in _CAMEL.split(chunk) if p)
    return parts


def _forms(parts: Iterable[str]) -> set[str]:
    """Each word as written and without trailing digits (``rouge1`` → ``rouge``)."""
    found: set[str] = set()
    for part in parts:
        found.add(part)
        stripped = part.rstrip("0123456789")
        if stripped:
            found.add(stripped)
    return found


def _is_throughput(parts: list[str], joined: str) -> bool:
    return "throughput" in parts or "per_second" in joined or "per_sec" in joined


def _is_bookkeeping(parts: list[str], forms: set[str], joined: str) -> bool:
    """Uncertainties, schedules and diagnostics: never a result, whatever else the name says."""
    if forms & (_UNCERTAINTY | _SCHEDULE):
        return True
    if "learning_rate" in joined or "best_metric" in joined:
        return True
    return "norm" in parts and bool(forms & _NORM_OWNERS)


def infer_direction(metric: str) -> Direction:
    """Guess min/max from the name; ``None`` when the name does not say (see the table above)."""
    parts = words(metric)
    if not parts:
        return None
    forms = _forms(parts)
    joined = "_".join(parts)
    if _is_throughput(parts, joined):
        return "max"
    if _is_bookkeeping(parts, forms, joined):
        return None
    if "slope" in forms:
        return "min" if forms & _SLOPE_CONTEXT else None
    if forms & _MIN_WORDS or "bits_per_" in joined:
        return "min"
    if forms & _MAX_WORDS or "win_rate" in joined:
        return "max"
    if forms & (_COUNTS | _UNDIRECTED):
        return None
    if any(word in part for part in parts for word in _MIN_GLUED):
        return "min"
    if any(word in part for part in parts for word in _MAX_GLUED):
        return "max"
    return None


def _override(metric: str, overrides: Mapping[str, str]) -> str | None:
    bare = metric[len(METRIC_PREFIX) :] if metric.startswith(METRIC_PREFIX) else metric
    for key in (bare, METRIC_PREFIX + bare):
        value = overrides.get(key)
        if isinstance(value, str) and value.strip().lower() in OVERRIDE_VALUES:
            return value.strip().lower()
    return None


def metric_direction(metric: str, overrides: Mapping[str, str]) -> Direction:
    """The user's setting when there is a valid one (``"none"`` turns inference off), else inference.

    ``metric`` may carry the ``metrics.`` prefix; override keys are names without it
    (a prefixed key is accepted too). An override value other than min/max/none is ignored.
    """
    chosen = _override(metric, overrides)
    if chosen == "min":
        return "min"
    if chosen == "max":
        return "max"
    if chosen == "none":
        return None
    return infer_direction(metric)


def best_and_worst(frame: pd.DataFrame, overrides: Mapping[str, str]) -> dict[str, tuple[float, float]]:
    """``{"metrics.x": (best, worst)}`` over the given rows, for directional metrics that differ.

    Keys are the frame's column names (with the ``metrics.`` prefix) so the table can style
    columns by id. A metric needs a direction and at least two distinct finite values.
    """
    out: dict[str, tuple[float, float]] = {}
    for column in frame.columns:
        if not isinstance(column, str) or not column.startswith(METRIC_PREFIX):
            continue
        direction = metric_direction(column, overrides)
        if direction is None:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        finite = [float(v) for v in values if math.isfinite(v)]
        if len(set(finite)) < 2:
            continue
        low, high = min(finite), max(finite)
        out[column] = (high, low) if direction == "max" else (low, high)
    return out
