"""Write the site atomically and the PDF through WeasyPrint.

Everything is rendered in memory first; then the files are written to a sibling folder and
swapped in, so a failed build leaves the previous site as it was. The build refuses an output
folder that it did not create.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from .errors import BuildError
from .folders import MARKER_TEXT, SITE, check_out
from .ledger import read_files, structure
from .locks import exclusive
from .progress import step
from .protect import Truth, run_audit
from .render import DEFAULTS, Builder
from .results import Report
from .tables import baselines_json, csv_files

MARKER = SITE


def audit_files(report: Report, files: dict[str, bytes], truth: Truth | None) -> None:
    """The disclosure audit of the written downloads, read back as a reader would read them
    (and, for a benchmark, each private report beside them). A finding fails the build."""
    st = structure(report)
    text = {k: v.decode("utf-8") for k, v in files.items()
            if k.startswith("data/") or k in ("baselines.json", "baselines.csv")}
    res, _ = run_audit(report, st, truth, read_files(text, st))
    if not res.ok:
        first = "\n  ".join(f.message() for f in res.findings[:5])
        more = f"\n  and {len(res.findings) - 5} more" if len(res.findings) > 5 else ""
        raise BuildError(f"disclosure audit: {len(res.findings)} withheld figure(s) could be "
                         f"worked out from what the build publishes:\n  {first}{more}")


def render_files(report: Report, with_pdf_link: bool, with_print: bool = True
                 ) -> tuple[dict[str, bytes], str, list[str]]:
    """All site files (path -> bytes), the print HTML ("" without ``with_print``: no PDF is
    made), and the page file names."""
    if report.benchmark is not None:
        # The public site sees aggregates only (unless the study publishes organisations).
        report = replace(report, benchmark=report.benchmark.public_view())
    from jinja2 import TemplateError

    from . import formats

    try:
        with formats.using(report.study.publication.locale):
            return _render_files(report, with_pdf_link, with_print)
    except TemplateError as exc:
        where = f"{exc.name}, line {exc.lineno}: " if getattr(exc, "lineno", None) else ""
        raise BuildError(f"template {where}{exc.message}".strip()) from None


def _render_files(report: Report, with_pdf_link: bool, with_print: bool
                  ) -> tuple[dict[str, bytes], str, list[str]]:
    builder = Builder(report)
    step("drawing the charts and pages")
    pages = builder.pages()
    downloads = csv_files(report)
    extra = {"has_pdf": with_pdf_link, "downloads": [(n, d) for n, d, _ in downloads]}
    files: dict[str, bytes] = {
        name: html.encode("utf-8")
        for name, html in builder.render_site(pages, extra).items()}
    for name, _, text in downloads:
        files[f"data/{name}"] = text.encode("utf-8")
    if report.benchmark is not None:
        baselines = next(d for d in downloads if d[0] == "national.csv")[2]
        files["baselines.csv"] = baselines.encode("utf-8")
        files["baselines.json"] = baselines_json(report).encode("utf-8")
    files["assets/style.css"] = (DEFAULTS / "assets" / "style.css").read_bytes()
    files["assets/favicon.svg"] = (DEFAULTS / "assets" / "favicon.svg").read_bytes()
    if report.study.interactive:
        files.update(interactive_assets())
    from .search import index_script

    files["assets/search-index.js"] = index_script(
        {n: b.decode("utf-8") for n, b in files.items() if n.endswith(".html")}).encode("utf-8")
    for name in ("search.js", "minisearch.js", "minisearch-LICENSE.txt"):
        files[f"assets/{name}"] = (DEFAULTS / "assets" / name).read_bytes()
    files[MARKER] = MARKER_TEXT[SITE].encode()
    files["ledger.json"] = (json.dumps(structure(report), indent=1, sort_keys=True,
                                       ensure_ascii=False) + "\n").encode("utf-8")
    files[".nojekyll"] = b""
    from . import citation

    files["citation.bib"] = citation.bibtex(report.study).encode("utf-8")
    files["CITATION.cff"] = citation.cff(report.study).encode("utf-8")
    return (files, builder.render_print(pages) if with_print else "",
            [p.filename for p in pages])


def interactive_assets() -> dict[str, bytes]:
    """The scripts of interactive charts, served by the site itself: Vega, Vega-Lite and
    vega-embed bundled by vl-convert (the same versions that draw the static SVG), kept in
    the chart cache under vl-convert's version, and the page script."""
    import vl_convert as vlc

    from . import charts

    bundle = charts.cached(charts.cache_dir("js"), f"vega-bundle-{vlc.__version__}",
                           lambda: vlc.javascript_bundle().encode("utf-8"), ".js")
    return {"assets/vega.js": bundle,
            "assets/vega-LICENSE.txt": (DEFAULTS / "assets" / "vega-LICENSE.txt").read_bytes(),
            "assets/charts.js": (DEFAULTS / "assets" / "charts.js").read_bytes()}


def publish(report: Report, out: Path, pdf: Path | None, make_pdf: bool,
            truth: Truth | None = None) -> tuple[tuple[str, ...], Path | None, tuple[str, ...]]:
    out = Path(out).resolve()
    with exclusive(out, "the site"):
        return _publish(report, out, pdf, make_pdf, truth)


