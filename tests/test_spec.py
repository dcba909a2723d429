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


def test_yes_and_no_are_codes_not_booleans(make_study):
    """YAML 1.1 reads No and Yes (and y, n, on, off) as booleans; a study reads them as text.
    The margin is the one that once gave three confusing errors."""
    text = STUDY_YAML.format(weight="", extra_questions="") + (
        "rake:\n  margins:\n    ans: {No: 1072, Yes: 5122}\n")
    root = make_study(rows_for({"A": (20, 20)}), text=text)
    study = load_study(root)
    assert study.rake is not None
    assert dict(study.rake.margins)["ans"] == (("No", 1072.0), ("Yes", 5122.0)) or \
        sorted(dict(study.rake.margins)["ans"]) == [("No", 1072.0), ("Yes", 5122.0)]
    # true and false are still booleans; yes is not.
    root = make_study(rows_for({"A": (20, 20)}),
                      text=STUDY_YAML.format(weight="", extra_questions="").replace(
                          "synthetic: true", "synthetic: yes"))
    with pytest.raises(SpecError, match="synthetic"):
        load_study(root)


def test_a_column_name_with_a_dot_is_mapped_with_column(make_study):
    text = STUDY_YAML.format(weight="", extra_questions="  - {id: sch.wide, type: number, "
                             "wording: Wide}")
    root = make_study(rows_for({"A": (20, 20)}), text=text)
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert "got 'sch.wide'; to read a column named so, give the question an id and map " \
        "the column: {id: sch_wide, column: 'sch.wide', ...}" in exc.value.message


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
        "multi, likert, number, text, id, date)",
    ]


def test_missing_study_folder(tmp_path):
    with pytest.raises(SpecError) as exc:
        load_study(tmp_path / "nowhere")
    assert exc.value.message.endswith("nowhere: not a study folder (expected a folder holding "
                                      "study.yaml)")


def test_publication_section_is_checked_by_key_path(make_study):
    bad = STUDY_YAML.format(weight="", extra_questions="") + """
publication:
  release: 15/07/2014
  licence: "CC BY 4.0"
  lang: english
  earlier: [{edition: July 2013, url: x}]
  editon: July 2014
"""
    with pytest.raises(SpecError) as exc:
        load_study(make_study(rows_for({"A": (1, 1)}), text=bad))
    text = str(exc.value)
    assert "publication.release: expected a date as YYYY-MM-DD, got '15/07/2014'" in text
    assert "publication.licence: expected an SPDX licence id" in text
    assert "publication.lang: expected a language tag such as en-GB or de-DE" in text
    assert "publication.earlier[0].url: unknown key" in text
    assert "publication.editon: unknown key" in text


def test_publication_defaults_and_citation(make_study):
    from rocsreport import citation

    good = STUDY_YAML.format(weight="", extra_questions="") + """
publisher: "R&D {Unit}"
publication:
  release: 2014-07-15
  edition: July 2014
  licence: CC-BY-4.0
  lang: de-DE
"""
    study = load_study(make_study(rows_for({"A": (1, 1)}), text=good))
    pub = study.publication
    assert (pub.release, pub.year, pub.licence, pub.lang) == ("2014-07-15", "2014",
                                                              "CC-BY-4.0", "de-DE")
    assert citation.sentence(study) == "R&D {Unit} (2014). Test study, July 2014."
    bib = citation.bibtex(study)
    # TeX's special characters are escaped, so the entry parses.
    assert r"author = {{R\&D \{Unit\}}}" in bib and "year = {2014}" in bib
    import yaml

    cff = yaml.safe_load(citation.cff(study))
    assert cff["cff-version"] == "1.2.0" and cff["authors"] == [{"name": "R&D {Unit}"}]
    assert cff["date-released"] == "2014-07-15" and cff["license"] == "CC-BY-4.0"
    plain = load_study(make_study(rows_for({"A": (1, 1)}), text=STUDY_YAML.format(weight="",
                                                                      extra_questions="")))
    assert plain.publication.lang == "en-GB" and plain.publication.licence == ""
