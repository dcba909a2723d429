"""Design-based estimation that agrees with R's survey package.

Means, proportions and totals with Taylor-linearised standard errors (R's ``svyrecvar``): the
influence values are summed to primary sampling units (PSUs), centred within strata, scaled by
(1 - f_h) n_h / (n_h - 1), and, when a finite population correction is given for the second
stage too, the second stage adds its own term times the first-stage sampling fraction.

Everything is computed from SQL aggregates: per stratum (and per PSU for a second stage), the
sums T_w = Σ w·d and T_wy = Σ w·d·y of each PSU, and the sums of their squares and cross
products. Python then works on a few numbers per stratum; it never sees a respondent row.
Domains (subgroups) keep the whole design: a PSU without members of the domain counts as a zero,
as R does, rather than being dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from .errors import RocsError
from .ingest import quote_ident
from .stats.tdist import t_ppf

LONELY = ("fail", "certainty", "remove", "adjust", "average")


@dataclass(frozen=True)
class Design:
    table: str
    weight: str | None = None
    strata: str | None = None
    clusters: tuple[str, ...] = ()
    fpc: tuple[str, ...] = ()  # population sizes (or sampling fractions) per stage
    lonely_psu: str = "fail"


@dataclass(frozen=True)
class DesignEstimate:
    estimate: float
    se: float
    df: int  # design degrees of freedom: PSUs minus strata, counting those in the domain
    n: int  # unweighted base
    total_weight: float

    def logit_ci(self, confidence: float = 0.95) -> tuple[float, float]:
        """R's svyciprop(method = "logit"): a Wald interval for logit(p) on the design's degrees
        of freedom, transformed back."""
        p = self.estimate
        if p <= 0 or p >= 1 or self.se == 0:
            return p, p
        half = t_ppf(0.5 + confidence / 2, self.df) * self.se / (p * (1 - p))
        lo, hi = math.log(p / (1 - p)) - half, math.log(p / (1 - p)) + half
        return 1 / (1 + math.exp(-lo)), 1 / (1 + math.exp(-hi))

    def t_ci(self, confidence: float = 0.95) -> tuple[float, float]:
        half = t_ppf(0.5 + confidence / 2, self.df) * self.se
        return self.estimate - half, self.estimate + half


def _cols(d: Design) -> tuple[str, str, str | None]:
    st = f"CAST({quote_ident(d.strata)} AS VARCHAR)" if d.strata else "'all'"
    psu = f"CAST({quote_ident(d.clusters[0])} AS VARCHAR)" if d.clusters else None
    ssu = (f"CAST({quote_ident(d.clusters[1])} AS VARCHAR)"
           if len(d.clusters) > 1 and len(d.fpc) > 1 else None)
    return st, psu, ssu


def strata_sizes(con: duckdb.DuckDBPyConnection, d: Design
                 ) -> dict[str, tuple[int, float | None]]:
    """Per stratum, over the whole sample: the number of PSUs and the first-stage fpc."""
    st, psu, _ = _cols(d)
    fpc1 = f"min(CAST({quote_ident(d.fpc[0])} AS DOUBLE))" if d.fpc else "NULL"
    return {r[0]: (r[1], r[2]) for r in con.execute(
        f"SELECT {st} AS st, {_npsu(psu)}, {fpc1} FROM {quote_ident(d.table)} GROUP BY st "
        "ORDER BY st").fetchall()}


class WeightError(ValueError):
    """Weights cannot be derived from the fpcs as given."""


def derive_weights(con: duckdb.DuckDBPyConnection, d: Design, column: str) -> None:
    """Add ``column`` to the design's table: the weights R's ``svydesign`` derives from the
    fpcs when it is given neither weights nor probabilities. Each stage's sampling fraction is
    n / N (n the units sampled in the stratum, or in the PSU at the second stage; N the fpc
    when it is a population size, above 1, else n / fpc when it is a fraction), and the
    weight is one over their product. The fpc must be the same within each stratum (each PSU
    at the second stage), and a population no smaller than its sample, as R requires."""
    t = quote_ident(d.table)
    st = f"CAST({quote_ident(d.strata)} AS VARCHAR)" if d.strata else "'all'"
    psu = f"CAST({quote_ident(d.clusters[0])} AS VARCHAR)" if d.clusters else None
    f1 = f"CAST({quote_ident(d.fpc[0])} AS DOUBLE)"
    stages = [(f"SELECT {st} AS _st, {_npsu(psu)} AS n, min({f1}) AS lo, max({f1}) AS hi "
               f"FROM {t} GROUP BY 1", ["_st"], d.fpc[0], "stratum")]
    two = len(d.clusters) > 1 and len(d.fpc) > 1
    if two:
        ssu = f"CAST({quote_ident(d.clusters[1])} AS VARCHAR)"
        f2 = f"CAST({quote_ident(d.fpc[1])} AS DOUBLE)"
        stages.append((f"SELECT {st} AS _st, {psu} AS _psu, count(DISTINCT {ssu}) AS n, "
                       f"min({f2}) AS lo, max({f2}) AS hi FROM {t} GROUP BY 1, 2",
                       ["_st", "_psu"], d.fpc[1], "PSU"))
    for sql, _keys, col, unit in stages:
        for row in con.execute(f"SELECT * FROM ({sql}) ORDER BY ALL").fetchall():
            *key, n, lo, hi = row
            where = f"{unit} {'/'.join(str(k) for k in key)}"
            if lo is None or lo <= 0:
                raise WeightError(f"{col}: {where} has an fpc of {lo!r}; expected a population "
                                  "size (above 1) or a sampling fraction (0 to 1)")
            if lo != hi:
                raise WeightError(f"{col}: the fpc varies within {where} ({lo:g} to {hi:g}); "
                                  f"it must be one value per {unit}")
            if lo > 1 and lo < n:
                raise WeightError(f"{col}: {where} samples {n} units from a population of "
                                  f"{lo:g}")
    frac = "CASE WHEN lo <= 1 THEN lo ELSE n / lo END"
    s1 = f"SELECT _st, {frac} AS p1 FROM ({stages[0][0]})"
    con.execute(f"ALTER TABLE {t} ADD COLUMN {quote_ident(column)} DOUBLE")
    if two:
        s2 = f"SELECT _st, _psu, {frac} AS p2 FROM ({stages[1][0]})"
        con.execute(f"UPDATE {t} SET {quote_ident(column)} = 1.0 / (x.p1 * x.p2) FROM "
                    f"(SELECT a._st, b._psu, a.p1, b.p2 FROM ({s1}) a JOIN ({s2}) b "
                    f"ON a._st = b._st) x WHERE {st} = x._st AND {psu} = x._psu")
    else:
        con.execute(f"UPDATE {t} SET {quote_ident(column)} = 1.0 / x.p1 FROM ({s1}) x "
                    f"WHERE {st} = x._st")


def _weight(d: Design) -> str:
    return f"CAST({quote_ident(d.weight)} AS DOUBLE)" if d.weight else "1.0::DOUBLE"


def _npsu(psu: str | None) -> str:
    """SQL for the number of PSUs in a group: each row is one when there are no clusters."""
    return f"count(DISTINCT {psu})" if psu else "count(*)"


def _fraction(n: int, fpc: float | None) -> float:
    """(1 - f) as R computes it: fpc above 1 is a population size, at most 1 a fraction."""
    if fpc is None:
        return 1.0
    big_n = n / fpc if fpc <= 1 else fpc
    return (big_n - n) / big_n


def estimate(con: duckdb.DuckDBPyConnection, d: Design, y: str, domain: str = "TRUE",
             kind: str = "mean", params: list[object] | None = None) -> DesignEstimate:
    """A mean (or proportion, for y in 0/1) or total of the SQL expression ``y`` over the rows
    where ``domain`` holds, under design ``d``. ``params`` bind the ``?`` in ``domain``."""
    if kind not in ("mean", "total"):
        raise ValueError(f"unknown kind {kind!r} (expected one of: mean, total)")
    if d.lonely_psu not in LONELY:
        raise ValueError(f"unknown lonely_psu {d.lonely_psu!r} (expected one of: "
                         f"{', '.join(LONELY)})")
    st, psu, ssu = _cols(d)
    w = _weight(d)
    t = quote_ident(d.table)
    p = list(params or [])
    unit = psu or "CAST(rowid AS VARCHAR)"
    nh = strata_sizes(con, d)
    inner = (f"SELECT {st} AS st, {unit} AS psu, {w} AS w, CAST(({y}) AS DOUBLE) AS y "
             f"FROM {t} WHERE ({domain}) AND ({y}) IS NOT NULL")
    level1 = (f"SELECT st, psu, sum(w) AS tw, sum(w * y) AS twy, count(*) AS n FROM ({inner}) "
              "GROUP BY st, psu") if psu else (
        f"SELECT st, psu, w AS tw, w * y AS twy, 1 AS n FROM ({inner})")
    rows = con.execute(
        f"SELECT st, count(*), sum(tw), sum(twy), sum(tw * tw), sum(tw * twy), sum(twy * twy), "
        f"sum(n) FROM ({level1}) GROUP BY st ORDER BY st", p).fetchall()
    if not rows:
        raise RocsError("no respondents in this domain")
    big_a = sum(r[2] for r in rows)
    big_b = sum(r[3] for r in rows)
    r_hat = big_b / big_a if kind == "mean" else 0.0
    scale = big_a if kind == "mean" else 1.0

    var = stratum_variance(rows, nh, d.lonely_psu, r_hat, scale, kind)
    if ssu is not None:
        var += _second_stage(con, d, st, psu, ssu, w, y, domain, p, nh, r_hat, scale, kind)
    n = sum(r[7] for r in rows)
    psus = sum(r[1] for r in rows)
    df = (psus if psu else n) - len(rows)
    est = r_hat if kind == "mean" else big_b
    return DesignEstimate(est, math.sqrt(max(var, 0.0)), df, n, big_a)


def _moments(row: tuple, r_hat: float, scale: float, kind: str) -> tuple[float, float]:
    """Σz and Σz² of a stratum's PSU influence values, from its sums (n, A, B, Sww, Swy, Syy)."""
    a, b, sww, swy, syy = row[1:6]
    if kind == "mean":
        return ((b - r_hat * a) / scale,
                (syy - 2 * r_hat * swy + r_hat * r_hat * sww) / (scale * scale))
    return b, syy


