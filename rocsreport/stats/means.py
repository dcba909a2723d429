"""Means and net promoter scores from sufficient statistics."""

from __future__ import annotations

import math

from .proportions import kish_effective_n, z_value
from .tdist import t_ppf


def mean_ci(n: int, sw: float, sw2: float, swy: float, swy2: float,
            confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Mean with a t interval. Returns (mean, low, high, effective n).

    Unweighted (all weights 1) this is the textbook interval: s / sqrt(n) with n - 1 degrees of
    freedom. Weighted, the variance is the weighted variance scaled by n_eff / (n_eff - 1), the
    standard error is sqrt(var / n_eff) and the degrees of freedom are n_eff - 1, where n_eff is
    Kish's effective sample size.
    """
    mean = swy / sw
    neff = kish_effective_n(sw, sw2)
    if neff <= 1:
        return mean, math.nan, math.nan, neff
    se = mean_se(sw, sw2, swy, swy2)
    tq = t_ppf(0.5 + confidence / 2, neff - 1)
    return mean, mean - tq * se, mean + tq * se, neff


def mean_se(sw: float, sw2: float, swy: float, swy2: float) -> float:
    """The standard error ``mean_ci`` uses: sqrt(var / n_eff), var the weighted variance
    scaled by n_eff / (n_eff - 1). NaN for an effective n of 1 or less."""
    mean = swy / sw
    neff = kish_effective_n(sw, sw2)
    if neff <= 1:
        return math.nan
    var = max(0.0, swy2 / sw - mean * mean) * neff / (neff - 1)
    return math.sqrt(var / neff)


def srs_variance(n: int, sw: float, swy: float, swy2: float) -> float | None:
    """The variance of a mean under simple random sampling with replacement of the same size,
    the denominator of R's design effect ``svymean(deff = "replace")``: svyvar / n, where
    svyvar is the weighted variance times n / (n - 1). None for n below 2."""
    if n < 2 or sw <= 0:
        return None
    mean = swy / sw
    return max(0.0, swy2 / sw - mean * mean) / (n - 1)


def nps(promoters: float, detractors: float, total: float, neff: float,
        confidence: float = 0.95) -> tuple[float, float, float]:
    """Net promoter score (per cent promoters minus per cent detractors) with a Wald interval.

    The variance of p_P - p_D under the multinomial model is (p_P + p_D - (p_P - p_D)²) / n;
    the base is the effective n. Returns (score, low, high) on the -100..100 scale.
    """
    pp, pd = promoters / total, detractors / total
    score = pp - pd
    se = nps_se(promoters, detractors, total, neff) / 100
    z = z_value(confidence)
    return 100 * score, 100 * max(-1.0, score - z * se), 100 * min(1.0, score + z * se)


def nps_se(promoters: float, detractors: float, total: float, neff: float) -> float:
    """The standard error of the net promoter score, on its -100..100 scale (see ``nps``)."""
    pp, pd = promoters / total, detractors / total
    score = pp - pd
    return 100 * math.sqrt(max(0.0, pp + pd - score * score) / neff)
