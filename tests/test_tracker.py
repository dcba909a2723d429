"""The ROCS tracker: control limits and run rules against hand calculations, the intervals
against scipy, statsmodels and R, the example's planted patterns found exactly, and a bad
``tracker:`` section reported by key path."""

from __future__ import annotations

import csv
import math
import shutil

import pytest
from scipy import stats as sps

from rocsreport.errors import SpecError
from rocsreport.spec import load_study
from rocsreport.stats.spc import (
    OUTSIDE,
    RUN,
    Limits,
    p_chart,
    poisson_ci,
    rate_ratio_ci,
    signals,
    welch,
    xmr_chart,
)
from rocsreport.synth_tracker import MEASURES, rocs_tracker

from .conftest import ROOT

EXAMPLE = ROOT / "surveys" / "rocs-tracker"


# --- limits and rules, by hand ---------------------------------------------------------------

def test_p_chart_limits_by_hand():
    # Montgomery, Introduction to Statistical Quality Control (7th ed.), 7.2.2, variable n:
    # p̄ = Σx/Σn over the baseline; limits p̄ ± 3·sqrt(p̄(1 − p̄)/n_i), kept in [0, 1].
    # Baseline: 10/100, 12/120, 8/80 -> p̄ = 30/300 = 0.1.
    c = p_chart([10, 12, 8, 15], [100, 120, 80, 100], baseline=3)
    assert c.centre == pytest.approx(0.1, abs=1e-15)
    # n = 100: 3 * sqrt(0.1 * 0.9 / 100) = 3 * 0.03 = 0.09.
    assert (c.lower[0], c.upper[0]) == pytest.approx((0.01, 0.19), abs=1e-15)
    # n = 120: 3 * sqrt(0.09 / 120) = 0.0821583...
    assert c.upper[1] == pytest.approx(0.1 + 3 * math.sqrt(0.09 / 120), abs=1e-15)
    # n = 80: 3 * sqrt(0.09 / 80) = 0.100623... > p̄, so the lower limit is 0.
    assert c.lower[2] == 0.0 and c.upper[2] == pytest.approx(0.200623059, abs=1e-9)
    # 15/100 = 0.15 is inside (0.01, 0.19): no signal.
    assert signals([0.1, 0.1, 0.1, 0.15], c) == []
    assert [(s.index, s.rule, s.direction) for s in signals([0.1, 0.1, 0.1, 0.2], c)] == [
        (3, OUTSIDE, +1)]


def test_xmr_limits_by_hand():
    # Wheeler, Understanding Variation, ch. 5: x̄ ± 2.66 · m̄R over the baseline.
    # Baseline 10, 12, 11, 13, 12: x̄ = 58/5 = 11.6; moving ranges 2, 1, 2, 1 -> m̄R = 1.5;
    # 2.66 * 1.5 = 3.99: limits 7.61 and 15.59.
    c = xmr_chart([10, 12, 11, 13, 12, 20, 7], baseline=5)
    assert c.centre == pytest.approx(11.6, abs=1e-12)
    assert c.moving_range == pytest.approx(1.5, abs=1e-12)
    assert (c.lower[0], c.upper[0]) == pytest.approx((7.61, 15.59), abs=1e-12)
    got = [(s.index, s.rule, s.direction) for s in signals([10, 12, 11, 13, 12, 20, 7], c)]
    assert got == [(5, OUTSIDE, +1), (6, OUTSIDE, -1)]
    # A withheld baseline value is left out; the moving range joins its neighbours:
    # 10, 11, 13 -> ranges 1, 2 -> m̄R 1.5, x̄ 34/3.
    c = xmr_chart([10, None, 11, 13, 12], baseline=4)
    assert (c.centre, c.moving_range) == pytest.approx((34 / 3, 1.5), abs=1e-12)


