"""Benchmark of design-based estimation: 1M responses, 1,000 clusters in 50 strata, 20
indicators by 5 breakdowns (target under 5 s for the statistics).

    python bench/bench_design.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

INDICATORS, BREAKDOWNS, STRATA, CLUSTERS = 20, 5, 50, 1000


def study_yaml() -> str:
    qs = ["  - {id: rid, type: id}", "  - {id: h, type: id, wording: Stratum}",
          "  - {id: psu, type: id, wording: Cluster}",
          "  - {id: w, type: number, min: 0, wording: Weight}"]
    qs += [f"  - {{id: q{k}, type: single, wording: Q{k}, codes: ['Yes', 'No']}}"
           for k in range(INDICATORS)]
    qs += [f"  - {{id: b{k}, type: single, wording: B{k}, codes: [g1, g2, g3, g4]}}"
           for k in range(BREAKDOWNS)]
    inds = [f"  i{k}: {{label: Indicator {k}, question: q{k}, numerator: ['Yes']}}"
            for k in range(INDICATORS)]
    bds = [f"  b{k}: {{label: Breakdown {k}, question: b{k}}}" for k in range(BREAKDOWNS)]
    return "\n".join([
        "title: Design benchmark", "synthetic: true",
        "sources:", "  r: {file: data/r.parquet, id: rid}", "questions:", *qs,
        "indicators:", *inds, "breakdowns:", *bds,
        "design: {weight: w, strata: h, cluster: psu, lonely_psu: adjust}", ""])


def main(n: int) -> None:
    from rocsreport import ingest
    from rocsreport.results import analyse
    from rocsreport.spec import load_study

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        (root / "study.yaml").write_text(study_yaml())
        qs = ", ".join(f"CASE WHEN hash(i, {k}) % 100 < 30 + {k} THEN 'Yes' ELSE 'No' END "
                       f"AS q{k}" for k in range(INDICATORS))
        bs = ", ".join(f"'g' || (1 + hash(i, {100 + k}) % 4) AS b{k}" for k in range(BREAKDOWNS))
        t0 = time.perf_counter()
        duckdb.sql(f"""COPY (SELECT 'r' || i AS rid, 'h' || (c % {STRATA}) AS h, 'c' || c AS psu,
                   1 + (hash(i, 999) % 100) / 50.0 AS w, {qs}, {bs}
                   FROM (SELECT i, hash(i, 7) % {CLUSTERS} AS c FROM range({n}) t(i)))
                   TO '{root / 'data' / 'r.parquet'}' (FORMAT parquet)""")
        gen = time.perf_counter() - t0
        study = load_study(root)
        t0 = time.perf_counter()
        result = ingest.load(study)
        load = time.perf_counter() - t0
        con = ingest.open_db(result.db)
        t0 = time.perf_counter()
        report = analyse(study, con, result.sources)
        stats = time.perf_counter() - t0
        con.close()
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cells = sum(1 + sum(len(b.cells) for b in r.by) for r in report.indicators)
        print(f"{'responses':>10} {'generate s':>10} {'load s':>7} {'statistics s':>12} "
              f"{'cells':>6} {'peak MB':>8}")
        print(f"{n:>10,} {gen:>10.1f} {load:>7.1f} {stats:>12.1f} {cells:>6} {peak:>8.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
