"""Benchmarks: baselines, ranks, change counts, disclosure rules and the private-report leak scan,
on a small study whose every figure is worked out by hand below."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from scipy import stats as sps

from rocsreport.benchmark import NATIONAL, fisher_z_ci, pearson, percentile_rank, quartiles
from rocsreport.cli import main
from rocsreport.orgs import write_org_reports
from rocsreport.pipeline import build, compute
from rocsreport.synth import service_index

STUDY = """\
title: Benchmark test
synthetic: true
unit: customers
sources:
  responses: {file: data/responses.csv, id: rid}
  organisations: {file: data/organisations.csv, id: org}
questions:
  - {id: rid, type: id}
  - {id: org, type: id, source: [responses, organisations], references: organisations}
  - {id: name, type: text, source: organisations, wording: Name}
  - {id: sector, type: single, source: organisations, wording: Sector, codes: [Big, Four, Dom]}
  - {id: wave, type: single, wording: Wave, codes: [W1, W2]}
  - {id: i1, type: number, min: 1, max: 10, wording: Item one}
  - {id: i2, type: number, min: 1, max: 10, wording: Item two}
  - {id: rec, type: number, min: 0, max: 10, scale: nps, wording: Recommend}
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
  nps: rec
  publish_organisation_scores: false
"""

# org: (sector, name, respondents per wave, item level in W1, shift in W2)
ORGS = {
    "org-alder": ("Big", "Alder Bank", 20, 3, 1), "org-birch": ("Big", "Birch Bank", 20, 4, 0),
    "org-cedar": ("Big", "Cedar Bank", 20, 5, -1), "org-damson": ("Big", "Damson Bank", 20, 6, 0),
    "org-elder": ("Big", "Elder Bank", 20, 7, -1), "org-fir": ("Big", "Fir Bank", 20, 7, 1),
    "org-tiny": ("Big", "Tiny Bank", 5, 9, 0),
    "org-gorse": ("Four", "Gorse Mart", 20, 5, 0), "org-hazel": ("Four", "Hazel Mart", 20, 5, 0),
    "org-ivy": ("Four", "Ivy Mart", 20, 5, 0), "org-juniper": ("Four", "Juniper Mart", 20, 5, 0),
    # Dom: Kale has 25 of Dom's 65 respondents (dominant). Dom is small enough beside Four that
    # neither withheld sector can be narrowed within ±50% by the other's members.
    "org-kale": ("Dom", "Kale Energy", 25, 6, 0), "org-larch": ("Dom", "Larch Energy", 10, 6, 0),
    "org-maple": ("Dom", "Maple Energy", 10, 6, 0),
    "org-nettle": ("Dom", "Nettle Energy", 10, 6, 0),
    "org-oak": ("Dom", "Oak Energy", 10, 6, 0),
}


def index_of(level: float) -> float:
    # Respondents alternate level and level + 1 on both items: the mean item is level + 0.5,
    # rescaled from 1..10 to 0..100.
    return (level + 0.5 - 1) / 9 * 100


@pytest.fixture(scope="module")
def bench_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench") / "study"
    (root / "data").mkdir(parents=True)
    (root / "study.yaml").write_text(STUDY)
    rows = []
    for org, (_, _, n, level, shift) in ORGS.items():
        for wave, lv in (("W1", level), ("W2", level + shift)):
            for k in range(n):
                v = lv + (k % 2)
                rows.append([f"r{len(rows):05d}", org, wave, v, v, 9 if k % 2 else 5,
                             "Yes" if k % 3 else "No"])
    with (root / "data" / "responses.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rid", "org", "wave", "i1", "i2", "rec", "ok"])
        w.writerows(rows)
    with (root / "data" / "organisations.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["org", "name", "sector"])
        w.writerows([[o, name, s] for o, (s, name, *_) in ORGS.items()])
    report, _ = compute(root)
    return root, report, rows


def test_quartiles_are_harrell_davis_and_ranks_share_ties():
    # Source: scipy.stats.mstats.hdquantiles, an independent implementation of Harrell and
    # Davis (1982). Tolerance 1e-10.
    from scipy.stats.mstats import hdquantiles

    vals = [index_of(v) for v in (3, 4, 5, 6, 7, 7)]
    ref = hdquantiles(np.array(vals), prob=[0.25, 0.5, 0.75])
    assert list(quartiles(vals)) == pytest.approx(list(ref), abs=1e-10)
    # With 5 organisations R's type 7 puts all three quartiles on organisations' exact scores;
    # Harrell-Davis puts none there.
    five = [61.0, 64.5, 70.25, 72.0, 80.5]
    assert list(np.percentile(five, [25, 50, 75])) == [64.5, 70.25, 72.0]
    hd = quartiles(five)
    assert list(hd) == pytest.approx(list(hdquantiles(np.array(five), prob=[0.25, 0.5, 0.75])),
                                     abs=1e-10)
    assert not any(abs(q - v) < 1e-6 for q in hd for v in five)
    # Mid-rank percentiles: 75 is tied twice among [70, 75, 75, 80].
    assert percentile_rank(75, [70, 75, 75, 80]) == 50.0
    assert percentile_rank(80, [70, 75, 75, 80]) == 87.5
    assert percentile_rank(70, [70, 75, 75, 80]) == 12.5


def test_correlation_and_fisher_z_match_scipy():
    # Source: scipy.stats.pearsonr and its Fisher-z confidence_interval. Tolerance 1e-12.
    rng = np.random.default_rng(7)
    x = rng.normal(size=40)
    y = 0.5 * x + rng.normal(size=40)
    r, p = pearson(list(x), list(y))
    ref = sps.pearsonr(x, y)
    assert r == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(ref.pvalue, abs=1e-12)
    ci = ref.confidence_interval(0.95)
    assert fisher_z_ci(r, 40) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_sector_baseline_by_hand(bench_study):
    _, report, _ = bench_study
    bm = report.benchmark
    big = bm.baseline("Big", "W1", "index")
    vals = [index_of(v) for v in (3, 4, 5, 6, 7, 7)]  # T1 (n = 5) does not contribute
    assert (big.k, big.n) == (6, 120)
    assert big.mean == pytest.approx(sum(vals) / 6, abs=1e-9)
    from scipy.stats.mstats import hdquantiles

    ref = hdquantiles(np.array(vals), prob=[0.25, 0.5, 0.75])  # Harrell-Davis, scipy
    assert (big.q1, big.median, big.q3) == pytest.approx(tuple(ref), abs=1e-9)
    nat = bm.baseline(NATIONAL, "W1", "index")
    assert (nat.k, nat.n) == (15, 265)
    # B5 and B6 tie at the top of Big: (4 below + half of 2 equal) / 6.
    pos = {p.org: p for p in bm.positions if (p.wave, p.measure) == ("W1", "index")}
    assert pos["org-elder"].sector_rank == pytest.approx(100 * 5 / 6)
    assert pos["org-fir"].sector_rank == pos["org-elder"].sector_rank
    assert "org-tiny" not in pos  # fewer than 10 respondents: no published figure, no rank


def test_minimum_contributors_and_dominance(bench_study):
    _, report, _ = bench_study
    bm = report.benchmark
    four = bm.baseline("Four", "W1", "index")
    assert four.suppressed and four.reason == "fewer than 5 organisations"
    assert (four.k, four.n, four.mean, four.median, four.q1, four.q3) == (None,) * 6
    dom = bm.baseline("Dom", "W1", "index")  # Kale has 25 of 65 respondents
    assert dom.suppressed and dom.reason == "one organisation has more than 25% of the respondents"
    assert dom.median is None
    # An organisation in a withheld sector gets no sector rank or verdict.
    pos = {p.org: p for p in bm.positions if (p.wave, p.measure) == ("W1", "index")}
    assert pos["org-gorse"].sector_rank is None and pos["org-gorse"].vs_sector is None


def test_change_counts_against_an_independent_count(bench_study):
    _, report, rows = bench_study
    # Independent count from the rows: the mean index per organisation and wave.
    sums: dict[tuple[str, str], list[float]] = {}
    for _, org, wave, i1, i2, _, _ in rows:
        sums.setdefault((org, wave), []).append(((i1 + i2) / 2 - 1) / 9 * 100)
    up = down = same = 0
    for org in ORGS:
        a, b = sums[(org, "W1")], sums[(org, "W2")]
        if len(a) < 10 or len(b) < 10:
            continue
        d = sum(b) / len(b) - sum(a) / len(a)
        up, down, same = up + (d >= 1), down + (d < -1), same + (-1 <= d < 1)
    counts = {c.scope: c for c in report.benchmark.counts_for(("W1", "W2"))}
    nat = counts[NATIONAL]
    assert (nat.up, nat.down, nat.unchanged, nat.total) == (up, down, same, 15) == (2, 2, 11, 15)
    assert (counts["Big"].up, counts["Big"].down, counts["Big"].unchanged) == (2, 2, 2)
    # Four has 4 organisations: withheld. With the national total published, Four = total - Big
    # - Dom, so the smaller of the others (Dom, 5 organisations) is withheld too.
    assert counts["Four"].suppressed and not counts["Four"].secondary
    assert counts["Dom"].suppressed and counts["Dom"].secondary and counts["Dom"].up is None
    assert not counts["Big"].suppressed


def test_public_site_names_no_organisation(bench_study, tmp_path):
    root, _, _ = bench_study
    result = build(root, tmp_path / "site", None)
    texts = {str(p.relative_to(result.out)): p.read_text(encoding="utf-8")
             for p in sorted(result.out.rglob("*")) if p.is_file() and p.suffix != ".pdf"}
    texts["report.pdf"] = " ".join(
        pg.extract_text() for pg in PdfReader(str(result.out / "report.pdf")).pages)
    for org, (_, name, *_) in ORGS.items():
        for name_text, text in texts.items():
            assert name not in text, (name_text, name)
            assert not re.search(rf"\b{org}\b", text), (name_text, org)
    doc = json.loads(texts["baselines.json"])
    assert {b["scope"] for b in doc["baselines"]} == {NATIONAL, "Big", "Four", "Dom"}
    four = next(b for b in doc["baselines"] if b["scope"] == "Four")
    assert four["median"] is None and four["suppressed"]


def test_private_reports_hold_no_other_organisation(bench_study, tmp_path):
    _, report, _ = bench_study
    out = tmp_path / "private"
    write_org_reports(report, out, make_pdf=True, jobs=2)
    for org, (_, name, *_) in ORGS.items():
        folder = out / org
        html = (folder / "index.html").read_text(encoding="utf-8")
        pdf = " ".join(p.extract_text() for p in PdfReader(str(folder / "report.pdf")).pages)
        raw = b"".join(p.read_bytes() for p in sorted(folder.iterdir()))
        assert name in html and name in pdf
        for other, (_, other_name, *_) in ORGS.items():
            if other == org:
                continue
            for text in (html, pdf, raw.decode("latin-1")):
                assert other_name not in text, (org, other_name)
                assert not re.search(rf"\b{other}\b", text), (org, other)


def test_private_report_content(bench_study, tmp_path):
    _, report, _ = bench_study
    write_org_reports(report, tmp_path / "p", "org-fir", make_pdf=False)
    html = (tmp_path / "p" / "org-fir" / "index.html").read_text()
    assert f"{index_of(8):.1f}" in html  # B6's W2 index: level 7 + 1
    assert "Change since W1" in html and "+11.1" in html
    big_w2 = sorted(index_of(v) for v in (4, 4, 4, 6, 6, 8))  # W2 levels of B1..B6
    assert f"{quartiles(big_w2)[1]:.1f}" in html  # the sector median


def test_orgs_command_rejects_an_unknown_organisation(bench_study, tmp_path):
    root, _, _ = bench_study
    result = CliRunner().invoke(main, ["orgs", str(root), "--out", str(tmp_path / "x"),
                                       "--org", "NOPE"])
    assert result.exit_code == 1
    assert result.output == ("Error: unknown organisation 'NOPE' (the study has 16 "
                             "organisations, e.g. org-alder)\n")


def test_compare_places_own_responses_on_the_baselines(bench_study, tmp_path):
    root, _, _ = bench_study
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    mine = tmp_path / "mine.csv"
    mine.write_text("wave,i1,i2,rec\n" + "".join(
        f"W1,{8 + k % 2},{8 + k % 2},10\n" for k in range(12)) + "W9,5,5,5\nW1,11,5,5\n")
    result = CliRunner().invoke(main, [
        "compare", "--baselines", str(site / "baselines.json"), "--responses", str(mine),
        "--study", str(root), "--sector", "Big", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output.split("\n", 1)[1])  # first line: the rejected note
    assert result.output.startswith("note: 2 row(s)")
    idx = next(r for r in rows if r["measure"] == "index")
    assert idx["n"] == 12 and idx["score"] == pytest.approx(index_of(8), abs=1e-9)
    assert idx["baseline"] == "Big" and idx["band"] == "above the upper quartile"
    # Four's baseline is withheld, so a Four organisation is compared nationally.
    result = CliRunner().invoke(main, [
        "compare", "--baselines", str(site / "baselines.json"), "--responses", str(mine),
        "--study", str(root), "--sector", "Four", "--format", "json"])
    rows = json.loads(result.output.split("\n", 1)[1])
    assert {r["baseline"] for r in rows} == {NATIONAL}


def test_synth_is_deterministic_and_the_example_is_its_output(tmp_path):
    a = service_index(3000, tmp_path / "a")
    b = service_index(3000, tmp_path / "b")
    for f in ("responses.parquet", "organisations.csv", "metrics.csv"):
        assert (a / "data" / f).read_bytes() == (b / "data" / f).read_bytes()
    example = Path(__file__).resolve().parents[1] / "surveys" / "service-index"
    c = service_index(50_000, tmp_path / "c")
    for f in ("organisations.csv", "metrics.csv"):
        assert (c / "data" / f).read_bytes() == (example / "data" / f).read_bytes(), f
    # Parquet bytes carry the writer's version (DuckDB's created_by), so the shipped file is
    # compared by content: the same columns, types and rows in the same order.
    import duckdb

    def rows(path):
        con = duckdb.connect()
        try:
            return (con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall(),
                    con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall())
        finally:
            con.close()
    assert rows(c / "data" / "responses.parquet") == rows(example / "data" / "responses.parquet")
    assert (example / "study.yaml").read_text() == (c / "study.yaml").read_text()


def test_example_index_has_the_shape_the_issue_asks_for():
    example = Path(__file__).resolve().parents[1] / "surveys" / "service-index"
    report, _ = compute(example)
    bm = report.benchmark
    assert len(bm.sectors) == 13 and len(bm.names) == 250 and len(bm.waves) >= 3
    head = {c.scope: c for c in bm.counts_for(bm.headline)}[NATIONAL]
    assert head.up > 0 and head.down > 0
    tourism = bm.baseline("Tourism", bm.latest, "index")
    assert tourism.suppressed and tourism.reason == "fewer than 5 organisations"
    assert any(b.suppressed and "more than 25%" in b.reason for b in bm.baselines)
    assert any(o.score("index").suppressed for o in bm.orgs)  # small samples exist
    rel = {r.metric: r for r in bm.relationships}
    assert rel["complaints_per_1000"].r < 0 < rel["repeat_purchase_rate"].r
    assert not math.isnan(rel["complaints_per_1000"].ci_low)


def test_synth_rejects_an_impossible_size(tmp_path):
    result = CliRunner().invoke(main, ["synth", "service-index", "--respondents", "0",
                                       "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert result.output == "Error: --respondents must be between 1 and 10,000,000, got 0\n"
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())




def _respondent_index(rows, wave, orgs):
    """The index per respondent from the raw rows, as the study defines it: the mean of its
    items rescaled from 1..10 to 0..100."""
    ys, groups = [], []
    for _, org, w, i1, i2, _, _ in rows:
        if w == wave and org in orgs:
            ys.append(((i1 - 1) + (i2 - 1)) / 2 / 9 * 100)
            groups.append(org)
    return np.array(ys), np.array(groups)


def test_sector_interval_and_change_match_statsmodels_cluster_robust(bench_study):
    """The sector index's interval treats customers as clustered in their organisations.
    Independent route: statsmodels OLS of the respondent-level index on a constant with
    cluster-robust errors by organisation (its small-sample factor G/(G-1)·(N-1)/(N-K) is
    G/(G-1) for K = 1, Taylor linearisation's factor), t on G - 1 df. Tolerance 1e-9."""
    import statsmodels.api as sm

    _, report, rows = bench_study
    bm = report.benchmark
    big = [o for o, (s, _, n, *_) in ORGS.items() if s == "Big" and n >= 10]
    fits = {}
    for wave in ("W1", "W2"):
        y, g = _respondent_index(rows, wave, big)
        codes = np.unique(g, return_inverse=True)[1]
        fit = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type="cluster",
                                                  cov_kwds={"groups": codes})
        se = float(fit.bse[0])
        half = sps.t.ppf(0.975, len(big) - 1) * se
        b = bm.baseline("Big", wave, "index")
        assert b.mean == pytest.approx(float(fit.params[0]), abs=1e-9)
        assert b.se == pytest.approx(se, abs=1e-9)
        assert (b.ci_low, b.ci_high) == pytest.approx((b.mean - half, b.mean + half), abs=1e-9)
        fits[wave] = (float(fit.params[0]), se)
    # The change W1 -> W2: Welch t with Satterthwaite df, by hand.
    (m1, s1), (m2, s2) = fits["W1"], fits["W2"]
    df = (s1 ** 2 + s2 ** 2) ** 2 / (s1 ** 4 / 5 + s2 ** 4 / 5)
    t = (m2 - m1) / math.hypot(s1, s2)
    c = bm.index_change("Big", "W1", "W2")
    assert c.diff == pytest.approx(m2 - m1, abs=1e-9)
    assert c.df == pytest.approx(df, rel=1e-9)
    assert c.p_value == pytest.approx(2 * sps.t.sf(abs(t), df), abs=1e-9)
    # A withheld mean has no interval, and no change is published from or to it.
    for b in bm.baselines:
        if b.mean is None:
            assert (b.se, b.ci_low, b.ci_high) == (None, None, None)
            assert not [x for x in bm.index_changes if x.scope == b.scope and b.wave in
                        (x.from_wave, x.to_wave) and x.measure == b.measure]