def test_run_of_eight_by_hand():
    # Western Electric rule 4 / Nelson rule 2: the 8th of 8 successive points on one side of
    # the centre line fires, and every later one while the run lasts.
    def chart(n):  # centre 1, limits -4 and 6: only the run rule can fire
        return Limits("xmr", 1.0, (-4.0,) * n, (6.0,) * n, 0)

    vals = [1.5] * 9 + [0.5]
    got = [(s.index, s.rule, s.direction) for s in signals(vals, chart(10))]
    assert got == [(7, RUN, +1), (8, RUN, +1)]
    # A point on the centre line ends the run; so does a withheld point.
    assert signals([1.5] * 7 + [1.0] + [1.5] * 7, chart(15)) == []
    assert signals([1.5] * 4 + [None] + [1.5] * 7, chart(12)) == []
    below = signals([0.5] * 8, chart(8))
    assert [(s.index, s.direction) for s in below] == [(7, -1)]


# --- intervals against scipy, statsmodels and R ----------------------------------------------

def test_welch_matches_scipy():
    # Source: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval().
    # Tolerance 1e-10.
    a = [5.1, 6.3, 7.2, 6.8, 5.9, 6.6, 7.4, 6.1]
    b = [4.2, 5.0, 5.9, 4.8, 5.3, 6.1, 4.4]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / (len(a) - 1)
    vb = sum((x - mb) ** 2 for x in b) / (len(b) - 1)
    d, lo, hi, df, p = welch(ma, va, len(a), mb, vb, len(b))
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert d == pytest.approx(ma - mb, rel=1e-12)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert df == pytest.approx(ref.df, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)


def test_poisson_intervals_match_r():
    # Source: R 4.2, poisson.test(10)$conf.int; poisson.test(0)$conf.int;
    # poisson.test(c(25, 40), c(5000, 6000)): estimate, conf.int, p.value. Tolerance 1e-12.
    assert poisson_ci(10) == pytest.approx((4.79538869613243, 18.39035604201778), rel=1e-12)
    assert poisson_ci(0) == pytest.approx((0.0, 3.68887945411394), rel=1e-12)
    ratio, lo, hi, p = rate_ratio_ci(25, 5000, 40, 6000)
    assert ratio == pytest.approx(0.75, rel=1e-12)
    assert (lo, hi) == pytest.approx((0.436071980420167, 1.266954462566688), rel=1e-12)
    assert p == pytest.approx(0.265558070815001, rel=1e-12)


# --- the example -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    from rocsreport.pipeline import compute

    root = tmp_path_factory.mktemp("rocs") / "rocs-tracker"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".rocsreport"))
    report, _ = compute(root)
    return report.tracker


def test_the_example_data_is_what_the_script_writes(tmp_path):
    rocs_tracker(tmp_path / "again")
    for f in ("pulse.csv", "staff.csv", "business.csv"):
        assert (tmp_path / "again" / "data" / f).read_bytes() == \
            (EXAMPLE / "data" / f).read_bytes(), f
    assert (tmp_path / "again" / "study.yaml").read_text() == \
        (EXAMPLE / "study.yaml").read_text()


def test_the_planted_patterns_are_found_exactly(tracker):
    verdict = {"sustained": "held", "fades": "faded", "flat": "none", "noise": "none"}
    by_measure = {a.measures[0].measure.question: a for a in tracker.areas}
    for column, _kind, _base, focus, pattern, _effect in MEASURES:
        a = by_measure[column]
        m = a.measures[0]
        assert a.focus == focus, column
        assert m.verdict == verdict[pattern], (column, m.verdict)
        programme = [s for s in m.signals if m.points[s.index].cycle > 0]
        if pattern in ("flat", "noise"):
            assert programme == [], (column, programme)
        else:
            # Every programme signal is an improvement, and none comes before the focus.
            assert all(m.improving(s) and m.points[s.index].cycle > focus
                       for s in programme), column
        # No chance signal in the baseline year.
        assert not [s for s in m.signals if m.points[s.index].cycle <= 0], column


