"""The recommendation: a weighted score over chosen metrics, with every rule stated.

A recommendation that hides how it treats a missing value or a constant column misleads,
so ``score`` returns the rules it applied (``ScoreResult.rules_text``), the runs it left
out and why, and per run the normalised and weighted part of each metric plus reasons
in words computed from the ranks ("best sblimp_accuracy (0.556)", "2nd on tstory_accuracy").

Normalisation is across the runs being ranked: ``"minmax"`` maps the best value to 1 and
the worst to 0; ``"rank"`` uses average ranks (ties share one) scaled to [0, 1]. A metric
every ranked run has the same value of scores 1 for everyone. Totals are in [0, 100].

``loss_preset`` is the seed's rule: 70 % eval-loss score (min-max, 100 = lowest eval loss)
+ 30 % an overfitting score read from the eval − train loss gap, completed runs only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .compare import EVAL_LOSS_KEYS, TRAIN_LOSS_KEYS, overfitting, row_metrics
from .numbers import format_number

METRIC_PREFIX = "metrics."
Normalisation = Literal["minmax", "rank"]
MissingRule = Literal["exclude", "worst", "skip-metric"]

# Derived criteria the loss preset uses: computed per row, not read from a column.
EVAL_LOSS = "eval loss"
OVERFIT = "overfitting"
OVERFIT_POINTS: dict[str, float] = {"excellent": 100, "good": 80, "moderate": 60, "high": 30, "leakage": 40}

PAPER_MAX = ("sblimp_accuracy", "swuggy_accuracy", "tstory_accuracy", "sstory_accuracy")
PAPER_MIN = ("librilight_perplexity_8k", "librilight_slope")

MISSING_TEXT: dict[str, str] = {
    "exclude": "A run missing any chosen metric is not ranked (listed with the reason).",
    "worst": "A missing metric counts as the worst score (0) for that metric.",
    "skip-metric": "A missing metric is skipped: the run's score is re-weighted over the metrics it has.",
}


@dataclass(frozen=True)
class Criterion:
    """One metric (bare name) with its weight and good direction.

    ``normalise=False`` takes the value as an absolute 0–100 score (the seed's gap table)
    instead of normalising it across runs.
    """

    metric: str
    weight: float
    direction: Literal["min", "max"]
    normalise: bool = True


@dataclass(frozen=True)
class Constraint:
    metric: str
    op: Literal[">=", "<="]
    value: float

    @property
    def text(self) -> str:
        return f"{self.metric} {self.op} {format_number(self.value)}"


@dataclass
class ScoringSpec:
    criteria: list[Criterion]
    normalisation: Normalisation = "minmax"
    missing: MissingRule = "exclude"
    completed_only: bool = True
    constraints: list[Constraint] = field(default_factory=list)


@dataclass
class RunScore:
    run_id: str
    name: str
    total: float
    parts: dict[str, tuple[float, float]]
    reasons: list[str]


@dataclass
class ScoreResult:
    ranking: list[RunScore]
    excluded: list[tuple[str, str]]
    notes: list[str]
    rules_text: list[str]

    @property
    def winner(self) -> RunScore | None:
        return self.ranking[0] if self.ranking else None

    @property
    def runner_up(self) -> RunScore | None:
        return self.ranking[1] if len(self.ranking) > 1 else None


@dataclass(frozen=True)
class Sensitivity:
    stable: bool
    flips: list[tuple[str, str, str]]


# ---------------------------------------------------------------- metric values


def bare(metric: str) -> str:
    return metric[len(METRIC_PREFIX) :] if metric.startswith(METRIC_PREFIX) else metric


def _eval_loss(metrics: Mapping[str, float]) -> float:
    for key in EVAL_LOSS_KEYS:
        if key in metrics:
            return metrics[key]
    return math.nan


def _overfit_score(metrics: Mapping[str, float]) -> float:
    found = overfitting(metrics)
    return OVERFIT_POINTS[found.reading] if found.reading else math.nan


DERIVED: dict[str, Callable[[Mapping[str, float]], float]] = {EVAL_LOSS: _eval_loss, OVERFIT: _overfit_score}
# The only columns the derived criteria and the gap reasons read (frames can have hundreds).
LOSS_COLUMNS = tuple(METRIC_PREFIX + key for key in (*EVAL_LOSS_KEYS, *TRAIN_LOSS_KEYS))


def _loss_records(frame: pd.DataFrame, *keep: str) -> list[dict[str, Any]]:
    columns = [c for c in (*keep, *LOSS_COLUMNS) if c in frame.columns]
    return [{str(k): v for k, v in r.items()} for r in frame[columns].to_dict("records")]


def metric_values(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Finite float values of a metric per row (NaN = missing), derived metrics included."""
    name = bare(metric)
    if name in DERIVED:
        values = [DERIVED[name](row_metrics(row)) for row in _loss_records(frame)]
        return pd.Series(values, index=frame.index, dtype="float64")
    column = METRIC_PREFIX + name
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    numbers = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


# ---------------------------------------------------------------- normalisation


def normalise(values: pd.Series, direction: str, how: Normalisation) -> tuple[pd.Series, bool]:
    """Scores in [0, 1] (1 = best) for the finite values; ``True`` when the column is constant."""
    finite = values.dropna()
    oriented = finite if direction == "max" else -finite
    if finite.nunique() <= 1:
        return pd.Series(1.0, index=finite.index), True
    if how == "rank":
        ranks = oriented.rank(method="average")
        return (ranks - 1) / (len(ranks) - 1), False
    low, high = oriented.min(), oriented.max()
    return (oriented - low) / (high - low), False


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Places:
    """Competition ranks of one metric's finite values (1 = best; ties share the better place)."""

    place: dict[Any, int]
    value: dict[Any, float]
    worst: float
    informative: bool  # at least two runs and two different values: a rank says something


def places(values: pd.Series, direction: str) -> Places:
    finite = values.dropna()
    oriented = finite if direction == "max" else -finite
    ranks = oriented.rank(method="min", ascending=False)
    worst = float(finite.min() if direction == "max" else finite.max()) if len(finite) else math.nan
    return Places(
        place={i: int(r) for i, r in ranks.items()},
        value={i: float(v) for i, v in finite.items()},
        worst=worst,
        informative=len(finite) >= 2 and finite.nunique() > 1,
    )


def _rank_reason(criterion: Criterion, ranked: Places, index: Any) -> str | None:
    """'best X (v)', '2nd on X', '3rd on X' or 'worst X (v)' from the run's competition rank."""
    if not ranked.informative or index not in ranked.place:
        return None
    place, value = ranked.place[index], ranked.value[index]
    if place == 1:
        return f"best {criterion.metric} ({format_number(value)})"
    if value == ranked.worst and len(ranked.place) >= 3:
        return f"worst {criterion.metric} ({format_number(value)})"
    return f"{_ordinal(place)} on {criterion.metric}" if place <= 3 else None


def _overfit_reason(row: Mapping[str, Any]) -> str | None:
    found = overfitting(row_metrics(row))
    if found.gap is None or found.reading is None:
        return None
    word = "suspect leakage" if found.reading == "leakage" else found.reading
    return f"gap {format_number(round(found.gap, 12))}: {word}"


# ---------------------------------------------------------------- filtering


def _candidates(frame: pd.DataFrame, spec: ScoringSpec, excluded: list[tuple[str, str]]) -> pd.DataFrame:
    """Rows that pass the status filter and the constraints; the rest go to ``excluded``."""
    run_ids = dict(zip(frame.index, frame["run_id"].astype(str), strict=True))
    dropped: set[Any] = set()
    if spec.completed_only and "status" in frame.columns:
        for index, status in frame["status"].items():
            if status != "completed":
                dropped.add(index)
                excluded.append((run_ids[index], f"not completed (status {status})"))
    for constraint in spec.constraints:
        for index, value in metric_values(frame, constraint.metric).items():
            if index in dropped:
                continue
            if math.isnan(value):
                dropped.add(index)
                excluded.append((run_ids[index], f"no {constraint.metric} to check {constraint.text}"))
            elif not (value >= constraint.value if constraint.op == ">=" else value <= constraint.value):
                dropped.add(index)
                excluded.append((run_ids[index], f"fails {constraint.text} ({format_number(value)})"))
    return frame[[index not in dropped for index in frame.index]]


def _usable_criteria(frame: pd.DataFrame, spec: ScoringSpec, notes: list[str]) -> list[Criterion]:
    out: list[Criterion] = []
    for criterion in spec.criteria:
        if not criterion.weight > 0:
            notes.append(
                f"{criterion.metric}: weight {format_number(criterion.weight)} is not positive; left out"
            )
        elif metric_values(frame, criterion.metric).isna().all():
            notes.append(f"{criterion.metric}: no ranked run has it; left out")
        else:
            out.append(criterion)
    return out


def _drop_missing(
    frame: pd.DataFrame, values: dict[str, pd.Series], excluded: list[tuple[str, str]]
) -> pd.DataFrame:
    absent = pd.DataFrame({m: v.isna() for m, v in values.items()}, index=frame.index)
    lacking = absent.any(axis=1)
    run_ids = dict(zip(frame.index, frame["run_id"].astype(str), strict=True))
    for index, row in absent[lacking.to_numpy()].iterrows():
        excluded.append((run_ids[index], "missing " + ", ".join(m for m in values if row[m])))
    return frame[~lacking.to_numpy()]


# ---------------------------------------------------------------- scoring


def _rules(spec: ScoringSpec, criteria: list[Criterion]) -> list[str]:
    total = sum(c.weight for c in criteria) or 1.0
    weights = ", ".join(
        f"{c.metric} {c.direction} {format_number(round(100 * c.weight / total, 1))}%" for c in criteria
    )
    how = (
        "min-max across the ranked runs (best = 1, worst = 0)"
        if spec.normalisation == "minmax"
        else "average ranks across the ranked runs scaled to [0, 1] (ties share a rank)"
    )
    rules = [f"Weights: {weights}.", f"Normalisation: {how}; a constant metric scores 1 for every run."]
    if any(not c.normalise for c in criteria):
        rules.append("Overfitting points from the eval − train loss gap: " + _gap_table() + ".")
    rules.append(MISSING_TEXT[spec.missing])
    if spec.completed_only:
        rules.append("Only completed runs are ranked.")
    rules.extend(f"Constraint: {c.text}." for c in spec.constraints)
    return rules


def _gap_table() -> str:
    return "< 0.05 → 100, < 0.1 → 80, < 0.2 → 60, ≥ 0.2 → 30, negative (possible leakage) → 40"


def _normalised(
    criteria: list[Criterion], values: dict[str, pd.Series], spec: ScoringSpec, notes: list[str]
) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for criterion in criteria:
        series = values[criterion.metric]
        if not criterion.normalise:
            out[criterion.metric] = (series.dropna() / 100.0).clip(0.0, 1.0)
            continue
        scores, constant = normalise(series, criterion.direction, spec.normalisation)
        if constant and len(scores):
            notes.append(f"{criterion.metric} is the same for every ranked run: it scores 1 for all")
        out[criterion.metric] = scores
    return out


def _run_score(
    row: Mapping[str, Any],
    index: Any,
    criteria: list[Criterion],
    ranked: dict[str, Places],
    scores: dict[str, dict[Any, float]],
    missing: MissingRule,
) -> RunScore | None:
    present = [c for c in criteria if index in scores[c.metric]]
    if not present:
        return None
    counted = present if missing == "skip-metric" else criteria
    has = {c.metric for c in present}
    total_weight = sum(c.weight for c in counted)
    parts: dict[str, tuple[float, float]] = {}
    reasons: list[str] = []
    for criterion in counted:
        share = criterion.weight / total_weight
        if criterion.metric in has:
            value = scores[criterion.metric][index]
            parts[criterion.metric] = (value, 100.0 * share * value)
            reason = _overfit_reason(row) if criterion.metric == OVERFIT else None
            reason = reason or _rank_reason(criterion, ranked[criterion.metric], index)
        else:
            parts[criterion.metric] = (0.0, 0.0)
            reason = f"no {criterion.metric}: counted as worst"
        if reason:
            reasons.append(reason)
    if missing == "skip-metric":
        reasons.extend(
            f"no {c.metric}: score re-weighted over the others" for c in criteria if c.metric not in has
        )
    total = min(100.0, max(0.0, sum(weighted for _, weighted in parts.values())))
    return RunScore(str(row["run_id"]), str(row.get("name") or row["run_id"]), total, parts, reasons)


def score(frame: pd.DataFrame, spec: ScoringSpec) -> ScoreResult:
    """Rank the runs of ``frame`` by ``spec``; see the module docstring for the rules."""
    excluded: list[tuple[str, str]] = []
    notes: list[str] = []
    rows = _candidates(frame, spec, excluded)
    criteria = _usable_criteria(rows, spec, notes)
    rules = _rules(spec, criteria)
    if not criteria or rows.empty:
        return ScoreResult([], excluded, notes, rules)
    values = {c.metric: metric_values(rows, c.metric) for c in criteria}
    if spec.missing == "exclude":
        rows = _drop_missing(rows, values, excluded)
        values = {m: v[rows.index] for m, v in values.items()}
    normalised = _normalised(criteria, values, spec, notes)
    # Plain dicts and ranks computed once: the per-run loop below must not touch pandas.
    scores = {metric: {i: float(v) for i, v in series.items()} for metric, series in normalised.items()}
    ranked = {c.metric: places(values[c.metric], c.direction) for c in criteria}
    ranking: list[RunScore] = []
    records = _loss_records(rows, "run_id", "name")
    for index, row in zip(rows.index, records, strict=True):
        result = _run_score(row, index, criteria, ranked, scores, spec.missing)
        if result is None:
            excluded.append((str(row["run_id"]), "has none of the chosen metrics"))
        else:
            ranking.append(result)
    ranking.sort(key=lambda r: (-round(r.total, 9), r.name, r.run_id))
    return ScoreResult(ranking, excluded, notes, rules)


# ---------------------------------------------------------------- presets and sensitivity


def paper_metrics_preset(frame: pd.DataFrame) -> ScoringSpec:
    """The four accuracies (max) and librilight 8k perplexity and slope (min), equal weights over those present."""
    wanted = [(m, "max") for m in PAPER_MAX] + [(m, "min") for m in PAPER_MIN]
    criteria = [
        Criterion(m, 1.0, "max" if d == "max" else "min")
        for m, d in wanted
        if metric_values(frame, m).notna().any()
    ]
    return ScoringSpec(criteria, normalisation="minmax", missing="exclude", completed_only=True)


def loss_preset() -> ScoringSpec:
    """The seed's rule: eval-loss score (min-max) × 0.7 + gap-table overfitting score × 0.3, completed only."""
    criteria = [Criterion(EVAL_LOSS, 0.7, "min"), Criterion(OVERFIT, 0.3, "max", normalise=False)]
    return ScoringSpec(criteria, normalisation="minmax", missing="exclude", completed_only=True)


def sensitivity(frame: pd.DataFrame, spec: ScoringSpec, delta: float = 0.2) -> Sensitivity:
    """Move each weight by ±delta (the rest renormalise) and report where the winner changes."""
    base = score(frame, spec).winner
    if base is None:
        return Sensitivity(True, [])
    flips: list[tuple[str, str, str]] = []
    label = format_number(round(100 * delta, 6))
    for i, criterion in enumerate(spec.criteria):
        for sign in (1, -1):
            moved = list(spec.criteria)
            moved[i] = replace(criterion, weight=criterion.weight * (1 + sign * delta))
            winner = score(frame, replace(spec, criteria=moved)).winner
            if winner is not None and winner.run_id != base.run_id:
                flips.append((criterion.metric, f"{'+' if sign > 0 else '-'}{label}%", winner.run_id))
    return Sensitivity(not flips, flips)
