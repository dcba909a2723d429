"""Numbers and dates in the study's locale (``publication.locale``), through Babel's CLDR data.

Every figure on a page, in a chart or in a PDF goes through here, so one study never shows both
"50000" and "50,000", and a German edition shows "40,5 %" everywhere. Downloads (CSV, JSON)
are data, not prose: they keep full precision with a decimal point, whatever the locale.

Rounding is Python's (round half to even of the binary value, as ``f"{x:.1f}"``), done
before Babel sees the number, so a figure rounds the same in every locale and as it always
has; Babel supplies only the symbols, the grouping and the place of the percent sign.

>>> with using("en-GB"):
...     decimal(12345.678, 1), percent(0.405, 1), integer(50000)
('12,345.7', '40.5%', '50,000')
>>> with using("de-DE"):
...     decimal(12345.678, 1), percent(0.405, 1), integer(50000)
('12.345,7', '40,5\\xa0%', '50.000')
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from decimal import Decimal

DEFAULT = "en_GB"
MINUS = "\u2212"
_CURRENT: ContextVar[str] = ContextVar("rocsreport_locale", default=DEFAULT)


class UnknownLocale(ValueError):
    pass


@functools.lru_cache(maxsize=32)
def parse(tag: str) -> str:
    """The canonical id of a locale given as ``de-DE`` or ``de_DE``; UnknownLocale when CLDR
    has no such locale."""
    from babel import Locale, UnknownLocaleError

    try:
        loc = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownLocale(f"{tag!r} is not a locale Babel knows") from exc
    return str(loc)


def tag(locale_id: str | None = None) -> str:
    """The locale as a BCP 47 tag (``en-GB``), as HTML and d3 write it."""
    return (locale_id or current()).replace("_", "-")


@contextlib.contextmanager
def using(locale: str | None) -> Iterator[str]:
    """Format in ``locale`` (default en-GB) inside the block."""
    token = _CURRENT.set(parse(locale) if locale else DEFAULT)
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def current() -> str:
    return _CURRENT.get()


@functools.lru_cache(maxsize=32)
def _locale(locale_id: str):
    from babel import Locale

    return Locale.parse(locale_id)


@functools.lru_cache(maxsize=256)
def _pattern(locale_id: str, kind: str, digits: int):
    """The locale's decimal or percent pattern with exactly ``digits`` decimals."""
    from babel.numbers import parse_pattern

    loc = _locale(locale_id)
    formats = loc.percent_formats if kind == "percent" else loc.decimal_formats
    pat = copy.copy(parse_pattern(formats[None]))
    pat.frac_prec = (digits, digits)
    return pat


def _apply(value: Decimal, kind: str, digits: int) -> str:
    from babel.numbers import get_minus_sign_symbol

    locale_id = current()
    loc = _locale(locale_id)
    if value == 0:
        value = abs(value)  # never "−0.0"
    text = _pattern(locale_id, kind, digits).apply(value, loc)
    return text.replace(get_minus_sign_symbol(loc), MINUS)


def decimal(x: float, digits: int = 1) -> str:
    """``x`` rounded to ``digits`` decimals, grouped, with a real minus sign."""
    return _apply(Decimal(f"{x:.{digits}f}"), "decimal", digits)


def integer(n: int) -> str:
    """A count, grouped by thousands: 50,000 (en-GB), 50.000 (de-DE)."""
    return _apply(Decimal(int(n)), "decimal", 0)


def percent(p: float, digits: int = 0) -> str:
    """A proportion as a percentage: 0.405 -> 40.5% (en-GB), 40,5 % (de-DE)."""
    return _apply(Decimal(f"{100 * p:.{digits}f}") / 100, "percent", digits)


def plain(x: float, digits: int) -> str:
    """``x`` with up to ``digits`` decimals, trailing zeros dropped (11.1111, 0.5, 1)."""
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    shown = len(text.split(".")[1]) if "." in text else 0
    return _apply(Decimal(text), "decimal", shown)


def date(value: str | dt.date) -> str:
    """A date as the locale writes it in full: 15 July 2014 (en-GB), 15. Juli 2014 (de-DE)."""
    from babel.dates import format_date

    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return format_date(value, format="long", locale=_locale(current()))


@functools.lru_cache(maxsize=32)
def _d3(locale_id: str) -> tuple[tuple[str, object], ...]:
    from babel.numbers import get_decimal_symbol, get_group_symbol, parse_pattern

    loc = _locale(locale_id)
    pat = parse_pattern(loc.decimal_formats[None])
    pct = parse_pattern(loc.percent_formats[None])
    sign = pct.suffix[0] if "%" in pct.suffix[0] else "%"
    return (("decimal", get_decimal_symbol(loc)), ("thousands", get_group_symbol(loc)),
            ("grouping", [pat.grouping[0], pat.grouping[1]] if pat.grouping[1] != pat.grouping[0]
             else [pat.grouping[0]]),
            ("currency", ["", ""]), ("percent", sign), ("minus", MINUS))


def d3_locale() -> dict[str, object]:
    """The d3-format locale of the current locale, for the charts' axis labels (Vega formats
    numbers with d3-format), built from the same CLDR data as the page's figures."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in _d3(current())}
