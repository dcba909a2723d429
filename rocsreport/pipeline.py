"""The flow, one direction: spec -> ingest -> aggregate/stats -> charts -> render -> publish.

Each CLI command calls one function here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import ingest
from .errors import IngestError
from .results import Report, analyse
from .spec import Study, load_study


@dataclass(frozen=True)
class Validation:
    study: Study
    loads: tuple[ingest.SourceLoad, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...]


def validate(study_dir: Path) -> Validation:
    """Check study.yaml and every data value; report all problems (spec errors raise)."""
    study = load_study(study_dir)
    loads, rejects, extra = ingest.check(study)
    problems = tuple(r.message() for r in rejects)
    notes = tuple(f"{f}: column {c!r} is not in the codebook and would not be loaded"
                  for f, c in extra)
    return Validation(study, loads, problems, notes)


def load(study_dir: Path, db: Path | None = None, force: bool = False
         ) -> tuple[Study, ingest.LoadResult]:
    study = load_study(study_dir)
    return study, ingest.load(study, db, force=force)


def compute(study_dir: Path, db: Path | None = None) -> tuple[Report, ingest.LoadResult]:
    """Validate, load if the inputs changed, and compute every published number."""
    study, result = load(study_dir, db)
    con = ingest.open_db(result.db)
    try:
        return analyse(study, con, result.sources), result
    finally:
        con.close()


@dataclass(frozen=True)
class BuildResult:
    report: Report
    load: ingest.LoadResult
    out: Path
    pages: tuple[str, ...]
    pdf: Path | None


def build(study_dir: Path, out: Path, pdf: Path | None, make_pdf: bool = True,
          db: Path | None = None) -> BuildResult:
    from .publish import publish  # heavy imports (altair, weasyprint) only when building

    report, result = compute(study_dir, db)
    if out.resolve() == Path(study_dir).resolve() or Path(study_dir).resolve().is_relative_to(
            out.resolve()):
        raise IngestError(f"--out {out} would hold the study folder; choose another folder")
    pages, pdf_path = publish(report, out, pdf if make_pdf else None, make_pdf)
    return BuildResult(report, result, out, pages, pdf_path)
