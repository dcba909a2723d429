"""Tables of published estimates, shared by the terminal (`rocsreport stats`) and the CSV files.

Only the result model is read here, so a suppressed cell has no numbers to print.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence

from .errors import RocsError
from .results import ALL as ALL_GROUP
from .results import Estimate, Report
from .spec import Code, Question

ESTIMATE_FIELDS = ("group", "n", "estimate", "ci_low", "ci_high", "se", "df", "deff", "cv",
                   "quality", "interval", "effective_n", "suppressed", "low_base")


MEASURES = ("proportion", "mean", "total", "quantiles")


def estimate_rows(report: Report, name: str, breakdown: str | None = None,
                  measure: str | None = None) -> list[dict[str, object]]:
    """The overall cell, then one per group of ``breakdown``, as plain dicts, for an
    indicator (``proportion``, or ``total``: its estimated population count) or a number
    question (``mean``, ``total`` or ``quantiles``: one row per cell and probability). Every
    row names its ``measure``; the default is the indicator's or question's own."""
    ind = {r.indicator.id: r for r in report.indicators}
    num = {n.question.id: n for n in report.numbers}
    if name in ind:
        res = ind[name]
        measure = measure or "proportion"
        allowed = ("proportion", "total")
        series = {"proportion": (res.overall, res.by), "total": (res.total, res.total_by)}
        what = f"indicator {name!r}"
    elif name in num:
        res = num[name]
        measure = measure or "mean"
        allowed = ("mean", "total", "quantiles")
        series = {"mean": (res.mean, res.mean_by), "total": (res.total, res.total_by)}
        what = f"number question {name!r}"
    else:
        raise RocsError(f"unknown indicator or number question {name!r} (expected one of: "
                        f"{', '.join([*ind, *num])})")
    if measure not in allowed:
        raise RocsError(f"--measure {measure} does not apply to {what} (expected one of: "
                        f"{', '.join(allowed)})")
    if measure == "quantiles":
        bids = {c.breakdown for c in res.quantiles} - {"all"}
        _check_breakdown(breakdown, [b.breakdown.id for b in res.mean_by])
        return [{"measure": "quantile", "breakdown": c.breakdown, "group": c.group,
                 "probability": c.p, "n": c.n, "estimate": c.estimate, "ci_low": c.ci_low,
                 "ci_high": c.ci_high, "se": c.se, "df": c.df, "suppressed": c.suppressed}
                for c in res.quantiles
                if c.breakdown == "all" or (c.breakdown == breakdown and breakdown in bids)]
    overall, by = series[measure]
    if overall is None:
        raise RocsError(f"{what} has no total: add 'measure: total' to it in study.yaml "
                        "(a total needs weights that gross up to the population)")
    cells: list[tuple[str, Estimate]] = [("all", overall)]
    if breakdown is not None:
        _check_breakdown(breakdown, [b.breakdown.id for b in by])
        cells += [(breakdown, c) for b in by if b.breakdown.id == breakdown for c in b.cells]
    return [{"measure": measure, "breakdown": bid, **c.as_dict()} for bid, c in cells]


def _check_breakdown(breakdown: str | None, bids: list[str]) -> None:
    if breakdown is not None and breakdown not in bids:
        raise RocsError(f"unknown breakdown {breakdown!r} (expected one of: "
                        f"{', '.join(bids)})")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection in text cells (OWASP): a text cell starting with
    = + - @ tab or CR gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str):
        # Each line of a multi-line cell too: a reader that splits rows at CR or LF sees it
        # start a row.
        value = re.sub(r"([\r\n])(?=[=+\-@\t])", r"\1'", value)
        return "'" + value if value.startswith(_FORMULA_START) else value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""  # withheld, or not computable (an interval on one respondent): never nan
    if isinstance(value, float) and math.isfinite(value):
        # Twelve significant digits: full precision for any use, and the same text whatever
        # order a parallel sum added its terms in.
        return float(f"{value:.12g}")
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # csv.writer quotes a field holding the line terminator ("\n") but not a bare CR; a reader
    # that splits rows at CR would start a new row inside it (and a formula there would run).
    # A row with a CR anywhere is written with every field quoted.
    quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for r in [header, *rows]:
        cells = [csv_cell(v) for v in r]
        (quoted if any(isinstance(c, str) and "\r" in c for c in cells) else w).writerow(cells)
    return buf.getvalue()


def format_rows(rows: list[dict[str, object]], fmt: str) -> str:
    """``csv`` (full precision) or an aligned text ``table`` (rounded for reading)."""
    quantiles = bool(rows) and rows[0]["measure"] == "quantile"
    if fmt == "csv":
        fields = (["measure", "breakdown", "group", "probability", "n", "estimate", "ci_low",
                   "ci_high", "se", "df", "suppressed"] if quantiles
                  else ["measure", "breakdown", *ESTIMATE_FIELDS])
        return to_csv(fields, [[r[k] for k in fields] for r in rows])
    pct = bool(rows) and rows[0]["measure"] == "proportion"

    def show(x: object, digits: int = 1) -> str:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return "-"
        return f"{100 * x:.{digits}f}%" if pct else f"{x:,.{digits}f}"

    if quantiles:
        header = ["group", "p", "n", "quantile", "95% CI", "se", "df"]
    else:
        header = ["group", "n", "estimate", "95% CI", "se", "cv", "df", "deff", "eff. n",
                  "flag"]
    body = []
    for r in rows:
        if r["suppressed"]:
            body.append([str(r["group"]), *(["-"] * (len(header) - 2)),
                         "suppressed (base too small)"] if not quantiles else
                        [str(r["group"]), f"{r['probability']:g}", *(["-"] * 5)])
            continue
        df = "normal" if r["df"] is None else f"{r['df']:g}"
        if quantiles:
            body.append([str(r["group"]), f"{r['probability']:g}", str(r["n"]),
                         show(r["estimate"], 2),
                         f"{show(r['ci_low'], 2)} to {show(r['ci_high'], 2)}",
                         show(r["se"], 3), df])
            continue
        flags = [f for f in ("low base" if r["low_base"] else "",
                             {"caution": "use with caution",
                              "unreliable": "unreliable"}.get(str(r["quality"]), "")) if f]
        body.append([str(r["group"]), str(r["n"]), show(r["estimate"]),
                     f"{show(r['ci_low'])} to {show(r['ci_high'])}", show(r["se"], 2),
                     "-" if r["cv"] is None else f"{100 * r['cv']:.1f}%", df,
                     "-" if r["deff"] is None else f"{r['deff']:.2f}",
                     "-" if r["effective_n"] is None else f"{r['effective_n']:.1f}",
                     "; ".join(flags)])
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *body]]
    return "\n".join(lines) + "\n"


def _range_code(q: Question) -> Code:
    if q.type == "date":
        return Code("", "a date, YYYY-MM-DD", False)
    lo = "" if q.min is None else f"{q.min:g}"
    hi = "" if q.max is None else f"{q.max:g}"
    return Code("", f"{lo} to {hi}".strip(), False)


def _est(e: Estimate) -> list[object]:
    return [e.n, e.estimate, e.ci_low, e.ci_high, *_precision(e), e.effective_n, e.suppressed,
            e.low_base, e.secondary]


def _precision(e: Estimate) -> list[object]:
    return [e.se, e.df, e.deff, e.cv, e.quality, e.interval]


# The precision of every estimate: its standard error, the degrees of freedom of its interval
# (empty: a normal interval), its design effect, its coefficient of variation, the quality
# flag from that CV, and the interval's method.
_PRECISION = ["se", "df", "deff", "cv", "quality", "interval"]
# secondary: withheld only so that another withheld cell cannot be worked out (a complement).
_EST = ["n", "estimate", "ci_low", "ci_high", *_PRECISION, "effective_n", "suppressed",
        "low_base", "secondary"]


def _number_measures(num) -> list[tuple[str, Estimate, tuple]]:
    out = [("mean", num.mean, num.mean_by)]
    if num.total is not None:
        out.append(("total", num.total, num.total_by))
    return out


QUANTILE_FIELDS = ["breakdown", "group", "probability", "n", "quantile", "ci_low", "ci_high",
                   "se", "df", "suppressed", "secondary"]


def quantile_rows(num) -> list[list[object]]:
    return [[c.breakdown, c.group, c.p, c.n, c.estimate, c.ci_low, c.ci_high, c.se, c.df,
             c.suppressed, c.secondary] for c in num.quantiles]


# Rao and Scott's tests of independence of a crosstab, as R's svychisq gives them: Pearson's
# X² on the weighted table scaled to the sample size; the second-order F (statistic = "F")
# with its degrees of freedom and p; the mean generalised design effect; and the first-order
# statistic X² / mean deff (statistic = "Chisq") with its df and p. Columns withheld from the
# table are left out of its test.
TEST_FIELDS = ["pearson_x2", "rao_scott_f", "rao_scott_ndf", "rao_scott_ddf", "rao_scott_p",
               "mean_deff", "first_order_x2", "first_order_df", "first_order_p"]


def _test_values(test) -> list[object]:
    if test is None:
        return [None] * len(TEST_FIELDS)
    return [test.pearson, test.f, test.ndf, test.ddf, test.p_value, test.mean_deff,
            test.first_order, test.first_order_df, test.first_order_p]


def crosstab_tests_json(report: Report) -> str:
    """Every crosstab's test at full precision (JSON numbers: shortest round-trip form)."""
    import json

    def clean(x):
        return None if isinstance(x, float) and not math.isfinite(x) else x

    tests = [{"rows": ct.rows_question.id, "columns": ct.breakdown.id,
              "columns_tested": [e.group for e in ct.columns if not e.suppressed],
              **{k: clean(v) for k, v in zip(TEST_FIELDS, _test_values(ct.test), strict=True)}}
             for ct in report.crosstabs]
    return json.dumps({"tests": tests}, indent=1) + "\n"