def _report_table(html: str) -> list[list[str]]:
    """The rows of the "Your scores against ..." table: measure, you, CI, n, quartiles."""
    body = html.split("Your scores against", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</t[hd]>", tr)]
        rows.append(cells[:7])
    return rows


def test_compare_report_equals_the_private_report(bench_study, tmp_path):
    """An organisation that benchmarks itself with its own responses gets the numbers its
    private report holds: the same scores, intervals, bases and baselines, drawn by the same
    template, written as index.html and report.pdf."""
    root, report, rows = bench_study
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    private = tmp_path / "private"
    write_org_reports(report, private, org="org-birch", make_pdf=False)
    mine = tmp_path / "birch.csv"
    with mine.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rid", "org", "wave", "i1", "i2", "rec", "ok"])
        w.writerows(r for r in rows if r[1] == "org-birch")
    out = tmp_path / "mine"
    result = CliRunner().invoke(main, [
        "compare", "--baselines", str(site / "baselines.json"), "--responses", str(mine),
        "--study", str(root), "--sector", "Big", "--out", str(out), "--name", "Birch Bank"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "report.pdf").is_file()
    assert (out / ".rocsreport-compare").is_file()
    mine_html = (out / "index.html").read_text()
    theirs = (private / "org-birch" / "index.html").read_text()
    ours_t, theirs_t = _report_table(mine_html), _report_table(theirs)
    assert len(ours_t) == len(report.benchmark.measures) and ours_t == theirs_t
    # The same change between waves, and the edition it compares against.
    change = re.compile(r"Change since[^<]*</span><span class=\"big\">([^<]*)")
    assert change.search(mine_html)[1] == change.search(theirs)[1]
    assert "Benchmark test" in mine_html and "W1, W2" in mine_html
    assert "Self-benchmark report for Birch Bank" in mine_html
    text = " ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    assert "Birch Bank" in text and ours_t[0][1] in text


def test_compare_report_says_what_it_could_not_compare(bench_study, tmp_path):
    root, _, rows = bench_study
    site = build(root, tmp_path / "site", None, make_pdf=False).out
    mine = tmp_path / "only-i1.csv"
    with mine.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["wave", "i1"])
        w.writerows([r[2], r[3]] for r in rows if r[1] == "org-birch")
    out = tmp_path / "mine"
    result = CliRunner().invoke(main, [
        "compare", "--baselines", str(site / "baselines.json"), "--responses", str(mine),
        "--study", str(root), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text()
    assert "What could not be compared" in html
    for line in ("Item two: not in your responses", "Satisfaction index: not in your "
                 "responses (the index needs every item)", "Net promoter score: not in your "
                 "responses", "your sector was not given"):
        assert line in html, line
    # The item it asked is compared with the national baseline.
    assert re.search(r"<th scope=\"row\">Item one</th>\s*<td>\d", html)
    assert "Strongest" not in html  # one item: nothing to rank it against


@pytest.fixture(scope="module")
def published_site(bench_study, tmp_path_factory):
    """The same study with ``publish_organisation_scores: true``, built."""
    import shutil

    root, _, _ = bench_study
    copy = tmp_path_factory.mktemp("published") / "study"
    shutil.copytree(root / "data", copy / "data")
    (copy / "study.yaml").write_text(STUDY.replace("publish_organisation_scores: false",
                                                   "publish_organisation_scores: true"))
    return build(copy, copy.parent / "site", None, make_pdf=False)


def test_published_scores_make_a_league_table_and_organisation_pages(published_site):
    out = published_site.out
    league = (out / "organisations.html").read_text()
    bm = published_site.report.benchmark
    w2 = {o.org: o.score("index") for o in bm.orgs if o.wave == "W2"}
    shown = {org for org, s in w2.items() if not s.suppressed}
    # org-tiny has 5 respondents a wave: listed without a number, and no page.
    assert "org-tiny" not in shown and "Tiny Bank" in league
    tiny_row = re.search(r"Tiny Bank.*?</tr>", league, re.S)[0]
    assert "not enough responses" in tiny_row and not re.search(r"\d+\.\d", tiny_row)
    assert not (out / "org-org-tiny.html").exists()
    for org in shown:
        page = out / f"org-{org}.html"
        assert page.is_file(), org
        html = page.read_text()
        assert html.count('<figure class="chart">') == 4, org
        assert f"{w2[org].mean:.1f}" in html
    # Ranked by index, highest first, each with its interval and base.
    names = dict((o, n) for o, n, _ in bm.names)
    ranked = sorted(shown, key=lambda o: (-w2[o].mean, names[o]))
    pos = [league.index(f">{names[o]}</a>") for o in ranked]
    assert pos == sorted(pos)
    top = w2[ranked[0]]
    assert f"{top.ci_low:.1f} to {top.ci_high:.1f}" in league and f"<td>{top.n}</td>" in league


def test_published_scores_keep_a_lone_small_organisation_hidden(published_site):
    """org-tiny is the only organisation withheld in each wave: the national figures minus
    the published organisations would give its scores, so the smallest published one is
    withheld too (Larch, Maple, Nettle and Oak tie at 10; the first id is chosen)."""
    bm = published_site.report.benchmark
    for wave in ("W1", "W2"):
        hidden = [o.org for o in bm.orgs if o.wave == wave and o.score("index").suppressed]
        assert sorted(hidden) == ["org-larch", "org-tiny"], wave
        larch = bm.org_wave("org-larch", wave).score("index")
        assert larch.secondary
    # The scan: every number on the public site about an organisation is one it publishes.
    text = " ".join(p.read_text() for p in published_site.out.rglob("*.html"))
    assert "Larch Energy" in text
    larch_page = published_site.out / "org-org-larch.html"
    assert not larch_page.exists()
    rows = list(csv.DictReader((published_site.out / "data" / "organisations.csv").open()))
    for r in rows:
        if r["organisation"] in ("org-tiny", "org-larch") and r["measure"] == "index":
            assert r["score"] == "" and r["respondents"] == "", r


def test_weighted_benchmark_uses_the_weights(bench_study, tmp_path):
    """With respondent weights declared, organisation and sector figures are weighted.
    Independent route: the respondent rows in numpy. An organisation's weighted mean and its
    linearised standard error, sqrt(n/(n-1) · Σ w²(y - m)²) / Σw (R's survey package,
    svymean under svydesign(ids = ~1, weights = ~w); statsmodels' DescrStatsW gives the same
    mean); the sector mean Σw·y / Σw over its contributing organisations, its cluster-robust
    standard error from the organisations' weighted totals. Tolerance 1e-9."""
    import shutil

    from statsmodels.stats.weightstats import DescrStatsW

    root, _, rows = bench_study
    copy = tmp_path / "weighted"
    shutil.copytree(root / "data", copy / "data")
    weights = {r[0]: 0.5 + (int(r[0][1:]) % 7) / 4 for r in rows}
    with (copy / "data" / "responses.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rid", "org", "wave", "i1", "i2", "rec", "ok", "w"])
        w.writerows([*r, weights[r[0]]] for r in rows)
    (copy / "study.yaml").write_text(
        STUDY.replace("responses: {file: data/responses.csv, id: rid}",
                      "responses: {file: data/responses.csv, id: rid, weight: w}")
        .replace("  - {id: ok,", "  - {id: w, type: number, min: 0, wording: Weight}\n"
                 "  - {id: ok,"))
    report, _ = compute(copy)
    bm = report.benchmark
    assert bm.weighted
    big = [o for o, (s, _, n, *_) in ORGS.items() if s == "Big" and n >= 10]
    y_of = {r[0]: ((r[3] - 1) + (r[4] - 1)) / 2 / 9 * 100 for r in rows}
    totals, wsums = [], []
    for org in big:
        rids = [r[0] for r in rows if r[1] == org and r[2] == "W1"]
        y = np.array([y_of[i] for i in rids])
        w = np.array([weights[i] for i in rids])
        m = float(np.sum(w * y) / np.sum(w))
        assert m == pytest.approx(DescrStatsW(y, weights=w).mean, abs=1e-9)
        se = math.sqrt(len(y) / (len(y) - 1) * np.sum((w * (y - m)) ** 2)) / np.sum(w)
        s = bm.org_wave(org, "W1").score("index")
        assert (s.mean, s.se) == pytest.approx((m, se), abs=1e-9)
        totals.append(float(np.sum(w * y)))
        wsums.append(float(np.sum(w)))
    b = bm.baseline("Big", "W1", "index")
    mean = sum(totals) / sum(wsums)
    assert b.mean == pytest.approx(mean, abs=1e-9)
    k = len(big)
    se = math.sqrt(k / (k - 1) * sum((t - mean * ws) ** 2 for t, ws in zip(totals, wsums))
                   ) / sum(wsums)
    assert b.se == pytest.approx(se, abs=1e-9)
    assert b.n == 120  # the base stays the respondents


def test_threshold_and_change_wording():
    from rocsreport.words import change_words, threshold

    assert threshold(1) == "1 point" and threshold(1.0) == "1 point"
    assert threshold(11.1111) == "11.1111 points" and threshold(2) == "2 points"
    assert threshold(0.5) == "0.5 points"
    assert change_words(-1.23, True, "a year ago") == ("down 1.2 points on a year ago; a "
                                                       "significant fall")
    assert change_words(1.0, False, "July 2013") == ("up 1.0 point on July 2013; not a "
                                                     "significant change")
    assert change_words(0.04, False, "July 2013").startswith("unchanged on July 2013")


def test_one_wave_has_no_change_page_and_three_items_no_double_naming(bench_study, tmp_path):
    """A study with one wave gets no "Change between waves" page; with three items, the
    private report names one strongest and one weakest item, never the middle one twice."""
    import shutil

    root, _, rows = bench_study
    copy = tmp_path / "one"
    shutil.copytree(root / "data", copy / "data")
    with (copy / "data" / "responses.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rid", "org", "wave", "i1", "i2", "i3", "rec", "ok"])
        w.writerows([r[0], r[1], r[2], r[3], r[4], max(1, r[3] - 1), r[5], r[6]]
                    for r in rows if r[2] == "W1")
    (copy / "study.yaml").write_text(
        STUDY.replace("codes: [W1, W2]", "codes: [W1]")
        .replace("  - {id: rec,", "  - {id: i3, type: number, min: 1, max: 10, wording: Item "
                 "three}\n  - {id: rec,").replace("items: [i1, i2]", "items: [i1, i2, i3]")
        .replace("publish_organisation_scores: false", "publish_organisation_scores: false\n"
                 "  change_threshold: 11.1111"))
    result = build(copy, tmp_path / "site", None, make_pdf=False)
    assert not (result.out / "change.html").exists()
    assert "Change between waves" not in (result.out / "index.html").read_text()
    write_org_reports(result.report, tmp_path / "p", "org-birch", make_pdf=False)
    html = (tmp_path / "p" / "org-birch" / "index.html").read_text()
    strongest = re.search(r"<dt>Strongest</dt><dd>(.*?)</dd>", html, re.S)[1]
    weakest = re.search(r"<dt>Weakest</dt><dd>(.*?)</dd>", html, re.S)[1]
    named = re.findall(r"Item \w+", strongest) + re.findall(r"Item \w+", weakest)
    assert len(named) == 2 and len(set(named)) == 2