def stratum_variance(rows: list[tuple], nh: dict[str, tuple[int, float | None]], lonely: str,
                     r_hat: float, scale: float, kind: str,
                     cross: dict[str, float] | None = None) -> float:
    """The first-stage variance from per-stratum sums. ``rows``: (stratum, PSUs present, A, B,
    Sww, Swy, Syy, ...). Strata in ``nh`` without domain members contribute their zeros."""
    present = {r[0]: r for r in rows}
    var, lonely_na = 0.0, 0
    for stratum, (n_h, fpc) in sorted(nh.items()):
        f = _fraction(n_h, fpc)
        r = present.get(stratum)
        sz, szz = _moments(r[1:], r_hat, scale, kind) if r else (0.0, 0.0)
        if n_h > 1:
            var += f * n_h / (n_h - 1) * (szz - sz * sz / n_h)
        elif lonely == "fail":
            raise RocsError(f"stratum {stratum!r} has only one PSU (design.lonely_psu is 'fail';"
                            " choose certainty, remove, adjust or average)")
        elif lonely == "adjust":
            var += f * szz  # centred at zero, the grand mean of the influence values
        elif lonely == "average":
            lonely_na += 1
    if lonely_na:
        var *= len(nh) / (len(nh) - lonely_na)
    return var


def _second_stage(con, d: Design, st, psu, ssu, w, y, domain, p, nh, r_hat, scale, kind
                  ) -> float:
    """Σ over PSUs of (n_h / N_h) × the PSU's own stage-2 variance of SSU totals."""
    t = quote_ident(d.table)
    fpc2 = f"min(CAST({quote_ident(d.fpc[1])} AS DOUBLE))"
    m_rows = con.execute(f"SELECT {st}, {psu}, count(DISTINCT {ssu}), {fpc2} FROM {t} "
                         "GROUP BY ALL ORDER BY ALL").fetchall()
    inner = (f"SELECT {st} AS st, {psu} AS psu, {ssu} AS ssu, {w} AS w, "
             f"CAST(({y}) AS DOUBLE) AS y FROM {t} WHERE ({domain}) AND ({y}) IS NOT NULL")
    rows = con.execute(
        f"SELECT st, psu, sum(tw), sum(twy), sum(tw * tw), sum(tw * twy), sum(twy * twy) FROM "
        f"(SELECT st, psu, ssu, sum(w) AS tw, sum(w * y) AS twy FROM ({inner}) GROUP BY ALL) "
        "GROUP BY st, psu", p).fetchall()
    present = {(r[0], r[1]): r for r in rows}
    var = 0.0
    for stratum, unit, m, fpc in m_rows:
        n_h, big_n = nh[stratum]
        if big_n is None or m < 2:
            continue
        stage1 = n_h / big_n if big_n > 1 else big_n
        r = present.get((stratum, unit))
        if r is None:
            continue
        a, b, sww, swy, syy = r[2:7]
        if kind == "mean":
            sz = (b - r_hat * a) / scale
            szz = (syy - 2 * r_hat * swy + r_hat * r_hat * sww) / (scale * scale)
        else:
            sz, szz = b, syy
        var += stage1 * _fraction(m, fpc) * m / (m - 1) * (szz - sz * sz / m)
    return var


