"""`rocsreport init --from FILE`: draft a study.yaml from a CSV, Excel, Qualtrics or
SurveyMonkey export (SPSS files keep their own labels: see draft.py).

The file is read as the build reads it (readers.read_into: the platform layouts are
recognised), and each column is profiled in one SQL pass: answers, distinct values, whether
every answer is a number, a whole number, a date. The types follow from that:

- every answer a date (YYYY-MM-DD): a date;
- numbers: a number; whole numbers 0-10 in a column named like a recommendation: an NPS item;
- a set of labels from a known scale (Strongly disagree ... Strongly agree, Very dissatisfied
  ... Very satisfied, Poor ... Excellent): an agreement scale, coded 1..k in scale order, the
  data keeping its labels (they load as their codes);
- a few distinct labels: a single choice; a delimited list of a few options: a multiple
  choice; columns ``stem | option`` (SurveyMonkey) or ``stem_option`` holding 0/1 or the
  option: one multiple-choice question;
- anything else: free text.

"Prefer not to say", "Don't know" (when it is not a point of the scale), "Not applicable" and
"Refused" become missing codes. Columns named like role, sector, region, size, wave (and a few
more) are proposed as breakdowns; a yes/no question gets an indicator, an agreement scale a
top-box indicator. Every choice is printed and written into the draft as a comment.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from .errors import RocsError
from .ingest import quote_ident
from .readers import read_into
from .spec import SOURCE_FORMATS

SCALES = (
    ("agreement", ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
                   "Strongly agree")),
    ("agreement", ("Strongly disagree", "Somewhat disagree", "Neither agree nor disagree",
                   "Somewhat agree", "Strongly agree")),
    ("agreement", ("Strongly disagree", "Disagree", "Somewhat disagree",
                   "Neither agree nor disagree", "Somewhat agree", "Agree", "Strongly agree")),
    ("agreement", ("Strongly disagree", "Disagree", "Agree", "Strongly agree")),
    ("satisfaction", ("Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied",
                      "Satisfied", "Very satisfied")),
    ("satisfaction", ("Very dissatisfied", "Somewhat dissatisfied",
                      "Neither satisfied nor dissatisfied", "Somewhat satisfied",
                      "Very satisfied")),
    ("quality", ("Poor", "Fair", "Good", "Very good", "Excellent")),
    ("likelihood", ("Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely",
                    "Very likely")),
)
MISSING = ("prefer not to say", "don't know", "dont know", "do not know", "not applicable",
           "n/a", "refused", "no answer", "not sure")
BREAKDOWN_NAMES = re.compile(r"(^|_|\b)(role|job|sector|industry|region|area|country|size|"
                             r"wave|year|department|dept|segment|channel|age_?group|gender|"
                             r"tenure|band|group|type)($|_|\b)", re.I)
ID_NAMES = re.compile(r"^(id|respid|respondent_?id|response_?id|responseid|case_?id|serial|"
                      r"respondent id)$", re.I)
NPS_NAMES = re.compile(r"recommend|nps|likely", re.I)
PLATFORM = {  # survey-platform bookkeeping columns: kept as text, never reported
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)",
    "finished", "recordeddate", "recipientlastname", "recipientfirstname", "recipientemail",
    "externalreference", "locationlatitude", "locationlongitude", "distributionchannel",
    "userlanguage", "collector id", "start date", "end date", "ip address", "email address",
    "first name", "last name", "custom data 1"}
MAX_CODES = 12


@dataclass
class Profile:
    column: str
    answers: int
    distinct: int
    numeric: bool
    whole: bool
    dates: bool
    longest: int
    lo: float | None
    hi: float | None
    values: list[tuple[str, int]] = field(default_factory=list)  # the most frequent, <= 40


def _profile(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[Profile]:
    out = []
    for c in columns:
        v = f"nullif(trim({quote_ident(c)}), '')"
        n, d, num, whole, dates, longest, lo, hi = con.execute(
            f"SELECT count({v}), count(DISTINCT {v}), "
            f"count({v}) = count(TRY_CAST({v} AS DOUBLE)), "
            f"count({v}) = count(TRY_CAST({v} AS BIGINT)), "
            f"count({v}) = count(TRY_CAST({v} AS DATE)) AND count({v}) > 0 "
            f"AND bool_and(regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')), "
            f"coalesce(max(length({v})), 0), min(TRY_CAST({v} AS DOUBLE)), "
            f"max(TRY_CAST({v} AS DOUBLE)) FROM {table}").fetchone()
        values = con.execute(f"SELECT {v} AS x, count(*) FROM {table} WHERE {v} IS NOT NULL "
                             "GROUP BY x ORDER BY count(*) DESC, x LIMIT 40").fetchall()
        out.append(Profile(c, n, d, bool(num) and n > 0, bool(whole) and n > 0, bool(dates),
                           longest, lo, hi, [(str(a), int(b)) for a, b in values]))
    return out


def ident(name: str) -> str:
    """A valid id from a column name or a label: letters, digits and underscores."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", str(name)).strip("_").lower()[:40].strip("_")
    return s if re.match(r"^[A-Za-z]", s) else f"q_{s}" if s else "q"


