"""Design-based estimates against R's survey package, to at least six significant figures.

The datasets are in tests/reference/data (written by make_data.py with a fixed seed); the R
values in tests/reference/survey_reference.csv come from survey_reference.R (survey 4.1-1).
Tolerance: relative 1e-6 unless stated.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from rocsreport.design import Design, estimate, rake, weighted_quantile
from rocsreport.errors import RocsError

REF = Path(__file__).resolve().parent / "reference"
REL = 1e-6


def load_reference(path: Path) -> dict[tuple[str, str, str], float]:
    with path.open() as f:
        return {(r["case"], r["stat"], r["key"]): float(r["value"]) for r in csv.DictReader(f)}


R = load_reference(REF / "survey_reference.csv")


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for name in ("stratified", "cluster1", "cluster2", "lonely", "rake"):
        c.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header = true)",
                  [str(REF / "data" / f"{name}.csv")])
    # The two-stage sample again, with no weight column: weights derived from the fpcs.
    from rocsreport.design import derive_weights

    c.execute("CREATE TABLE cluster2_noweight AS SELECT * EXCLUDE (w) FROM cluster2")
    derive_weights(c, Design("cluster2_noweight", None, "h", ("psu", "ssu"), ("fpc1", "fpc2")),
                   "_fpc_weight")
    yield c
    c.close()


DESIGNS = {
    "stratified": Design("stratified", "w", "h", (), ("fpc1",)),
    "cluster1": Design("cluster1", "w", None, ("psu",), ("fpc1",)),
    "cluster2": Design("cluster2", "w", "h", ("psu", "ssu"), ("fpc1", "fpc2")),
    "cluster2_noweight": Design("cluster2_noweight", "_fpc_weight", "h", ("psu", "ssu"),
                                ("fpc1", "fpc2")),
}
YES = "CASE WHEN yes = 'Yes' THEN 1 ELSE 0 END"


@pytest.mark.parametrize("case", list(DESIGNS))
def test_mean_total_and_proportion_match_r(con, case):
    d = DESIGNS[case]
    m = estimate(con, d, "y")
    assert m.estimate == pytest.approx(R[(case, "mean", "y")], rel=REL)
    assert m.se == pytest.approx(R[(case, "mean_se", "y")], rel=REL)
    t = estimate(con, d, "y", kind="total")
    assert t.estimate == pytest.approx(R[(case, "total", "y")], rel=REL)
    assert t.se == pytest.approx(R[(case, "total_se", "y")], rel=REL)
    p = estimate(con, d, YES)
    assert p.estimate == pytest.approx(R[(case, "prop", "yes")], rel=REL)
    assert p.se == pytest.approx(R[(case, "prop_se", "yes")], rel=REL)
    assert p.df == R[(case, "degf", "all")]
    lo, hi = p.logit_ci()
    assert lo == pytest.approx(R[(case, "logit_low", "yes")], rel=REL)
    assert hi == pytest.approx(R[(case, "logit_high", "yes")], rel=REL)


@pytest.mark.parametrize("case", list(DESIGNS))
@pytest.mark.parametrize("group", ["A", "B", "C"])
def test_domain_estimates_keep_the_whole_design(con, case, group):
    d = DESIGNS[case]
    m = estimate(con, d, "y", "grp = ?", params=[group])
    assert m.estimate == pytest.approx(R[(case, "domain_mean", group)], rel=REL)
    assert m.se == pytest.approx(R[(case, "domain_mean_se", group)], rel=REL)
    p = estimate(con, d, YES, "grp = ?", params=[group])
    # svyciprop fits a GLM, converged to about 1e-9: six significant figures hold.
    assert p.estimate == pytest.approx(R[(case, "domain_prop", group)], rel=REL)
    assert p.df == R[(case, "domain_degf", group)]
    lo, hi = p.logit_ci()
    assert lo == pytest.approx(R[(case, "domain_logit_low", group)], rel=REL)
    assert hi == pytest.approx(R[(case, "domain_logit_high", group)], rel=REL)


@pytest.mark.parametrize("case", list(DESIGNS))
def test_difference_between_domains_matches_svycontrast(con, case):
    from rocsreport.design import difference

    g = difference(con, DESIGNS[case], YES, "grp = ?", "grp = ?", ["A"], ["B"])
    assert g.estimate == pytest.approx(R[(case, "diff", "A-B")], rel=REL)
    assert g.se == pytest.approx(R[(case, "diff_se", "A-B")], rel=REL)


@pytest.mark.parametrize("option", ["certainty", "remove", "adjust", "average"])
def test_single_psu_stratum_options_match_r(con, option):
    d = Design("lonely", "w", "h", ("psu",), (), option)
    case = f"lonely_{option}"
    m = estimate(con, d, "y")
    assert m.estimate == pytest.approx(R[(case, "mean", "y")], rel=REL)
    assert m.se == pytest.approx(R[(case, "mean_se", "y")], rel=REL)
    t = estimate(con, d, "y", kind="total")
    assert t.se == pytest.approx(R[(case, "total_se", "y")], rel=REL)


def test_single_psu_stratum_fails_by_default(con):
    with pytest.raises(RocsError) as exc:
        estimate(con, Design("lonely", "w", "h", ("psu",)), "y")
    assert exc.value.message == ("stratum 'S3' has only one PSU (design.lonely_psu is 'fail'; "
                                 "choose certainty, remove, adjust or average)")


def test_weighted_quantiles_match_r(con):
    q = weighted_quantile(con, DESIGNS["stratified"], "y", [0.25, 0.5, 0.75])
    assert q == pytest.approx([R[("stratified", "quantile", k)] for k in ("0.25", "0.5", "0.75")],
                              rel=REL)


def test_raking_weights_match_r(con):
    margins = {"region": {"North": 3000, "Midlands": 2500, "South": 4500},
               "age": {"18-34": 2800, "35-54": 3600, "55+": 3600}}
    factors = rake(con, Design("rake", "w"), margins, epsilon=1e-10, maxit=1000)
    rows = con.execute("SELECT id, region, age, w FROM rake ORDER BY id").fetchall()
    for rid, region, age, w in rows:
        assert w * factors[(region, age)] == pytest.approx(R[("rake", "weight", rid)], rel=REL)
    # R's default call, rake(design, margins, populations): epsilon = 1, maxit = 10.
    factors = rake(con, Design("rake", "w"), margins)
    for rid, region, age, w in rows:
        assert w * factors[(region, age)] == pytest.approx(R[("rake_default", "weight", rid)],
                                                           rel=REL)
    assert any(abs(R[("rake_default", "weight", r)] / R[("rake", "weight", r)] - 1) > 1e-9
               for r, *_ in rows)  # the two stopping rules give different weights


def test_raking_errors_name_the_margin(con):
    with pytest.raises(RocsError) as exc:
        rake(con, Design("rake", "w"), {"region": {"North": 1, "Midlands": 1, "South": 1,
                                                   "Wales": 1}})
    assert exc.value.message == "rake: margin 'region' category 'Wales' has no respondents"
    with pytest.raises(RocsError) as exc:
        rake(con, Design("rake", "w"), {"region": {"North": 3000, "Midlands": 2500,
                                                   "South": 4500},
                                        "age": {"18-34": 1, "35-54": 1, "55+": 99999}},
             epsilon=1e-10, maxit=3)
    assert exc.value.message.startswith("rake: no convergence after 3 passes (margin")
    assert exc.value.message.endswith("raise rake.maxit, or rake.epsilon")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_reference_values_regenerate_from_r(tmp_path):
    # Optional: re-run the R script and check the committed values are what R gives today.
    script = tmp_path / "survey_reference.R"
    shutil.copy(REF / "survey_reference.R", script)
    shutil.copytree(REF / "data", tmp_path / "data")
    ok = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, timeout=300)
    if "there is no package called" in ok.stderr:
        pytest.skip("R's survey package is not installed")
    assert ok.returncode == 0, ok.stderr
    fresh = load_reference(tmp_path / "survey_reference.csv")
    assert fresh.keys() == R.keys()
    for k, v in R.items():
        assert fresh[k] == pytest.approx(v, rel=1e-9, nan_ok=True), k


def test_quantiles_follow_rs_tie_rule():
    """svyquantile(qrule = "math") where the cumulative shares meet p up to rounding: R gives
    2, 3, 4, 5, 5, 7 at p = .1 to .6 for the values 1 to 10 each weighted 0.7."""
    c = duckdb.connect()
    c.execute("CREATE TABLE ties AS SELECT range + 1 AS x, 0.7 AS w FROM range(10)")
    probs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    got = weighted_quantile(c, Design("ties", "w"), "x", probs)
    assert got == [R[("ties", "quantile", f"{p:g}")] for p in probs] == [2, 3, 4, 5, 5, 7]


def test_weights_derived_from_the_fpcs_are_rs(con):
    """svydesign(ids = ~psu + ssu, strata = ~h, fpc = ~fpc1 + fpc2) with no weights: R derives
    each row's weight as the product of N / n over the stages."""
    rows = con.execute("SELECT id, _fpc_weight FROM cluster2_noweight").fetchall()
    assert len(rows) == 408
    for rid, w in rows:
        assert w == pytest.approx(R[("cluster2_noweight", "weight", rid)], rel=REL)


