"""What is made from the study.yaml format (studyformat.FORMAT): the JSON Schema that
``rocsreport schema`` prints, and the reference page docs/study-yaml.md.

The reference shows, for every key, the error a wrong value gets. That error is not written
here: it is found by putting the key's wrong value into an example study and running the
validator, so the page says what the code says. A key whose wrong value the validator let
through would stop the reference being made.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import yaml

from .studyformat import FORMAT, ID_PATTERN, UNSET, Key, _tokens

SCHEMA_ID = "https://rocsreport.invalid/study.schema.json"
SCHEMA_FILE = "study.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07, which every YAML language server reads) of study.yaml."""
    out = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
           "title": "rocsreport study.yaml"}
    out.update(_schema(FORMAT))
    return out


def _schema(k: Key) -> dict[str, Any]:
    s: dict[str, Any] = {}
    if k.doc:
        s["description"] = k.doc
    if k.kind in ("text", "date"):
        s["type"] = "string"
        if k.kind == "date":
            s["format"] = "date"
    elif k.kind in ("integer", "number", "boolean"):
        s["type"] = k.kind
    elif k.kind == "list":
        s["type"] = "array"
        if k.item is not None:
            s["items"] = _schema(k.item)
    elif k.kind == "mapping":
        s["type"] = "object"
        s["properties"] = {c.name: _schema(c) for c in k.keys}
        req = [c.name for c in k.keys if c.required is True]
        if req:
            s["required"] = req
        s["additionalProperties"] = False
    elif k.kind in ("entries", "map"):
        s["type"] = "object"
        if k.kind == "entries":
            s["propertyNames"] = {"pattern": ID_PATTERN}
        elif k.choices:
            s["propertyNames"] = {"enum": list(k.choices)}
        if k.item is not None:
            s["additionalProperties"] = _schema(k.item)
    elif k.kind == "one_of":
        s["anyOf"] = [_schema(a) for a in k.alts]
    if k.choices and k.kind not in ("map",):
        s["enum"] = list(k.choices)
    for word, value in k.limits:
        s[word] = value
    if k.default is not UNSET and _finite(k.default):
        s["default"] = k.default
    return s


def _finite(v: Any) -> bool:
    return not (isinstance(v, float) and math.isinf(v))


