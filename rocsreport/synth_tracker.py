"""The ``rocs-tracker`` example study, generated in DuckDB SQL, deterministically.

One illustrative organisation over two years: a baseline year of 17 three-week cycles (from
15 January 2024), then the programme year from 6 January 2025, whose cycles 1 to 15 each put
one of the 15 areas in focus. A customer pulse survey (about 300 responses a cycle) and a
staff survey (about 40) run in every cycle; monthly business metrics cover both years.

The planted patterns, which the tests check the report finds exactly:

- SUSTAINED: the area improves from the cycle after its focus and stays improved;
- FADES: it improves for four cycles, then falls back to where it was;
- FLAT: it never moves;
- NOISE: one cycle after its focus is higher by about two standard errors and no more, a
  single-cycle "improvement" a naive reading would report, and that the run rules refuse.

The data is ILLUSTRATIVE: it describes no real organisation or person.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from .synth import write_study

SEED = 7  # the seed whose draws show the planted patterns and no chance signal (tests check)
START = "2025-01-06"  # cycle 1
BASELINE_CYCLES = 17  # cycles -16 .. 0
PROGRAMME_CYCLES = 17  # cycles 1 .. 17; 1 .. 15 have an area in focus
SUSTAINED, FADES, FLAT, NOISE = "sustained", "fades", "flat", "noise"

# (measure column, kind, baseline level, focus cycle, pattern, effect). Proportions are
# shares of "Yes" (of agree, for ease); staff items are means on 0-10; recommend moves the
# shares of promoters (and detractors the other way).
MEASURES = (
    ("first_contact", "yes", 0.62, 1, SUSTAINED, 0.12),
    ("confidence", "staff", 6.4, 2, SUSTAINED, 1.4),
    ("ease", "likert", 0.58, 3, FADES, 0.13),
    ("on_time", "yes", 0.71, 4, FLAT, 0.0),
    ("recognised", "staff", 5.8, 5, FADES, 1.5),
    ("recommend", "nps", 0.40, 6, SUSTAINED, 0.11),
    ("problem_free", "yes", 0.80, 7, FLAT, 0.0),
    ("heard_good", "yes", 0.33, 8, NOISE, 0.07),
    ("tools", "staff", 6.1, 9, FLAT, 0.0),
    ("talked_up", "yes", 0.41, 10, SUSTAINED, 0.11),
    ("valued", "yes", 0.55, 11, SUSTAINED, 0.12),
    ("pride", "staff", 7.0, 12, FLAT, 0.0),
    ("award_aware", "yes", 0.18, 13, SUSTAINED, 0.14),
    ("reviewed", "yes", 0.09, 14, FLAT, 0.0),
    ("value", "yes", 0.64, 15, FLAT, 0.0),
)


def _effect(pattern: str, focus: int, effect: float) -> str:
    """The SQL for the shift of the true level in cycle ``k``."""
    if pattern == SUSTAINED:
        return f"CASE WHEN k > {focus} THEN {effect} ELSE 0 END"
    if pattern == FADES:
        return (f"CASE WHEN k BETWEEN {focus + 1} AND {focus + 4} THEN {effect} "
                f"WHEN k = {focus + 5} THEN {effect / 2} ELSE 0 END")
    if pattern == NOISE:
        return f"CASE WHEN k = {focus + 1} THEN {effect} ELSE 0 END"
    return "0"


def _cycles(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""
        CREATE TABLE cycles AS
        SELECT k, DATE '{START}' + INTERVAL ((k - 1) * 21) DAY AS first_day,
               270 + (hash(k, 1) % 61)::INTEGER AS n_pulse,
               34 + (hash(k, 2) % 13)::INTEGER AS n_staff
        FROM range({1 - BASELINE_CYCLES}, {PROGRAMME_CYCLES + 1}) t(k)
    """)
    cols = ", ".join(f"{base} + {_effect(pat, f, e)} AS {m}"
                     for m, _, base, f, pat, e in MEASURES)
    con.execute(f"CREATE TABLE truth AS SELECT k, {cols} FROM cycles")


