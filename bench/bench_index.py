"""Benchmark of the service-index study: synth, load, statistics, site + PDF, private reports.

    python bench/bench_index.py [N ...]      (default: 50000 1000000 10000000)

Each stage runs in a fresh process, so its peak resident memory is its own. Prints a table.
Targets for 1M responses on 2 cores: load + statistics <= 10 s; site with PDF <= 30 s;
all private PDFs <= 120 s; peak memory <= 2 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

STAGES = {
    "synth": "from rocsreport.synth import service_index; service_index(N, ROOT)",
    "load": "from rocsreport import ingest; from rocsreport.spec import load_study; "
            "ingest.load(load_study(ROOT), force=True)",
    "statistics": "from rocsreport.pipeline import compute; compute(ROOT)",
    "site + PDF": "from rocsreport.pipeline import build; build(ROOT, ROOT.parent / 'site', None)",
    "private reports": "from rocsreport.pipeline import compute_protected; "
                       "from rocsreport.orgs import write_org_reports; "
                       "r, _, truth = compute_protected(ROOT); "
                       "write_org_reports(r, ROOT.parent / 'private', truth=truth)",
}

RUN = """
import json, resource, sys, time
from pathlib import Path
N = int(sys.argv[1]); ROOT = Path(sys.argv[2])
t = time.perf_counter()
{code}
elapsed = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({{"seconds": elapsed, "peak_mb": peak}}))
"""


def main(sizes: list[int]) -> None:
    print(f"{'responses':>11}  {'stage':<16} {'seconds':>8} {'peak MB':>8}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "study"
            for stage, code in STAGES.items():
                out = subprocess.run([sys.executable, "-c", RUN.format(code=code), str(n),
                                      str(root)], check=True, capture_output=True, text=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{n:>11,}  {stage:<16} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f}",
                      flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50_000, 1_000_000, 10_000_000])
