"""Aggregates -> the frozen result model that charts and templates consume.

This is where estimates, intervals, tests and disclosure come together. A suppressed cell is
built without its numbers, so nothing downstream can leak them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import duckdb

from . import aggregate as agg
from .aggregate import CellKey, Moments
from .benchmark import BenchmarkResult, analyse_benchmark
from .design import (
    TOTAL,
    Design,
    DesignEstimate,
    RaoScott,
    Sorted,
    rao_scott_sql,
    replicate_difference,
    woodruff,
)
from .design import difference as design_difference
from .ingest import SourceLoad, quote_ident, sql_list
from .spec import Breakdown, Crosstab, Indicator, Question, Study
from .stats import disclosure
from .stats.means import mean_ci, mean_se, nps, nps_se, srs_variance
from .stats.proportions import (
    benjamini_hochberg,
    diff_ci,
    gap_test,
    kish_effective_n,
    proportion_ci,
)
from .stats.tdist import t_sf

ALL = "All"
ALPHA = 0.05


@dataclass(frozen=True)
class Estimate:
    """One published cell. ``n`` is the unweighted base; numbers are None when suppressed."""

    group: str
    n: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    effective_n: float | None
    suppressed: bool
    low_base: bool
    secondary: bool = False  # withheld so that another suppressed cell cannot be derived
    se: float | None = None  # standard error
    df: float | None = None  # degrees of freedom of the interval; None: normal (z)
    deff: float | None = None  # design effect: Kish's, or the design's own (R, "replace")
    interval: str | None = None  # wilson, logit (R's svyciprop), t, wald
    quality: str = ""  # "", "caution" or "unreliable": the CV against study.precision

    @property
    def cv(self) -> float | None:
        """The coefficient of variation, se / |estimate|; None when the estimate is 0."""
        if self.se is None or self.estimate is None or self.estimate == 0 or \
                not math.isfinite(self.se):
            return None
        return self.se / abs(self.estimate)

    def as_dict(self) -> dict[str, object]:
        return {"group": self.group, "n": self.n, "estimate": self.estimate,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "se": self.se,
                "df": self.df, "deff": self.deff, "cv": self.cv, "quality": self.quality,
                "interval": self.interval, "effective_n": self.effective_n,
                "suppressed": self.suppressed, "low_base": self.low_base}


def withheld(group: str, secondary: bool = False) -> Estimate:
    return Estimate(group, None, None, None, None, None, True, False, secondary)


def graded(e: Estimate, study: Study) -> Estimate:
    """``e`` with its quality flag: "unreliable" above ``precision.cv_unreliable``,
    "caution" above ``precision.cv_caution``."""
    cv = e.cv
    if cv is None:
        return e
    p = study.precision
    return replace(e, quality="unreliable" if cv > p.cv_unreliable else
                   "caution" if cv > p.cv_caution else "")


def _design_deff(de: DesignEstimate, srs: float | None) -> float | None:
    """The design's own effect, R's ``deff = "replace"``: the design variance over that of a
    simple random sample with replacement of the same size."""
    return de.se ** 2 / srs if srs else None


def proportion_estimate(group: str, m: Moments | None, study: Study,
                        de: DesignEstimate | None = None) -> Estimate:
    """A proportion from Σw·y / Σw with its Wilson interval on the Kish effective n; under a
    declared design, the Taylor-linearised estimate with R's logit interval on the design's
    degrees of freedom (effective n: p(1 - p) / se²)."""
    if m is None or m.n == 0:
        return withheld(group) if m is None else Estimate(group, 0, None, None, None, 0.0,
                                                          True, False)
    status = disclosure.classify(m.n, study.disclosure)
    if status == disclosure.SUPPRESSED:
        return withheld(group)
    if de is not None:
        p = de.estimate
        lo, hi = de.logit_ci(study.confidence)
        neff = p * (1 - p) / de.se ** 2 if de.se > 0 else float(m.n)
        srs = p * (1 - p) / (de.n - 1) if de.n > 1 else None
        return graded(Estimate(group, m.n, p, lo, hi, neff, False, status == disclosure.LOW,
                               se=de.se, df=de.df, deff=_design_deff(de, srs),
                               interval="logit"), study)
    p = m.swy / m.sw
    neff = kish_effective_n(m.sw, m.sw2)
    lo, hi = proportion_ci(p, neff, study.confidence)
    return graded(Estimate(group, m.n, p, lo, hi, neff, False, status == disclosure.LOW,
                           se=math.sqrt(p * (1 - p) / neff), deff=m.n / neff,
                           interval="wilson"), study)


@dataclass(frozen=True)
class BreakdownCells:
    breakdown: Breakdown
    cells: tuple[Estimate, ...]


def _group_order(b: Breakdown, present: set[str]) -> list[str]:
    labels = [g.label for g in b.groups]
    if agg.NOT_STATED in present:
        labels.append(agg.NOT_STATED)
    return labels


def _by_breakdowns(study: Study, cells: dict[CellKey, object], make) -> tuple[BreakdownCells, ...]:
    """Cells of every breakdown, with complementary suppression against the published total."""
    out = []
    for b in study.breakdowns:
        if b.question not in {q.id for q in study.questions_of(study.survey.id)}:
            continue
        present = {g for (bid, g) in cells if bid == b.id}
        made = [make(g, cells.get((b.id, g)), (b.id, g)) for g in _group_order(b, present)]
        extra = disclosure.secondary([(e.group, e.n, e.suppressed) for e in made])
        made = [withheld(e.group, secondary=True) if e.group in extra else e for e in made]
        out.append(BreakdownCells(b, tuple(made)))
    return tuple(out)


@dataclass(frozen=True)
class Gap:
    """Group A minus group B on one indicator, with the Newcombe interval and a test."""

    indicator: Indicator
    a: Estimate
    b: Estimate
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    test: str | None  # "z" or "fisher"
    p_value: float | None
    p_adjusted: float | None
    significant: bool

    @property
    def suppressed(self) -> bool:
        return self.diff is None


@dataclass(frozen=True)
class CrossedCells:
    """An indicator by two breakdowns at once: a row per group of ``a``, a column per group of
    ``b``; each cell an estimate (suppressed cells carry no numbers)."""

    a: Breakdown
    b: Breakdown
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[Estimate, ...]  # row-major; each cell's group is "row × column"

    def cell(self, row: str, column: str) -> Estimate:
        return self.cells[self.rows.index(row) * len(self.columns) + self.columns.index(column)]

    @property
    def id(self) -> str:
        return f"{self.a.id}-by-{self.b.id}"

    @property
    def label(self) -> str:
        return f"{self.a.label} by {self.b.label.lower()}"


CROSS = " × "


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    question: Question
    overall: Estimate
    by: tuple[BreakdownCells, ...]
    gap: Gap | None
    # The latest wave on the one before (Newcombe interval, z or Fisher test; Benjamini-
    # Hochberg across the indicators): a = latest, b = previous. None without waves.
    wave_change: Gap | None = None

    wave_id: str | None = None  # the study's wave breakdown, when the latest wave leads
    crossed: tuple[CrossedCells, ...] = ()
    # measure: total, the estimated population count with the outcome (None otherwise)
    total: Estimate | None = None
    total_by: tuple[BreakdownCells, ...] = ()

    @property
    def waves(self) -> BreakdownCells | None:
        return next((b for b in self.by if b.breakdown.id == self.wave_id), None)

    @property
    def lead(self) -> Estimate:
        """What the headline shows: the latest wave, when the study has waves and it is
        published; else every respondent."""
        w = self.waves
        cells = [c for c in w.cells if c.group != agg.NOT_STATED] if w is not None else []
        if cells and not cells[-1].suppressed:
            return cells[-1]
        return self.overall


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    share: float


@dataclass(frozen=True)
class LikertResult:
    question: Question
    n: int | None
    distribution: tuple[Category, ...]  # valid codes only, in scale order; empty if suppressed
    top2: Estimate
    mean: Estimate
    top2_by: tuple[BreakdownCells, ...]
    mean_by: tuple[BreakdownCells, ...]
    top_labels: tuple[str, str]


@dataclass(frozen=True)
class OptionResult:
    code: str
    label: str
    overall: Estimate
    by: tuple[BreakdownCells, ...]


@dataclass(frozen=True)
class MultiResult:
    question: Question
    base: Estimate  # estimate is None; n is the respondent base
    options: tuple[OptionResult, ...]
    single: bool = False  # a single choice's distribution: the shares add up to 100%


@dataclass(frozen=True)
class NpsCell:
    group: str
    n: int | None
    promoters: float | None
    passives: float | None
    detractors: float | None
    score: Estimate  # on -100..100
    suppressed: bool
    low_base: bool
    breakdown: str | None = None  # None: every respondent or the comparison's groups


@dataclass(frozen=True)
class NumberResult:
    question: Question
    mean: Estimate
    mean_by: tuple[BreakdownCells, ...]
    nps: tuple[NpsCell, ...]  # overall first, then the comparison groups; empty unless scale nps
    total: Estimate | None = None  # measure: total, the estimated population total
    total_by: tuple[BreakdownCells, ...] = ()
    quantiles: tuple[QuantileCell, ...] = ()  # every cell with a published mean, each p


@dataclass(frozen=True)
class QuantileCell:
    """A weighted quantile (R's qrule "math") with its Woodruff interval; withheld where the
    cell's mean is. An end of the interval outside the data is None (R's NaN)."""

    breakdown: str  # "all" or a breakdown id
    group: str
    p: float
    n: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    df: float | None
    suppressed: bool
    secondary: bool = False


@dataclass(frozen=True)
class ThemeRow:
    code: str
    label: str
    interviewees: tuple[int | None, ...]  # per group, then total
    organisations: tuple[int | None, ...]


@dataclass(frozen=True)
class Quote:
    text: str
    attribution: str


@dataclass(frozen=True)
class InterviewResult:
    groups: tuple[str, ...]  # group labels, then "All"
    bases: tuple[int | None, ...]  # interviewees per group, then total
    org_bases: tuple[int | None, ...]
    themes: tuple[ThemeRow, ...]
    quotes: tuple[Quote, ...]
    by_label: str
    secondary: tuple[bool, ...] = ()  # per group: withheld as a complement only


@dataclass(frozen=True)
class CrossCell:
    n: int  # unweighted count
    share: float  # weighted column share
    letters: str  # columns this one is significantly higher than


@dataclass(frozen=True)
class CrosstabResult:
    rows_question: Question
    breakdown: Breakdown
    row_labels: tuple[str, ...]
    columns: tuple[Estimate, ...]  # per column: n = base; suppressed/low_base flags
    letters: tuple[str, ...]  # a letter per column
    cells: tuple[tuple[CrossCell | None, ...], ...]  # [row][column]; None when withheld
    test: RaoScott | None
    correction: str


@dataclass(frozen=True)
class Weighting:
    """Weights in use: their base, Kish's weighting efficiency and design effect."""

    column: str
    n: int
    efficiency: float  # (Σw)² / (n Σw²)
    base_efficiency: float | None  # before raking

    @property
    def deff(self) -> float:
        return 1 / self.efficiency


