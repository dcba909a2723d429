"""Hostile and careless input that must fail safe (issue 10): bounded YAML, non-finite numbers,
CSV rows split at a bare CR, estimators at zero variance. Every hostile input is made here."""

from __future__ import annotations

import csv
import io
import os
import re

import pytest
from click.testing import CliRunner

from rocsreport.benchmark import pearson
from rocsreport.cli import main
from rocsreport.tables import to_csv

from .conftest import rows_for


def error_line(result) -> str:
    assert result.exit_code == 1, result.output
    return result.output.strip().splitlines()[-1]


def study_dir(tmp_path, text: str):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "study.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "s"


def test_billion_laughs_is_refused_at_once(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    root = study_dir(tmp_path, "\n".join([*lines, "title: *a8"]) + "\n")
    line = error_line(CliRunner().invoke(main, ["validate", str(root)]))
    assert line == ("Error: study.yaml: its aliases expand to more than 1,000,000 values; a study "
                    "needs far fewer (is an alias repeated inside itself?)")


def test_deep_nesting_is_one_line(tmp_path):
    root = study_dir(tmp_path, "x: " + "[" * 20000 + "]" * 20000 + "\n")
    assert error_line(CliRunner().invoke(main, ["validate", str(root)])) == (
        "Error: study.yaml: nested more than 64 levels deep (at line 1); a study needs far fewer")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_study_yaml_must_be_a_bounded_regular_file(tmp_path, kind):
    root = tmp_path / "s"
    root.mkdir()
    path = root / "study.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        with path.open("wb") as f:
            f.truncate(5 * 1024 * 1024)  # sparse: 5 MB of nothing
    line = error_line(CliRunner().invoke(main, ["validate", str(root)]))
    if kind == "huge":
        assert line == (f"Error: {path}: 5,242,880 bytes, more than the 4 MB a study.yaml may "
                        "have")
    else:
        assert line == f"Error: {path}: not a regular file (a study.yaml is a text file)"


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e309"])
def test_non_finite_numbers_are_rejected_with_their_row(make_study, value):
    rows = rows_for({"A": (12, 12), "B": (12, 12)})
    for r in rows:
        r["score"] = "5"
    rows[3]["score"] = value
    root = make_study(rows, extra_questions="  - {id: score, type: number, wording: Score}")
    out = CliRunner().invoke(main, ["validate", str(root)])
    assert out.exit_code == 1
    assert (f"problem: data/survey.csv, line 5, column score: value {value!r} is not a finite "
            "number (score; expected a number such as 7 or 2.5)") in out.output


def test_a_bare_carriage_return_cannot_start_a_csv_row():
    text = to_csv(["label", "n"], [["x\r=cmd|' /C calc'!A0", 3], ["plain", 4]])
    # Quoted, so a CSV reader keeps it in one cell; escaped, so a reader that splits at CR
    # (some spreadsheet imports) meets no formula either.
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["label", "n"], ["x\r'=cmd|' /C calc'!A0", "3"], ["plain", "4"]]
    for line in text.replace("\r", "\n").split("\n"):
        assert not line.lstrip('"').startswith(("=", "+", "-", "@"))


def test_a_constant_has_no_correlation_rather_than_a_crash():
    r, p = pearson([70.0, 70.0, 70.0, 70.0, 70.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert r != r and p != p  # NaN: not published (the relationship is left out)


def test_every_customer_a_promoter_builds(tmp_path):
    # A sector where every respondent gives 10 and the same item scores: zero variance in the
    # organisation's and its sector's scores. It crashed every build with ZeroDivisionError.
    import sys
    sys.path.insert(0, str(tmp_path))
    from .test_disclosure import make_bench

    orgs = {f"big{k}": ("Big", 20, 3 + k % 5) for k in range(8)}
    orgs |= {f"same{k}": ("Five", 20, 6) for k in range(6)}
    root = make_bench(tmp_path / "study", orgs)
    # Constant answers in sector Five: i1 = i2 = 6 for everyone.
    path = root / "data" / "responses.csv"
    rows = list(csv.DictReader(path.open()))
    for r in rows:
        if r["org"].startswith("same"):
            r["i1"] = r["i2"] = "6"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = CliRunner().invoke(main, ["orgs", str(root), "--out", str(tmp_path / "p"),
                                    "--org", "same0", "--no-pdf"])
    assert out.exit_code == 0, out.output
    html = (tmp_path / "p" / "same0" / "index.html").read_text()
    assert "55.6" in html  # (6 - 1) / 9 * 100: the organisation's exact, spread-free index


# --- code and active content ----------------------------------------------------------------

def with_page(root, text: str):
    (root / "pages").mkdir(exist_ok=True)
    (root / "pages" / "index.md").write_text(text, encoding="utf-8")
    with (root / "study.yaml").open("a") as f:
        f.write("pages:\n  - {id: index, title: Home, file: pages/index.md}\n")
    return root


def test_a_template_override_cannot_reach_python(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    (root / "templates").mkdir()
    (root / "templates" / "_notice.html").write_text(
        "{{ cycler.__init__.__globals__.os.popen('echo pwned > " + str(tmp_path / "x") +
        "').read() }}")
    out = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "site"),
                                    "--no-pdf"])
    assert error_line(out) == ("Error: template access to attribute '__init__' of 'type' "
                               "object is unsafe.")
    assert not (tmp_path / "x").exists() and not (tmp_path / "site").exists()