def test_weights_that_cannot_be_derived_say_why(con):
    from rocsreport.design import WeightError, derive_weights

    con.execute("CREATE TEMP TABLE bad AS SELECT * FROM cluster2")
    con.execute("UPDATE bad SET fpc1 = 2 WHERE h = 'S0'")  # fewer PSUs than were sampled
    with pytest.raises(WeightError, match=r"fpc1: stratum S0 samples \d+ units from a "
                                          r"population of 2"):
        derive_weights(con, Design("bad", None, "h", ("psu", "ssu"), ("fpc1", "fpc2")), "w2")
    con.execute("UPDATE bad SET fpc1 = CASE WHEN id = 'u00000' THEN 30 ELSE 20 END")
    with pytest.raises(WeightError, match="fpc1: the fpc varies within stratum S0"):
        derive_weights(con, Design("bad", None, "h", ("psu", "ssu"), ("fpc1", "fpc2")), "w3")


@pytest.mark.parametrize("case", ["stratified", "cluster1"])
def test_batch_over_breakdowns_equals_one_by_one(con, case):
    from rocsreport.design import batch

    d = DESIGNS[case]
    out = batch(con, d, "grp AS b0, ", [], 1,
                [("yes", YES, [], "TRUE", []), ("y", "y", [], "TRUE", [])])
    for g in ("A", "B", "C"):
        e = out["yes"][(0, (g,))]
        assert e.estimate == pytest.approx(R[(case, "domain_prop", g)], rel=REL)
        assert e.df == R[(case, "domain_degf", g)]
        m = out["y"][(0, (g,))]
        assert m.se == pytest.approx(R[(case, "domain_mean_se", g)], rel=REL)
    assert out["y"][(-1, ())].se == pytest.approx(R[(case, "mean_se", "y")], rel=REL)