def _weighting(con: duckdb.DuckDBPyConnection, study: Study) -> Weighting | None:
    col = study.weight_column
    if col is None:
        return None

    def eff(c: str) -> tuple[int, float]:
        n, sw, sw2 = con.execute(
            f"SELECT count(*), sum(CAST({quote_ident(c)} AS DOUBLE)), "
            f"sum(CAST({quote_ident(c)} AS DOUBLE) ^ 2) FROM {quote_ident(study.survey.id)}"
        ).fetchone()
        return n, sw * sw / (n * sw2)

    n, e = eff(col)
    base = None
    if study.rake is not None:
        b = study.design_weight
        base = eff(b)[1] if b else 1.0
    return Weighting(col, n, e, base)


@dataclass(frozen=True)
class Report:
    study: Study
    loads: tuple[SourceLoad, ...]
    indicators: tuple[IndicatorResult, ...]
    gaps: tuple[Gap, ...]
    likert: tuple[LikertResult, ...]
    multis: tuple[MultiResult, ...]
    numbers: tuple[NumberResult, ...]
    interviews: InterviewResult | None
    benchmark: BenchmarkResult | None = None
    weighting: Weighting | None = None
    crosstabs: tuple[CrosstabResult, ...] = ()
    protection: object | None = None  # protect.Protection: what the audit-driven step did
    tracker: object | None = None  # tracker.TrackerResult: the ROCS programme tracker
    singles: tuple[MultiResult, ...] = ()  # single choices' distributions
    text_answers: tuple[tuple[str, int | None], ...] = ()  # free text: answers (None: too few)

    @property
    def scales(self) -> tuple[tuple[LikertResult, ...], ...]:
        """The scale questions grouped by their scale (the same answer labels), in codebook
        order: each group is drawn as one diverging chart, since a chart has one legend."""
        groups: dict[tuple[str, ...], list[LikertResult]] = {}
        for it in self.likert:
            groups.setdefault(tuple(c.label for c in it.question.valid_codes), []).append(it)
        return tuple(tuple(g) for g in groups.values())

    @property
    def scales_title(self) -> str:
        """"Agreement statements" when every scale is one of agreement; else "Rating
        scales" (satisfaction, quality, likelihood...)."""
        agree = all("agree" in g[0].question.valid_codes[-1].label.lower() for g in self.scales)
        return "Agreement statements" if agree else "Rating scales"

    @property
    def choices(self) -> tuple[MultiResult, ...]:
        """Single and multiple choices in the codebook's order."""
        order = {q.id: k for k, q in enumerate(self.study.questions)}
        return tuple(sorted(self.singles + self.multis, key=lambda m: order[m.question.id]))

    @property
    def compare(self) -> Breakdown | None:
        return next((b for b in self.study.breakdowns if b.compare), None)

    def indicator(self, iid: str) -> IndicatorResult:
        return next(r for r in self.indicators if r.indicator.id == iid)


