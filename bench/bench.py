"""Benchmark: load and compute on the example study's shape at growing sizes.

    python bench/bench.py [N ...]        (default: 10000 100000 1000000)

Data is generated in DuckDB SQL (no Python loop over rows) into a temporary study that uses the
example's study.yaml. Prints a table of wall time per stage and the peak resident memory of a
fresh process per size.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "surveys" / "beyond-measurement"

GENERATE = """
COPY (
  SELECT 'R' || lpad(i::VARCHAR, 9, '0') AS respondent_id,
         'ORG' || i AS organisation_id,
         (['CEO','Managing Director','Customer Service Director','Operations Director',
           'Customer Insight Director','Head of Customer Experience'])
           [1 + (hash(i, 1) % 6)::BIGINT] AS role,
         (['Retail','Banks & building societies','Utilities','Telecommunications & media',
           'Transport','Public services','Leisure','Services','Automotive'])
           [1 + (hash(i, 2) % 9)::BIGINT] AS sector,
         (['Under 250 employees','250 to 999','1,000 to 4,999','5,000 or more'])
           [1 + (hash(i, 3) % 4)::BIGINT] AS org_size,
         (['Yes','No','Don''t know'])[1 + (hash(i, 4) % 3)::BIGINT] AS measure_cost,
         (['Yes','No','Don''t know'])[1 + (hash(i, 5) % 3)::BIGINT] AS measure_roi,
         (['Yes','No','Don''t know'])[1 + (hash(i, 6) % 3)::BIGINT] AS link_performance,
         ([1,2,3,4,5,9])[1 + (hash(i, 7) % 6)::BIGINT] AS vision_link,
         ([1,2,3,4,5,9])[1 + (hash(i, 8) % 6)::BIGINT] AS operational_focus,
         ([1,2,3,4,5,9])[1 + (hash(i, 9) % 6)::BIGINT] AS board_reviews,
         ([1,2,3,4,5])[1 + (hash(i, 10) % 5)::BIGINT] AS insight_continual,
         coalesce(nullif(array_to_string(list_filter(
           ['ease','access','speed','knowledge','csat','nps','complaints','handling_time',
            'cost_to_serve','emotional','revenue_link'],
           lambda x: hash(i, x) % 2 = 0), ';'), ''), 'none') AS measures_used,
         (hash(i, 11) % 11)::BIGINT AS recommend
  FROM range({n}) t(i)
) TO '{path}' (HEADER, DELIMITER ',')
"""

STAGE = r"""
import json, resource, sys, time
from pathlib import Path
from rocsreport import ingest
from rocsreport.results import analyse
from rocsreport.spec import load_study
root = Path(sys.argv[1])
t0 = time.perf_counter()
study = load_study(root)
result = ingest.load(study, root / "bench.duckdb", force=True)
t1 = time.perf_counter()
con = ingest.open_db(result.db)
report = analyse(study, con, result.sources)
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": t1 - t0, "compute": t2 - t1, "peak_mb": peak,
                  "rows": result.sources[0].loaded, "cells": sum(
                      1 + sum(len(b.cells) for b in r.by) for r in report.indicators)}))
"""


def main(sizes: list[int]) -> None:
    import duckdb

    print(f"{'rows':>10} {'generate s':>11} {'load s':>8} {'compute s':>10} {'peak MB':>8}"
          f" {'cells':>6}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            study = Path(tmp) / "study"
            shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns(".rocsreport"))
            t0 = time.perf_counter()
            duckdb.sql(GENERATE.format(n=n, path=study / "data" / "executives.csv"))
            gen = time.perf_counter() - t0
            out = subprocess.run([sys.executable, "-c", STAGE, str(study)], check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{r['rows']:>10,} {gen:>11.2f} {r['load']:>8.2f} {r['compute']:>10.2f} "
                  f"{r['peak_mb']:>8.0f} {r['cells']:>6}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