def _publish(report: Report, out: Path, pdf: Path | None, make_pdf: bool,
             truth: Truth | None) -> tuple[tuple[str, ...], Path | None, tuple[str, ...]]:
    check_out(out, SITE)
    pdf_path = (Path(pdf).resolve() if pdf is not None else out / "report.pdf") if make_pdf \
        else None
    in_site = pdf_path is not None and pdf_path.parent == out and pdf_path.name == "report.pdf"
    files, print_html, pages = render_files(report, in_site, pdf_path is not None)
    audit_files(report, files, truth)
    removed = _user_files(out, files, report.study.keep)
    if pdf_path is not None:
        step("laying out the PDF")
    pdf_bytes = render_pdf(print_html, report.study.root) if pdf_path is not None else None
    if pdf_bytes is not None and in_site:
        files["report.pdf"] = pdf_bytes
    files[MARKER] = (MARKER_TEXT[SITE] + "".join(f"{n}\n" for n in sorted(files))).encode()
    swap_in(out, files)
    if pdf_bytes is not None and not in_site:
        assert pdf_path is not None
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = pdf_path.with_name(pdf_path.name + ".tmp")
        tmp.write_bytes(pdf_bytes)
        os.replace(tmp, pdf_path)
    return tuple(pages), pdf_path, removed


def _user_files(out: Path, files: dict[str, bytes], keep: tuple[str, ...]) -> tuple[str, ...]:
    """Files a user added to the built site since the last build (not in its manifest, the
    marker file): those in ``publish.keep`` are carried into the new site; the others are named
    so the build can say it removed them."""
    marker = out / MARKER
    if not marker.is_file():
        return ()
    for name in keep:
        path = out / name
        if name not in files and path.is_file() and not path.is_symlink():
            files[name] = path.read_bytes()
    previous = set(marker.read_text(encoding="utf-8").splitlines()[1:])
    if not previous:
        return ()  # a site from before manifests: nothing to tell apart
    added = sorted(str(p.relative_to(out)) for p in out.rglob("*")
                   if p.is_file() and not p.is_symlink() and str(p.relative_to(out)) not in previous
                   and p.name != MARKER)
    return tuple(n for n in added if n not in keep)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 with RENAME_EXCHANGE): at every
    instant one of the two sites is in place. False where the system cannot."""
    if sys.platform != "linux":
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(out: Path, files: dict[str, bytes]) -> None:
    tmp = out.with_name(f".{out.name}.building")
    old = out.with_name(f".{out.name}.previous")
    if old.exists() and not out.exists():
        os.replace(old, out)  # a run stopped between the two renames below: put it back
    for stale in (tmp, old):
        if stale.exists():
            shutil.rmtree(stale)
    try:
        for name in sorted(files):
            target = (tmp / name).resolve()
            if not target.is_relative_to(tmp.resolve()):
                raise BuildError(f"refusing to write {name!r} outside the output folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[name])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists() and _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # it now holds the previous site
        return
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


@functools.lru_cache(maxsize=2)
def _print_stylesheet(text: str):
    """The print stylesheet, parsed once per process (a worker lays out many reports), and
    the fetcher that refuses every URL."""
    from weasyprint import CSS
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class NoFetch(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None):
            raise FatalURLFetchingError(f"the PDF may not load external resources: {url[:80]}")

    return CSS(string=text, url_fetcher=NoFetch()), NoFetch()


def render_pdf(html: str, base: Path) -> bytes:
    """The PDF from the print HTML. Everything it needs is inline; any attempt to fetch a URL
    (a file, the network) stops the render with an error."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    # The font subsetter stamps each embedded font with the time unless SOURCE_DATE_EPOCH is
    # set (fontTools reads it): without a given time, use the epoch, so builds are identical.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    print_css = (DEFAULTS / "assets" / "print.css").read_text(encoding="utf-8")

    def make() -> bytes:
        css, no_fetch = _print_stylesheet(print_css)
        try:
            # PDF/UA-1: tagged (headings, tables, figures with their text alternatives), with
            # the document's language and title in its metadata.
            doc = HTML(string=html, base_url=str(base), url_fetcher=no_fetch).render(
                stylesheets=[css], pdf_variant="pdf/ua-1")
            step(f"{len(doc.pages)} PDF pages laid out; writing the PDF")
            return doc.write_pdf(pdf_variant="pdf/ua-1")
        except FatalURLFetchingError as exc:
            raise BuildError(f"PDF: {exc}") from None

    # A PDF is a function of its HTML (everything inline, nothing fetched), the print
    # stylesheet, WeasyPrint and the time stamp: the same inputs reuse the PDF drawn before.
    import hashlib

    import weasyprint

    from .charts import cache_dir, cached

    key = hashlib.sha256("\0".join((weasyprint.__version__, os.environ["SOURCE_DATE_EPOCH"],
                                    print_css, html)).encode("utf-8")).hexdigest()
    return cached(cache_dir("pdf"), key, make, ".pdf")
