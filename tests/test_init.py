"""`rocsreport init --from FILE` for a newcomer's own data: CSV with labels, CSV with codes,
Excel, a Qualtrics export and a SurveyMonkey export each go through init, validate and build
with no edit, and every question shows up in the built site."""

from __future__ import annotations

import csv
import json
import re

import pytest
from click.testing import CliRunner

from rocsreport.cli import main

AGREE = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
         "Strongly agree"]
ROLES = ["Manager", "Agent", "Team leader"]


def _rows(n: int = 120, labels: bool = True) -> list[list[str]]:
    """Deterministic answers: an id, a role, a yes/no with "Don't know", an agreement scale
    (labels, or codes 1-5) with "Prefer not to say", a list of tools, a 0-10 recommendation,
    and a comment."""
    out = []
    for i in range(n):
        a = (i * 7) % 6
        agree = "Prefer not to say" if a == 5 else (AGREE[a] if labels else str(a + 1))
        out.append([f"R{i + 1:03d}", ROLES[i % 3], ["Yes", "No", "Yes", "Don't know"][i % 4],
                    agree, ";".join(["Email", "Phone", "Chat"][: 1 + i % 3]),
                    str((i * 3) % 11), ["", "Fine", f"Comment {i} about service"][i % 3]])
    return out


HEADER = ["Respondent ID", "Role", "Measures ROI", "We track cost to serve", "Tools used",
          "How likely are you to recommend us", "Comments"]


