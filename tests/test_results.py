"""Estimates from the loaded data: weights, bases, multiple choice, gaps, disclosure."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from rocsreport import ingest
from rocsreport.results import analyse
from rocsreport.spec import load_study
from rocsreport.stats.proportions import z_value

from .conftest import rows_for


def report_for(root, tmp_path):
    study = load_study(root)
    result = ingest.load(study, tmp_path / "s.duckdb")
    con = ingest.open_db(result.db)
    try:
        return analyse(study, con, result.sources)
    finally:
        con.close()


def test_unweighted_cells_and_suppression(make_study, tmp_path):
    rows = rows_for({"A": (12, 28), "B": (20, 13), "Tiny": (4, 5)})
    rows[0]["ans"] = "Refused"  # a missing code: out of the base
    rep = report_for(make_study(rows), tmp_path)
    res = rep.indicator("yes_share")
    # Hand count: Yes = 11 + 20 + 4 = 35 of 81 answering (82 rows, one refused).
    assert (res.overall.n, res.overall.estimate) == (81, pytest.approx(35 / 81, abs=1e-15))
    lo, hi = proportion_confint(35, 81, method="wilson")
    assert (res.overall.ci_low, res.overall.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    cells = {c.group: c for c in res.by[0].cells}
    assert cells["A"].n == 39 and cells["A"].estimate == pytest.approx(11 / 39)
    tiny = cells["Tiny"]  # n = 9 < 10: withheld, with no numbers at all
    assert tiny.suppressed and (tiny.n, tiny.estimate, tiny.ci_low, tiny.ci_high,
                                tiny.effective_n) == (None,) * 5
    # Secondary suppression: with "All" published, Tiny = All - A - B, so the smallest other
    # group (B, n = 33) is withheld too.
    assert cells["B"].suppressed and cells["B"].secondary and cells["B"].n is None
    assert not cells["A"].suppressed


def test_secondary_suppression_picks_the_smallest_published_cell():
    from rocsreport.stats.disclosure import secondary

    # Hand-worked: one suppressed part beside its total -> the smallest other part goes too.
    assert secondary([("a", 40, False), ("b", 12, False), ("c", 7, True), ("d", 12, False)]) \
        == {"b"}
    # Two suppressed parts cannot be told apart by subtraction: nothing more to do.
    assert secondary([("a", 40, False), ("c", 7, True), ("d", 3, True)]) == set()
    assert secondary([("a", 40, False), ("b", 30, False)]) == set()


def test_gap_is_newcombe_and_z_with_bh(make_study, tmp_path):
    rep = report_for(make_study(rows_for({"A": (30, 15), "B": (30, 50)})), tmp_path)
    g = rep.gaps[0]
    assert g.test == "z"
    assert g.diff == pytest.approx(30 / 45 - 30 / 80, abs=1e-15)
    assert g.p_value == pytest.approx(proportions_ztest([30, 30], [45, 80])[1], abs=1e-12)
    assert g.p_adjusted == pytest.approx(g.p_value)  # one test: BH leaves it unchanged
    assert g.significant


def test_weighted_proportion_uses_kish_effective_n(make_study, tmp_path):
    rows = rows_for({"A": (15, 25), "B": (10, 30)})
    for k, r in enumerate(rows):
        r["w"] = ["0.5", "1", "2.5"][k % 3]
    rep = report_for(make_study(rows, weight=True), tmp_path)
    e = rep.indicator("yes_share").overall
    # Hand calculation from the rows as written.
    w = [float(r["w"]) for r in rows]
    y = [1.0 if r["ans"] == "Yes" else 0.0 for r in rows]
    sw, sw2 = sum(w), sum(x * x for x in w)
    p = sum(a * b for a, b in zip(w, y, strict=True)) / sw
    neff = sw * sw / sw2
    z = z_value()
    centre = (p + z * z / (2 * neff)) / (1 + z * z / neff)
    half = z / (1 + z * z / neff) * math.sqrt(p * (1 - p) / neff + z * z / (4 * neff * neff))
    assert e.n == 80
    assert e.estimate == pytest.approx(p, abs=1e-12)
    assert e.effective_n == pytest.approx(neff, abs=1e-9)
    assert (e.ci_low, e.ci_high) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_multiple_choice_base_is_respondents_not_answers(make_study, tmp_path):
    rows = rows_for({"A": (20, 20)})
    for k, r in enumerate(rows):
        r["tools"] = ["x;y", "x", "y", "dk"][k % 4]  # 10 each; "dk" is a missing code
    rep = report_for(make_study(rows), tmp_path)
    m = rep.multis[0]
    shares = {o.code: o.overall for o in m.options}
    # Base: 30 respondents with a valid answer; x chosen by 20, y by 20 (answers total 40).
    assert m.base.n == 30
    assert shares["x"].estimate == pytest.approx(20 / 30)
    assert shares["y"].estimate == pytest.approx(20 / 30)
    assert shares["none"].estimate == 0.0 and shares["none"].n == 30


def test_example_likert_and_nps_against_a_count_of_the_csv(tmp_path):
    # Independent source: the example CSV counted with the csv module.
    import csv

    from .conftest import EXAMPLE

    with (EXAMPLE / "data" / "executives.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rep = report_for(EXAMPLE, tmp_path)
    answered = [r for r in rows if r["vision_link"] != "9"]
    agree = [r for r in answered if r["vision_link"] in ("4", "5")]
    vision = next(it for it in rep.likert if it.question.id == "vision_link")
    assert vision.top2.n == len(answered) == 122
    assert vision.top2.estimate == pytest.approx(len(agree) / len(answered), abs=1e-15)
    scores = [int(r["vision_link"]) for r in answered]
    assert vision.mean.estimate == pytest.approx(sum(scores) / len(scores), abs=1e-12)
    rec = [int(r["recommend"]) for r in rows]
    nps = rep.numbers[0].nps[0]
    promoters = sum(x >= 9 for x in rec) / len(rec)
    detractors = sum(x <= 6 for x in rec) / len(rec)
    assert nps.score.estimate == pytest.approx(100 * (promoters - detractors), abs=1e-9)
    roi = rep.indicator("roi_not_measured").overall
    assert (roi.n, roi.estimate) == (125, pytest.approx(50 / 125))
    cost = rep.indicator("cost_not_measured").overall
    assert (cost.n, cost.estimate) == (125, pytest.approx(35 / 125))


def test_crosstab_letters_and_rao_scott(make_study, tmp_path):
    rows = rows_for({"A": (30, 10), "B": (5, 35), "Tiny": (4, 16)})
    root = make_study(rows)
    with (root / "study.yaml").open("a") as f:
        f.write("crosstabs:\n  - {rows: ans, columns: grp}\n")
    rep = report_for(root, tmp_path)
    ct = rep.crosstabs[0]
    assert ct.letters == ("A", "B", "C") and ct.row_labels == ("Yes", "No")
    yes, no = ct.cells
    # Hand count: Yes is 30/40 in A, 5/40 in B, 4/20 in Tiny.
    assert [c.share for c in yes] == pytest.approx([0.75, 0.125, 0.2])
    assert [c.n for c in yes] == [30, 5, 4]
    # A is far above B and C on Yes (t about 7 and 4.9); B and C (12.5% and 20%) do not
    # differ. On No, B and C are above A.
    assert [c.letters for c in yes] == ["BC", "", ""]
    assert [c.letters for c in no] == ["", "A", "A"]
    assert ct.correction == "Bonferroni across the 3 pairs of columns in each row"
    assert ct.test is not None and ct.test.p_value < 0.001 and ct.test.ndf > 1