def _tracker(study: Study, con: duckdb.DuckDBPyConnection):
    if study.tracker is None:
        return None
    from .tracker import analyse_tracker

    return analyse_tracker(study, con)


def analyse(study: Study, con: duckdb.DuckDBPyConnection, loads: tuple[SourceLoad, ...]
            ) -> Report:
    """Compute every published number of the report from the loaded database."""
    moments = agg.indicator_moments(con, study)
    dcells = _design_cells(con, study)
    designed = has_design(study)
    compare = next((b for b in study.breakdowns if b.compare), None)
    indicators = []
    raw_gaps = []
    ind_totals: dict[str, tuple | None] = {}
    for ind in study.indicators:
        cells = moments[ind.id]
        dc = dcells.get(ind.id, {})

        def make(g, m, key=None, dc=dc):
            return proportion_estimate(g, m, study, dc.get(key))
        overall = make(ALL, cells.get((None, None)), (None, None))
        by = _by_breakdowns(study, cells, make)
        totals = dcells.get(TOTAL + ind.id)
        if totals is not None:
            def make_total(g, m, key=None, tc=totals):
                return _total_estimate(g, m, study, tc.get(key))
            totals = (make_total(ALL, cells.get((None, None)), (None, None)),
                      _by_breakdowns(study, cells, make_total))
        ind_totals[ind.id] = totals
        gap = None
        if compare is not None and compare.question in _survey_qids(study):
            a_lab, b_lab = compare.compare  # type: ignore[misc]
            ea = make(a_lab, cells.get((compare.id, a_lab)), (compare.id, a_lab))
            eb = make(b_lab, cells.get((compare.id, b_lab)), (compare.id, b_lab))
            gap = (_gap_design(con, ind, ea, eb, compare, study) if designed
                   else _gap(ind, ea, eb, study))
            raw_gaps.append(gap)
        indicators.append((ind, overall, by, gap))
    gaps = _adjust(raw_gaps)
    gap_for = {g.indicator.id: g for g in gaps}
    wb = study.wave_breakdown
    wave_id = wb.id if wb is not None and wb.question in _survey_qids(study) else None
    changes = []
    for ind, _, by, _ in indicators:
        cells = [c for c in next((b.cells for b in by if b.breakdown.id == wave_id), ())
                 if c.group != agg.NOT_STATED]
        changes.append(_gap(ind, cells[-1], cells[-2], study) if len(cells) > 1 else None)
    adjusted = iter(_adjust([c for c in changes if c is not None]))
    changes = [next(adjusted) if c is not None else None for c in changes]
    crossed = _crossed(con, study, [ind for ind, _, _, _ in indicators])
    ind_results = tuple(IndicatorResult(ind, study.question(ind.question), overall, by,
                                        gap_for.get(ind.id), change, wave_id,
                                        crossed.get(ind.id, ()),
                                        *(ind_totals[ind.id] or (None, ())))
                        for (ind, overall, by, _), change in zip(indicators, changes,
                                                                 strict=True))
    survey_q = [q for q in study.questions_of(study.survey.id)]
    return Report(
        study=study, loads=loads, indicators=ind_results, gaps=gaps,
        likert=tuple(_likert(con, study, q, dcells.get(f"mean:{q.id}", {}))
                     for q in survey_q if q.type == "likert" and q.report),
        multis=tuple(_multi(con, study, q, dcells) for q in survey_q
                     if q.type == "multi" and q.report),
        numbers=tuple(_number(con, study, q, dcells.get(f"mean:{q.id}", {}),
                              dcells.get(TOTAL + q.id)) for q in survey_q
                      if q.type == "number" and q.report
                      and q.id not in _design_columns(study)),
        interviews=_interviews(con, study) if study.interviews else None,
        benchmark=analyse_benchmark(study, con) if study.benchmark else None,
        weighting=_weighting(con, study),
        crosstabs=tuple(_crosstab(con, study, c) for c in study.crosstabs),
        tracker=_tracker(study, con),
        singles=tuple(_single(con, study, q, dcells) for q in survey_q
                      if q.type == "single" and _distributed(study, q)),
        text_answers=_text_answers(con, study),
    )


