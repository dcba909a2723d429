"""Proportions, differences of proportions and their tests.

Each function is pure and takes the sufficient statistics (a proportion and a base, or counts).
A weighted estimate passes its Kish effective sample size as the base.

>>> lo, hi = proportion_ci(0.4, 125)
>>> round(lo, 4), round(hi, 4)
(0.3182, 0.4875)
"""

from __future__ import annotations

import math
from statistics import NormalDist

CI_METHODS = ("wilson",)
DIFF_METHODS = ("newcombe",)


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for a confidence level."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def proportion_ci(p: float, n: float, confidence: float = 0.95,
                  method: str = "wilson") -> tuple[float, float]:
    """Confidence interval for a proportion ``p`` on base ``n`` (effective n when weighted).

    ``method="wilson"``: the Wilson score interval (Wilson 1927; Newcombe 1998, method 3).
    """
    if method not in CI_METHODS:
        raise ValueError(f"unknown method {method!r} (expected one of: {', '.join(CI_METHODS)})")
    if n <= 0:
        raise ValueError("the base must be positive")
    z = z_value(confidence)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def kish_effective_n(sw: float, sw2: float) -> float:
    """Kish's effective sample size (Σw)² / Σw²; equals n when all weights are equal."""
    return sw * sw / sw2 if sw2 > 0 else 0.0


def diff_ci(p1: float, n1: float, p2: float, n2: float, confidence: float = 0.95,
            method: str = "newcombe") -> tuple[float, float, float]:
    """The difference p1 - p2 with its interval.

    ``method="newcombe"``: the hybrid score interval built from the two Wilson intervals
    (Newcombe 1998, method 10).
    """
    if method not in DIFF_METHODS:
        raise ValueError(f"unknown method {method!r} (expected one of: {', '.join(DIFF_METHODS)})")
    l1, u1 = proportion_ci(p1, n1, confidence)
    l2, u2 = proportion_ci(p2, n2, confidence)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, lo, hi


def two_proportion_ztest(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    """Two-sided z-test of p1 = p2 with the pooled variance. Returns (z, p-value)."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (p1 - p2) / se
    return z, 2 * NormalDist().cdf(-abs(z))


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact test p-value for the 2×2 table [[a, b], [c, d]].

    Sums the hypergeometric probabilities of every table with the same margins that is no more
    likely than the one observed, with R's relative tolerance of 1e-7 for ties.
    """
    row1, col1, total = a + b, a + c, a + b + c + d
    lo, hi = max(0, col1 - (total - row1)), min(row1, col1)
    denom = math.comb(total, col1)

    def prob(x: int) -> float:
        return math.comb(row1, x) * math.comb(total - row1, col1 - x) / denom

    observed = prob(a)
    return min(1.0, sum(pr for x in range(lo, hi + 1)
                        if (pr := prob(x)) <= observed * (1 + 1e-7)))


def expected_counts(x1: float, n1: float, x2: float, n2: float) -> tuple[float, ...]:
    """The four expected cell counts of the 2×2 table of successes and failures by group."""
    total, succ = n1 + n2, x1 + x2
    fail = total - succ
    return (n1 * succ / total, n1 * fail / total, n2 * succ / total, n2 * fail / total)


def gap_test(p1: float, n1: float, p2: float, n2: float) -> tuple[str, float]:
    """Test p1 = p2: the pooled z-test, or Fisher's exact test when an expected count is
    below 5. Bases may be effective sizes; Fisher then uses the counts rounded to whole numbers.
    Returns (method name, p-value)."""
    x1, x2 = p1 * n1, p2 * n2
    if min(expected_counts(x1, n1, x2, n2)) < 5:
        a, c = round(x1), round(x2)
        m1, m2 = round(n1), round(n2)
        return "fisher", fisher_exact(a, m1 - a, c, m2 - c)
    return "z", two_proportion_ztest(p1, n1, p2, n2)[1]


def benjamini_hochberg(pvalues: list[float]) -> list[float]:
    """Benjamini-Hochberg (1995) adjusted p-values (step-up, false discovery rate)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = running
    return adjusted
