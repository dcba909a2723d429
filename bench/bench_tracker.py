"""The rocs-tracker example as a user runs it (the CLI, each command a fresh process).

    python bench/bench_tracker.py

Rows: synth; validate; first build, HTML only (every cache empty); first build with the PDF
(every cache empty); no-change rebuild; a rebuild after one response changed. Each row gives the
wall time and the peak resident memory of the command (GNU time's maximum RSS).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cli(*args: str) -> tuple[float, float]:
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "rocsreport",
                          *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t, int(out.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    print(f"{'step':<34} {'seconds':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        study, site = Path(tmp) / "rocs-tracker", Path(tmp) / "site"

        def row(what: str, *args: str) -> None:
            s, mb = cli(*args)
            print(f"{what:<34} {s:>8.2f} {mb:>8.0f}", flush=True)

        row("synth rocs-tracker", "synth", "rocs-tracker", "--out", str(study))
        row("validate", "validate", str(study))
        row("first build, HTML", "build", str(study), "--out", str(site), "--no-pdf")
        shutil.rmtree(study / ".rocsreport")
        shutil.rmtree(site)
        row("first build, with the PDF", "build", str(study), "--out", str(site))
        row("no-change rebuild", "build", str(study), "--out", str(site))
        pulse = study / "data" / "pulse.csv"
        lines = pulse.read_text().splitlines()
        lines[1] = lines[1].replace(",No,", ",Yes,", 1)
        pulse.write_text("\n".join(lines) + "\n")
        row("one response changed, rebuild", "build", str(study), "--out", str(site))
        rows = sum(1 for _ in pulse.open()) - 1 + sum(
            1 for _ in (study / "data" / "staff.csv").open()) - 1
        print(f"({rows:,} survey responses, {len(list(site.glob('*.html')))} pages)")


if __name__ == "__main__":
    main()