def total_rows(report: Report) -> list[list[object]]:
    """Every estimated total: indicators' population counts and number questions' totals."""
    rows: list[list[object]] = []
    for r in report.indicators:
        if r.total is not None:
            rows += [["indicator", r.indicator.id, "all", r.total.group, *_est(r.total)]]
            rows += [["indicator", r.indicator.id, b.breakdown.id, c.group, *_est(c)]
                     for b in r.total_by for c in b.cells]
    for num in report.numbers:
        if num.total is not None:
            rows += [["question", num.question.id, "all", num.total.group, *_est(num.total)]]
            rows += [["question", num.question.id, b.breakdown.id, c.group, *_est(c)]
                     for b in num.total_by for c in b.cells]
    return rows


def methodology_csv_files(report: Report) -> list[tuple[str, str, str]]:
    """The methodology's tables: records per source, and the codebook."""
    return [
        ("methodology-sources.csv", "Records read, loaded and rejected per source", to_csv(
            ["source", "file", "rows", "loaded", "rejected"],
            [[s.source, s.file, s.rows, s.loaded, s.rejected] for s in report.loads])),
        ("methodology-questions.csv", "The questions used, with their answer codes", to_csv(
            ["id", "type", "wording", "code", "label", "missing"],
            [[q.id, q.type, q.wording, c.value, c.label, c.missing]
             for q in report.study.questions if q.type not in ("id", "text")
             for c in (q.codes or (_range_code(q),))]))]