def _run(tmp_path, data, *extra):
    study = tmp_path / "study"
    r = CliRunner().invoke(main, ["init", str(study), "--from", str(data), "--no-workflow",
                                  *extra])
    assert r.exit_code == 0, r.output
    # The draft starts with the line that points editors at its JSON Schema, written beside
    # it, and the schema accepts the draft as written.
    from rocsreport.spec import read_yaml
    from rocsreport.studydoc import as_json, json_schema

    text = (study / "study.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=study.schema.json"
    written = json.loads((study / "study.schema.json").read_text(encoding="utf-8"))
    assert written == json_schema()
    import jsonschema

    jsonschema.validate(as_json(read_yaml(study / "study.yaml")), written)
    r2 = CliRunner().invoke(main, ["validate", str(study)])
    assert r2.exit_code == 0, r2.output
    site = tmp_path / "site"
    r3 = CliRunner().invoke(main, ["build", str(study), "--out", str(site), "--no-pdf"])
    assert r3.exit_code == 0, r3.output
    return study, site, r.output


def _shown(site, text: str) -> bool:
    """Does ``text`` appear on a page other than the methodology (the codebook lists all)?"""
    return any(text in p.read_text(encoding="utf-8") for p in site.glob("*.html")
               if p.name not in ("methodology.html", "data.html"))


def _every_question_shows_up(study, site):
    """Every question of the codebook is reported: a choice, scale or number on a page of
    its own (its wording quoted there), and every question in the methodology's table with
    where it is reported; free text as a count of answers, never the text."""
    import yaml

    doc = yaml.safe_load((study / "study.yaml").read_text())
    method = (site / "methodology.html").read_text(encoding="utf-8")
    for q in doc["questions"]:
        if q["type"] == "id":
            continue
        assert f"<code>{q['id']}</code>" in method, q
        if q["type"] in ("text", "date"):
            continue
        assert _shown(site, q["wording"]), q
    row = re.compile(r"<tr><th scope=\"row\"><code>(\w+)</code></th>.*?</tr>", re.S)
    rows = {m.group(1): m.group(0) for m in row.finditer(method)}
    for q in doc["questions"]:
        if q["type"] == "text":
            assert re.search(r"Free text: (\d[\d,]* answers|fewer than 10 answers); the "
                             r"text itself is not published", rows[q["id"]]), rows[q["id"]]
        elif q["type"] in ("single", "multi", "likert", "number"):
            # A link to the page that reports it, named by that page's title.
            link = re.search(r'<a href="([\w-]+)\.html">([^<]+)</a></td></tr>', rows[q["id"]])
            assert link, rows[q["id"]]
            title = re.search(r"<h1[^>]*>([^<]+)</h1>", (site / f"{link.group(1)}.html")
                              .read_text(encoding="utf-8")).group(1).strip()
            assert link.group(2) == title, (link.groups(), title)


def test_a_csv_with_labels(tmp_path):
    data = tmp_path / "my_survey.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([HEADER, *_rows()])
    study, site, said = _run(tmp_path, data)
    text = (study / "study.yaml").read_text()
    # What was inferred is printed, and written into the draft as comments.
    assert "'We track cost to serve': a 5-point agreement scale, coded 1 (Strongly " \
        "disagree) to 5 (Strongly agree); the data keeps its labels" in said
    assert "# - 'Role': proposed as a breakdown (3 groups)" in text
    assert "'Tools used': lists of options separated by ';': a multiple choice" in said
    assert "a net promoter score item" in said
    assert "\"Don't know\" made missing" in said
    _every_question_shows_up(study, site)
    # The labels loaded as their codes: agreement is the share of 4s and 5s among answers.
    page = (site / "indicator-we_track_cost_to_serve_top.html").read_text()
    # By hand: a = 7i mod 6 over i = 0..119 takes each of 0..5 twenty times; 5 is "Prefer
    # not to say" (missing), so 100 answer and 3 ("Agree") and 4 ("Strongly agree") are 40.
    assert "40%" in page and "n = 100" in page
    assert (site / "breakdown-role.html").is_file()


def test_a_csv_with_codes(tmp_path):
    data = tmp_path / "coded.csv"
    rows = [[r[0], r[1], r[2], r[3] if r[3] != "Prefer not to say" else "", r[4], r[5], r[6]]
            for r in _rows(labels=False)]
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([HEADER, *rows])
    study, site, said = _run(tmp_path, data)
    # Numbers with no labels are numbers: the mean is reported, not a made-up scale.
    assert "'We track cost to serve': numbers (1 to 5)" in said
    _every_question_shows_up(study, site)


def test_an_excel_file(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [HEADER, *_rows()]:
        ws.append(row)
    data = tmp_path / "survey.xlsx"
    wb.save(data)
    study, site, _ = _run(tmp_path, data)
    _every_question_shows_up(study, site)


def test_a_qualtrics_export(tmp_path):
    """Qualtrics: variable names, then the question text, then ImportId cells; platform
    columns (StartDate, Status, ...) are kept as text and never reported."""
    names = ["StartDate", "Status", "ResponseId", "Q1", "Q2", "Q3"]
    texts = ["Start Date", "Response Type", "Response ID", "Which best describes your role?",
             "Do you measure the return on service?",
             "We know what service costs us. - Agreement"]
    ids = [json.dumps({"ImportId": k}) for k in ("startDate", "status", "_recordId", "QID1",
                                                   "QID2", "QID3")]
    rows = [[f"2024-05-{1 + i % 28:02d} 10:00:00", "IP Address", f"R_{i:04d}x", ROLES[i % 3],
             ["Yes", "No"][i % 2], AGREE[i % 5]] for i in range(90)]
    data = tmp_path / "qualtrics.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([names, texts, ids, *rows])
    study, site, said = _run(tmp_path, data)
    text = (study / "study.yaml").read_text()
    assert "a Qualtrics export, 90 rows" in text
    assert "'ResponseId' is the respondent id" in said
    assert "'StartDate' is survey-platform bookkeeping" in said
    # The question text of the second row is the wording.
    assert "Do you measure the return on service?" in text
    _every_question_shows_up(study, site)


def test_a_surveymonkey_export(tmp_path):
    """SurveyMonkey: the question on the first row, "Response" or each option of a multiple
    choice on the second; an option column holds the option or is blank."""
    top = ["Respondent ID", "Collector ID", "What is your role?",
           "Which channels do you use?", "", "", "Would you recommend us?"]
    sub = ["", "", "Response", "Email", "Phone", "Chat", "Response"]
    rows = [[str(1000 + i), "42", ROLES[i % 3], "Email" if i % 2 else "",
             "Phone" if i % 3 else "", "Chat" if i % 5 == 0 else "",
             ["Yes", "No", "Yes"][i % 3]] for i in range(75)]
    data = tmp_path / "monkey.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([top, sub, *rows])
    study, site, said = _run(tmp_path, data)
    assert "3 columns 'Which channels do you use?' ... hold one option each: one " \
        "multiple-choice question" in said
    _every_question_shows_up(study, site)


def test_init_refuses_to_overwrite_without_force(tmp_path):
    data = tmp_path / "my_survey.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([HEADER, *_rows()])
    study = tmp_path / "study"
    args = ["init", str(study), "--from", str(data), "--no-workflow"]
    assert CliRunner().invoke(main, args).exit_code == 0
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "already exists; init will not overwrite it (give --force" \
        in r.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    r = CliRunner().invoke(main, [*args, "--force", "--id", "Nope"])
    assert r.exit_code == 1 and re.search(r"--id 'Nope': no such column", r.output)


def test_codes_and_labels_load_to_the_same_table(tmp_path):
    """An agreement question coded 1-5 with labels: the data may hold "5" or "Strongly
    agree", and both load as 5; an indicator may name its codes by label."""
    from rocsreport.pipeline import load

    root = tmp_path / "s"
    (root / "data").mkdir(parents=True)
    (root / "data" / "d.csv").write_text(
        "rid,q\nr1,5\nr2,Strongly agree\nr3,1\nr4,Strongly disagree\nr5, Agree \nr6,4\n")
    (root / "study.yaml").write_text("""\
title: Labels
synthetic: true
sources:
  s: {file: data/d.csv, id: rid}
questions:
  - {id: rid, type: id}
  - id: q
    type: likert
    wording: It works
    codes: {1: Strongly disagree, 2: Disagree, 3: Neither, 4: Agree, 5: Strongly agree}
indicators:
  agree: {label: Agree, question: q, numerator: [Agree, Strongly agree]}
""")
    study, result = load(root)
    assert study.indicator("agree").numerator == ("4", "5")
    import duckdb

    con = duckdb.connect(str(result.db), read_only=True)
    got = con.execute("SELECT rid, q FROM s ORDER BY rid").fetchall()
    con.close()
    assert got == [("r1", 5), ("r2", 5), ("r3", 1), ("r4", 1), ("r5", 4), ("r6", 4)]


def test_repeated_problems_are_one_line_with_the_fix(tmp_path):
    """600 rows holding labels for a scale coded by number: one line, with the count, the
    first lines and the fix, not 600 lines."""
    from rocsreport.pipeline import validate

    root = tmp_path / "s"
    (root / "data").mkdir(parents=True)
    rows = "".join(f"r{i},Strongly agree\n" for i in range(600))
    (root / "data" / "d.csv").write_text("rid,q\n" + rows + "r600,9\n")
    (root / "study.yaml").write_text("""\
title: Labels
synthetic: true
sources:
  s: {file: data/d.csv, id: rid}
questions:
  - {id: rid, type: id}
  - {id: q, type: likert, wording: It works, codes: [1, 2, 3, 4, 5]}
indicators:
  agree: {label: Agree, question: q, numerator: [4, 5]}
load: {max_reject_rate: 1}
""")
    problems = validate(root).problems
    assert len(problems) == 2, problems
    assert problems[0].startswith("data/d.csv, 600 rows (lines 2, 3, 4, 5, 6, …), column q: "
                                  "value 'Strongly agree' is not in the codebook")
    assert problems[0].endswith("; the data holds labels, not the codes: give each code its "
                                "label (codes: {1: Strongly disagree, 2: …}) and the labels "
                                "load as their codes")
    assert problems[1].startswith("data/d.csv, line 602, column q: value '9'")
    assert "holds labels" not in problems[1]


def test_an_spss_file(tmp_path):
    """SPSS: value labels become codes, an agreement scale's labels make it a scale with a
    top-two indicator, user-missing values become missing codes, a role is a breakdown."""
    pd = pytest.importorskip("pandas")
    pyreadstat = pytest.importorskip("pyreadstat")
    rows = _rows()
    df = pd.DataFrame({
        "respid": [r[0] for r in rows],
        "role": [float(ROLES.index(r[1]) + 1) for r in rows],
        "roi": [{"Yes": 1.0, "No": 2.0, "Don't know": 9.0}[r[2]] for r in rows],
        "cost": [9.0 if r[3] == "Prefer not to say" else float(AGREE.index(r[3]) + 1)
                 for r in rows],
        "nps": [float(r[5]) for r in rows],
        "comment": [r[6] for r in rows]})
    data = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        df, str(data),
        column_labels=["Respondent", "Which best describes your role?",
                       "Do you measure the return on service?", "We track cost to serve",
                       "How likely are you to recommend us?", "Any comments?"],
        variable_value_labels={
            "role": {1.0: "Manager", 2.0: "Agent", 3.0: "Team leader"},
            "roi": {1.0: "Yes", 2.0: "No", 9.0: "Don't know"},
            "cost": {**{float(k + 1): a for k, a in enumerate(AGREE)},
                     9.0: "Prefer not to say"}},
        missing_ranges={"roi": [9.0], "cost": [9.0]})
    study, site, said = _run(tmp_path, data)
    text = (study / "study.yaml").read_text()
    assert "'cost': a 5-point agreement scale from its value labels" in said
    assert "'role': proposed as a breakdown (3 groups)" in said
    assert "'roi': a single choice of 2 answers from its value labels; \"Don't know\" " \
        "missing" in said
    assert "# - 'comment': free text: counted, never shown" in text
    _every_question_shows_up(study, site)
    # By hand, as for the CSV: 100 answer the scale (20 are "Prefer not to say", user-missing
    # 9) and 40 of them agree or strongly agree.
    page = (site / "indicator-cost_top.html").read_text()
    assert "40%" in page and "n = 100" in page
    # Yes/No with "Don't know" missing: i % 4 in (0, 2) is Yes (60 of 120), 1 is No (30).
    page = (site / "indicator-roi_yes.html").read_text()
    assert "67%" in page and "n = 90" in page


def test_free_text_is_counted_and_report_false_is_listed(tmp_path):
    """A free-text question is a count of answers, never the text; a question with
    report: false gets no page and is listed as not reported."""
    data = tmp_path / "my_survey.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows([HEADER, *_rows()])
    study, site, _ = _run(tmp_path, data)
    text = (study / "study.yaml").read_text()
    assert "id: role\n" in text
    (study / "study.yaml").write_text(text.replace("id: role\n", "id: role\n  report: false\n"),
                                      encoding="utf-8")
    site2 = tmp_path / "site2"
    r = CliRunner().invoke(main, ["build", str(study), "--out", str(site2), "--no-pdf"])
    assert r.exit_code == 0, r.output
    assert (site / "question-role.html").is_file()
    assert not (site2 / "question-role.html").exists()
    method = (site2 / "methodology.html").read_text(encoding="utf-8")
    assert "Not reported (report: false in study.yaml)" in method
    # _rows: comments are "", "Fine" and "Comment i about service" in turn: 80 of 120.
    assert "Free text: 80 answers; the text itself is not published" in method
    for page in site2.rglob("*"):
        if page.is_file() and page.suffix in (".html", ".csv", ".json", ".js"):
            assert "about service" not in page.read_text(encoding="utf-8"), page


def test_scales_of_different_kinds_are_each_drawn(tmp_path):
    """A satisfaction scale and a quality scale: one diverging chart each (a chart has one
    legend, so the second scale drew no bars when they shared one), the page is "Rating
    scales", and the top-two line is named by the scale's own labels."""
    sat = ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied",
           "Satisfied", "Very satisfied"]
    quality = ["Poor", "Fair", "Good", "Very good", "Excellent"]
    rows = [["Respondent ID", "Satisfaction with our tools", "Quality of training"]]
    rows += [[f"R{i}", sat[i % 5], quality[(i * 2) % 5]] for i in range(100)]
    data = tmp_path / "scales.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    _, site, _ = _run(tmp_path, data)
    page = (site / "agreement.html").read_text(encoding="utf-8")
    assert "<h1" in page and ">Rating scales<" in page
    assert page.count('<figure class="chart">') == 2
    figures = page.split('<figure class="chart">')[1:]
    for fig, labels in zip(figures, (sat, quality), strict=True):
        alt = re.search(r"Diverging bar chart of answers from ([^.]+)\. ", fig).group(1)
        assert alt == f"{labels[0]} to {labels[-1]}"
        # Each of the five answers is drawn: 20 of 100 each, by construction.
        assert fig.count("20%") >= 5
    assert "Satisfied or very satisfied: <strong>40%</strong>" in page
    assert "Very good or excellent: <strong>40%</strong>" in page
    method = (site / "methodology.html").read_text(encoding="utf-8")
    assert method.count(">Rating scale</td>") == 2
