"""Wilson intervals, two-proportion and standard-error tests, checked against hand calculations.

z = 1.959963984540054 (the 97.5% normal quantile), z² = 3.8414588206941245. Reference values
in the comments were computed independently with mpmath at 40 digits.
"""

from __future__ import annotations

import math

import pytest

from dashboard.analysis.intervals import (
    Z95,
    Estimate,
    compare_to,
    count_key,
    estimate_for,
    p_text,
    recover_count,
    stderr_test,
    supporting_keys,
    two_proportion_test,
    two_sided_p,
    wilson,
)

Z = 1.959963984540054


def test_wilson_538_of_1000_by_hand() -> None:
    # p = 0.538, n = 1000, z² = 3.8414588206941245
    # centre = (0.538 + z²/2000) / (1 + z²/1000) = 0.539920729410347 / 1.003841458820694 = 0.53785458317754890
    # half   = z / (1 + z²/1000) * sqrt(0.538·0.462/1000 + z²/4e6) = 0.03084128609814920
    # → [0.50701329707939971, 0.56869586927569810]
    z2 = Z * Z
    centre = (0.538 + z2 / 2000) / (1 + z2 / 1000)
    half = Z / (1 + z2 / 1000) * math.sqrt(0.538 * 0.462 / 1000 + z2 / 4_000_000)
    low, high = wilson(538, 1000)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    assert low == pytest.approx(0.5070132970793997, abs=1e-12)
    assert high == pytest.approx(0.5686958692756981, abs=1e-12)


def test_wilson_at_the_edges_stays_in_the_unit_interval() -> None:
    # k = 0, n = 50: centre = half = (z²/100)/(1 + z²/50) = 0.0356737995666794 → [0, 0.0713475991333587]
    low, high = wilson(0, 50)
    assert low == 0.0
    assert high == pytest.approx(0.07134759913335871, abs=1e-12)
    low, high = wilson(50, 50)
    assert low == pytest.approx(0.9286524008666413, abs=1e-12)
    assert high == 1.0


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, 0), (1, -5)])
def test_wilson_refuses_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(k, n)


def test_two_sided_p_of_the_95_quantile_is_005() -> None:
    assert two_sided_p(Z95) == pytest.approx(0.05, abs=1e-12)
    assert two_sided_p(-Z95) == pytest.approx(0.05, abs=1e-12)
    assert two_sided_p(0.0) == 1.0


def test_two_proportion_indistinguishable_538_vs_556() -> None:
    # pooled p̂ = (538 + 556)/2000 = 0.547; se = sqrt(0.547·0.453·(1/1000 + 1/1000)) = sqrt(0.000495582)
    #          = 0.022261671096303620
    # z = (0.556 − 0.538)/se = 0.018/0.0222616711 = 0.80856463659589160
    # p = erfc(z/√2) = 0.41876561280818856  (≥ 0.05: noise)
    se = math.sqrt(0.547 * 0.453 * (2 / 1000))
    z, p = two_proportion_test(538, 1000, 556, 1000)
    assert z == pytest.approx(0.018 / se, abs=1e-12)
    assert z == pytest.approx(0.8085646365958916, abs=1e-12)
    assert p == pytest.approx(0.41876561280818856, abs=1e-12)
    reverse_z, reverse_p = two_proportion_test(556, 1000, 538, 1000)
    assert reverse_z == pytest.approx(-z, abs=1e-12)
    assert reverse_p == pytest.approx(p, abs=1e-12)


def test_two_proportion_significant_500_vs_560() -> None:
    # pooled p̂ = 1060/2000 = 0.53; se = sqrt(0.53·0.47·0.002) = 0.022320394261750844
    # z = 0.06/se = 2.6881245598254730; p = erfc(z/√2) = 0.0071854587581324122
    z, p = two_proportion_test(500, 1000, 560, 1000)
    assert z == pytest.approx(0.06 / math.sqrt(0.53 * 0.47 * 0.002), abs=1e-12)
    assert z == pytest.approx(2.688124559825473, abs=1e-12)
    assert p == pytest.approx(0.007185458758132412, abs=1e-12)


def test_two_proportion_both_zero_or_both_full_is_no_difference() -> None:
    assert two_proportion_test(0, 10, 0, 20) == (0.0, 1.0)
    assert two_proportion_test(10, 10, 20, 20) == (0.0, 1.0)