def tracker_csv_files(report: Report) -> list[tuple[str, str, str]]:
    """A tracker's downloads: every measure by cycle with its limits and signals, the
    before/after tests, and the year on year. A withheld cycle has no numbers."""
    tr = report.tracker
    cycles, tests = [], []
    for a in tr.areas:
        for m in a.measures:
            for k, p in enumerate(m.points):
                fired = [s for s in m.signals if s.index == k]
                cycles.append([a.area.id, a.area.reward, m.measure.id, m.measure.kind,
                               m.limits.kind, p.cycle, tr.first_day(p.cycle) or "",
                               p.cycle <= 0, p.cycle == a.focus, p.n, p.value, p.ci_low,
                               p.ci_high, m.limits.centre,
                               None if p.suppressed else m.limits.lower[k],
                               None if p.suppressed else m.limits.upper[k],
                               ";".join(sorted({s.rule for s in fired})),
                               m.state(p.cycle), p.suppressed, p.low_base])
            ba = m.before_after
            if ba is not None:
                tests.append([a.area.id, m.measure.id, a.focus, ba.before_n, ba.before,
                              ba.after_n, ba.after, ba.diff, ba.ci_low, ba.ci_high, ba.method,
                              ba.p_value, ba.p_adjusted, ba.significant, m.verdict])
    out = [("tracker-cycles.csv", "Every area's measures by cycle: estimate, interval, base, "
            "centre line, control limits, the rules that fire, and the cell's state",
            to_csv(["area", "reward", "measure", "kind", "chart", "cycle", "first_day",
                    "baseline", "focus", "n", "estimate", "ci_low", "ci_high", "centre",
                    "lower_limit", "upper_limit", "rules", "state", "suppressed",
                    "low_base"], cycles)),
           ("tracker-before-after.csv", "Each measure before and after its area's focus "
            "cycle: difference, interval, test and Benjamini–Hochberg adjusted p",
            to_csv(["area", "measure", "focus_cycle", "n_before", "before", "n_after", "after",
                    "difference", "ci_low", "ci_high", "method", "p_value", "p_adjusted_bh",
                    "significant", "verdict"], tests))]
    if tr.year:
        out.append(("year-on-year.csv", "Business metrics, the programme year against the "
                    "year before, with intervals", to_csv(
                        ["metric", "kind", "periods", "before", "programme", "before_ci_low",
                         "before_ci_high", "programme_ci_low", "programme_ci_high", "change",
                         "ci_low", "ci_high", "method", "p_value"],
                        [[y.key, y.kind, y.periods, y.before, y.programme,
                          *(y.before_ci or (None, None)), *(y.programme_ci or (None, None)),
                          y.change, y.ci_low, y.ci_high, y.method, y.p_value]
                         for y in tr.year])))
    return out + methodology_csv_files(report)