def test_a_template_symlinked_to_a_system_file_is_refused(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    (root / "templates").mkdir()
    (root / "templates" / "_notice.html").symlink_to("/etc/passwd")
    out = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "site"),
                                    "--no-pdf"])
    assert error_line(out) == (f"Error: {root / 'templates' / '_notice.html'}: a symbolic link "
                               "or not a regular file; templates are read only as plain files "
                               "inside the template folders")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("pdf", [False, True], ids=["no-pdf", "pdf"])
def test_narrative_pages_carry_no_active_content(make_study, tmp_path, pdf):
    root = with_page(make_study(rows_for({"A": (20, 20)})), (
        'A <em onmouseover="alert(1)">hover</em> and <em-x>odd</em-x> and '
        '<span style="color:red">styled</span>, <strong>bare</strong>.\n\n'
        "[js](javascript:alert(1)) [data](data:text/html,hi) ![img](https://evil.example/x.png) "
        "[web](https://example.org/page) [mail](mailto:a@example.org) [rel](methodology.html)\n\n"
        "Title: {{ study.title }}. Finding: {{ finding('yes_share') }}\n"))
    text = (root / "study.yaml").read_text().replace(
        "title: Test study", "title: \"[click](javascript:alert(2)) <b>bold</b>\"")
    (root / "study.yaml").write_text(text)
    result = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "site")]
                                + ([] if pdf else ["--no-pdf"]))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "site" / "index.html").read_text()
    body = html[html.index('<main'):]
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    narrative = body[:body.index("Finding:")]
    parser = Tags()
    parser.feed(narrative)
    for tag, attrs in parser.found:
        assert tag not in ("em-x", "span", "img", "b", "script"), tag
        assert not any(a.startswith("on") or a == "style" for a in attrs), (tag, attrs)
        assert not attrs.get("href", "").startswith(("javascript:", "data:")), attrs
    assert "evil.example" not in narrative
    assert '<a href="https://example.org/page" rel="noopener noreferrer">web</a>' in body
    assert '<a href="mailto:a@example.org" rel="noopener noreferrer">mail</a>' in body
    assert '<a href="methodology.html" rel="noopener noreferrer">rel</a>' in body
    # A tag with attributes is shown as text, not markup; a bare inline tag still works.
    assert "A &lt;em onmouseover=" in body and "<strong>bare</strong>" in body
    # The study's title, a label from study.yaml, is text on the page: no link, no tag.
    assert "Title: [click](javascript:alert(2)) &lt;b&gt;bold&lt;/b&gt;." in body


@pytest.mark.parametrize("expr, message", [
    ("{{ 9**(9**9) }}", "a power above 1,000 is not allowed on a page"),
    ("{{ 'x' * 10**9 }}", "repeating into more than 100,000 items is not allowed on a page"),
])
def test_a_narrative_page_cannot_hang_the_build(make_study, tmp_path, expr, message):
    root = with_page(make_study(rows_for({"A": (20, 20)})), f"Intro.\n\n{expr}\n")
    out = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "site"),
                                    "--no-pdf"])
    assert error_line(out) == f"Error: index.md, line 3: {message}"


def test_bad_baselines_json_is_one_line_naming_the_key(tmp_path):
    from rocsreport.compare import read_baselines
    from rocsreport.errors import RocsError

    path = tmp_path / "baselines.json"
    path.write_text('{"baselines": [{"scope": "All sectors", "wave": "W1", "measure": '
                    '"index", "suppressed": false, "q1": 1, "median": "x", "q3": 3}]}')
    with pytest.raises(RocsError) as exc:
        read_baselines(path)
    assert exc.value.message == (f"{path}: baselines[0].median: expected a number (the "
                                 'baseline is not suppressed), got "x"')


