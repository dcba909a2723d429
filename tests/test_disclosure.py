"""Disclosure control over the whole publication: each route by which a withheld figure could be
worked out from published files, reproduced on a study built here, and shown closed.

Every check reads the built files (the CSV downloads and baselines.json) and works the route
out by hand, as an adversary would: a total minus its published parts bounds the withheld parts
from above. The true values come from the rows written below, never from rocsreport. The rule
(study.yaml ``disclosure.protection``, default 0.5): a withheld figure must keep a range that
reaches 1.5 times its true value, and a withheld base a range at least the threshold wide.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rocsreport.cli import main
from rocsreport.folders import collisions, folder
from rocsreport.pipeline import build, compute_protected

R = 0.5  # the protection share
S = 10  # suppress_below


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def num(s: str) -> float | None:
    return None if s in ("", "None") else float(s)


# --- a survey with an empty code, nested breakdowns, a compare pair and interviews ---------

SURVEY = """\
title: Disclosure routes
synthetic: true
unit: respondents
sources:
  people: {file: data/people.csv, id: rid}
  interviews: {file: data/interviews.csv, id: iid}
questions:
  - {id: rid, type: id}
  - {id: iid, type: id, source: interviews}
  - {id: oid, type: id, source: interviews}
  - {id: role, type: single, source: [people, interviews], wording: Role,
     codes: [CEO, MD, Ops, Insight]}
  - {id: region, type: single, wording: Region, codes: [North, South, East, Empty]}
  - {id: team, type: single, wording: Team, codes: [A, B, C, D]}
  - {id: roi, type: single, wording: "Do you know the ROI?", codes: ["Yes", "No"]}
  - {id: rec, type: number, scale: nps, min: 0, max: 10, wording: Recommend}
  - {id: themes, type: multi, source: interviews, separator: ";", wording: Themes,
     codes: {a: Theme A, b: Theme B}}
  - {id: quote, type: text, source: interviews, wording: Quote}
indicators:
  roi_no: {label: Do not know the ROI, statement: do not know the ROI, question: roi,
           numerator: ["No"]}
breakdowns:
  role: {label: Role, question: role}
  role_group: {label: Role group, question: role,
               groups: {Leadership: [CEO, MD], Others: [Ops, Insight]}}
  region: {label: Region, question: region}
  team: {label: Team, question: team, compare: [B, C]}
interviews: {source: interviews, themes: themes, organisation: oid, by: role_group,
             quote: quote, attribution: [role_group]}
crosstabs:
  - {rows: roi, columns: team}
