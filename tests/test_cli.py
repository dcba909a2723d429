"""The command line: exit codes, exact error lines, help text with examples."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from statsmodels.stats.proportion import proportion_confint

from rocsreport.cli import main

from .conftest import EXAMPLE, rows_for


@pytest.fixture
def example(tmp_path):
    dest = tmp_path / "beyond-measurement"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".rocsreport"))
    return dest


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_every_command_has_help_with_an_example():
    for name, command in main.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and f"rocsreport {name} " in result.output, name


def test_stats_json_roi_matches_statsmodels_wilson(example):
    result = run("stats", example, "roi_not_measured", "--format", "json")
    assert result.exit_code == 0
    cells = json.loads(result.output)
    assert cells[0]["group"] == "All" and cells[0]["n"] == 125
    assert cells[0]["estimate"] == pytest.approx(0.40, abs=1e-12)
    lo, hi = proportion_confint(50, 125, alpha=0.05, method="wilson")  # source: statsmodels
    assert cells[0]["ci_low"] == pytest.approx(lo, abs=1e-9)
    assert cells[0]["ci_high"] == pytest.approx(hi, abs=1e-9)
    assert set(cells[0]) == {"measure", "breakdown", "group", "n", "estimate", "ci_low",
                             "ci_high", "se", "df", "deff", "cv", "quality", "interval",
                             "effective_n", "suppressed", "low_base"}
    # No design, no weights: the binomial SE the Wilson interval uses, on a normal interval;
    # Kish's design effect of equal weights is 1 (hand calculation).
    assert cells[0]["se"] == pytest.approx((0.4 * 0.6 / 125) ** 0.5, rel=1e-12)
    assert cells[0]["cv"] == pytest.approx((0.4 * 0.6 / 125) ** 0.5 / 0.4, rel=1e-12)
    assert cells[0]["df"] is None and cells[0]["interval"] == "wilson"
    assert cells[0]["deff"] == pytest.approx(1.0, rel=1e-12)
    assert cells[0]["measure"] == "proportion" and cells[0]["breakdown"] == "all"


def test_stats_by_breakdown_table_and_suppressed_json(example):
    table = run("stats", example, "cost_not_measured", "--by", "role_group").output
    assert table.splitlines()[0].split() == ["group", "n", "estimate", "95%", "CI", "se", "cv",
                                             "df", "deff", "eff.", "n", "flag"]
    # se: sqrt(.28 × .72 / 125) = 4.02 points; cv: 4.02 / 28 = 14.3%
    assert table.splitlines()[1].split() == ["All", "125", "28.0%", "20.9%", "to", "36.4%",
                                             "4.02%", "14.3%", "normal", "1.00", "125.0"]
    cells = json.loads(run("stats", example, "cost_not_measured", "--by", "sector",
                           "--format", "json").output)
    automotive = next(c for c in cells if c["group"] == "Automotive")
    assert automotive == {"measure": "proportion", "breakdown": "sector",
                          "group": "Automotive", "n": None, "estimate": None, "ci_low": None,
                          "ci_high": None, "se": None, "df": None, "deff": None, "cv": None,
                          "quality": "", "interval": None, "effective_n": None,
                          "suppressed": True, "low_base": False}


def test_unknown_indicator_is_one_line(example):
    result = run("stats", example, "roi")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown indicator or number question 'roi' (expected one "
                             "of: cost_not_measured, roi_not_measured, links_performance, "
                             "vision_linked, operational_reliance, board_reviews_return, "
                             "recommend)\n")


def test_validate_lists_every_problem_and_fails(make_study):
    rows = rows_for({"A": (20, 20)})
    rows[2]["ans"] = "Perhaps"
    rows[5]["grp"] = "Q"
    root = make_study(rows)
    result = run("validate", root)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "survey (data/survey.csv): 40 rows, 38 valid, 2 with problems",
        "problem: data/survey.csv, line 4, column ans: value 'Perhaps' is not in the codebook "
        "for ans (expected one of: Yes, No, Refused)",
        "problem: data/survey.csv, line 7, column grp: value 'Q' is not in the codebook for grp "
        "(expected one of: A, B, Tiny)",
        f"Error: 2 problem(s) in the data of {root}",
    ]


def test_validate_and_load_the_example(example, tmp_path):
    result = run("validate", example)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == f"{example}: study.yaml and data are valid"
    db = tmp_path / "x.duckdb"
    result = run("load", example, "--db", db)
    assert result.output.splitlines() == [
        "executives (data/executives.csv): loaded 125, rejected 0",
        "interviews (data/interviews.csv): loaded 45, rejected 0",
        f"wrote {db}",
    ]
    assert run("load", example, "--db", db).output.splitlines()[-1] == \
        f"unchanged, not reloaded: {db}"


def test_malformed_yaml_via_cli(make_study):
    root = make_study(rows_for({"A": (1, 1)}), text="title: [\n")
    result = run("validate", root)
    assert result.exit_code == 1
    assert result.output.startswith("Error: study.yaml: malformed YAML at line 2, column 1:")
    assert "Traceback" not in result.output


def test_missing_file_via_cli(make_study):
    root = make_study(rows_for({"A": (1, 1)}))
    (root / "data" / "survey.csv").unlink()
    result = run("build", root, "--out", root.parent / "site", "--no-pdf")
    assert result.exit_code == 1
    assert result.output == ("Error: study.yaml: sources.survey.file: file not found: "
                             "data/survey.csv\n")