def test_the_single_noisy_cycle_is_refused(tracker):
    from rocsreport import trackwords as tw

    col, _k, _base, focus, _pattern, _effect = next(m for m in MEASURES if m[4] == "noise")
    a = next(a for a in tracker.areas if a.measures[0].measure.question == col)
    m = a.measures[0]
    spike = m.point(focus + 1)
    # The cycle after the focus is the highest after it, well above the one before...
    assert m.highest_after.cycle == focus + 1
    assert spike.value - m.point(focus).value > 0.04
    # ...yet inside the upper limit: no rule fires, and the words say so.
    assert spike.value < m.upper(focus + 1) and m.state(focus + 1) == "within"
    assert "noise, not progress" in tw.measure_sentence(tracker, m)
    lines = tw.findings(tracker)
    assert any(a.area.label in line and "noise, not progress" in line for line in lines)
    assert lines[0].startswith("8 of 15 areas improved beyond their normal variation after "
                               "their focus cycle; 2 later fell back")


def test_before_after_matches_statsmodels(tracker):
    # Source: statsmodels confint_proportions_2indep(method="newcomb") on the pooled counts,
    # and scipy's Welch test on the staff answers (from the example's CSV). Tolerance 1e-9.
    from statsmodels.stats.proportion import confint_proportions_2indep

    a = tracker.area("first_contact")
    ba = a.measures[0].before_after
    x1, x0 = round(ba.after * ba.after_n), round(ba.before * ba.before_n)
    lo, hi = confint_proportions_2indep(x1, ba.after_n, x0, ba.before_n, method="newcomb",
                                        compare="diff")
    assert (ba.ci_low, ba.ci_high) == pytest.approx((lo, hi), rel=1e-9)

    s = tracker.area("staff_confidence")
    ba = s.measures[0].before_after
    import datetime as dt

    before, after = [], []
    with (EXAMPLE / "data" / "staff.csv").open() as f:
        for row in csv.DictReader(f):
            c = (dt.date.fromisoformat(row["fielded"]) - dt.date(2025, 1, 6)).days // 21 + 1
            (before if c < s.focus else after if c > s.focus else []).append(
                float(row["confidence"]))
    ref = sps.ttest_ind(after, before, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (ba.after_n, ba.before_n) == (len(after), len(before))
    assert (ba.ci_low, ba.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert ba.p_value == pytest.approx(ref.pvalue, rel=1e-6)


def test_year_on_year_matches_r_and_scipy(tracker):
    # Source: the rate ratio by R's poisson.test method (checked above against R), here
    # recomputed with scipy's binomtest on the example's sums; the other metrics by scipy's
    # Welch test on the 12 monthly values of each year. Tolerance 1e-9.
    rows = list(csv.DictReader((EXAMPLE / "data" / "business.csv").open()))
    before = [r for r in rows if r["month"].startswith("2024")]
    after = [r for r in rows if r["month"].startswith("2025")]
    y = {m.key: m for m in tracker.year}
    xb = sum(int(r["complaints"]) for r in before)
    xa = sum(int(r["complaints"]) for r in after)
    tb = sum(int(r["customers"]) for r in before)
    ta = sum(int(r["customers"]) for r in after)
    c = y["complaints"]
    assert c.before == pytest.approx(1000 * xb / tb, rel=1e-12)
    assert c.change == pytest.approx((xa / ta) / (xb / tb), rel=1e-12)
    assert c.p_value == pytest.approx(sps.binomtest(xa, xa + xb, ta / (ta + tb)).pvalue,
                                      rel=1e-9)
    ref = sps.ttest_ind([float(r["average_sale"]) for r in after],
                        [float(r["average_sale"]) for r in before], equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (y["average_sale"].ci_low, y["average_sale"].ci_high) == pytest.approx(
        (ci.low, ci.high), rel=1e-9)
    # A year's sales: 12 times the interval of the monthly means.
    ref = sps.ttest_ind([float(r["sales"]) for r in after], [float(r["sales"]) for r in before],
                        equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (y["sales"].ci_low, y["sales"].ci_high) == pytest.approx(
        (12 * ci.low, 12 * ci.high), rel=1e-9)
    assert "customers" not in y  # the exposure of the rate, not one of Belding's four


def test_a_withheld_cycle_enters_no_published_figure(tmp_path):
    """Cut one cycle of the pulse survey to 5 answers: that cycle is withheld, and the pooled
    before/after and the limits are exactly those computed without it."""
    from rocsreport.pipeline import compute

    root = tmp_path / "rocs"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".rocsreport"))
    path = root / "data" / "pulse.csv"
    lines = path.read_text().splitlines()
    keep, seen = [lines[0]], 0
    for line in lines[1:]:
        if "2024-03-18" <= line.split(",")[1] <= "2024-04-07":  # cycle -13
            seen += 1
            if seen > 5:
                continue
        keep.append(line)
    path.write_text("\n".join(keep) + "\n")
    t = compute(root)[0].tracker
    m = t.area("first_contact").measures[0]
    assert m.point(-13).suppressed and m.point(-13).value is None
    # Without the cycle at all:
    (root / "data" / "pulse.csv").write_text("\n".join(
        [lines[0]] + [ln for ln in lines[1:]
                      if not "2024-03-18" <= ln.split(",")[1] <= "2024-04-07"]) + "\n")
    t2 = compute(root)[0].tracker
    m2 = t2.area("first_contact").measures[0]
    assert m.limits.centre == m2.limits.centre
    assert m.before_after.before_n == m2.before_after.before_n
    assert m.before_after.before == m2.before_after.before
    # ...and the build publishes no figure of it.
    from rocsreport.tables import tracker_csv_files

    (root / "data" / "pulse.csv").write_text("\n".join(keep) + "\n")
    report = compute(root)[0]
    text = dict((n, t) for n, _, t in tracker_csv_files(report))["tracker-cycles.csv"]
    row = next(r for r in csv.DictReader(text.splitlines())
               if r["area"] == "first_contact" and r["cycle"] == "-13")
    assert (row["n"], row["estimate"], row["lower_limit"], row["suppressed"]) == \
        ("", "", "", "True")


# --- a bad tracker: section ------------------------------------------------------------------

def _study(tmp_path, old: str, new: str):
    root = tmp_path / "s"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".rocsreport"))
    text = (root / "study.yaml").read_text()
    assert old in text
    (root / "study.yaml").write_text(text.replace(old, new))
    return root