EXAMPLE = Path(__file__).resolve().parents[1] / "surveys" / "design-example"


def test_example_study_raked_weights_match_r(tmp_path):
    from rocsreport import ingest
    from rocsreport.spec import load_study

    study = load_study(EXAMPLE)
    result = ingest.load(study, tmp_path / "d.duckdb")
    c = duckdb.connect(str(result.db), read_only=True)
    rows = c.execute("SELECT id, _raked_weight FROM respondents ORDER BY id").fetchall()
    c.close()
    for rid, w in rows:
        assert w == pytest.approx(R[("cluster2_rake", "weight", rid)], rel=REL)


def test_stats_under_the_example_design_match_svyciprop(tmp_path):
    # Without raking, the study's design is R's two-stage design: the indicator by group is
    # svyciprop(method = "logit") on each domain.
    import json

    from click.testing import CliRunner

    from rocsreport.cli import main

    study = tmp_path / "design"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns(".rocsreport"))
    text = (study / "study.yaml").read_text()
    (study / "study.yaml").write_text(text[:text.index("rake:")])
    out = CliRunner().invoke(main, ["stats", str(study), "use_again", "--by", "grp",
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    cells = {c["group"]: c for c in json.loads(out.output)}
    assert cells["All"]["estimate"] == pytest.approx(R[("cluster2", "prop", "yes")], rel=REL)
    assert cells["All"]["ci_low"] == pytest.approx(R[("cluster2", "logit_low", "yes")], rel=REL)
    for g in ("A", "B", "C"):
        assert cells[g]["ci_low"] == pytest.approx(R[("cluster2", "domain_logit_low", g)],
                                                   rel=REL)
        assert cells[g]["ci_high"] == pytest.approx(R[("cluster2", "domain_logit_high", g)],
                                                    rel=REL)


@pytest.mark.parametrize("case", list(DESIGNS))
def test_rao_scott_f_matches_svychisq(con, case):
    from rocsreport.design import rao_scott

    rs = rao_scott(con, DESIGNS[case], "grp", "region")
    key = (case, "raoscott_f", "grp:region")
    assert rs.f == pytest.approx(R[key], rel=REL)
    assert rs.ndf == pytest.approx(R[(case, "raoscott_ndf", "grp:region")], rel=REL)
    assert rs.ddf == pytest.approx(R[(case, "raoscott_ddf", "grp:region")], rel=REL)
    assert rs.p_value == pytest.approx(R[(case, "raoscott_p", "grp:region")], rel=REL)
    # svychisq(statistic = "Chisq"): R reports X² itself, and the p-value of X² / mean(δ)
    assert rs.pearson == pytest.approx(R[(case, "pearson_x2", "grp:region")], rel=REL)
    assert rs.first_order_df == R[(case, "firstorder_df", "grp:region")]
    assert rs.first_order_p == pytest.approx(R[(case, "firstorder_p", "grp:region")], rel=REL)
    assert rs.first_order == pytest.approx(rs.pearson / rs.mean_deff, rel=1e-12)


@pytest.mark.parametrize("case", ["jk1", "jkn"])
def test_replicate_weights_match_r(case):
    from rocsreport.design import Replicates, replicate_batch

    c = duckdb.connect()
    c.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, header = true)",
              [str(REF / "data" / f"{case}.csv")])
    cols = tuple(x[0] for x in c.execute("SELECT column_name FROM (DESCRIBE r) WHERE "
                                         "column_name LIKE 'rw%'").fetchall())
    rscales = tuple(R[(case, "rscale", str(k + 1))] for k in range(len(cols)))
    rep = Replicates("r", "w", cols, case.upper(), R[(case, "scale", "all")], rscales,
                     df=int(R[(case, "degf", "all")]))
    out = replicate_batch(c, rep, "grp AS b0, ", [], 1,
                          [("y", "y", [], "TRUE", []), ("yes", YES, [], "TRUE", [])])
    assert out["y"][(-1, ())].estimate == pytest.approx(R[(case, "mean", "y")], rel=REL)
    assert out["y"][(-1, ())].se == pytest.approx(R[(case, "mean_se", "y")], rel=REL)
    assert out["yes"][(-1, ())].se == pytest.approx(R[(case, "prop_se", "yes")], rel=REL)
    for g in ("A", "B", "C"):
        assert out["y"][(0, (g,))].se == pytest.approx(R[(case, "domain_mean_se", g)], rel=REL)
    c.close()