"""

# 126 respondents. role: CEO 30, MD 6 (small), Ops 50, Insight 40. region: North 60, South 60,
# East 6 (small), Empty nobody. team: A 4 (small), B 40, C 12, D 70.
ROLES = ["CEO"] * 30 + ["MD"] * 6 + ["Ops"] * 50 + ["Insight"] * 40
REGIONS = ["North"] * 60 + ["South"] * 60 + ["East"] * 6
TEAMS = ["A"] * 4 + ["B"] * 40 + ["C"] * 12 + ["D"] * 70


def survey_rows() -> list[dict[str, str]]:
    rows = []
    for k in range(126):
        # Spread the answers so that no small cell is all one answer.
        rows.append({"rid": f"r{k:03d}", "role": ROLES[k], "region": REGIONS[(k * 5) % 126],
                     "team": TEAMS[(k * 11) % 126], "roi": "No" if k % 3 == 0 else "Yes",
                     "rec": str(k % 11)})
    return rows


def interview_rows() -> list[dict[str, str]]:
    # Leadership: 4 interviewees (below the threshold); Others: 20.
    rows = []
    for k in range(24):
        role = "CEO" if k < 4 else "Ops"
        rows.append({"iid": f"i{k:02d}", "oid": f"o{k // 3}", "role": role,
                     "themes": "a;b" if k % 2 else "a", "quote": f"Quote number {k}."})
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def survey_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("routes") / "study"
    (root / "data").mkdir(parents=True)
    (root / "study.yaml").write_text(SURVEY, encoding="utf-8")
    write(root / "data" / "people.csv", survey_rows())
    write(root / "data" / "interviews.csv", interview_rows())
    result = build(root, root.parent / "site", None, make_pdf=False)
    return root, result


def truth(column: str, value_of, rows=None) -> dict[str, dict[str, float]]:
    """Per code of ``column``: the base and the count answering No, from the rows."""
    out: dict[str, dict[str, float]] = {}
    for r in rows or survey_rows():
        v = value_of(r)
        cell = out.setdefault(v, {"n": 0, "y": 0})
        cell["n"] += 1
        cell["y"] += r["roi"] == "No"
    return out


def remainder(rows: list[dict[str, str]], groups: list[str]) -> tuple[float, float]:
    """All minus the published parts among ``groups``: (base, count). The withheld parts
    share it, so it is the most any one of them can be."""
    by = {r["group"]: r for r in rows}
    n = num(by["All"]["n"])
    y = num(by["All"]["estimate"]) * n
    for g in groups:
        if g in by and num(by[g]["n"]) is not None:
            n -= num(by[g]["n"])
            y -= num(by[g]["estimate"]) * num(by[g]["n"])
    return n, round(y, 6)


def estimates(site: Path, indicator: str, breakdown: str) -> list[dict[str, str]]:
    rows = read_csv(site / "data" / "all-estimates.csv")
    return [r for r in rows if r["indicator"] == indicator
            and r["breakdown"] in (breakdown, "all")]


def assert_protected(rem: tuple[float, float], true: dict[str, float]) -> None:
    n, y = rem
    assert n >= max((1 + R) * true["n"], S), (rem, true)
    assert y >= (1 + R) * true["y"] - 1e-9, (rem, true)


def test_an_empty_code_does_not_protect_a_small_one(survey_site):
    # Route: East (6) withheld and Empty (nobody) "withheld" used to withhold nothing more,
    # so All - North - South was East exactly.
    _, result = survey_site
    rows = estimates(result.out, "roi_no", "region")
    east = next(r for r in rows if r["group"] == "East")
    assert east["suppressed"] == "True" and east["n"] == ""
    true = truth("region", lambda r: r["region"])["East"]
    assert_protected(remainder(rows, ["North", "South", "East", "Empty"]), true)
    # The complement is one of the real regions, withheld and marked as such on the page.
    assert sum(r["suppressed"] == "True" for r in rows if r["group"] in ("North", "South")) == 1


def test_nested_breakdowns_cannot_be_differenced(survey_site):
    # Route: Leadership (CEO + MD) beside CEO gives MD (6).
    _, result = survey_site
    role = {r["group"]: r for r in estimates(result.out, "roi_no", "role")}
    grp = {r["group"]: r for r in estimates(result.out, "roi_no", "role_group")}
    assert role["MD"]["suppressed"] == "True"
    true = truth("role", lambda r: r["role"])["MD"]
    if grp["Leadership"]["n"] and role["CEO"]["n"]:
        n = num(grp["Leadership"]["n"]) - num(role["CEO"]["n"])
        pytest.fail(f"Leadership - CEO = {n} recovers MD ({true['n']})")
    # And All minus whatever is published of role still leaves MD protected.
    assert_protected(remainder(list(role.values()), ["CEO", "MD", "Ops", "Insight"]), true)


def test_a_complement_is_withheld_in_every_table_over_the_same_people(survey_site):
    # Route: team A (4) withheld, its complement withheld in the breakdown table but C still
    # published in the gap table, the crosstab's column bases and the NPS rows.
    _, result = survey_site
    site = result.out
    team = {r["group"]: r for r in estimates(site, "roi_no", "team")}
    withheld = {g for g, r in team.items() if r["suppressed"] == "True"}
    assert "A" in withheld and len(withheld) >= 2
    gaps = read_csv(site / "data" / "gaps.csv")
    for g in gaps:
        for side in ("a", "b"):
            if g[f"group_{side}"] in withheld:
                assert g[f"n_{side}"] == "" and g[f"estimate_{side}"] == "", g
    for c in read_csv(site / "data" / "crosstabs.csv"):
        if c["column"] in withheld:
            assert c["column_base"] == "" and c["n"] == "" and c["share"] == "", c
        else:
            assert not set(c["higher_than"]) & {chr(ord("A") + "ABCD".index(w))
                                                for w in withheld}
    for c in read_csv(site / "data" / "question-rec.csv"):
        if c["group"] in withheld:
            assert c["n"] == "" and c["estimate"] == "", c
    # Every table over the team breakdown leaves A protected: All minus what it publishes.
    true = truth("team", lambda r: r["team"])["A"]
    published = {g for g in "ABCD" if g not in withheld}
    assert_protected(remainder(list(team.values()), sorted(published)), true)
    cross_bases = {c["column"]: num(c["column_base"])
                   for c in read_csv(site / "data" / "crosstabs.csv")}
    assert all(cross_bases[g] is None for g in withheld)


def test_interview_counts_get_a_complement(survey_site):
    # Route: All - Others gave the Leadership group (4 interviewees) exactly.
    _, result = survey_site
    rows = read_csv(result.out / "data" / "interviews.csv")
    for theme in {r["theme"] for r in rows}:
        mine = {r["group"]: r for r in rows if r["theme"] == theme}
        assert mine["Leadership"]["interviewees"] == ""
        # With only one other group, it has to be withheld too; All stays.
        assert mine["Others"]["interviewees"] == "" and mine["Others"]["interviewees_base"] == ""
        assert num(mine["All"]["interviewees_base"]) == 24


def test_quotes_are_attributed_only_to_cells_of_ten(survey_site):
    _, result = survey_site
    html = (result.out / "interviews.html").read_text(encoding="utf-8")
    attributions = re.findall(r"<footer>— (.*?)</footer>", html)
    assert attributions.count("an interviewee") == 4  # the 4 Leadership interviewees
    assert attributions.count("Others") == 20


def test_audit_reads_the_built_files_and_fails_on_a_planted_leak(survey_site, tmp_path):
    _, result = survey_site
    ok = CliRunner().invoke(main, ["audit", str(result.out)])
    assert ok.exit_code == 0, ok.output
    assert "0 finding(s)" in ok.output
    # Plant the withheld East base and count back into one download.
    import shutil

    site = tmp_path / "site"
    shutil.copytree(result.out, site)
    path = site / "data" / "breakdown-region.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("roi_no,East,"))
    true = truth("region", lambda r: r["region"])["East"]
    cells = lines[k].split(",")
    cells[2], cells[3] = str(true["n"]), repr(true["y"] / true["n"])
    lines[k] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["audit", str(site)])
    assert bad.exit_code == 1
    # The withheld cell (as the other downloads withhold it), its range, and the route: the
    # planted line.
    assert re.search(rf"leak: roi_no, East: base \(data/[a-z-]+\.csv line \d+\) can be worked "
                     rf"out to between {true['n']:g} and {true['n']:g}, from: roi_no, East: "
                     rf"base \(data/breakdown-region\.csv line {k + 1}\)", bad.output), \
        bad.output
    assert bad.output.strip().endswith("withheld figure(s) could be worked out")


def test_methodology_states_the_rule(survey_site):
    _, result = survey_site
    html = (result.out / "methodology.html").read_text(encoding="utf-8")
    assert "narrow it to within ±50% of its true value" in html
    assert "linear programming" in html and "rocsreport audit" in html


# --- a benchmark: an empty sector, a one-organisation sector, a blank sector ---------------

BENCH = """\
title: Benchmark routes
synthetic: true
unit: customers
sources:
  responses: {file: data/responses.csv, id: rid}
  organisations: {file: data/organisations.csv, id: org}
