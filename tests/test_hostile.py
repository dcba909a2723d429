"""Hostile and messy inputs (tests/data/hostile, made by make_hostile.py), security of the
renderer and the PDF, and property tests of loading. Each threat has its own test."""

from __future__ import annotations

import re
import shutil
import socket
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocsreport import ingest
from rocsreport.errors import BuildError, IngestError
from rocsreport.pipeline import build
from rocsreport.publish import render_pdf
from rocsreport.readers import detect_encoding
from rocsreport.spec import load_study
from rocsreport.tables import csv_cell

from .conftest import EXAMPLE, rows_for

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
STUDY = """\
title: Hostile
synthetic: true
sources:
  s: {{file: data/{name}, id: rid{extra}}}
questions:
  - {{id: rid, type: id}}
  - {{id: grp, type: single, wording: Group, codes: [A, B]}}
  - {{id: ans, type: single, wording: Answer, codes: ["Yes", "No"]}}
  - {{id: tools, type: multi, wording: Tools, codes: [x, y]}}
indicators:
  yes_share: {{label: Say yes, question: ans, numerator: ["Yes"]}}
"""


def study_for(tmp_path: Path, name: str, extra: str = "") -> Path:
    root = tmp_path / name.replace(".", "_")
    (root / "data").mkdir(parents=True)
    shutil.copy(HOSTILE / name, root / "data" / name)
    (root / "study.yaml").write_text(STUDY.format(name=name, extra=extra))
    return root


def loaded(root: Path, tmp_path: Path) -> list[tuple]:
    result = ingest.load(load_study(root), tmp_path / f"{root.name}.duckdb")
    con = duckdb.connect(str(result.db), read_only=True)
    try:
        return con.execute("SELECT rid, grp, ans, tools FROM s ORDER BY rid").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("name", ["utf8_bom.csv", "utf16.csv", "cp1252.csv", "semicolon.csv",
                                  "tabs.tsv", "crlf_quoted.csv", "qualtrics.csv"])
def test_the_same_data_in_any_form_loads_to_the_same_table(tmp_path, name):
    reference = loaded(study_for(tmp_path, "plain.csv"), tmp_path)
    assert ("café", "A", "No", ["x"]) in reference and len(reference) == 60
    assert loaded(study_for(tmp_path, name), tmp_path) == reference


def test_encodings_are_detected():
    assert detect_encoding(HOSTILE / "utf8_bom.csv") == "utf-8-sig"
    assert detect_encoding(HOSTILE / "utf16.csv") == "utf-16"
    assert detect_encoding(HOSTILE / "cp1252.csv") == "cp1252"
    assert detect_encoding(HOSTILE / "plain.csv") == "utf-8"


def test_qualtrics_layout_is_recognised_and_its_header_rows_are_not_data(tmp_path):
    con = duckdb.connect()
    from rocsreport.readers import read_into
    info = read_into(con, HOSTILE / "qualtrics.csv", "qualtrics.csv", "csv", "t")
    assert info.layout == "qualtrics" and info.first_line == 4
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 60
    con.close()


def test_quoted_newline_stays_in_its_cell():
    from rocsreport.readers import read_into

    con = duckdb.connect()
    read_into(con, HOSTILE / "quoted_newline.csv", "q.csv", "csv", "t")
    assert con.execute("SELECT note FROM t ORDER BY rid").fetchall() == [
        ("first line\nsecond line",), ("plain",)]
    con.close()


def test_a_column_that_stops_being_numeric_deep_in_the_file_is_reported(tmp_path):
    root = tmp_path / "deep"
    (root / "data").mkdir(parents=True)
    shutil.copy(HOSTILE / "deep_not_numeric.csv", root / "data" / "d.csv")
    (root / "study.yaml").write_text("""\
title: Deep
synthetic: true
sources:
  s: {file: data/d.csv, id: rid}
questions:
  - {id: rid, type: id}
  - {id: score, type: number, wording: Score}
indicators: {}
""")
    # A study needs an indicator; the reader and checks are exercised through ingest.check.
    from rocsreport.spec import Question, Source, Study
    study = Study(root=root, title="Deep", publisher="", fieldwork="", sample="",
                  synthetic=True, unit="r",
                  sources=(Source("s", root / "data" / "d.csv", "data/d.csv", "rid", "csv"),),
                  questions=(Question("rid", "id", "rid", "rid", ("s",)),
                             Question("score", "number", "Score", "Score", ("s",))),
                  indicators=(), breakdowns=())
    loads, rejects, _ = ingest.check(study)
    assert loads[0].rows == 6000 and loads[0].rejected == 1
    assert [r.message() for r in rejects] == [
        "data/d.csv, line 5002, column score: value 'n/a' is not a number (score)"]