def _text_answers(con: duckdb.DuckDBPyConnection, study: Study
                  ) -> tuple[tuple[str, int | None], ...]:
    """How many gave each free-text answer (never the text). A count below the suppression
    threshold is withheld, as any base would be."""
    qs = [q for q in study.questions_of(study.survey.id) if q.type == "text" and q.report]
    if not qs:
        return ()
    parts = " UNION ALL ".join(
        f"SELECT ? AS q, count(*) FILTER (WHERE trim(CAST({quote_ident(q.id)} AS VARCHAR)) "
        f"<> '') FROM {quote_ident(q.sources[0])}" for q in qs)
    rows = con.execute(parts, [q.id for q in qs]).fetchall()
    floor = study.disclosure.suppress_below
    return tuple((qid, int(n) if n >= floor or n == 0 else None) for qid, n in rows)


def _indicator_sql(study: Study, ind: Indicator) -> tuple[str, list, str, list]:
    col = f"CAST({quote_ident(ind.question)} AS VARCHAR)"
    # The outcome is written with its codes as escaped literals: it is repeated inside larger
    # expressions, where positional parameters would be hard to keep in order.
    return (f"CAST(list_contains({sql_list(ind.numerator)}, {col}) AS INTEGER)", [],
            f"list_contains(?, {col})", [list(ind.base)])


def has_design(study: Study) -> bool:
    """Estimates are design-based: a declared design, or raked weights (whose variance
    allows for the raking, as for R's svydesign(ids = ~1, weights = ~w) then rake())."""
    return study.design is not None or study.rake is not None


def _design_cells(con: duckdb.DuckDBPyConnection, study: Study) -> dict:
    """Design-based estimates over every breakdown cell: every indicator and mean under a
    design, and every total (``measure: total``) under any weighting."""
    designed = has_design(study)
    variables = []
    for ind in study.indicators:
        y, yp, base, bp = _indicator_sql(study, ind)
        if designed:
            variables.append((ind.id, y, yp, base, bp))
        if ind.measure == "total":
            variables.append((TOTAL + ind.id, y, yp, base, bp))
    for q in study.questions_of(study.survey.id):
        if q.type == "single" and designed and _distributed(study, q):
            # Each answer of a single choice as a 0/1 outcome among the valid answers, so its
            # distribution has design-based intervals like every indicator.
            col = f"CAST({quote_ident(q.id)} AS VARCHAR)"
            valid = [c.value for c in q.valid_codes]
            for code in valid:
                variables.append((f"share:{q.id}:{code}",
                                  f"CAST(list_contains({sql_list([code])}, {col}) AS INTEGER)",
                                  [], f"list_contains(?, {col})", [valid]))
        if q.type == "multi" and designed and q.report:
            # Each option as a 0/1 outcome among those who chose one or more valid options
            # (the base of a multiple choice), so its share is design-based too.
            col = quote_ident(q.id)
            valid = [c.value for c in q.valid_codes]
            answered = (f"{col} IS NOT NULL AND len(list_filter({col}, lambda x: "
                        "list_contains(?, x))) > 0")
            for code in valid:
                variables.append((f"option:{q.id}:{code}",
                                  f"CAST(list_contains({col}, {sql_list([code])[1:-1]}) AS "
                                  "INTEGER)", [], answered, [valid]))
        if q.type == "likert" and designed:
            col = quote_ident(q.id)
            valid = [c.value for c in q.valid_codes]
            variables.append((f"mean:{q.id}", f"CAST({col} AS DOUBLE)", [],
                              f"list_contains(?, CAST({col} AS VARCHAR))", [valid]))
        elif q.type == "number" and q.id not in _design_columns(study):
            y = f"CAST({quote_ident(q.id)} AS DOUBLE)"
            if designed:
                variables.append((f"mean:{q.id}", y, [], "TRUE", []))
            if q.measure == "total":
                variables.append((TOTAL + q.id, y, [], "TRUE", []))
    return agg.design_cells(con, study, variables) if variables else {}


def _total_estimate(group: str, m: Moments | None, study: Study,
                    de: DesignEstimate | None) -> Estimate:
    """A population total (svytotal) with its t interval on the design's degrees of freedom;
    its design effect against simple random sampling with replacement (R's deff =
    "replace": svyvar × N² / n)."""
    if m is None or de is None or \
            disclosure.classify(m.n, study.disclosure) == disclosure.SUPPRESSED:
        return withheld(group)
    low = disclosure.classify(m.n, study.disclosure) == disclosure.LOW
    lo, hi = de.t_ci(study.confidence)
    srs = srs_variance(de.n, m.sw, m.swy, m.swy2)
    return graded(Estimate(group, m.n, de.estimate, lo, hi, None, False, low, se=de.se,
                           df=de.df, deff=_design_deff(de, srs and srs * de.total_weight ** 2),
                           interval="t"), study)


def wave_questions(study: Study) -> set[str]:
    """The questions that hold the survey wave. Their answers are set by the design (how
    many were asked in each wave), so they get no distribution with intervals; every figure
    is given wave by wave instead."""
    out = {b.question for b in study.breakdowns if b.wave}
    if study.wave_breakdown is not None:
        out.add(study.wave_breakdown.question)
    if study.benchmark is not None:
        out.add(study.benchmark.wave)
    if study.tracker is not None:
        out.add(study.tracker.wave)
    return out


def _design_columns(study: Study) -> set[str]:
    d = study.design
    cols = {study.survey.weight} if study.survey.weight else set()
    if d is not None:
        cols |= {d.weight, d.strata, *d.clusters, *d.fpc} - {None}
    return cols


