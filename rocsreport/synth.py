"""Synthetic studies, generated in DuckDB SQL (no Python loop over rows), deterministically.

``service_index`` writes a national customer-satisfaction index in the shape of the UKCSI:
13 sectors, 250 organisations, three waves, satisfaction items on 1-10, a 0-10 recommendation
item, a complaint flag, and organisation-level business metrics related to the index with noise.
The data is ILLUSTRATIVE: no figure describes a real organisation.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from .errors import RocsError

SEED = 2014
WAVES = ("2013-07", "2014-01", "2014-07")
WAVE_SHIFT = (0.0, -0.3, -0.9)  # satisfaction was falling

# (sector, organisations, mean index, name suffix). Tourism has only 4 organisations, so its
# baseline is withheld by the minimum-contributors rule.
SECTORS = (
    ("Automotive", 14, 80.5, "Motors"),
    ("Banks & building societies", 26, 78.0, "Bank"),
    ("Insurance", 22, 77.5, "Insurance"),
    ("Leisure", 20, 79.0, "Leisure"),
    ("Local public services", 18, 72.5, "Council"),
    ("National public services", 16, 73.0, "Agency"),
    ("Retail (food)", 18, 80.0, "Foods"),
    ("Retail (non-food)", 30, 81.0, "Stores"),
    ("Services", 20, 76.0, "Services"),
    ("Telecommunications & media", 18, 71.5, "Telecom"),
    ("Tourism", 4, 79.5, "Holidays"),
    ("Transport", 22, 74.0, "Travel"),
    ("Utilities", 22, 70.5, "Energy"),
)
PREFIXES = ("Northgate", "Harbour", "Meridian", "Oakfield", "Pennine", "Riverside", "Summit",
            "Beacon", "Kestrel", "Lakeland", "Castle", "Granite", "Heron", "Ivy", "Juniper",
            "Kingfisher", "Larch", "Maple", "Nimbus", "Orchard", "Pioneer", "Quarry", "Redwood",
            "Saxon", "Thistle", "Union", "Vale", "Willow", "Yarrow", "Zenith", "Albion",
            "Bramble", "Cedar", "Dover", "Elm", "Falcon", "Glen", "Hawthorn", "Iona", "Jubilee")
# (item, offset from the index on the 0-100 scale)
ITEMS = (("ease", 2.0), ("access", -3.0), ("speed", -4.0), ("knowledge", 3.0),
         ("complaint_handling", -12.0), ("overall", 0.0))
MAX_RESPONDENTS = 10_000_000


def _sql_list(values: tuple) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _macros(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    # Uniform (0, 1) and standard normal (Box-Muller) from hashes: deterministic, order-free.
    con.execute(f"CREATE MACRO unif(a, b) AS "
                f"((hash(a, b, {int(seed)}) % 1000003)::DOUBLE + 0.5) / 1000003")
    con.execute("CREATE MACRO gauss(a, b) AS "
                "sqrt(-2 * ln(unif(a, b))) * cos(2 * pi() * unif(a, b + 100000))")
    con.execute("CREATE MACRO clamp01(x) AS greatest(0.0, least(1.0, x))")


def _organisations(con: duckdb.DuckDBPyConnection) -> None:
    rows = ", ".join(f"({k}, '{name.replace(chr(39), chr(39) * 2)}', {n}, {mean}, '{suffix}')"
                     for k, (name, n, mean, suffix) in enumerate(SECTORS))
    con.execute(f"CREATE TABLE sectors AS SELECT * FROM (VALUES {rows}) "
                "t(sid, sector, k, mean, suffix)")
    con.execute(f"""
        CREATE TABLE orgs AS
        WITH s AS (SELECT sid, sector, mean, suffix, unnest(range(k)) AS j FROM sectors),
             o AS (SELECT row_number() OVER (ORDER BY sid, j) AS o, * FROM s)
        SELECT o, 'ORG' || lpad(o::VARCHAR, 3, '0') AS org_id,
               {_sql_list(PREFIXES)}[1 + ((j * 7 + sid) % {len(PREFIXES)})::BIGINT]
                   || ' ' || suffix AS name,
               sector, mean + 3.5 * gauss(o, 1) AS base,
               -- Respondent share: lognormal, a few very small organisations, and one
               -- dominant organisation in Utilities (the dominance rule's case).
               exp(0.45 * gauss(o, 2))
                 * CASE WHEN o % 23 = 5 THEN 0.02 ELSE 1 END
                 * CASE WHEN sector = 'Utilities' AND j = 0 THEN 5 ELSE 1 END AS size
        FROM o
    """)
    con.execute("""
        CREATE TABLE org_cum AS
        SELECT o, sum(size) OVER (ORDER BY o) / sum(size) OVER () -
               size / sum(size) OVER () AS lo FROM orgs
    """)
    waves = ", ".join(f"({k}, '{w}', {shift})" for k, (w, shift) in
                      enumerate(zip(WAVES, WAVE_SHIFT, strict=True)))
    con.execute(f"CREATE TABLE waves AS SELECT * FROM (VALUES {waves}) t(w, wave, shift)")
    # The organisation's true index in each wave: its level, the national trend, its own drift.
    con.execute("""
        CREATE TABLE org_wave AS
        SELECT o, w, wave, base + shift + CASE WHEN w = 0 THEN 0
               ELSE 1.8 * gauss(o, 10 + w) END AS t
        FROM orgs, waves
    """)


def _responses(con: duckdb.DuckDBPyConnection, n: int, path: Path) -> None:
    items = ",\n".join(
        f"CASE WHEN '{name}' = 'complaint_handling' AND NOT complained THEN NULL ELSE "
        f"round(1 + 9 * clamp01((r + {offset} + 4.0 * gauss(o, {200 + k}) "
        f"+ 9 * gauss(i, {20 + k})) / 100))::INTEGER END AS {name}"
        for k, (name, offset) in enumerate(ITEMS))
    con.execute(f"""
        COPY (
          WITH base AS (
            SELECT i, unif(i, 1) AS u, (i % 3)::INTEGER AS w FROM range({int(n)}) t(i)
          ),
          assigned AS (
            SELECT b.i, b.w, c.o FROM base b ASOF JOIN org_cum c ON b.u >= c.lo
          ),
          scored AS (
            SELECT a.i, a.o, ow.wave, ow.t, ow.t + 13 * gauss(a.i, 2) AS r,
                   unif(a.i, 3) < clamp01(0.12 + 0.3 * (80 - ow.t) / 40) AS complained
            FROM assigned a JOIN org_wave ow ON ow.o = a.o AND ow.w = a.w
          )
          SELECT 'R' || lpad(i::VARCHAR, 8, '0') AS respondent_id,
                 'ORG' || lpad(o::VARCHAR, 3, '0') AS org_id, wave,
                 {items},
                 round(10 * clamp01((r + 4 + 11 * gauss(i, 30)) / 100))::INTEGER AS recommend,
                 CASE WHEN complained THEN 'Yes' ELSE 'No' END AS complained
          FROM scored ORDER BY i
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
    """)


def _metrics(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"""
        COPY (
          SELECT 'ORG' || lpad(o::VARCHAR, 3, '0') AS org_id, wave,
                 round(greatest(0.5, 62 - 0.62 * t + 3.5 * gauss(o, 300 + w)), 1)
                     AS complaints_per_1000,
                 round(clamp01((20 + 0.55 * t + 5 * gauss(o, 310 + w)) / 100) * 100, 1)
                     AS repeat_purchase_rate,
                 round(35 + 0.7 * t + 9 * gauss(o, 320 + w), 2) AS average_sale_value,
                 round(-9 + 0.13 * t + 2.2 * gauss(o, 330 + w), 1) AS revenue_growth
          FROM org_wave ORDER BY o, w
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def study_yaml() -> str:
    """The study definition that goes with the generated data."""
    return (resources.files("rocsreport") / "studies" / "service-index.yaml").read_text(
        encoding="utf-8")


def write_study(out: Path, seed: int, make, yaml_text: str) -> None:
    """Generate a study's data files into ``out/data`` through a temporary folder (a failed
    run leaves the previous files), and write its study.yaml if there is none."""
    data = out / "data"
    tmp = out / ".data.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    try:
        _macros(con, seed)
        make(con, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        con.close()
    data.mkdir(parents=True, exist_ok=True)
    for f in sorted(tmp.iterdir()):
        os.replace(f, data / f.name)
    tmp.rmdir()
    if not (out / "study.yaml").exists():
        (out / "study.yaml").write_text(yaml_text, encoding="utf-8")


def service_index(respondents: int, out: Path, seed: int = SEED) -> Path:
    """Write the service-index study (study.yaml and data/) into ``out``. Returns ``out``."""
    if not 1 <= respondents <= MAX_RESPONDENTS:
        raise RocsError(f"--respondents must be between 1 and {MAX_RESPONDENTS:,}, "
                        f"got {respondents:,}")
    out = Path(out)

    def make(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
        _organisations(con)
        con.execute(f"COPY (SELECT org_id, name, sector FROM orgs ORDER BY o) TO "
                    f"'{tmp / 'organisations.csv'}' (HEADER, DELIMITER ',')")
        _responses(con, respondents, tmp / "responses.parquet")
        _metrics(con, tmp / "metrics.csv")

    write_study(out, seed, make, study_yaml())
    return out
