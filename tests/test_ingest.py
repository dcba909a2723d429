"""Loading: codebook types, rejects with file/line/column/value/reason, atomic and idempotent."""

from __future__ import annotations

import duckdb
import pytest

from rocsreport import ingest
from rocsreport.errors import IngestError
from rocsreport.spec import load_study

from .conftest import rows_for, write_csv


def table(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_value_outside_codebook_goes_to_rejects(make_study, tmp_path):
    rows = rows_for({"A": (30, 30), "B": (20, 19)})
    rows[4]["ans"] = "Maybe"  # data row 5 is line 6 of the file (line 1 is the header)
    root = make_study(rows)
    result = ingest.load(load_study(root), tmp_path / "s.duckdb")
    assert result.sources[0].loaded == 98 and result.sources[0].rejected == 1
    assert table(result.db, "SELECT * FROM rejects") == [
        ("survey", "data/survey.csv", 6, "ans", "Maybe",
         "is not in the codebook for ans (expected one of: Yes, No, Refused)")]
    assert table(result.db, "SELECT count(*) FROM survey WHERE rid = 'r0005'") == [(0,)]
    assert result.summary_lines() == ["survey (data/survey.csv): loaded 98, rejected 1"]


def test_bad_multi_option_is_rejected_naming_the_option(make_study, tmp_path):
    rows = rows_for({"A": (40, 40)})
    rows[0]["tools"] = "x;zz"
    result = ingest.load(load_study(make_study(rows)), tmp_path / "s.duckdb")
    assert table(result.db, "SELECT line, \"column\", value, reason FROM rejects") == [
        (2, "tools", "x;zz", "has option(s) not in the codebook for tools: zz (expected "
         "options from: x, y, none, dk)")]


def test_duplicate_ids(make_study, tmp_path):
    rows = rows_for({"A": (40, 40)})
    rows.append(dict(rows[0]))  # identical copy: the first is kept
    rows.append(dict(rows[1], ans="Yes" if rows[1]["ans"] == "No" else "No"))  # conflicting
    result = ingest.load(load_study(make_study(rows)), tmp_path / "s.duckdb")
    assert table(result.db, "SELECT line, value, reason FROM rejects") == [
        (3, "r0002", "is a duplicate respondent id with different answers on lines 3, 83; "
         "all are rejected"),
        (82, "r0001", "is a duplicate respondent id; an identical row is loaded from line 2"),
        (83, "r0002", "is a duplicate respondent id with different answers on lines 3, 83; "
         "all are rejected"),
    ]
    s = result.sources[0]
    assert (s.rows, s.loaded, s.rejected) == (82, 79, 3)
    assert s.rows == s.loaded + s.rejected


def test_missing_column_is_a_clear_error(make_study, tmp_path):
    rows = [{k: v for k, v in r.items() if k != "ans"} for r in rows_for({"A": (2, 2)})]
    with pytest.raises(IngestError) as exc:
        ingest.load(load_study(make_study(rows)), tmp_path / "s.duckdb")
    assert exc.value.message == ("data/survey.csv: missing column 'ans' (declared in study.yaml "
                                 "questions for source 'survey')")


def test_types_come_from_the_codebook(make_study, tmp_path):
    rows = rows_for({"A": (20, 20)})
    for r in rows:
        r["score"] = "0012"  # numeric-looking text stays a code, never sniffed into a number
    extra = "  - {id: score, type: single, wording: Score, codes: ['0012']}"
    result = ingest.load(load_study(make_study(rows, extra_questions=extra)),
                         tmp_path / "s.duckdb")
    types = dict(table(result.db, "SELECT column_name, column_type FROM (DESCRIBE survey)"))
    assert types["score"] == "VARCHAR" and types["tools"] == "VARCHAR[]"
    assert table(result.db, "SELECT DISTINCT score FROM survey") == [("0012",)]


def test_reject_rate_above_limit_fails_and_keeps_the_previous_database(make_study, tmp_path):
    rows = rows_for({"A": (50, 50)})
    root = make_study(rows)
    db = tmp_path / "s.duckdb"
    ingest.load(load_study(root), db)
    before = db.read_bytes()
    for r in rows[:6]:
        r["grp"] = "Z"
    write_csv(root / "data" / "survey.csv", rows)
    with pytest.raises(IngestError) as exc:
        ingest.load(load_study(root), db)
    assert exc.value.message.startswith(
        "data/survey.csv: 6 of 100 rows rejected (6.0%), above the limit of 5% "
        "(load.max_reject_rate); first: data/survey.csv, line 2, column grp: value 'Z' is not "
        "in the codebook for grp")
    assert db.read_bytes() == before
    assert not db.with_name(db.name + ".tmp").exists()


def test_loading_twice_does_no_work_and_gives_the_same_database(make_study, tmp_path):
    root = make_study(rows_for({"A": (20, 25), "B": (10, 12)}))
    db = tmp_path / "s.duckdb"
    first = ingest.load(load_study(root), db)
    mtime = db.stat().st_mtime_ns
    second = ingest.load(load_study(root), db)
    assert not first.reused and second.reused
    assert db.stat().st_mtime_ns == mtime
    forced = ingest.load(load_study(root), tmp_path / "t.duckdb", force=True)
    for t in ("survey", "rejects", "_load_summary"):
        assert table(db, f"SELECT * FROM {t} ORDER BY ALL") == \
            table(forced.db, f"SELECT * FROM {t} ORDER BY ALL")


def test_a_failure_mid_load_leaves_the_previous_database(make_study, tmp_path, monkeypatch):
    root = make_study(rows_for({"A": (20, 25)}))
    db = tmp_path / "s.duckdb"
    ingest.load(load_study(root), db)
    before = db.read_bytes()
    write_csv(root / "data" / "survey.csv", rows_for({"A": (21, 25)}))

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure")
    monkeypatch.setattr(ingest, "_collect_rejects", boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        ingest.load(load_study(root), db)
    assert db.read_bytes() == before
    assert not db.with_name(db.name + ".tmp").exists()


def test_opened_database_has_external_access_disabled(make_study, tmp_path):
    result = ingest.load(load_study(make_study(rows_for({"A": (20, 25)}))), tmp_path / "s.duckdb")
    con = ingest.open_db(result.db)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()


def test_parquet_loads_like_csv(make_study, tmp_path):
    rows = rows_for({"A": (20, 25), "B": (10, 12)})
    root = make_study(rows)
    csv_db = ingest.load(load_study(root), tmp_path / "csv.duckdb").db
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{root}/data/survey.csv', all_varchar = true)) "
                f"TO '{root}/data/survey.parquet' (FORMAT parquet)")
    con.close()
    text = (root / "study.yaml").read_text().replace("data/survey.csv", "data/survey.parquet")
    (root / "study.yaml").write_text(text)
    pq_db = ingest.load(load_study(root), tmp_path / "pq.duckdb").db
    assert table(csv_db, "SELECT * FROM survey ORDER BY rid") == \
        table(pq_db, "SELECT * FROM survey ORDER BY rid")


def test_runs_as_a_module():
    import subprocess
    import sys

    from rocsreport import __version__
    out = subprocess.run([sys.executable, "-m", "rocsreport", "--version"], check=True,
                         capture_output=True, text=True).stdout
    assert out == f"rocsreport, version {__version__}\n"
