"""The study.yaml format is declared once (rocsreport/studyformat.py): validation takes its key
sets from it, `rocsreport schema` prints the JSON Schema made from it, and docs/study-yaml.md
is generated from it. These tests fail when any of them and the code disagree."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from rocsreport import studydoc
from rocsreport.cli import main
from rocsreport.errors import SpecError
from rocsreport.spec import check_study, read_yaml
from rocsreport.studyformat import FORMAT, UNSET, Key, keys_at, node

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "surveys").iterdir() if (p / "study.yaml").is_file())
DOC = ROOT / "docs" / "study-yaml.md"


@pytest.fixture(scope="module")
def schema():
    s = studydoc.json_schema()
    jsonschema.Draft7Validator.check_schema(s)
    return jsonschema.Draft7Validator(s)


def test_the_reference_page_is_generated_from_the_code():
    """docs/study-yaml.md is exactly what the definition and the validator make now. If this
    fails, run: rocsreport schema --reference > docs/study-yaml.md"""
    assert DOC.read_text(encoding="utf-8") == studydoc.reference(EXAMPLES)


def test_the_reference_covers_every_declared_key():
    text = DOC.read_text(encoding="utf-8")
    for pointer, key in studydoc._walk(FORMAT, ""):
        assert f"`{pointer}`" in text, pointer
        assert key.doc, f"{pointer} has no description"


@pytest.mark.parametrize("study", EXAMPLES, ids=lambda p: p.name)
def test_the_schema_accepts_every_example(schema, study):
    errors = list(schema.iter_errors(studydoc.as_json(read_yaml(study / "study.yaml"))))
    assert errors == [], [(list(e.absolute_path), e.message) for e in errors]


def _schema_errors(schema, raw):
    return sorted((".".join(str(p) for p in e.absolute_path), e.message)
                  for e in schema.iter_errors(studydoc.as_json(raw)))


def test_the_schema_rejects_a_wrong_value_with_its_key_path(schema):
    raw = read_yaml(EXAMPLES[0] / "study.yaml")
    bad = copy.deepcopy(raw)
    bad["disclosure"]["suppress_below"] = "ten"
    bad["questions"][2]["type"] = "yes-no"
    bad["indicators"]["roi_not_measured"]["colour"] = "red"
    got = _schema_errors(schema, bad)
    assert ("disclosure.suppress_below", "'ten' is not of type 'integer'") in got
    assert ("questions.2.type", "'yes-no' is not one of ['single', 'multi', 'likert', "
            "'number', 'text', 'id', 'date']") in got
    assert ("indicators.roi_not_measured", "Additional properties are not allowed ('colour' "
            "was unexpected)") in got
    assert len(got) == 3


def test_the_schema_and_the_validator_refuse_the_same_unknown_keys(schema):
    """The keys validation accepts at each level are the declared ones: a key the schema
    refuses, the validator refuses too, at the same path."""
    raw = read_yaml(EXAMPLES[0] / "study.yaml")
    for pointer in ("", "disclosure", "publication", "charts", "load"):
        bad = copy.deepcopy(raw)
        (bad if not pointer else bad.setdefault(pointer, {}))["colour"] = "red"
        assert _schema_errors(schema, bad), pointer
        with pytest.raises(SpecError) as exc:
            check_study(EXAMPLES[0], bad)
        where = f"{pointer}.colour" if pointer else "colour"
        expected = ", ".join(keys_at(pointer))
        assert f"study.yaml: {where}: unknown key (expected one of: {expected})" in \
            exc.value.problems


_PY = {"text": {str}, "integer": {int}, "number": {int, float}, "boolean": {bool},
       "list": {list}, "mapping": {dict}, "entries": {dict}, "map": {dict}, "date": set()}


def _python_kinds(k: Key) -> set[type]:
    if k.kind == "one_of":
        return set().union(*(_python_kinds(a) for a in k.alts))
    return _PY[k.kind]


def _reads():
    """How validation reads each key, over every example and every wrong value of the
    reference (so sections no example has are read too)."""
    reads: list = []
    raws = [(s, read_yaml(s / "study.yaml")) for s in EXAMPLES]
    for root, raw in raws:
        check_study(root, raw, reads)
    for pointer, key in studydoc._walk(FORMAT, ""):
        if key.wrong is UNSET:
            continue
        for make in (False, True):
            done = False
            for root, raw in raws:
                trial = copy.deepcopy(raw)
                parent, _ = studydoc._parent(trial, pointer, key, make)
                if parent is None:
                    continue
                parent[key.name] = copy.deepcopy(key.example) \
                    if key.example is not UNSET else parent.get(key.name)
                try:
                    check_study(root, trial, reads)
                except SpecError:
                    pass
                done = True
                break
            if done:
                break
    return reads


def test_validation_reads_every_key_as_declared():
    """Each key validation reads is declared, with the kind, requiredness and default it
    is read with."""
    reads = _reads()
    assert len(reads) > 500
    seen = set()
    for full, kind, required, default, parent_given in reads:
        k = node(full)
        assert k is not None, f"validation reads {full!r}, which studyformat does not declare"
        seen.add(id(k))
        kinds = set(kind) if isinstance(kind, tuple) else {kind}
        assert kinds <= _python_kinds(k), (full, kinds, k.kind)
        if isinstance(k.required, bool) and parent_given:
            assert required == k.required, (full, required, k.required)
        if k.default is not UNSET and not required:
            same = default == k.default or (
                isinstance(default, float) and math.isinf(default) and default == k.default)
            assert same, (full, default, k.default)
    # ck.get reads most keys; the rest (codes, numerator, ...) have checks of their own, and
    # each is refused by name when wrong (the reference test proves it).
    assert len(seen) >= 120


def test_schema_command_prints_the_schema():
    r = CliRunner().invoke(main, ["schema"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == studydoc.json_schema()
    assert json.loads(r.output)["properties"]["disclosure"]["properties"]["suppress_below"] \
        == {"description": FORMAT.key("disclosure").key("suppress_below").doc,
            "type": "integer", "minimum": 1, "default": 10}
