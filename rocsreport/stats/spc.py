"""Process-behaviour charts, their run rules, and the year-on-year comparisons of a tracker.

Pure functions on small per-cycle series: no SQL, no rendering.

- ``p_chart``: the p-chart with variable sample size (Montgomery, *Introduction to Statistical
  Quality Control*, 7th ed., section 7.2.2): centre p̄ = Σx / Σn over the baseline cycles, and
  for a cycle with n_i responses the limits p̄ ± 3·√(p̄(1 − p̄)/n_i), kept within [0, 1].
- ``xmr_chart``: the individuals chart with moving ranges (Wheeler, *Understanding Variation*,
  chapter 5): centre x̄ of the baseline values, m̄R the mean absolute difference of successive
  baseline values, and the natural process limits x̄ ± 2.66·m̄R (2.66 = 3 / d2, d2 = 1.128).
- ``signals``: the two rules the report uses (Western Electric Handbook, 1956, rules 1 and 4
  as Montgomery lists them, the run of 8 as Nelson's rule 2): a point beyond a limit, and 8
  successive points on one side of the centre line; each firing names its rule and direction.

>>> c = xmr_chart([10, 12, 11, 13, 12], baseline=5)
>>> round(c.centre, 2), round(c.upper[0], 3), round(c.lower[0], 3)
(11.6, 15.59, 7.61)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .tdist import t_ppf, t_sf

XMR_SCALE = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two (Wheeler)
RUN_LENGTH = 8
OUTSIDE = "outside"  # a point beyond a control limit
RUN = "run"  # RUN_LENGTH successive points on one side of the centre line


@dataclass(frozen=True)
class Limits:
    """A chart's centre line and its limits at each point (p-chart limits vary with n)."""

    kind: str  # "p" or "xmr"
    centre: float
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    baseline: int  # the first ``baseline`` points set the limits
    moving_range: float | None = None  # XmR: the mean moving range of the baseline


@dataclass(frozen=True)
class Signal:
    index: int  # the point, 0-based
    rule: str  # OUTSIDE or RUN
    direction: int  # +1 above the centre (or the upper limit), -1 below


def p_chart(counts: list[float], bases: list[float], baseline: int) -> Limits:
    """Limits for proportions x_i / n_i; the first ``baseline`` points set the centre."""
    if not 0 < baseline <= len(counts) or len(counts) != len(bases):
        raise ValueError("the baseline must be among the points")
    sx, sn = sum(counts[:baseline]), sum(bases[:baseline])
    if sn <= 0:
        raise ValueError("the baseline has no responses")
    p = sx / sn
    half = [3 * math.sqrt(p * (1 - p) / n) if n > 0 else math.nan for n in bases]
    return Limits("p", p, tuple(max(0.0, p - h) for h in half),
                  tuple(min(1.0, p + h) for h in half), baseline)


def xmr_chart(values: list[float | None], baseline: int) -> Limits:
    """Natural process limits for individual values; the first ``baseline`` set them. A
    withheld value (None) is left out: the moving ranges join the values either side."""
    base = [v for v in values[:baseline] if v is not None]
    if len(base) < 2:
        raise ValueError("an XmR chart needs at least two baseline points")
    centre = sum(base) / len(base)
    mr = sum(abs(b - a) for a, b in itertools.pairwise(base)) / (len(base) - 1)
    n = len(values)
    return Limits("xmr", centre, (centre - XMR_SCALE * mr,) * n, (centre + XMR_SCALE * mr,) * n,
                  baseline, mr)


def signals(values: list[float | None], limits: Limits) -> list[Signal]:
    """Every firing of the two rules, in point order. A missing point (withheld) breaks a run
    and fires nothing. A point on the centre line belongs to neither side and ends a run."""
    out: list[Signal] = []
    side, length = 0, 0
    for i, v in enumerate(values):
        if v is None or v != v:
            side, length = 0, 0
            continue
        if v > limits.upper[i]:
            out.append(Signal(i, OUTSIDE, +1))
        elif v < limits.lower[i]:
            out.append(Signal(i, OUTSIDE, -1))
        s = (v > limits.centre) - (v < limits.centre)
        if s != 0 and s == side:
            length += 1
        else:
            side, length = s, (1 if s != 0 else 0)
        if side != 0 and length >= RUN_LENGTH:
            out.append(Signal(i, RUN, side))
    return out


def welch(m1: float, v1: float, n1: float, m2: float, v2: float, n2: float,
          confidence: float = 0.95) -> tuple[float, float, float, float, float]:
    """Welch's interval and test for m1 − m2 from two means, their sample variances and sizes.

    Returns (difference, low, high, degrees of freedom, two-sided p). The df is
    Welch–Satterthwaite's: (v1/n1 + v2/n2)² / ((v1/n1)²/(n1 − 1) + (v2/n2)²/(n2 − 1)).
    """
    a, b = v1 / n1, v2 / n2
    se = math.sqrt(a + b)
    d = m1 - m2
    if se == 0:
        return d, d, d, math.inf, 1.0 if d == 0 else 0.0
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    t = t_ppf(0.5 + confidence / 2, df)
    return d, d - t * se, d + t * se, df, min(1.0, 2 * t_sf(abs(d) / se, df))


def poisson_ci(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood 1936) interval for a Poisson count: χ² quantiles on 2x and 2x + 2
    degrees of freedom, halved; the lower end is 0 for a count of 0."""
    from scipy.stats import chi2

    alpha = 1 - confidence
    lo = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    return lo, float(chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2


def rate_ratio_ci(x1: int, t1: float, x2: int, t2: float, confidence: float = 0.95
                  ) -> tuple[float, float, float, float]:
    """The ratio of two Poisson rates (x1/t1) / (x2/t2) with its exact conditional interval and
    two-sided p: given x1 + x2, x1 is binomial with π = t1·ρ / (t1·ρ + t2); the Clopper–Pearson
    interval of π is mapped to ρ (the method of R's ``poisson.test`` for two samples).

    Returns (ratio, low, high, p)."""
    from scipy.stats import beta, binomtest

    n = x1 + x2
    alpha = 1 - confidence
    if n == 0:
        return math.nan, 0.0, math.inf, 1.0
    lo_pi = 0.0 if x1 == 0 else float(beta.ppf(alpha / 2, x1, n - x1 + 1))
    hi_pi = 1.0 if x1 == n else float(beta.ppf(1 - alpha / 2, x1 + 1, n - x1))

    def to_ratio(pi: float) -> float:
        return math.inf if pi >= 1 else pi * t2 / ((1 - pi) * t1)

    p = float(binomtest(x1, n, t1 / (t1 + t2)).pvalue)
    ratio = (x1 / t1) / (x2 / t2) if x2 > 0 else math.inf
    return ratio, to_ratio(lo_pi), to_ratio(hi_pi), p