def weighted_quantile(con: duckdb.DuckDBPyConnection, d: Design, y: str, probs: list[float],
                      domain: str = "TRUE", params: list[object] | None = None) -> list[float]:
    """R's svyquantile default rule (``qrule = "math"``), to the last bit: with the values in
    order (ties in their row order) and zero weights left out, the cumulative weights and
    their total are summed in extended precision and rounded to double, as R's ``cumsum``
    and ``sum`` do; the quantile is the last value whose cumulative weight is at most p times
    the total when it meets it exactly, and the next value otherwise (R's ``qs``). With values
    1 to 10 each weighted 0.7 this gives R's 2, 3, 4, 5, 5, 7 at p = .1 to .6."""
    return Sorted.of(con, d, y, domain, params).quantiles(probs)


@dataclass(frozen=True)
class Sorted:
    """A domain's values in order (ties in row order) with their cumulative weights, summed
    in extended precision and rounded to double as R's ``cumsum`` and ``sum`` are."""

    xs: object  # numpy float64 array
    cumw: object
    total: float

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, d: Design, y: str, domain: str = "TRUE",
           params: list[object] | None = None) -> Sorted:
        import numpy as np

        w = _weight(d)
        got = con.execute(
            f"SELECT CAST(({y}) AS DOUBLE) AS y, {w} AS w FROM {quote_ident(d.table)} "
            f"WHERE ({domain}) AND ({y}) IS NOT NULL AND {w} <> 0 ORDER BY 1, rowid",
            list(params or [])).fetchnumpy()
        xs = np.asarray(got["y"], dtype=np.float64)
        cum_ld = np.cumsum(np.asarray(got["w"], dtype=np.longdouble))
        return cls(xs, cum_ld.astype(np.float64),
                   float(np.float64(cum_ld[-1])) if len(xs) else 0.0)

    def quantiles(self, probs: list[float]) -> list[float]:
        import numpy as np

        xs, cumw, total = self.xs, self.cumw, np.float64(self.total)
        if not len(xs):
            return [float("nan")] * len(probs)
        out = []
        for p in probs:
            if not math.isfinite(p):
                out.append(float("nan"))
                continue
            # R's qs(): the last position whose cumulative weight is at most p × total, or the
            # first when there is none (R's last() gives 1); then, unless p falls exactly on
            # it, the next value. So below the first value's share R gives the second value.
            pos = max(int(np.searchsorted(cumw, np.float64(p) * total, side="right")) - 1, 0)
            exact = np.float64(p) - cumw[pos] / total == 0
            out.append(float(xs[pos] if exact else xs[min(pos + 1, len(xs) - 1)]))
        return out


def woodruff(sorted_values: Sorted, cdf: DesignEstimate, confidence: float = 0.95
             ) -> tuple[float, float, float]:
    """R's svyquantile interval (``interval.type = "mean"``, Woodruff 1952): a t interval,
    on the design's degrees of freedom, for the estimated share at or below the quantile,
    mapped back through the quantile rule; an end outside 0 to 1 is not available (NaN), as
    in R. Returns (low, high, se), se being the interval's width over 2 t."""
    tq = t_ppf(0.5 + confidence / 2, cdf.df)
    lo, hi = cdf.estimate - tq * cdf.se, cdf.estimate + tq * cdf.se
    low, high = sorted_values.quantiles([lo if lo >= 0 else math.nan,
                                         hi if hi <= 1 else math.nan])
    return low, high, (high - low) / (2 * tq)


def rake(con: duckdb.DuckDBPyConnection, d: Design, margins: dict[str, dict[str, float]],
         epsilon: float = 1.0, maxit: int = 10) -> dict[tuple[str, ...], float]:
    """Per cell of the margins' cross-classification, the factor of its weights after raking
    (see ``rake_passes``)."""
    return rake_passes(con, d, margins, epsilon, maxit)[0]


def rake_passes(con: duckdb.DuckDBPyConnection, d: Design, margins: dict[str, dict[str, float]],
                epsilon: float = 1.0, maxit: int = 10
                ) -> tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], tuple[float, ...]],
                           dict[tuple[str, ...], int]]:
    """Iterative proportional fitting of the weights to population margins (R's rake()).

    Works on the cells of the cross-classification of the margin variables: returns, per cell,
    the factor by which every weight in that cell is multiplied. R's stopping rule, with R's
    defaults: after each pass over the margins, stop when no cell total has moved by
    ``epsilon`` or more (``epsilon`` below 1 is a fraction of the total weight, as R reads
    it), at most ``maxit`` passes. Where R then warns and carries on, this fails naming the
    margin, as it does when a margin category has no respondents.

    Returns the final factors; per cell, the factor after each margin of the last pass (the
    weights R's postStratify keeps for the variance, in margin order); and per cell its
    number of rows.
    """
    names = list(margins)
    w = _weight(d)
    keys = ", ".join(f"CAST({quote_ident(m)} AS VARCHAR)" for m in names)
    got = con.execute(f"SELECT {keys}, sum({w}), count(*) FROM {quote_ident(d.table)} "
                      "GROUP BY ALL ORDER BY ALL").fetchall()
    cells = {tuple(r[:-2]): r[-2] for r in got}
    counts = {tuple(r[:-2]): r[-1] for r in got}
    for k, m in enumerate(names):
        seen = {c[k] for c in cells}
        for cat in margins[m]:
            if cat not in seen:
                raise RocsError(f"rake: margin {m!r} category {cat!r} has no respondents")
        extra = sorted(str(c) for c in seen - set(margins[m]))
        if extra:
            raise RocsError(f"rake: margin {m!r} has no population figure for "
                            f"{', '.join(extra)}")
    current = dict(cells)
    eps = epsilon * sum(cells.values()) if epsilon < 1 else epsilon
    for _ in range(maxit):
        before = dict(current)
        steps = []
        for k, m in enumerate(names):
            sums: dict[str, float] = {}
            for c, v in current.items():
                sums[c[k]] = sums.get(c[k], 0.0) + v
            current = {c: v * margins[m][c[k]] / sums[c[k]] for c, v in current.items()}
            steps.append(current)
        if max(abs(current[c] - before[c]) for c in current) < eps:
            return ({c: current[c] / cells[c] for c in cells},
                    {c: tuple(st[c] / cells[c] for st in steps) for c in cells}, counts)
    worst = max(names, key=lambda m: _margin_gap(current, names.index(m), margins[m]))
    raise RocsError(f"rake: no convergence after {maxit} passes (margin {worst!r} is furthest "
                    "from its population figures): raise rake.maxit, or rake.epsilon")


