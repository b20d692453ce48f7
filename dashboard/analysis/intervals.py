"""Confidence intervals for scores, and whether a difference between two runs is noise.

Two sources of uncertainty are understood, found from a metric's sibling keys:

- an accuracy with a sample count (``<x>_accuracy`` + ``<x>_samples``, e.g. the
  paper-metrics ``sblimp_accuracy`` + ``sblimp_samples`` or HF's ``eval_accuracy`` +
  ``eval_samples``): an accuracy is ``k/n``, so ``k = round(acc·n)`` is recovered and the
  95% **Wilson** score interval is given. The count is used only when ``acc`` really is
  ``k/n`` (within 1e-6, or equal to ``k/n`` rounded to as many decimals as ``acc`` shows);
  otherwise the pairing is not trusted and no interval is shown.
- a reported standard error (``<metric>_stderr``, as the lm-eval reader names them:
  ``hellaswag/acc`` + ``hellaswag/acc_stderr``): ``value ± 1.96·se``. A source's own
  error wins over a Wilson interval when both exist: it is what the source stated.

Differences (``other − reference``) are tested two-sided at ``alpha``:

- both Wilson: the pooled two-proportion z-test on the recovered counts,
  ``p̂ = (k1+k2)/(n1+n2)``, ``z = (k2/n2 − k1/n1) / sqrt(p̂(1−p̂)(1/n1 + 1/n2))``;
- otherwise, when both runs have an error: ``z = Δ / sqrt(se1² + se2²)``, taking the
  binomial ``sqrt(p(1−p)/n)`` for a side known only by its count;
- the p-value is ``erfc(|z|/√2)`` (normal tails; no scipy).

``p ≥ alpha`` marks the difference indistinguishable from noise ("≈"); a run without
any interval is not tested (``p`` is ``None``), which is not the same as "≈".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .numbers import format_number, signed

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal: a two-sided 95% interval
ALPHA = 0.05
# An accuracy stored as float32 or printed with many digits is k/n to about this much.
COUNT_TOLERANCE = 1e-6

IntervalKind = Literal["wilson", "stderr"]

_DECIMALS = re.compile(r"^-?\d+\.(\d+)$")


def _check_count(k: int, n: int) -> None:
    if n <= 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes out of ``n``.

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²)``.
    Unlike ``p ± z·sqrt(p(1−p)/n)`` it stays inside [0, 1] and is honest near 0 and 1.
    """
    _check_count(k, n)
    p = k / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def two_sided_p(z: float) -> float:
    """``P(|Z| ≥ |z|)`` for a standard normal ``Z``: ``erfc(|z|/√2)``."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``k2/n2`` against ``k1/n1``: ``(z, two-sided p)``.

    ``z`` is positive when the second proportion is higher. Both 0% or both 100% give
    ``(0, 1)``: nothing separates them.
    """
    _check_count(k1, n1)
    _check_count(k2, n2)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0.0:
        return 0.0, 1.0
    z = (k2 / n2 - k1 / n1) / se
    return z, two_sided_p(z)


def stderr_test(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float]:
    """z-test of ``b`` against ``a`` from their standard errors: ``z = (b − a)/sqrt(se_a² + se_b²)``.

    Raises ``ValueError`` for a negative or non-finite error, or when both are 0 (no test).
    """
    for se in (se_a, se_b):
        if not math.isfinite(se) or se < 0:
            raise ValueError(f"a standard error must be finite and >= 0, got {se}")
    combined = math.sqrt(se_a * se_a + se_b * se_b)
    if combined == 0.0:
        raise ValueError("both standard errors are 0: the difference cannot be tested")
    z = (b - a) / combined
    return z, two_sided_p(z)


# ---------------------------------------------------------------- estimates


@dataclass(frozen=True)
class Estimate:
    """A metric's value and, where the source allows, its 95% interval.

    ``kind`` says where the interval comes from (``None``: no interval). ``k``/``n`` are the
    recovered count and the sample count of a Wilson interval; ``se`` the reported error.
    ``explanation`` is a sentence for a tooltip.
    """

    value: float
    low: float | None = None
    high: float | None = None
    kind: IntervalKind | None = None
    n: int | None = None
    se: float | None = None
    k: int | None = None
    explanation: str = ""

    @property
    def sigma(self) -> float | None:
        """The standard error a z-test uses: the reported one, or the binomial ``sqrt(p(1−p)/n)``."""
        if self.se is not None:
            return self.se
        if self.k is not None and self.n:
            p = self.k / self.n
            return math.sqrt(p * (1 - p) / self.n)
        return None


def _finite(metrics: Mapping[str, float], key: str) -> float | None:
    value = metrics.get(key)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def count_key(name: str) -> str | None:
    """The sample-count key paired with an accuracy: ``sblimp_accuracy`` → ``sblimp_samples``."""
    if name.endswith("_accuracy") and len(name) > len("_accuracy"):
        return name[: -len("_accuracy")] + "_samples"
    return None


def stderr_key(name: str) -> str:
    """The standard-error key of a metric (the lm-eval reader's rule): ``M`` → ``M_stderr``."""
    return name + "_stderr"


def supporting_keys(names: set[str]) -> set[str]:
    """Keys among ``names`` that only qualify another one (its count or its error)."""
    folded: set[str] = set()
    for name in names:
        if name.endswith("_stderr") and name[: -len("_stderr")] in names:
            folded.add(name)
        count = count_key(name)
        if count is not None and count in names:
            folded.add(count)
    return folded


