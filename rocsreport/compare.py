"""Self-benchmarking: place an organisation's own responses against published baselines.

Runs locally: the responses are read into an in-memory DuckDB and never leave the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import duckdb

from .benchmark import INDEX, NATIONAL, NPS, WITHHELD, OrgWave, _org_sql, org_scores
from .errors import RocsError
from .ingest import quote_ident
from .spec import load_study

BANDS = ("below the lower quartile", "between the lower quartile and the median",
         "between the median and the upper quartile", "above the upper quartile")


def read_baselines(path: Path) -> dict:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RocsError(f"{path}: file not found (expected baselines.json from a built site)"
                        ) from None
    except json.JSONDecodeError as exc:
        raise RocsError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("baselines"), list):
        raise RocsError(f"{path}: expected an object with a 'baselines' list, as in "
                        "baselines.json")
    for i, b in enumerate(doc["baselines"]):
        if not isinstance(b, dict):
            raise RocsError(f"{path}: baselines[{i}]: expected an object, got "
                            f"{type(b).__name__}")
        for key, kinds, what in (("scope", (str,), "a text"), ("wave", (str,), "a text"),
                                 ("measure", (str,), "a text"),
                                 ("suppressed", (bool,), "true or false")):
            if not isinstance(b.get(key), kinds):
                raise RocsError(f"{path}: baselines[{i}].{key}: expected {what}, got "
                                f"{json.dumps(b.get(key))}")
        for key in ("q1", "median", "q3"):
            v = b.get(key)
            if not b["suppressed"] and (isinstance(v, bool) or not isinstance(v, int | float)
                                        or v != v or v in (float("inf"), float("-inf"))):
                raise RocsError(f"{path}: baselines[{i}].{key}: expected a number (the "
                                f"baseline is not suppressed), got {json.dumps(v)}")
    measures = doc.get("measures", [])
    if not isinstance(measures, list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), str) for m in measures):
        raise RocsError(f"{path}: measures: expected a list of objects with an id")
    return doc


def band(score: float, q1: float, median: float, q3: float) -> str:
    if score < q1:
        return BANDS[0]
    if score < median:
        return BANDS[1]
    if score <= q3:
        return BANDS[2]
    return BANDS[3]


def compare(study_dir: Path, baselines_path: Path, responses: Path, sector: str | None = None
            ) -> tuple[list[dict], int]:
    """Rows of (wave, measure, your score, the baseline, your band), and the rejected count."""
    own = score_responses(study_dir, baselines_path, responses, sector)
    return own.rows, own.rejected


@dataclass(frozen=True)
class Own:
    """An organisation's own scores, computed here, beside the published baselines."""

    study: object
    doc: dict
    sector: str | None
    orgs: tuple  # OrgWave per wave of the responses
    rows: list[dict]
    rejected: int
    not_asked: tuple[str, ...]  # measures the responses cannot give
    unweighted: bool = False  # the study weights respondents; these responses carry no weight


