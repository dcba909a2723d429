"""SQL sufficient statistics per cell, in one pass per question with GROUPING SETS.

A cell is (what, breakdown, group). The overall cell has breakdown ``None``. Every query returns a
few rows per group; the stats layer finishes the estimates from them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from .ingest import quote_ident
from .spec import Breakdown, Study

NOT_STATED = "Not stated"


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of a 0/1 or numeric variable in one cell."""

    n: int  # unweighted base
    sw: float  # Σw
    sw2: float  # Σw²
    swy: float = 0.0  # Σw·y
    swy2: float = 0.0  # Σw·y²
    ny: int = 0  # unweighted count with y = 1 (proportions)


CellKey = tuple[str | None, str | None]  # (breakdown id, group label); (None, None) is overall


class _Grouped:
    """Builds a GROUPING SETS query over one source with its breakdown columns."""

    def __init__(self, study: Study, source: str, breakdowns: Iterable[Breakdown] | None = None):
        self.study = study
        self.source = source
        avail = {q.id for q in study.questions_of(source)}
        self.breakdowns = [b for b in (study.breakdowns if breakdowns is None else breakdowns)
                           if b.question in avail]
        src = study.source(source)
        wcol = study.weight_column if source == study.survey.id else src.weight
        self.weight = f"CAST({quote_ident(wcol)} AS DOUBLE)" if wcol else "1.0::DOUBLE"

    def breakdown_columns(self) -> tuple[str, list[object]]:
        parts, params = [], []
        for k, b in enumerate(self.breakdowns):
            col = f"CAST({quote_ident(b.question)} AS VARCHAR)"
            whens = []
            for g in b.groups:
                whens.append("WHEN list_contains(?, " + col + ") THEN ?")
                params += [list(g.codes), g.label]
            parts.append(f"CASE {' '.join(whens)} ELSE ? END AS b{k}")
            params.append(NOT_STATED)
        return (", ".join(parts) + ", ") if parts else "", params

    def run(self, con: duckdb.DuckDBPyConnection, inner_select: str, inner_params: list[object],
            aggs: str, agg_params: list[object], where: str = "TRUE",
            where_params: list[object] | None = None,
            extra: tuple[str, ...] = ()) -> list[tuple[CellKey, tuple[object, ...], tuple]]:
        """Rows of (cell key, extra group values, aggregates)."""
        bcols, bparams = self.breakdown_columns()
        bnames = [f"b{k}" for k in range(len(self.breakdowns))]
        ex = list(extra)
        sets = ["(" + ", ".join(ex) + ")"] + ["(" + ", ".join([b, *ex]) + ")" for b in bnames]
        grouping = "".join(f"GROUPING({b}) AS g{b}, " for b in bnames)
        select_b = "".join(f"{b}, " for b in bnames)
        select_x = "".join(f"{x}, " for x in ex)
        sql = (f"SELECT {grouping}{select_b}{select_x}{aggs} FROM "
               f"(SELECT {bcols}{self.weight} AS w, {inner_select} "
               f"FROM {quote_ident(self.source)} WHERE {where}) "
               f"GROUP BY GROUPING SETS ({', '.join(sets)}) "
               f"ORDER BY ALL")
        rows = con.execute(sql, [*agg_params, *bparams, *inner_params, *(where_params or [])]
                           ).fetchall()
        out = []
        nb = len(bnames)
        for r in rows:
            flags, vals = r[:nb], r[nb:2 * nb]
            key: CellKey = (None, None)
            for k in range(nb):
                if flags[k] == 0:
                    key = (self.breakdowns[k].id, vals[k])
            out.append((key, tuple(r[2 * nb:2 * nb + len(ex)]), tuple(r[2 * nb + len(ex):])))
        return out


def _indicator_columns(study: Study) -> tuple[list[str], list[object], list[str]]:
    """Each indicator's 0/1 base and numerator columns and their sums (n, n with the outcome,
    Σw, Σw², Σw·y)."""
    inner, iparams, aggs = [], [], []
    for k, ind in enumerate(study.indicators):
        col = f"CAST({quote_ident(ind.question)} AS VARCHAR)"
        # 0/1 columns and plain sums: much faster in DuckDB than FILTER clauses.
        inner.append(f"coalesce(list_contains(?, {col}), false)::INTEGER AS base{k}, "
                     f"coalesce(list_contains(?, {col}), false)::INTEGER AS num{k}")
        iparams += [list(ind.base), list(ind.numerator)]
        aggs.append(f"coalesce(sum(base{k}), 0), coalesce(sum(base{k} * num{k}), 0), "
                    f"coalesce(sum(w * base{k}), 0), coalesce(sum(w * w * base{k}), 0), "
                    f"coalesce(sum(w * base{k} * num{k}), 0)")
    return inner, iparams, aggs


