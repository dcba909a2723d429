"""Numbers in words and in figures, the way a report writes them.

>>> fraction_words(0.40)
'two in five'
>>> fraction_words(0.28)
'nearly three in ten'
>>> pct(0.4)
'40%'
"""

from __future__ import annotations

import re

from . import formats

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_DENOMINATORS = (2, 3, 4, 5, 10)
_EXACT = 0.005
_NEAR = 0.03
MINUS = "\u2212"


def fraction_words(p: float) -> str:
    """A proportion as a simple fraction in words ("two in five", "just over one in four").

    The nearest fraction with denominator 2, 3, 4, 5 or 10 is used, the smaller denominator
    winning when two are equally near, with "just over" or "nearly" when it is within three
    points. Further from every such fraction, the proportion is "more than" the one below it.
    """
    if p <= 0:
        return "none"
    if p >= 1:
        return "all"
    fractions = sorted({(k / d, d, k) for d in _DENOMINATORS for k in range(1, d)},
                       key=lambda t: (t[0], t[1]))
    best = min(fractions, key=lambda t: (round(abs(p - t[0]), 6), t[1]))
    value, d, k = best
    if abs(p - value) < _EXACT:
        return _say(k, d)
    if round(abs(p - value), 9) <= _NEAR:
        return ("just over " if p > value else "nearly ") + _say(k, d)
    # Far from any simple fraction: say which one it exceeds.
    below = [t for t in fractions if t[0] < p]
    if not below:
        return "fewer than one in ten"
    value, d, k = max(below, key=lambda t: (t[0], -t[1]))
    return "more than " + _say(k, d)


def _say(k: int, d: int) -> str:
    return "half" if (k, d) == (1, 2) else f"{_NUMBERS[k]} in {_NUMBERS[d]}"

def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def pct(p: float | None, digits: int = 0) -> str:
    """A proportion as a percentage; None (a suppressed cell) never reaches here by design."""
    if p is None:
        raise ValueError("a suppressed value cannot be formatted")
    if p != p:
        return "–"  # not computable (an interval on one respondent): never "nan"
    return formats.percent(p, digits)


def setting(p: float) -> str:
    """A percentage the study set (a limit, a rule), with the decimals it needs: 0.05 -> "5%",
    0.125 -> "12.5%"."""
    digits = next((d for d in range(4) if abs(round(100 * p, d) - 100 * p) < 1e-9), 4)
    return formats.percent(p, digits)


def pct_range(lo: float, hi: float, digits: int = 0) -> str:
    if lo != lo or hi != hi:
        return "not available"
    return f"{formats.percent(lo, digits)} to {formats.percent(hi, digits)}"


def points(d: float, digits: int = 0) -> str:
    """A difference of proportions in percentage points, signed, with a real minus sign."""
    return f"{signed(100 * d, digits)} points"


def signed(x: float, digits: int = 0) -> str:
    if f"{abs(x):.{digits}f}".strip("0.") == "":
        return formats.decimal(0.0, digits)
    return f"{'+' if x > 0 else MINUS}{formats.decimal(abs(x), digits)}"


def number(x: float, digits: int = 1) -> str:
    """A number with thousands separators and a real minus sign, in the study's locale."""
    if x != x or x in (float("inf"), float("-inf")):
        return "–"  # not computable: never "nan" on a page
    return formats.decimal(x, digits)


def count(n: int) -> str:
    """A count grouped by thousands: 50,000."""
    return formats.integer(n)


def ci_digits(lo: float, hi: float) -> int:
    """Whole percentages, unless the interval is so narrow that they would hide it."""
    return 1 if hi - lo < 0.04 else 0


def threshold(x: float) -> str:
    """A change threshold as the study means it, with its plural: 1 -> "1 point",
    11.1111 -> "11.1111 points", 0.5 -> "0.5 points"."""
    text = formats.plain(x, 6)
    return f"{text} point" if x == 1 else f"{text} points"


def change_words(diff: float, significant: bool, since: str, digits: int = 1) -> str:
    """"down 1.2 points on a year ago; a significant fall" (significant at the 5% level, after
    any adjustment the caller applied)."""
    size = formats.decimal(abs(diff), digits)
    if float(f"{abs(diff):.{digits}f}") == 0:
        head = f"unchanged on {since}"
    else:
        unit = "point" if f"{abs(diff):.{digits}f}" in ("1", "1.0") else "points"
        head = f"{'up' if diff > 0 else 'down'} {size} {unit} on {since}"
    if significant:
        return f"{head}; a significant {'rise' if diff > 0 else 'fall'}"
    return f"{head}; not a significant change"


def slug(text: str) -> str:
    """A safe file-name part: lower-case ASCII letters, digits and hyphens only. A name that is
    not plain ASCII ("小売", "Café") keeps a short hash of itself, so two such names never share
    a slug; names that differ only in punctuation or case are refused by the spec."""
    import hashlib
    import unicodedata

    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if text.isascii() and base:
        return base
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")[:40]
    h = hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]
    return f"{base}-{h}" if base else h
