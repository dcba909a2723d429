"""The built report: deterministic, self-contained, private, and the PDF says the headline."""

from __future__ import annotations

import csv
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from rocsreport import publish as publish_mod
from rocsreport.errors import BuildError
from rocsreport.pipeline import build

from .conftest import EXAMPLE, rows_for


@pytest.fixture(scope="module")
def example_sites(tmp_path_factory):
    """The example built twice, each from its own copy, with the PDF."""
    out = []
    for k in range(2):
        base = tmp_path_factory.mktemp(f"build{k}")
        study = base / "beyond-measurement"
        shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns(".rocsreport"))
        result = build(study, base / "site", None)
        out.append(result)
    return out


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_builds_are_byte_identical(example_sites):
    a, b = (files(r.out) for r in example_sites)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []


def test_site_has_every_page_and_the_pdf(example_sites):
    site = example_sites[0].out
    names = set(files(site))
    for page in ("index.html", "gaps.html", "interviews.html", "methodology.html",
                 "indicator-roi_not_measured.html", "indicator-cost_not_measured.html",
                 "agreement.html", "question-measures_used.html", "question-recommend.html",
                 "breakdown-role_group.html", "data.html", "report.pdf", "assets/style.css",
                 "data/indicator-roi_not_measured.csv", "data/gaps.csv"):
        assert page in names


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.figures: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src", "srcset", "action", "poster", "data"):
            if a.get(key):
                self.refs.append(a[key])
        if a.get("role") == "img":
            self.figures.append(a)


def check_links(site: Path) -> dict[str, Refs]:
    """Every reference is relative and names a file of the site; returns the parsed pages."""
    pages = {}
    for page in sorted(site.glob("*.html")):
        parser = Refs()
        parser.feed(page.read_text(encoding="utf-8"))
        for ref in parser.refs:
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^/", ref, re.I), (page.name, ref)
            target = ref.split("#")[0]
            if target:
                assert (site / target).is_file(), (page.name, ref)
        pages[page.name] = parser
    return pages


