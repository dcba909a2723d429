"""The command line. Each command parses its arguments and calls one function."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from . import __version__

STUDY = click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False))


@click.group()
@click.version_option(__version__, prog_name="rocsreport")
def main() -> None:
    """Turn survey responses into a research-grade benchmark report: a static site and a PDF.

    \b
    Example:
        rocsreport build surveys/beyond-measurement --out site
    """


@main.command()
@STUDY
def validate(study_dir: Path) -> None:
    """Check study.yaml and every data value, and list every problem.

    Exits with status 1 if there is any problem.

    \b
    Example:
        rocsreport validate surveys/beyond-measurement
    """
    from .errors import RocsError
    from .pipeline import validate as run

    v = run(study_dir)
    for s in v.loads:
        click.echo(f"{s.source} ({s.file}): {s.rows} rows, {s.loaded} valid, {s.rejected} with "
                   "problems" + (f" ({s.detail})" if s.detail else ""))
    for note in v.notes:
        click.echo(f"note: {note}")
    for p in v.problems:
        click.echo(f"problem: {p}")
    if v.problems:
        raise RocsError(f"{len(v.problems)} problem(s) in the data of {study_dir}")
    click.echo(f"{study_dir}: study.yaml and data are valid")


@main.command()
@STUDY
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Database file. Default: STUDY_DIR/.rocsreport/study.duckdb")
@click.option("--force", is_flag=True, help="Reload even if nothing changed.")
def load(study_dir: Path, db: Path | None, force: bool) -> None:
    """Load the study's data files into a DuckDB database file.

    Values outside the codebook and duplicate ids go to the rejects table; nothing is dropped.

    \b
    Example:
        rocsreport load surveys/beyond-measurement --db /tmp/study.duckdb
    """
    from .pipeline import load as run

    _, result = run(study_dir, db, force)
    for line in result.summary_lines():
        click.echo(line)
    click.echo(f"{'unchanged, not reloaded: ' if result.reused else 'wrote '}{result.db}")


@main.command()
@STUDY
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("site"),
              show_default=True, help="Folder for the static site.")
@click.option("--pdf", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to write the PDF. Default: OUT/report.pdf")
@click.option("--no-pdf", is_flag=True, help="Build the site only.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False),
              help="Database file. Default: STUDY_DIR/.rocsreport/study.duckdb")
@click.option("--orgs", "orgs_out", type=click.Path(path_type=Path, file_okay=False),
              help="Also write every organisation's private report to this folder, from the "
                   "same analysis (as `rocsreport orgs` would).")
def build(study_dir: Path, out: Path, pdf: Path | None, no_pdf: bool, db: Path | None,
          orgs_out: Path | None) -> None:
    """Validate, load if needed, compute, and write the site and the PDF.

    \b
    Example:
        rocsreport build surveys/beyond-measurement --out site --pdf site/report.pdf
        rocsreport build surveys/service-index --out site --orgs private
    """
    from . import stamp
    from .spec import load_study

    start = time.perf_counter()
    if orgs_out is not None:
        a, b = Path(out).resolve(), Path(orgs_out).resolve()
        if a == b or b.is_relative_to(a) or a.is_relative_to(b):
            from .errors import RocsError

            raise RocsError(f"--orgs {orgs_out} and --out {out} must be separate folders: the "
                            "private reports must never be inside the public site")
    # Nothing changed since the last build of this folder: stop before the heavy imports.
    study = load_study(study_dir)
    db_folder = Path(db).resolve().parent if db else study.root / ".rocsreport"
    options = {"pdf": str(Path(pdf).resolve()) if pdf else None, "make_pdf": not no_pdf,
               "db": str(Path(db).resolve()) if db else None}
    extra = [Path(pdf)] if pdf is not None and not no_pdf else []
    org_options = {"make_pdf": not no_pdf}
    if stamp.up_to_date(study, db_folder, out, "site", options, extra) and (
            orgs_out is None or stamp.up_to_date(study, db_folder, orgs_out, "orgs:*",
                                                 org_options)):
        what = f"{out}/ and {orgs_out}/ are" if orgs_out else f"{out}/ is"
        click.echo(f"{what} up to date: nothing changed since it was built "
                   f"({time.perf_counter() - start:.1f} s)")
        return
    from .pipeline import build as run

    result = run(study_dir, out, pdf, make_pdf=not no_pdf, db=db)
    stamp.record(study, db_folder, out, "site", options,
                 [result.pdf] if result.pdf is not None and
                 Path(result.pdf).resolve().parent != Path(out).resolve() else [])
    done: list[str] = []
    if orgs_out is not None:
        from .orgs import write_org_reports
        from .pipeline import chart_cache

        done = write_org_reports(result.report, orgs_out, make_pdf=not no_pdf,
                                 truth=result.truth, cache=chart_cache(result.load))
        stamp.record(study, db_folder, orgs_out, "orgs:*", org_options)
    for line in result.load.summary_lines():
        click.echo(line)
    click.echo(f"wrote {len(result.pages)} pages to {result.out}/")
    if result.pdf is not None:
        click.echo(f"wrote {result.pdf}")
    if done:
        click.echo(f"wrote {len(done)} organisation report(s) to {orgs_out}/")
    if result.removed:
        names = ", ".join(result.removed)
        click.echo(f"removed {len(result.removed)} file(s) that the build does not write: "
                   f"{names} (to keep them, add to study.yaml: publish: {{keep: [{names}]}})")
    click.echo(f"built in {time.perf_counter() - start:.1f} s")


@main.command()
@STUDY
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the preview site. Default: STUDY_DIR/.rocsreport/preview")
@click.option("--pdf", "make_pdf", is_flag=True, help="Also lay out the PDF on every build.")
def serve(study_dir: Path, port: int, out: Path | None, make_pdf: bool) -> None:
    """Build the site, serve it on 127.0.0.1 and rebuild when the study changes.

    Watches study.yaml, data/, pages/ and templates/. The open page reloads after each
    rebuild; a failed rebuild shows its error there and here, and the last good site stays.

    \b
    Example:
        rocsreport serve surveys/beyond-measurement --port 8000
    """
    import errno

    from .errors import RocsError
    from .serve import serve as run

    target = out if out is not None else Path(study_dir) / ".rocsreport" / "preview"
    try:
        run(study_dir, target, port, make_pdf, lambda line: click.echo(line, err=True))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise RocsError(f"port {port} on 127.0.0.1 is in use: choose another with --port"
                            ) from None
        raise


@main.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.argument("studies", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--title", default="Reports", show_default=True, help="The index page's title.")
@click.option("--intro", default="", help="A sentence under the title.")
@click.option("--no-pdf", is_flag=True, help="Build the sites only.")
def gallery(out: Path, studies: tuple[Path, ...], title: str, intro: str, no_pdf: bool) -> None:
    """Build several studies into one site: OUT/STUDY_NAME/ each, and OUT/index.html.

    The folder is swapped in whole at the end: a study that fails leaves the last gallery.

    \b
    Example:
        rocsreport gallery _site surveys/beyond-measurement surveys/service-index
    """
    from .gallery import build_gallery

    start = time.perf_counter()
    entries = build_gallery(out, list(studies), title, intro, make_pdf=not no_pdf)
    for e in entries:
        click.echo(f"{out}/{e.folder}/: {e.title} ({e.pages} pages{', PDF' if e.has_pdf else ''})")
    click.echo(f"wrote {out}/index.html in {time.perf_counter() - start:.1f} s")


@main.command()
@STUDY
@click.argument("name")
@click.option("--by", "breakdown", help="A breakdown id, e.g. role_group.")
@click.option("--measure", type=click.Choice(["proportion", "mean", "total", "quantiles"]),
              help="proportion or total for an indicator; mean, total or quantiles for a "
                   "number question. Default: proportion, or mean.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
def stats(study_dir: Path, name: str, breakdown: str | None, measure: str | None,
          fmt: str) -> None:
    """Print the published estimates of an indicator or a number question: base, estimate,
    interval, standard error, degrees of freedom, design effect, CV and flags.

    \b
    Example:
        rocsreport stats surveys/beyond-measurement roi_not_measured --by role_group --format json
        rocsreport stats surveys/beyond-measurement recommend --by role_group --measure quantiles
    """
    from .pipeline import compute
    from .tables import estimate_rows, format_rows

    report, _ = compute(study_dir)
    rows = estimate_rows(report, name, breakdown, measure)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(format_rows(rows, fmt), nl=False)


@main.group()
def synth() -> None:
    """Write a synthetic example study.

    \b
    Example:
        rocsreport synth service-index --respondents 50000 --out surveys/service-index
    """


@synth.command("service-index")
@click.option("--respondents", type=int, default=50_000, show_default=True,
              help="Number of responses, up to 10 million.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Study folder to write (data/ and, if missing, study.yaml).")
@click.option("--seed", type=int, default=2014, show_default=True)
def synth_service_index(respondents: int, out: Path, seed: int) -> None:
    """A national satisfaction index: 13 sectors, 250 organisations, three waves.

    Deterministic: the same size and seed always give the same files.

    \b
    Example:
        rocsreport synth service-index --respondents 1000000 --out /tmp/index-1m
    """
    from .synth import service_index

    start = time.perf_counter()
    service_index(respondents, out, seed)
    click.echo(f"wrote {respondents:,} responses to {out}/data in "
               f"{time.perf_counter() - start:.1f} s")


@synth.command("rocs-tracker")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Study folder to write (data/ and, if missing, study.yaml).")
@click.option("--seed", type=int, default=7, show_default=True)
def synth_rocs_tracker(out: Path, seed: int) -> None:
    """One organisation's year of the ROCS programme, after a baseline year: 15 areas, a
    customer pulse and a staff survey every 3 weeks, and monthly business metrics.

    Deterministic: the same seed always gives the same files.

    \b
    Example:
        rocsreport synth rocs-tracker --out surveys/rocs-tracker
    """
    from .synth_tracker import rocs_tracker

    start = time.perf_counter()
    rocs_tracker(out, seed)
    click.echo(f"wrote the rocs-tracker study to {out} in {time.perf_counter() - start:.1f} s")


@main.command()
@STUDY
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for the reports: one sub-folder per organisation.")
@click.option("--org", help="Only this organisation id.")
@click.option("--no-pdf", is_flag=True, help="HTML only.")
def orgs(study_dir: Path, out: Path, org: str | None, no_pdf: bool) -> None:
    """Write a private report (HTML and PDF) for each organisation of a benchmark study.

    Each report shows only that organisation's figures and disclosure-safe sector and national
    baselines.

    \b
    Example:
        rocsreport orgs surveys/service-index --out private --org ORG001
    """
    from . import stamp
    from .spec import load_study

    start = time.perf_counter()
    study = load_study(study_dir)
    kind, options = f"orgs:{org or '*'}", {"make_pdf": not no_pdf}
    if stamp.up_to_date(study, study.root / ".rocsreport", out, kind, options):
        click.echo(f"{out}/ is up to date: nothing changed since the reports were written "
                   f"({time.perf_counter() - start:.1f} s)")
        return
    from .orgs import write_org_reports  # the heavy imports, once there is work to do
    from .pipeline import chart_cache, compute_protected

    report, result, truth = compute_protected(study_dir)
    done = write_org_reports(report, out, org, make_pdf=not no_pdf, truth=truth,
                             cache=chart_cache(result))
    stamp.record(study, study.root / ".rocsreport", out, kind, options)
    click.echo(f"wrote {len(done)} organisation report(s) to {out}/ in "
               f"{time.perf_counter() - start:.1f} s")


@main.command()
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False, exists=True))
def audit(folders: tuple[Path, ...]) -> None:
    """Check published folders for withheld figures that could be worked out.

    Give the public site folder and any folders of private organisation reports. Every
    withheld figure's range, given everything the folders publish together, is computed by
    linear programming; a range narrower than the study's protection rule is reported, with
    the published figures that pin it down. Exits with status 1 on any finding.

    \b
    Example:
        rocsreport audit site-index private
    """
    from .errors import RocsError
    from .protect import audit_published

    a = audit_published(list(folders))
    res = a.result
    for f in res.findings:
        click.echo(f"leak: {f.message()}")
    click.echo(f"{a.site}: {res.checked} withheld figure(s) checked, with {a.reports} private "
               f"report(s) of which {a.readers} could add to the public site; "
               f"{len(res.findings)} finding(s)")
    if res.findings:
        raise RocsError(f"{len(res.findings)} withheld figure(s) could be worked out")


@main.command("compare")
@click.option("--baselines", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="baselines.json from a built site.")
@click.option("--responses", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Your own responses (CSV or Parquet) with the study's wave and item columns.")
@click.option("--study", "study_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="The study folder (for its codebook and rules).")
@click.option("--sector", help="Your sector; without it you are compared nationally.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write the self-benchmark report here: index.html and report.pdf.")
@click.option("--name", help="Your organisation's name, for the report's title.")
@click.option("--no-pdf", is_flag=True, help="With --out: the HTML only.")
def compare_cmd(baselines: Path, responses: Path, study_dir: Path, sector: str | None,
                fmt: str, out: Path | None, name: str | None, no_pdf: bool) -> None:
    """Place your own survey responses against published baselines, on this computer.

    Nothing is sent anywhere: the responses are read into an in-memory database. With --out,
    the same report a participating organisation receives is written there (HTML and PDF),
    saying which published edition it compares against and what it could not compare.

    \b
    Example:
        rocsreport compare --baselines site/baselines.json --responses mine.csv \\
            --study surveys/service-index --sector Utilities --out my-benchmark
    """
    from .compare import compare, compare_report
    from .tables import to_csv

    if out is not None:
        folder, missing = compare_report(study_dir, baselines, responses, out, sector, name,
                                         make_pdf=not no_pdf)
        for m in missing:
            click.echo(f"not compared: {m}", err=True)
        click.echo(f"wrote {folder}/index.html" + ("" if no_pdf else
                                                   f" and {folder}/report.pdf"))
        return
    rows, rejected = compare(study_dir, baselines, responses, sector)
    if rejected:
        click.echo(f"note: {rejected} row(s) of {responses} were left out: a wave outside the "
                   "codebook or an item outside its scale", err=True)
    fields = ["wave", "measure", "n", "score", "ci_low", "ci_high", "baseline", "q1", "median",
              "q3", "band"]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        click.echo(to_csv(fields, [[r[f] for f in fields] for r in rows]), nl=False)
    else:
        for r in rows:
            score = ("withheld (fewer than the minimum respondents)" if r["score"] is None else
                     f"{r['score']:.1f} ({r['ci_low']:.1f} to {r['ci_high']:.1f}; n = {r['n']})")
            where = (f"{r['baseline']} median {r['median']:.1f}, quartiles {r['q1']:.1f} to "
                     f"{r['q3']:.1f}: {r['band']}" if r["band"] else "no baseline")
            click.echo(f"{r['wave']}  {r['label']}: {score}; {where}")


@main.command()
@click.option("--reference", is_flag=True,
              help="Print the reference page of every key (Markdown) instead of the JSON "
              "Schema. Its error examples come from validating the example studies.")
@click.option("--examples", type=click.Path(path_type=Path, file_okay=False),
              default=Path("surveys"), show_default=True,
              help="With --reference: the folder of example studies.")
def schema(reference: bool, examples: Path) -> None:
    """Print the JSON Schema of study.yaml, made from the same definition validation uses.

    Editors with the YAML language server check and complete study.yaml against it; init
    writes it beside the draft.

    \b
    Example:
        rocsreport schema > surveys/my-study/study.schema.json
        rocsreport schema --reference > docs/study-yaml.md
    """
    from . import studydoc

    if reference:
        from .errors import RocsError

        bases = sorted(p for p in examples.iterdir() if (p / "study.yaml").is_file()) \
            if examples.is_dir() else []
        if not bases:
            raise RocsError(f"--examples {examples}: no folder of example studies (each "
                            "with a study.yaml) to show the errors in; run this in a clone "
                            "of rocsreport, or name the folder")
        click.echo(studydoc.reference(bases), nl=False)
    else:
        click.echo(studydoc.schema_text(), nl=False)


@main.command()
@STUDY
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="The survey data: CSV, Excel (.xlsx), SPSS (.sav), or a "
              "Qualtrics or SurveyMonkey CSV export.")
@click.option("--id", "id_column", help="The respondent id column (default: detected).")
@click.option("--force", is_flag=True, help="Replace an existing study.yaml.")
@click.option("--no-workflow", is_flag=True,
              help="Do not write .github/workflows/pages.yml (the GitHub Pages workflow).")
def init(study_dir: Path, source: Path, id_column: str | None, force: bool,
         no_workflow: bool) -> None:
    """Draft a complete study.yaml from a data file, to check rather than type.

    From SPSS: value labels become codes, user-missing values missing codes and variable
    labels wording. From CSV, Excel and survey-platform exports: types, scales, missing codes,
    breakdowns and indicators are inferred from the answers, and every inference is printed
    and written into the draft as a comment.

    \b
    Example:
        rocsreport init surveys/my-study --from responses.csv
    """
    if source.suffix.lower() == ".sav":
        from .draft import draft_from_sav

        target, notes = draft_from_sav(study_dir, source, id_column, force)
    else:
        from .infer import draft_from_file

        target, notes = draft_from_file(study_dir, source, id_column, force)
    from .studydoc import SCHEMA_FILE, schema_text

    (study_dir / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    for n in notes:
        click.echo(f"  - {n}")
    click.echo(f"wrote {target} and {study_dir / SCHEMA_FILE} (its JSON Schema, for editors); "
               f"check it, then: rocsreport validate {study_dir}")
    if not no_workflow:
        from .workflow import write_for_study

        flow, written = write_for_study(study_dir)
        click.echo(f"{'wrote' if written else 'kept the existing'} {flow}: it publishes the "
                   "report on GitHub Pages on every push to main (see the README, Publish)")