def test_study_with_replicate_weights_end_to_end(tmp_path):
    # A study.yaml declaring JK1 replicate weights: the indicator's standard error (from its
    # design effective n) is R's svymean SE on the replicate design.
    import json
    import math

    from click.testing import CliRunner

    from rocsreport.cli import main

    root = tmp_path / "jk"
    (root / "data").mkdir(parents=True)
    shutil.copy(REF / "data" / "jk1.csv", root / "data" / "r.csv")
    reps = "\n".join(f"  - {{id: rw{k}, type: number, wording: Replicate {k}}}"
                     for k in range(1, 41))
    (root / "study.yaml").write_text(f"""\
title: Replicate weights
synthetic: true
sources:
  r: {{file: data/r.csv, id: id}}
questions:
  - {{id: id, type: id}}
  - {{id: grp, type: single, wording: Group, codes: [A, B, C]}}
  - {{id: y, type: number, wording: Score}}
  - {{id: "yes", type: single, wording: Yes or no, codes: ["Yes", "No"]}}
  - {{id: w, type: number, wording: Weight}}
{reps}
indicators:
  yes_share: {{label: Say yes, question: "yes", numerator: ["Yes"]}}
breakdowns:
  grp: {{label: Group, question: grp}}
design:
  weight: w
  replicate: {{type: JK1, weights: "rw*"}}
""")
    out = CliRunner().invoke(main, ["stats", str(root), "yes_share", "--format", "json"])
    assert out.exit_code == 0, out.output
    cell = json.loads(out.output)[0]
    p = cell["estimate"]
    se = math.sqrt(p * (1 - p) / cell["effective_n"])
    assert se == pytest.approx(R[("jk1", "prop_se", "yes")], rel=REL)


