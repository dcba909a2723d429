"""Work is reused only where its inputs did not change: the build stamp, the drawn-chart cache
and the protection cache never change an output, and nothing cached for one organisation
reaches another's report."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from rocsreport import charts
from rocsreport.cli import main

from .test_benchmark import ORGS, STUDY


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def index_study(tmp_path_factory) -> Path:
    """The small benchmark study of test_benchmark (16 organisations, two waves), with its
    responses as Parquet."""
    root = tmp_path_factory.mktemp("cache") / "study"
    (root / "data").mkdir(parents=True)
    (root / "study.yaml").write_text(STUDY.replace("data/responses.csv",
                                                   "data/responses.parquet"))
    rows = []
    for org, (_, _, n, level, shift) in ORGS.items():
        for wave, lv in (("W1", level), ("W2", level + shift)):
            for k in range(n):
                v = lv + (k % 2)
                rows.append((f"r{len(rows):05d}", org, wave, v, v, 9 if k % 2 else 5,
                             "Yes" if k % 3 else "No"))
    con = duckdb.connect()
    con.execute("CREATE TABLE r (rid VARCHAR, org VARCHAR, wave VARCHAR, i1 INTEGER, "
                "i2 INTEGER, rec INTEGER, ok VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(f"COPY (SELECT * FROM r ORDER BY rid) TO '{root / 'data' / 'responses.parquet'}'"
                " (FORMAT parquet)")
    con.close()
    with (root / "data" / "organisations.csv").open("w") as f:
        f.write("org,name,sector\n" + "".join(f"{o},{name},{s}\n"
                                              for o, (s, name, *_) in ORGS.items()))
    return root


def clear_caches(study: Path) -> None:
    for sub in ("charts", "pdf", "protect", "builds"):
        shutil.rmtree(study / ".rocsreport" / sub, ignore_errors=True)
    charts.use_cache(None)


def test_a_cached_rebuild_equals_a_full_build(index_study, tmp_path):
    clear_caches(index_study)
    run("build", str(index_study), "--out", str(tmp_path / "cold"))
    assert any((index_study / ".rocsreport" / "charts").rglob("*.json"))
    assert any((index_study / ".rocsreport" / "pdf").rglob("*.pdf"))
    assert any((index_study / ".rocsreport" / "protect").glob("*.json"))
    # Every chart, the PDF and the protection from the caches, into another folder:
    run("build", str(index_study), "--out", str(tmp_path / "warm"))
    assert tree(tmp_path / "cold") == tree(tmp_path / "warm")
    # The same folder again: nothing changed, so nothing is done, and nothing is touched.
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "warm").rglob("*")}
    out = run("build", str(index_study), "--out", str(tmp_path / "warm"))
    assert "is up to date" in out
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "warm").rglob("*")} == before


def test_a_changed_response_rebuilds_exactly_what_a_full_build_writes(index_study, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(index_study, study, ignore=shutil.ignore_patterns(".rocsreport"))
    run("build", str(study), "--out", str(tmp_path / "site"), "--no-pdf")
    first = tree(tmp_path / "site")
    # One respondent's answers change: every item from its value to the top of the scale.
    data = study / "data" / "responses.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN rid = 'r00000' THEN 10 ELSE i1 END AS i1)"
                f" FROM read_parquet('{data}')) TO '{tmp_path / 'r.parquet'}' (FORMAT parquet)")
    con.close()
    shutil.move(tmp_path / "r.parquet", data)
    out = run("build", str(study), "--out", str(tmp_path / "site"), "--no-pdf")
    assert "up to date" not in out
    warm = tree(tmp_path / "site")
    assert warm != first  # the change shows
    # A build with no cache at all writes the same bytes: nothing stale was served.
    clear_caches(study)
    run("build", str(study), "--out", str(tmp_path / "cold"), "--no-pdf")
    assert tree(tmp_path / "cold") == warm
    changed = {k for k in warm if warm.get(k) != first.get(k)}
    assert "data/question-i1.csv" in changed and "data/question-i2.csv" not in changed
    assert "assets/style.css" not in changed


def test_no_chart_of_one_organisation_reaches_another(index_study, tmp_path):
    """Private reports drawn from the chart cache equal reports drawn without it, for every
    organisation: a cache entry is keyed by the whole chart, its data and names included."""
    clear_caches(index_study)
    run("orgs", str(index_study), "--out", str(tmp_path / "a"))
    run("orgs", str(index_study), "--out", str(tmp_path / "b"))  # from the caches
    clear_caches(index_study)
    charts.use_cache(None)
    from rocsreport.orgs import write_org_reports
    from rocsreport.pipeline import compute_protected

    report, _, truth = compute_protected(index_study)
    write_org_reports(report, tmp_path / "c", make_pdf=True, truth=truth, cache=None)
    a, b, c = tree(tmp_path / "a"), tree(tmp_path / "b"), tree(tmp_path / "c")
    assert a == b == c
    # Each organisation's report holds its own name only.
    names = {o: n for o, n, _ in report.benchmark.names}
    for path, blob in a.items():
        if path.endswith("index.html"):
            org = path.split("/")[0]
            others = [n for o, n in names.items() if o != org and n != names.get(org)]
            text = blob.decode()
            assert names[org] in text
            assert not [n for n in others if f">{n}<" in text], org


def test_build_with_orgs_writes_what_build_then_orgs_write(index_study, tmp_path):
    """One analysis for the site and the private reports (``build --orgs``) writes the same
    bytes as the two commands, and a second run finds both up to date."""
    run("build", str(index_study), "--out", str(tmp_path / "site1"), "--no-pdf")
    run("orgs", str(index_study), "--out", str(tmp_path / "orgs1"), "--no-pdf")
    clear_caches(index_study)
    out = run("build", str(index_study), "--out", str(tmp_path / "site2"), "--no-pdf",
              "--orgs", str(tmp_path / "orgs2"))
    assert "wrote 16 organisation report(s)" in out
    assert tree(tmp_path / "site1") == tree(tmp_path / "site2")
    assert tree(tmp_path / "orgs1") == tree(tmp_path / "orgs2")
    again = run("build", str(index_study), "--out", str(tmp_path / "site2"), "--no-pdf",
                "--orgs", str(tmp_path / "orgs2"))
    assert "are up to date" in again
    assert "is up to date" in run("orgs", str(index_study), "--out", str(tmp_path / "orgs2"),
                                  "--no-pdf")


def test_build_refuses_private_reports_inside_the_site(index_study, tmp_path):
    result = CliRunner().invoke(main, ["build", str(index_study), "--out",
                                       str(tmp_path / "site"), "--orgs",
                                       str(tmp_path / "site" / "private")])
    assert result.exit_code != 0
    assert "must never be inside the public site" in result.output
    assert not (tmp_path / "site").exists()