def _pulse(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    yes = ",\n".join(
        f"CASE WHEN unif(r.i, {100 + j}) < t.{m} THEN 'Yes' ELSE 'No' END AS {m}"
        for j, (m, kind, *_rest) in enumerate(MEASURES) if kind == "yes")
    con.execute(f"""
        COPY (
          WITH r AS (
            SELECT c.k, c.first_day, row_number() OVER (ORDER BY c.k, s.j) AS i
            FROM cycles c, LATERAL (SELECT unnest(range(c.n_pulse)) AS j) s
          )
          SELECT 'P' || lpad(r.i::VARCHAR, 6, '0') AS response_id,
                 strftime(r.first_day + INTERVAL ((hash(r.i, 9) % 21)::INTEGER) DAY,
                          '%Y-%m-%d') AS fielded,
                 {yes},
                 -- Agree (4, 5) with the area's share; strongly so for a third of them.
                 CASE WHEN unif(r.i, 200) < t.ease
                      THEN CASE WHEN unif(r.i, 201) < 0.35 THEN 5 ELSE 4 END
                      ELSE 1 + (hash(r.i, 202) % 3)::INTEGER END AS ease,
                 -- Promoters (9, 10) at the area's share, detractors (0-6) falling by half
                 -- as much as promoters rise, passives (7, 8) between.
                 CASE WHEN unif(r.i, 300) < t.recommend THEN 9 + (hash(r.i, 301) % 2)::INTEGER
                      WHEN unif(r.i, 300) > 1 - (0.22 - 0.5 * (t.recommend - 0.40))
                      THEN (hash(r.i, 302) % 7)::INTEGER
                      ELSE 7 + (hash(r.i, 303) % 2)::INTEGER END AS recommend
          FROM r JOIN truth t ON t.k = r.k
          ORDER BY r.i
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def _staff(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    items = ",\n".join(
        f"round(greatest(0, least(10, t.{m} + 1.8 * gauss(r.i, {400 + j}))))::INTEGER AS {m}"
        for j, (m, kind, *_rest) in enumerate(MEASURES) if kind == "staff")
    con.execute(f"""
        COPY (
          WITH r AS (
            SELECT c.k, c.first_day, row_number() OVER (ORDER BY c.k, s.j) AS i
            FROM cycles c, LATERAL (SELECT unnest(range(c.n_staff)) AS j) s
          )
          SELECT 'S' || lpad(r.i::VARCHAR, 5, '0') AS staff_response_id,
                 strftime(r.first_day + INTERVAL ((hash(r.i, 19) % 21)::INTEGER) DAY,
                          '%Y-%m-%d') AS fielded,
                 {items}
          FROM r JOIN truth t ON t.k = r.k
          ORDER BY r.i
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def _business(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Monthly metrics: customers with a summer peak (and a second café from September 2025);
    complaints per 1,000 customers falling in the programme year, with Poisson-sized noise;
    the repeat-purchase rate up a little; the average sale up with the April 2025 price rise."""
    con.execute(f"""
        COPY (
          WITH m AS (
            SELECT j, 2024 + j // 12 AS y, 1 + j % 12 AS mon FROM range(24) t(j)
          ),
          v AS (
            SELECT j, y, mon,
                   round(11000 * (1 + 0.18 * cos(2 * pi() * (mon - 7) / 12))
                         * CASE WHEN y = 2025 AND mon >= 9 THEN 1.06 ELSE 1 END
                         * (1 + 0.03 * gauss(j, 500)))::BIGINT AS customers,
                   CASE WHEN y = 2024 THEN 6.1 ELSE 4.7 END AS rate,
                   CASE WHEN y = 2024 THEN 38.0 ELSE 40.2 END + 1.4 * gauss(j, 510)
                       AS repeat_rate,
                   CASE WHEN y = 2025 AND mon >= 4 THEN 25.6 ELSE 24.6 END
                       + 0.45 * gauss(j, 520) AS average_sale
            FROM m
          )
          SELECT printf('%04d-%02d', y, mon) AS month,
                 greatest(0, round(customers * rate / 1000
                     + sqrt(customers * rate / 1000) * gauss(j, 530)))::BIGINT AS complaints,
                 customers, round(repeat_rate, 1) AS repeat_rate,
                 round(average_sale, 2) AS average_sale,
                 round(customers * round(average_sale, 2))::BIGINT AS sales
          FROM v ORDER BY j
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)


def study_yaml() -> str:
    return (resources.files("rocsreport") / "studies" / "rocs-tracker.yaml").read_text(
        encoding="utf-8")


def rocs_tracker(out: Path, seed: int = SEED) -> Path:
    """Write the rocs-tracker study (study.yaml and data/) into ``out``. Returns ``out``."""
    def make(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
        _cycles(con)
        _pulse(con, tmp / "pulse.csv")
        _staff(con, tmp / "staff.csv")
        _business(con, tmp / "business.csv")

    out = Path(out)
    write_study(out, seed, make, study_yaml())
    return out