def test_ragged_rows_are_a_clear_error(tmp_path):
    with pytest.raises(IngestError) as exc:
        loaded(study_for(tmp_path, "ragged.csv"), tmp_path)
    assert exc.value.message.startswith("data/ragged.csv: could not read the file:")


@pytest.mark.parametrize("name", ["billion_laughs.xlsx", "not_a_workbook.xlsx",
                                  "truncated.sav"])
def test_malformed_workbooks_and_spss_files_give_an_error_not_a_crash(tmp_path, name):
    with pytest.raises(IngestError) as exc:
        loaded(study_for(tmp_path, name), tmp_path)
    assert exc.value.message.startswith(f"data/{name}: ")


def test_files_above_the_size_limit_are_refused(tmp_path):
    root = study_for(tmp_path, "plain.csv")
    with (root / "study.yaml").open("a") as f:
        f.write("load: {max_file_mb: 0.0001}\n")
    with pytest.raises(IngestError) as exc:
        loaded(root, tmp_path)
    size = (root / "data" / "plain.csv").stat().st_size
    assert exc.value.message == (f"data/plain.csv: {size:,} bytes is above the limit of 100 "
                                 "bytes (load.max_file_mb)")


def test_excel_sheet_by_name_with_the_header_row_found(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Responses")
    ws.append(["Customer survey export"])
    ws.append([])
    for line in (HOSTILE / "plain.csv").read_text().splitlines():
        ws.append(line.split(","))
    root = tmp_path / "xl"
    (root / "data").mkdir(parents=True)
    wb.save(root / "data" / "book.xlsx")
    (root / "study.yaml").write_text(STUDY.format(name="book.xlsx", extra=", sheet: Responses"))
    reference = loaded(study_for(tmp_path, "plain.csv"), tmp_path)
    assert loaded(root, tmp_path) == reference


# --- Security ------------------------------------------------------------------------------


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.lower().startswith("on")]


XSS = "</script><img src=x onerror=alert(1)>"


def test_markup_in_quotes_labels_and_codes_never_becomes_html(tmp_path, monkeypatch):
    study = tmp_path / "bm"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns(".rocsreport"))
    clean_site = build(study, tmp_path / "clean", None, make_pdf=False).out
    clean = {p.name: Elements() for p in clean_site.glob("*.html")}
    for p in clean_site.glob("*.html"):
        clean[p.name].feed(p.read_text())
    iv = (study / "data" / "interviews.csv").read_text().splitlines()
    iv[1] = iv[1].rsplit(",", 1)[0] + ',"' + XSS + ' <img src=""file:///etc/passwd"">"'
    (study / "data" / "interviews.csv").write_text("\n".join(iv) + "\n")
    text = (study / "study.yaml").read_text()
    text = text.replace("label: Do not know the return on service",
                        f"label: '{XSS} Do not know'")
    text = text.replace("      none: None of these", f"      none: '{XSS}'")
    (study / "study.yaml").write_text(text)
    connects = []
    monkeypatch.setattr(socket.socket, "connect", lambda *a: connects.append(a))
    site = build(study, tmp_path / "site", None).out
    assert connects == []
    for p in sorted(site.glob("*.html")):
        parsed = Elements()
        parsed.feed(p.read_text())
        assert parsed.handlers == [], p.name
        assert parsed.tags.count("img") == clean[p.name].tags.count("img"), p.name
        # The site's own scripts only, as in the same study without the hostile text.
        assert parsed.tags.count("script") == clean[p.name].tags.count("script"), p.name
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in (
        site / "interviews.html").read_text()
    assert b"root:x:0" not in (site / "report.pdf").read_bytes()


def test_the_pdf_refuses_any_external_resource(monkeypatch):
    connects = []
    monkeypatch.setattr(socket.socket, "connect", lambda *a: connects.append(a))
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
                "https://example.invalid/x.png"):
        with pytest.raises(BuildError) as exc:
            render_pdf(f'<p>x</p><img src="{url}">', Path("/tmp"))
        assert exc.value.message.startswith("PDF: the PDF may not load external resources: ")
    with pytest.raises(BuildError):
        render_pdf('<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>', Path("/tmp"))
    assert connects == []


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (-0.5, -0.5), (3, 3)])
def test_csv_cells_cannot_start_a_formula(value, expected):
    assert csv_cell(value) == expected