def test_duplicate_column_names_are_refused_naming_both(make_study):
    rows = rows_for({"A": (12, 12)})
    root = make_study(rows)
    path = root / "data" / "survey.csv"
    text = path.read_text().splitlines()
    text[0] = text[0].replace("tools", "grp")
    path.write_text("\n".join(text) + "\n")
    out = CliRunner().invoke(main, ["validate", str(root)])
    assert error_line(out) == ("Error: data/survey.csv: line 1: columns 2 and 4 are both named "
                               "'grp'; every column needs its own name")


def test_inputs_stay_inside_the_study(make_study, tmp_path):
    rows = rows_for({"A": (12, 12)})
    root = make_study(rows)
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((root / "data" / "survey.csv").read_text())
    text = (root / "study.yaml").read_text()
    for rel in (str(outside), "../elsewhere.csv"):
        (root / "study.yaml").write_text(text.replace("file: data/survey.csv", f"file: {rel}"))
        line = error_line(CliRunner().invoke(main, ["validate", str(root)]))
        assert line.startswith(f"Error: study.yaml: sources.survey.file: must be inside the "
                               f"study folder, got {rel!r}"), line
    (root / "data" / "link.csv").symlink_to(outside)
    (root / "study.yaml").write_text(text.replace("file: data/survey.csv", "file: data/link.csv"))
    line = error_line(CliRunner().invoke(main, ["validate", str(root)]))
    assert "sources.survey.file: must be inside the study folder, got 'data/link.csv'" in line
    # An explicit opt-in reads it.
    (root / "study.yaml").write_text(text.replace(
        "file: data/survey.csv", f"file: {outside}\n    outside_study: true"))
    assert CliRunner().invoke(main, ["validate", str(root)]).exit_code == 0


def test_page_ids_and_pdf_paths_cannot_overwrite_generated_files(make_study, tmp_path):
    root = with_page(make_study(rows_for({"A": (20, 20)})), "Hello.\n")
    text = (root / "study.yaml").read_text()
    (root / "study.yaml").write_text(text.replace("{id: index, title: Home",
                                                  "{id: methodology, title: Home"))
    line = error_line(CliRunner().invoke(main, ["validate", str(root)]))
    assert "pages[0].id: 'methodology' is the name of a page the build makes" in line
    (root / "study.yaml").write_text(text)
    for pdf in (root / "report.pdf", root / "data" / "survey.csv"):
        out = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "s"),
                                        "--pdf", str(pdf)])
        assert error_line(out) == (f"Error: --pdf {pdf} is inside the study folder or is one "
                                   "of its input files; write the PDF somewhere else")


def test_sector_and_group_names_keep_their_pages_apart():
    from rocsreport.render import slug

    assert slug("小売") != slug("銀行") and slug("小売") == slug("小売")
    assert slug("Retail (food)") == "retail-food"
    from rocsreport.spec import RESERVED_LABELS, _slug_clashes

    assert _slug_clashes(["Retail (food)", "Retail food", "Banks"]) == ("Retail (food)",
                                                                        "Retail food")
    assert "All sectors" in RESERVED_LABELS and "All" in RESERVED_LABELS


def test_one_importid_cell_does_not_make_a_plain_file_qualtrics(tmp_path):
    from rocsreport.readers import _layout

    path = tmp_path / "plain.csv"
    path.write_text('id,comment,score\n1,fine,3\n2,"{""ImportId"": ""x""} pasted",4\n3,ok,5\n')
    assert _layout(path)[0] == "plain"
    real = tmp_path / "qualtrics.csv"
    real.write_text('id,score\nResponse ID,Score\n"{""ImportId"":""_recordId""}",'
                    '"{""ImportId"":""QID1""}"\n1,3\n')
    assert _layout(real)[:2] == ("qualtrics", 2)


# --- atomic and exclusive -------------------------------------------------------------------

def test_a_second_build_into_the_same_folder_fails_in_one_line(make_study, tmp_path):
    from rocsreport.locks import exclusive

    root = make_study(rows_for({"A": (20, 20)}))
    out = tmp_path / "site"
    with exclusive(out.resolve(), "the site"):  # another build is writing it
        res = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--no-pdf"])
    assert error_line(res) == (f"Error: another rocsreport run is writing the site "
                               f"{out.resolve()}; try again when it has finished (lock "
                               f"{out.resolve().with_name('.site.lock')})")
    assert not out.exists()
    res = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0, res.output


