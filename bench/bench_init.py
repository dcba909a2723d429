"""From a newcomer's CSV to a site: `init`, `validate` and `build --no-pdf` at growing sizes.

    python bench/bench_init.py

The CSV (made in DuckDB SQL: an id, two breakdowns, a satisfaction and a quality scale with
"Prefer not to say", an NPS item, a yes/no with "Not sure", a delimited multiple choice, a
number and free text) is drafted, validated and built, each step in its own process. Prints
a table of wall time and peak memory (the process's maximum resident set). init profiles
every column in one SQL pass, so it should grow far slower than the rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def pick(salt: int, *values: str) -> str:
    """SQL choosing one of ``values`` per row by a hash of the row number (deterministic)."""
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"[{items}][1 + CAST(hash(i, {salt}) % {len(values)} AS BIGINT)]"


SAT = ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied",
       "Very satisfied", "Prefer not to say")
SQL = f"""
COPY (
  SELECT 'C-' || i AS "Case",
    {pick(1, "Billing", "Support", "Sales", "Retention")} AS "Department",
    {pick(2, "North", "South", "Midlands", "Scotland", "Wales")} AS "Region",
    {pick(3, *SAT)} AS "Satisfaction with our tools",
    CAST(hash(i, 4) % 11 AS BIGINT) AS "How likely are you to recommend working here?",
    {pick(5, "Yes", "No", "Not sure")} AS "Do you know the cost per contact?",
    {pick(6, "Phone", "Phone|Email", "Email|Chat", "Chat", "Phone|Email|Chat|Social")}
      AS "Channels handled",
    round(CAST(hash(i, 7) % 1500 AS BIGINT) / 100.0 + 0.2, 1) AS "Years in role",
    CASE WHEN CAST(hash(i, 8) % 3 AS BIGINT) = 0 THEN 'Idea ' || i || ': shorter scripts'
      ELSE '' END AS "What would you change?",
    {pick(9, "Poor", "Fair", "Good", "Very good", "Excellent", "")} AS "Quality of training"
  FROM range({{n}}) t(i)
) TO '{{path}}' (HEADER)
"""


def run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one command in its own process."""
    t = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"{args} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    exe = str(Path(sys.executable).with_name("rocsreport"))
    print(f"{'rows':>10} {'step':<10} {'seconds':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (200, 20_000, 200_000, 1_000_000):
            root = Path(tmp) / f"n{n}"
            root.mkdir()
            csv = root / "staff.csv"
            duckdb.execute(SQL.format(n=n, path=csv))
            steps = [("init", [exe, "init", "study", "--from", str(csv), "--no-workflow"]),
                     ("validate", [exe, "validate", "study"]),
                     ("build", [exe, "build", "study", "--out", "site", "--no-pdf"])]
            for name, args in steps:
                wall, mb = run(args, root)
                print(f"{n:>10,} {name:<10} {wall:>8.2f} {mb:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
