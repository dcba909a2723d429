"""`rocsreport init --from FILE.sav`: draft a complete study.yaml from an SPSS file.

Value labels become codes, user-missing values become missing codes, variable labels become the
question wording. The rules of the other inputs (infer.py) then apply to the labels: a set of
labels from a known scale (Strongly disagree ... Strongly agree) is an agreement scale with a
top-two indicator, yes/no gets an indicator, and a question named like role, sector, region,
size or wave is proposed as a breakdown. The draft validates and builds as it is; a researcher
then edits it (the indicators in particular) rather than typing a codebook.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from .errors import RocsError
from .readers import sav_metadata

ID_NAMES = re.compile(r"^(id|respid|respondent_?id|responseid|case_?id|serial)$", re.I)


def draft_from_sav(study_dir: Path, sav: Path, id_column: str | None = None,
                   force: bool = False) -> tuple[Path, list[str]]:
    """Write STUDY_DIR/study.yaml from an SPSS file (and copy it into data/). Returns the
    file written and the notes on what was inferred."""
    from .infer import BREAKDOWN_NAMES, MAX_CODES, _scale, _short, top_two

    study_dir = Path(study_dir)
    target = study_dir / "study.yaml"
    if target.exists() and not force:
        raise RocsError(f"{target} already exists; init will not overwrite it (give --force to "
                        "replace it)")
    if not Path(sav).is_file():
        raise RocsError(f"{sav}: file not found")
    try:
        meta = sav_metadata(Path(sav))
    except Exception as exc:
        raise RocsError(f"{sav}: could not read it as an SPSS file: {exc}") from None
    columns = meta["columns"]
    if id_column is not None and id_column not in columns:
        raise RocsError(f"--id {id_column!r}: no such column (expected one of: "
                        f"{', '.join(columns)})")
    id_col = id_column or next((c for c in columns if ID_NAMES.match(c)), columns[0])
    notes = [f"{id_col!r} is the respondent id" + ("" if id_column else
                                                    "; name another with --id")]
    questions, indicators, breakdowns = [], {}, {}
    for col in columns:
        label = meta["labels"].get(col) or col
        values = meta["value_labels"].get(col) or {}
        missing = [m for m in meta["missing"].get(col, []) if m is not None]
        qid = _ident(col)
        q: dict = {"id": qid, "wording": label}
        if col == id_col:
            questions.append({"id": qid, "type": "id"})
            continue
        if not values:
            q["type"] = "text" if meta["types"].get(col) == "string" else "number"
            notes.append(f"{col!r}: " + ("free text: counted, never shown"
                                         if q["type"] == "text" else
                                         "numbers: their mean and quartiles are reported"))
            questions.append(q)
            continue
        valid = {k: v for k, v in values.items() if k not in missing}
        scale = _scale(set(valid.values()))
        whole = all(re.fullmatch(r"-?\d+", k) for k in values)
        q["type"] = "likert" if scale is not None and whole else "single"
        q["codes"] = valid
        miss = {m: values.get(m, f"Missing ({m})") for m in missing}
        if miss:
            q["missing"] = miss
        questions.append(q)
        if q["type"] == "likert":
            kind, points = scale
            order = sorted(valid, key=lambda k: [p.lower() for p in points].index(
                valid[k].lower()))
            indicators[f"{qid}_top"] = top_two(qid, label, kind, valid, order[-2:])
            notes.append(f"{col!r}: a {len(valid)}-point {kind} scale from its value labels")
            continue
        notes.append(f"{col!r}: a single choice of {len(valid)} answers from its value labels"
                     + (f"; {', '.join(repr(m) for m in miss.values())} missing"
                        if miss else ""))
        lows = {v.lower(): k for k, v in valid.items()}
        if set(lows) == {"yes", "no"}:
            indicators[f"{qid}_yes"] = {"label": _short(label), "question": qid,
                                        "numerator": [lows["yes"]],
                                        "statement": f"answered yes to “{_short(label)}”"}
        named, worded = BREAKDOWN_NAMES.search(col), BREAKDOWN_NAMES.search(label)
        if (named or worded) and 2 <= len(valid) <= MAX_CODES:
            name = _short(col.replace("_", " ")) if named else worded.group(2)
            breakdowns[qid] = {"label": name[:1].upper() + name[1:], "question": qid}
            notes.append(f"{col!r}: proposed as a breakdown ({len(valid)} groups)")
    if not indicators:
        single = next((q for q in questions if q.get("type") == "single"), None)
        if single is None:
            raise RocsError(f"{sav}: no labelled question to draft an indicator from; add "
                            "value labels in SPSS or write the study.yaml by hand")
        first = next(iter(single["codes"]))
        indicators[f"{single['id']}_{_ident(first)}"] = {
            "label": f"{_short(single['wording'])}: {single['codes'][first]}"[:80],
            "question": single["id"], "numerator": [first]}
        notes.append(f"no yes/no or scale question: the indicator is the share answering "
                     f"{single['codes'][first]!r} to {single['id']!r}; write the ones you want")
    (study_dir / "data").mkdir(parents=True, exist_ok=True)
    data = study_dir / "data" / Path(sav).name
    if Path(sav).resolve() != data.resolve():
        shutil.copyfile(sav, data)
    doc = {
        "title": f"Draft study from {Path(sav).name}",
        "synthetic": False,
        "sources": {"survey": {"file": f"data/{data.name}", "id": _ident(id_col)}},
        "questions": questions,
        "indicators": indicators,
    }
    if breakdowns:
        doc["breakdowns"] = breakdowns
    doc["disclosure"] = {"suppress_below": 10, "flag_below": 30}
    from .studydoc import MODELINE

    header = [MODELINE, f"# Drafted by `rocsreport init` from {Path(sav).name} (an SPSS "
              "file): value labels became codes,",
              "# user-missing values missing codes, variable labels wording. Check every "
              "entry below,", "# write the indicators you want, and set synthetic, title and "
              "publisher.", "#"]
    header += [f"# - {n}" for n in notes]
    text = "\n".join(header) + "\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True,
                                                     width=100)
    target.write_text(text, encoding="utf-8")
    return target, notes


def _ident(name: str) -> str:
    """A valid question or indicator id from an SPSS name or a code."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    return s if re.match(r"^[A-Za-z]", s) else f"v{s}"
