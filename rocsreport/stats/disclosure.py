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


def secondary(cells: list[tuple[str, int | None, bool]]) -> set[str]:
    """Complementary suppression for cells published beside their total.

    ``cells`` are (key, size, suppressed) for the parts of one total. When exactly one part is
    suppressed, it could be recovered as the total minus the others, so one more part is
    suppressed: the published one with the smallest size (the least information lost; the
    first in order on a tie). Returns the keys to suppress in addition.
    """
    hidden = [k for k, _, s in cells if s]
    shown = [(size if size is not None else 0, i, k) for i, (k, size, s) in enumerate(cells)
             if not s]
    if len(hidden) != 1 or not shown:
        return set()
    return {min(shown)[2]}