def test_stderr_test_by_hand() -> None:
    # hellaswag/acc 0.5 ± se 0.005 vs 0.515 ± se 0.005:
    # sqrt(0.005² + 0.005²) = 0.0070710678118654752; z = 0.015/0.00707106781 = 2.1213203435596426
    # p = erfc(z/√2) = 0.033894853524689273 (< 0.05)
    z, p = stderr_test(0.5, 0.005, 0.515, 0.005)
    assert z == pytest.approx((0.515 - 0.5) / math.sqrt(0.005**2 + 0.005**2), abs=1e-12)
    assert z == pytest.approx(2.1213203435596426, abs=1e-9)
    assert p == pytest.approx(0.03389485352468927, abs=1e-9)


def test_stderr_test_refuses_bad_errors() -> None:
    with pytest.raises(ValueError):
        stderr_test(0.5, 0.0, 0.6, 0.0)
    with pytest.raises(ValueError):
        stderr_test(0.5, -0.01, 0.6, 0.01)
    with pytest.raises(ValueError):
        stderr_test(0.5, math.nan, 0.6, 0.01)


# ---------------------------------------------------------------- estimates


def test_estimate_paper_metrics_accuracy_recovers_k() -> None:
    estimate = estimate_for({"sblimp_accuracy": 0.538, "sblimp_samples": 1000.0}, "sblimp_accuracy")
    assert estimate is not None
    assert estimate.kind == "wilson"
    assert (estimate.k, estimate.n) == (538, 1000)
    assert (estimate.low, estimate.high) == wilson(538, 1000)
    assert "k = round(accuracy × n) = 538" in estimate.explanation
    assert "sblimp_samples" in estimate.explanation


def test_estimate_hf_eval_accuracy_with_eval_samples() -> None:
    # 799/872 = 0.91628440366972477
    estimate = estimate_for({"eval_accuracy": 799 / 872, "eval_samples": 872}, "eval_accuracy")
    assert estimate is not None and estimate.kind == "wilson"
    assert (estimate.k, estimate.n) == (799, 872)


def test_estimate_accuracy_that_is_not_k_over_n_gets_no_interval() -> None:
    # 0.916786 · 872 = 799.437...: no whole k gives it, so the count does not belong to it
    estimate = estimate_for({"eval_accuracy": 0.9167862129211426, "eval_samples": 872}, "eval_accuracy")
    assert estimate is not None
    assert estimate.kind is None and estimate.low is None
    assert "not a whole count out of n = 872" in estimate.explanation


def test_recover_count_accepts_float32_and_display_rounding() -> None:
    assert recover_count(0.6119722073757349, 1871) == 1145  # 1145/1871 exactly
    assert recover_count(0.613, 1871) == 1147  # 1147/1871 = 0.61304…, printed with 3 decimals
    assert recover_count(0.5423, 1871) is None  # 1015/1871 = 0.54249… would print 0.5425
    assert recover_count(1.5, 10) is None
    assert recover_count(0.5, 0) is None


def test_estimate_samples_that_are_not_a_count() -> None:
    estimate = estimate_for({"x_accuracy": 0.5, "x_samples": 10.5}, "x_accuracy")
    assert estimate is not None and estimate.kind is None
    assert "is not a sample count" in estimate.explanation


def test_estimate_lm_eval_stderr_keys() -> None:
    metrics = {"hellaswag/acc": 0.5, "hellaswag/acc_stderr": 0.005, "gsm8k/exact_match[strict-match]": 0.3}
    metrics["gsm8k/exact_match[strict-match]_stderr"] = 0.0126
    estimate = estimate_for(metrics, "hellaswag/acc")
    assert estimate is not None and estimate.kind == "stderr"
    assert estimate.se == 0.005
    assert estimate.low == pytest.approx(0.5 - Z * 0.005, abs=1e-15)
    assert estimate.high == pytest.approx(0.5 + Z * 0.005, abs=1e-15)
    filtered = estimate_for(metrics, "gsm8k/exact_match[strict-match]")
    assert filtered is not None and filtered.se == 0.0126


def test_reported_stderr_wins_over_a_count() -> None:
    estimate = estimate_for({"x_accuracy": 0.5, "x_samples": 100, "x_accuracy_stderr": 0.04}, "x_accuracy")
    assert estimate is not None and estimate.kind == "stderr"


def test_estimate_missing_or_non_finite_is_none() -> None:
    assert estimate_for({}, "sblimp_accuracy") is None
    assert estimate_for({"a": math.nan}, "a") is None
    assert estimate_for({"a": math.inf}, "a") is None
    plain = estimate_for({"eval_loss": 0.3}, "eval_loss")
    assert plain == Estimate(0.3, explanation="no sample count or standard error reported: no interval")