def test_an_area_naming_an_unknown_indicator(tmp_path):
    root = _study(tmp_path, "measures: [on_time_yes]", "measures: [on_time_ys]")
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert "study.yaml: tracker.areas.on_time.measures[0]: unknown indicator 'on_time_ys' " \
        "(expected an indicator: " in exc.value.message


def test_a_schedule_longer_than_the_data(tmp_path):
    from rocsreport.pipeline import compute

    root = _study(tmp_path, "    start: 2025-01-06", "    start: 2025-07-07")
    with pytest.raises(SpecError) as exc:
        compute(root)
    assert exc.value.message == (
        "study.yaml: tracker.schedule.focus: 15 focus cycles, but the data ('fielded') "
        "reaches cycle 9: the schedule is longer than the data")


def test_a_metric_period_missing(tmp_path):
    from rocsreport.pipeline import compute

    root = _study(tmp_path, "before: {from: 2024-01, to: 2024-12}",
                  "before: {from: 2023-12, to: 2024-11}")
    with pytest.raises(SpecError) as exc:
        compute(root)
    assert exc.value.message == (
        "study.yaml: tracker.metrics.before: period(s) 2023-12 have no row in "
        "data/business.csv (source 'business', column 'month'); every declared period needs "
        "its row")


def test_every_tracker_problem_is_named_by_key_path(tmp_path):
    root = _study(tmp_path, "    cycle_weeks: 3",
                  "    cycle_weeks: 0\n    focus: [award, nope, award]")
    text = (root / "study.yaml").read_text().replace(
        "reward: recognition, measures: [heard_good_yes]",
        "reward: fame, measures: [heard_good_yes]")
    (root / "study.yaml").write_text(text.replace("wave: fielded", "wave: recommend_x"))
    with pytest.raises(SpecError) as exc:
        load_study(root)
    msgs = exc.value.problems
    assert any(m.startswith("study.yaml: tracker.wave: unknown question 'recommend_x'")
               for m in msgs)
    assert "study.yaml: tracker.schedule.cycle_weeks: expected a whole number of weeks, got 0" \
        in msgs
    assert any(m.startswith("study.yaml: tracker.areas.reputation.reward: unknown reward 'fame'")
               for m in msgs)
    assert any(m.startswith("study.yaml: tracker.schedule.focus[1]: unknown area 'nope'")
               for m in msgs)
    assert ("study.yaml: tracker.schedule.focus[2]: area 'award' is in focus twice (cycles 1 "
            "and 3); each area has one focus cycle") in msgs


