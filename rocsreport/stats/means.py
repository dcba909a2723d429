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
    var = max(0.0, swy2 / sw - mean * mean) * neff / (neff - 1)
    se = math.sqrt(var / neff)
    tq = t_ppf(0.5 + confidence / 2, neff - 1)
    return mean, mean - tq * se, mean + tq * se, neff


def nps(promoters: float, detractors: float, total: float, neff: float,
        confidence: float = 0.95) -> tuple[float, float, float]:
    """Net promoter score (per cent promoters minus per cent detractors) with a Wald interval.

    The variance of p_P - p_D under the multinomial model is (p_P + p_D - (p_P - p_D)²) / n;
    the base is the effective n. Returns (score, low, high) on the -100..100 scale.
    """
    pp, pd = promoters / total, detractors / total
    score = pp - pd
    se = math.sqrt(max(0.0, pp + pd - score * score) / neff)
    z = z_value(confidence)
    return 100 * score, 100 * max(-1.0, score - z * se), 100 * min(1.0, score + z * se)
