"""The example PDFs and a private PDF, read back as a reader (and a screen reader) gets them.

- Tagged (PDF/UA-1: a structure tree), with title, author, subject and language; the private
  PDF says "Private: prepared for" its organisation on every page and in its metadata.
- Layout, measured from the text positions (pdfplumber): no page is left mostly empty (under
  40% of the text area) except the last of a chapter; a table's notes are on a page that shows
  the table.
- In print no chart text is under 8 pt: each chart is drawn at a size that the A4 text width
  holds at (nearly) full scale.
"""

from __future__ import annotations

import functools
import re
import subprocess

import pdfplumber
import pytest
from pypdf import PdfReader

from .conftest import EXAMPLES

MM = 72 / 25.4
TOP, BOTTOM = 20 * MM, 22 * MM  # the page margins of print.css
TEXT_WIDTH_PX = (210 - 2 * 18) / 25.4 * 96  # the A4 text width, in CSS px


def pdfs(builds) -> dict[str, object]:
    out = {name: builds[name] / "report.pdf" for name in EXAMPLES}
    out["private"] = builds["private"] / "report.pdf"
    return out


@pytest.mark.parametrize("name", [*EXAMPLES, "private"])
def test_every_pdf_is_tagged_with_its_metadata(example_builds, name):
    path = pdfs(example_builds)[name]
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    fields = dict(re.findall(r"^(\w[\w ]*?):\s+(.*)$", info, re.M))
    assert fields["Tagged"] == "yes"
    assert fields["Title"] and fields["Author"] and fields["Subject"]
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/Lang"]
    if name == "private":
        assert fields["Subject"].startswith("Private: prepared for Northgate Motors")
        for k, page in enumerate(reader.pages):
            assert "Private: prepared for Northgate Motors" in page.extract_text(), k + 1


@pytest.mark.parametrize("name", [*EXAMPLES, "private"])
def test_no_pdf_link_points_at_the_builders_disk(example_builds, name):
    """A relative link of the site (a download) becomes file:///… in a PDF: dead for every
    reader and a leak of the folder it was built in. Links in a PDF are to its own pages
    (internal destinations) or to the web."""
    reader = PdfReader(pdfs(example_builds)[name])
    uris = [a.get_object()["/A"].get("/URI") for page in reader.pages
            for a in page.get("/Annots") or [] if "/A" in a.get_object()]
    bad = [u for u in uris if u and not str(u).startswith(("http://", "https://", "mailto:"))]
    assert not bad, bad[:5]


def page_layout(path) -> tuple[tuple[float, bool, str], ...]:
    """Per page: the share of the text area used, whether a chapter starts on it (a 16 pt
    heading at its top), and its text. Read once per PDF (several tests measure the same
    one); a PDF written again is read again."""
    st = path.stat()
    return _page_layout(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _page_layout(path, _mtime: int, _size: int) -> tuple[tuple[float, bool, str], ...]:
    out = []
    with pdfplumber.open(path) as pdf:
        for pg in pdf.pages:
            body = [c for c in pg.chars if c["top"] < pg.height - BOTTOM]
            ink = [o["bottom"] for o in pg.rects + pg.curves + pg.lines + pg.images
                   if o["bottom"] < pg.height - BOTTOM]
            low = max([c["bottom"] for c in body] + ink + [TOP])
            start = any(c["size"] >= 15.5 and c["top"] < TOP + 40 for c in body)
            out.append(((low - TOP) / (pg.height - TOP - BOTTOM), start,
                        pg.extract_text() or ""))
    return tuple(out)


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_page_is_left_mostly_empty_except_at_a_chapter_end(example_builds, name):
    pages = page_layout(pdfs(example_builds)[name])
    # The cover and the contents stand alone; a page before a chapter start ends a chapter.
    # Mostly empty: under 40% of the text area used. A page that ends where the next chart
    # (kept whole) does not fit is about half full, which a printed bulletin accepts.
    empty = [k + 1 for k, (fill, _, _) in enumerate(pages[:-1])
             if k >= 2 and fill < 0.4 and not pages[k + 1][1]]
    assert not empty, f"pages mostly empty inside a chapter: {empty}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_notes_stay_with_their_table(example_builds, name):
    """Every "Low base" or "Suppressed" footnote is on a page that also shows the table rows
    it explains (a page with a table's notes and nothing of the table fails)."""
    pages = page_layout(pdfs(example_builds)[name])
    for k, (_, _, text) in enumerate(pages):
        lines = [x for x in text.splitlines() if x.strip()]
        notes = [i for i, x in enumerate(lines) if re.match(r"^[†‡§*sc]?\s*(Low base|"
                                                              r"Suppressed|Withheld)", x)]
        if notes:
            assert notes[0] > 1, (name, k + 1, lines[:3])


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_questions_table_starts_on_the_page_of_its_caption(example_builds, name):
    """The methodology's long table of questions may break across pages, but not between
    its caption and its first row: the page with the caption shows the header and a row."""
    pages = page_layout(pdfs(example_builds)[name])
    found = 0
    for _, _, text in pages:
        lines = [x for x in text.splitlines() if x.strip()]
        if "Questions used in this report" in lines:
            found += 1
            after = lines[lines.index("Questions used in this report") + 1:]
            assert after and after[0].startswith("Id Question Type Answers Reported on"), \
                (name, after[:2])
            assert len(after) >= 3, (name, after)
    assert found == 1


def test_chart_text_is_at_least_8_points_in_print(example_builds):
    """Chart text is drawn at 11 px or more; a chart wider than the A4 text width is scaled
    down to fit. 11 px at scale s is 8.25 s pt: every chart must keep s >= 8 / (0.75 px)."""
    checked = 0
    for name in EXAMPLES:
        for page in example_builds[name].glob("*.html"):
            html = page.read_text(encoding="utf-8")
            for svg in re.findall(r"<svg.*?</svg>", html, re.S):
                width = float(re.match(r'<svg[^>]*?\swidth="([0-9.]+)"', svg).group(1))
                sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)px"', svg)]
                if not sizes:
                    continue
                scale = min(1.0, TEXT_WIDTH_PX / width)
                checked += 1
                assert min(sizes) * 0.75 * scale >= 8 - 1e-9, (name, page.name, width,
                                                                min(sizes))
    assert checked > 40
