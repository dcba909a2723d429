"""Write the seeded datasets that the R reference scripts and the design tests share.

    python tests/reference/make_data.py      (then: Rscript tests/reference/survey_reference.R)

The CSV files are committed, so the reference values stay tied to exactly these rows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data"
FIELDS = ["id", "h", "psu", "ssu", "w", "fpc1", "fpc2", "y", "yes", "grp", "region", "age"]


def write(name: str, rows: list[dict]) -> None:
    with (OUT / f"{name}.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def unit(rng, k, h, psu, ssu, w, fpc1, fpc2, shift=0.0):
    y = round(float(rng.normal(50 + 3 * h + shift, 12)), 3)
    p = 1 / (1 + np.exp(-(y - 55) / 10))
    return {"id": f"u{k:05d}", "h": f"S{h}", "psu": psu, "ssu": ssu, "w": w, "fpc1": fpc1,
            "fpc2": fpc2, "y": y, "yes": "Yes" if rng.random() < p else "No",
            "grp": "ABC"[int(rng.integers(3))], "region": ["North", "Midlands", "South"][
                int(rng.integers(3))], "age": ["18-34", "35-54", "55+"][int(rng.integers(3))]}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(20141118)
    # Stratified, no clusters: 5 strata of 60 to 120 units, weights N_h / n_h.
    rows = []
    for h in range(5):
        n, big_n = 60 + 15 * h, 2000 + 500 * h
        rows += [unit(rng, len(rows), h, f"p{len(rows) + i}", "", round(big_n / n, 6), big_n, "")
                 for i in range(n)]
    write("stratified", rows)
    # One-stage cluster sample: 40 of 400 PSUs, 5 to 15 units each, no strata.
    rows = []
    for c in range(40):
        eff = float(rng.normal(0, 6))
        for _ in range(int(rng.integers(5, 16))):
            rows.append(unit(rng, len(rows), 0, f"c{c:02d}", "", 10.0, 400, "", eff))
    write("cluster1", rows)
    # Two-stage: 8 strata; 3 to 5 PSUs of 20 in each; 3 of 10 SSUs in each PSU; 4 units each.
    rows = []
    for h in range(8):
        npsu = int(rng.integers(3, 6))
        for c in range(npsu):
            eff = float(rng.normal(0, 5))
            for s in range(3):
                eff2 = float(rng.normal(0, 3))
                for _ in range(4):
                    rows.append(unit(rng, len(rows), h, f"h{h}c{c}", f"h{h}c{c}s{s}",
                                     round(20 / npsu * 10 / 3 * 5, 6), 20, 10, eff + eff2))
    write("cluster2", rows)
    # Stratified cluster sample where stratum S3 has a single PSU (a lonely PSU).
    rows = []
    for h in range(5):
        npsu = 1 if h == 3 else int(rng.integers(2, 5))
        for c in range(npsu):
            eff = float(rng.normal(0, 5))
            for _ in range(int(rng.integers(6, 12))):
                rows.append(unit(rng, len(rows), h, f"h{h}c{c}", "", round(
                    float(rng.uniform(5, 15)), 6), "", "", eff))
    write("lonely", rows)
    # Raking: unequal base weights, margins of region and age.
    rows = [unit(rng, k, 0, f"r{k}", "", round(float(rng.uniform(0.5, 2.0)), 6), "", "")
            for k in range(500)]
    write("rake", rows)


if __name__ == "__main__":
    main()