def score_responses(study_dir: Path, baselines_path: Path, responses: Path,
                    sector: str | None = None) -> Own:
    study = load_study(study_dir)
    b = study.benchmark
    if b is None:
        raise RocsError(f"{study_dir}: the study has no benchmark section")
    doc = read_baselines(baselines_path)
    sectors = [c.value for c in study.question(b.sector).valid_codes]
    if sector is not None and sector not in sectors:
        raise RocsError(f"unknown sector {sector!r} (expected one of: {', '.join(sectors)})")
    responses = Path(responses)
    if not responses.is_file():
        raise RocsError(f"{responses}: file not found")
    reader = ("read_parquet(?)" if responses.suffix.lower() == ".parquet"
              else "read_csv(?, all_varchar = true, header = true)")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}", [str(responses)])
        cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE raw)").fetchall()]
        if b.wave not in cols or not any(i in cols for i in b.items):
            raise RocsError(f"{responses}: needs the column {b.wave!r} and at least one item "
                            f"column (expected: {', '.join([b.wave, *b.items])})")
        asked = [i for i in b.items if i in cols]
        rates = tuple(r for r in b.rates if study.indicator(r).question in cols)
        needed = [b.wave, *asked] + ([b.nps] if b.nps and b.nps in cols else [])
        if study.weight_column and study.weight_column in cols:
            needed.append(study.weight_column)
        rejected = _clean(con, study, needed, [i for i in b.items if i not in asked],
                          [study.indicator(r).question for r in rates])
        con.execute("SET enable_external_access = false")
        weight = study.weight_column if study.weight_column in cols else None
        sql, measures = _org_sql(study, rates, weight)
        rows = con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise RocsError(f"{responses}: could not read the file: "
                        f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        con.close()
    unweighted = bool(study.weight_column) and study.weight_column not in cols
    not_asked = tuple([i for i in b.items if i not in asked]
                      + ([INDEX] if len(asked) < len(b.items) else [])
                      + [r for r in b.rates if r not in rates]
                      + ([NPS] if b.nps and b.nps not in cols else []))
    base = {(x["scope"], x["wave"], x["measure"]): x for x in doc["baselines"]}
    labels = {m["id"]: m["label"] for m in doc.get("measures", [])}
    out, orgs = [], []
    for _, wave, *a in rows:
        scores, _ = org_scores(a, measures, bool(b.nps), weight is not None,
                               study.disclosure, study.confidence)
        scores = [(m, WITHHELD if m in not_asked else sc) for m, sc in scores]
        orgs.append(OrgWave(YOURS, YOURS, sector or NATIONAL, wave, tuple(scores)))
        for m, s in scores:
            if m in not_asked:
                continue
            scope = sector or NATIONAL
            bl = base.get((scope, wave, m))
            if bl is None or bl.get("suppressed"):
                scope, bl = NATIONAL, base.get((NATIONAL, wave, m))
            row = {"wave": wave, "measure": m, "label": labels.get(m, m), "n": s.n,
                   "score": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high,
                   "baseline": scope, "q1": None, "median": None, "q3": None, "band": None}
            if bl is not None and not bl.get("suppressed"):
                row.update(q1=bl["q1"], median=bl["median"], q3=bl["q3"])
                if s.mean is not None:
                    row["band"] = band(s.mean, bl["q1"], bl["median"], bl["q3"])
            out.append(row)
    order = [INDEX, *b.items, *b.rates, NPS]
    out.sort(key=lambda r: (r["wave"], order.index(r["measure"])))
    return Own(study, doc, sector, tuple(orgs), out, rejected, not_asked, unweighted)


YOURS = "yours"


def compare_report(study_dir: Path, baselines_path: Path, responses: Path, out: Path,
                   sector: str | None = None, name: str | None = None,
                   make_pdf: bool = True) -> tuple[Path, list[str]]:
    """Write OUT/index.html and OUT/report.pdf: the private organisation report, drawn from
    the published baselines and the organisation's own responses, on this machine. Returns
    the folder and the notes on what could not be compared."""
    from .folders import COMPARE, MARKER_TEXT, ROBOTS_NONE, check_out
    from .locks import exclusive
    from .orgs import render_org
    from .publish import render_pdf, swap_in

    own = score_responses(study_dir, baselines_path, responses, sector)
    view, notes = self_view(own, name or "Your organisation")
    html = render_org(own.study, view, YOURS, compare=notes)
    files = {COMPARE: MARKER_TEXT[COMPARE].encode(), "robots.txt": ROBOTS_NONE.encode(),
             "index.html": html.encode("utf-8")}
    if make_pdf:
        files["report.pdf"] = render_pdf(html, own.study.root)
    out = Path(out).resolve()
    with exclusive(out, "the self-benchmark report"):
        check_out(out, COMPARE)
        swap_in(out, files)
    return out, notes["missing"]


def self_view(own: Own, name: str):
    """A BenchmarkResult holding the organisation's own waves and the published baselines, as
    ``private_view`` would give a participant: its scores, its changes between waves and the
    baselines of its sector and the nation."""
    from .benchmark import Baseline, BenchmarkResult, org_change

    study, doc = own.study, own.doc
    b = study.benchmark
    wave_q = study.question(b.wave)
    labels = {c.value: c.label for c in wave_q.valid_codes}
    waves = tuple(w for w in doc["waves"] if w in labels)
    measures = tuple((m["id"], m.get("label", m["id"])) for m in doc["measures"])
    scopes = {NATIONAL} | ({own.sector} if own.sector else set())

    def num(x):
        return None if x is None else float(x)

    baselines = tuple(Baseline(
        x["scope"], x["wave"], x["measure"], x.get("organisations"), x.get("respondents"),
        num(x.get("mean")), num(x.get("median")), num(x.get("q1")), num(x.get("q3")),
        bool(x["suppressed"]), x.get("reason") or "", bool(x.get("secondary")),
        num(x.get("se")), num(x.get("ci_low")), num(x.get("ci_high")))
        for x in doc["baselines"] if x["scope"] in scopes)
    orgs = tuple(replace(o, name=name) for o in own.orgs if o.wave in waves)
    sector = own.sector or NATIONAL
    changes = []
    by = {o.wave: o for o in orgs}
    for w1, w2 in pairwise(waves):
        if w1 in by and w2 in by:
            c = org_change(by[w1], by[w2], b)
            if c is not None:
                changes.append(c)
    view = BenchmarkResult(b, waves, tuple(labels[w] for w in waves), measures,
                           tuple(s for s in (own.sector,) if s), orgs, baselines, (),
                           tuple(changes), (), (), ((YOURS, name, sector),))
    label = dict(measures)
    missing = [f"{label.get(m, m)}: not in your responses" + (
        " (the index needs every item)" if m == INDEX else "") for m in own.not_asked]
    for w in sorted({o.wave for o in own.orgs} - set(waves)):
        missing.append(f"{labels.get(w, w)}: no published baseline for this wave")
    for w in waves:
        if w in by and all(x.suppressed for x in baselines if x.wave == w):
            missing.append(f"{labels[w]}: every baseline withheld")
    if own.unweighted:
        missing.append(f"your responses have no {own.study.weight_column!r} column: your "
                       "scores are unweighted, the baselines weighted")
    if not own.sector:
        missing.append("your sector was not given (--sector), so you are compared with the "
                       "national baselines")
    notes = {"edition": doc.get("study", ""), "published": doc.get("published"),
             "waves": [labels[w] for w in waves], "missing": missing,
             "rejected": own.rejected}
    return view, notes


def _clean(con: duckdb.DuckDBPyConnection, study, needed: list[str],
           absent: list[str] = (), rate_questions: list[str] = ()) -> int:
    """Keep rows whose values fit the codebook; count the others. The cleaned table takes the
    survey's name so the benchmark SQL runs on it unchanged."""
    b = study.benchmark
    conds, selects = [], [f"'yours' AS {quote_ident(b.organisation)}"]
    waves = [c.value for c in study.question(b.wave).valid_codes]
    w = quote_ident(b.wave)
    conds.append(f"list_contains({_list(waves)}, trim(CAST({w} AS VARCHAR)))")
    selects.append(f"trim(CAST({w} AS VARCHAR)) AS {w}")
    for qid in needed[1:]:
        c = quote_ident(qid)
        num = f"TRY_CAST(trim(CAST({c} AS VARCHAR)) AS DOUBLE)"
        if qid == study.weight_column:
            conds.append(f"coalesce({num} > 0, false)")  # a weight: present and positive
            selects.append(f"{num} AS {c}")
            continue
        q = study.question(qid)
        conds.append(f"({c} IS NULL OR trim(CAST({c} AS VARCHAR)) = '' OR ({num} BETWEEN "
                     f"{q.min} AND {q.max}))")
        selects.append(f"{num} AS {c}")
    for qid in absent:
        selects.append(f"NULL::DOUBLE AS {quote_ident(qid)}")
    if b.nps and b.nps not in needed:
        selects.append(f"NULL::DOUBLE AS {quote_ident(b.nps)}")
    for qid in rate_questions:
        q = study.question(qid)
        c = quote_ident(qid)
        valid = [x.value for x in q.codes]
        conds.append(f"({c} IS NULL OR trim(CAST({c} AS VARCHAR)) = '' OR "
                     f"list_contains({_list(valid)}, trim(CAST({c} AS VARCHAR))))")
        selects.append(f"nullif(trim(CAST({c} AS VARCHAR)), '') AS {c}")
    ok = " AND ".join(conds)
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    con.execute(f"CREATE TABLE {quote_ident(study.survey.id)} AS SELECT {', '.join(selects)} "
                f"FROM raw WHERE {ok}")
    kept = con.execute(f"SELECT count(*) FROM {quote_ident(study.survey.id)}").fetchone()[0]
    return total - kept


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