@dataclass(frozen=True)
class Calibration:
    """What R's ``svyrecvar`` needs to allow for raking in a variance: the margins' columns,
    per cell of their cross-classification its rows and the weight factor after each margin
    of the last raking pass, and the weight before raking (None: 1)."""

    columns: tuple[str, ...]
    factors: dict[tuple[str, ...], tuple[float, ...]]
    counts: dict[tuple[str, ...], int]
    base_weight: str | None

    @property
    def key_sql(self) -> str:
        return "concat_ws(chr(31), " + ", ".join(
            f"CAST({quote_ident(c)} AS VARCHAR)" for c in self.columns) + ")"

    def h_case(self, h: dict[tuple[str, ...], float]) -> str:
        """SQL for h(cell) of each row, the values written in full (repr round-trips)."""
        whens = " ".join("WHEN '" + chr(31).join(c).replace("'", "''") + f"' THEN {float(v)!r}"
                         for c, v in sorted(h.items()))
        return f"(CASE {self.key_sql} {whens} ELSE 0.0 END)"


def calibration(con: duckdb.DuckDBPyConnection, d: Design, margins: dict[str, dict[str, float]],
                epsilon: float, maxit: int) -> Calibration:
    """The raking of ``d``'s weights (the weights before raking) redone on its cells: the same
    sums give the same factors as at load time."""
    _, steps, counts = rake_passes(con, d, margins, epsilon, maxit)
    return Calibration(tuple(margins), steps, counts, d.weight)


@dataclass(frozen=True)
class Component:
    """A term of a linearised estimator: ``coef`` × d (y − centre) / scale for the rows of
    ``domain`` with y answered (a mean: centre its estimate, scale its total weight; a total:
    centre 0, scale 1). ``y`` holds no parameters; ``params`` bind ``domain``."""

    y: str
    domain: str
    params: tuple[object, ...]
    centre: float
    scale: float
    coef: float = 1.0

    def sql(self) -> str:
        return (f"({self.coef!r} * CASE WHEN ({self.domain}) AND ({self.y}) IS NOT NULL THEN "
                f"(CAST(({self.y}) AS DOUBLE) - {self.centre!r}) / {self.scale!r} ELSE 0 END)")


def calibrated_se(con: duckdb.DuckDBPyConnection, d: Design, cal: Calibration,
                  estimators: list[list[Component]]) -> list[float]:
    """Standard errors that allow for raking, as R's ``svyrecvar`` computes them for a design
    returned by ``rake()``: each row's influence x = w·e is, ten times over, for each margin
    in turn, reduced by psw × (the unweighted mean of x / psw in the row's margin category),
    psw being the weights after that margin in the last raking pass. Every psw is the weight
    before raking times a factor of the row's cell of the margins' cross-classification, so
    x_i = w_i e_i − w0_i h(cell), and h is found on the cells from per-cell sums. The
    variance is then the design's variance of the total of u = e − (w0 / w) h.

    ``d`` is the design with the raked weights; each estimator is a sum of components.
    """
    if not estimators:
        return []
    t = quote_ident(d.table)
    w = _weight(d)
    w0 = f"CAST({quote_ident(cal.base_weight)} AS DOUBLE)" if cal.base_weight else "1.0"
    key = cal.key_sql
    cells = sorted(cal.factors)
    index = {chr(31).join(c): i for i, c in enumerate(cells)}
    n_cells = [cal.counts[c] for c in cells]
    # Per cell and estimator: S = Σ x0 / w0 = Σ (w / w0) e.
    e_sql, params = [], []
    for comps in estimators:
        e_sql.append(" + ".join(c.sql() for c in comps))
        for c in comps:
            params += [*c.params]
    sums = ", ".join(f"sum(({w}) / ({w0}) * ({e}))" for e in e_sql)
    got = con.execute(f"SELECT {key} AS k, {sums} FROM {t} GROUP BY k", params).fetchall()
    s_by = [[0.0] * len(cells) for _ in estimators]
    for row in got:
        i = index[row[0]]
        for k in range(len(estimators)):
            s_by[k][i] = row[1 + k] or 0.0
    hs = []
    for k in range(len(estimators)):
        h = [0.0] * len(cells)
        for _ in range(10):  # R: for (iterations in 1:10), for (margin in psvar)
            for m in range(len(cal.columns)):
                num: dict[str, float] = {}
                den: dict[str, int] = {}
                for i, c in enumerate(cells):
                    num[c[m]] = num.get(c[m], 0.0) + (s_by[k][i] - n_cells[i] * h[i]) / \
                        cal.factors[c][m]
                    den[c[m]] = den.get(c[m], 0) + n_cells[i]
                for i, c in enumerate(cells):
                    h[i] += cal.factors[c][m] * num[c[m]] / den[c[m]]
        hs.append(dict(zip(cells, h, strict=True)))
    cols = [c for c in (d.strata, *d.clusters, *d.fpc) if c]
    keep = "".join(f"{quote_ident(c)}, " for c in dict.fromkeys(cols))
    us = ", ".join(f"({e}) - ({w0}) / ({w}) * {cal.h_case(h)} AS u{k}"
                   for k, (e, h) in enumerate(zip(e_sql, hs, strict=True)))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _calibrated AS SELECT {keep}{w} AS _w, {us} "
                f"FROM {t}", params)
    try:
        cd = Design("_calibrated", "_w", d.strata, d.clusters, d.fpc, d.lonely_psu)
        return [estimate(con, cd, f"u{k}", kind="total").se for k in range(len(estimators))]
    finally:
        con.execute("DROP TABLE IF EXISTS _calibrated")


