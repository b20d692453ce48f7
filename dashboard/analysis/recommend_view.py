"""The recommendation as the runs page holds it: URL state -> scoring spec -> result.

The state is the ``rec`` query parameter (JSON), every key optional::

    {"preset": "paper" | "loss" | "custom",
     "weights": {"<metric>": 0..100},      # slider positions; absent: the preset's default
     "metrics": ["<metric>", ...],          # the custom preset's metrics (bare names)
     "norm": "minmax" | "rank",
     "missing": "exclude" | "worst" | "skip-metric",
     "completed": true | false,
     "constraints": [["<metric>", ">=" | "<=", <finite number>], ...]}   # only runs passing all

``clean_rec`` keeps only well-formed parts (a hand-edited URL holds anything). With no
preset the runs shown decide: the paper metrics when they have them, else the seed's
loss rule when they have an eval loss, else custom with nothing chosen (the card asks).

Sensitivity is computed from the scored parts: normalised scores do not depend on the
weights, so moving a weight only re-weights each run's parts. That is the engine's rule
(``scoring.sensitivity``) without scoring the runs again for every moved weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .compare import EVAL_LOSS_KEYS
from .directions import metric_direction
from .numbers import format_number
from .scoring import (
    EVAL_LOSS,
    METRIC_PREFIX,
    OVERFIT,
    PAPER_MAX,
    PAPER_MIN,
    Constraint,
    Criterion,
    ScoreResult,
    ScoringSpec,
    Sensitivity,
    loss_preset,
    paper_metrics_preset,
    score,
)

PRESETS = ("paper", "loss", "custom")
PRESET_LABELS = {"paper": "Paper metrics", "loss": "Loss-based", "custom": "Custom"}
NORMALISATIONS = ("minmax", "rank")
MISSING_RULES = ("exclude", "worst", "skip-metric")
WEIGHT_MAX = 100.0
DEFAULT_WEIGHT = 50.0
LOSS_WEIGHTS = {EVAL_LOSS: 70.0, OVERFIT: 30.0}  # the seed's 70 % eval loss + 30 % overfitting
SENSITIVITY_DELTA = 0.2
# Scoring takes ~0.2 s per 10,000 runs (paper preset; ~0.6 s loss preset): beyond this, ask for a filter first.
MAX_SCORED_RUNS = 20_000
CHOOSE_PROMPT = "Choose the metrics to score the runs on."
SCORE_COLUMN = "score"  # the runs table's column of totals (not a column of the runs frame)
CONSTRAINT_OPS = (">=", "<=")


# ---------------------------------------------------------------- URL state


def _weight(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(min(max(value, 0.0), WEIGHT_MAX))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _constraints(value: Any) -> list[list[Any]]:
    """Well-formed ``[metric, op, value]`` triples; a second one on the same metric and op is dropped."""
    if not isinstance(value, list):
        return []
    out: dict[tuple[str, str], list[Any]] = {}
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            continue
        metric, op, number = item[0], item[1], _number(item[2])
        if isinstance(metric, str) and metric and op in CONSTRAINT_OPS and number is not None:
            out.setdefault((metric, op), [metric, op, number])
    return list(out.values())


def parse_threshold(text: Any) -> tuple[float | None, str | None]:
    """A threshold typed by the user: ``(value, None)``, or ``(None, what is wrong)`` in words."""
    typed = str(text if text is not None else "").strip()
    if not typed:
        return None, "Type a threshold, e.g. 0.54."
    try:
        value = float(typed.replace("\u2212", "-"))  # a pasted minus sign is a minus
    except ValueError:
        return None, f"“{typed[:40]}” is not a number: type a threshold such as 0.54 or 1e-3."
    if not math.isfinite(value):
        return None, "The threshold must be a finite number."
    return value, None


def with_constraint(rec: Mapping[str, Any], metric: str, op: str, value: float) -> dict[str, Any]:
    """``rec`` with ``metric op value`` added; it replaces a constraint on the same metric and op."""
    state = clean_rec(dict(rec))
    kept = [c for c in state.get("constraints", []) if (c[0], c[1]) != (metric, op)]
    return {**state, "constraints": [*kept, [metric, op, value]]}


def without_constraint(rec: Mapping[str, Any], metric: str, op: str) -> dict[str, Any]:
    state = clean_rec(dict(rec))
    state["constraints"] = [c for c in state.get("constraints", []) if (c[0], c[1]) != (metric, op)]
    return state


def clean_rec(value: Any) -> dict[str, Any]:
    """The well-formed parts of a ``rec`` state; anything else is dropped, never an error."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, Any] = {}
    if value.get("preset") in PRESETS:
        out["preset"] = value["preset"]
    weights = value.get("weights")
    if isinstance(weights, dict):
        kept = {k: _weight(v) for k, v in weights.items() if isinstance(k, str) and k}
        if any(v is not None for v in kept.values()):
            out["weights"] = {k: v for k, v in kept.items() if v is not None}
    metrics = value.get("metrics")
    if isinstance(metrics, list):
        out["metrics"] = list(dict.fromkeys(m for m in metrics if isinstance(m, str) and m))
    if value.get("norm") in NORMALISATIONS:
        out["norm"] = value["norm"]
    if value.get("missing") in MISSING_RULES:
        out["missing"] = value["missing"]
    if isinstance(value.get("completed"), bool):
        out["completed"] = value["completed"]
    constraints = _constraints(value.get("constraints"))
    if constraints:
        out["constraints"] = constraints
    return out


