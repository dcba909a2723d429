"""Every formula against an independent source, named in each test with its tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import DescrStatsW

from rocsreport.stats.means import mean_ci, nps
from rocsreport.stats.proportions import (
    benjamini_hochberg,
    diff_ci,
    expected_counts,
    fisher_exact,
    gap_test,
    kish_effective_n,
    proportion_ci,
    two_proportion_ztest,
)
from rocsreport.words import fraction_words, points

CASES = [(50, 125), (35, 125), (0, 12), (12, 12), (1, 9), (31, 45), (447, 1000)]


@pytest.mark.parametrize(("x", "n"), CASES)
def test_wilson_matches_statsmodels(x, n):
    # Source: statsmodels proportion_confint(method="wilson"). Tolerance 1e-12.
    lo, hi = proportion_ci(x / n, n)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(ref_lo, abs=1e-12)
    assert hi == pytest.approx(ref_hi, abs=1e-12)


def test_wilson_at_90_percent_matches_statsmodels():
    # Source: statsmodels, alpha=0.10. Tolerance 1e-12.
    lo, hi = proportion_ci(0.4, 125, confidence=0.90)
    ref = proportion_confint(50, 125, alpha=0.10, method="wilson")
    assert (lo, hi) == pytest.approx(ref, abs=1e-12)


def test_unknown_method_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown method 'wald' \(expected one of: wilson\)"):
        proportion_ci(0.4, 125, method="wald")


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"),
                         [(32, 45, 36, 80), (14, 45, 36, 80), (3, 12, 9, 11), (0, 15, 4, 30)])
def test_newcombe_matches_statsmodels(x1, n1, x2, n2):
    # Source: statsmodels confint_proportions_2indep(method="newcomb", compare="diff").
    # Tolerance 1e-12.
    d, lo, hi = diff_ci(x1 / n1, n1, x2 / n2, n2)
    ref_lo, ref_hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb",
                                                compare="diff", alpha=0.05)
    assert d == pytest.approx(x1 / n1 - x2 / n2, abs=1e-15)
    assert lo == pytest.approx(ref_lo, abs=1e-12)
    assert hi == pytest.approx(ref_hi, abs=1e-12)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(32, 45, 36, 80), (14, 45, 36, 80),
                                                    (200, 400, 180, 420)])
def test_ztest_matches_statsmodels(x1, n1, x2, n2):
    # Source: statsmodels proportions_ztest (pooled variance, two-sided). Tolerance 1e-12.
    z, p = two_proportion_ztest(x1 / n1, n1, x2 / n2, n2)
    ref_z, ref_p = proportions_ztest([x1, x2], [n1, n2])
    assert z == pytest.approx(ref_z, abs=1e-12)
    assert p == pytest.approx(ref_p, abs=1e-12)


@pytest.mark.parametrize("table", [(3, 9, 9, 2), (0, 15, 4, 26), (8, 2, 1, 5), (10, 10, 10, 10),
                                   (1, 44, 6, 74), (5, 0, 0, 5)])
def test_fisher_matches_scipy(table):
    # Source: scipy.stats.fisher_exact, two-sided. Tolerance 1e-12.
    a, b, c, d = table
    ref = sps.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert fisher_exact(a, b, c, d) == pytest.approx(ref, abs=1e-12)


def test_gap_test_switches_to_fisher_when_an_expected_count_is_below_5():
    # Hand calculation: 1/12 against 5/40 has expected successes 12 * 6 / 52 = 1.38 < 5.
    assert min(expected_counts(1, 12, 5, 40)) == pytest.approx(12 * 6 / 52)
    method, p = gap_test(1 / 12, 12, 5 / 40, 40)
    assert method == "fisher"
    assert p == pytest.approx(sps.fisher_exact([[1, 11], [5, 35]]).pvalue, abs=1e-12)
    method, p = gap_test(32 / 45, 45, 36 / 80, 80)
    assert method == "z"
    assert p == pytest.approx(proportions_ztest([32, 36], [45, 80])[1], abs=1e-12)


def test_benjamini_hochberg_matches_statsmodels():
    # Source: statsmodels multipletests(method="fdr_bh"). Tolerance 1e-12.
    p = [0.507, 0.128, 0.0048, 0.0009, 0.0016, 0.208, 0.04, 0.04]
    ref = multipletests(p, method="fdr_bh")[1]
    assert benjamini_hochberg(p) == pytest.approx(list(ref), abs=1e-12)


def test_kish_effective_n_by_hand():
    # Hand calculation: weights 1, 1, 2, 4 -> (8)^2 / (1 + 1 + 4 + 16) = 64 / 22.
    w = [1.0, 1.0, 2.0, 4.0]
    assert kish_effective_n(sum(w), sum(x * x for x in w)) == pytest.approx(64 / 22, abs=1e-15)
    assert kish_effective_n(10.0, 10.0) == 10.0


def test_unweighted_mean_t_interval_matches_scipy():
    # Source: scipy.stats.t.interval with the sample standard error. Tolerance 1e-10.
    y = np.array([5, 4, 4, 3, 2, 5, 1, 4, 4, 3, 5, 2], dtype=float)
    mean, lo, hi, neff = mean_ci(len(y), len(y), len(y), y.sum(), (y * y).sum())
    ref = sps.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=sps.sem(y))
    assert mean == pytest.approx(y.mean(), abs=1e-12)
    assert (lo, hi) == pytest.approx(ref, abs=1e-10)
    assert neff == len(y)


def test_weighted_mean_interval_by_hand():
    # Hand calculation (the documented method): mean = Σwy/Σw; n_eff = (Σw)²/Σw²;
    # var = [Σw(y-mean)²/Σw] * n_eff/(n_eff-1); se = sqrt(var/n_eff); t on n_eff-1 df.
    y = np.array([1, 2, 3, 4, 5, 5], dtype=float)
    w = np.array([0.5, 1.0, 1.5, 1.0, 2.0, 0.5])
    m = (w * y).sum() / w.sum()
    neff = w.sum() ** 2 / (w * w).sum()
    var = (w * (y - m) ** 2).sum() / w.sum() * neff / (neff - 1)
    half = sps.t.ppf(0.975, neff - 1) * math.sqrt(var / neff)
    mean, lo, hi, got_neff = mean_ci(6, w.sum(), (w * w).sum(), (w * y).sum(),
                                     (w * y * y).sum())
    assert mean == pytest.approx(m, abs=1e-12)
    assert got_neff == pytest.approx(neff, abs=1e-12)
    assert (lo, hi) == pytest.approx((m - half, m + half), abs=1e-10)
    # Cross-check the point estimate with statsmodels' weighted statistics.
    assert mean == pytest.approx(DescrStatsW(y, weights=w).mean, abs=1e-12)


def test_nps_by_hand():
    # Hand calculation: 50 promoters, 30 detractors of 100: NPS = 20;
    # var(pP - pD) = (0.5 + 0.3 - 0.2²) / 100 = 0.0076; half width = 1.959964 * sqrt(0.0076).
    score, lo, hi = nps(50, 30, 100, 100)
    half = 100 * 1.959963984540054 * math.sqrt(0.0076)
    assert score == pytest.approx(20.0, abs=1e-12)
    assert (lo, hi) == pytest.approx((20 - half, 20 + half), abs=1e-9)


@pytest.mark.parametrize(("p", "words"), [
    (0.40, "two in five"), (0.28, "nearly three in ten"), (0.5, "half"),
    (0.52, "just over half"), (0.54, "more than half"), (0.5528, "more than half"),
    (0.57, "nearly three in five"), (0.45, "more than two in five"),
    (0.25, "one in four"), (0.333, "one in three"), (0.03, "fewer than one in ten"),
    (0.96, "more than nine in ten"),
    (0.71, "just over seven in ten"), (0.0, "none"), (1.0, "all")])
def test_fraction_words(p, words):
    assert fraction_words(p) == words


def test_points_use_a_real_minus_sign():
    assert points(-0.14) == "\u221214 points"
    assert points(0.26) == "+26 points"