def test_the_site_swap_exchanges_in_one_step(tmp_path):
    from rocsreport.publish import _exchange, swap_in

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("new")
    (b / "f").write_text("old")
    assert _exchange(a, b)  # Linux: renameat2(RENAME_EXCHANGE)
    assert (b / "f").read_text() == "new" and (a / "f").read_text() == "old"
    out = tmp_path / "site"
    swap_in(out, {"index.html": b"one"})
    swap_in(out, {"index.html": b"two"})
    assert (out / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "site"]
    # A run stopped between the two renames of the fallback (no site, the previous one kept
    # aside) is put back before anything else happens.
    (out).rename(tmp_path / ".site.previous")
    swap_in(out, {"index.html": b"three"})
    assert (out / "index.html").read_bytes() == b"three"
    assert not (tmp_path / ".site.previous").exists()


def test_files_added_to_a_built_site_are_kept_when_declared(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 20)}))
    out = tmp_path / "site"
    run = CliRunner().invoke
    assert run(main, ["build", str(root), "--out", str(out), "--no-pdf"]).exit_code == 0
    (out / "CNAME").write_text("stats.example.org\n")
    (out / "notes.txt").write_text("mine")
    res = run(main, ["build", str(root), "--out", str(out), "--no-pdf"])
    assert ("removed 2 file(s) that the build does not write: CNAME, notes.txt (to keep them, "
            "add to study.yaml: publish: {keep: [CNAME, notes.txt]})") in res.output
    assert not (out / "CNAME").exists()
    (out / "CNAME").write_text("stats.example.org\n")
    with (root / "study.yaml").open("a") as f:
        f.write("publish: {keep: [CNAME]}\n")
    res = run(main, ["build", str(root), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0 and "removed" not in res.output
    assert (out / "CNAME").read_text() == "stats.example.org\n"
    res = run(main, ["build", str(root), "--out", str(out), "--no-pdf"])  # and again
    assert (out / "CNAME").read_text() == "stats.example.org\n"


# --- estimators at the edges ------------------------------------------------------------------

def test_wilson_at_p_zero_and_one():
    # Hand calculation: at p = 0 the Wilson interval is [0, z²/(n + z²)]; at p = 1 it is
    # [n/(n + z²), 1]. z = 1.959963985 (95%), n = 20. Tolerance 1e-9.
    from rocsreport.stats.proportions import proportion_ci

    z2 = 1.959963984540054 ** 2
    assert proportion_ci(0.0, 20) == pytest.approx((0.0, z2 / (20 + z2)), abs=1e-9)
    assert proportion_ci(1.0, 20) == pytest.approx((20 / (20 + z2), 1.0), abs=1e-9)


def test_equal_weights_give_the_unweighted_mean():
    # All weights 2: Kish's effective n is n, so the interval is the textbook t interval.
    # Hand calculation for y = 1..5: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445105.
    from rocsreport.stats.means import mean_ci

    ys = [1, 2, 3, 4, 5]
    mean, lo, hi, neff = mean_ci(5, 10.0, 20.0, 2.0 * sum(ys), 2.0 * sum(y * y for y in ys))
    half = 2.776445105197793 * (2.5 ** 0.5) / 5 ** 0.5
    assert (mean, neff) == (3.0, 5.0)
    assert (lo, hi) == pytest.approx((3 - half, 3 + half), abs=1e-9)


def test_one_respondent_is_published_without_nan(make_study, tmp_path):
    # suppress_below: 1 publishes a cell of one; its mean has no interval. "nan" must not
    # appear in any page or download.
    rows = rows_for({"A": (20, 20), "B": (1, 0)})
    for k, r in enumerate(rows):
        r["score"] = str(k % 7)
    root = make_study(rows, extra_questions="  - {id: score, type: number, wording: Score}")
    with (root / "study.yaml").open("a") as f:
        f.write("disclosure: {suppress_below: 1, flag_below: 30}\n")
    res = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "site"),
                                    "--no-pdf"])
    assert res.exit_code == 0, res.output
    for path in sorted((tmp_path / "site").rglob("*")):
        if path.suffix in (".html", ".csv", ".json"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\bnan\b|\binf\b", text, re.IGNORECASE), path.name


def test_line_numbers_are_the_lines_an_editor_shows(tmp_path):
    # Line 1 header, 2 r1, 3 blank, 4-5 r2 (a quoted newline), 6 r3 (a 3 MB field), 7 r4 (a
    # bad answer), 8 blank, 9 r1 again (a conflicting duplicate).
    root = tmp_path / "s"
    (root / "data").mkdir(parents=True)
    (root / "study.yaml").write_text(
        "title: T\nsynthetic: true\nunit: people\nsources:\n  s: {file: data/s.csv, id: rid}\n"
        "questions:\n  - {id: rid, type: id}\n  - {id: note, type: text, wording: Note}\n"
        "  - {id: ans, type: single, wording: A, codes: [\"Yes\", \"No\"]}\n"
        "indicators:\n  i: {label: I, question: ans, numerator: [\"Yes\"]}\n"
        "load: {max_reject_rate: 1}\n")
    big = "x" * 3_000_000
    (root / "data" / "s.csv").write_text("\n".join([
        "rid,note,ans", "r1,ok,Yes", "", 'r2,"two\nlines",No', f'r3,"{big}",Yes',
        "r4,fine,Maybe", "", "r1,dup,No"]) + "\n")
    out = CliRunner().invoke(main, ["validate", str(root)])
    problems = [line for line in out.output.splitlines() if line.startswith("problem:")]
    # The two rows of the duplicate id are one problem (validate groups a repeated one).
    assert problems == [
        "problem: data/s.csv, 2 rows (lines 2, 9), column rid: value 'r1' is a duplicate "
        "respondent id with different answers on lines 2, 9; all are rejected",
        "problem: data/s.csv, line 7, column ans: value 'Maybe' is not in the codebook for ans "
        "(expected one of: Yes, No)"]


def test_a_full_disk_during_a_load_leaves_the_previous_database(make_study, monkeypatch):
    import duckdb

    from rocsreport import ingest
    from rocsreport.errors import IngestError
    from rocsreport.spec import load_study

    root = make_study(rows_for({"A": (12, 12)}))
    study = load_study(root)
    first = ingest.load(study)
    before = first.db.read_bytes()
    real = ingest._load_into

    def full(con, study):
        real(con, study)
        tmp = first.db.with_name(first.db.name + ".tmp.wal")
        tmp.write_bytes(b"partial")  # what DuckDB leaves when a write fails half-way
        raise duckdb.IOException("Could not write file: No space left on device")
    monkeypatch.setattr(ingest, "_load_into", full)
    with pytest.raises(IngestError) as exc:
        ingest.load(study, force=True)
    assert exc.value.message == (f"cannot write the database {first.db}: the disk is full; the "
                                 "previous database is unchanged")
    assert first.db.read_bytes() == before
    assert sorted(p.name for p in first.db.parent.iterdir()
                  if not p.name.endswith(".lock")) == [first.db.name]


def test_a_read_only_study_folder_suggests_db(make_study, monkeypatch, tmp_path):
    from pathlib import Path

    root = make_study(rows_for({"A": (12, 12)}))
    real = Path.mkdir

    def read_only(self, *a, **k):
        if self.name == ".rocsreport":
            raise PermissionError(13, "Permission denied")
        return real(self, *a, **k)
    monkeypatch.setattr(Path, "mkdir", read_only)
    out = CliRunner().invoke(main, ["load", str(root)])
    assert error_line(out) == (f"Error: cannot write the database in {root / '.rocsreport'}: "
                               "Permission denied; if the study folder is read-only, give --db "
                               "PATH somewhere writable")
    ok = CliRunner().invoke(main, ["load", str(root), "--db", str(tmp_path / "s.duckdb")])
    assert ok.exit_code == 0, ok.output


def test_a_load_over_its_memory_ceiling_fails_cleanly_and_keeps_the_database(tmp_path,
                                                                             monkeypatch):
    """DuckDB's memory ceiling (ROCSREPORT_MEMORY_LIMIT) stops a load with a message that
    says which setting to raise; the database of the last good load stays as it was."""
    import shutil as sh
    from pathlib import Path

    from click.testing import CliRunner

    from rocsreport.cli import main

    study = tmp_path / "study"
    sh.copytree(Path(__file__).parent.parent / "surveys" / "service-index", study,
                ignore=sh.ignore_patterns(".rocsreport"))
    assert CliRunner().invoke(main, ["load", str(study)]).exit_code == 0
    db = study / ".rocsreport" / "study.duckdb"
    before = db.read_bytes()
    monkeypatch.setenv("ROCSREPORT_MEMORY_LIMIT", "2MB")
    r = CliRunner().invoke(main, ["load", str(study), "--force"])
    assert r.exit_code != 0
    assert "ROCSREPORT_MEMORY_LIMIT" in r.output and "previous database is unchanged" in r.output
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir() if "spill" in p.name or
                  p.name.endswith(".tmp")) == []
    monkeypatch.setenv("ROCSREPORT_MEMORY_LIMIT", "")
    monkeypatch.setenv("ROCSREPORT_THREADS", "two")
    r = CliRunner().invoke(main, ["load", str(study), "--force"])
    assert r.exit_code != 0 and "ROCSREPORT_THREADS='two'" in r.output
