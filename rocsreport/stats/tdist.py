"""Student's t distribution, from scipy, imported on first use.

``scipy.stats`` takes most of a second to import. The processes that only render (the
private reports' workers, a rebuild that finds nothing changed) never call it, so they do not
pay for it. Quantiles are remembered: a benchmark's organisations share a few hundred
distinct degrees of freedom.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=8192)
def t_ppf(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t on ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(p, df))


def t_sf(x: float, df: float) -> float:
    """P(T > x) for Student's t on ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.sf(x, df))