def test_database_connection_is_locked_down(tmp_path, make_study):
    result = ingest.load(load_study(make_study(rows_for({"A": (20, 20)}))),
                         tmp_path / "x.duckdb")
    con = ingest.open_db(result.db)
    try:
        for sql in ("SELECT * FROM read_csv('/etc/passwd')", "INSTALL httpfs",
                    "SET autoinstall_known_extensions = true",
                    "COPY (SELECT 1) TO '/tmp/rocs-x.csv'"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()


def test_output_paths_stay_inside_the_output_folder(tmp_path):
    from rocsreport.orgs import folder
    from rocsreport.publish import swap_in
    from rocsreport.render import slug

    # Not plain names: an ASCII slug plus a hash of the exact id, never a path.
    assert re.fullmatch(r"etc-[0-9a-f]{8}", folder("../../etc"))
    assert re.fullmatch(r"abs-path-[0-9a-f]{8}", folder("/abs/path"))
    assert slug("../Sector / One") == "sector-one"
    with pytest.raises(BuildError):
        swap_in(tmp_path / "out", {"../escape.html": b"x"})
    assert not (tmp_path / "escape.html").exists()


# --- Property and fuzz tests ---------------------------------------------------------------

CELL = st.one_of(st.sampled_from(["A", "B", "Yes", "No", "x", "x;y", ""]),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                blacklist_characters="\x00"), max_size=8))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=40))
def test_nothing_is_lost_whatever_the_values(tmp_path_factory, make_study, table):
    # Any table of valid and invalid values: rows = loaded + rejected, and every rejected row is
    # in the rejects table.
    tmp = tmp_path_factory.mktemp("prop")
    rows = [{"rid": f"r{k}", "grp": g, "ans": a, "tools": t}
            for k, (g, a, t) in enumerate(table)]
    root = make_study(rows)
    import csv as csvmod
    with (root / "data" / "survey.csv").open("w", newline="", encoding="utf-8") as f:
        w = csvmod.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    study = load_study(root)
    loads, rejects, _ = ingest.check(study)
    s = loads[0]
    assert s.rows == len(rows) == s.loaded + s.rejected
    assert len({r.line for r in rejects}) == s.rejected
    del tmp


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_the_quote_renderer(text):
    # Whatever the text, the rendered quote is one blockquote with no element of its own.
    from rocsreport.render import DEFAULTS, environment
    env = environment(DEFAULTS)
    tpl = env.from_string("<blockquote><p>{{ q }}</p></blockquote>")
    parsed = Elements()
    parsed.feed(tpl.render(q=text))
    assert parsed.tags == ["blockquote", "p"] and parsed.handlers == []


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_fuzz_the_csv_reader(tmp_path_factory, data):
    # Arbitrary bytes: the reader loads them or says what is wrong, never anything else.
    from rocsreport.readers import read_into
    p = tmp_path_factory.mktemp("fz") / "f.csv"
    p.write_bytes(data)
    con = duckdb.connect()
    try:
        read_into(con, p, "f.csv", "csv", "t")
    except IngestError as exc:
        assert exc.message.startswith("f.csv: ")
    finally:
        con.close()