# ---------------------------------------------------------------- the spec


def plain_number(value: float) -> float | int:
    """50 rather than 50.0 in the URL (and in a chip); other numbers as Python writes them, unrounded."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


@dataclass(frozen=True)
class MetricChoice:
    metric: str  # bare name
    direction: Literal["min", "max"]


@dataclass
class RecommendPlan:
    """What a ``rec`` state means for the runs shown."""

    preset: str
    spec: ScoringSpec
    weights: dict[str, float]  # slider position (0–100) per criterion, in criteria order
    choices: list[MetricChoice]  # metrics the custom preset can add (directional ones)
    chosen: list[str]  # the custom preset's metrics as the state lists them
    defaults: dict[str, float] = field(default_factory=dict)  # the preset's weight per criterion
    notes: list[str] = field(default_factory=list)  # chosen metrics left out, and why
    thresholdable: list[str] = field(default_factory=list)  # metrics a constraint can be put on

    @property
    def prompt(self) -> str | None:
        """Why nothing is scored, when nothing can be."""
        return CHOOSE_PROMPT if not self.spec.criteria else None

    def state(self) -> dict[str, Any]:
        """What a control writes back to the URL: the preset (pinned, whatever runs are shown later)
        and only what differs from its defaults, so a shared link stays short."""
        out: dict[str, Any] = {"preset": self.preset}
        weights = {m: plain_number(w) for m, w in self.weights.items() if w != self.defaults.get(m)}
        if weights:
            out["weights"] = weights
        if self.preset == "custom":
            out["metrics"] = list(self.chosen)
        if self.spec.normalisation != "minmax":
            out["norm"] = self.spec.normalisation
        if self.spec.missing != "exclude":
            out["missing"] = self.spec.missing
        if not self.spec.completed_only:
            out["completed"] = False
        if self.spec.constraints:
            out["constraints"] = [[c.metric, c.op, plain_number(c.value)] for c in self.spec.constraints]
        return out


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and bool(pd.to_numeric(frame[column], errors="coerce").notna().any())


def default_preset(frame: pd.DataFrame) -> str:
    """Paper metrics when the runs have them, else the loss rule when they have an eval loss, else custom."""
    if any(_has_values(frame, METRIC_PREFIX + m) for m in (*PAPER_MAX, *PAPER_MIN)):
        return "paper"
    if any(_has_values(frame, METRIC_PREFIX + k) for k in EVAL_LOSS_KEYS):
        return "loss"
    return "custom"


def metric_choices(frame: pd.DataFrame, overrides: Mapping[str, str]) -> list[MetricChoice]:
    """Metrics of the frame with a known direction (a score needs one), in the frame's order."""
    return _directional(numeric_metrics(frame), overrides)


def _directional(metrics: list[str], overrides: Mapping[str, str]) -> list[MetricChoice]:
    out: list[MetricChoice] = []
    for metric in metrics:
        direction = metric_direction(METRIC_PREFIX + metric, overrides)
        if direction is not None:
            out.append(MetricChoice(metric, direction))
    return out


def numeric_metrics(frame: pd.DataFrame) -> list[str]:
    """Bare names of the frame's metrics with at least one number: what a threshold can apply to."""
    return [
        column[len(METRIC_PREFIX) :]
        for column in frame.columns
        if isinstance(column, str) and column.startswith(METRIC_PREFIX) and _has_values(frame, column)
    ]


def _custom_criteria(
    chosen: list[str], choices: list[MetricChoice], overrides: Mapping[str, str], notes: list[str]
) -> list[Criterion]:
    known: dict[str, Literal["min", "max"]] = {c.metric: c.direction for c in choices}
    criteria: list[Criterion] = []
    for metric in chosen:
        direction = known.get(metric) or metric_direction(metric, overrides)
        if direction is None:
            notes.append(f"{metric}: direction unknown (set it in metric_directions); left out")
        else:
            criteria.append(Criterion(metric, DEFAULT_WEIGHT, direction))
    return criteria


