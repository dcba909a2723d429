"""What `rocsreport stats --format json` publishes for every estimate (standard error, degrees
of freedom, design effect, CV, totals, quantiles with intervals), end to end from study.yaml,
against R's survey package (survey 4.1-1, tests/reference/survey_reference.R: the cases
p_design, p_cluster2, p_weights, p_raked, p_raked_fixed, p_jk1 and ties) and, for a study with
no design and no weights, against scipy and the binomial formula.

Each reference dataset is copied into a study folder with fresh respondent ids. Domains are
R's subsets (``subset(des, grp == g)``). Tolerance: relative 1e-6 unless stated.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy import stats as sps

from rocsreport.cli import main

REF = Path(__file__).resolve().parent / "reference"
REL = 1e-6


def _ref() -> dict[tuple[str, str, str], float]:
    with (REF / "survey_reference.csv").open() as f:
        return {(r["case"], r["stat"], r["key"]): float(r["value"]) for r in csv.DictReader(f)}


R = _ref()

RAKE = """rake:
  {variance}margins:
    region: {{North: 3000, Midlands: 2500, South: 4500}}
    age: {{18-34: 2800, 35-54: 3600, 55+: 3600}}"""

# case: (dataset, the study's weighting keys, declares totals)
CASES = {
    "p_srs": ("rake", "", False),
    "p_weights": ("rake", "design: {weight: w}", True),
    "p_design": ("stratified", "design: {weight: w, strata: h, fpc: fpc1}", True),
    "p_cluster2": ("cluster2", "design: {weight: w, strata: h, cluster: [psu, ssu], "
                               "fpc: [fpc1, fpc2]}", True),
    "p_raked": ("rake", "design: {weight: w}\n" + RAKE.format(variance=""), True),
    "p_raked_fixed": ("rake", "design: {weight: w}\n" + RAKE.format(variance="variance: fixed\n  "),
                      True),
    "p_jk1": ("jk1", 'design:\n  weight: w\n  replicate: {type: JK1, weights: "rw*"}', True),
}


def _study(root: Path, case: str) -> Path:
    data, weighting, totals = CASES[case]
    (root / "data").mkdir(parents=True)
    with (REF / "data" / f"{data}.csv").open() as f:
        rows = list(csv.DictReader(f))
    with (root / "data" / "r.csv").open("w", newline="") as f:
        out = csv.DictWriter(f, list(rows[0]))
        out.writeheader()
        out.writerows({**r, "id": f"r{k:05d}"} for k, r in enumerate(rows))
    total = ", measure: total" if totals else ""
    if data == "jk1":
        others = "\n".join(f"  - {{id: rw{k}, type: number, wording: Replicate {k}}}"
                           for k in range(1, 41))
    else:
        others = """\
  - {id: h, type: text, wording: Stratum}
  - {id: psu, type: text, wording: PSU}
  - {id: ssu, type: text, wording: SSU}
  - {id: fpc1, type: number, wording: First-stage population}
  - {id: fpc2, type: number, wording: Second-stage population}
  - {id: region, type: single, wording: Region, codes: [North, Midlands, South]}
  - {id: age, type: single, wording: Age, codes: [18-34, 35-54, 55+]}"""
    (root / "study.yaml").write_text(f"""\
title: Precision, {case}
synthetic: true
disclosure: {{suppress_below: 1, flag_below: 1}}
sources:
  r: {{file: data/r.csv, id: id}}
questions:
  - {{id: id, type: id}}
  - {{id: w, type: number, wording: Weight}}
  - {{id: y, type: number, wording: Score{total}}}
  - {{id: "yes", type: single, wording: Yes or no, codes: ["Yes", "No"]}}
  - {{id: grp, type: single, wording: Group, codes: [A, B, C]}}
{others}
indicators:
  yes_share: {{label: Say yes, question: "yes", numerator: ["Yes"]{total}}}