def _scale(labels: set[str]) -> tuple[str, tuple[str, ...]] | None:
    """The known scale holding every label (at least 3 of its points used)."""
    low = {x.lower() for x in labels}
    for kind, points in SCALES:
        pts = {p.lower() for p in points}
        if low <= pts and len(low) >= min(3, len(points)):
            return kind, points
    return None


def _separator(p: Profile) -> str | None:
    """The delimiter of a list of options: in a fifth of the answers or more, splitting into
    at most 20 short parts that recur across answers (free text does not)."""
    for sep in (";", "|", ","):
        with_sep = sum(k for v, k in p.values if sep in v)
        split = [{x.strip() for x in v.split(sep) if x.strip()} for v, _ in p.values]
        parts = set().union(*split) if split else set()
        if (with_sep * 5 >= p.answers and 2 <= len(parts) <= 20
                and max(len(x) for x in parts) <= 40
                and sum(len(s) for s in split) > len(parts)):
            return sep
    return None


@dataclass
class Draft:
    questions: list[dict]
    indicators: dict[str, dict]
    breakdowns: dict[str, dict]
    notes: list[str]  # what was inferred, for the user to check
    id_column: str
    layout: str


def infer(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], wording: dict,
          id_column: str | None, layout: str, rows: int) -> Draft:
    profiles = {p.column: p for p in _profile(con, table, columns)}
    notes: list[str] = []
    if id_column is not None:
        if id_column not in profiles:
            raise RocsError(f"--id {id_column!r}: no such column (expected one of: "
                            f"{', '.join(columns)})")
        idc = id_column
    else:
        unique = [c for c in columns if profiles[c].distinct == rows == profiles[c].answers]
        named = [c for c in unique if ID_NAMES.match(c.strip())]
        if not unique:
            raise RocsError("no column holds a different value on every row, so none can be "
                            "the respondent id: add one, or name it with --id COLUMN")
        idc = (named or unique)[0]
        notes.append(f"{idc!r} is the respondent id (a different value on every row)"
                     + ("" if named else "; name another with --id"))
    used: set[str] = set()
    questions: list[dict] = []
    indicators: dict[str, dict] = {}
    breakdowns: dict[str, dict] = {}

    def new_id(name: str) -> str:
        base = ident(name)
        k, out = 2, base
        while out in used:
            out, k = f"{base}_{k}", k + 1
        used.add(out)
        return out

    def add(q: dict, col: str) -> dict:
        if q["id"] != col:
            q["column"] = col
        questions.append(q)
        return q

    id_q = add({"id": new_id(idc), "type": "id"}, idc)
    # Option columns: "stem | option" (SurveyMonkey) or "stem_option" with 0/1 or the option.
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in columns:
        if c == idc:
            continue
        m = re.match(r"^(.*\S)\s*\|\s*(.+)$", c)
        p = profiles[c]
        vals = {v for v, _ in p.values}
        binary = vals <= {"0", "1"} and p.answers > 0
        if m and (binary or len(vals) <= 1):
            groups.setdefault(m.group(1), []).append((m.group(2).strip(), c))
        elif binary and "_" in c:
            stem, opt = c.rsplit("_", 1)
            groups.setdefault(stem, []).append((opt, c))
    grouped = {c for g in groups.values() if len(g) >= 2 for _, c in g}
    done_groups: set[str] = set()
    for c in columns:
        if c == idc:
            continue
        p = profiles[c]
        text = wording.get(c) or c
        if c in grouped:
            stem = next(s for s, g in groups.items() if any(col == c for _, col in g))
            if stem in done_groups:
                continue
            done_groups.add(stem)
            opts = groups[stem]
            codes = {}
            option_columns = {}
            for opt, col in opts:
                code = ident(opt)
                codes[code] = opt
                option_columns[code] = col
            qid = new_id(stem)
            questions.append({"id": qid, "type": "multi", "wording": wording.get(stem, stem),
                              "codes": codes, "options": option_columns})
            notes.append(f"{len(opts)} columns {stem!r} ... hold one option each: one "
                         f"multiple-choice question {qid!r}")
            continue
        qid = new_id(c)
        if c.strip().lower() in PLATFORM or p.answers == 0:
            add({"id": qid, "type": "text", "wording": text}, c)
            why = "is empty" if p.answers == 0 else "is survey-platform bookkeeping"
            notes.append(f"{c!r} {why}: loaded as text, not reported")
            continue
        if p.dates:
            add({"id": qid, "type": "date", "wording": text}, c)
            notes.append(f"{c!r}: dates")
            continue
        labels = [v for v, _ in p.values]
        missing = [v for v in labels if v.lower() in MISSING]
        valid = [v for v in labels if v not in missing]
        if p.numeric:
            q = {"id": qid, "type": "number", "wording": text}
            if p.whole and p.lo is not None and p.lo >= 0 and p.hi <= 10 and (
                    NPS_NAMES.search(c) or NPS_NAMES.search(text)):
                q.update(min=0, max=10, scale="nps")
                notes.append(f"{c!r}: whole numbers 0 to 10 in a recommendation question: "
                             "a net promoter score item")
            else:
                notes.append(f"{c!r}: numbers ({_num(p.lo)} to {_num(p.hi)}): its mean and "
                             "quartiles are reported")
            add(q, c)
            continue
        scale = _scale(set(valid)) if valid and p.distinct <= 12 else None
        if scale is not None:
            kind, points = scale
            present = {v.lower(): v for v in valid}
            codes = {str(k + 1): present.get(pt.lower(), pt) for k, pt in enumerate(points)}
            q = {"id": qid, "type": "likert", "wording": text, "codes": codes}
            if missing:  # an agreement scale's codes are numbers: 90, 91, ... for missing
                q["missing"] = {str(90 + k): m for k, m in enumerate(missing)}
            add(q, c)
            indicators[f"{qid}_top"] = top_two(qid, text, kind, codes,
                                               [str(len(points) - 1), str(len(points))])
            notes.append(f"{c!r}: a {len(points)}-point {kind} scale, coded 1 ({points[0]}) "
                         f"to {len(points)} ({points[-1]}); the data keeps its labels")
            continue
        sep = _separator(p) if p.distinct <= 40 else None
        if sep is not None:
            parts = sorted({x.strip() for v, _ in p.values for x in v.split(sep) if x.strip()})
            add({"id": qid, "type": "multi", "wording": text, "separator": sep,
                 "codes": parts}, c)
            notes.append(f"{c!r}: lists of options separated by {sep!r}: a multiple choice")
            continue
        if len(valid) <= MAX_CODES and p.longest <= 80 and p.distinct < max(3, rows // 2):
            order = _order(valid)
            q = {"id": qid, "type": "single", "wording": text, "codes": order}
            if missing:
                q["missing"] = {ident(m): m for m in missing}
                notes.append(f"{c!r}: {', '.join(repr(m) for m in missing)} made missing")
            add(q, c)
            if {v.lower() for v in valid} == {"yes", "no"}:
                yes = next(v for v in valid if v.lower() == "yes")
                indicators[f"{qid}_yes"] = {"label": _short(text), "question": qid,
                                            "numerator": [yes],
                                            "statement": f"answered yes to “{_short(text)}”"}
            named = BREAKDOWN_NAMES.search(c)
            worded = BREAKDOWN_NAMES.search(text)
            if (named or worded) and 2 <= len(valid) <= 12:
                label = (_short(c.replace("_", " ")) if named else worded.group(2))
                breakdowns[qid] = {"label": label[:1].upper() + label[1:], "question": qid}
                notes.append(f"{c!r}: proposed as a breakdown ({len(valid)} groups)")
            continue
        add({"id": qid, "type": "text", "wording": text}, c)
        notes.append(f"{c!r}: free text ({p.distinct} different answers): counted, never "
                     "shown")
    if not indicators:
        single = next((q for q in questions if q["type"] == "single"), None)
        if single is None:
            raise RocsError("no single-choice or agreement question to draft an indicator "
                            "from; write study.yaml by hand (see the README)")
        first = single["codes"][0]
        indicators[f"{single['id']}_{ident(first)}"] = {
            "label": f"{_short(single['wording'])}: {first}", "question": single["id"],
            "numerator": [first],
            "statement": f"answered “{first}” to “{_short(single['wording'])}”"}
        notes.append(f"no yes/no or scale question: the indicator is the share answering "
                     f"{first!r} to {single['id']!r}; write the ones you want")
    return Draft(questions, indicators, breakdowns, notes, id_q["id"], layout)


def top_two(qid: str, wording: str, kind: str, labels: dict[str, str], top: list[str]
            ) -> dict:
    """The drafted indicator of a scale: the share giving one of its top two answers."""
    words = {"agreement": "agree", "satisfaction": "satisfied",
             "quality": "very good or excellent", "likelihood": "likely"}[kind]
    return {"label": f"{_short(wording)}: {words}", "question": qid, "numerator": top,
            "statement": f"answered “{labels[top[0]]}” or “{labels[top[1]]}” to "
                         f"“{_short(wording)}”"}


def _order(values: list[str]) -> list[str]:
    """Yes before No; otherwise by frequency, as profiled."""
    low = [v.lower() for v in values]
    if set(low) == {"yes", "no"}:
        return sorted(values, key=lambda v: v.lower() != "yes")
    return values


def _short(text: str) -> str:
    text = str(text).strip()
    return text if len(text) <= 60 else text[:57].rsplit(" ", 1)[0] + "…"


def _num(x: float | None) -> str:
    return "?" if x is None else (f"{x:g}")


def _qualtrics_wording(path: Path) -> dict[str, str]:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as f:
        head = [row for _, row in zip(range(2), csv.reader(f), strict=False)]
    return dict(zip(head[0], head[1], strict=False)) if len(head) == 2 else {}


def draft_from_file(study_dir: Path, source: Path, id_column: str | None = None,
                    force: bool = False) -> tuple[Path, list[str]]:
    """Write STUDY_DIR/study.yaml (and copy the file into data/). Returns the file written and
    the notes on what was inferred."""
    study_dir, source = Path(study_dir), Path(source)
    target = study_dir / "study.yaml"
    if target.exists() and not force:
        raise RocsError(f"{target} already exists; init will not overwrite it (give --force to "
                        "replace it)")
    if not source.is_file():
        raise RocsError(f"{source}: file not found")
    fmt = SOURCE_FORMATS.get(source.suffix.lower())
    if fmt is None:
        raise RocsError(f"{source}: unsupported file type {source.suffix!r} (expected one of: "
                        f"{', '.join(sorted(SOURCE_FORMATS))})")
    con = duckdb.connect()
    try:
        info = read_into(con, source, source.name, fmt, "raw")
        columns = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE raw)"
                                             ).fetchall()]
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        if rows == 0:
            raise RocsError(f"{source}: no data rows to draft a study from")
        wording = _qualtrics_wording(source) if info.layout == "qualtrics" else {}
        draft = infer(con, "raw", columns, wording, id_column, info.layout, rows)
    finally:
        con.close()
    (study_dir / "data").mkdir(parents=True, exist_ok=True)
    data = study_dir / "data" / source.name
    if source.resolve() != data.resolve():
        shutil.copyfile(source, data)
    questions = []
    for q in draft.questions:
        q = dict(q)
        opts = q.pop("options", None)
        if opts:
            q["codes"] = {k: v for k, v in q["codes"].items()}
            q["columns"] = opts
        questions.append(q)
    doc: dict = {
        "title": f"Draft study from {source.name}",
        "synthetic": False,
        "unit": "respondents",
        "sources": {"survey": {"file": f"data/{data.name}", "id": draft.id_column}},
        "questions": questions,
        "indicators": draft.indicators,
    }
    if draft.breakdowns:
        doc["breakdowns"] = draft.breakdowns
    doc["disclosure"] = {"suppress_below": 10, "flag_below": 30}
    layout = {"qualtrics": "a Qualtrics export", "surveymonkey": "a SurveyMonkey export"}.get(
        draft.layout, f"a {fmt.upper()} file")
    from .studydoc import MODELINE

    header = [MODELINE,
              f"# Drafted by `rocsreport init` from {source.name} ({layout}, {rows:,} rows).",
              "# Check every entry below: what init inferred is listed here. Then set title,",
              "# publisher and synthetic, and write the indicators you want.", "#"]
    header += [f"# - {n}" for n in draft.notes]
    text = "\n".join(header) + "\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                                     width=100)
    target.write_text(text, encoding="utf-8")
    return target, draft.notes
