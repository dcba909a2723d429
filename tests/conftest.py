"""Small studies written into a temporary folder, for tests that need exact numbers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every chart function's Vega-Lite spec is checked against the schema once per process.
os.environ.setdefault("ROCSREPORT_VALIDATE_CHARTS", "1")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "surveys" / "beyond-measurement"
EXAMPLES = ("beyond-measurement", "service-index", "design-example", "rocs-tracker")


@pytest.fixture(scope="session")
def example_builds(tmp_path_factory) -> dict[str, Path]:
    """The three example sites with their PDFs, and one private organisation report with its
    PDF, each built from its own copy of the study (for the browser and PDF tests)."""
    import shutil

    from click.testing import CliRunner

    from rocsreport.cli import main

    base = tmp_path_factory.mktemp("examples")
    out = {}
    for name in EXAMPLES:
        study = base / "studies" / name
        shutil.copytree(ROOT / "surveys" / name, study,
                        ignore=shutil.ignore_patterns(".rocsreport"))
        r = CliRunner().invoke(main, ["build", str(study), "--out", str(base / name)])
        assert r.exit_code == 0, r.output
        out[name] = base / name
    r = CliRunner().invoke(main, ["orgs", str(base / "studies" / "service-index"), "--out",
                                  str(base / "private"), "--org", "ORG001"])
    assert r.exit_code == 0, r.output
    out["private"] = base / "private" / "ORG001"
    return out

STUDY_YAML = """\
title: Test study
synthetic: true
unit: organisations
sources:
  survey:
    file: data/survey.csv
    id: rid
{weight}
questions:
  - {{id: rid, type: id}}
  - {{id: grp, type: single, wording: Group, codes: [A, B, Tiny]}}
  - {{id: ans, type: single, wording: "Answer?", codes: ["Yes", "No"], missing: [Refused]}}
  - id: tools
    type: multi
    wording: Tools used
    codes: {{x: Tool X, y: Tool Y, none: None of these}}
    missing: {{dk: Don't know}}
{extra_questions}
indicators:
  yes_share: {{label: Say yes, statement: say yes, question: ans, numerator: ["Yes"]}}
breakdowns:
  grp: {{label: Group, question: grp, compare: [A, B]}}
"""


def rows_for(groups: dict[str, tuple[int, int]], tools: str = "x") -> list[dict[str, str]]:
    """Rows with, per group, (number answering Yes, number answering No)."""
    rows = []
    for g, (yes, no) in groups.items():
        for ans in ["Yes"] * yes + ["No"] * no:
            rows.append({"rid": f"r{len(rows) + 1:04d}", "grp": g, "ans": ans, "tools": tools})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    cols = list(rows[0])
    lines = [",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def make_study(tmp_path):
    def make(rows: list[dict[str, str]], *, weight: bool = False, extra_questions: str = "",
             text: str | None = None) -> Path:
        root = tmp_path / "study"
        (root / "data").mkdir(parents=True, exist_ok=True)
        write_csv(root / "data" / "survey.csv", rows)
        yaml = text if text is not None else STUDY_YAML.format(
            weight="    weight: w" if weight else "",
            extra_questions=(extra_questions + ("\n  - {id: w, type: number, wording: Weight}"
                                                if weight else "")))
        (root / "study.yaml").write_text(yaml, encoding="utf-8")
        return root
    return make
