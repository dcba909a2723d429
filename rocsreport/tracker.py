"""The ROCS tracker: each area's measures by cycle, their process-behaviour charts and signals,
the change before and after each area's focus cycle, the rewards, and the business metrics of
the programme year against the year before (Belding).

SQL gives the sufficient statistics per cycle (one GROUP BY per source); Python finishes the
estimates from those few dozen rows (see stats/spc.py for the charts and rules).

Disclosure: a cycle whose base is under ``disclosure.suppress_below`` is withheld, and it is
left out of everything else as well: the limits, the pooled before and after figures and the
year's summaries. So no published figure includes its answers, and no difference of published
figures can give them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import duckdb

from .errors import SpecError
from .ingest import quote_ident
from .stats.proportions import benjamini_hochberg, diff_ci, proportion_ci, two_proportion_ztest
from .stats.spc import (
    OUTSIDE,
    RUN,
    Limits,
    Signal,
    p_chart,
    poisson_ci,
    rate_ratio_ci,
    signals,
    welch,
    xmr_chart,
)
from .stats.tdist import t_ppf
from .trackspec import Area, Measure, Tracker

HELD_WINDOW = 3  # an improvement holds if a rule still fires in one of the last 3 cycles


@dataclass(frozen=True)
class Point:
    cycle: int
    n: int | None  # None: withheld
    value: float | None  # a proportion (0-1), a mean, or an NPS (-100..100)
    ci_low: float | None
    ci_high: float | None
    low_base: bool = False

    @property
    def suppressed(self) -> bool:
        return self.n is None


@dataclass(frozen=True)
class BeforeAfter:
    before_n: int
    before: float
    after_n: int
    after: float
    diff: float
    ci_low: float
    ci_high: float
    method: str  # "Newcombe" or "Welch"
    p_value: float
    p_adjusted: float = math.nan

    @property
    def significant(self) -> bool:
        return self.p_adjusted < 0.05


@dataclass(frozen=True)
class MeasureResult:
    measure: Measure
    points: tuple[Point, ...]
    limits: Limits
    signals: tuple[Signal, ...]
    focus: int | None
    before_after: BeforeAfter | None
    verdict: str  # "held", "faded", "declined", "none"
    first_signal: Signal | None  # the first improving signal after the focus cycle
    highest_after: Point | None  # with no signal: the highest point after the focus

    @property
    def chart_name(self) -> str:
        return "p-chart" if self.limits.kind == "p" else "XmR chart"

    def point(self, cycle: int) -> Point | None:
        return next((p for p in self.points if p.cycle == cycle), None)

    def improving(self, s: Signal) -> bool:
        return s.direction * self.measure.better > 0

    def state(self, cycle: int) -> str:
        """For the overview grid: "better" or "worse" where a rule fires, "within" the normal
        variation, "withheld"."""
        p = self.point(cycle)
        if p is None or p.suppressed:
            return "withheld"
        fired = [s for s in self.signals if self.points[s.index].cycle == cycle]
        if any(self.improving(s) for s in fired):
            return "better"
        if fired:
            return "worse"
        return "within"

    def upper(self, cycle: int) -> float:
        return self.limits.upper[[p.cycle for p in self.points].index(cycle)]

    def lower(self, cycle: int) -> float:
        return self.limits.lower[[p.cycle for p in self.points].index(cycle)]


@dataclass(frozen=True)
class AreaResult:
    area: Area
    focus: int | None
    measures: tuple[MeasureResult, ...]

    @property
    def verdict(self) -> str:
        """The area's verdict is its first measure's; the others are shown beside it."""
        return self.measures[0].verdict


@dataclass(frozen=True)
class RewardResult:
    id: str
    label: str
    areas: tuple[AreaResult, ...]

    def count(self, *verdicts: str) -> int:
        return sum(a.verdict in verdicts for a in self.areas)


@dataclass(frozen=True)
class YearMetric:
    key: str
    label: str
    kind: str  # "rate" (per 1,000 customers), "mean" or "total"
    before: float
    programme: float
    before_ci: tuple[float, float] | None
    programme_ci: tuple[float, float] | None
    change: float  # ratio for rates, difference otherwise
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    periods: int

    @property
    def relative(self) -> float:
        return (self.change - 1 if self.kind == "rate" else self.change / self.before) \
            if self.before else math.nan


@dataclass(frozen=True)
class TrackerResult:
    spec: Tracker
    cycles: tuple[int, ...]  # every cycle with data, baseline (<= 0) first
    first_days: tuple[tuple[int, str], ...]  # cycle -> its first day (a date wave)
    areas: tuple[AreaResult, ...]
    rewards: tuple[RewardResult, ...]
    year: tuple[YearMetric, ...]
    metrics_periods: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def baseline(self) -> tuple[int, ...]:
        return tuple(c for c in self.cycles if c <= 0)

    @property
    def programme(self) -> tuple[int, ...]:
        return tuple(c for c in self.cycles if c > 0)

    def area(self, aid: str) -> AreaResult:
        return next(a for a in self.areas if a.area.id == aid)

    def first_day(self, cycle: int) -> str | None:
        return dict(self.first_days).get(cycle)

    def count(self, *verdicts: str) -> int:
        return sum(a.verdict in verdicts for a in self.areas)


def _cycle_sql(t: Tracker) -> str:
    w = quote_ident(t.wave)
    if t.wave_type == "date":
        return (f"(floor(date_diff('day', DATE '{t.start.isoformat()}', {w}) / {t.cycle_days})"
                f" + 1)::INTEGER")
    return f"CAST({w} AS INTEGER)"


def _aggregates(con: duckdb.DuckDBPyConnection, study, t: Tracker, source: str,
                measures: list[Measure]) -> dict[int, dict[str, tuple[float, ...]]]:
    """Per cycle, per measure: (n, x) for a proportion; (n, Σy, Σy²) for a mean or an NPS
    (y = +100 for a promoter, 0 for a passive, −100 for a detractor)."""
    parts = []
    for k, m in enumerate(measures):
        if m.kind == "proportion":
            ind = study.indicator(m.id)
            q = quote_ident(ind.question)
            base = ", ".join("'" + c.replace("'", "''") + "'" for c in ind.base)
            num = ", ".join("'" + c.replace("'", "''") + "'" for c in ind.numerator)
            cast = f"CAST({q} AS VARCHAR)"
            parts.append(f"count(*) FILTER ({cast} IN ({base})) AS n{k}, "
                         f"count(*) FILTER ({cast} IN ({num})) AS x{k}, 0 AS s{k}")
        else:
            q = quote_ident(m.question)
            y = (f"(CASE WHEN {q} >= 9 THEN 100 WHEN {q} <= 6 THEN -100 ELSE 0 END)"
                 if m.kind == "nps" else f"{q}")
            parts.append(f"count({q}) AS n{k}, sum({y}) AS x{k}, sum({y} * {y}) AS s{k}")
    cyc = _cycle_sql(t)
    rows = con.execute(f"SELECT {cyc} AS cycle, {', '.join(parts)} FROM {quote_ident(source)} "
                       f"WHERE {quote_ident(t.wave)} IS NOT NULL GROUP BY ALL ORDER BY cycle"
                       ).fetchall()
    out: dict[int, dict[str, tuple[float, ...]]] = {}
    for row in rows:
        c = int(row[0])
        out[c] = {}
        for k, m in enumerate(measures):
            n, x, s = row[1 + 3 * k: 4 + 3 * k]
            out[c][m.id] = (int(n or 0), float(x or 0), float(s or 0))
    return out


def _point(m: Measure, cycle: int, agg: tuple[float, ...] | None, suppress: int, flag: int,
           confidence: float) -> Point:
    n, x, s = agg if agg is not None else (0, 0.0, 0.0)
    if n < max(1, suppress):
        return Point(cycle, None, None, None, None)
    if m.kind == "proportion":
        p = x / n
        lo, hi = proportion_ci(p, n, confidence)
        return Point(cycle, int(n), p, lo, hi, n < flag)
    mean = x / n
    if n < 2:
        return Point(cycle, int(n), mean, None, None, n < flag)
    var = max(0.0, (s - x * x / n) / (n - 1))
    half = t_ppf(0.5 + confidence / 2, n - 1) * math.sqrt(var / n)
    return Point(cycle, int(n), mean, mean - half, mean + half, n < flag)


def _pool(m: Measure, aggs: list[tuple[float, ...]]) -> tuple[int, float, float]:
    n = sum(a[0] for a in aggs)
    return int(n), sum(a[1] for a in aggs), sum(a[2] for a in aggs)


def _before_after(m: Measure, before: list[tuple[float, ...]], after: list[tuple[float, ...]],
                  confidence: float) -> BeforeAfter | None:
    (n0, x0, s0), (n1, x1, s1) = _pool(m, before), _pool(m, after)
    if n0 < 2 or n1 < 2:
        return None
    if m.kind == "proportion":
        p0, p1 = x0 / n0, x1 / n1
        d, lo, hi = diff_ci(p1, n1, p0, n0, confidence)
        _, p = two_proportion_ztest(p1, n1, p0, n0)
        return BeforeAfter(n0, p0, n1, p1, d, lo, hi, "Newcombe", p)
    m0, m1 = x0 / n0, x1 / n1
    v0, v1 = (s0 - x0 * x0 / n0) / (n0 - 1), (s1 - x1 * x1 / n1) / (n1 - 1)
    d, lo, hi, _df, p = welch(m1, v1, n1, m0, v0, n0, confidence)
    return BeforeAfter(n0, m0, n1, m1, d, lo, hi, "Welch", p)


def _measure(study, t: Tracker, m: Measure, cycles: tuple[int, ...],
             agg: dict[int, dict[str, tuple[float, ...]]], focus: int | None) -> MeasureResult:
    d = study.disclosure
    pts = [_point(m, c, agg.get(c, {}).get(m.id), d.suppress_below, d.flag_below,
                  study.confidence) for c in cycles]
    nb = sum(c <= 0 for c in cycles)
    if m.kind == "proportion":
        counts = [0.0 if p.suppressed else agg[p.cycle][m.id][1] for p in pts]
        bases = [0.0 if p.suppressed else float(p.n) for p in pts]
        limits = p_chart(counts, bases, nb)
    else:
        limits = xmr_chart([p.value for p in pts], nb)
    fired = tuple(signals([p.value for p in pts], limits))
    published = {p.cycle: agg[p.cycle][m.id] for p in pts if not p.suppressed}
    ba = None
    if focus is not None:
        ba = _before_after(m, [a for c, a in published.items() if c < focus],
                           [a for c, a in published.items() if c > focus], study.confidence)
    after = [s for s in fired if focus is not None and pts[s.index].cycle > focus]
    better = [s for s in after if s.direction * m.better > 0]
    worse = [s for s in after if s.direction * m.better < 0]
    last = [p.cycle for p in pts if not p.suppressed][-HELD_WINDOW:]
    if better:
        held = any(pts[s.index].cycle in last for s in better)
        verdict = "held" if held else "faded"
    elif worse:
        verdict = "declined"
    else:
        verdict = "none"
    highest = None
    if not better and focus is not None:
        later = [p for p in pts if p.cycle > focus and not p.suppressed]
        if later:
            highest = max(later, key=lambda p: m.better * p.value)
    return MeasureResult(m, tuple(pts), limits, fired, focus, ba, verdict,
                         better[0] if better else None, highest)


def _year(con: duckdb.DuckDBPyConnection, study, t: Tracker) -> tuple[YearMetric, ...]:
    mt = t.metrics
    if mt is None:
        return ()
    src = study.source(mt.source)
    cols = [c for _, c in mt.columns]
    rows = con.execute(
        f"SELECT CAST({quote_ident(mt.period)} AS VARCHAR), "
        + ", ".join(f"CAST({quote_ident(c)} AS DOUBLE)" for c in cols)
        + f" FROM {quote_ident(mt.source)}").fetchall()
    by_period = {r[0]: dict(zip(cols, r[1:], strict=True)) for r in rows}
    problems = []
    for key, periods in (("before", mt.before), ("programme", mt.programme)):
        missing = [p for p in periods if p not in by_period]
        if missing:
            problems.append(f"study.yaml: tracker.metrics.{key}: period(s) "
                            f"{', '.join(missing[:6])} have no row in {src.relpath} (source "
                            f"{mt.source!r}, column {mt.period!r}); every declared period needs "
                            "its row")
        for p in periods:
            for c in cols:
                if p in by_period and by_period[p][c] is None:
                    problems.append(f"study.yaml: tracker.metrics.{key}: {src.relpath}, period "
                                    f"{p}: column {c!r} is empty (expected a number)")
    if problems:
        raise SpecError(problems)
    conf = study.confidence
    out = []
    labels = {"complaints": "Complaints per 1,000 customers", "repeat_rate": "Repeat-purchase rate",
              "average_sale": "Average sale value", "sales": "Sales"}
    for key, col in mt.columns:
        if key == "customers":
            continue  # the exposure of the complaint rate, not one of Belding's four
        b = [by_period[p][col] for p in mt.before]
        a = [by_period[p][col] for p in mt.programme]
        if key == "complaints":
            cust = mt.column("customers")
            tb = sum(by_period[p][cust] for p in mt.before)
            ta = sum(by_period[p][cust] for p in mt.programme)
            xb, xa = round(sum(b)), round(sum(a))
            lb, hb = poisson_ci(xb, conf)
            la, ha = poisson_ci(xa, conf)
            ratio, lo, hi, p = rate_ratio_ci(xa, ta, xb, tb, conf)
            out.append(YearMetric(key, labels[key], "rate", 1000 * xb / tb, 1000 * xa / ta,
                                  (1000 * lb / tb, 1000 * hb / tb),
                                  (1000 * la / ta, 1000 * ha / ta), ratio, lo, hi, p,
                                  "exact Poisson", len(a)))
            continue
        nb, na = len(b), len(a)
        mb, ma = sum(b) / nb, sum(a) / na
        vb = sum((x - mb) ** 2 for x in b) / (nb - 1)
        va = sum((x - ma) ** 2 for x in a) / (na - 1)
        d, lo, hi, _df, p = welch(ma, va, na, mb, vb, nb, conf)
        if key == "sales":
            # A year's total is the number of periods times their mean: the interval scales.
            out.append(YearMetric(key, labels[key], "total", sum(b), sum(a), None, None,
                                  na * d, na * lo, na * hi, p, "Welch", na))
        else:
            out.append(YearMetric(key, labels[key], "mean", mb, ma, None, None, d, lo, hi, p,
                                  "Welch", na))
    return tuple(out)


def analyse_tracker(study, con: duckdb.DuckDBPyConnection) -> TrackerResult:
    t: Tracker = study.tracker
    by_source: dict[str, list[Measure]] = {}
    for a in t.areas:
        for m in a.measures:
            if m not in by_source.setdefault(m.source, []):
                by_source[m.source].append(m)
    agg: dict[int, dict[str, tuple[float, ...]]] = {}
    for source, ms in sorted(by_source.items()):
        for c, vals in _aggregates(con, study, t, source, ms).items():
            agg.setdefault(c, {}).update(vals)
    cycles = tuple(sorted(agg))
    last = max((c for c in cycles if c > 0), default=0)
    problems = []
    if sum(c <= 0 for c in cycles) < 2:
        problems.append(f"study.yaml: tracker.wave: the data has {sum(c <= 0 for c in cycles)} "
                        "baseline cycle(s) (before cycle 1); the limits need at least 2, "
                        "better a year of them")
    if len(t.focus) > last:
        problems.append(f"study.yaml: tracker.schedule.focus: {len(t.focus)} focus cycles, but "
                        f"the data ({t.wave!r}) reaches cycle {last}: the schedule is longer "
                        "than the data")
    if problems:
        raise SpecError(problems)
    # Every cycle between the first and the last is on the chart, even one with no answers.
    cycles = tuple(range(cycles[0], cycles[-1] + 1))
    for c in cycles:
        agg.setdefault(c, {})
    areas = []
    for a in t.areas:
        f = t.focus_cycle(a.id)
        areas.append(AreaResult(a, f, tuple(_measure(study, t, m, cycles, agg, f)
                                            for m in a.measures)))
    # Benjamini–Hochberg across every before/after test of the areas.
    tests = [(i, j) for i, a in enumerate(areas) for j, m in enumerate(a.measures)
             if m.before_after is not None]
    adj = benjamini_hochberg([areas[i].measures[j].before_after.p_value for i, j in tests])
    for (i, j), q in zip(tests, adj, strict=True):
        ms = list(areas[i].measures)
        ba = ms[j].before_after
        ms[j] = _replace(ms[j], before_after=_replace(ba, p_adjusted=q))
        areas[i] = _replace(areas[i], measures=tuple(ms))
    rewards = tuple(RewardResult(rid, label, tuple(a for a in areas if a.area.reward == rid))
                    for rid, label in t.rewards)
    days = ()
    if t.wave_type == "date":
        days = tuple((c, (t.start + dt.timedelta(days=(c - 1) * t.cycle_days)).isoformat())
                     for c in cycles)
    year = _year(con, study, t)
    mp = (t.metrics.before, t.metrics.programme) if t.metrics else ((), ())
    return TrackerResult(t, cycles, days, tuple(areas), rewards, year, mp)


def _replace(obj, **kw):
    from dataclasses import replace

    return replace(obj, **kw)


RULE_WORDS = {OUTSIDE: "a point beyond a limit", RUN: "8 cycles in a row on one side of the "
              "centre line"}