def _margin_gap(current: dict[tuple[str, ...], float], k: int, target: dict[str, float]
                ) -> float:
    sums: dict[str, float] = {}
    for c, v in current.items():
        sums[c[k]] = sums.get(c[k], 0.0) + v
    return max(abs(sums[c] - target[c]) for c in target)


def difference(con: duckdb.DuckDBPyConnection, d: Design, y: str, domain_a: str, domain_b: str,
               params_a: list[object], params_b: list[object]) -> DesignEstimate:
    """Mean of ``y`` in domain A minus mean in domain B, with the design-based standard error of
    the difference (the domains share PSUs, so their covariance counts), as R's svycontrast on
    svyby(..., covmat = TRUE). Degrees of freedom: the whole design's."""
    st, psu, ssu = _cols(d)
    w = _weight(d)
    t = quote_ident(d.table)
    unit = psu or "CAST(rowid AS VARCHAR)"
    nh = strata_sizes(con, d)
    da = f"(({domain_a}) AND ({y}) IS NOT NULL)"
    db = f"(({domain_b}) AND ({y}) IS NOT NULL)"
    yv = f"CAST(({y}) AS DOUBLE)"
    aa, ba, ab, bb, n = con.execute(
        f"SELECT sum({w}) FILTER (WHERE {da}), sum({w} * {yv}) FILTER (WHERE {da}), "
        f"sum({w}) FILTER (WHERE {db}), sum({w} * {yv}) FILTER (WHERE {db}), "
        f"count(*) FILTER (WHERE {da} OR {db}) FROM {t}",
        [*params_a, *params_a, *params_b, *params_b, *params_a, *params_b]).fetchone()
    ra, rb = ba / aa, bb / ab
    # Each row's influence on the difference; summed to PSUs (and SSUs for a second stage).
    z = (f"CASE WHEN {da} THEN {w} * ({yv} - ?) / ? ELSE 0 END - "
         f"CASE WHEN {db} THEN {w} * ({yv} - ?) / ? ELSE 0 END")
    zp = [*params_a, ra, aa, *params_b, rb, ab]
    # Without clusters every row is its own PSU: no need to group rows into PSUs first.
    level1 = (f"SELECT {st} AS st, {unit} AS psu, sum({z}) AS z FROM {t} GROUP BY ALL" if psu
              else f"SELECT {st} AS st, {z} AS z FROM {t}")
    rows = con.execute(
        f"SELECT st, count(*), sum(z), sum(z * z) FROM ({level1}) GROUP BY st ORDER BY st",
        zp).fetchall()
    # Σz and Σz² per stratum play the roles of B and Syy for a total.
    as_total = [(r[0], r[1], 0.0, r[2], 0.0, 0.0, r[3]) for r in rows]
    var = stratum_variance(as_total, nh, d.lonely_psu, 0.0, 1.0, "total")
    if ssu is not None:
        fpc2 = f"min(CAST({quote_ident(d.fpc[1])} AS DOUBLE))"
        m_rows = con.execute(f"SELECT {st}, {psu}, count(DISTINCT {ssu}), {fpc2} FROM {t} "
                             "GROUP BY ALL ORDER BY ALL").fetchall()
        sums = {(r[0], r[1]): r[2:] for r in con.execute(
            f"SELECT st, psu, sum(z), sum(z * z) FROM (SELECT {st} AS st, {psu} AS psu, {ssu}, "
            f"sum({z}) AS z FROM {t} GROUP BY ALL) GROUP BY st, psu", zp).fetchall()}
        for stratum, unit_id, m, fpc in m_rows:
            n_h, big_n = nh[stratum]
            if big_n is None or m < 2 or (stratum, unit_id) not in sums:
                continue
            sz, szz = sums[(stratum, unit_id)]
            stage1 = n_h / big_n if big_n > 1 else big_n
            var += stage1 * _fraction(m, fpc) * m / (m - 1) * (szz - sz * sz / m)
    psus = sum(v[0] for v in nh.values())
    return DesignEstimate(ra - rb, math.sqrt(max(var, 0.0)), psus - len(nh), n, aa + ab)


TOTAL = "total:"  # a variable named so is estimated as a total, not a mean


def kind_of(name: str) -> str:
    return "total" if name.startswith(TOTAL) else "mean"


def _variable_columns(variables: list[tuple[str, str, list[object], str, list[object]]]
                      ) -> tuple[list[str], list[object]]:
    """For each variable k: d{k}, 1 inside its domain (base holds, y answered), and y{k}, its
    value (0 outside); with the parameters in the order the SQL text uses them."""
    cols, params = [], []
    for k, (_, y, yp, base, bp) in enumerate(variables):
        cols.append(f"CASE WHEN ({base}) AND ({y}) IS NOT NULL THEN 1 ELSE 0 END AS d{k}, "
                    f"coalesce(CAST(({y}) AS DOUBLE), 0) AS y{k}")
        params += [*bp, *yp, *yp]
    return cols, params