def as_json(value: Any) -> Any:
    """A parsed study.yaml as a YAML language server hands it to the schema: dates as text,
    mapping keys as text."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# The reference page ---------------------------------------------------------------------------

_KIND_WORDS = {"text": "text", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "date": "a date, YYYY-MM-DD", "list": "a list",
               "mapping": "a mapping", "entries": "a mapping of ids to entries",
               "map": "a mapping"}


def kind_words(k: Key) -> str:
    if k.kind == "one_of":
        return " or ".join(kind_words(a) for a in k.alts)
    if k.kind == "list" and k.item is not None and k.item.kind in ("text", "number",
                                                                     "integer"):
        return f"a list of {_KIND_WORDS[k.item.kind].removeprefix('a ')}s" \
            if k.item.kind != "text" else "a list of text"
    words = _KIND_WORDS[k.kind]
    if k.choices and k.kind != "map":
        words += ": one of " + ", ".join(f"`{c}`" for c in k.choices)
    return words


def _walk(k: Key, path: str):
    """Every key below ``k`` with its pointer, depth first in declared order."""
    inner = k
    suffix = ""
    while inner.kind in ("list", "entries") and inner.item is not None:
        suffix += "[]" if inner.kind == "list" else ".*"
        inner = inner.item
    if inner.kind == "one_of":
        inner = next((a for a in inner.alts if a.kind == "mapping"), inner)
    if inner.kind != "mapping":
        return
    for c in inner.keys:
        p = f"{path}{suffix}.{c.name}" if path or suffix else c.name
        yield p, c
        yield from _walk(c, p)


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=1000).strip().removesuffix("\n...").strip()


def _example_of(pointer: str, k: Key) -> str:
    """The key as a line of study.yaml, nested under its parents."""
    return f"{k.name}: {_yaml(k.example)}"


def reference(bases: list[Path]) -> str:
    """docs/study-yaml.md: every key of study.yaml, with its kind, default, meaning, an
    example and the error a wrong value gets (found by validating ``bases``, the example
    studies, with that value put in)."""
    from .spec import read_yaml

    raws = [(b, read_yaml(b / "study.yaml")) for b in bases]
    lines = [
        "# study.yaml reference",
        "",
        "<!-- Generated by `rocsreport schema --reference` from rocsreport/studyformat.py; "
        "do not edit. tests/test_schema.py fails when this page and the code disagree. -->",
        "",
        "Every key of `study.yaml`, in the order the file usually has them. A key path "
        "writes a list item as `[]` and any entry id (an indicator's, a source's) as `*`. "
        "The error shown for each key is what `rocsreport validate` prints for the wrong "
        "value shown, put into one of the example studies.",
        "",
        f"`rocsreport schema` prints the same format as a JSON Schema. `rocsreport init` "
        f"writes it beside the draft as `{SCHEMA_FILE}` and starts the draft with "
        f"`{MODELINE}`, so an editor with the YAML language server checks and completes "
        "study.yaml as you type. `rocsreport schema > study.schema.json` refreshes it.",
        "",
        "Validation checks more than the schema can: that every id named exists, that codes "
        "belong to their question, and that numbers make sense together.",
        "",
        "Sections: " + ", ".join(f"[`{k.name}`](#{k.name})" for k in FORMAT.keys) + ".",
        "",
    ]
    for pointer, k in _walk(FORMAT, ""):
        depth = sum(1 for t in _tokens(pointer) if t not in ("*", "[]")) - 1
        lines.append(f"{'#' * min(2 + depth, 6)} `{pointer}`")
        lines.append("")
        lines.append(k.doc)
        lines.append("")
        req = ("required" if k.required is True else f"required {k.required}"
               if isinstance(k.required, str) else "optional")
        facts = [f"- Type: {kind_words(k)}", f"- {req[:1].upper()}{req[1:]}"]
        if k.default_doc:
            facts.append(f"- Default: {k.default_doc}")
        elif k.default == "":
            facts.append("- Default: none (empty)")
        elif k.default is not UNSET:
            facts.append(f"- Default: `{_yaml(k.default)}`")
        if k.example is not UNSET:
            facts.append(f"- Example: `{_example_of(pointer, k)}`")
        if k.wrong is not UNSET:
            err = wrong_value_error(pointer, k, raws)
            facts.append(f"- A wrong value, `{k.name}: {_yaml(k.wrong)}`, gets: `{err}`")
        lines += facts
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class ReferenceError(Exception):
    pass


def wrong_value_error(pointer: str, k: Key, raws: list[tuple[Path, Any]]) -> str:
    """The first problem validation reports at ``pointer`` when an example study holds
    ``k.wrong`` there."""
    from .errors import SpecError
    from .spec import check_study
    from .studyformat import node

    # An example that has the key's section first; then one where it is made.
    tries = [(root, raw, make) for make in (False, True) for root, raw in raws]
    for root, raw, make in tries:
        trial = copy.deepcopy(raw)
        parent, concrete = _parent(trial, pointer, k, make)
        if parent is None:
            continue
        parent[k.name] = copy.deepcopy(k.wrong)
        try:
            check_study(root, trial)
        except SpecError as exc:
            for line in exc.problems:
                where = line.removeprefix("study.yaml: ").split(": ", 1)[0]
                item = concrete.rsplit(".", 1)[0]
                if where == concrete or where.startswith((concrete + ".", concrete + "[")) \
                        or node(where) is k or (item.endswith("]") and where == item):
                    return line
            raise ReferenceError(f"{pointer}: {k.wrong!r} in {root.name} gets no error at "
                                 f"{concrete}, only: {exc.problems[:3]}") from None
        raise ReferenceError(f"{pointer}: validation accepts the wrong value {k.wrong!r} "
                             f"(in {root.name})")
    raise ReferenceError(f"{pointer}: no example study has {pointer.rsplit('.', 1)[0]!r} to "
                         "show its wrong value in; add it to an example, or give no wrong "
                         "value")


def _parent(raw: Any, pointer: str, k: Key, make: bool = False) -> tuple[dict | None, str]:
    """The mapping of ``raw`` that holds the key at ``pointer`` (the first list item or
    entry, or the first one matching ``k.on``), and the key's path as validation writes
    it."""
    from .studyformat import node

    toks = _tokens(pointer)
    cur: Any = raw
    path = ""
    for i, tok in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if tok == "[]":
            if not isinstance(cur, list):
                return None, ""
            want = dict(k.on) if i == len(toks) - 2 else {}
            idx = next((j for j, it in enumerate(cur) if isinstance(it, dict) and all(
                it.get(a) == b for a, b in want.items())), None)
            if idx is None and make and not want:
                cur.append({})
                idx = len(cur) - 1
            if idx is None:
                return None, ""
            item = cur[idx]
            label = f" ({item['id']})" if path == "questions" and "id" in item else ""
            path = f"{path}[{idx}]{label}"
            cur = item
        elif tok == "*":
            if not isinstance(cur, dict) or not cur:
                return None, ""
            first = next(iter(cur))
            path = f"{path}.{first}"
            cur = cur[first]
        else:
            if make and isinstance(cur, dict) and tok not in cur and nxt != "*":
                # A section no example has (rake.trim, precision): made from its declared
                # example (or empty), so the key is shown where the validator reads it.
                declared = node(".".join(toks[: i + 1]).replace(".[]", "[]"))
                if declared is not None and declared.kind == "mapping":
                    cur[tok] = (copy.deepcopy(declared.example)
                                if isinstance(declared.example, dict) else {})
                elif declared is not None and nxt == "[]":
                    cur[tok] = []
            if not isinstance(cur, dict) or not isinstance(cur.get(tok), dict | list):
                return None, ""
            path = f"{path}.{tok}" if path else tok
            cur = cur[tok]
    if not isinstance(cur, dict):
        return None, ""
    return cur, f"{path}.{toks[-1]}" if path else toks[-1]


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