def _gap_design(con: duckdb.DuckDBPyConnection, ind: Indicator, a: Estimate, b: Estimate,
                compare: Breakdown, study: Study) -> Gap:
    """Under a design: the difference with its linearised standard error (the groups share
    PSUs), a t interval and a two-sided t test on the design's degrees of freedom."""
    if a.suppressed or b.suppressed:
        return Gap(ind, a, b, None, None, None, None, None, None, False)
    y, _, base, bp = _indicator_sql(study, ind)
    col = f"CAST({quote_ident(compare.question)} AS VARCHAR)"
    codes = {g.label: list(g.codes) for g in compare.groups}
    dom = f"({base}) AND list_contains(?, {col})"
    # y's parameters come after the domain's in the SQL text: bind them in that order.
    rep = agg.replicates_of(study)
    if rep is not None:
        de = replicate_difference(con, rep, y, dom, dom, [*bp, codes[a.group]],
                                  [*bp, codes[b.group]])
    else:
        de = design_difference(con, agg.design_of(study), y, dom, dom,
                               [*bp, codes[a.group]], [*bp, codes[b.group]])
    lo, hi = de.t_ci(study.confidence)
    t = de.estimate / de.se if de.se > 0 else 0.0
    p = 2 * t_sf(abs(t), de.df) if de.se > 0 else 1.0
    return Gap(ind, a, b, de.estimate, lo, hi, "design t", p, None, False)