def test_links_are_relative_and_resolve_and_nothing_is_fetched(example_sites):
    site = example_sites[0].out
    parsed = check_links(site)
    for page in sorted(site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        parser = parsed[page.name]
        # Scripts only from the site itself (search; interactive charts), and data blocks
        # that never run: no inline script (the pages' CSP forbids it too).
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert re.fullmatch(r'<script src="assets/(search|vega|charts)\.js" defer>', tag) \
                or 'type="application/json"' in tag, (page.name, tag)
        assert "script-src 'self'" in text, page.name
        for fig in parser.figures:
            assert len(fig.get("aria-label", "")) > 40, page.name
    css = (site / "assets" / "style.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css


def test_every_page_says_the_data_is_illustrative(example_sites):
    site = example_sites[0].out
    for page in sorted(site.glob("*.html")):
        assert "Illustrative data." in page.read_text(encoding="utf-8"), page.name


def test_headline_is_written_in_words_from_the_data(example_sites):
    index = (example_sites[0].out / "index.html").read_text(encoding="utf-8")
    assert ("Two in five organisations (40%; 95% CI 32% to 49%; n = 125) do not measure, or do "
            "not know, the return on investment from customer service.") in index
    assert ("Nearly three in ten organisations (28%; 95% CI 21% to 36%; n = 125) do not measure "
            "the cost of customer service.") in index


def test_pdf_text_has_the_headline_figures(example_sites):
    reader = PdfReader(str(example_sites[0].out / "report.pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Two in five organisations (40%; 95% CI 32% to 49%; n = 125)" in flat
    assert "Nearly three in ten organisations (28%; 95% CI 21% to 36%; n = 125)" in flat
    assert "Contents" in flat and "Methodology" in flat
    assert "Illustrative data." in flat
    assert len(reader.pages) >= 10
    assert f"Page 2 of {len(reader.pages)}" in flat


def test_interview_quotes_never_name_an_organisation(example_sites):
    site = example_sites[0].out
    for name, data in files(site).items():
        if name.endswith((".html", ".csv")):
            assert b"INT-ORG-" not in data, name
            assert not re.search(rb"ORG\d{3}", data), name


def test_a_suppressed_cell_reaches_no_output(make_study, tmp_path):
    # Tiny: 2 of 9 say yes (22.2%). Base 9 < 10, so it must appear nowhere, PDF included.
    rows = rows_for({"A": (12, 28), "B": (20, 13), "Tiny": (2, 7)})
    root = make_study(rows)
    result = build(root, tmp_path / "site", None)
    texts = {n: d.decode("utf-8", "replace") for n, d in files(result.out).items()
             if not n.endswith(".pdf")}
    pdf = " ".join(p.extract_text() for p in PdfReader(str(result.out / "report.pdf")).pages)
    texts["report.pdf"] = pdf
    for name, text in texts.items():
        for leak in ("22%", "22.2", "0.2222", "n = 9"):
            assert leak not in text, (name, leak)
    assert "Tiny" in texts["indicator-yes_share.html"]  # the group is named, its figure is not
    assert "Not shown, base too small to publish: Tiny." in texts["indicator-yes_share.html"]
    tiny = [r for r in csv.DictReader(io.StringIO(texts["data/indicator-yes_share.csv"]))
            if r["group"] == "Tiny"]
    assert len(tiny) == 1 and tiny[0]["suppressed"] == "True"
    assert all(tiny[0][k] == "" for k in ("n", "estimate", "ci_low", "ci_high", "se", "df",
                                          "deff", "cv", "effective_n"))


def test_out_folder_with_foreign_files_is_refused(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(BuildError) as exc:
        build(root, out, None, make_pdf=False)
    assert exc.value.message == (f"--out {out} holds files that rocsreport did not write; "
                                 "choose an empty or new folder")
    assert (out / "notes.txt").read_text() == "keep me"


def test_failed_build_leaves_the_previous_site(make_study, tmp_path, monkeypatch):
    root = make_study(rows_for({"A": (20, 20)}))
    out = tmp_path / "site"
    build(root, out, None, make_pdf=False)
    before = files(out)

    def boom(*a, **k):
        raise BuildError("PDF: injected failure")
    monkeypatch.setattr(publish_mod, "render_pdf", boom)
    with pytest.raises(BuildError):
        build(root, out, None)
    assert files(out) == before
    # Nothing half-built or set aside; only the (empty) lock file of the site stays.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == [".site.lock"]


def test_study_templates_override_and_extend_the_defaults(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    (root / "templates").mkdir()
    (root / "templates" / "_notice.html").write_text(
        '<p class="house">House notice.</p>{% include "default:_notice.html" %}')
    result = build(root, tmp_path / "site", None, make_pdf=False)
    index = (result.out / "index.html").read_text()
    assert '<p class="house">House notice.</p>' in index
    assert "Illustrative data." in index


def test_narrative_page_with_an_unknown_indicator(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    (root / "pages").mkdir()
    (root / "pages" / "index.md").write_text("Share: {{ estimate('nope') }}")
    with (root / "study.yaml").open("a") as f:
        f.write("pages:\n  - {id: index, title: Home, file: pages/index.md}\n")
    with pytest.raises(BuildError) as exc:
        build(root, tmp_path / "site", None, make_pdf=False)
    assert exc.value.message == ("unknown indicator 'nope' in a page (expected one of: "
                                 "yes_share)")


def test_autoescape_in_labels(make_study, tmp_path):
    # A code label with markup is shown as text, never parsed as HTML.
    root = make_study(rows_for({"A": (20, 20)}))
    text = (root / "study.yaml").read_text().replace(
        "codes: {x: Tool X,", "codes: {x: '<img src=x onerror=alert(1)>',")
    (root / "study.yaml").write_text(text)
    result = build(root, tmp_path / "site", None, make_pdf=False)
    page = (result.out / "question-tools.html").read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_pdf_to_a_chosen_path_and_every_table_has_a_csv(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20), "B": (15, 16)}))
    pdf = tmp_path / "elsewhere" / "study.pdf"
    result = build(root, tmp_path / "site", pdf)
    assert result.pdf == pdf and pdf.read_bytes().startswith(b"%PDF-")
    assert not (result.out / "report.pdf").exists()
    assert "report.pdf" not in (result.out / "index.html").read_text()
    for page in sorted(result.out.glob("*.html")):
        text = page.read_text()
        tables, csvs = text.count("<table"), text.count('class="csv"')
        assert tables == csvs, (page.name, tables, csvs)


def test_service_index_site_links_and_privacy(tmp_path):
    import csv as csvmod

    study = tmp_path / "service-index"
    shutil.copytree(EXAMPLE.parent / "service-index", study,
                    ignore=shutil.ignore_patterns(".rocsreport"))
    site = build(study, tmp_path / "site", None, make_pdf=False).out
    with (study / "data" / "organisations.csv").open() as f:
        orgs = list(csvmod.DictReader(f))
    check_links(site)
    blob = "\n".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*"))
                     if p.is_file() and p.suffix in (".html", ".csv", ".json"))
    assert not re.search(r"\bORG\d{3}\b", blob)
    leaked = [o["name"] for o in orgs if o["name"] in blob]
    assert leaked == []
    assert (site / "baselines.json").is_file() and (site / "sector-tourism.html").is_file()
    # The national benchmark an index reader expects (issue 11).
    home = (site / "index.html").read_text()
    assert "Line chart of National satisfaction index" in home  # the trend over every wave
    assert "The national satisfaction index was" in home and "a year ago" in home
    for code in ("July 2013", "January 2014", "July 2014"):
        assert code in home
    sectors = sorted(site.glob("sector-*.html"))
    assert len(sectors) == 13
    empty = []
    for page in sectors:
        html = page.read_text()
        if "figure is withheld, in every wave and for every measure" in html:
            # A sector with nothing published: one sentence and the national trend, with no
            # table of dashes (issue 13).
            empty.append(page.name)
            assert html.count('<figure class="chart">') == 1 and "<table" not in html
            continue
        assert html.count('<figure class="chart">') >= 2, page.name
        assert "national" in html.lower(), page.name
        assert "withheld" in html or "95% CI" in html, page.name
    assert empty == ["sector-tourism.html", "sector-utilities.html"]
    assert not (site / "question-wave.html").exists()  # the wave is no answer to report
    for page in sorted(site.glob("question-*.html")):
        html = page.read_text()
        if "giving each answer" in html:
            # A single choice: its answers are rows, the waves columns, oldest first.
            cols = re.findall(r'<th scope="col">(July 2014|January 2014|July 2013)</th>', html)
            assert cols == ["July 2013", "January 2014", "July 2014"], page.name
            continue
        rows = re.findall(r'<th scope="row">(July 2014|January 2014|July 2013)</th>', html)
        assert {"July 2013", "January 2014", "July 2014"} <= set(rows), page.name
        # The latest wave leads: its row comes before the earlier waves'.
        assert html.index(">July 2014</th>") < html.index(">July 2013</th>"), page.name
    # The year-on-year view per sector leaves out a sector whose count of organisations is
    # withheld in any wave (each row gives the number of organisations compared).
    with (site / "baselines.csv").open() as f:
        shut = {r["scope"] for r in csvmod.DictReader(f)
                if r["measure"] == "index" and r["organisations"] == ""}
    with (site / "data" / "relationship-sectors.csv").open() as f:
        shown = {r["sector"] for r in csvmod.DictReader(f)}
    assert shut and shown and not shut & shown


def test_the_publication_carries_its_licence_citation_and_language(example_sites):
    import yaml

    site = example_sites[0].out
    assert (site / "citation.bib").read_text().startswith("@techreport{beyond-measurement")
    cff = yaml.safe_load((site / "CITATION.cff").read_text())
    assert cff["license"] == "CC-BY-4.0" and cff["date-released"] == "2014-06-01"
    for page in site.glob("*.html"):
        html = page.read_text()
        assert '<html lang="en-GB">' in html and "Licence: CC-BY-4.0." in html, page.name
    method = (site / "methodology.html").read_text()
    assert 'id="cite"' in method and 'href="citation.bib"' in method
    from pypdf import PdfReader

    meta = PdfReader(site / "report.pdf").metadata
    assert "CC-BY-4.0" in meta.get("/Keywords", "")


def test_the_methodology_describes_only_what_the_study_has(make_study, example_sites):
    """A study with no agreement scale, no NPS item, no multiple choice... gets no paragraph on
    them; the example that has them gets each."""
    from rocsreport.pipeline import build

    root = make_study(rows_for({"A": (20, 20), "B": (15, 25)}))
    text = (root / "study.yaml").read_text(encoding="utf-8")
    (root / "study.yaml").write_text(text.replace("  - id: tools\n    type: multi\n"
                                                  "    wording: Tools used\n"
                                                  "    codes: {x: Tool X, y: Tool Y, none: None "
                                                  "of these}\n    missing: {dk: Don't know}\n",
                                                  ""), encoding="utf-8")
    site = build(root, root.parent / "site", None, make_pdf=False).out
    bare = (site / "methodology.html").read_text(encoding="utf-8")
    rich = (example_sites[0].out / "methodology.html").read_text(encoding="utf-8")
    for words in ("Net promoter score:", "Agreement scales:", "Multiple-choice questions:"):
        assert words not in bare, words
        assert words in rich, words
    assert "the one gap test in this report" in bare  # the study compares two groups once