def build_plan(frame: pd.DataFrame, rec: Mapping[str, Any], overrides: Mapping[str, str]) -> RecommendPlan:
    """The scoring spec for ``rec`` over the runs of ``frame`` (the runs shown)."""
    state = clean_rec(dict(rec))
    preset = state.get("preset") or default_preset(frame)
    numeric = numeric_metrics(frame)
    choices = _directional(numeric, overrides)
    chosen: list[str] = list(state.get("metrics", []))
    notes: list[str] = []
    if preset == "paper":
        base = paper_metrics_preset(frame)
        criteria = [
            replace(c, direction=metric_direction(c.metric, overrides) or c.direction) for c in base.criteria
        ]
        defaults = {c.metric: DEFAULT_WEIGHT for c in criteria}
    elif preset == "loss":
        base = loss_preset()
        criteria = list(base.criteria)
        defaults = dict(LOSS_WEIGHTS)
    else:
        base = ScoringSpec([])
        criteria = _custom_criteria(chosen, choices, overrides, notes)
        defaults = {c.metric: DEFAULT_WEIGHT for c in criteria}
    given = state.get("weights", {})
    weights = {c.metric: float(given.get(c.metric, defaults[c.metric])) for c in criteria}
    spec = ScoringSpec(
        [replace(c, weight=weights[c.metric]) for c in criteria],
        normalisation=state.get("norm", base.normalisation),
        missing=state.get("missing", base.missing),
        completed_only=state.get("completed", base.completed_only),
        constraints=[Constraint(metric, op, value) for metric, op, value in state.get("constraints", [])],
    )
    return RecommendPlan(preset, spec, weights, choices, chosen, defaults, notes, numeric)


def build_spec(frame: pd.DataFrame, rec: Mapping[str, Any], overrides: Mapping[str, str]) -> ScoringSpec:
    return build_plan(frame, rec, overrides).spec


# ---------------------------------------------------------------- the result


class _Parts:
    """The ranked runs' normalised scores as a matrix, so re-weighting is one matrix product."""

    def __init__(self, result: ScoreResult, metrics: list[str]) -> None:
        self.metrics = metrics
        self.values = np.array([[r.parts.get(m, (0.0, 0.0))[0] for m in metrics] for r in result.ranking])
        self.counted = np.array([[m in r.parts for m in metrics] for r in result.ranking], dtype=float)
        self.keys = [(r.name, r.run_id) for r in result.ranking]

    def winner(self, weights: Mapping[str, float]) -> str:
        """Who wins under ``weights``, computed as ``scoring`` computes totals and breaks ties."""
        w = np.array([weights.get(m, 0.0) for m in self.metrics])
        totals = np.clip(100.0 * ((self.values * self.counted) @ w) / (self.counted @ w), 0.0, 100.0)
        rounded = np.round(totals, 9)
        tied = np.flatnonzero(rounded == rounded.max())
        return min(self.keys[i] for i in tied)[1]


def fast_sensitivity(result: ScoreResult, spec: ScoringSpec, delta: float = SENSITIVITY_DELTA) -> Sensitivity:
    """``scoring.sensitivity(frame, spec, delta)`` from ``result = score(frame, spec)``."""
    base = result.winner
    if base is None:
        return Sensitivity(True, [])
    scored = {m for run in result.ranking for m in run.parts}
    base_weights = {c.metric: c.weight for c in spec.criteria if c.weight > 0}
    parts = _Parts(result, sorted(scored))
    label = format_number(round(100 * delta, 6))
    flips: list[tuple[str, str, str]] = []
    for criterion in spec.criteria:
        if criterion.metric not in scored or not criterion.weight > 0:
            continue  # left out of the score (no data, no weight): moving it changes nothing
        for sign in (1, -1):
            weights = dict(base_weights)
            weights[criterion.metric] = criterion.weight * (1 + sign * delta)
            winner = parts.winner(weights)
            if winner != base.run_id:
                flips.append((criterion.metric, f"{'+' if sign > 0 else '-'}{label}%", winner))
    return Sensitivity(not flips, flips)


@dataclass
class Recommendation:
    plan: RecommendPlan
    result: ScoreResult
    sensitivity: Sensitivity
    too_many: int | None = None  # the number of runs shown, when more than MAX_SCORED_RUNS

    @property
    def totals(self) -> dict[str, float]:
        return {run.run_id: run.total for run in self.result.ranking}


def recommend(frame: pd.DataFrame, rec: Mapping[str, Any], overrides: Mapping[str, str]) -> Recommendation:
    """Score the runs of ``frame`` (the runs shown) as ``rec`` says."""
    plan = build_plan(frame, rec, overrides)
    if len(frame) > MAX_SCORED_RUNS:
        empty = ScoreResult([], [], [], [])
        return Recommendation(plan, empty, Sensitivity(True, []), too_many=len(frame))
    result = score(frame, plan.spec)
    return Recommendation(plan, result, fast_sensitivity(result, plan.spec))
