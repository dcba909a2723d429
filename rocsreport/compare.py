"""Self-benchmarking: place an organisation's own responses against published baselines.

Runs locally: the responses are read into an in-memory DuckDB and never leave the machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from .benchmark import INDEX, NATIONAL, NPS, _nps_score, _org_sql, _score
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
        needed = [b.wave, *b.items] + ([b.nps] if b.nps else [])
        missing = [c for c in needed if c not in cols]
        if missing:
            raise RocsError(f"{responses}: missing column(s) {', '.join(repr(c) for c in missing)}"
                            f" (expected: {', '.join(needed)})")
        rejected = _clean(con, study, needed)
        con.execute("SET enable_external_access = false")
        sql, measures = _org_sql(study)
        rows = con.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise RocsError(f"{responses}: could not read the file: "
                        f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        con.close()
    base = {(x["scope"], x["wave"], x["measure"]): x for x in doc["baselines"]}
    labels = {m["id"]: m["label"] for m in doc.get("measures", [])}
    out = []
    for _, wave, *a in rows:
        scores = [(m, _score(a[3 * k], a[3 * k + 1] or 0.0, a[3 * k + 2] or 0.0,
                             study.disclosure, study.confidence)) for k, m in enumerate(measures)]
        if b.nps:
            k = 3 * len(measures)
            scores.append((NPS, _nps_score(a[k], a[k + 1], a[k + 2], study.disclosure,
                                           study.confidence)))
        for m, s in scores:
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
    out.sort(key=lambda r: (r["wave"], [m for m in [INDEX, *b.items, NPS]].index(r["measure"])))
    return out, rejected


def _clean(con: duckdb.DuckDBPyConnection, study, needed: list[str]) -> int:
    """Keep rows whose values fit the codebook; count the others. The cleaned table takes the
    survey's name so the benchmark SQL runs on it unchanged."""
    b = study.benchmark
    conds, selects = [], [f"'yours' AS {quote_ident(b.organisation)}"]
    waves = [c.value for c in study.question(b.wave).valid_codes]
    w = quote_ident(b.wave)
    conds.append(f"list_contains({_list(waves)}, trim(CAST({w} AS VARCHAR)))")
    selects.append(f"trim(CAST({w} AS VARCHAR)) AS {w}")
    for qid in needed[1:]:
        q = study.question(qid)
        c = quote_ident(qid)
        num = f"TRY_CAST(trim(CAST({c} AS VARCHAR)) AS DOUBLE)"
        conds.append(f"({c} IS NULL OR trim(CAST({c} AS VARCHAR)) = '' OR ({num} BETWEEN "
                     f"{q.min} AND {q.max}))")
        selects.append(f"{num} AS {c}")
    ok = " AND ".join(conds)
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    con.execute(f"CREATE TABLE {quote_ident(study.survey.id)} AS SELECT {', '.join(selects)} "
                f"FROM raw WHERE {ok}")
    kept = con.execute(f"SELECT count(*) FROM {quote_ident(study.survey.id)}").fetchone()[0]
    return total - kept


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"