def test_raked_and_trimmed_weights_match_r(tmp_path):
    from rocsreport import ingest
    from rocsreport.spec import load_study

    root = tmp_path / "rk"
    (root / "data").mkdir(parents=True)
    shutil.copy(REF / "data" / "rake.csv", root / "data" / "r.csv")
    (root / "study.yaml").write_text("""\
title: Raking
synthetic: true
sources:
  r: {file: data/r.csv, id: id, weight: w}
questions:
  - {id: id, type: id}
  - {id: w, type: number, wording: Weight}
  - {id: y, type: number, wording: Score}
  - {id: "yes", type: single, wording: Yes or no, codes: ["Yes", "No"]}
  - {id: region, type: single, wording: Region, codes: [North, Midlands, South]}
  - {id: age, type: single, wording: Age, codes: [18-34, 35-54, 55+]}
indicators:
  yes_share: {label: Say yes, question: "yes", numerator: ["Yes"]}
rake:
  margins:
    region: {North: 3000, Midlands: 2500, South: 4500}
    age: {18-34: 2800, 35-54: 3600, 55+: 3600}
  epsilon: 1.0e-10
  maxit: 1000
  trim: {lower: 12, upper: 25}
""")
    result = ingest.load(load_study(root), tmp_path / "r.duckdb")
    c = duckdb.connect(str(result.db), read_only=True)
    rows = c.execute("SELECT id, _raked_weight FROM r ORDER BY id").fetchall()
    c.close()
    assert min(w for _, w in rows) >= 12 - 1e-9 and max(w for _, w in rows) <= 25 + 1e-9
    for rid, w in rows:
        assert w == pytest.approx(R[("rake_trim", "weight", rid)], rel=REL)