questions:
  - {id: rid, type: id}
  - {id: org, type: id, source: [responses, organisations], references: organisations}
  - {id: name, type: text, source: organisations, wording: Name}
  - {id: sector, type: single, source: organisations, wording: Sector,
     codes: [Big, Five, One, Empty]}
  - {id: wave, type: single, wording: Wave, codes: [W1, W2]}
  - {id: i1, type: number, min: 1, max: 10, wording: Item one}
  - {id: i2, type: number, min: 1, max: 10, wording: Item two}
  - {id: ok, type: single, wording: OK, codes: ["Yes", "No"]}
indicators:
  ok_share: {label: OK, question: ok, numerator: ["Yes"]}
benchmark:
  organisations: organisations
  organisation: org
  name: name
  sector: sector
  wave: wave
  items: [i1, i2]
  publish_organisation_scores: false
"""


def bench_orgs(blank: bool) -> dict[str, tuple[str, int, int]]:
    """org: (sector, respondents per wave, level)."""
    orgs = {f"big{k}": ("Big", 20, 3 + k % 5) for k in range(8)}
    orgs |= {f"five{k}": ("Five", 20, 2 + k) for k in range(5)}
    if blank:
        orgs |= {"lone": ("", 20, 8)}  # a blank sector
    else:
        orgs |= {"lone": ("One", 20, 8)}  # the only organisation of its sector
    return orgs


def index_of(level: float) -> float:
    return (level + 0.5 - 1) / 9 * 100


def make_bench(root: Path, orgs: dict[str, tuple[str, int, int]]) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "study.yaml").write_text(BENCH, encoding="utf-8")
    rows = []
    for org, (_, n, level) in orgs.items():
        for wave in ("W1", "W2"):
            for k in range(n):
                v = level + (k % 2)
                rows.append({"rid": f"r{len(rows):05d}", "org": org, "wave": wave, "i1": v,
                             "i2": v, "ok": "Yes" if k % 3 else "No"})
    write(root / "data" / "responses.csv", rows)
    write(root / "data" / "organisations.csv",
          [{"org": o, "name": f"Name of {o}", "sector": s} for o, (s, *_) in orgs.items()])
    return root


@pytest.fixture(scope="module", params=[False, True], ids=["one-org-sector", "blank-sector"])
def bench_site(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("bench")
    orgs = bench_orgs(request.param)
    root = make_bench(base / "study", orgs)
    result = build(root, base / "site", None, make_pdf=False)
    return root, result, orgs


def test_a_lone_organisation_cannot_be_recovered_from_the_national_figures(bench_site):
    # Routes: an empty sector switched off the complement, and an organisation with no sector
    # was in the national total only: National - Σ published sectors was its exact figures.
    _, result, orgs = bench_site
    rows = read_csv(result.out / "data" / "national.csv")
    lone = index_of(8)
    for wave in ("W1", "W2"):
        mine = [r for r in rows if r["wave"] == wave and r["measure"] == "index"]
        nat = next(r for r in mine if r["scope"] == "All sectors")
        k, n = num(nat["organisations"]), num(nat["respondents"])
        total = num(nat["mean"]) * n
        for r in mine:
            if r["scope"] != "All sectors" and r["organisations"]:
                k -= num(r["organisations"])
                n -= num(r["respondents"])
                total -= num(r["mean"]) * num(r["respondents"])
        assert k >= max(1 + R, 5), (wave, k)
        assert n >= (1 + R) * 20 and total >= (1 + R) * 20 * lone - 1e-6, (wave, n, total)
    scopes = {r["scope"] for r in rows}
    if any(s == "" for s, *_ in orgs.values()):
        assert "Not stated" in scopes  # the blank-sector part is shown, and withheld
        assert all(r["organisations"] == "" for r in rows if r["scope"] == "Not stated")
    changes = read_csv(result.out / "data" / "change.csv")
    nat = next(r for r in changes if r["scope"] == "All sectors")
    k = num(nat["organisations"]) - sum(num(r["organisations"]) for r in changes
                                        if r["scope"] != "All sectors" and r["organisations"])
    assert k >= 5


def test_quartiles_of_five_organisations_are_no_organisations_score(bench_site):
    _, result, orgs = bench_site
    # Five's levels 2..6 are evenly spaced: symmetric, so even Harrell-Davis puts the median
    # exactly on the middle organisation's score. That baseline is withheld.
    scores = {index_of(level) for s, _, level in orgs.values() if s == "Five"}
    rows = [r for r in read_csv(result.out / "data" / "sector-five.csv") if r["measure"] == "index"]
    assert rows and all(r["median"] == "" for r in rows)
    assert {r["reason"] for r in rows} == {"a quartile would equal an organisation's score"}
    # Big's eight scores are not symmetric: published, and no quartile is any score.
    big = {index_of(level) for s, _, level in orgs.values() if s == "Big"}
    rows = [r for r in read_csv(result.out / "data" / "sector-big.csv") if r["measure"] == "index"]
    assert rows and all(r["median"] for r in rows)
    for r in rows:
        for q in ("q1", "median", "q3"):
            assert min(abs(num(r[q]) - v) for v in big) > 0.01, (q, r[q])
    assert scores


def test_private_reports_beside_the_public_site(bench_site, tmp_path):
    root, result, orgs = bench_site
    out = tmp_path / "private"
    res = CliRunner().invoke(main, ["orgs", str(root), "--out", str(out), "--no-pdf"])
    assert res.exit_code == 0, res.output
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert "Do not publish this folder" in (out / "README.txt").read_text()
    audit = CliRunner().invoke(main, ["audit", str(result.out), str(out)])
    assert audit.exit_code == 0, audit.output
    assert f"with {len(orgs)} private report(s)" in audit.output
    # By hand: the lone organisation knows its own figures; what the national figures leave
    # for the withheld sectors other than its own must still cover 1.5 times each of them.
    figs = read_csv(out / folder("lone") / "figures.csv")
    own = next(r for r in figs if r["kind"] == "own" and r["measure"] == "index"
               and r["wave"] == "W1")
    rows = [r for r in read_csv(result.out / "data" / "national.csv")
            if r["wave"] == "W1" and r["measure"] == "index"]
    nat = next(r for r in rows if r["scope"] == "All sectors")
    left = num(nat["respondents"]) - sum(num(r["respondents"]) for r in rows
                                         if r["scope"] != "All sectors" and r["respondents"])
    left -= num(own["respondents"])
    for r in rows:
        if r["respondents"] == "" and r["scope"] not in ("One", "Not stated"):
            true_n = sum(n for s, n, _ in orgs.values() if s == r["scope"])
            assert left >= (1 + R) * true_n, (r["scope"], left, true_n)


def test_a_planted_figure_in_a_private_report_fails_the_audit(bench_site, tmp_path):
    root, result, _ = bench_site
    out = tmp_path / "private"
    CliRunner().invoke(main, ["orgs", str(root), "--out", str(out), "--no-pdf"])
    figs = out / folder("lone") / "figures.csv"
    rows = read_csv(figs)
    # A sector withheld for its own sake (not a complement), other than the reader's own.
    withheld = next(r for r in read_csv(result.out / "data" / "national.csv")
                    if r["suppressed"] == "True" and r["scope"] in ("Five", "Big"))
    true_n = sum(n for s, n, _ in bench_orgs(False).values() if s == withheld["scope"])
    rows.append({**rows[-1], "kind": "baseline", "scope": withheld["scope"],
                 "wave": withheld["wave"], "measure": withheld["measure"],
                 "organisations": "", "respondents": str(true_n), "mean": ""})
    with figs.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    bad = CliRunner().invoke(main, ["audit", str(result.out), str(out)])
    assert bad.exit_code == 1
    assert f"{withheld['scope']} {withheld['measure']} {withheld['wave']}: respondents" \
        in bad.output


# --- private outputs stay private ----------------------------------------------------------


def test_organisation_folders_are_unique_and_lookalikes_are_refused(tmp_path):
    ids = ["ORG001", "org001", "ORG 001", "ORG-001", "\u041eRG001", "Acme Ltd", "Acme-Ltd"]
    names = {folder(i) for i in ids}
    assert len(names) == len(ids)  # no two share a folder
    # On a case-blind disk only ORG001 and org001 would meet; such ids are refused (below).
    assert len({n.casefold() for n in names}) == len(ids) - 1
    assert folder("ORG001").casefold() == folder("org001").casefold()
    assert folder("ORG001") == "ORG001"  # a plain id keeps its name
    assert re.fullmatch(r"Acme-Ltd-[0-9a-f]{8}", folder("Acme Ltd"))
    assert folder("Acme Ltd") == folder("Acme Ltd")  # stable
    pairs = collisions(ids)
    # Case, spacing, punctuation and the Cyrillic O all fold to the same skeleton.
    assert ("ORG001", "org001") in pairs and ("ORG001", "\u041eRG001") in pairs
    assert ("ORG001", "ORG 001") in pairs and ("Acme Ltd", "Acme-Ltd") in pairs


def test_validate_and_orgs_refuse_ids_a_reader_could_confuse(tmp_path):
    orgs = bench_orgs(False)
    orgs["BIG0"] = orgs.pop("big1")  # "big0" and "BIG0" differ only in case
    root = make_bench(tmp_path / "study", orgs)
    v = CliRunner().invoke(main, ["validate", str(root)])
    assert v.exit_code == 1
    assert "organisation ids 'BIG0' and 'big0' could be taken for one another" in v.output
    o = CliRunner().invoke(main, ["orgs", str(root), "--out", str(tmp_path / "p"), "--no-pdf"])
    assert o.exit_code == 1 and "could take for one another: 'BIG0' and 'big0'" in o.output
    assert not (tmp_path / "p").exists()


def test_public_and_private_folders_never_replace_each_other(bench_site, tmp_path):
    root, _, _ = bench_site
    site, private = tmp_path / "site", tmp_path / "private"
    run = CliRunner().invoke
    assert run(main, ["build", str(root), "--out", str(site), "--no-pdf"]).exit_code == 0
    assert run(main, ["orgs", str(root), "--out", str(private), "--no-pdf"]).exit_code == 0
    r = run(main, ["orgs", str(root), "--out", str(site), "--no-pdf"])
    assert r.exit_code == 1 and "holds a public site (rocsreport build)" in r.output
    r = run(main, ["build", str(root), "--out", str(private), "--no-pdf"])
    assert r.exit_code == 1 and "holds private organisation reports (rocsreport orgs)" \
        in r.output
    r = run(main, ["build", str(root), "--out", str(private / "public"), "--no-pdf"])
    assert r.exit_code == 1 and "must not be written there" in r.output
    r = run(main, ["orgs", str(root), "--out", str(site / "private"), "--no-pdf"])
    assert r.exit_code == 1 and "must not be written there" in r.output
    assert (site / "index.html").is_file() and (private / "big0" / "index.html").is_file()


def test_orgs_for_one_organisation_replaces_only_its_folder(bench_site, tmp_path):
    root, _, _ = bench_site
    private = tmp_path / "private"
    run = CliRunner().invoke
    assert run(main, ["orgs", str(root), "--out", str(private), "--no-pdf"]).exit_code == 0
    other = private / "five0" / "index.html"
    before = other.read_bytes()
    (private / "big0" / "index.html").write_text("stale")
    r = run(main, ["orgs", str(root), "--out", str(private), "--org", "big0", "--no-pdf"])
    assert r.exit_code == 0, r.output
    assert other.read_bytes() == before
    assert "Name of big0" in (private / "big0" / "index.html").read_text()
    assert len([p for p in private.iterdir() if p.is_dir()]) == len(bench_orgs(False))


def test_the_examples_pass_the_audit_with_their_private_reports():
    # The shipped benchmark, protected by the build: no finding beside any private report.
    from rocsreport.ledger import read_files, structure
    from rocsreport.protect import public_files, run_audit

    example = Path(__file__).resolve().parents[1] / "surveys" / "service-index"
    report, _, truth = compute_protected(example)
    st = structure(report)
    res, readers = run_audit(report, st, truth, read_files(public_files(report), st))
    assert res.ok and res.checked > 1000 and readers > 10
    doc = json.loads(public_files(report)["baselines.json"])
    assert doc["baselines"]


def test_a_single_choice_distribution_cannot_be_differenced(tmp_path):
    """Every single choice now has its distribution by every breakdown. Group B has 5
    respondents (under suppress_below 10): its shares are withheld, and so are group A's,
    since All minus A would give B. Counts by hand from the rows written here: B holds
    Red 1, Green 2, Blue 2."""
    root = tmp_path / "s"
    (root / "data").mkdir(parents=True)
    colours = ["Red", "Green", "Blue", "Blue", "Green"] + ["Red"] * 30 + ["Green"] * 15 + \
        ["Blue"] * 10
    rows = [f"r{i},{'B' if i < 5 else 'A'},{c},{'Yes' if i % 2 else 'No'}"
            for i, c in enumerate(colours)]
    (root / "data" / "d.csv").write_text("rid,grp,q,ind\n" + "\n".join(rows) + "\n")
    (root / "study.yaml").write_text("""\