def batch(con: duckdb.DuckDBPyConnection, d: Design, breakdown_sql: str,
          breakdown_params: list[object], nb: int,
          variables: list[tuple[str, str, list[object], str, list[object]]]
          ) -> dict[str, dict[tuple[int, tuple], DesignEstimate]]:
    """Design-based means of many variables over every breakdown cell, in one SQL pass.

    ``breakdown_sql`` selects the breakdown columns b0..b{nb-1} (with a trailing comma);
    ``variables`` are (name, y, y_params, base, base_params). Returns, per variable, the
    estimate per cell key (k, value) where k is the breakdown index or -1 for everyone.
    First stage only: a design with a second-stage fpc goes through ``estimate`` instead.
    """
    st, psu, _ = _cols(d)
    w = _weight(d)
    t = quote_ident(d.table)
    unit = psu or "CAST(rowid AS VARCHAR)"
    nh = strata_sizes(con, d)
    bn = [f"b{k}" for k in range(nb)]
    cols, params = _variable_columns(variables)
    inner = (f"SELECT {breakdown_sql}{st} AS st, {unit} AS psu, {w} AS w, {', '.join(cols)} "
             f"FROM {t}")
    sets = ["(st, psu)" if psu else "(st)"] + [
        f"({b}, st, psu)" if psu else f"({b}, st)" for b in bn]
    gflags = "".join(f"GROUPING({b}) AS g{b}, " for b in bn)
    keys = "".join(f"{b}, " for b in bn)
    if psu:
        l1 = ", ".join(f"sum(w * d{k}) AS tw{k}, sum(w * d{k} * y{k}) AS twy{k}, "
                       f"sum(d{k}) AS n{k}" for k in range(len(variables)))
        level1 = (f"SELECT {gflags}{keys}st, psu, {l1} FROM ({inner}) "
                  f"GROUP BY GROUPING SETS ({', '.join(sets)})")
        l2 = ", ".join(f"count(*) FILTER (WHERE n{k} > 0), sum(tw{k}), sum(twy{k}), "
                       f"sum(tw{k} * tw{k}), sum(tw{k} * twy{k}), sum(twy{k} * twy{k}), "
                       f"sum(n{k})" for k in range(len(variables)))
        gkeys = "".join(f"g{b}, " for b in bn)
        sql = (f"SELECT {gkeys}{keys}st, {l2} FROM ({level1}) "
               f"GROUP BY {gkeys}{keys}st")
    else:
        l2 = ", ".join(f"sum(d{k}), sum(w * d{k}), sum(w * d{k} * y{k}), "
                       f"sum((w * d{k}) * (w * d{k})), sum((w * d{k}) * (w * d{k} * y{k})), "
                       f"sum((w * d{k} * y{k}) * (w * d{k} * y{k})), sum(d{k})"
                       for k in range(len(variables)))
        sql = (f"SELECT {gflags}{keys}st, {l2} FROM ({inner}) "
               f"GROUP BY GROUPING SETS ({', '.join(sets)})")
    rows = con.execute(sql, [*breakdown_params, *params]).fetchall()
    cells: dict[tuple[int, tuple], list[tuple]] = {}
    for r in rows:
        flags, vals = r[:nb], r[nb:2 * nb]
        key: tuple[int, tuple] = (-1, ())
        for k in range(nb):
            if flags[k] == 0:
                key = (k, (vals[k],))
        cells.setdefault(key, []).append(r[2 * nb:])
    out: dict[str, dict[tuple[int, tuple], DesignEstimate]] = {v[0]: {} for v in variables}
    for key, strata in cells.items():
        for k, (name, *_) in enumerate(variables):
            per = [(s[0], *s[1 + 7 * k:8 + 7 * k]) for s in strata]
            per = [x for x in per if x[7] > 0]  # strata with members of this domain
            if not per:
                continue
            a = sum(x[2] for x in per)
            if a == 0:
                continue
            b = sum(x[3] for x in per)
            kind = kind_of(name)
            r_hat, scale = (b / a, a) if kind == "mean" else (0.0, 1.0)
            var = stratum_variance(per, nh, d.lonely_psu, r_hat, scale, kind)
            df = sum(x[1] for x in per) - len(per)
            out[name][key] = DesignEstimate(r_hat if kind == "mean" else b,
                                            math.sqrt(max(var, 0.0)), df,
                                            int(sum(x[7] for x in per)), a)
    return out


@dataclass(frozen=True)
class RaoScott:
    """Rao-Scott second-order adjusted Pearson chi-square, F form (R's svychisq(statistic="F")),
    with the first-order adjustment (statistic="Chisq"): X² over the mean generalised design
    effect, against chi-square on (r - 1)(c - 1) degrees of freedom."""

    f: float
    ndf: float
    ddf: float
    p_value: float
    pearson: float
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    mean_deff: float = math.nan  # the mean of the generalised design effects, tr(Δ) / (r-1)(c-1)
    first_order: float = math.nan  # X² / mean_deff
    first_order_df: int = 0
    first_order_p: float = math.nan


def rao_scott(con: duckdb.DuckDBPyConnection, d: Design, row: str, col: str) -> RaoScott:
    """See ``rao_scott_sql``; ``row`` and ``col`` are column names."""
    return rao_scott_sql(con, d, f"CAST({quote_ident(row)} AS VARCHAR)",
                         f"CAST({quote_ident(col)} AS VARCHAR)", f"{row!r} by {col!r}")