def indicator_moments(con: duckdb.DuckDBPyConnection, study: Study
                      ) -> dict[str, dict[CellKey, Moments]]:
    """Per indicator and cell: n, n with the outcome, Σw, Σw², Σw·y. One query for all."""
    g = _Grouped(study, study.survey.id)
    inner, iparams, aggs = _indicator_columns(study)
    rows = g.run(con, ", ".join(inner), iparams, ", ".join(aggs), [])
    out: dict[str, dict[CellKey, Moments]] = {i.id: {} for i in study.indicators}
    for key, _, a in rows:
        for k, ind in enumerate(study.indicators):
            n, ny, sw, sw2, swy = a[5 * k:5 * k + 5]
            out[ind.id][key] = Moments(n=n, sw=sw, sw2=sw2, swy=swy, swy2=swy, ny=ny)
    return out


def code_counts(con: duckdb.DuckDBPyConnection, study: Study, qid: str
                ) -> dict[CellKey, dict[str, Moments]]:
    """Per cell and code of a single/likert/number question: n, Σw, Σw²."""
    q = study.question(qid)
    g = _Grouped(study, study.survey.id)
    col = f"CAST({quote_ident(qid)} AS VARCHAR)"
    rows = g.run(con, f"{col} AS code", [], "count(*), sum(w), sum(w * w)", [],
                 where=f"{quote_ident(qid)} IS NOT NULL", extra=("code",))
    out: dict[CellKey, dict[str, Moments]] = {}
    for key, (code,), (n, sw, sw2) in rows:
        out.setdefault(key, {})[_canon(code, q.type)] = Moments(n=n, sw=sw, sw2=sw2)
    return out


def _canon(code: str, qtype: str) -> str:
    if qtype == "number" and code.endswith(".0"):
        return code[:-2]
    return code


def option_counts(con: duckdb.DuckDBPyConnection, study: Study, qid: str
                  ) -> tuple[dict[CellKey, Moments], dict[CellKey, dict[str, Moments]]]:
    """A multiple-choice question: the respondent base per cell, and per option the number
    (and weight) of respondents choosing it. The base is respondents who gave at least one
    valid (non-missing) answer, not answers."""
    q = study.question(qid)
    g = _Grouped(study, study.survey.id)
    col = quote_ident(qid)
    valid = [c.value for c in q.valid_codes]
    answered = f"{col} IS NOT NULL AND len(list_filter({col}, lambda x: list_contains(?, x))) > 0"
    bases = {key: Moments(n=n, sw=sw, sw2=sw2)
             for key, _, (n, sw, sw2) in g.run(con, "1 AS one", [], "count(*), sum(w), sum(w * w)",
                                               [], where=answered, where_params=[valid])}
    opts: dict[CellKey, dict[str, Moments]] = {}
    rows = g.run(con, f"unnest(list_filter({col}, lambda x: list_contains(?, x))) AS option",
                 [valid], "count(*), sum(w), sum(w * w)", [], where=answered,
                 where_params=[valid], extra=("option",))
    for key, (option,), (n, sw, sw2) in rows:
        opts.setdefault(key, {})[option] = Moments(n=n, sw=sw, sw2=sw2)
    return bases, opts


def number_moments(con: duckdb.DuckDBPyConnection, study: Study, qid: str
                   ) -> dict[CellKey, Moments]:
    """Per cell of a number question: n, Σw, Σw², Σw·y, Σw·y²."""
    g = _Grouped(study, study.survey.id)
    col = quote_ident(qid)
    rows = g.run(con, f"{col} AS y", [], "count(*), sum(w), sum(w * w), sum(w * y), "
                 "sum(w * y * y)", [], where=f"{col} IS NOT NULL")
    return {key: Moments(n=a[0], sw=a[1], sw2=a[2], swy=a[3], swy2=a[4]) for key, _, a in rows}


@dataclass(frozen=True)
class ThemeCount:
    interviewees: int
    organisations: int