def test_supporting_keys_fold_counts_and_errors() -> None:
    names = {
        "sblimp_accuracy",
        "sblimp_samples",
        "librilight_samples",
        "hellaswag/acc",
        "hellaswag/acc_stderr",
    }
    assert supporting_keys(names) == {"sblimp_samples", "hellaswag/acc_stderr"}
    assert count_key("eval_accuracy") == "eval_samples"
    assert count_key("_accuracy") is None
    assert count_key("acc") is None


# ---------------------------------------------------------------- differences


def _wilson(acc: float, n: int) -> Estimate:
    estimate = estimate_for({"t_accuracy": acc, "t_samples": n}, "t_accuracy")
    assert estimate is not None
    return estimate


def test_compare_to_indistinguishable() -> None:
    difference = compare_to(_wilson(0.538, 1000), _wilson(0.556, 1000))
    assert difference.delta == pytest.approx(0.018, abs=1e-15)
    assert difference.delta_pct == pytest.approx(0.018 / 0.538 * 100, abs=1e-12)  # 3.3457249070631970 %
    assert difference.p == pytest.approx(0.41876561280818856, abs=1e-12)
    assert difference.indistinguishable is True
    assert difference.test == "two-proportion"
    assert difference.marker == "≈"
    assert difference.explanation == (
        "≈: Δ = +0.018 cannot be told from noise (pooled two-proportion z-test, 556/1000 vs 538/1000: "
        "z = 0.81, p = 0.42 ≥ 0.05, two-sided)"
    )


def test_compare_to_significant() -> None:
    difference = compare_to(_wilson(0.5, 1000), _wilson(0.56, 1000))
    assert difference.indistinguishable is False
    assert difference.p == pytest.approx(0.007185458758132412, abs=1e-12)
    assert difference.marker == "p = 0.0072"
    assert difference.explanation == (
        "Δ = +0.06 is unlikely to be noise (pooled two-proportion z-test, 560/1000 vs 500/1000: "
        "z = 2.69, p = 0.0072 < 0.05, two-sided)"
    )


def test_compare_to_with_reported_errors() -> None:
    # arc_easy/acc 0.70 ± 0.0094 vs 0.71 ± 0.0093: z = 0.01/sqrt(0.0094² + 0.0093²) = 0.01/0.013223085872821
    # = 0.75625312398175945, p = 0.44949744723112977 → ≈
    ref = estimate_for({"arc_easy/acc": 0.70, "arc_easy/acc_stderr": 0.0094}, "arc_easy/acc")
    other = estimate_for({"arc_easy/acc": 0.71, "arc_easy/acc_stderr": 0.0093}, "arc_easy/acc")
    assert ref is not None and other is not None
    difference = compare_to(ref, other)
    assert difference.test == "stderr"
    assert difference.z == pytest.approx(0.7562531239817595, abs=1e-9)
    assert difference.p == pytest.approx(0.4494974472311298, abs=1e-9)
    assert difference.indistinguishable is True


def test_compare_to_mixes_a_count_with_a_reported_error() -> None:
    # reference 540/1000 (binomial se sqrt(0.54·0.46/1000) = 0.015760710643876), other 0.60 ± 0.01
    ref = _wilson(0.54, 1000)
    other = estimate_for({"t_accuracy": 0.60, "t_accuracy_stderr": 0.01}, "t_accuracy")
    assert other is not None
    difference = compare_to(ref, other)
    se_ref = math.sqrt(0.54 * 0.46 / 1000)
    assert difference.test == "stderr"
    assert difference.z == pytest.approx((0.60 - 0.54) / math.sqrt(se_ref**2 + 0.01**2), abs=1e-12)
    assert difference.indistinguishable is False


def test_compare_to_without_intervals_is_not_tested() -> None:
    difference = compare_to(Estimate(0.3), Estimate(0.25))
    assert difference.p is None
    assert difference.indistinguishable is False
    assert difference.marker == ""
    assert difference.delta == pytest.approx(-0.05, abs=1e-15)
    assert difference.delta_pct == pytest.approx(-0.05 / 0.3 * 100, abs=1e-12)
    assert "not tested" in difference.explanation


def test_compare_to_zero_reference_has_no_percentage() -> None:
    assert compare_to(Estimate(0.0), Estimate(1.0)).delta_pct is None


def test_p_text() -> None:
    assert p_text(0.0071854) == "p = 0.0072"
    assert p_text(0.41876) == "p = 0.42"
    assert p_text(0.00001) == "p < 0.0001"
