"""Build stamps: decide "nothing changed" before any heavy import.

A stamp records what one output folder was built from: the study file, templates and pages
(by content), the data files (by size and modification time; a changed file is then hashed by
the load), rocsreport's own code and templates (by content), the options and
``SOURCE_DATE_EPOCH``; and what the build wrote (each file's size and modification time).
When all of it still matches, the output is what a full build would write again, so the
build stops at once. Anything that differs, or a stamp that cannot be read, means a full
build: the stamp can only skip work, never change an output.

Stamps live beside the database (``.rocsreport/builds/``), never in the published folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .spec import Study

VERSION = 1


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def code_hash() -> str:
    """rocsreport's source and default templates, by content."""
    from importlib import resources

    h = hashlib.sha256()
    roots = [Path(__file__).parent, Path(str(resources.files("rocsreport.templates")))]
    for root in roots:
        for f in _files(root):
            if f.suffix in (".py", ".html", ".css", ".md", ".js"):
                h.update(f"{f.relative_to(root).as_posix()}\0".encode() + f.read_bytes())
    return h.hexdigest()


def _inputs(study: Study, options: dict) -> dict:
    h = hashlib.sha256(study.study_file.read_bytes())
    for sub in ("templates", "pages"):
        for f in _files(study.root / sub):
            h.update(f"{f.relative_to(study.root).as_posix()}\0".encode() + f.read_bytes())
    data = {}
    for s in study.sources:
        st = s.file.stat()
        data[str(s.file)] = [st.st_size, st.st_mtime_ns]
    return {"version": VERSION, "study": h.hexdigest(), "data": data, "code": code_hash(),
            "options": options,
            # The PDF step defaults the time stamp to 0 (publish.render_pdf): the same here,
            # so a build that set it is not taken for a change.
            "epoch": os.environ.get("SOURCE_DATE_EPOCH", "0")}


def _path(db_folder: Path, out: Path, kind: str) -> Path:
    key = hashlib.sha256(f"{kind}\0{Path(out).resolve()}".encode()).hexdigest()[:24]
    return db_folder / "builds" / f"{key}.json"


def _written(out: Path) -> dict[str, list[int]]:
    out = Path(out)
    return {str(p.relative_to(out)): [p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(out.rglob("*")) if p.is_file()}


def up_to_date(study: Study, db_folder: Path, out: Path, kind: str, options: dict,
               extra: list[Path] = ()) -> bool:
    """Whether ``out`` (and the ``extra`` files written outside it) is exactly what a build
    with these inputs and options wrote last."""
    path = _path(db_folder, out, kind)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["inputs"] != _inputs(study, options):
            return False
        if not Path(out).is_dir() or doc["written"] != _written(out):
            return False
        for name, (size, mtime) in doc.get("extra", {}).items():
            st = Path(name).stat()
            if [st.st_size, st.st_mtime_ns] != [size, mtime]:
                return False
        return {str(Path(p).resolve()) for p in extra} == set(doc.get("extra", {}))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def record(study: Study, db_folder: Path, out: Path, kind: str, options: dict,
           extra: list[Path] = ()) -> None:
    """Write the stamp of a build that has just finished (atomically; a failure to write it
    only means the next build is a full one)."""
    path = _path(db_folder, out, kind)
    doc = {"inputs": _inputs(study, options), "written": _written(out),
           "extra": {str(Path(p).resolve()): [Path(p).stat().st_size,
                                              Path(p).stat().st_mtime_ns] for p in extra}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