def rao_scott_sql(con: duckdb.DuckDBPyConnection, d: Design, r_sql: str, c_sql: str,
                  what: str) -> RaoScott:
    """Test of independence of two categorical variables under the design.

    The Pearson X² of the weighted table scaled to the sample size is divided by the mean of the
    generalised design effects (the trace of Δ), with F degrees of freedom tr(Δ)²/tr(Δ²) and
    that times the design's degrees of freedom, as Rao and Scott (1984) and R's svychisq.
    """
    import numpy as np
    from scipy.stats import f as f_dist

    st, psu, ssu = _cols(d)
    w = _weight(d)
    t = quote_ident(d.table)
    ok = f"{r_sql} IS NOT NULL AND {c_sql} IS NOT NULL"
    rows = [r[0] for r in con.execute(f"SELECT DISTINCT {r_sql} FROM {t} WHERE {ok} ORDER BY 1"
                                      ).fetchall()]
    cols = [r[0] for r in con.execute(f"SELECT DISTINCT {c_sql} FROM {t} WHERE {ok} ORDER BY 1"
                                      ).fetchall()]
    nr, nc = len(rows), len(cols)
    if nr < 2 or nc < 2:
        raise RocsError(f"a crosstab of {what} needs at least two answers of each")
    k_of = {(a, b): i + nr * j for i, a in enumerate(rows) for j, b in enumerate(cols)}
    kk = nr * nc
    nh = strata_sizes(con, d)
    cell_rows = con.execute(f"SELECT {r_sql}, {c_sql}, sum({w}), count(*) FROM {t} WHERE {ok} "
                            "GROUP BY ALL ORDER BY ALL").fetchall()
    total = np.zeros(kk)
    n = 0
    for a, b, sw, cnt in cell_rows:
        total[k_of[(a, b)]] = sw
        n += cnt
    big_w = total.sum()
    p = total / big_w

    def cov(groups: dict, sizes: dict, factor) -> np.ndarray:
        """Σ over groups of factor × m/(m-1) × (Σ Z Zᵀ - (ΣZ)(ΣZ)ᵀ/m), with lonely handling."""
        v = np.zeros((kk, kk))
        lonely_na = 0
        for g, (m, f) in sorted(sizes.items()):
            zs = groups.get(g)
            s1 = zs[0] if zs else np.zeros(kk)
            s2 = zs[1] if zs else np.zeros((kk, kk))
            if m > 1:
                v += f * m / (m - 1) * (s2 - np.outer(s1, s1) / m)
            elif d.lonely_psu == "fail":
                raise RocsError(f"stratum {g!r} has only one PSU (design.lonely_psu is 'fail')")
            elif d.lonely_psu == "adjust":
                v += f * s2
            elif d.lonely_psu == "average":
                lonely_na += 1
        if lonely_na:
            v *= len(sizes) / (len(sizes) - lonely_na)
        return v

    def accumulate(keyed: dict) -> dict:
        """From {(group, unit): T vector} to {group: (ΣZ, ΣZZᵀ)}."""
        out: dict = {}
        for (g, _), tv in keyed.items():
            z = (tv - p * tv.sum()) / big_w
            s1, s2 = out.get(g, (np.zeros(kk), np.zeros((kk, kk))))
            out[g] = (s1 + z, s2 + np.outer(z, z))
        return out

    if psu:
        keyed: dict = {}
        for s, u, a, b, sw in con.execute(
                f"SELECT {st}, {psu}, {r_sql}, {c_sql}, sum({w}) FROM {t} WHERE {ok} "
                "GROUP BY ALL ORDER BY ALL").fetchall():
            keyed.setdefault((s, u), np.zeros(kk))[k_of[(a, b)]] += sw
        groups = accumulate(keyed)
    else:
        # Each unit is its own PSU and sits in one cell: the sums follow from Σw and Σw².
        groups = {}
        for s, a, b, sw, sw2 in con.execute(
                f"SELECT {st}, {r_sql}, {c_sql}, sum({w}), sum({w} * {w}) FROM {t} WHERE {ok} "
                "GROUP BY ALL ORDER BY ALL").fetchall():
            e = -p.copy()
            e[k_of[(a, b)]] += 1
            s1, s2 = groups.get(s, (np.zeros(kk), np.zeros((kk, kk))))
            groups[s] = (s1 + sw * e / big_w, s2 + sw2 * np.outer(e, e) / big_w ** 2)
    v = cov(groups, {h: (m, _fraction(m, fpc)) for h, (m, fpc) in nh.items()}, None)
    if ssu is not None:
        fpc2 = f"min(CAST({quote_ident(d.fpc[1])} AS DOUBLE))"
        keyed = {}
        for s, u, ss, a, b, sw in con.execute(
                f"SELECT {st}, {psu}, {ssu}, {r_sql}, {c_sql}, sum({w}) FROM {t} WHERE {ok} "
                "GROUP BY ALL ORDER BY ALL").fetchall():
            keyed.setdefault(((s, u), ss), np.zeros(kk))[k_of[(a, b)]] += sw
        groups2 = accumulate(keyed)
        for s, u, m, fpc in con.execute(f"SELECT {st}, {psu}, count(DISTINCT {ssu}), {fpc2} "
                                        f"FROM {t} GROUP BY ALL ORDER BY ALL").fetchall():
            n_h, big_n = nh[s]
            if big_n is None or m < 2 or (s, u) not in groups2:
                continue
            stage1 = n_h / big_n if big_n > 1 else big_n
            s1, s2 = groups2[(s, u)]
            v += stage1 * _fraction(m, fpc) * m / (m - 1) * (s2 - np.outer(s1, s1) / m)
    # Pearson's X² on the weighted table scaled to the sample size.
    tab = (total * n / big_w).reshape(nc, nr).T
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n
    pearson = float(((tab - expected) ** 2 / expected).sum())
    # The design-effect matrix Δ on the interaction contrasts (R's Cmat).
    gi, gj = np.meshgrid(range(nr), range(nc), indexing="ij")
    gi, gj = gi.T.ravel(), gj.T.ravel()  # rows vary fastest, as expand.grid
    x1 = np.column_stack([np.ones(kk)] + [(gi == a).astype(float) for a in range(1, nr)]
                         + [(gj == b).astype(float) for b in range(1, nc)])
    inter = np.column_stack([((gi == a) & (gj == b)).astype(float) for b in range(1, nc)
                             for a in range(1, nr)])
    q, _ = np.linalg.qr(x1)
    cmat = inter - q @ (q.T @ inter)
    idm = np.diag(np.where(p == 0, 0.0, 1 / np.where(p == 0, 1, p)))
    denom = cmat.T @ (idm / n) @ cmat
    numr = cmat.T @ idm @ v @ idm @ cmat
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    d0 = tr * tr / tr2
    psus = sum(m for m, _ in nh.values())
    nu = psus - len(nh)
    f_stat = pearson / tr
    from scipy.stats import chi2

    k = delta.shape[0]
    mean_deff = tr / k
    return RaoScott(f_stat, d0, d0 * nu, float(f_dist.sf(f_stat, d0, d0 * nu)), pearson,
                    tuple(rows), tuple(cols), mean_deff, pearson / mean_deff, k,
                    float(chi2.sf(pearson / mean_deff, k)))


@dataclass(frozen=True)
class Replicates:
    """Replicate weights (R's svrepdesign with combined weights)."""

    table: str
    weight: str
    columns: tuple[str, ...]
    type: str = "JK1"  # JK1, JKn or BRR
    scale: float | None = None  # default: (R-1)/R for JK1, 1/R for BRR, 1 for JKn
    rscales: tuple[float, ...] = ()  # per replicate; JKn: (n_h - 1) / n_h
    mse: bool = False  # centre at the full-sample estimate instead of the replicates' mean
    df: int | None = None  # default: replicates - 1

    def factors(self) -> tuple[float, list[float]]:
        r = len(self.columns)
        default = {"JK1": (r - 1) / r, "BRR": 1 / r, "JKN": 1.0}[self.type.upper()]
        scale = self.scale if self.scale is not None else default
        rscales = list(self.rscales) if self.rscales else [1.0] * r
        if len(rscales) != r:
            raise RocsError(f"design.replicate.rscales: expected {r} values, one per replicate "
                            f"weight, got {len(rscales)}")
        return scale, rscales


def replicate_variance(full: float, reps: list[float], rep: Replicates) -> float:
    """scale × Σ rscale_r (θ_r − centre)², the centre being the replicates' mean (R's
    default) or the full-sample estimate (mse)."""
    scale, rscales = rep.factors()
    centre = full if rep.mse else sum(reps) / len(reps)
    return scale * sum(rs * (t - centre) ** 2 for rs, t in zip(rscales, reps, strict=True))