def _crosstab(con: duckdb.DuckDBPyConnection, study: Study, ct: Crosstab) -> CrosstabResult:
    """Column percentages with column-proportion letters and the Rao-Scott test.

    A letter in a cell names a column whose percentage is significantly lower (design-based
    t test on the difference, Bonferroni across the pairs of columns in the row, 5%). Columns
    with a base below the suppression threshold are withheld and left out of the tests.
    """
    q = study.question(ct.rows)
    b = study.breakdown(ct.columns)
    d = agg.design_of(study) or Design(study.survey.id, study.weight_column)
    valid = [c.value for c in q.valid_codes]
    r_sql = (f"CASE WHEN list_contains({sql_list(valid)}, CAST({quote_ident(q.id)} AS VARCHAR))"
             f" THEN CAST({quote_ident(q.id)} AS VARCHAR) END")
    col = f"CAST({quote_ident(b.question)} AS VARCHAR)"
    c_sql = "CASE " + " ".join(f"WHEN list_contains({sql_list(g.codes)}, {col}) THEN "
                               f"{sql_list([g.label])[1:-1]}" for g in b.groups) + " END"
    w = f"CAST({quote_ident(d.weight)} AS DOUBLE)" if d.weight else "1.0::DOUBLE"
    counts = {(r, c): (n, sw) for r, c, n, sw in con.execute(
        f"SELECT {r_sql}, {c_sql}, count(*), sum({w}) FROM {quote_ident(study.survey.id)} "
        f"WHERE ({r_sql}) IS NOT NULL AND ({c_sql}) IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()}
    groups = [g.label for g in b.groups]
    bases = {g: sum(n for (_, c), (n, _) in counts.items() if c == g) for g in groups}
    columns = []
    for g in groups:
        status = disclosure.classify(bases[g], study.disclosure)
        columns.append(withheld(g) if status == disclosure.SUPPRESSED else Estimate(
            g, bases[g], None, None, None, None, False, status == disclosure.LOW))
    extra = disclosure.secondary([(e.group, e.n, e.suppressed) for e in columns])
    columns = [withheld(e.group, secondary=True) if e.group in extra else e for e in columns]
    shown = [e.group for e in columns if not e.suppressed]
    letters = tuple(chr(ord("A") + k) for k in range(len(groups)))
    letter_of = dict(zip(groups, letters, strict=True))
    pairs = [(a, bb) for i, a in enumerate(shown) for bb in shown[i + 1:]]
    cells = []
    for code in valid:
        y = f"CAST(({r_sql}) = {sql_list([code])[1:-1]} AS INTEGER)"
        higher: dict[str, str] = {g: "" for g in shown}
        for a, bb in pairs:
            dom = f"({c_sql}) = ? AND ({r_sql}) IS NOT NULL"
            rep = agg.replicates_of(study)
            diff = (replicate_difference(con, rep, y, dom, dom, [a], [bb]) if rep is not None
                    else design_difference(con, d, y, dom, dom, [a], [bb]))
            if diff.se == 0:
                continue
            p = 2 * t_sf(abs(diff.estimate / diff.se), diff.df)
            if min(1.0, p * len(pairs)) < ALPHA:
                winner, loser = (a, bb) if diff.estimate > 0 else (bb, a)
                higher[winner] += letter_of[loser]
        row = []
        for e in columns:
            if e.suppressed:
                row.append(None)
                continue
            n, sw = counts.get((code, e.group), (0, 0.0))
            total = sum(v[1] for (_, c), v in counts.items() if c == e.group)
            row.append(CrossCell(n, sw / total, "".join(sorted(higher[e.group]))))
        cells.append(tuple(row))
    test = None
    if len(shown) >= 2 and agg.replicates_of(study) is None:
        keep = f"({c_sql}) IN ({', '.join(sql_list([g])[1:-1] for g in shown)})"
        test = rao_scott_sql(con, d, f"CASE WHEN {keep} THEN {r_sql} END",
                             f"CASE WHEN {keep} THEN {c_sql} END", f"{q.id!r} by {b.id!r}")
    return CrosstabResult(q, b, tuple(q.label(c) for c in valid), tuple(columns), letters,
                          tuple(cells), test,
                          "a single pair of columns, so no correction" if len(pairs) == 1 else
                          f"Bonferroni across the {len(pairs)} pairs of columns in each row")


def _crossed(con: duckdb.DuckDBPyConnection, study: Study, inds
             ) -> dict[str, tuple[CrossedCells, ...]]:
    """Every indicator by each crossed pair of breakdowns. A cell under the threshold is
    withheld; so that it cannot be worked out as a margin (its row's total is the first
    breakdown's cell, its column's the second's) minus the published cells, complementary
    cells are withheld along rows and columns until every row and column with a withheld
    cell has at least two."""
    out: dict[str, list[CrossedCells]] = {}
    for aid, bid in study.crossed:
        a, b = study.breakdown(aid), study.breakdown(bid)
        moments = agg.crossed_moments(con, study, a, b)
        for ind in inds:
            m = moments.get(ind.id, {})
            present_a = {ga for ga, _ in m}
            present_b = {gb for _, gb in m}
            rows = [g for g in _group_order(a, present_a)]
            cols = [g for g in _group_order(b, present_b)]
            grid = {(r, c): proportion_estimate(f"{r}{CROSS}{c}", m.get((r, c)), study)
                    for r in rows for c in cols}
            changed = True
            while changed:
                changed = False
                lines = [[(r, c) for c in cols] for r in rows] + \
                        [[(r, c) for r in rows] for c in cols]
                for line in lines:
                    # An empty cell (no one there) is no secret: it needs no complement.
                    extra = disclosure.secondary([(k, grid[k].n, grid[k].suppressed
                                                   and grid[k].n != 0) for k in line])
                    for k in line:
                        if k in extra:
                            grid[k] = withheld(grid[k].group, secondary=True)
                            changed = True
            out.setdefault(ind.id, []).append(CrossedCells(
                a, b, tuple(rows), tuple(cols), tuple(grid[(r, c)] for r in rows for c in cols)))
    return {k: tuple(v) for k, v in out.items()}


def _survey_qids(study: Study) -> set[str]:
    return {q.id for q in study.questions_of(study.survey.id)}


def _gap(ind: Indicator, a: Estimate, b: Estimate, study: Study) -> Gap:
    if a.suppressed or b.suppressed or not a.effective_n or not b.effective_n:
        return Gap(ind, a, b, None, None, None, None, None, None, False)
    d, lo, hi = diff_ci(a.estimate, a.effective_n, b.estimate, b.effective_n, study.confidence)
    method, p = gap_test(a.estimate, a.effective_n, b.estimate, b.effective_n)
    return Gap(ind, a, b, d, lo, hi, method, p, None, False)


def _adjust(gaps: list[Gap]) -> tuple[Gap, ...]:
    """Benjamini-Hochberg across every gap in the report."""
    tested = [g for g in gaps if g.p_value is not None]
    adjusted = benjamini_hochberg([g.p_value for g in tested]) if tested else []
    adj = {id(g): a for g, a in zip(tested, adjusted, strict=True)}
    out = []
    for g in gaps:
        if id(g) in adj:
            pa = adj[id(g)]
            g = Gap(g.indicator, g.a, g.b, g.diff, g.ci_low, g.ci_high, g.test, g.p_value, pa,
                    pa < ALPHA)
        out.append(g)
    return tuple(out)


def _mean_estimate(group: str, m: Moments | None, study: Study,
                   de: DesignEstimate | None = None) -> Estimate:
    """A mean with its t interval; under a design, linearised with the design's df."""
    if m is None or disclosure.classify(m.n, study.disclosure) == disclosure.SUPPRESSED:
        return withheld(group)
    low = disclosure.classify(m.n, study.disclosure) == disclosure.LOW
    if de is not None:
        lo, hi = de.t_ci(study.confidence)
        srs = srs_variance(de.n, m.sw, m.swy, m.swy2)
        deff = _design_deff(de, srs)
        # The effective n is the base over the design effect, as p(1 - p) / se² is for a
        # proportion.
        return graded(Estimate(group, m.n, de.estimate, lo, hi,
                               m.n / deff if deff else float(m.n), False, low,
                               se=de.se, df=de.df, deff=deff, interval="t"), study)
    mean, lo, hi, neff = mean_ci(m.n, m.sw, m.sw2, m.swy, m.swy2, study.confidence)
    ok = neff > 1
    return graded(Estimate(group, m.n, mean, lo, hi, neff, False, low,
                           se=mean_se(m.sw, m.sw2, m.swy, m.swy2) if ok else None,
                           df=neff - 1 if ok else None, deff=m.n / neff if neff else None,
                           interval="t"), study)


def _combine(codes: dict[str, Moments], valid: list[str], top: set[str]) -> tuple[Moments,
                                                                                  Moments]:
    """From per-code counts: the top-box proportion moments and the mean moments."""
    n = sum(codes[c].n for c in valid if c in codes)
    sw = sum(codes[c].sw for c in valid if c in codes)
    sw2 = sum(codes[c].sw2 for c in valid if c in codes)
    ny = sum(codes[c].n for c in top if c in codes)
    swt = sum(codes[c].sw for c in top if c in codes)
    swy = sum(codes[c].sw * float(c) for c in valid if c in codes)
    swy2 = sum(codes[c].sw * float(c) ** 2 for c in valid if c in codes)
    return (Moments(n=n, sw=sw, sw2=sw2, swy=swt, ny=ny),
            Moments(n=n, sw=sw, sw2=sw2, swy=swy, swy2=swy2))


def _likert(con: duckdb.DuckDBPyConnection, study: Study, q: Question,
            dmeans: dict | None = None) -> LikertResult:
    counts = agg.code_counts(con, study, q.id)
    valid = [c.value for c in q.valid_codes]
    ordered = sorted(valid, key=int)
    top = set(ordered[-2:])
    split = {key: _combine(c, valid, top) for key, c in counts.items()}
    overall_top, overall_mean = split.get((None, None), (None, None))
    top2 = proportion_estimate(ALL, overall_top, study)
    dmeans = dmeans or {}
    mean = _mean_estimate(ALL, overall_mean, study, dmeans.get((None, None)))
    dist: tuple[Category, ...] = ()
    if not top2.suppressed:
        oc = counts[(None, None)]
        total = sum(oc[c].sw for c in valid if c in oc)
        dist = tuple(Category(c, q.label(c), (oc[c].sw if c in oc else 0.0) / total)
                     for c in ordered)
    top_p = {k: v[0] for k, v in split.items()}
    mean_m = {k: v[1] for k, v in split.items()}
    return LikertResult(
        q, top2.n, dist, top2, mean,
        _by_breakdowns(study, top_p, lambda g, m, k: proportion_estimate(g, m, study)),
        _by_breakdowns(study, mean_m,
                       lambda g, m, k: _mean_estimate(g, m, study, dmeans.get(k))),
        (q.label(ordered[-2]), q.label(ordered[-1])))


def _multi(con: duckdb.DuckDBPyConnection, study: Study, q: Question,
           dcells: dict | None = None) -> MultiResult:
    """A multiple choice: the share of respondents choosing each option (the base is those
    who answered, not answers), largest first; design-based under a design."""
    bases, opts = agg.option_counts(con, study, q.id)
    design = {c.value: (dcells or {}).get(f"option:{q.id}:{c.value}", {})
              for c in q.valid_codes}
    return _distribution(study, q, bases, opts, design=design)


def _distributed(study: Study, q: Question) -> bool:
    """A single choice gets its distribution unless left out (report: false), a column of
    the design, or the survey wave."""
    return q.report and q.id not in _design_columns(study) and q.id not in wave_questions(study)


def _single(con: duckdb.DuckDBPyConnection, study: Study, q: Question,
            dcells: dict | None = None) -> MultiResult:
    """A single choice's distribution: the share giving each answer among those who gave a
    valid one, overall and by every breakdown but its own, in the codebook's order; under a
    design, each share is design-based (Taylor linearisation or replicates)."""
    counts = agg.code_counts(con, study, q.id)
    valid = [c.value for c in q.valid_codes]
    bases = {}
    for key, codes in counts.items():
        got = [codes[c] for c in valid if c in codes]
        if got:
            bases[key] = Moments(n=sum(m.n for m in got), sw=sum(m.sw for m in got),
                                 sw2=sum(m.sw2 for m in got))
    own = frozenset(b.id for b in study.breakdowns if b.question == q.id)
    design = {c.value: (dcells or {}).get(f"share:{q.id}:{c.value}", {}) for c in q.valid_codes}
    return _distribution(study, q, bases, counts, own, single=True, design=design)


def _distribution(study: Study, q: Question, bases: dict, counts: dict,
                  own: frozenset[str] = frozenset(), single: bool = False,
                  design: dict | None = None) -> MultiResult:
    """The share of each code among a cell's base, overall and by breakdown (not by the
    breakdowns in ``own``), each with its interval: Wilson on the Kish effective base, or
    the design-based estimate of each code and cell in ``design`` when one is declared."""

    def share(key: CellKey, group: str, code: str) -> Estimate:
        b = bases.get(key)
        if b is None or key[0] in own:
            return withheld(group)
        m = counts.get(key, {}).get(code, Moments(n=0, sw=0.0, sw2=0.0))
        return proportion_estimate(group, Moments(n=b.n, sw=b.sw, sw2=b.sw2, swy=m.sw, ny=m.n),
                                   study, (design or {}).get(code, {}).get(key))

    keys = {k: k for k in bases if k[0] not in own}
    options = []
    for c in q.valid_codes:
        overall = share((None, None), ALL, c.value)
        by = tuple(b for b in _by_breakdowns(
            study, keys, lambda g, k, _k, c=c: share(k, g, c.value) if k is not None
            else withheld(g)) if b.breakdown.id not in own)
        options.append(OptionResult(c.value, c.label, overall, by))
    if not single:
        options.sort(key=lambda o: -(o.overall.estimate or 0.0))
    base_m = bases.get((None, None))
    base = Estimate(ALL, base_m.n if base_m else None, None, None, None, None,
                    base_m is None, False)
    return MultiResult(q, base, tuple(options), single=single)


def _number(con: duckdb.DuckDBPyConnection, study: Study, q: Question,
            dmeans: dict | None = None, dtotals: dict | None = None) -> NumberResult:
    dmeans = dmeans or {}
    m = agg.number_moments(con, study, q.id)
    mean = _mean_estimate(ALL, m.get((None, None)), study, dmeans.get((None, None)))
    mean_by = _by_breakdowns(study, m,
                             lambda g, mm, k: _mean_estimate(g, mm, study, dmeans.get(k)))
    total, total_by = None, ()
    if dtotals is not None:
        total = _total_estimate(ALL, m.get((None, None)), study, dtotals.get((None, None)))
        total_by = _by_breakdowns(study, m, lambda g, mm, k: _total_estimate(
            g, mm, study, dtotals.get(k)))
    cells: list[NpsCell] = []
    if q.scale == "nps":
        counts = agg.code_counts(con, study, q.id)
        keys: list[tuple[CellKey, str]] = [((None, None), ALL)]
        compare = next((b for b in study.breakdowns if b.compare), None)
        if compare is not None:
            keys += [((compare.id, g.label), g.label) for g in compare.groups]
        for key, group in keys:
            cells.append(_nps_cell(group, counts.get(key), study))
        wb = study.wave_breakdown
        if wb is not None and wb is not compare and wb.question in _survey_qids(study):
            made = [replace(_nps_cell(g.label, counts.get((wb.id, g.label)), study),
                            breakdown=wb.id) for g in wb.groups]
            extra = disclosure.secondary([(c.group, c.n, c.suppressed) for c in made])
            cells += [replace(c, n=None, promoters=None, passives=None, detractors=None,
                              score=withheld(c.group, secondary=True), suppressed=True,
                              low_base=False) if c.group in extra else c for c in made]
    return NumberResult(q, mean, mean_by, tuple(cells), total, total_by,
                        _quantiles(con, study, q, mean, mean_by))


def _quantiles(con: duckdb.DuckDBPyConnection, study: Study, q: Question, mean: Estimate,
               mean_by: tuple[BreakdownCells, ...]) -> tuple[QuantileCell, ...]:
    """The question's quantiles in every cell whose mean is published, each with R's
    Woodruff interval: the design-based standard error of the estimated share at or below
    the quantile (allowing for raking when the study's variance does), on the cell's degrees
    of freedom. With replicate weights the quantiles are published without an interval."""
    y = f"CAST({quote_ident(q.id)} AS DOUBLE)"
    d = Design(study.survey.id, study.weight_column)
    cells: list[tuple[str, Breakdown | None, Estimate]] = [("all", None, mean)]
    cells += [(b.breakdown.id, b.breakdown, c) for b in mean_by for c in b.cells]
    sorted_by, found = {}, {}
    for bid, b, e in cells:
        if e.suppressed:
            continue
        dom, dp = agg.cell_domain(study, b, None if b is None else e.group)
        sorted_by[(bid, e.group)] = s = Sorted.of(con, d, y, dom, dp)
        found[(bid, e.group)] = s.quantiles(list(q.quantiles))
    cdfs: dict = {}
    if agg.replicates_of(study) is None and found:
        # One variable per breakdown and probability: the share at or below the quantile of
        # the respondent's own cell of that breakdown.
        variables = []
        for bid, b, _ in cells[:1] + [(bc.breakdown.id, bc.breakdown, None) for bc in mean_by]:
            for k, p in enumerate(q.quantiles):
                if b is None:
                    thr = repr(found[("all", ALL)][k]) if ("all", ALL) in found else "NULL"
                else:
                    whens = " ".join(
                        f"WHEN {_literal(g)} THEN {found[(bid, g)][k]!r}"
                        for (bb, g) in found if bb == bid)
                    dom_case = _group_case(b)
                    thr = f"(CASE ({dom_case}) {whens} ELSE NULL END)" if whens else "NULL"
                variables.append((f"q:{bid}:{p!r}", f"CAST(({y}) <= {thr} AS INTEGER)", [],
                                  "TRUE", []))
        cdfs = agg.design_cells(con, study, variables)
    out = []
    for bid, b, e in cells:
        for k, p in enumerate(q.quantiles):
            if e.suppressed:
                out.append(QuantileCell(bid, e.group, p, None, None, None, None, None, None,
                                        True, e.secondary))
                continue
            qhat = found[(bid, e.group)][k]
            de = cdfs.get(f"q:{bid}:{p!r}", {}).get((None, None) if b is None
                                                     else (bid, e.group))
            lo = hi = se = df = None
            if de is not None:
                lo, hi, se = woodruff(sorted_by[(bid, e.group)], de, study.confidence)
                df = de.df
            out.append(QuantileCell(bid, e.group, p, e.n, qhat, _finite(lo), _finite(hi),
                                    _finite(se), df, False))
    return tuple(out)


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _group_case(b: Breakdown) -> str:
    """SQL for a row's group label in breakdown ``b`` (as aggregate's cells label it)."""
    col = f"CAST({quote_ident(b.question)} AS VARCHAR)"
    whens = " ".join(f"WHEN list_contains({sql_list(g.codes)}, {col}) THEN {_literal(g.label)}"
                     for g in b.groups)
    return f"CASE {whens} ELSE {_literal(agg.NOT_STATED)} END"


def _nps_cell(group: str, codes: dict[str, Moments] | None, study: Study) -> NpsCell:
    n = sum(c.n for c in codes.values()) if codes else 0
    if not codes or disclosure.classify(n, study.disclosure) == disclosure.SUPPRESSED:
        return NpsCell(group, None, None, None, None, withheld(group), True, False)
    sw = sum(c.sw for c in codes.values())
    sw2 = sum(c.sw2 for c in codes.values())
    prom = sum(c.sw for v, c in codes.items() if float(v) >= 9)
    det = sum(c.sw for v, c in codes.items() if float(v) <= 6)
    neff = kish_effective_n(sw, sw2)
    score, lo, hi = nps(prom, det, sw, neff, study.confidence)
    low = disclosure.classify(n, study.disclosure) == disclosure.LOW
    return NpsCell(group, n, prom / sw, (sw - prom - det) / sw, det / sw,
                   graded(Estimate(group, n, score, lo, hi, neff, False, low,
                                   se=nps_se(prom, det, sw, neff), deff=n / neff,
                                   interval="wald"), study), False, low)


def _attribution(attrib: tuple[str, ...], sizes: dict[tuple[str, ...], int], threshold: int
                 ) -> tuple[str, ...]:
    for depth in range(len(attrib), 0, -1):
        if sizes.get(attrib[:depth], 0) >= threshold:
            return attrib[:depth]
    return ("an interviewee",)


def _interviews(con: duckdb.DuckDBPyConnection, study: Study) -> InterviewResult:
    iv = study.interviews
    assert iv is not None
    bd = study.breakdown(iv.by)
    bases, counts = agg.theme_counts(con, study)
    present = {g for (_, g) in bases if g is not None}
    labels = [g for g in _group_order(bd, present) if g in present]
    keys: list[CellKey] = [(bd.id, g) for g in labels] + [(None, None)]

    def ok(key: CellKey) -> bool:
        b = bases.get(key)
        return b is not None and disclosure.classify(b.interviewees, study.disclosure) \
            != disclosure.SUPPRESSED

    themes = []
    tq = study.question(iv.themes)
    for c in tq.valid_codes:
        ivs = tuple((counts.get(k, {}).get(c.value, agg.ThemeCount(0, 0)).interviewees
                     if ok(k) else None) for k in keys)
        orgs = tuple((counts.get(k, {}).get(c.value, agg.ThemeCount(0, 0)).organisations
                      if ok(k) else None) for k in keys)
        themes.append(ThemeRow(c.value, c.label, ivs, orgs))
    themes.sort(key=lambda t: (-(t.interviewees[-1] or 0), t.label))
    # A quote is attributed only to a cell of at least ``suppress_below`` interviewees: the
    # full attribution if it is that large, else its coarser levels (role group without the
    # sector), else no attribution at all.
    sizes = agg.attribution_counts(con, study)
    quotes = tuple(Quote(text, ", ".join(_attribution(attrib, sizes,
                                                      study.disclosure.suppress_below)))
                   for text, attrib in agg.quotes(con, study))
    return InterviewResult(
        (*labels, ALL),
        tuple(bases[k].interviewees if ok(k) else None for k in keys),
        tuple(bases[k].organisations if ok(k) else None for k in keys),
        tuple(themes), quotes, bd.label, tuple(False for _ in keys))