def test_init_from_an_spss_file_drafts_a_study_that_validates_and_builds(tmp_path):
    import pandas as pd
    import pyreadstat
    from click.testing import CliRunner

    from rocsreport.cli import main

    n = 60
    df = pd.DataFrame({
        "respid": [f"R{k:03d}" for k in range(n)],
        "q1": [float([1, 2, 9][k % 3]) for k in range(n)],
        "q2": [float(k % 5 + 1) for k in range(n)],
        "age": [float(20 + k) for k in range(n)],
    })
    sav = tmp_path / "export.sav"
    pyreadstat.write_sav(
        df, str(sav), column_labels=["Respondent", "Do you measure the ROI of service?",
                                     "Service is linked to our vision", "Age"],
        variable_value_labels={"q1": {1.0: "Yes", 2.0: "No", 9.0: "Refused"},
                               "q2": {1.0: "Strongly disagree", 2.0: "Disagree",
                                      3.0: "Neither", 4.0: "Agree", 5.0: "Strongly agree"}},
        missing_ranges={"q1": [9.0]})
    study = tmp_path / "drafted"
    out = CliRunner().invoke(main, ["init", str(study), "--from", str(sav)])
    assert out.exit_code == 0, out.output
    spec = load_study(study)
    q1 = spec.question("q1")
    assert q1.wording == "Do you measure the ROI of service?"
    assert [(c.value, c.label) for c in q1.valid_codes] == [("1", "Yes"), ("2", "No")]
    assert q1.missing_codes == ("9",)
    assert spec.question("age").type == "number" and spec.survey.id_column == "respid"
    assert CliRunner().invoke(main, ["validate", str(study)]).exit_code == 0
    result = build(study, tmp_path / "site", None, make_pdf=False)
    assert (result.out / "index.html").is_file()
    res = result.report.indicator("q1_yes").overall
    assert (res.n, res.estimate) == (40, pytest.approx(0.5))  # 20 Yes of 40 answering
    again = CliRunner().invoke(main, ["init", str(study), "--from", str(sav)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_multi_choice_one_column_per_option_and_renamed_columns(tmp_path):
    root = tmp_path / "wide"
    (root / "data").mkdir(parents=True)
    lines = ["Respondent ID,Group,Answer,Tools: X,Tools: Y"]
    lines += [f"r{k},{'AB'[k % 2]},{'Yes' if k % 3 else 'No'},{1 if k % 2 else 0},"
              f"{'Y' if k % 4 == 0 else ''}" for k in range(40)]
    (root / "data" / "w.csv").write_text("\n".join(lines) + "\n")
    (root / "study.yaml").write_text(STUDY.format(name="w.csv", extra="").replace(
        "  - {id: rid, type: id}", "  - {id: rid, type: id, column: Respondent ID}").replace(
        "  - {id: grp, type: single,", "  - {id: grp, column: Group, type: single,").replace(
        "  - {id: ans, type: single,", "  - {id: ans, column: Answer, type: single,").replace(
        "  - {id: tools, type: multi, wording: Tools, codes: [x, y]}",
        "  - {id: tools, type: multi, wording: Tools, codes: [x, y],\n"
        "     columns: {x: 'Tools: X', y: 'Tools: Y'}}"))
    rows = loaded(root, tmp_path)
    tools = {r[0]: r[3] for r in rows}
    # Hand-worked: r0 y only, r1 x, r2 nothing chosen (no answer), r3 x, r4 y.
    assert tools["r0"] == ["y"] and tools["r1"] == ["x"] and tools["r2"] is None
    assert tools["r3"] == ["x"] and tools["r4"] == ["y"] and len(rows) == 40


def test_surveymonkey_layout_is_recognised_and_mapped(tmp_path):
    from rocsreport.readers import read_into

    con = duckdb.connect()
    info = read_into(con, HOSTILE / "surveymonkey.csv", "sm.csv", "csv", "t")
    assert info.layout == "surveymonkey" and info.first_line == 3
    cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE t)").fetchall()]
    assert cols == ["Respondent ID", "Which group are you in?", "Did it work?",
                    "Which tools do you use? | Tool X", "Which tools do you use? | Tool Y"]
    con.close()
    root = tmp_path / "sm"
    (root / "data").mkdir(parents=True)
    shutil.copy(HOSTILE / "surveymonkey.csv", root / "data" / "sm.csv")
    (root / "study.yaml").write_text(STUDY.format(name="sm.csv", extra="").replace(
        "  - {id: rid, type: id}", "  - {id: rid, type: id, column: Respondent ID}").replace(
        "  - {id: grp, type: single,",
        "  - {id: grp, column: 'Which group are you in?', type: single,").replace(
        "  - {id: ans, type: single,", "  - {id: ans, column: 'Did it work?', type: single,"
    ).replace("  - {id: tools, type: multi, wording: Tools, codes: [x, y]}",
              "  - {id: tools, type: multi, wording: Tools, codes: [x, y],\n"
              "     columns: {x: 'Which tools do you use? | Tool X',\n"
              "               y: 'Which tools do you use? | Tool Y'}}"))
    rows = loaded(root, tmp_path)
    assert len(rows) == 40 and dict((r[0], r[3]) for r in rows)["r0001"] == ["x"]


def test_load_says_which_layout_and_encoding_it_found(tmp_path):
    root = study_for(tmp_path, "qualtrics.csv")
    result = ingest.load(load_study(root), tmp_path / "q.duckdb")
    assert result.summary_lines() == [
        "s (data/qualtrics.csv): loaded 60, rejected 0 (qualtrics layout detected)"]
    root = study_for(tmp_path, "cp1252.csv")
    result = ingest.load(load_study(root), tmp_path / "c.duckdb")
    assert result.summary_lines()[0].endswith("(encoding cp1252)")


def test_markup_in_an_organisation_name_never_becomes_html(tmp_path):
    from dataclasses import replace

    from rocsreport.orgs import render_org
    from rocsreport.pipeline import compute

    study = tmp_path / "si"
    shutil.copytree(EXAMPLE.parent / "service-index", study,
                    ignore=shutil.ignore_patterns(".rocsreport"))
    report, _ = compute(study)
    view = report.benchmark.private_view("ORG001")
    view = replace(view, names=(("ORG001", XSS, view.names[0][2]),))
    parsed = Elements()
    html = render_org(report.study, view, "ORG001")
    parsed.feed(html)
    assert parsed.handlers == [] and parsed.tags.count("img") == 0
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


FORMS = st.tuples(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
                  st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(["Yes", "No", ""]),
                          st.sampled_from(["x", "x;y", "y", ""]),
                          st.decimals(min_value=-99, max_value=99, places=2,
                                      allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=30), FORMS)
def test_the_same_data_loads_the_same_in_any_encoding_and_dialect(tmp_path_factory, rows,
                                                                   form):
    # Property: whatever the encoding, delimiter, line ending and decimal mark, the loaded
    # table is the one the plain file gives.
    encoding, delim, newline = form
    base = tmp_path_factory.mktemp("form")
    tables = []
    for variant in ("plain", "form"):
        root = base / variant
        (root / "data").mkdir(parents=True)
        d, comma = (",", False) if variant == "plain" else (delim, delim == ";")
        lines = [d.join(["rid", "grp", "ans", "tools", "score"])]
        for k, (g, a, t, s) in enumerate(rows):
            score = str(s).replace(".", ",") if comma else str(s)
            tools = f'"{t}"' if t else ""
            lines.append(d.join([f"café{k}", g, a, tools, f'"{score}"' if comma else score]))
        nl = newline if variant == "form" else "\n"
        text = nl.join(lines) + nl
        (root / "data" / "f.csv").write_bytes(
            text.encode(encoding if variant == "form" else "utf-8"))
        (root / "study.yaml").write_text(
            STUDY.format(name="f.csv", extra=', decimal: ","' if comma else "").replace(
                "  - {id: tools, type: multi, wording: Tools, codes: [x, y]}",
                "  - {id: tools, type: multi, wording: Tools, codes: [x, y]}\n"
                "  - {id: score, type: number, wording: Score}"))
        result = ingest.load(load_study(root), base / f"{variant}.duckdb")
        con = duckdb.connect(str(result.db), read_only=True)
        tables.append(con.execute("SELECT rid, grp, ans, tools, score FROM s ORDER BY rid"
                                  ).fetchall())
        con.close()
        assert result.sources[0].rows == len(rows) == result.sources[0].loaded
    assert tables[0] == tables[1]


def test_chart_labels_with_dots_and_brackets_are_plain_values(make_study, tmp_path):
    rows = rows_for({"A": (20, 20), "B": (15, 16)})
    root = make_study(rows)
    text = (root / "study.yaml").read_text().replace(
        "codes: [A, B, Tiny]", "codes: {A: 'Retail.[x] \"q\"', B: 'a.b[0]', Tiny: Tiny}").replace(
        "compare: [A, B]", "compare: ['Retail.[x] \"q\"', 'a.b[0]']")
    (root / "study.yaml").write_text(text)
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    page = (site / "indicator-yes_share.html").read_text()
    assert "a.b[0]" in page and "Retail.[x] &#34;q&#34;" in page


def test_a_parser_that_runs_too_long_is_stopped(tmp_path, monkeypatch):
    openpyxl = pytest.importorskip("openpyxl")
    import rocsreport.readers as readers

    wb = openpyxl.Workbook()
    wb.active.append(["rid", "grp"])
    wb.active.append(["r1", "A"])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    monkeypatch.setattr(readers, "PARSE_SECONDS", 0.01)
    con = duckdb.connect()
    with pytest.raises(IngestError) as exc:
        readers.read_into(con, path, "b.xlsx", "xlsx", "t")
    assert exc.value.message == ("b.xlsx: parsing took longer than 0.01 s; the file may be "
                                 "malformed")
    con.close()