def replicate_batch(con: duckdb.DuckDBPyConnection, rep: Replicates, breakdown_sql: str,
                    breakdown_params: list[object], nb: int,
                    variables: list[tuple[str, str, list[object], str, list[object]]]
                    ) -> dict[str, dict[tuple[int, tuple], DesignEstimate]]:
    """Means of many variables over every breakdown cell with replicate-weight variances, in
    one SQL pass: Σ w·d and Σ w·d·y for the full weight and every replicate weight."""
    cols_sql = [f"CAST({quote_ident(c)} AS DOUBLE)" for c in (rep.weight, *rep.columns)]
    bn = [f"b{k}" for k in range(nb)]
    parts, params = _variable_columns(variables)
    ws = ", ".join(f"{c} AS w{j}" for j, c in enumerate(cols_sql))
    inner = f"SELECT {breakdown_sql}{ws}, {', '.join(parts)} FROM {quote_ident(rep.table)}"
    aggs = []
    for k in range(len(variables)):
        aggs.append(f"sum(d{k})")
        for j in range(len(cols_sql)):
            aggs.append(f"sum(w{j} * d{k}), sum(w{j} * d{k} * y{k})")
    sets = ["()"] + [f"({b})" for b in bn]
    gflags = "".join(f"GROUPING({b}), " for b in bn)
    keys = "".join(f"{b}, " for b in bn)
    rows = con.execute(f"SELECT {gflags}{keys}{', '.join(aggs)} FROM ({inner}) "
                       f"GROUP BY GROUPING SETS ({', '.join(sets)})",
                       [*breakdown_params, *params]).fetchall()
    width = 1 + 2 * len(cols_sql)
    full_df = rep.df if rep.df is not None else len(rep.columns) - 1
    domain_df = ({} if rep.df is not None else
                 replicate_domain_df(con, rep, breakdown_sql, breakdown_params, nb))
    out: dict[str, dict[tuple[int, tuple], DesignEstimate]] = {v[0]: {} for v in variables}
    for r in rows:
        flags, vals, a = r[:nb], r[nb:2 * nb], r[2 * nb:]
        key: tuple[int, tuple] = (-1, ())
        for k in range(nb):
            if flags[k] == 0:
                key = (k, (vals[k],))
        for k, (name, *_) in enumerate(variables):
            block = a[k * width:(k + 1) * width]
            n, sums = block[0], block[1:]
            if not n or not sums[0]:
                continue
            thetas = ([sums[2 * j + 1] for j in range(len(cols_sql))]
                      if kind_of(name) == "total" else
                      [sums[2 * j + 1] / sums[2 * j] if sums[2 * j] else math.nan
                       for j in range(len(cols_sql))])
            var = replicate_variance(thetas[0], thetas[1:], rep)
            df = domain_df.get(key, full_df)
            out[name][key] = DesignEstimate(thetas[0], math.sqrt(var), df, int(n), sums[0])
    return out


# More distinct replicate-weight rows than this in one domain: the rank is taken on this many.
_RANK_ROWS = 20_000


def replicate_domain_df(con: duckdb.DuckDBPyConnection, rep: Replicates, breakdown_sql: str,
                        breakdown_params: list[object], nb: int
                        ) -> dict[tuple[int, tuple], int]:
    """The degrees of freedom of each breakdown cell as R gives them for a subset of a
    replicate design: the rank of the cell's replicate-weight matrix, less one (R's
    ``degf.svyrep.design``). A replicate that drops a cluster with no member of the cell adds
    nothing. Rows are divided by their full weight first, which leaves the rank alone; what is
    left has one distinct row per cluster for jackknife and BRR weights, so the rank is taken
    on those rows, not the respondents. Cells whose rank is the full one are left out."""
    import numpy as np

    if nb == 0:
        return {}
    w = f"CAST({quote_ident(rep.weight)} AS DOUBLE)"
    ratios = ", ".join(
        f"round(CAST({quote_ident(c)} AS DOUBLE) / (CASE WHEN {w} = 0 THEN 1 ELSE {w} END), 12)"
        f" AS r{j}" for j, c in enumerate(rep.columns))
    inner = f"SELECT {breakdown_sql}{ratios} FROM {quote_ident(rep.table)}"
    rcols = ", ".join(f"r{j}" for j in range(len(rep.columns)))
    full = len(rep.columns) - 1
    out: dict[tuple[int, tuple], int] = {}
    for k in range(nb):
        rows = con.execute(
            f"SELECT b{k}, {rcols} FROM (SELECT DISTINCT b{k}, {rcols} FROM ({inner}) "
            f"WHERE b{k} IS NOT NULL) QUALIFY row_number() OVER (PARTITION BY b{k}) <= "
            f"{_RANK_ROWS}", breakdown_params).fetchall()
        by: dict[object, list] = {}
        for r in rows:
            by.setdefault(r[0], []).append(r[1:])
        for value, mat in by.items():
            rank = int(np.linalg.matrix_rank(np.array(mat, dtype=float), tol=None))
            if rank - 1 < full:
                out[(k, (value,))] = max(rank - 1, 1)
    return out


def replicate_difference(con: duckdb.DuckDBPyConnection, rep: Replicates, y: str,
                         domain_a: str, domain_b: str, params_a: list[object],
                         params_b: list[object]) -> DesignEstimate:
    """Mean of ``y`` in domain A minus domain B, its variance from the replicate differences."""
    cols_sql = [f"CAST({quote_ident(c)} AS DOUBLE)" for c in (rep.weight, *rep.columns)]
    yv = f"CAST(({y}) AS DOUBLE)"
    da = f"(({domain_a}) AND ({y}) IS NOT NULL)"
    db = f"(({domain_b}) AND ({y}) IS NOT NULL)"
    aggs, params = [], []
    for c in cols_sql:
        for dom, p in ((da, params_a), (db, params_b)):
            aggs += [f"sum({c}) FILTER (WHERE {dom})", f"sum({c} * {yv}) FILTER (WHERE {dom})"]
            params += [*p, *p]
    row = con.execute(f"SELECT count(*) FILTER (WHERE {da} OR {db}), {', '.join(aggs)} FROM "
                      f"{quote_ident(rep.table)}", [*params_a, *params_b, *params]).fetchone()
    n, vals = row[0], row[1:]
    diffs = [vals[4 * j + 1] / vals[4 * j] - vals[4 * j + 3] / vals[4 * j + 2]
             for j in range(len(cols_sql))]
    var = replicate_variance(diffs[0], diffs[1:], rep)
    df = rep.df if rep.df is not None else len(rep.columns) - 1
    return DesignEstimate(diffs[0], math.sqrt(var), df, n, vals[0] + vals[2])
