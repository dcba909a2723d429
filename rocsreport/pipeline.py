"""The flow, one direction: spec -> ingest -> aggregate/stats -> charts -> render -> publish.

Each CLI command calls one function here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from . import ingest
from .errors import IngestError
from .progress import step
from .protect import Truth, protect
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
    loads, rejects, extra, org_ids = ingest.check_all(study)
    problems = grouped_problems(study, rejects)
    if org_ids:
        from .folders import collisions, folder

        src = study.source(study.benchmark.organisations)  # type: ignore[union-attr]
        problems += tuple(
            f"{src.file}: organisation ids {a!r} and {b!r} could be taken for one another "
            f"(they differ only in case, spacing, punctuation or look-alike letters; folders "
            f"{folder(a)!r} and {folder(b)!r}): give them distinct ids"
            for a, b in collisions(list(org_ids)))
    notes = tuple(f"{f}: column {c!r} is not in the codebook and would not be loaded"
                  for f, c in extra)
    return Validation(study, loads, problems, notes)


def grouped_problems(study: Study, rejects) -> tuple[str, ...]:
    """One line per distinct problem: the same value rejected for the same reason in the same
    column is one line with its count and first lines, not one line per row. Where the fix is
    known, the line says it."""
    groups: dict[tuple, list] = {}
    for r in rejects:
        groups.setdefault((r.file, r.column, r.value, r.reason), []).append(r)
    out = []
    for (_f, column, value, _reason), rs in groups.items():
        text = rs[0].message()
        if len(rs) > 1:
            lines = ", ".join(str(r.line) for r in rs[:5]) + (", …" if len(rs) > 5 else "")
            text = text.replace(f", line {rs[0].line},", f", {len(rs):,} rows (lines {lines}),",
                                1)
        q = next((q for q in study.questions if q.file_column == column or q.id == column),
                 None)
        if (q is not None and q.type in ("single", "likert") and value is not None
                and all(c.value.lstrip("-").isdigit() for c in q.codes)
                and not str(value).strip().lstrip("-").isdigit()):
            text += ("; the data holds labels, not the codes: give each code its label "
                     "(codes: {1: Strongly disagree, 2: …}) and the labels load as their codes")
        out.append(text)
    return tuple(out)


def load(study_dir: Path, db: Path | None = None, force: bool = False
         ) -> tuple[Study, ingest.LoadResult]:
    study = load_study(study_dir)
    return study, ingest.load(study, db, force=force)


def compute(study_dir: Path, db: Path | None = None) -> tuple[Report, ingest.LoadResult]:
    """Validate, load if the inputs changed, and compute every published number."""
    report, result, _ = compute_protected(study_dir, db)
    return report, result


def compute_protected(study_dir: Path, db: Path | None = None
                      ) -> tuple[Report, ingest.LoadResult, Truth]:
    """As ``compute``, with secondary suppression over the whole publication applied and the
    true values the audit of the written files needs (kept apart from the report, so nothing
    that renders can reach them)."""
    study, result = load(study_dir, db)
    con = ingest.open_db(result.db)
    try:
        step("computing the statistics")
        from .formats import using

        with using(study.publication.locale):  # the reasons for withholding carry figures
            report = analyse(study, con, result.sources)
        step("checking that no withheld figure can be worked out")
        report, protection, truth = protect(report, con, Path(result.db).parent / "protect")
    finally:
        con.close()
    return replace(report, protection=protection), result, truth


def chart_cache(result: ingest.LoadResult) -> Path:
    """Drawn charts are kept beside the database, content-addressed (see charts._svg)."""
    return Path(result.db).parent / "charts"


@dataclass(frozen=True)
class BuildResult:
    report: Report
    load: ingest.LoadResult
    out: Path
    pages: tuple[str, ...]
    pdf: Path | None
    removed: tuple[str, ...] = ()  # files a user had added to the site, not kept
    # The true values, for auditing further outputs of the same analysis (the private
    # reports of ``build --orgs``); never rendered.
    truth: Truth | None = field(default=None, repr=False, compare=False)


def build(study_dir: Path, out: Path, pdf: Path | None, make_pdf: bool = True,
          db: Path | None = None) -> BuildResult:
    from .publish import publish  # heavy imports (altair, weasyprint) only when building

    if pdf is not None and make_pdf:
        target = Path(pdf).resolve()
        inputs = {Path(s.file).resolve() for s in load_study(study_dir).sources}
        if target.is_relative_to(Path(study_dir).resolve()) or target in inputs:
            raise IngestError(f"--pdf {pdf} is inside the study folder or is one of its input "
                              "files; write the PDF somewhere else")
    report, result, truth = compute_protected(study_dir, db)
    if out.resolve() == Path(study_dir).resolve() or Path(study_dir).resolve().is_relative_to(
            out.resolve()):
        raise IngestError(f"--out {out} would hold the study folder; choose another folder")
    from . import charts

    charts.use_cache(chart_cache(result))
    pages, pdf_path, removed = publish(report, out, pdf if make_pdf else None, make_pdf, truth)
    return BuildResult(report, result, out, pages, pdf_path, removed, truth)
