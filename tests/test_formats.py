"""Numbers and dates in the study's locale (rocsreport/formats.py, publication.locale).

The references are independent of Babel: Python's own format specification for the rounding
and the en-GB form, and the German forms as the Duden and CLDR write them (decimal comma,
full stop between thousands, a space before the percent sign, "15. Juli 2014")."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rocsreport import __version__, formats
from rocsreport.errors import SpecError
from rocsreport.words import change_words, count, number, pct, pct_range, points, signed, threshold

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\xa0"


def test_en_gb_is_the_default():
    assert formats.current() == "en_GB"
    assert (number(12345.678), pct(0.405, 1), count(50000)) == ("12,345.7", "40.5%", "50,000")
    assert formats.date("2014-07-15") == "15 July 2014"


def test_german_figures_have_a_decimal_comma():
    with formats.using("de-DE"):
        assert number(12345.678) == "12.345,7"
        assert number(-0.25, 2) == "\u22120,25"
        assert pct(0.405, 1) == f"40,5{NBSP}%"
        assert pct_range(0.31, 0.42) == f"31{NBSP}% to 42{NBSP}%"
        assert count(1234567) == "1.234.567"
        assert points(-0.034, 1) == "\u22123,4 points"
        assert signed(12.0) == "+12"
        assert threshold(0.5) == "0,5 points"
        assert change_words(-1.25, True, "a year ago") == \
            "down 1,2 points on a year ago; a significant fall"
        assert formats.date("2014-07-15") == "15. Juli 2014"
    assert formats.current() == "en_GB"  # the block restores the locale


def test_no_negative_zero():
    assert number(-0.04) == "0.0" and signed(-0.004, 1) == "0.0" and points(-0.0004) == "0 points"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 3))
def test_rounding_is_pythons_in_every_locale(x, digits):
    """Reference: Python's format specification (round half to even of the binary value)."""
    expected = f"{x:,.{digits}f}"
    if float(expected.replace(",", "")) == 0:
        expected = expected.lstrip("-")
    assert number(x, digits) == expected.replace("-", "\u2212")
    with formats.using("de-DE"):
        german = expected.replace(",", "_").replace(".", ",").replace("_", ".")
        assert number(x, digits) == german.replace("-", "\u2212")


def test_chart_axes_follow_the_locale():
    """Vega formats axis labels with d3-format: the locale given to it comes from CLDR too."""
    from rocsreport import charts
    from rocsreport.results import Estimate

    cells = [Estimate("A", 40, 0.5, 0.35, 0.65, 40.0, False, False)]
    with formats.using("de-DE"):
        assert formats.d3_locale()["decimal"] == ","
        svg = charts.proportion_bars(cells, "Share").svg
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert f"40{NBSP}%" in labels or "40&#160;%" in labels or f"40{NBSP}%" in svg, labels
    english = charts.proportion_bars(cells, "Share").svg
    assert "40%" in re.findall(r"<text[^>]*>([^<]*)</text>", english)


def test_publication_locale_is_validated(tmp_path):
    from rocsreport.spec import load_study

    root = tmp_path / "s"
    shutil.copytree(ROOT / "surveys" / "beyond-measurement", root,
                    ignore=shutil.ignore_patterns(".rocsreport"))
    text = (root / "study.yaml").read_text(encoding="utf-8")
    (root / "study.yaml").write_text(
        text.replace("publication:\n", "publication:\n  locale: xx-QQ\n"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"publication\.locale: expected a locale"):
        load_study(root)
    (root / "study.yaml").write_text(text.replace("publication:\n", "publication:\n  lang: de\n"),
                                     encoding="utf-8")
    assert load_study(root).publication.locale == "de"  # the language's, by default
    (root / "study.yaml").write_text(
        text.replace("publication:\n", "publication:\n  lang: en-GB\n  locale: de-DE\n"),
        encoding="utf-8")
    pub = load_study(root).publication
    assert (pub.lang, pub.locale) == ("en-GB", "de_DE")


# A figure as English writes it: one or two decimals after a point, a nought and a point (a
# p-value), a comma grouping thousands (not "0,001", a German decimal), or a percent sign
# straight after the digits. (German groups thousands with a full stop: "16.667" is sixteen
# thousand and some.)
_ENGLISH_FIGURE = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])|(?<![\d.,])0\.\d"
                             r"|(?<![\d.,])[1-9]\d{0,2},\d{3}(?!\d)|\d%")


def _page_text(html: str) -> str:
    """The visible text of a page: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html).replace("&#160;", NBSP).replace("&nbsp;", NBSP)


def test_a_german_edition_writes_every_figure_the_german_way(tmp_path):
    """The service-index example built with ``locale: de-DE``: its pages show decimal commas,
    grouped thousands and "%" after a space, and no figure written the English way, apart
    from the fixed English term "95% CI" and the ids and wave labels the study declares."""
    from rocsreport.pipeline import build

    root = tmp_path / "study"
    shutil.copytree(ROOT / "surveys" / "service-index", root,
                    ignore=shutil.ignore_patterns(".rocsreport"))
    text = (root / "study.yaml").read_text(encoding="utf-8")
    (root / "study.yaml").write_text(text.replace("publication:\n",
                                                  "publication:\n  locale: de-DE\n"),
                                     encoding="utf-8")
    out = tmp_path / "site"
    build(root, out, None, make_pdf=False)
    seen = {"comma": 0, "group": 0, "percent": 0}
    for page in sorted(out.glob("*.html")):
        body = _page_text(page.read_text(encoding="utf-8"))
        # The study's own wording ("Complaints per 1,000 customers") is the study's to write.
        for term in ("CC-BY-4.0", f"rocsreport {__version__}", "1,000 customers"):
            body = body.replace(term, "")
        assert "Released 15. Juli 2014" in re.sub(r"\s+", " ", body), page.name
        bad = [body[max(0, m.start() - 30):m.end() + 10] for m in _ENGLISH_FIGURE.finditer(body)]
        assert not bad, (page.name, bad[:5])
        seen["comma"] += len(re.findall(r"\d,\d", body))
        seen["group"] += len(re.findall(r"\d\.\d{3}(?!\d)", body))
        seen["percent"] += body.count(f"{NBSP}%")
    assert all(v > 0 for v in seen.values()), seen
    # The downloads are data: full precision with a decimal point, whatever the locale.
    assert re.search(r"\d\.\d", (out / "baselines.csv").read_text(encoding="utf-8"))