def test_a_small_tracker_with_cycle_numbers_builds_from_the_readme(tmp_path):
    """A study written from the README: the wave is a cycle number, one area, no business
    metrics. Cycle 3 of 'served' jumps to 90% against a baseline of 50% (n = 40 a cycle):
    p̄ = 0.5, limits 0.5 ± 3·sqrt(0.25/40) = 0.5 ± 0.237, so 0.9 is beyond the upper limit."""
    from rocsreport.pipeline import build

    root = tmp_path / "mini"
    (root / "data").mkdir(parents=True)
    shares = {-3: 20, -2: 21, -1: 19, 0: 20, 1: 20, 2: 21, 3: 36, 4: 35}
    rows = ["rid,cycle,served"]
    for c, yes in shares.items():
        rows += [f"r{c}_{k},{c},{'Yes' if k < yes else 'No'}" for k in range(40)]
    (root / "data" / "pulse.csv").write_text("\n".join(rows) + "\n")
    (root / "study.yaml").write_text("""\
title: Mini tracker
synthetic: true
unit: customers
sources:
  pulse: {file: data/pulse.csv, id: rid}
questions:
  - {id: rid, type: id}
  - {id: cycle, type: number, wording: Cycle}
  - {id: served, type: single, wording: "Were you served well?", codes: ["Yes", "No"]}
indicators:
  served_yes: {label: Served well, question: served, numerator: ["Yes"]}
tracker:
  wave: cycle
  areas:
    service: {label: Good service, reward: repeat, measures: [served_yes]}
""")
    result = build(root, tmp_path / "site", None, make_pdf=False)
    t = result.report.tracker
    m = t.area("service").measures[0]
    assert t.cycles == (-3, -2, -1, 0, 1, 2, 3, 4) and m.focus == 1
    assert m.limits.centre == pytest.approx(80 / 160, abs=1e-15)
    assert m.upper(3) == pytest.approx(0.5 + 3 * math.sqrt(0.25 / 40), abs=1e-15)
    assert [(m.points[s.index].cycle, s.rule) for s in m.signals] == [(3, OUTSIDE),
                                                                       (4, OUTSIDE)]
    assert m.verdict == "held"
    assert (tmp_path / "site" / "area-service.html").is_file()
    assert not (tmp_path / "site" / "year-on-year.html").exists()


def test_a_bad_date_is_rejected_with_its_file_row_column_and_value(tmp_path):
    from rocsreport.pipeline import validate

    root = tmp_path / "rocs"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".rocsreport"))
    path = root / "data" / "pulse.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "2025-13-40", 1)
    path.write_text("\n".join(lines) + "\n")
    problems = validate(root).problems
    assert len(problems) == 1, problems
    msg = problems[0]
    assert "data/pulse.csv" in msg and "line 4" in msg and "fielded" in msg
    assert "'2025-13-40'" in msg and "expected a date written YYYY-MM-DD" in msg


def test_a_weighted_source_is_refused(tmp_path):
    root = _study(tmp_path, "    id: response_id", "    id: response_id\n    weight: recommend")
    with pytest.raises(SpecError) as exc:
        load_study(root)
    assert any("tracker.areas.first_contact.measures: 'first_contact_yes' is answered in "
               "source 'pulse', which is weighted ('recommend')" in p
               for p in exc.value.problems)
