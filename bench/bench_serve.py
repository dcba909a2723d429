"""`rocsreport serve` as a reader sees it: the time from saving study.yaml to the open page
showing the rebuilt site, in Debian's Chromium, for each example study.

    python bench/bench_serve.py [STUDY ...]      (default: the three examples)

For each study: the first build (start to serving), then three edits of its title, each
timed from the save to the reloaded page's new title. Prints a table. The target of issue 14
is 5 s.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("beyond-measurement", "design-example", "service-index")


def measure(name: str, work: Path) -> tuple[float, list[float]]:
    from playwright.sync_api import sync_playwright

    study = work / name
    shutil.copytree(ROOT / "surveys" / name, study, ignore=shutil.ignore_patterns(".rocsreport"))
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "rocsreport", "serve", str(study), "--port",
                             "0"], stderr=subprocess.PIPE, text=True)
    base = None
    while base is None:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise SystemExit(f"serve stopped: {proc.stderr.read()}")
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        base = m.group(1) if m else None
    first = time.monotonic() - start
    times = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or
                                        "/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(base + "index.html")
            path = study / "study.yaml"
            text = path.read_text(encoding="utf-8")
            for k in range(3):
                t0 = time.monotonic()
                path.write_text(_retitled(text, f"Edit {k}"), encoding="utf-8")
                page.wait_for_function(f"() => document.title.includes('Edit {k}')",
                                       timeout=120000)
                times.append(time.monotonic() - t0)
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    return first, times


def _retitled(text: str, prefix: str) -> str:
    """study.yaml with its title prefixed (written as a JSON string, which YAML reads)."""
    import json

    import yaml

    title = yaml.safe_load(text)["title"]
    return re.sub(r"^title: .*$", lambda m: "title: " + json.dumps(f"{prefix} {title}"), text,
                  count=1, flags=re.M)


def main(names: list[str]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            first, times = measure(name, Path(tmp))
            rows.append((name, first, times))
    print(f"{'study':<20} {'first build s':>14} {'save to reloaded page s (3 edits)':>36}  target")
    for name, first, times in rows:
        edits = ", ".join(f"{t:.1f}" for t in times)
        print(f"{name:<20} {first:>14.1f} {edits:>36}  <= 5 s")


if __name__ == "__main__":
    main(sys.argv[1:] or list(EXAMPLES))