def theme_counts(con: duckdb.DuckDBPyConnection, study: Study
                 ) -> tuple[dict[CellKey, ThemeCount], dict[CellKey, dict[str, ThemeCount]]]:
    """Interviews: per role group (the ``by`` breakdown), how many interviewees and how many
    organisations raised each theme, with the bases. Counts, not percentages."""
    iv = study.interviews
    assert iv is not None
    g = _Grouped(study, iv.source, [study.breakdown(iv.by)])
    org = quote_ident(iv.organisation)
    themes = quote_ident(iv.themes)
    bases = {key: ThemeCount(a[0], a[1]) for key, _, a in
             g.run(con, f"{org} AS org", [], "count(*), count(DISTINCT org)", [])}
    rows = g.run(con, f"{org} AS org, unnest({themes}) AS theme", [],
                 "count(*), count(DISTINCT org)", [], where=f"{themes} IS NOT NULL",
                 extra=("theme",))
    counts: dict[CellKey, dict[str, ThemeCount]] = {}
    for key, (theme,), (n, orgs) in rows:
        counts.setdefault(key, {})[theme] = ThemeCount(n, orgs)
    return bases, counts


def attribution_counts(con: duckdb.DuckDBPyConnection, study: Study
                       ) -> dict[tuple[str, ...], int]:
    """Interviewees per attribution cell and per each of its coarser levels (ROLLUP: the full
    attribution, then dropping the last label, and so on to nobody)."""
    iv = study.interviews
    if iv is None:
        return {}
    bds = [study.breakdown(b) for b in iv.attribution]
    g = _Grouped(study, iv.source, bds)
    bcols, bparams = g.breakdown_columns()
    names = [f"b{k}" for k in range(len(bds))]
    if not names:
        n = con.execute(f"SELECT count(*) FROM {quote_ident(iv.source)}").fetchone()[0]
        return {(): n}
    rows = con.execute(
        f"SELECT {', '.join(f'GROUPING({b})' for b in names)}, {', '.join(names)}, count(*) "
        f"FROM (SELECT {bcols}1 AS one FROM {quote_ident(iv.source)}) "
        f"GROUP BY ROLLUP ({', '.join(names)}) ORDER BY ALL", bparams).fetchall()
    out: dict[tuple[str, ...], int] = {}
    k = len(names)
    for r in rows:
        flags, vals = r[:k], r[k:2 * k]
        depth = sum(1 for f in flags if f == 0)
        out[tuple(vals[:depth])] = r[-1]
    return out


def quotes(con: duckdb.DuckDBPyConnection, study: Study) -> list[tuple[str, tuple[str, ...]]]:
    """Quotes with their attribution (breakdown group labels only, never the organisation)."""
    iv = study.interviews
    if iv is None or iv.quote is None:
        return []
    bds = [study.breakdown(b) for b in iv.attribution]
    g = _Grouped(study, iv.source, bds)
    bcols, bparams = g.breakdown_columns()
    q = quote_ident(iv.quote)
    order = ", ".join([f"b{k}" for k in range(len(bds))] + ["quote"])
    sql = (f"SELECT {bcols}{q} AS quote FROM {quote_ident(iv.source)} "
           f"WHERE {q} IS NOT NULL AND trim({q}) <> '' ORDER BY {order}")
    rows = con.execute(sql, bparams).fetchall()
    return [(r[-1], tuple(r[:-1])) for r in rows]


def design_of(study: Study):
    """The study's sampling design for the survey table, or None."""
    from .design import Design

    d = study.design
    if d is None:
        # Raked weights with no declared design: R's svydesign(ids = ~1, weights = ~w)
        # before rake(), so that the variance can allow for the raking.
        return Design(study.survey.id, study.weight_column) if study.rake is not None else None
    return Design(study.survey.id, study.weight_column, d.strata, d.clusters, d.fpc,
                  d.lonely_psu)


def calibration_of(con: duckdb.DuckDBPyConnection, study: Study):
    """The raking to allow for in variances (``rake.variance: calibrated``), else None."""
    from .design import Design, calibration

    r = study.rake
    if r is None or r.variance != "calibrated" or replicates_of(study) is not None:
        return None
    return calibration(con, Design(study.survey.id, study.design_weight),
                       {q: dict(pairs) for q, pairs in r.margins}, r.epsilon, r.maxit)


def cell_domain(study: Study, b: Breakdown | None, group: str | None) -> tuple[str, list]:
    """SQL (with its parameters) for the respondents in one breakdown cell: the group's codes,
    or for "Not stated" none of the breakdown's codes."""
    if b is None:
        return "TRUE", []
    col = f"CAST({quote_ident(b.question)} AS VARCHAR)"
    if group == NOT_STATED:
        return (f"NOT coalesce(list_contains(?, {col}), false)",
                [[c for g in b.groups for c in g.codes]])
    codes = next(g.codes for g in b.groups if g.label == group)
    return f"list_contains(?, {col})", [list(codes)]


