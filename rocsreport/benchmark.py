"""Organisations against sector baselines, across waves, with disclosure control.

SQL computes sufficient statistics per organisation and wave (one pass over the responses);
everything after that works on those few hundred rows. Disclosure rules are applied here, before
anything renders: a baseline needs ``min_organisations`` contributing organisations and no
organisation may carry more than ``max_share`` of its respondents; an organisation's own figures
need ``suppress_below`` respondents.

The full result holds every organisation's figures. Only ``public_view`` (organisation figures
removed unless the study publishes them) reaches the public site, and only ``private_view(org)``
(that organisation plus disclosure-safe aggregates) reaches its private report.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import pairwise
from statistics import NormalDist

import duckdb

from .aggregate import NOT_STATED
from .ingest import quote_ident
from .spec import Benchmark, Study
from .stats import disclosure
from .stats.means import nps as nps_ci
from .stats.proportions import z_value
from .stats.tdist import t_ppf, t_sf
from .words import setting

INDEX = "index"
NPS = "nps"
NATIONAL = "All sectors"


@dataclass(frozen=True)
class Score:
    """A mean on the 0-100 scale (or an NPS on -100..100) with its t interval and base."""

    n: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    suppressed: bool
    low_base: bool
    secondary: bool = False  # withheld so that a smaller organisation cannot be derived
    weight: float | None = None  # Σw of its respondents when the study is weighted


WITHHELD = Score(None, None, None, None, None, True, False)
GUARDED = Score(None, None, None, None, None, True, False, True)


@dataclass(frozen=True)
class OrgWave:
    org: str
    name: str
    sector: str
    wave: str
    scores: tuple[tuple[str, Score], ...]  # (measure, score): index, items, nps

    def score(self, measure: str) -> Score:
        return dict(self.scores).get(measure, WITHHELD)


@dataclass(frozen=True)
class Baseline:
    scope: str  # NATIONAL or a sector
    wave: str
    measure: str
    k: int | None  # contributing organisations
    n: int | None  # their respondents
    mean: float | None  # respondent-weighted
    median: float | None
    q1: float | None
    q3: float | None  # the upper quartile: the "high performers" line
    suppressed: bool
    reason: str = ""  # why it is withheld
    secondary: bool = False  # mean and n withheld so a suppressed sector cannot be derived
    # The mean's design-based interval: respondents clustered in their organisations
    # (Taylor linearisation of the ratio mean, t on k - 1 degrees of freedom). Withheld with
    # the mean.
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class IndexChange:
    """The change of a national or sector mean index between two waves."""

    scope: str
    measure: str
    from_wave: str
    to_wave: str
    diff: float
    ci_low: float
    ci_high: float
    df: float  # Welch-Satterthwaite
    p_value: float
    p_adjusted: float  # Benjamini-Hochberg across the sectors for the pair; national: as is

    @property
    def significant(self) -> bool:
        return self.p_adjusted < 0.05


@dataclass(frozen=True)
class Position:
    org: str
    wave: str
    measure: str
    sector_rank: float | None  # percentile rank in the sector (mid-rank for ties)
    national_rank: float | None
    vs_sector: str | None  # "above", "below", "not significantly different"; None: no baseline
    p_value: float | None


@dataclass(frozen=True)
class Change:
    org: str
    sector: str
    from_wave: str
    to_wave: str
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    direction: str  # "up", "down", "unchanged"

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


@dataclass(frozen=True)
class ChangeCount:
    scope: str
    from_wave: str
    to_wave: str
    up: int | None
    down: int | None
    unchanged: int | None
    total: int | None
    suppressed: bool
    secondary: bool = False


@dataclass(frozen=True)
class Bin:
    index: float  # mean index of the organisations in the bin
    metric: float  # their mean metric
    k: int


@dataclass(frozen=True)
class Relationship:
    metric: str
    label: str
    wave: str
    k: int  # organisations
    r: float
    ci_low: float
    ci_high: float
    p_value: float
    bins: tuple[Bin, ...]  # disclosure-safe summary for the public scatter
    change_r: float | None  # correlation of the change in metric with the change in index
    change_ci: tuple[float, float] | None
    change_k: int
    points: tuple[tuple[str, float, float], ...] = ()  # (org, index, metric): private data
    # The year-on-year view per sector: (sector, organisations, r of changes, ci_low, ci_high)
    by_sector: tuple[tuple[str, int, float, float, float], ...] = ()


@dataclass(frozen=True)
class BenchmarkResult:
    spec: Benchmark
    waves: tuple[str, ...]
    wave_labels: tuple[str, ...]
    measures: tuple[tuple[str, str], ...]  # (id, label): index, items, then nps
    sectors: tuple[str, ...]
    orgs: tuple[OrgWave, ...]
    baselines: tuple[Baseline, ...]
    positions: tuple[Position, ...]
    changes: tuple[Change, ...]
    counts: tuple[ChangeCount, ...]
    relationships: tuple[Relationship, ...]
    names: tuple[tuple[str, str, str], ...]  # (org, name, sector) for every organisation
    index_changes: tuple[IndexChange, ...] = ()
    weighted: bool = False  # organisation and sector figures use the respondent weights

    def baseline(self, scope: str, wave: str, measure: str) -> Baseline | None:
        return self._baseline_index.get((scope, wave, measure))

    def org_wave(self, org: str, wave: str) -> OrgWave | None:
        return self._org_index.get((org, wave))

    @functools.cached_property
    def _baseline_index(self) -> dict[tuple[str, str, str], Baseline]:
        out: dict[tuple[str, str, str], Baseline] = {}
        for b in self.baselines:
            out.setdefault((b.scope, b.wave, b.measure), b)
        return out

    @functools.cached_property
    def _org_index(self) -> dict[tuple[str, str], OrgWave]:
        out: dict[tuple[str, str], OrgWave] = {}
        for o in self.orgs:
            out.setdefault((o.org, o.wave), o)
        return out

    @property
    def items(self) -> tuple[str, ...]:
        """The satisfaction items: the measures that make up the index."""
        return tuple(m for m, _ in self.measures if m not in (INDEX, NPS, *self.spec.rates))

    def label(self, measure: str) -> str:
        return dict(self.measures).get(measure, measure)

    def wave_label(self, wave: str) -> str:
        return dict(zip(self.waves, self.wave_labels, strict=True)).get(wave, wave)

    @property
    def latest(self) -> str:
        return self.waves[-1]

    @property
    def headline(self) -> tuple[str, str] | None:
        if self.spec.headline_change:
            return self.spec.headline_change
        return (self.waves[-2], self.waves[-1]) if len(self.waves) > 1 else None

    @property
    def year_ago(self) -> str | None:
        """The wave a year before the latest: the first wave of ``headline_change`` when it
        ends at the latest, else the wave coded twelve months earlier (YYYY-MM codes)."""
        h = self.spec.headline_change
        if h and h[1] == self.latest:
            return h[0]
        m = re.fullmatch(r"(\d{4})-(\d{2})", self.latest)
        if m:
            code = f"{int(m[1]) - 1:04d}-{m[2]}"
            return code if code in self.waves else None
        return None

    @property
    def previous(self) -> str | None:
        return self.waves[-2] if len(self.waves) > 1 else None

    def index_change(self, scope: str, from_wave: str | None, to_wave: str | None = None,
                     measure: str = "index") -> IndexChange | None:
        to_wave = to_wave or self.latest
        return next((c for c in self.index_changes if (c.scope, c.measure, c.from_wave,
                                                       c.to_wave) ==
                     (scope, measure, from_wave, to_wave)), None)

    def counts_for(self, pair: tuple[str, str]) -> list[ChangeCount]:
        return [c for c in self.counts if (c.from_wave, c.to_wave) == pair]

    def public_view(self) -> BenchmarkResult:
        """What the public site may show: aggregates only, unless the study publishes
        organisation scores (as the UKCSI does with its tables)."""
        if self.spec.publish_organisation_scores:
            return self
        return replace(self, orgs=(), positions=(), changes=(), names=(),
                       relationships=tuple(replace(r, points=()) for r in self.relationships))

    def private_view(self, org: str) -> BenchmarkResult:
        """One organisation's figures and the disclosure-safe aggregates of its sector and the
        nation. Nothing else about any other organisation."""
        mine = [n for n in self.names if n[0] == org]
        if not mine:
            raise KeyError(org)
        sector = mine[0][2]
        return replace(
            self, orgs=tuple(o for o in self.orgs if o.org == org),
            positions=tuple(p for p in self.positions if p.org == org),
            changes=tuple(c for c in self.changes if c.org == org),
            names=tuple(mine),
            baselines=tuple(b for b in self.baselines if b.scope in (NATIONAL, sector)),
            counts=tuple(c for c in self.counts if c.scope in (NATIONAL, sector)),
            index_changes=tuple(c for c in self.index_changes if c.scope in (NATIONAL, sector)),
            relationships=tuple(replace(r, points=()) for r in self.relationships))


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile (scipy, remembered; see ``stats.tdist``)."""
    return t_ppf(p, df)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """Q1, median and Q3 by the Harrell-Davis estimator (Harrell and Davis, 1982; R's
    Hmisc::hdquantile): a weighted mean of every order statistic, with Beta(p(k+1),
    (1-p)(k+1)) weights.

    Chosen for disclosure control: an order-statistic quantile (R's type 7 with 5 or 9
    organisations, any median of an odd number) is one organisation's exact score, which the
    ESSnet Handbook on Statistical Disclosure Control (2010, section 4.2) warns against
    publishing. Every organisation contributes to a Harrell-Davis quantile, so it falls on no
    single score except by coincidence (tied or symmetric scores); ``_baseline`` withholds a
    baseline where it does.
    """
    from scipy.stats import beta

    x = sorted(values)
    k = len(x)
    edges = [i / k for i in range(k + 1)]
    out = []
    for p in (0.25, 0.5, 0.75):
        cdf = beta.cdf(edges, p * (k + 1), (1 - p) * (k + 1))
        out.append(float(sum((cdf[i + 1] - cdf[i]) * x[i] for i in range(k))))
    return out[0], out[1], out[2]


