"""Several studies published as one site: each study's site in its own folder, and an index
page that links them (``rocsreport gallery``). The repository's GitHub Pages workflow
publishes the example studies this way.

The whole folder is built beside the target and swapped in at the end, so a failed study
leaves the last published gallery as it was.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError
from .folders import GALLERY, MARKER_TEXT, check_out
from .words import slug


@dataclass(frozen=True)
class Entry:
    folder: str
    title: str
    publisher: str
    fieldwork: str
    edition: str
    release: str
    licence: str
    synthetic: bool
    has_pdf: bool
    pages: int


def build_gallery(out: Path, studies: list[Path], title: str, intro: str = "",
                  make_pdf: bool = True) -> list[Entry]:
    """Build every study into ``out/<study folder name>/`` and write ``out/index.html``."""
    from .locks import exclusive

    out = Path(out).resolve()
    names = [slug(Path(s).resolve().name) for s in studies]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BuildError(f"two studies would share the folder {twice[0]!r}: give the study "
                         "folders different names")
    with exclusive(out, "the gallery"):
        check_out(out, GALLERY)
        return _build(out, studies, names, title, intro, make_pdf)


def _build(out: Path, studies: list[Path], names: list[str], title: str, intro: str,
           make_pdf: bool) -> list[Entry]:
    from .pipeline import build
    from .publish import DEFAULTS, swap_in

    staging = out.with_name(f".{out.name}.gallery")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / GALLERY).write_text(MARKER_TEXT[GALLERY], encoding="utf-8")
    entries = []
    try:
        for study_dir, name in zip(studies, names, strict=True):
            result = build(Path(study_dir), staging / name, None, make_pdf=make_pdf)
            s, pub = result.report.study, result.report.study.publication
            entries.append(Entry(name, s.title, s.publisher, s.fieldwork, pub.edition,
                                 pub.release, pub.licence, s.synthetic,
                                 result.pdf is not None, len(result.pages)))
        # Every site's files; not the lock files that ``build`` keeps beside each site.
        files = {str(p.relative_to(staging)): p.read_bytes()
                 for p in staging.rglob("*") if p.is_file() and not p.is_symlink()
                 and not (p.parent == staging and p.name.endswith(".lock"))}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files["index.html"] = render_index(entries, title, intro).encode("utf-8")
    files["assets/style.css"] = (DEFAULTS / "assets" / "style.css").read_bytes()
    files["assets/favicon.svg"] = (DEFAULTS / "assets" / "favicon.svg").read_bytes()
    files[".nojekyll"] = b""
    files[GALLERY] = (MARKER_TEXT[GALLERY] + "".join(f"{n}\n" for n in sorted(files))).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    swap_in(out, files)
    os.utime(out)
    return entries


def render_index(entries: list[Entry], title: str, intro: str) -> str:
    from . import __version__
    from .render import DEFAULTS, environment

    env = environment(DEFAULTS)
    return env.get_template("gallery.html").render(entries=entries, title=title, intro=intro,
                                                   version=__version__)