def csv_files(report: Report) -> list[tuple[str, str, str]]:
    """Every table of the report as (file name, description, CSV text), named by page id."""
    if report.tracker is not None:
        return tracker_csv_files(report)
    out: list[tuple[str, str, str]] = []
    out.append(("index.csv", "Every indicator, all respondents", to_csv(
        ["indicator", "label", *_EST],
        [[r.indicator.id, r.indicator.label, *_est(r.overall)] for r in report.indicators])))
    every: list[list[object]] = []
    for r in report.indicators:
        rows = [["all", r.overall.group, *_est(r.overall)]]
        for b in r.by:
            rows += [[b.breakdown.id, c.group, *_est(c)] for c in b.cells]
        every += [[r.indicator.id, *row] for row in rows]
        out.append((f"indicator-{r.indicator.id}.csv", f"{r.indicator.label}, by every "
                    "breakdown", to_csv(["breakdown", "group", *_EST], rows)))
    out.append(("all-estimates.csv", "Every indicator by every breakdown, in one file",
                to_csv(["indicator", "breakdown", "group", *_EST], every)))
    totals = total_rows(report)
    if totals:
        out.append(("totals.csv", "Estimated population totals and counts, with intervals",
                    to_csv(["of", "id", "breakdown", "group", *_EST], totals)))
    if report.gaps:
        out.append(("gaps.csv", "Perspective gaps with intervals and tests", to_csv(
            ["indicator", "group_a", "estimate_a", "n_a", "group_b", "estimate_b", "n_b",
             "difference", "ci_low", "ci_high", "test", "p_value", "p_adjusted_bh",
             "significant", "suppressed"],
            [[g.indicator.id, g.a.group, g.a.estimate, g.a.n, g.b.group, g.b.estimate, g.b.n,
              g.diff, g.ci_low, g.ci_high, g.test, g.p_value, g.p_adjusted, g.significant,
              g.suppressed] for g in report.gaps])))
    if report.likert:
        rows = []
        for it in report.likert:
            rows += [[it.question.id, "share", ALL_GROUP, c.label, it.n, c.share, None, None,
                      *[None] * len(_PRECISION), None, False, False, False]
                     for c in it.distribution]
            rows.append([it.question.id, "agree", ALL_GROUP, "", *_est(it.top2)])
            rows.append([it.question.id, "mean", ALL_GROUP, "", *_est(it.mean)])
            for b in it.top2_by:
                rows += [[it.question.id, f"agree by {b.breakdown.id}", c.group, "", *_est(c)]
                         for c in b.cells]
        out.append(("agreement.csv", f"{report.scales_title}: answers, top-two share, mean",
                    to_csv(["question", "measure", "group", "category", *_EST], rows)))
    for mq in report.choices:
        rows = []
        for o in mq.options:
            rows.append([o.code, o.label, "all", o.overall.group, *_est(o.overall)])
            for b in o.by:
                rows += [[o.code, o.label, b.breakdown.id, c.group, *_est(c)] for c in b.cells]
        what = "share giving each answer" if mq.single else "share choosing each option"
        out.append((f"question-{mq.question.id}.csv", f"{mq.question.short}: {what}",
                    to_csv(["option", "label", "breakdown", "group", *_EST], rows)))
    compare = report.compare
    for num in report.numbers:
        rows = [["nps", c.breakdown or ("all" if c.group == ALL_GROUP or compare is None
                                        else compare.id),
                 c.group, c.n, c.promoters, c.passives, c.detractors,
                 c.score.estimate, c.score.ci_low, c.score.ci_high, *_precision(c.score),
                 c.suppressed, c.low_base, c.score.secondary] for c in num.nps]
        for measure, overall, by in _number_measures(num):
            cells = [("all", overall)] + [(b.breakdown.id, c) for b in by for c in b.cells]
            rows += [[measure, bid, c.group, c.n, None, None, None, c.estimate, c.ci_low,
                      c.ci_high, *_precision(c), c.suppressed, c.low_base, c.secondary]
                     for bid, c in cells]
        what = "net promoter score and mean" if num.nps else "mean"
        out.append((f"question-{num.question.id}.csv", f"{num.question.short}: {what}"
                    f"{', total' if num.total else ''}", to_csv(
                        ["measure", "breakdown", "group", "n", "promoters", "passives",
                         "detractors", "estimate", "ci_low", "ci_high", *_PRECISION,
                         "suppressed", "low_base", "secondary"], rows)))
        if num.quantiles:
            out.append((f"quantiles-{num.question.id}.csv", f"{num.question.short}: "
                        "quantiles with intervals", to_csv(QUANTILE_FIELDS,
                                                           quantile_rows(num))))
    crossed: dict[str, list[list[object]]] = {}
    for r in report.indicators:
        for x in r.crossed:
            for row in x.rows:
                for col in x.columns:
                    c = x.cell(row, col)
                    crossed.setdefault(x.id, []).append(
                        [r.indicator.id, x.a.id, row, x.b.id, col, *_est(c)])
    for cid, rows in crossed.items():
        out.append((f"crossed-{cid}.csv", f"Every indicator by {cid.replace('-', ' ')}",
                    to_csv(["indicator", "breakdown", "group", "within", "within_group",
                            *_EST], rows)))
    for bd in report.study.breakdowns:
        rows = []
        for r in report.indicators:
            for b in r.by:
                if b.breakdown.id == bd.id:
                    rows += [[r.indicator.id, c.group, *_est(c)] for c in b.cells]
        if rows:
            out.append((f"breakdown-{bd.id}.csv", f"Every indicator by {bd.label.lower()}",
                        to_csv(["indicator", "group", *_EST], rows)))
    if report.benchmark is not None:
        out += _benchmark_csvs(report)
    if report.crosstabs:
        rows = []
        for ct in report.crosstabs:
            test = _test_values(ct.test)
            for r, label in enumerate(ct.row_labels):
                for k, e in enumerate(ct.columns):
                    c = ct.cells[r][k]
                    rows.append([ct.rows_question.id, label, ct.breakdown.id, e.group,
                                 ct.letters[k], e.n, None if c is None else c.n,
                                 None if c is None else c.share,
                                 None if c is None else c.letters, e.suppressed,
                                 e.secondary, *test])
        out.append(("crosstabs.csv", "Crosstabs: column shares, letters and Rao-Scott tests",
                    to_csv(["rows", "row", "columns", "column", "letter", "column_base", "n",
                            "share", "higher_than", "suppressed", "secondary", *TEST_FIELDS],
                           rows)))
        out.append(("crosstab-tests.csv", "Crosstabs: Rao-Scott tests of independence, in "
                    "full", to_csv(["rows", "columns", *TEST_FIELDS],
                                   [[ct.rows_question.id, ct.breakdown.id,
                                     *_test_values(ct.test)] for ct in report.crosstabs])))
        out.append(("crosstab-tests.json", "Crosstabs: Rao-Scott tests of independence, as "
                    "JSON", crosstab_tests_json(report)))
    if report.study.rake is not None:
        out.append(("methodology-margins.csv", "Population margins for raking", to_csv(
            ["question", "answer", "population"],
            [[q, c, t] for q, pairs in report.study.rake.margins for c, t in pairs])))
    out += methodology_csv_files(report)
    iv = report.interviews
    if iv is not None:
        rows = [[t.code, t.label, g, iv.bases[k], t.interviewees[k], t.organisations[k],
                 iv.bases[k] is None, iv.secondary[k]]
                for t in iv.themes for k, g in enumerate(iv.groups)]
        out.append(("interviews.csv", "Interview themes: interviewees and organisations",
                    to_csv(["theme", "label", "group", "interviewees_base", "interviewees",
                            "organisations", "suppressed", "secondary"], rows)))
    return out


