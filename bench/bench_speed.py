"""The targets of issue 12, measured: the public site and every private report of the
service-index shape, as a user runs them (the CLI, each command a fresh process).

    python bench/bench_speed.py [N ...]      (default: 50000 1000000)
    python bench/bench_speed.py --load 10000000

Rows, per size:
- first build, HTML only: `build --no-pdf` then `orgs --no-pdf`, every cache empty;
- first build with PDFs: `build` then `orgs`, every cache empty;
- no-change rebuild: both again, nothing changed;
- one organisation changed: one response of one organisation edited, both again;
- the 10 million load (`--load N`): `synth` then `load`.
Each row gives the wall time and the peak resident memory of its largest process. Prints a
table; the targets are beside it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"first build, HTML": "<= 8 s", "first build, with PDFs": "<= 40 s",
           "no-change rebuild": "<= 1 s", "one organisation changed": "<= 3 s",
           "synth + load": "<= 20 s, <= 2 GB"}


def cli(*args: str) -> tuple[float, float]:
    """Wall seconds and peak MB of one rocsreport command (GNU time's maximum RSS)."""
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "rocsreport",
                          *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t, int(out.stderr.strip().splitlines()[-1]) / 1024


def steps(*commands: list[str]) -> tuple[float, float]:
    total, peak = 0.0, 0.0
    for c in commands:
        s, m = cli(*c)
        total, peak = total + s, max(peak, m)
    return total, peak


def clear(study: Path, site: Path, private: Path) -> None:
    for p in (study / ".rocsreport", site, private):
        shutil.rmtree(p, ignore_errors=True)


def change_one(study: Path) -> None:
    import duckdb

    data = study / "data" / "responses.parquet"
    tmp = data.with_name("changed.parquet")
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN respondent_id = (SELECT min(respondent_id) "
                f"FROM read_parquet('{data}')) THEN 10 ELSE ease END AS ease) FROM "
                f"read_parquet('{data}')) TO '{tmp}' (FORMAT parquet)")
    con.close()
    tmp.replace(data)


def row(n: int, what: str, seconds: float, mb: float) -> None:
    print(f"{n:>11,}  {what:<26} {seconds:>8.1f} {mb:>8.0f}  {TARGETS.get(what, '')}",
          flush=True)


def main(sizes: list[int], load: list[int]) -> None:
    print(f"{'responses':>11}  {'measure':<26} {'seconds':>8} {'peak MB':>8}  target")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            study, site, private = Path(tmp) / "study", Path(tmp) / "site", Path(tmp) / "private"
            cli("synth", "service-index", "--respondents", str(n), "--out", str(study))
            html = [["build", str(study), "--out", str(site), "--no-pdf"],
                    ["orgs", str(study), "--out", str(private), "--no-pdf"]]
            full = [["build", str(study), "--out", str(site)],
                    ["orgs", str(study), "--out", str(private)]]
            clear(study, site, private)
            row(n, "first build, HTML", *steps(*html))
            clear(study, site, private)
            row(n, "first build, with PDFs", *steps(*full))
            row(n, "no-change rebuild", *steps(*full))
            change_one(study)
            row(n, "one organisation changed", *steps(*full))
    for n in load:
        with tempfile.TemporaryDirectory() as tmp:
            study = Path(tmp) / "study"
            s1, m1 = cli("synth", "service-index", "--respondents", str(n), "--out", str(study))
            s2, m2 = cli("load", str(study))
            row(n, "synth + load", s1 + s2, max(m1, m2))


if __name__ == "__main__":
    args = sys.argv[1:]
    big = [int(a) for a in args[args.index("--load") + 1:]] if "--load" in args else []
    small = [int(a) for a in (args[:args.index("--load")] if "--load" in args else args)]
    main(small or ([] if big else [50_000, 1_000_000]), big)