def recover_count(accuracy: float, n: int) -> int | None:
    """``k`` such that ``accuracy`` is ``k/n`` (as stored or as rounded for display), else ``None``."""
    if n <= 0 or not 0.0 <= accuracy <= 1.0:
        return None
    k = round(accuracy * n)
    if abs(k / n - accuracy) <= COUNT_TOLERANCE:
        return k
    decimals = _DECIMALS.match(repr(accuracy))
    if decimals and len(decimals.group(1)) <= 6 and round(k / n, len(decimals.group(1))) == accuracy:
        return k
    return None


def _stderr_estimate(value: float, se: float, key: str) -> Estimate:
    half = Z95 * se
    return Estimate(
        value=value,
        low=value - half,
        high=value + half,
        kind="stderr",
        se=se,
        explanation=f"95% interval: value ± 1.96 × reported standard error {format_number(se)} ({key})",
    )


def _wilson_estimate(value: float, samples: float, key: str) -> Estimate:
    if not samples.is_integer() or samples <= 0:
        return Estimate(
            value, explanation=f"{key} = {format_number(samples)} is not a sample count: no interval"
        )
    n = int(samples)
    k = recover_count(value, n)
    if k is None:
        return Estimate(
            value,
            n=n,
            explanation=f"{format_number(value)} is not a whole count out of n = {n} ({key}): no interval",
        )
    low, high = wilson(k, n)
    return Estimate(
        value=value,
        low=low,
        high=high,
        kind="wilson",
        n=n,
        k=k,
        explanation=f"95% Wilson interval; accuracy read as k/n with k = round(accuracy × n) = {k}, n = {n} ({key})",
    )


def estimate_for(metrics: Mapping[str, float], name: str) -> Estimate | None:
    """The estimate of ``metrics[name]`` with the interval its sibling keys allow; ``None`` when missing.

    ``metrics`` maps bare metric names (no ``metrics.`` prefix) to values; missing or
    non-finite values count as absent.
    """
    value = _finite(metrics, name)
    if value is None:
        return None
    se_name = stderr_key(name)
    se = _finite(metrics, se_name)
    if se is not None and se >= 0:
        return _stderr_estimate(value, se, se_name)
    count = count_key(name)
    samples = _finite(metrics, count) if count else None
    if count and samples is not None:
        return _wilson_estimate(value, samples, count)
    return Estimate(value, explanation="no sample count or standard error reported: no interval")


# ---------------------------------------------------------------- differences


@dataclass(frozen=True)
class Difference:
    """``other − reference``: absolute, in % of the reference, and its test.

    ``p`` is ``None`` when no test was possible (a run without an interval); then
    ``indistinguishable`` is ``False`` and ``explanation`` says why.
    """

    delta: float
    delta_pct: float | None
    p: float | None
    indistinguishable: bool
    explanation: str
    z: float | None = None
    test: Literal["two-proportion", "stderr"] | None = None

    @property
    def marker(self) -> str:
        """What the table shows beside the difference: ``≈``, ``p = 0.0032``, or nothing."""
        if self.p is None:
            return ""
        return "≈" if self.indistinguishable else p_text(self.p)


def p_text(p: float) -> str:
    """``p = 0.0032`` (2 significant digits), ``p < 0.0001`` below that."""
    return "p < 0.0001" if p < 1e-4 else f"p = {float(f'{p:.2g}'):g}"


def _test(
    ref: Estimate, other: Estimate
) -> tuple[float, float, Literal["two-proportion", "stderr"], str] | None:
    if ref.kind == "wilson" and other.kind == "wilson":
        assert ref.k is not None and ref.n is not None and other.k is not None and other.n is not None
        z, p = two_proportion_test(ref.k, ref.n, other.k, other.n)
        detail = f"pooled two-proportion z-test, {other.k}/{other.n} vs {ref.k}/{ref.n}"
        return z, p, "two-proportion", detail
    se_ref, se_other = ref.sigma, other.sigma
    if ref.kind is None or other.kind is None or se_ref is None or se_other is None:
        return None
    if se_ref == 0 and se_other == 0:
        return None
    z, p = stderr_test(ref.value, se_ref, other.value, se_other)
    detail = f"z = Δ / sqrt(se₁² + se₂²) with se {format_number(se_other)} vs {format_number(se_ref)}"
    return z, p, "stderr", detail


def compare_to(ref: Estimate, other: Estimate, alpha: float = ALPHA) -> Difference:
    """How ``other`` differs from ``ref``, and whether a two-sided test at ``alpha`` can tell it from noise."""
    delta = other.value - ref.value
    pct = delta / abs(ref.value) * 100.0 if ref.value != 0 else None
    tested = _test(ref, other)
    if tested is None:
        why = "no interval for one of the runs: the difference is not tested against noise"
        return Difference(delta, pct, None, False, why)
    z, p, test, detail = tested
    level = format_number(alpha)
    if p >= alpha:
        explanation = (
            f"≈: Δ = {signed(delta)} cannot be told from noise ({detail}: z = {z:.2f}, "
            f"{p_text(p)} ≥ {level}, two-sided)"
        )
        return Difference(delta, pct, p, True, explanation, z=z, test=test)
    explanation = f"Δ = {signed(delta)} is unlikely to be noise ({detail}: z = {z:.2f}, {p_text(p)} < {level}, two-sided)"
    return Difference(delta, pct, p, False, explanation, z=z, test=test)