def percentile_rank(value: float, values: list[float]) -> float:
    """Mid-rank percentile: 100 × (number below + half the number equal, itself included) / N."""
    return _rank(value, sorted(values))


def fisher_z_ci(r: float, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Interval for a Pearson correlation through Fisher's z = atanh(r), se = 1/sqrt(k - 3)."""
    if k <= 3 or abs(r) >= 1:
        return (math.nan, math.nan)
    z, half = math.atanh(r), z_value(confidence) / math.sqrt(k - 3)
    return math.tanh(z - half), math.tanh(z + half)


def pearson(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Pearson's r and its two-sided p-value (t test on k - 2 degrees of freedom)."""
    k = len(xs)
    mx, my = sum(xs) / k, sum(ys) / k
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return math.nan, math.nan  # a constant has no correlation
    r = sxy / math.sqrt(sxx * syy)
    if k <= 2 or abs(r) >= 1:
        return r, 0.0
    t = r * math.sqrt((k - 2) / (1 - r * r))
    return r, 2 * t_sf(abs(t), k - 2)


def _score(n: int, s: float, ss: float, rules, confidence: float) -> Score:
    status = disclosure.classify(n, rules)
    if status == disclosure.SUPPRESSED:
        return WITHHELD
    mean = s / n
    var = max(0.0, ss / n - mean * mean) * n / (n - 1) if n > 1 else 0.0
    se = math.sqrt(var / n)
    half = t_quantile(0.5 + confidence / 2, n - 1) * se if n > 1 else math.nan
    return Score(n, mean, mean - half, mean + half, se, False, status == disclosure.LOW)


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _org_sql(study: Study, rates: tuple[str, ...] | None = None,
             weight: str | bool | None = True) -> tuple[str, list[str]]:
    """One pass over the responses: per organisation and wave, the sufficient statistics of
    the index, of each item (rescaled to 0-100) and of each rate (100 for a respondent in the
    numerator, 0 for one in the base only), then of the NPS.

    Unweighted: count, Σy and Σy² per measure, then the NPS counts. Weighted (``weight`` the
    column; True: the study's weight column): count, Σw, Σw·y, Σw²·y², Σw²·y and Σw² per
    measure, the NPS as the mean of 100 (promoter), 0 or -100 (detractor)."""
    b = study.benchmark
    assert b is not None
    rates = b.rates if rates is None else rates
    if weight is True:
        weight = study.weight_column
    lo, hi = b.scale
    items = [quote_ident(i) for i in b.items]
    scaled = [f"({i} - {lo}) * 100.0 / ({hi - lo})" for i in items]
    for rid in rates:
        ind = study.indicator(rid)
        col = f"CAST({quote_ident(ind.question)} AS VARCHAR)"
        scaled.append(f"CASE WHEN list_contains({_sql_list(ind.base)}, {col}) THEN 100.0 * "
                      f"list_contains({_sql_list(ind.numerator)}, {col})::DOUBLE END")
    count = " + ".join(f"({i} IS NOT NULL)::INTEGER" for i in items)
    total = " + ".join(f"coalesce({s}, 0)" for s in scaled[:len(items)])
    cols = [f"({total}) / nullif({count}, 0) AS y"]
    cols += [f"{s} AS i{k}" for k, s in enumerate(scaled)]
    names = ["y", *(f"i{k}" for k in range(len(scaled)))]
    if b.nps:
        rec = quote_ident(b.nps)
        cols.append(f"{rec} AS rec")
        if weight:
            cols.append(f"CASE WHEN {rec} >= 9 THEN 100.0 WHEN {rec} <= 6 THEN -100.0 "
                        f"WHEN {rec} IS NOT NULL THEN 0.0 END AS d")
    aggs = []
    if weight:
        cols.append(f"CAST({quote_ident(weight)} AS DOUBLE) AS w")
        for x in names + (["d"] if b.nps else []):
            aggs += [f"count({x})", f"sum(w) FILTER (WHERE {x} IS NOT NULL)",
                     f"sum(w * {x})", f"sum(w * w * {x} * {x})", f"sum(w * w * {x})",
                     f"sum(w * w) FILTER (WHERE {x} IS NOT NULL)"]
    else:
        for x in names:
            aggs += [f"count({x})", f"sum({x})", f"sum({x} * {x})"]
        if b.nps:
            aggs += ["count(rec)", "count(*) FILTER (WHERE rec >= 9)",
                     "count(*) FILTER (WHERE rec <= 6)"]
    sql = (f"SELECT org, wave, {', '.join(aggs)} FROM (SELECT {quote_ident(b.organisation)} AS org,"
           f" CAST({quote_ident(b.wave)} AS VARCHAR) AS wave, {', '.join(cols)} "
           f"FROM {quote_ident(study.survey.id)}) GROUP BY org, wave ORDER BY org, wave")
    return sql, [INDEX, *b.items, *rates]


def org_scores(a, measures: list[str], nps: bool, weighted: bool, rules, conf: float
               ) -> tuple[list[tuple[str, Score]], dict[str, int]]:
    """The scores of one organisation and wave from its row of ``_org_sql``, and each
    measure's count of respondents."""
    scores, counts = [], {}
    step = 6 if weighted else 3
    for k, m in enumerate(measures + ([NPS] if nps else [])):
        part = a[step * k:step * k + step]
        counts[m] = part[0]
        if weighted:
            scores.append((m, _weighted_score(*part, rules, conf)))
        elif m == NPS:
            scores.append((m, _nps_score(part[0], part[1], part[2], rules, conf)))
        else:
            n, s, ss = part
            scores.append((m, _score(n, s or 0.0, ss or 0.0, rules, conf)))
    return scores, counts


def _weighted_score(n: int, sw, swy, sw2y2, sw2y, sw2, rules, confidence: float) -> Score:
    """A weighted mean Σwy/Σw with its linearised variance, n/(n-1) · Σ w²(y - m)² / (Σw)²
    (R's survey package: svymean with ``svydesign(ids = ~1, weights = ~w)``), t on n - 1
    degrees of freedom."""
    status = disclosure.classify(n, rules)
    if status == disclosure.SUPPRESSED or not sw:
        return WITHHELD
    mean = swy / sw
    ss = max(0.0, sw2y2 - 2 * mean * sw2y + mean * mean * sw2)
    se = math.sqrt(n / (n - 1) * ss) / sw if n > 1 else 0.0
    half = t_quantile(0.5 + confidence / 2, n - 1) * se if n > 1 else math.nan
    return Score(n, mean, mean - half, mean + half, se, False, status == disclosure.LOW,
                 weight=float(sw))


def analyse_benchmark(study: Study, con: duckdb.DuckDBPyConnection) -> BenchmarkResult:
    """Every benchmark figure, from one SQL pass over the responses."""
    b = study.benchmark
    assert b is not None
    rules, conf = study.disclosure, study.confidence
    wave_q = study.question(b.wave)
    waves = tuple(c.value for c in wave_q.valid_codes)
    wave_labels = tuple(c.label for c in wave_q.valid_codes)
    sectors = tuple(c.value for c in study.question(b.sector).valid_codes)
    org_src = study.source(b.organisations)
    names = con.execute(
        f"SELECT {quote_ident(org_src.id_column)}, {quote_ident(b.name)}, "
        f"{quote_ident(b.sector)} FROM {quote_ident(org_src.id)} ORDER BY 1").fetchall()
    # An organisation whose sector is blank or not a listed code is in the national figures
    # but in no sector: it is its own part, "Not stated", protected like a small sector.
    names = [(o, n, s if s in sectors else NOT_STATED) for o, n, s in names]
    parts = (*sectors, NOT_STATED) if any(s == NOT_STATED for _, _, s in names) else sectors
    sector_of = {o: s for o, _, s in names}
    name_of = {o: n for o, n, _ in names}
    sql, measures = _org_sql(study)
    weighted = study.weight_column is not None
    orgs = []
    answered: dict[tuple[str, str, str], int] = {}  # (org, wave, measure) -> respondents
    for row in con.execute(sql).fetchall():
        org, wave, a = row[0], row[1], row[2:]
        scores, counts = org_scores(a, measures, bool(b.nps), weighted, rules, conf)
        answered.update({(org, wave, m): n for m, n in counts.items()})
        orgs.append(OrgWave(org, name_of.get(org, org), sector_of.get(org, NOT_STATED), wave,
                            tuple(scores)))
    if b.publish_organisation_scores:
        orgs = _guard_remainders(orgs, answered)
    labels = [(INDEX, "Satisfaction index")] + [(i, study.question(i).short) for i in b.items]
    labels += [(r, study.indicator(r).label + " (%)") for r in b.rates]
    if b.nps:
        labels.append((NPS, "Net promoter score"))
    measure_ids = [m for m, _ in labels]
    baselines = _baselines(orgs, waves, parts, measure_ids, b)
    positions = _positions(orgs, baselines, measure_ids, conf)
    changes, counts = _changes(orgs, waves, parts, b)
    rels = _relationships(study, con, orgs, waves, conf, baselines)
    res = BenchmarkResult(b, waves, wave_labels, tuple(labels), sectors, tuple(orgs),
                          tuple(baselines), tuple(positions), tuple(changes), tuple(counts),
                          tuple(rels), tuple(names), weighted=weighted)
    return replace(res, index_changes=tuple(_index_changes(res, conf)))


def _guard_remainders(orgs: list[OrgWave], answered: dict[tuple[str, str, str], int]
                      ) -> list[OrgWave]:
    """When organisations' scores are published, the national figures of every respondent
    (the question pages) minus the published organisations' totals are the pooled figures of
    the organisations withheld for too few respondents. Where that pool would be one
    organisation in a wave and measure, the published organisation with the fewest
    respondents is withheld as well (secondary suppression), before any baseline is made, so
    the pool always holds at least two organisations."""
    by: dict[tuple[str, str], list[OrgWave]] = defaultdict(list)
    for o in orgs:
        by[o.wave].append(o)
    guard: set[tuple[str, str, str]] = set()
    for wave, group in by.items():
        for m in {m for o in group for m, _ in o.scores}:
            hidden = [o for o in group if o.score(m).suppressed
                      and answered.get((o.org, wave, m), 0) > 0]
            shown = [o for o in group if not o.score(m).suppressed]
            if len(hidden) == 1 and shown:
                pick = min(shown, key=lambda o: (o.score(m).n, o.org))
                guard.add((pick.org, wave, m))
    if not guard:
        return orgs
    return [replace(o, scores=tuple((m, GUARDED if (o.org, o.wave, m) in guard else sc)
                                    for m, sc in o.scores)) for o in orgs]


def _nps_score(n: int, prom: int, det: int, rules, conf: float) -> Score:
    status = disclosure.classify(n, rules)
    if status == disclosure.SUPPRESSED:
        return WITHHELD
    score, lo, hi = nps_ci(prom, det, n, n, conf)
    pp, pd = prom / n, det / n
    se = 100 * math.sqrt(max(0.0, pp + pd - (pp - pd) ** 2) / n)
    return Score(n, score, lo, hi, se, False, status == disclosure.LOW)


def _baselines(orgs: list[OrgWave], waves, sectors, measures, b: Benchmark) -> list[Baseline]:
    out: list[Baseline] = []
    for wave in waves:
        for m in measures:
            rows = [(o, o.score(m)) for o in orgs if o.wave == wave]
            contrib = [(o, s) for o, s in rows if not s.suppressed]
            made = {}
            for scope in (NATIONAL, *sectors):
                part = [(o, s) for o, s in contrib if scope == NATIONAL or o.sector == scope]
                made[scope] = _baseline(scope, wave, m, part, b)
            # The national mean and base are the total of the sectors': withhold one more
            # sector's mean and base when exactly one sector is suppressed.
            extra = disclosure.secondary([(s, made[s].n if not made[s].suppressed else None,
                                           made[s].suppressed) for s in sectors])
            for s in extra:
                made[s] = replace(made[s], mean=None, n=None, k=None, se=None, ci_low=None,
                                  ci_high=None, secondary=True)
            out += [made[s] for s in (NATIONAL, *sectors)]
    return out


def _baseline(scope: str, wave: str, m: str, part: list[tuple[OrgWave, Score]],
              b: Benchmark) -> Baseline:
    k = len(part)
    if k < b.min_organisations:
        return Baseline(scope, wave, m, None, None, None, None, None, None, True,
                        f"fewer than {b.min_organisations} organisations")
    n = sum(s.n for _, s in part)
    if max(s.n for _, s in part) / n > b.max_share:
        return Baseline(scope, wave, m, None, None, None, None, None, None, True,
                        f"one organisation has more than {setting(b.max_share)} of the respondents")
    size = [s.weight if s.weight is not None else s.n for _, s in part]
    total = sum(size)
    mean = sum(s.mean * w for (_, s), w in zip(part, size, strict=True)) / total
    se, lo, hi = cluster_ci(part, mean, total)
    scores = sorted(s.mean for _, s in part)
    q1, med, q3 = quartiles(scores)
    if any(abs(q - v) <= 1e-9 * max(1.0, abs(v)) for q in (q1, med, q3) for v in scores):
        # Tied or symmetric scores can put a quartile exactly on one (and when every score
        # is the same, the mean shows it too): the baseline is withheld.
        return Baseline(scope, wave, m, None, None, None, None, None, None, True,
                        "a quartile would equal an organisation's score")
    return Baseline(scope, wave, m, k, n, mean, med, q1, q3, False, se=se, ci_low=lo,
                    ci_high=hi)


def cluster_ci(part: list[tuple[OrgWave, Score]], mean: float, n: float,
               confidence: float = 0.95) -> tuple[float, float, float]:
    """The design-based interval of a respondent mean pooled over organisations, with the
    respondents clustered in their organisation (R's survey package: ``svydesign(ids = ~org)``,
    ``svymean``, ``confint(df = degf)``). Taylor linearisation of the ratio mean: var =
    k / (k - 1) · Σ (n_i (m_i - mean))² / n², t on k - 1 degrees of freedom. ``n`` is Σ n_i
    (weighted: Σ w)."""
    k = len(part)
    if k < 2:
        return math.nan, math.nan, math.nan
    var = k / (k - 1) * sum(((s.weight if s.weight is not None else s.n) * (s.mean - mean))
                            ** 2 for _, s in part) / n ** 2
    se = math.sqrt(var)
    half = t_quantile(0.5 + confidence / 2, k - 1) * se
    return se, float(mean - half), float(mean + half)


def _positions(orgs: list[OrgWave], baselines: list[Baseline], measures, conf: float
               ) -> list[Position]:
    base = {(x.scope, x.wave, x.measure): x for x in baselines}
    by = defaultdict(list)
    for o in orgs:
        for m in measures:
            s = o.score(m)
            if not s.suppressed:
                by[(o.wave, m, NATIONAL)].append((o, s))
                by[(o.wave, m, o.sector)].append((o, s))
    ranked = {key: sorted(x.mean for _, x in part) for key, part in by.items()}
    out = []
    for o in orgs:
        for m in measures:
            s = o.score(m)
            if s.suppressed:
                continue
            sector = by[(o.wave, m, o.sector)]
            sb = base.get((o.sector, o.wave, m))
            verdict, p = None, None
            if sb is not None and not sb.suppressed:
                verdict, p = _versus_rest(o, s, sector, conf)
            out.append(Position(
                o.org, o.wave, m,
                _rank(s.mean, ranked[(o.wave, m, o.sector)])
                if sb is not None and not sb.suppressed else None,
                _rank(s.mean, ranked[(o.wave, m, NATIONAL)]), verdict, p))
    return out


def _rank(value: float, ordered: list[float]) -> float:
    from bisect import bisect_left, bisect_right

    below = bisect_left(ordered, value)
    return 100 * (below + 0.5 * (bisect_right(ordered, value) - below)) / len(ordered)


def _versus_rest(o: OrgWave, s: Score, sector: list[tuple[OrgWave, Score]], conf: float
                 ) -> tuple[str, float]:
    """The organisation against the pooled respondents of the other organisations of its
    sector: z = (m - m_rest) / sqrt(se² + se_rest²), two-sided."""
    if s.weight is not None:
        # Weighted: the rest's weighted mean, with the variance of a weighted combination of
        # independent organisations' means, Σ W_i² se_i² / (Σ W_i)².
        rest_w = [(x.weight, x.mean, x.se) for y, x in sector if y.org != o.org]
        wsum = sum(r[0] for r in rest_w)
        mean = sum(r[0] * r[1] for r in rest_w) / wsum
        se_rest = math.sqrt(sum((r[0] * r[2]) ** 2 for r in rest_w)) / wsum
        return _verdict(s, mean, se_rest, conf)
    rest = [(x.n, x.mean, x.se) for y, x in sector if y.org != o.org]
    n = sum(r[0] for r in rest)
    mean = sum(r[0] * r[1] for r in rest) / n
    # Σy² of each organisation from its mean and standard error: (n-1)·n·se² + n·mean².
    ss = sum((r[0] - 1) * r[0] * r[2] ** 2 + r[0] * r[1] ** 2 for r in rest)
    var = max(0.0, (ss - n * mean * mean) / (n - 1))
    se_rest = math.sqrt(var / n)
    return _verdict(s, mean, se_rest, conf)


def _verdict(s: Score, mean: float, se_rest: float, conf: float) -> tuple[str, float]:
    se = math.sqrt(s.se ** 2 + se_rest ** 2)
    if se == 0:
        # No spread on either side (every customer gave the same answers): the difference is
        # exact, and either zero or certain.
        if s.mean == mean:
            return "not significantly different", 1.0
        return ("above" if s.mean > mean else "below"), 0.0
    z = (s.mean - mean) / se
    p = 2 * NormalDist().cdf(-abs(z))
    if p >= 1 - conf:
        return "not significantly different", p
    return ("above" if z > 0 else "below"), p


def org_change(o1: OrgWave, o2: OrgWave, b: Benchmark, z: float | None = None
               ) -> Change | None:
    """An organisation's index from one wave to another: the difference, its normal interval
    on the two waves' standard errors, a two-sided z test, and the direction against
    ``change_threshold``. None when either wave's index is withheld."""
    z = z_value() if z is None else z
    s1, s2 = o1.score(INDEX), o2.score(INDEX)
    if s1.suppressed or s2.suppressed:
        return None
    d = s2.mean - s1.mean
    se = math.sqrt(s1.se ** 2 + s2.se ** 2)
    p = 2 * NormalDist().cdf(-abs(d / se)) if se > 0 else 1.0
    direction = ("up" if d >= b.change_threshold else
                 "down" if d < -b.change_threshold else "unchanged")
    return Change(o1.org, o1.sector, o1.wave, o2.wave, d, d - z * se, d + z * se, p, direction)


def _changes(orgs: list[OrgWave], waves, sectors, b: Benchmark
             ) -> tuple[list[Change], list[ChangeCount]]:
    by = {(o.org, o.wave): o for o in orgs}
    pairs = list(pairwise(waves))
    if b.headline_change and b.headline_change not in pairs:
        pairs.append(b.headline_change)
    changes, counts = [], []
    z = z_value()
    for w1, w2 in pairs:
        made = []
        for (org, wave), o1 in sorted(by.items()):
            if wave != w1 or (org, w2) not in by:
                continue
            c = org_change(o1, by[(org, w2)], b, z)
            if c is not None:
                made.append(c)
        changes += made
        rows = {}
        for scope in (NATIONAL, *sectors):
            part = [c for c in made if scope == NATIONAL or c.sector == scope]
            if len(part) < b.min_organisations:
                rows[scope] = ChangeCount(scope, w1, w2, None, None, None, None, True)
            else:
                rows[scope] = ChangeCount(scope, w1, w2, sum(c.direction == "up" for c in part),
                                          sum(c.direction == "down" for c in part),
                                          sum(c.direction == "unchanged" for c in part),
                                          len(part), False)
        extra = disclosure.secondary([(s, rows[s].total, rows[s].suppressed) for s in sectors])
        for s in extra:
            rows[s] = ChangeCount(s, w1, w2, None, None, None, None, True, True)
        counts += [rows[s] for s in (NATIONAL, *sectors)]
    return changes, counts


def open_sectors(rels: tuple[Relationship, ...], baselines) -> tuple[Relationship, ...]:
    """The per-sector correlations of sectors whose count of organisations is still published
    in the waves compared (each row gives it)."""
    shut = {x.scope for x in baselines if x.measure == INDEX and x.k is None}
    return tuple(replace(r, by_sector=tuple(x for x in r.by_sector if x[0] not in shut))
                 for r in rels)


def change_pairs(res: BenchmarkResult) -> list[tuple[str, str]]:
    """Every pair of waves a change is reported for: each wave on the one before, a year on
    (the latest on ``year_ago``) and the study's headline pair."""
    pairs = list(pairwise(res.waves))
    for extra in ((res.year_ago, res.latest), res.spec.headline_change):
        if extra and extra[0] and extra not in pairs:
            pairs.append(tuple(extra))
    return pairs


def welch(d: float, se1: float, df1: float, se2: float, df2: float, conf: float = 0.95
          ) -> tuple[float, float, float, float]:
    """Difference of two independent estimates: t with Welch-Satterthwaite degrees of freedom,
    df = (v1 + v2)² / (v1²/df1 + v2²/df2). Returns (ci_low, ci_high, df, p)."""
    v1, v2 = se1 ** 2, se2 ** 2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return d, d, math.inf, (1.0 if d == 0 else 0.0)
    df = (v1 + v2) ** 2 / (v1 ** 2 / df1 + v2 ** 2 / df2)
    half = t_ppf(0.5 + conf / 2, df) * se
    return float(d - half), float(d + half), df, float(2 * t_sf(abs(d / se), df))


def _index_changes(res: BenchmarkResult, conf: float) -> list[IndexChange]:
    """Changes of the national and sector mean of every measure between the waves of
    ``change_pairs``, where both means are published. Waves are independent samples of
    customers; the same organisations recur, which makes this test conservative. Sector
    changes are adjusted for multiple comparisons (Benjamini-Hochberg across the sectors of
    one pair and measure); the national change is one comparison and is not adjusted."""
    from .stats.proportions import benjamini_hochberg

    out: list[IndexChange] = []
    for w1, w2 in change_pairs(res):
        for m, _ in res.measures:
            made = []
            for scope in (NATIONAL, *res.sectors):
                a, b = res.baseline(scope, w1, m), res.baseline(scope, w2, m)
                if a is None or b is None or a.mean is None or b.mean is None \
                        or a.se is None or b.se is None or math.isnan(a.se + b.se):
                    continue
                d = b.mean - a.mean
                lo, hi, df, p = welch(d, a.se, a.k - 1, b.se, b.k - 1, conf)
                made.append(IndexChange(scope, m, w1, w2, d, lo, hi, df, p, p))
            sectors = [c for c in made if c.scope != NATIONAL]
            adj = benjamini_hochberg([c.p_value for c in sectors]) if sectors else []
            for c in made:
                if c.scope != NATIONAL:
                    c = replace(c, p_adjusted=adj[sectors.index(c)])
                out.append(c)
    return out


def _relationships(study: Study, con: duckdb.DuckDBPyConnection, orgs: list[OrgWave], waves,
                   conf: float, baselines: list[Baseline] = ()) -> list[Relationship]:
    b = study.benchmark
    assert b is not None
    if not b.metrics_source or not b.metrics:
        return []
    cols = ", ".join(quote_ident(m) for m in b.metrics)
    rows = con.execute(
        f"SELECT {quote_ident(b.organisation)}, CAST({quote_ident(b.wave)} AS VARCHAR), {cols} "
        f"FROM {quote_ident(b.metrics_source)} ORDER BY 1, 2").fetchall()
    metric = {(r[0], r[1]): dict(zip(b.metrics, r[2:], strict=True)) for r in rows}
    index = {(o.org, o.wave): o.score(INDEX).mean for o in orgs if not o.score(INDEX).suppressed}
    latest = waves[-1]
    first = (b.headline_change or (waves[0], waves[-1]))[0]
    out = []
    for m in b.metrics:
        pts = sorted((org, index[(org, w)], vals[m]) for (org, w), vals in metric.items()
                     if w == latest and (org, w) in index and vals[m] is not None)
        if len(pts) < max(4, b.min_organisations):
            continue
        xs, ys = [p[1] for p in pts], [p[2] for p in pts]
        r, p = pearson(xs, ys)
        if math.isnan(r):
            continue  # every organisation has the same index or metric: nothing to relate
        lo, hi = fisher_z_ci(r, len(pts), conf)
        moved = [(org, index[(org, latest)] - index[(org, first)],
                  metric[(org, latest)][m] - metric[(org, first)][m])
                 for org, _, _ in pts if (org, first) in index and (org, first) in metric
                 and metric[(org, first)][m] is not None]
        deltas = [(di, dm) for _, di, dm in moved]
        cr, cci = None, None
        if len(deltas) > 3:
            cr, _ = pearson([d[0] for d in deltas], [d[1] for d in deltas])
            cci = fisher_z_ci(cr, len(deltas), conf)
            if math.isnan(cr):
                cr, cci = None, None
        sector_of = {o.org: o.sector for o in orgs}
        per = []
        # A sector whose count of organisations is withheld in any wave is left out: each row
        # gives the number of organisations compared.
        shut = {x.scope for x in baselines if x.measure == INDEX and x.k is None}
        for sector in dict.fromkeys(o.sector for o in orgs):
            if sector == NOT_STATED or sector in shut:
                continue
            ds = [(di, dm) for org, di, dm in moved if sector_of.get(org) == sector]
            # As many organisations as a baseline needs, and more than Fisher's z needs.
            if len(ds) < max(5, b.min_organisations):
                continue
            sr, _ = pearson([d[0] for d in ds], [d[1] for d in ds])
            if math.isnan(sr):
                continue
            slo, shi = fisher_z_ci(sr, len(ds), conf)
            per.append((sector, len(ds), sr, slo, shi))
        out.append(Relationship(m, study.question(m).short, latest, len(pts), r, lo, hi, p,
                                _bins(pts, b.min_organisations), cr, cci, len(deltas),
                                tuple(pts), tuple(sorted(per))))
    return out


def _bins(pts: list[tuple[str, float, float]], min_orgs: int) -> tuple[Bin, ...]:
    """Organisations in order of index, in ten bins of at least ``min_orgs``: the mean index and
    mean metric of each bin, so the public chart shows the relationship without any one
    organisation's figures."""
    ordered = sorted(pts, key=lambda p: (p[1], p[0]))
    nbins = max(1, min(10, len(ordered) // max(1, min_orgs)))
    size = len(ordered) / nbins
    out = []
    for k in range(nbins):
        part = ordered[round(k * size):round((k + 1) * size)]
        out.append(Bin(sum(p[1] for p in part) / len(part), sum(p[2] for p in part) / len(part),
                       len(part)))
    return tuple(out)