def replicates_of(study: Study):
    """The study's replicate-weight design, or None."""
    from .design import Replicates

    d = study.design
    if d is None or d.replicate is None:
        return None
    r = d.replicate
    return Replicates(study.survey.id, study.weight_column or d.weight, r.weights, r.type,
                      r.scale, r.rscales, r.mse, r.df)


def design_cells(con: duckdb.DuckDBPyConnection, study: Study,
                 variables: list[tuple[str, str, list[object], str, list[object]]]) -> dict:
    """Design-based estimates per variable and cell (breakdown id, group), under the study's
    design: one SQL pass for a one-stage design; cell by cell with a second-stage fpc."""
    out = _design_cells(con, study, variables)
    cal = calibration_of(con, study)
    if cal is None:
        return out
    from dataclasses import replace

    from .design import Component, calibrated_se, kind_of

    bmap = {b.id: b for b in study.breakdowns}
    jobs, keys = [], []
    for name, y, yp, base, bp in variables:
        assert not yp, "a calibrated variance needs y without parameters"
        for key, est in out[name].items():
            dom, dp = cell_domain(study, bmap.get(key[0]), key[1])
            total = kind_of(name) == "total"
            jobs.append([Component(y, f"({base}) AND ({dom})", (*bp, *dp),
                                   0.0 if total else est.estimate,
                                   1.0 if total else est.total_weight)])
            keys.append((name, key))
    for (name, key), se in zip(keys, calibrated_se(con, design_of(study), cal, jobs),
                               strict=True):
        out[name][key] = replace(out[name][key], se=se)
    return out


def _design_cells(con: duckdb.DuckDBPyConnection, study: Study,
                  variables: list[tuple[str, str, list[object], str, list[object]]]) -> dict:
    from .design import Design, batch, estimate, kind_of

    # No declared design: R's svydesign(ids = ~1, weights = ~w) (totals, quantile intervals).
    d = design_of(study) or Design(study.survey.id, study.weight_column)
    g = _Grouped(study, study.survey.id)
    out: dict[str, dict[CellKey, object]] = {v[0]: {} for v in variables}
    rep = replicates_of(study)
    if rep is not None:
        from .design import replicate_batch

        bcols, bparams = g.breakdown_columns()
        res = replicate_batch(con, rep, bcols, bparams, len(g.breakdowns), variables)
        for name, cells in res.items():
            for (k, vals), est in cells.items():
                out[name][(None, None) if k < 0 else (g.breakdowns[k].id, vals[0])] = est
        return out
    if len(d.fpc) > 1 and len(d.clusters) > 1:
        for name, y, yp, base, bp in variables:
            out[name][(None, None)] = estimate(con, d, y, base, kind_of(name), [*bp, *yp])
            for b in g.breakdowns:
                col = f"CAST({quote_ident(b.question)} AS VARCHAR)"
                for grp in b.groups:
                    dom = f"({base}) AND list_contains(?, {col})"
                    out[name][(b.id, grp.label)] = estimate(
                        con, d, y, dom, kind_of(name), [*bp, list(grp.codes), *yp])
        return out
    bcols, bparams = g.breakdown_columns()
    res = batch(con, d, bcols, bparams, len(g.breakdowns), variables)
    for name, cells in res.items():
        for (k, vals), est in cells.items():
            key: CellKey = (None, None) if k < 0 else (g.breakdowns[k].id, vals[0])
            out[name][key] = est
    return out


def crossed_moments(con: duckdb.DuckDBPyConnection, study: Study, a: Breakdown, b: Breakdown
                    ) -> dict[str, dict[tuple[str, str], Moments]]:
    """Per indicator and crossed cell (group of ``a``, group of ``b``): n, n with the outcome,
    Σw, Σw², Σw·y. One query for every indicator."""
    g = _Grouped(study, study.survey.id, [a, b])
    bcols, bparams = g.breakdown_columns()
    inner, iparams, aggs = _indicator_columns(study)
    if not inner:
        return {}
    sql = (f"SELECT b0, b1, {', '.join(aggs)} FROM (SELECT {bcols}{g.weight} AS w, "
           f"{', '.join(inner)} FROM {quote_ident(study.survey.id)}) GROUP BY b0, b1 "
           f"ORDER BY b0, b1")
    out: dict[str, dict[tuple[str, str], Moments]] = {i.id: {} for i in study.indicators}
    for r in con.execute(sql, [*bparams, *iparams]).fetchall():
        ga, gb, vals = r[0], r[1], r[2:]
        for k, ind in enumerate(study.indicators):
            n, ny, sw, sw2, swy = vals[5 * k:5 * k + 5]
            out[ind.id][(ga, gb)] = Moments(n=n, sw=sw, sw2=sw2, swy=swy, swy2=swy, ny=ny)
    return out
