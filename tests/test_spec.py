"""study.yaml validation: every problem named by key path, all reported before one abort."""

from __future__ import annotations

import pytest

from rocsreport.errors import SpecError
from rocsreport.spec import load_study

from .conftest import EXAMPLE, STUDY_YAML, rows_for


def test_example_study_loads():
    study = load_study(EXAMPLE)
    assert [i.id for i in study.indicators][:2] == ["cost_not_measured", "roi_not_measured"]
    assert study.indicator("roi_not_measured").numerator == ("No", "Don't know")
    assert study.breakdown("role_group").compare == ("Leadership", "Operational & insight")
    assert study.question("vision_link").missing_codes == ("9",)
    assert study.disclosure.suppress_below == 10 and study.disclosure.flag_below == 30


def test_malformed_yaml_names_line_and_column(make_study):
    root = make_study(rows_for({"A": (1, 1)}), text="title: [unclosed\nsynthetic: true\n")
    with pytest.raises(SpecError) as exc:
        load_study(root)
    # libyaml (in PyYAML's wheels) and the pure-Python parser word the problem differently.
    assert exc.value.message in (
        "study.yaml: malformed YAML at line 2, column 10: expected ',' or ']', but got ':'",
        "study.yaml: malformed YAML at line 2, column 10: did not find expected ',' or ']'")


def test_duplicate_yaml_key_is_an_error(make_study):
    root = make_study(rows_for({"A": (1, 1)}), text="title: a\ntitle: b\n")
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert exc.value.message == ("study.yaml: malformed YAML at line 2, column 1: "
                                 "duplicate key 'title'")


def test_unknown_question_in_indicator(make_study):
    text = STUDY_YAML.format(weight="", extra_questions="").replace("question: ans,",
                                                                     "question: answer,")
    root = make_study(rows_for({"A": (1, 1)}), text=text)
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert exc.value.message == ("study.yaml: indicators.yes_share.question: unknown question "
                                 "'answer' (expected one of: ans, grp, rid, tools)")


def test_missing_data_file(make_study):
    text = STUDY_YAML.format(weight="", extra_questions="").replace("data/survey.csv",
                                                                     "data/nope.csv")
    root = make_study(rows_for({"A": (1, 1)}), text=text)
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert exc.value.message == "study.yaml: sources.survey.file: file not found: data/nope.csv"


def test_every_problem_is_reported_at_once(make_study):
    text = (STUDY_YAML.format(weight="", extra_questions="")
            .replace("title: Test study\n", "")
            .replace('numerator: ["Yes"]', 'numerator: ["Maybe"]')
            .replace("compare: [A, B]", "compare: [A, C]")
            + "disclosure: {suppress_below: 10, flag_below: 5}\n")
    root = make_study(rows_for({"A": (1, 1)}), text=text)
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert exc.value.problems == [
        "study.yaml: title: missing (expected text)",
        "study.yaml: indicators.yes_share.numerator: code 'Maybe' is not a valid answer of "
        "'ans' (expected one of: Yes, No)",
        "study.yaml: indicators.yes_share.numerator: code 'Maybe' is in the numerator but not "
        "the base",
        "study.yaml: breakdowns.grp.compare: expected two different group labels (from: A, B, "
        "Tiny), got ['A', 'C']",
        "study.yaml: disclosure.flag_below: expected at least suppress_below (10), got 5",
    ]
    assert exc.value.message.startswith("5 problems in the study:\n  study.yaml: title:")


def test_wrong_types_name_what_was_expected(make_study):
    text = STUDY_YAML.format(weight="", extra_questions="").replace(
        "synthetic: true", "synthetic: maybe").replace("  - {id: grp, type: single,",
                                                       "  - {id: grp, type: choice,")
    root = make_study(rows_for({"A": (1, 1)}), text=text)
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert exc.value.problems[:2] == [
        "study.yaml: synthetic: expected true or false, got 'maybe'",
        "study.yaml: questions[1] (grp).type: unknown type 'choice' (expected one of: single, "
        "multi, likert, number, text, id)",
    ]


def test_missing_study_folder(tmp_path):
    with pytest.raises(SpecError) as exc:
        load_study(tmp_path / "nowhere")
    assert exc.value.message.endswith("nowhere: not a study folder (expected a folder holding "
                                      "study.yaml)")