def _two_stage_study(tmp_path: Path, design: str) -> Path:
    """The two-stage reference sample as a study with no weight column."""
    import csv as csv_mod

    root = tmp_path / "two-stage"
    (root / "data").mkdir(parents=True)
    with (REF / "data" / "cluster2.csv").open() as f:
        rows = list(csv_mod.DictReader(f))
    cols = ["id", "h", "psu", "ssu", "fpc1", "fpc2", "y", "yes"]
    (root / "data" / "survey.csv").write_text(
        "\n".join([",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]) + "\n")
    (root / "study.yaml").write_text(f"""\
title: Two-stage sample with no weights
synthetic: true
unit: respondents
sources:
  survey:
    file: data/survey.csv
    id: id
questions:
  - {{id: id, type: id}}
  - {{id: h, type: single, wording: Stratum, codes: [S0, S1, S2, S3, S4, S5, S6, S7]}}
  - {{id: psu, type: text, wording: PSU}}
  - {{id: ssu, type: text, wording: SSU}}
  - {{id: fpc1, type: number, wording: PSUs in the stratum}}
  - {{id: fpc2, type: number, wording: SSUs in the PSU}}
  - {{id: y, type: number, wording: Score}}
  - {{id: again, column: "yes", type: single, wording: Would use again, codes: ["Yes", "No"]}}
indicators:
  use_again: {{label: Would use again, statement: would use again, question: again,
              numerator: ["Yes"]}}
{design}
""")
    return root


def test_a_two_stage_design_without_weights_uses_rs_derived_weights(tmp_path):
    import json as json_mod

    from click.testing import CliRunner

    from rocsreport.cli import main
    from rocsreport.pipeline import build

    root = _two_stage_study(tmp_path, "design: {strata: h, cluster: [psu, ssu], fpc: [fpc1, fpc2]}")
    out = CliRunner().invoke(main, ["stats", str(root), "use_again", "--format", "json"])
    assert out.exit_code == 0, out.output
    cell = json_mod.loads(out.output)[0]
    assert cell["estimate"] == pytest.approx(R[("cluster2_noweight", "prop", "yes")], rel=REL)
    assert cell["ci_low"] == pytest.approx(R[("cluster2_noweight", "logit_low", "yes")], rel=REL)
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    method = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", (site / "methodology.html").read_text()))
    assert "weights derived from the finite population corrections" in method
    assert "fpc1, fpc2" in method and "weighted by the weights derived" in method


def test_an_fpc_missing_for_a_stage_is_refused_with_the_key_to_add(tmp_path):
    from rocsreport.errors import SpecError
    from rocsreport.spec import load_study

    root = _two_stage_study(tmp_path, "design: {strata: h, cluster: [psu, ssu], fpc: [fpc1]}")
    with pytest.raises(SpecError, match=r"design\.fpc: .*add design\.weight"):
        load_study(root)


def test_a_single_choice_distribution_under_the_example_design_matches_r(tmp_path):
    """The distribution of grp in the design example (two stages, raked, calibrated
    variance): each answer's share, SE and logit interval overall, and its share and SE in
    each region, as R's svymean, svyciprop(method = "logit") and svyby give them on the raked
    design (tests/reference/survey_reference.R). Read from the published CSV."""

    from click.testing import CliRunner

    from rocsreport.cli import main

    site = tmp_path / "site"
    out = CliRunner().invoke(main, ["build", str(EXAMPLE), "--out", str(site), "--no-pdf",
                                    "--db", str(tmp_path / "d.duckdb")])
    assert out.exit_code == 0, out.output
    seen = _distribution_matches_r(site / "data" / "question-grp.csv", "share", "region")
    assert seen == 12  # 3 answers, overall and in 3 regions


def _distribution_matches_r(path, stat: str, by: str, se_abs: float = 0.0) -> int:
    """Compare a published distribution CSV with R's rows ``stat`` (share, SE and logit
    interval overall; share and SE in each group of ``by``). Returns the cells compared."""
    import csv
    import io

    seen = 0
    for row in csv.DictReader(io.StringIO(path.read_text())):
        o = row["option"]
        if row["breakdown"] == "all":
            key = o
            for end, col in (("low", "ci_low"), ("high", "ci_high")):
                assert float(row[col]) == pytest.approx(
                    R[("cluster2_rake", f"{stat}_logit_{end}", o)], rel=REL)
        elif row["breakdown"] == by:
            key = f"{o}|{row['group']}"
        else:
            continue
        assert float(row["estimate"]) == pytest.approx(R[("cluster2_rake", stat, key)],
                                                       rel=REL)
        assert float(row["se"]) == pytest.approx(R[("cluster2_rake", f"{stat}_se", key)],
                                                 rel=REL, abs=se_abs)
        seen += 1
    return seen


def test_a_multiple_choice_under_the_example_design_matches_r(tmp_path):
    """A multiple choice on the design example (raked two-stage design): each option's share,
    SE and logit interval overall and its share and SE by customer group, as R gives them
    (tests/reference/survey_reference.R makes the same options from the same columns). Phone
    is chosen outside the South, which the raking fixes at 55% of the population: its
    calibrated SE is 2.5e-12 in R, and here too (to 1e-9)."""

    from click.testing import CliRunner

    from rocsreport.cli import main

    study = tmp_path / "design"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns(".rocsreport"))
    data = study / "data" / "respondents.csv"
    email = "age = '55+' OR (grp = 'A' AND region = 'North')"
    duckdb.execute(f"""COPY (SELECT *, concat_ws(';',
        CASE WHEN {email} THEN 'Email' END, CASE WHEN region <> 'South' THEN 'Phone' END,
        CASE WHEN NOT ({email}) AND region = 'South' THEN 'Chat' END) AS channels
        FROM read_csv('{data}', all_varchar = true) ORDER BY id) TO '{tmp_path / "r.csv"}'
        (HEADER)""")
    shutil.move(tmp_path / "r.csv", data)
    text = (study / "study.yaml").read_text()
    text = text.replace("\nindicators:", "\n  - {id: channels, type: multi, wording: Channels "
                        "used, codes: [Email, Phone, Chat]}\n\nindicators:", 1)
    (study / "study.yaml").write_text(text)
    site = tmp_path / "site"
    out = CliRunner().invoke(main, ["build", str(study), "--out", str(site), "--no-pdf"])
    assert out.exit_code == 0, out.output
    seen = _distribution_matches_r(site / "data" / "question-channels.csv", "option", "grp",
                                   se_abs=1e-9)
    assert seen == 12  # 3 options, overall and in 3 customer groups
