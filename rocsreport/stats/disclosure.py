"""Disclosure control, applied before anything renders.

A cell whose unweighted base is below ``suppress_below`` is withheld: its estimate, interval and
base are never put in the result model, so no page, chart, CSV or alt text can show them. A cell
below ``flag_below`` is published with a low-base flag.
"""

from __future__ import annotations

from ..spec import Disclosure

SUPPRESSED = "suppressed"
LOW = "low"
OK = "ok"


def classify(n: int, rules: Disclosure) -> str:
    """'suppressed', 'low' or 'ok' for an unweighted base ``n``."""
    if n < rules.suppress_below:
        return SUPPRESSED
    if n < rules.flag_below:
        return LOW
    return OK
