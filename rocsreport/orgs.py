"""Private reports: one folder per organisation, with an HTML page and a PDF.

Each report is rendered from ``BenchmarkResult.private_view(org)``: that organisation's figures
and the disclosure-safe aggregates of its sector and the nation, nothing else. PDFs are drawn in
parallel processes, one per core.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from . import charts as ch
from .benchmark import INDEX, NATIONAL, NPS, Baseline, BenchmarkResult
from .compare import band
from .errors import BuildError, RocsError
from .folders import (
    MARKER_TEXT,
    PRIVATE,
    PRIVATE_README,
    ROBOTS_NONE,
    check_out,
    collisions,
    folder,
    kind_of,
)
from .ledger import read_files, read_private, structure
from .locks import exclusive
from .progress import progress as _progress
from .progress import step
from .protect import Truth, public_files, run_audit
from .publish import render_pdf, swap_in
from .render import DEFAULTS, environment, short_wave
from .results import Report
from .tables import figures_csv


@dataclass(frozen=True)
class Row:
    measure: str
    label: str
    score: object  # Score
    baseline: Baseline | None
    sector_rank: float | None
    national_rank: float | None
    vs_sector: str | None
    gap: float | None  # score minus the baseline median


def _rows(view: BenchmarkResult, org: str, sector: str, wave: str) -> tuple[list[Row], str]:
    ow = view.org_wave(org, wave)
    own = view.baseline(sector, wave, INDEX)
    scope = sector if own is not None and not own.suppressed else NATIONAL
    rows = []
    for m, label in view.measures:
        s = ow.score(m) if ow else None
        b = view.baseline(scope, wave, m)
        if b is not None and b.suppressed:
            b = None
        pos = next((p for p in view.positions if (p.wave, p.measure) == (wave, m)), None)
        gap = (s.mean - b.median) if (s is not None and not s.suppressed and b) else None
        rows.append(Row(m, label, s, b, pos.sector_rank if pos else None,
                        pos.national_rank if pos else None, pos.vs_sector if pos else None, gap))
    return rows, scope


def render_org(study, view: BenchmarkResult, org: str, compare: dict | None = None) -> str:
    """The HTML of one organisation's private report; with ``compare``, the self-benchmark
    report of ``rocsreport compare`` (no percentiles: they need the other organisations)."""
    from .formats import using

    with using(study.publication.locale):
        return _render_org(study, view, org, compare)


def _render_org(study, view: BenchmarkResult, org: str, compare: dict | None) -> str:
    env = environment(study.root)
    _, name, sector = view.names[0]
    wave = view.latest
    rows, scope = _rows(view, org, sector, wave)
    shown = [r for r in rows if r.score is not None and not r.score.suppressed]
    strip_rows = [{"measure": r.label, "score": r.score.mean,
                   "q1": r.baseline.q1 if r.baseline else None,
                   "median": r.baseline.median if r.baseline else None,
                   "q3": r.baseline.q3 if r.baseline else None}
                  for r in shown if r.measure != NPS and r.measure not in view.spec.rates]
    strip = ch.position_strip(strip_rows, name) if strip_rows else None
    short = {w: short_wave(view.wave_label(w), w) for w in view.waves}
    series = []
    for w in view.waves:
        ow = view.org_wave(org, w)
        if ow and not ow.score(INDEX).suppressed:
            series.append({"series": name, "wave": short[w], "value": ow.score(INDEX).mean})
        for label, sc in ((f"{sector} median", sector), ("National median", NATIONAL)):
            b = view.baseline(sc, w, INDEX)
            if b is not None and not b.suppressed:
                series.append({"series": label, "wave": short[w], "value": b.median})
    slope = ch.slope(series, [short[w] for w in view.waves], name) if series else None
    items = [r for r in shown if r.measure in view.items and r.gap is not None]
    ranked = sorted(items, key=lambda r: (-r.gap, r.label))
    # Two strongest and two weakest, never one item named as both.
    k = min(2, len(ranked) // 2)
    by_wave = []
    for w in view.waves:
        ow = view.org_wave(org, w)
        by_wave.append((w, ow.score(INDEX) if ow else None,
                        view.baseline(sector, w, INDEX), view.baseline(NATIONAL, w, INDEX)))
    change = next((c for c in reversed(view.changes) if c.to_wave == wave
                   and c.from_wave == view.waves[-2]), None) if len(view.waves) > 1 else None
    css = (DEFAULTS / "assets" / "style.css").read_text(encoding="utf-8")
    return env.get_template("org_report.html").render(
        study=study, bm=view, org=org, name=name, sector=sector,
        wave=wave, rows=rows, scope=scope, strip=strip, slope=slope,
        strongest=ranked[:k], weakest=list(reversed(ranked[-k:])) if k else [],
        by_wave=by_wave, change=change, css=css, rules=study.disclosure,
        NATIONAL=NATIONAL, compare=compare, band=band)


def write_org_reports(report: Report, out: Path, org: str | None = None, make_pdf: bool = True,
                      jobs: int | None = None, truth: Truth | None = None,
                      cache: Path | None = None) -> list[str]:
    """Write DIR/<folder>/index.html, report.pdf and figures.csv for one or every
    organisation. With ``org``, only that organisation's folder is replaced. Every report is
    audited beside the public site before anything is written."""
    bm = report.benchmark
    if bm is None:
        raise RocsError("this study has no benchmark section, so there are no organisations")
    ids = [o for o, _, _ in bm.names]
    clashes = collisions(ids)
    if clashes:
        pairs = "; ".join(f"{a!r} and {b!r}" for a, b in clashes[:5])
        raise RocsError(f"organisation ids that a reader could take for one another: {pairs}. "
                        "Give each organisation a distinct id (rocsreport validate lists them)")
    if org is not None and org not in ids:
        raise RocsError(f"unknown organisation {org!r} (the study has {len(ids)} organisations,"
                        f" e.g. {ids[0]})")
    chosen = [org] if org else ids
    out = Path(out).resolve()
    with exclusive(out, "the private reports"):
        return _write(report, bm, out, org, chosen, make_pdf, jobs, truth, cache)


def _write(report: Report, bm, out: Path, org: str | None, chosen: list[str], make_pdf: bool,
           jobs: int | None, truth: Truth | None, cache: Path | None = None) -> list[str]:
    check_out(out, PRIVATE)
    st = structure(report)
    figures = {o: figures_csv(bm.private_view(o)) for o in chosen}
    privates = {o: read_private(figures[o], st, f"{folder(o)}/figures.csv") for o in chosen}
    step(f"auditing {len(chosen)} private report(s) beside the public site")
    res, _ = run_audit(report, st, truth, read_files(public_files(report), st), privates)
    if not res.ok:
        raise BuildError("disclosure audit of the private reports: "
                         + "; ".join(f.message() for f in res.findings[:3]))
    workers = min(jobs or os.cpu_count() or 1, len(chosen))
    if workers > 1:
        # Spawned, not forked: DuckDB and the chart renderer run threads, and a fork taken
        # while a thread holds a lock can hang. The report goes to each worker once, as a
        # file: handed over through the start-up pipe, it would hold the parent until each
        # worker had imported rocsreport, so the workers would start one after the other.
        beside = report.study.root / ".rocsreport"  # private data stay beside the database
        fd, name = tempfile.mkstemp(prefix=".job-", suffix=".pickle",
                                    dir=beside if beside.is_dir() else None)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(report, fh, protocol=pickle.HIGHEST_PROTOCOL)
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                     initializer=_init, initargs=(name, make_pdf, cache)
                                     ) as pool:
                done = list(_progress(pool.map(_render_one, chosen, chunksize=4),
                                      len(chosen), "private reports"))
        finally:
            Path(name).unlink(missing_ok=True)
    else:
        _init(report, make_pdf, cache)
        done = list(_progress(map(_render_one, chosen), len(chosen), "private reports"))
    root = {PRIVATE: MARKER_TEXT[PRIVATE].encode(), "robots.txt": ROBOTS_NONE.encode(),
            "README.txt": PRIVATE_README.encode(),
            "ledger.json": (json.dumps(st, indent=1, sort_keys=True, ensure_ascii=False)
                            + "\n").encode("utf-8")}
    per_org: dict[str, dict[str, bytes]] = {}
    for o, (html, pdf) in zip(chosen, done, strict=True):
        mine = {"index.html": html, "figures.csv": figures[o].encode("utf-8")}
        if pdf is not None:
            mine["report.pdf"] = pdf
        per_org[folder(o)] = mine
    if org is not None and out.is_dir() and kind_of(out) == PRIVATE:
        # Only this organisation's folder is replaced; the others stay as they are.
        for name, data in root.items():
            _write_atomic(out / name, data)
        swap_in(out / folder(org), per_org[folder(org)])
    else:
        swap_in(out, {**root, **{f"{d}/{n}": b for d, fs in per_org.items()
                                 for n, b in fs.items()}})
    return chosen


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


_JOB: tuple[Report, bool] | None = None


def _init(report: Report | str, make_pdf: bool, cache: Path | None = None) -> None:
    """Set up a renderer (this process, or a worker given the path of the pickled report)."""
    global _JOB
    if isinstance(report, str):
        with open(report, "rb") as fh:
            report = pickle.load(fh)  # noqa: S301 - written by the parent just now, mode 0600
    _JOB = (report, make_pdf)
    ch.use_cache(cache)


def _render_one(org: str) -> tuple[bytes, bytes | None]:
    assert _JOB is not None
    report, make_pdf = _JOB
    assert report.benchmark is not None
    html = render_org(report.study, report.benchmark.private_view(org), org)
    return html.encode("utf-8"), render_pdf(html, report.study.root) if make_pdf else None
