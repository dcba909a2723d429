"""Benchmark of the disclosure step: the audit-driven secondary suppression and the audits.

    python bench/bench_disclosure.py

For each example study, in a fresh process: the statistics (analyse), the repair loop (protect:
ledger, LP audit of the public site and of the private readers, complements), the audit of the
written downloads (which reuses the cached ranges), and an outside auditor's run of
`rocsreport audit` on the built site (and, for the benchmark, its 250 private reports). Prints
a table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, resource, sys, time
from pathlib import Path
from rocsreport import ingest
from rocsreport.pipeline import load
from rocsreport.results import analyse
from rocsreport.protect import protect, public_files, run_audit, audit_published
from rocsreport.ledger import read_files, structure
study_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
study, result = load(study_dir)
con = ingest.open_db(result.db)
t = time.perf_counter(); report = analyse(study, con, result.sources)
t_analyse = time.perf_counter() - t
t = time.perf_counter(); report, prot, truth = protect(report, con)
t_protect = time.perf_counter() - t
con.close()
st = structure(report)
t = time.perf_counter()
res, _ = run_audit(report, st, truth, read_files(public_files(report), st))
t_again = time.perf_counter() - t
from rocsreport.pipeline import build
build(study_dir, out / "site", None, make_pdf=False)
folders = [out / "site"]
if report.benchmark is not None:
    from rocsreport.orgs import write_org_reports
    write_org_reports(report, out / "private", make_pdf=False, truth=truth)
    folders.append(out / "private")
t = time.perf_counter(); a = audit_published(folders)
t_outside = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(analyse=t_analyse, protect=t_protect, checked=prot.checked,
                      readers=prot.readers, complements=len(prot.units), again=t_again,
                      ok=res.ok, outside=t_outside, outside_checked=a.result.checked,
                      outside_findings=len(a.result.findings), peak=peak)))
"""


def main() -> None:
    print(f"{'study':<20} {'analyse s':>9} {'protect s':>9} {'checked':>8} {'readers':>7} "
          f"{'compl.':>6} {'re-audit s':>10} {'audit cmd s':>11} {'findings':>8} {'peak MB':>8}")
    for name in ("beyond-measurement", "design-example", "service-index"):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", RUN, str(ROOT / "surveys" / name), tmp],
                                 check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{name:<20} {r['analyse']:>9.2f} {r['protect']:>9.2f} {r['checked']:>8} "
                  f"{r['readers']:>7} {r['complements']:>6} {r['again']:>10.2f} "
                  f"{r['outside']:>11.2f} {r['outside_findings']:>8} {r['peak']:>8.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
