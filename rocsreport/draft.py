"""`rocsreport init --from FILE.sav`: draft a complete study.yaml from an SPSS file.

Value labels become codes, user-missing values become missing codes, variable labels become the
question wording. The draft validates and builds as it is; a researcher then edits it (the
indicators in particular) rather than typing a codebook.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from .errors import RocsError
from .readers import sav_metadata

ID_NAMES = re.compile(r"^(id|respid|respondent_?id|responseid|case_?id|serial)$", re.I)


def draft_from_sav(study_dir: Path, sav: Path, force: bool = False) -> Path:
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
    (study_dir / "data").mkdir(parents=True, exist_ok=True)
    data = study_dir / "data" / Path(sav).name
    if Path(sav).resolve() != data.resolve():
        shutil.copyfile(sav, data)
    columns = meta["columns"]
    id_col = next((c for c in columns if ID_NAMES.match(c)), columns[0])
    questions, indicators = [], {}
    for col in columns:
        label = meta["labels"].get(col) or col
        values = meta["value_labels"].get(col) or {}
        missing = [m for m in meta["missing"].get(col, []) if m is not None]
        q: dict = {"id": _ident(col), "wording": label}
        if col == id_col:
            q = {"id": _ident(col), "type": "id"}
        elif values:
            q["type"] = "single"
            q["codes"] = {k: v for k, v in values.items() if k not in missing}
            miss = {m: values.get(m, f"Missing ({m})") for m in missing}
            if miss:
                q["missing"] = miss
            valid = list(q["codes"])
            if 2 <= len(valid) <= 7:
                indicators[f"{_ident(col)}_{_ident(valid[0])}"] = {
                    "label": f"{label}: {values[valid[0]]}"[:80],
                    "question": _ident(col), "numerator": [valid[0]]}
        elif meta["types"].get(col) == "string":
            q["type"] = "text"
        else:
            q["type"] = "number"
        questions.append(q)
    if not indicators:
        raise RocsError(f"{sav}: no labelled question to draft an indicator from; add value "
                        "labels in SPSS or write the study.yaml by hand")
    doc = {
        "title": f"Draft study from {Path(sav).name}",
        "synthetic": False,
        "sources": {"survey": {"file": f"data/{data.name}", "id": _ident(id_col)}},
        "questions": questions,
        "indicators": indicators,
        "disclosure": {"suppress_below": 10, "flag_below": 30},
    }
    header = (f"# Drafted by `rocsreport init` from {Path(sav).name}: value labels became codes,\n"
              "# user-missing values missing codes, variable labels wording. Check every entry,\n"
              "# write the indicators you want, and set synthetic, title and publisher.\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    target.write_text(text, encoding="utf-8")
    return target


def _ident(name: str) -> str:
    """A valid question or indicator id from an SPSS name or a code."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(name))
    return s if re.match(r"^[A-Za-z]", s) else f"v{s}"