breakdowns:
  grp: {{label: Group, question: grp}}
{weighting}
""")
    return root


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    base = tmp_path_factory.mktemp("precision")
    return {case: _study(base / case, case) for case in CASES}


def stats(root: Path, name: str, measure: str) -> list[dict]:
    out = CliRunner().invoke(main, ["stats", str(root), name, "--by", "grp", "--measure",
                                    measure, "--format", "json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _key(row: dict) -> str:
    return "All" if row["breakdown"] == "all" else row["group"]


# (indicator or question, --measure, R's statistic)
MEASURES = [("yes_share", "proportion", "prop"), ("y", "mean", "mean"),
            ("yes_share", "total", "count"), ("y", "total", "total")]


@pytest.mark.parametrize("case", [c for c in CASES if c != "p_srs"])
@pytest.mark.parametrize(("name", "measure", "stat"), MEASURES)
def test_se_df_deff_and_cv_match_r(studies, case, name, measure, stat):
    rows = stats(studies[case], name, measure)
    assert [_key(r) for r in rows] == ["All", "A", "B", "C"]
    for r in rows:
        k = _key(r)
        assert r["measure"] == measure
        assert r["estimate"] == pytest.approx(R[(case, stat, k)], rel=REL), k
        assert r["se"] == pytest.approx(R[(case, f"{stat}_se", k)], rel=REL), k
        # deff = "replace": against simple random sampling with replacement of the same size
        assert r["deff"] == pytest.approx(R[(case, f"{stat}_deff", k)], rel=REL), k
        assert r["df"] == R[(case, "degf", k)], k  # degf(des): of the subset in a domain
        assert r["cv"] == pytest.approx(r["se"] / abs(r["estimate"]), rel=1e-12)
        if measure != "proportion":
            # the t interval on the design's degrees of freedom (confint(..., df = degf(des)))
            t = sps.t.ppf(0.975, r["df"])
            assert r["ci_low"] == pytest.approx(r["estimate"] - t * r["se"], rel=REL)
            assert r["ci_high"] == pytest.approx(r["estimate"] + t * r["se"], rel=REL)
            assert r["interval"] == "t"
        else:
            assert r["interval"] == "logit"  # svyciprop(method = "logit")


@pytest.mark.parametrize("case", ["p_design", "p_cluster2", "p_weights", "p_raked",
                                  "p_raked_fixed", "p_srs"])
def test_quantiles_by_domain_with_woodruff_intervals_match_r(studies, case):
    rows = stats(studies[case], "y", "quantiles")
    assert len(rows) == 12 and {r["measure"] for r in rows} == {"quantile"}
    for r in rows:
        k = f"{_key(r)} {r['probability']!r}"
        for field, stat in (("estimate", "quantile"), ("ci_low", "quantile_low"),
                            ("ci_high", "quantile_high"), ("se", "quantile_se")):
            assert r[field] == pytest.approx(R[(case, stat, k)], rel=REL), (k, field)
        assert r["df"] == R[(case, "degf", _key(r))]


def test_raking_variance_allows_for_the_raking_unless_fixed(studies):
    # The calibrated SE is below the fixed-weights SE, as for R's rake() design.
    cal = {_key(r): r["se"] for r in stats(studies["p_raked"], "y", "mean")}
    fixed = {_key(r): r["se"] for r in stats(studies["p_raked_fixed"], "y", "mean")}
    assert cal["All"] < fixed["All"]
    assert cal["All"] == pytest.approx(R[("p_raked", "mean_se", "All")], rel=REL)
    assert fixed["All"] == pytest.approx(R[("p_raked_fixed", "mean_se", "All")], rel=REL)


def test_a_study_with_no_design_publishes_the_classical_precision(studies):
    """No design, no weights: the mean's SE is s / sqrt(n) on n - 1 df (scipy.stats.sem and
    the t interval), the proportion's SE the binomial sqrt(p(1 - p) / n) that its Wilson
    interval uses, and the design effect 1 (Kish's, equal weights). Tolerance 1e-9."""
    with (REF / "data" / "rake.csv").open() as f:
        data = list(csv.DictReader(f))
    groups = {"All": data, **{g: [r for r in data if r["grp"] == g] for g in "ABC"}}
    for r in stats(studies["p_srs"], "y", "mean"):
        ys = [float(x["y"]) for x in groups[_key(r)]]
        n = len(ys)
        assert r["n"] == n and r["df"] == n - 1 and r["deff"] == pytest.approx(1, rel=1e-12)
        assert r["se"] == pytest.approx(sps.sem(ys), rel=1e-9)
        t = sps.t.ppf(0.975, n - 1)
        assert r["ci_low"] == pytest.approx(sum(ys) / n - t * sps.sem(ys), rel=1e-9)
    for r in stats(studies["p_srs"], "yes_share", "proportion"):
        rows = groups[_key(r)]
        n, p = len(rows), sum(x["yes"] == "Yes" for x in rows) / len(rows)
        assert r["estimate"] == pytest.approx(p, rel=1e-12)
        assert r["se"] == pytest.approx(math.sqrt(p * (1 - p) / n), rel=1e-9)
        assert r["df"] is None and r["interval"] == "wilson"
        assert r["deff"] == pytest.approx(1, rel=1e-12)
    # The overall mean's SE is R's too (svydesign(ids = ~1) with no weights).
    overall = stats(studies["p_srs"], "y", "mean")[0]
    assert overall["se"] == pytest.approx(R[("p_srs", "mean_se", "All")], rel=REL)


def test_the_quality_flag_follows_the_studys_cv_limits(tmp_path, studies):
    # The counts of "yes" have CVs of 4% to 10%: graded once the limits are tightened.
    root = tmp_path / "limits"
    shutil.copytree(studies["p_design"], root)
    text = (root / "study.yaml").read_text()
    (root / "study.yaml").write_text(text + "precision: {cv_caution: 0.03, cv_unreliable: 0.096}\n")
    rows = {_key(r): r for r in stats(root, "yes_share", "total")}
    for r in rows.values():
        want = ("unreliable" if r["cv"] > 0.096 else "caution" if r["cv"] > 0.03 else "")
        assert r["quality"] == want
    assert {r["quality"] for r in rows.values()} == {"caution", "unreliable"}
    default = {_key(r): r["quality"] for r in stats(studies["p_design"], "yes_share", "total")}
    assert set(default.values()) == {""}  # every CV is below 20%


def test_tied_quantile_intervals_match_r(tmp_path):
    """The values 1 to 10, each weighted 0.7: R's estimates 2, 3, 4, 5, 5, 7 and its Woodruff
    intervals, with an end beyond the data given as missing (R's NaN)."""
    root = tmp_path / "ties"
    (root / "data").mkdir(parents=True)
    (root / "data" / "t.csv").write_text(
        "id,x,w,odd\n" + "".join(f"t{k},{k},0.7,{'Yes' if k % 2 else 'No'}\n"
                                  for k in range(1, 11)))
    (root / "study.yaml").write_text("""\
title: Ties
synthetic: true
disclosure: {suppress_below: 1, flag_below: 1}
sources:
  t: {file: data/t.csv, id: id}
questions:
  - {id: id, type: id}
  - {id: w, type: number, wording: Weight}
  - {id: x, type: number, wording: Value, quantiles: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}
  - {id: odd, type: single, wording: Odd, codes: ["Yes", "No"]}
indicators:
  odd: {label: Odd, question: odd, numerator: ["Yes"]}
design: {weight: w}
""")
    out = CliRunner().invoke(main, ["stats", str(root), "x", "--measure", "quantiles",
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["estimate"] for r in rows] == [2, 3, 4, 5, 5, 7]
    for r in rows:
        p = f"{r['probability']:g}"
        for field, stat in (("ci_low", "quantile_low"), ("ci_high", "quantile_high")):
            want = R[("ties", stat, p)]
            if math.isnan(want):
                assert r[field] is None, (p, field)
            else:
                assert r[field] == pytest.approx(want, rel=REL), (p, field)


def test_stats_says_which_measures_apply(studies):
    runner = CliRunner()
    out = runner.invoke(main, ["stats", str(studies["p_design"]), "yes_share", "--measure",
                               "quantiles"])
    assert out.exit_code != 0
    assert "--measure quantiles does not apply to indicator 'yes_share'" in out.output
    out = runner.invoke(main, ["stats", str(studies["p_srs"]), "y", "--measure", "total"])
    assert out.exit_code != 0 and "add 'measure: total'" in out.output
    out = runner.invoke(main, ["stats", str(studies["p_design"]), "nothing"])
    assert "unknown indicator or number question 'nothing'" in out.output
    assert "yes_share" in out.output and "y" in out.output
    table = runner.invoke(main, ["stats", str(studies["p_design"]), "y", "--by", "grp"])
    assert table.exit_code == 0
    head = table.output.splitlines()[0].split()
    assert head[:3] == ["group", "n", "estimate"] and {"se", "cv", "df", "deff"} <= set(head)


def test_totals_are_refused_without_weights(tmp_path, studies):
    root = tmp_path / "srs-total"
    shutil.copytree(studies["p_srs"], root)
    text = (root / "study.yaml").read_text()
    (root / "study.yaml").write_text(text.replace("wording: Score}", "wording: Score, "
                                                  "measure: total}"))
    out = CliRunner().invoke(main, ["validate", str(root)])
    assert out.exit_code != 0
    assert "measure" in out.output and "weight" in out.output


def test_precision_limits_are_checked(tmp_path, studies):
    root = tmp_path / "bad-limits"
    shutil.copytree(studies["p_design"], root)
    text = (root / "study.yaml").read_text()
    (root / "study.yaml").write_text(text + "precision: {cv_caution: 0.4, cv_unreliable: 0.3}\n")
    out = CliRunner().invoke(main, ["validate", str(root)])
    assert out.exit_code != 0 and "precision" in out.output


def test_crosstab_tests_are_published_in_full_as_r_gives_them(tmp_path, studies):
    """svychisq(~grp + region, des) on the stratified design: statistic = "F" (F, ndf, ddf,
    p) and statistic = "Chisq" (X² and the first-order p), in the crosstab CSVs and JSON."""
    from rocsreport.pipeline import build

    root = tmp_path / "crosstab"
    shutil.copytree(studies["p_design"], root)
    text = (root / "study.yaml").read_text().replace(
        "breakdowns:\n", "breakdowns:\n  region: {label: Region, question: region}\n")
    (root / "study.yaml").write_text(text + "crosstabs:\n  - {rows: grp, columns: region}\n")
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    want = {"pearson_x2": "pearson_x2", "rao_scott_f": "raoscott_f",
            "rao_scott_ndf": "raoscott_ndf", "rao_scott_ddf": "raoscott_ddf",
            "rao_scott_p": "raoscott_p", "first_order_df": "firstorder_df",
            "first_order_p": "firstorder_p"}
    with (site / "data" / "crosstab-tests.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    test = json.loads((site / "data" / "crosstab-tests.json").read_text())["tests"][0]
    with (site / "data" / "crosstabs.csv").open() as f:
        cells = list(csv.DictReader(f))
    assert row["rows"] == test["rows"] == "grp" and test["columns"] == "region"
    for field, stat in want.items():
        r = R[("stratified", stat, "grp:region")]  # the same sample and design as p_design
        assert float(row[field]) == pytest.approx(r, rel=REL), field
        assert test[field] == pytest.approx(r, rel=REL), field
        assert all(float(c[field]) == pytest.approx(r, rel=REL) for c in cells), field
    # The first-order statistic is X² over the mean generalised design effect.
    assert test["first_order_x2"] == pytest.approx(test["pearson_x2"] / test["mean_deff"],
                                                   rel=1e-12)


def _method(root: Path, out: Path) -> str:
    import re

    from rocsreport.pipeline import build

    site = build(root, out, None, make_pdf=False).out
    html = (site / "methodology.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_methodology_names_the_variance_that_was_computed(tmp_path, studies):
    # The raked study with its weight on the source and no design: design-based all the same.
    root = tmp_path / "raked-no-design"
    shutil.copytree(studies["p_raked"], root)
    text = (root / "study.yaml").read_text()
    (root / "study.yaml").write_text(text.replace("design: {weight: w}\n", "").replace(
        "{file: data/r.csv, id: id}", "{file: data/r.csv, id: id, weight: w}"))
    cal = _method(root, tmp_path / "cal")
    fixed = _method(studies["p_raked_fixed"], tmp_path / "fixed")
    design = _method(studies["p_design"], tmp_path / "design")
    assert "No sampling design is declared" in cal and "No sampling design" not in design
    assert "svydesign(ids = ~1, weights = ~w) followed by rake()" in cal
    # ... and its estimates are R's for the raked design (same weights, same variance).
    mean = stats(root, "y", "mean")[0]
    assert mean["se"] == pytest.approx(R[("p_raked", "mean_se", "All")], rel=REL)
    assert "Standard errors allow for the raking" in cal and "rake.variance: calibrated" in cal
    assert "Standard errors treat the raked weights as given sampling weights" in fixed
    assert "allow for the raking, as R's" not in fixed
    for text in (cal, fixed, design):
        assert 'deff = "replace"' in text and "Kish's, n/n" not in text
        assert "Totals:" in text and "Quantiles:" in text  # y and yes_share declare them
        assert "Net promoter score:" not in text  # no NPS item
        assert "Crosstabs:" not in text  # no crosstab
        assert "above 20% is marked “use with caution”, above 30% “unreliable”" in text
    assert "strata h" in design and "A stratum with a single primary sampling unit" in design
    assert "A stratum with a single" not in cal