title: Differencing
synthetic: true
sources:
  s: {file: data/d.csv, id: rid}
questions:
  - {id: rid, type: id}
  - {id: grp, type: single, wording: Group, codes: [A, B]}
  - {id: q, type: single, wording: Favourite colour, codes: [Red, Green, Blue]}
  - {id: ind, type: single, wording: Do you, codes: ["Yes", "No"]}
indicators:
  yes: {label: Says yes, question: ind, numerator: ["Yes"]}
breakdowns:
  grp: {question: grp}
disclosure: {suppress_below: 10, flag_below: 30}
""")
    site = tmp_path / "site"
    r = CliRunner().invoke(main, ["build", str(root), "--out", str(site), "--no-pdf"])
    assert r.exit_code == 0, r.output
    table = list(csv.DictReader(io.StringIO((site / "data" / "question-q.csv").read_text())))
    assert len(table) == 9
    for row in table:
        if row["group"] == "All":
            assert row["suppressed"] == "False" and row["n"] == "60"
        else:
            assert row["suppressed"] == "True" and row["estimate"] == ""
            assert row["secondary"] == ("True" if row["group"] == "A" else "False")
    # The page without its chart's axis (0% to 100% in steps of 20%).
    page = re.sub(r"<svg.*?</svg>", "", (site / "question-q.html").read_text(), flags=re.S)
    # By hand: B's shares are 20%, 40%, 40%; A's 30/55 = 54.5%, 15/55 = 27.3%, 10/55 =
    # 18.2%; All's 31/60 = 51.7%, 17/60 = 28.3%, 12/60 = 20% (so B's 20% may appear).
    assert ">52%<" in page or ">51.7%<" in page
    for share in ("54.5%", "27.3%", "18.2%", "55%", "27%", "18%", "40%"):
        assert f">{share}<" not in page
    out = CliRunner().invoke(main, ["audit", str(site)])
    assert out.exit_code == 0 and "0 finding(s)" in out.output, out.output