BASELINE_FIELDS = ("scope", "wave", "measure", "label", "organisations", "respondents", "mean",
                   "se", "ci_low", "ci_high", "q1", "median", "q3", "suppressed", "reason",
                   "secondary")


def baseline_rows(report: Report, scope: str | None = None) -> list[list[object]]:
    bm = report.benchmark
    assert bm is not None
    return [[b.scope, b.wave, b.measure, bm.label(b.measure), b.k, b.n, b.mean, b.se, b.ci_low,
             b.ci_high, b.q1, b.median, b.q3, b.suppressed, b.reason, b.secondary]
            for b in bm.baselines if scope is None or b.scope == scope]


CHANGE_FIELDS = ("scope", "measure", "from_wave", "to_wave", "difference", "ci_low", "ci_high",
                 "df", "test", "p_value", "p_adjusted_bh", "significant")


def change_rows(bm) -> list[list[object]]:
    return [[c.scope, c.measure, c.from_wave, c.to_wave, c.diff, c.ci_low, c.ci_high, c.df,
             "Welch t, design-based standard errors", c.p_value, c.p_adjusted, c.significant]
            for c in bm.index_changes]


def baselines_json(report: Report) -> str:
    """The published baselines for self-benchmarking (rocsreport compare)."""
    import json

    bm = report.benchmark
    assert bm is not None
    rules = report.study.disclosure
    doc = {
        "study": report.study.title,
        "synthetic": report.study.synthetic,
        "scale": "index and items 0-100; nps -100 to 100",
        "rules": {"suppress_below": rules.suppress_below, "flag_below": rules.flag_below,
                  "min_organisations": bm.spec.min_organisations,
                  "max_share": bm.spec.max_share},
        "waves": list(bm.waves),
        "measures": [{"id": m, "label": label} for m, label in bm.measures],
        "baselines": [dict(zip(BASELINE_FIELDS, row, strict=True))
                      for row in baseline_rows(report)],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _benchmark_csvs(report: Report) -> list[tuple[str, str, str]]:
    from .words import slug

    bm = report.benchmark
    assert bm is not None
    out = [("national.csv", "Baselines of every measure, nationally and by sector, every wave",
            to_csv(BASELINE_FIELDS, baseline_rows(report)))]
    out.append(("change.csv", "Organisations up, unchanged and down between waves", to_csv(
        ["scope", "from_wave", "to_wave", "up", "unchanged", "down", "organisations",
         "suppressed", "secondary"],
        [[c.scope, c.from_wave, c.to_wave, c.up, c.unchanged, c.down, c.total, c.suppressed,
          c.secondary] for c in bm.counts])))
    if bm.spec.publish_organisation_scores and bm.names:
        rows = []
        for o in bm.orgs:
            for m, label in bm.measures:
                sc = o.score(m)
                rows.append([o.org, o.name, o.sector, o.wave, m, label,
                             None if sc.suppressed else sc.n,
                             None if sc.suppressed else sc.mean,
                             None if sc.suppressed else sc.ci_low,
                             None if sc.suppressed else sc.ci_high, sc.suppressed,
                             "withheld so that a smaller organisation cannot be worked out"
                             if sc.secondary else "not enough responses" if sc.suppressed
                             else ""])
        out.append(("organisations.csv", "Every organisation's scores (the study publishes "
                    "them)", to_csv(["organisation", "name", "sector", "wave", "measure",
                                     "label", "respondents", "score", "ci_low", "ci_high",
                                     "suppressed", "reason"], rows)))
    out.append(("index-change.csv", "Change of the national and sector means between waves",
                to_csv(CHANGE_FIELDS, change_rows(bm))))
    if bm.relationships:
        out.append(("relationship.csv", "Correlation of the index with business metrics",
                    to_csv(["metric", "wave", "organisations", "r", "ci_low", "ci_high",
                            "p_value", "change_r", "change_ci_low", "change_ci_high"],
                           [[r.metric, r.wave, r.k, r.r, r.ci_low, r.ci_high, r.p_value,
                             r.change_r, *(r.change_ci or (None, None))]
                            for r in bm.relationships])))
        out.append(("relationship-sectors.csv", "Correlation of year-on-year changes, by sector",
                    to_csv(["metric", "sector", "organisations", "change_r", "ci_low",
                            "ci_high"],
                           [[r.metric, *x] for r in bm.relationships for x in r.by_sector])))
    for sector in bm.sectors:
        out.append((f"sector-{slug(sector)}.csv", f"Baselines for {sector}",
                    to_csv(BASELINE_FIELDS, baseline_rows(report, sector))))
    return out


FIGURE_FIELDS = ("kind", "scope", "wave", "measure", "label", "organisations", "respondents",
                 "mean", "ci_low", "ci_high", "q1", "median", "q3", "direction", "sector_rank",
                 "national_rank")


def figures_csv(view) -> str:
    """Every figure of one organisation's private report, for its own use and for the
    disclosure audit: its scores, its changes, and the baselines it is compared with."""
    rows: list[list[object]] = []
    pos = {(p.wave, p.measure): p for p in view.positions}
    for o in view.orgs:
        for m, label in view.measures:
            sc = o.score(m)
            if sc.suppressed:
                continue
            p = pos.get((o.wave, m))
            rows.append(["own", o.sector, o.wave, m, label, 1, sc.n, sc.mean, sc.ci_low,
                         sc.ci_high, None, None, None, None, p.sector_rank if p else None,
                         p.national_rank if p else None])
    for c in view.changes:
        rows.append(["own change", c.sector, f"{c.from_wave}:{c.to_wave}", "index",
                     view.label("index"), 1, None, c.diff, c.ci_low, c.ci_high, None, None,
                     None, c.direction, None, None])
    for b in view.baselines:
        rows.append(["baseline", b.scope, b.wave, b.measure, view.label(b.measure), b.k, b.n,
                     b.mean, None, None, b.q1, b.median, b.q3, None, None, None])
    return to_csv(FIGURE_FIELDS, rows)
