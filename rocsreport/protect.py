"""Secondary suppression over the whole publication, driven by the audit.

Primary suppression (a base below ``suppress_below``) happens where each cell is made. Then
this module reads the ledger of everything the build would publish, the public site and every
private report that a reader could hold beside it, and asks the audit which withheld figure a
reader could narrow down too far. For each one it withholds one more cell: a published cell
of the same table, the one that restores the protection with the smallest base (the least
information lost), and withholds it in every table over the same people (the gap table, the
crosstab, the NPS rows). It repeats until the audit passes. This is the audit-and-repair loop
of τ-ARGUS's hypercube and modular methods, with the audit as the judge.

The true values the audit compares against come from the database, computed here by their own
SQL from the ledger's atoms, never from the suppression code's results.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from .audit import AuditResult, Finding, _System, audit, groups_of, is_rest, protected
from .errors import BuildError, RocsError
from .ingest import quote_ident, sql_list
from .ledger import (
    ALL,
    OTHER,
    SELF,
    Entry,
    cross_dim,
    dims_of,
    read_files,
    read_private,
    structure,
)

Atoms = dict[str, dict[str, float]]  # atom -> variable -> true value


@dataclass(frozen=True)
class Protection:
    """What the protection step did, for the methodology page (no figures of any cell)."""

    units: tuple[str, ...]  # cells withheld as complements, beyond the table-by-table rule
    checked: int  # withheld figures audited (public site and private reports)
    readers: int  # private reports audited beside the public site
    narrowest: float | None  # the smallest margin found, as a share of the true value


class Truth:
    """True values of the ledger's atoms. Kept out of the report: nothing renders from it."""

    def __init__(self, tables: dict[tuple[str, str | None], Atoms],
                 own: dict[str, dict[tuple[str, str | None], Atoms]], sector_of: dict[str, str]):
        self.tables = tables
        self.own = own
        self.sector_of = sector_of

    def value(self, e: Entry, reader: str | None = None) -> float | None:
        """The true value of ``e``; for a reader, the reader's sector atom holds the rest of
        that sector and SELF the reader's own figures (as the audit's system has them)."""
        atoms = self.tables.get((e.table, e.dim))
        if atoms is None:
            return None
        sector = self.sector_of.get(reader) if reader else None
        own = (self.own.get(reader, {}).get((e.table, e.dim), {}).get(SELF, {})
               if sector is not None else {})
        cell = e.atoms
        if sector is not None and cell is not None and sector in cell and not is_rest(e):
            cell = cell | {SELF}
        total = 0.0
        for a, vals in atoms.items():
            if cell is not None and a not in cell:
                continue
            for var, c in e.coefs:
                total += c * (vals.get(var, 0.0) - (own.get(var, 0.0) if a == sector else 0))
        if own and (cell is None or SELF in cell) and e.dim is not None:
            total += sum(c * own.get(var, 0.0) for var, c in e.coefs)
        return total

    def for_reader(self, reader: str | None):
        return lambda e: self.value(e, reader)


# --- true values ---------------------------------------------------------------------------


def truths(con: duckdb.DuckDBPyConnection, report: Any, st: dict) -> Truth:
    from .results import _design_columns as design_columns

    study = report.study
    dims = dims_of(st)
    tables: dict[tuple[str, str | None], Atoms] = {}
    survey = study.survey.id
    bqs = sorted({b["question"] for b in st["breakdowns"].values()
                  if survey in st["questions"][b["question"]]["source"]})
    for qid, q in st["questions"].items():
        if survey not in q["source"] or q["type"] == "date" or (
                q["type"] == "number" and qid in design_columns(study)):
            continue
        for b in [None, *bqs]:
            tables[(f"q:{qid}", b)] = _question_atoms(con, survey, qid, q, b,
                                                      dims.get(b, ()))
    ind_qs = sorted({i["question"] for i in st["indicators"].values()})
    for a, b in st.get("crossed", ()):
        qa, qb = st["breakdowns"][a]["question"], st["breakdowns"][b]["question"]
        expr = (f"{_atom_sql(qa, dims[qa])} || chr(31) || {_atom_sql(qb, dims[qb])}")
        for qid in ind_qs:
            if survey in st["questions"][qid]["source"]:
                tables[(f"q:{qid}", cross_dim(qa, qb))] = _question_atoms(
                    con, survey, qid, st["questions"][qid], None, (), expr)
    if st["interviews"]:
        iv = st["interviews"]
        bq = st["breakdowns"][iv["by"]]["question"]
        tables[("iv", bq)] = _interview_atoms(con, iv["source"], bq, dims[bq], iv["themes"])
        tables[("iv", None)] = _interview_atoms(con, iv["source"], None, (), iv["themes"])
    own: dict[str, dict] = {}
    sector_of: dict[str, str] = {}
    bm = report.benchmark
    if bm is not None:
        sectors = set(bm.sectors)
        for org, _, sector in bm.names:
            sector_of[org] = sector if sector in sectors else OTHER
        for o in bm.orgs:
            for m, _ in bm.measures:
                sc = o.score(m)
                if sc.suppressed:
                    continue
                a = sector_of.get(o.org, OTHER)
                vals = {"k": 1.0, "resp": float(sc.n), "sum": sc.mean * sc.n}
                for key in ((f"bm:{o.wave}:{m}", "sector"), (f"bm:{o.wave}:{m}", None)):
                    cell = tables.setdefault(key, {}).setdefault(
                        a if key[1] else ALL, defaultdict(float))
                    for k, v in vals.items():
                        cell[k] += v
                own.setdefault(o.org, {}).setdefault((f"bm:{o.wave}:{m}", "sector"), {})[
                    SELF] = vals
        for c in bm.changes:
            a = sector_of.get(c.org, OTHER)
            vals = {"k": 1.0, "up": float(c.direction == "up"),
                    "down": float(c.direction == "down")}
            for key in ((f"chg:{c.from_wave}:{c.to_wave}", "sector"),
                        (f"chg:{c.from_wave}:{c.to_wave}", None)):
                cell = tables.setdefault(key, {}).setdefault(a if key[1] else ALL,
                                                             defaultdict(float))
                for k, v in vals.items():
                    cell[k] += v
            own.setdefault(c.org, {}).setdefault((f"chg:{c.from_wave}:{c.to_wave}", "sector"),
                                                 {})[SELF] = vals
    return Truth(tables, own, sector_of)


def _atom_sql(b: str | None, atoms: tuple[str, ...]) -> str:
    if b is None:
        return f"'{ALL}'"
    codes = [a for a in atoms if a != OTHER]
    col = f"CAST({quote_ident(b)} AS VARCHAR)"
    return (f"CASE WHEN list_contains({sql_list(codes)}, {col}) THEN {col} "
            f"ELSE {sql_list([OTHER])[1:-1]} END")


def _question_atoms(con, source: str, qid: str, q: dict, b: str | None,
                    atoms: tuple[str, ...], a: str | None = None) -> Atoms:
    a = a or _atom_sql(b, atoms)
    col = quote_ident(qid)
    src = quote_ident(source)
    out: Atoms = defaultdict(lambda: defaultdict(float))
    if q["type"] in ("single", "likert") or q["nps"]:
        x = (f"CAST(CAST({col} AS INTEGER) AS VARCHAR)" if q["nps"]
             else f"CAST({col} AS VARCHAR)")
        rows = con.execute(f"SELECT {a}, {x}, count(*) FROM {src} WHERE {col} IS NOT NULL "
                           f"AND list_contains(?, {x}) GROUP BY ALL", [q["valid"]]).fetchall()
        for atom, code, n in rows:
            out[atom][code] += n
    elif q["type"] == "multi":
        valid = q["valid"]
        chosen = f"list_filter({col}, lambda x: list_contains({sql_list(valid)}, x))"
        opts = ", ".join(f"sum(list_contains({chosen}, {sql_list([c])[1:-1]})::INTEGER)"
                         for c in valid)
        rows = con.execute(f"SELECT {a}, count(*), {opts} FROM {src} WHERE {col} IS NOT NULL "
                           f"AND len({chosen}) > 0 GROUP BY ALL").fetchall()
        for atom, n, *counts in rows:
            out[atom]["n"] += n
            for c, k in zip(valid, counts, strict=True):
                out[atom][f"o:{c}"] += k
    else:
        rows = con.execute(f"SELECT {a}, count(*), sum(CAST({col} AS DOUBLE)) FROM {src} "
                           f"WHERE {col} IS NOT NULL GROUP BY ALL").fetchall()
        for atom, n, total in rows:
            if n:  # a question nobody answered still gives one empty row with no groups
                out[atom]["n"] += n
                out[atom]["sum"] += total
    return out


def _interview_atoms(con, source: str, b: str | None, atoms: tuple[str, ...], themes: str
                     ) -> Atoms:
    a = _atom_sql(b, atoms)
    out: Atoms = defaultdict(lambda: defaultdict(float))
    for atom, n in con.execute(f"SELECT {a}, count(*) FROM {quote_ident(source)} GROUP BY ALL"
                               ).fetchall():
        out[atom]["n"] += n
    col = quote_ident(themes)
    for atom, theme, n in con.execute(
            f"SELECT {a}, t, count(*) FROM (SELECT *, unnest(list_distinct({col})) AS t FROM "
            f"{quote_ident(source)} WHERE {col} IS NOT NULL) GROUP BY ALL").fetchall():
        out[atom][f"t:{theme}"] += n
    return out


# --- the publication's ledger --------------------------------------------------------------


def public_files(report: Any) -> dict[str, str]:
    """The downloads of the public site, as text, exactly as publish writes them."""
    from .tables import baselines_json, csv_files

    public = report
    if report.benchmark is not None:
        public = replace(report, benchmark=report.benchmark.public_view())
    files = {f"data/{name}": text for name, _, text in csv_files(public)}
    if report.benchmark is not None:
        files["baselines.json"] = baselines_json(public)
    return files


# Private reports' entries within one protection run, keyed by everything figures.csv is made
# from: the organisation's own figures and the baselines it is shown. Cleared at the start of
# each run (the structure ``st`` is fixed within one).
_PRIVATE: dict = {}


def private_entries(report: Any, org: str, st: dict) -> list[Entry]:
    from .tables import figures_csv

    assert report.benchmark is not None
    view = report.benchmark.private_view(org)
    key = (org, view.orgs, view.positions, view.changes, view.baselines, view.measures)
    got = _PRIVATE.get(key)
    if got is None:
        got = _PRIVATE[key] = read_private(figures_csv(view), st, f"{org}/figures.csv")
    return got


def _rest_entries(entries: list[Entry], sector: str) -> list[Entry]:
    """The rest of the reader's sector (its other organisations) when that sector is withheld:
    what the reader could learn about its peers."""
    out, seen = [], set()
    for e in entries:
        if e.value is None and e.primary and e.atoms == frozenset({sector}) \
                and e.key not in seen:
            seen.add(e.key)
            out.append(replace(e, unit=f"rest|{e.unit}", primary=True,
                               label=f"{e.label} (its other organisations)"))
    return out


def _candidates(report: Any, entries: list[Entry], truth: Truth) -> list[str]:
    """Organisations whose sector is withheld in some benchmark table of ``entries``."""
    if report.benchmark is None:
        return []
    withheld = {next(iter(e.atoms)) for e in entries
                if e.value is None and e.table.split(":")[0] in ("bm", "chg")
                and e.atoms is not None and len(e.atoms) == 1}
    return [org for org, _, _ in report.benchmark.names
            if truth.sector_of.get(org) in withheld]


def select_readers(public: list[Entry], privates: dict[str, list[Entry]],
                   sector_of: dict[str, str]) -> dict[str, set[str]]:
    """The private readers to audit, and the tables to audit each in.

    A private report adds its organisation's own figures to what the public site gives; that
    only sharpens a withheld figure when the organisation's own sector is withheld in the same
    table (inside a published sector, its own figures split a published total that no
    withheld figure depends on). Among a withheld sector's organisations, the intruders taken
    are the ones the p% rule takes (ESSnet Handbook on SDC, section 4.2.2): the largest
    contributors, here the two with most respondents, since the more a reader knows of the
    total, the less is left to hide the rest. For change counts every organisation of the
    sector is a reader (each knows only its own direction; readers who know the same are
    solved once)."""
    withheld = {(e.table, next(iter(e.atoms))) for e in public
                if e.value is None and e.table.split(":")[0] in ("bm", "chg")
                and e.atoms is not None and len(e.atoms) == 1}
    by_cell: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    for org, entries in privates.items():
        sector = sector_of.get(org, OTHER)
        for e in entries:
            if e.atoms == frozenset({SELF}) and (e.table, sector) in withheld and (
                    e.coefs == (("resp", 1.0),) or (e.table.startswith("chg:")
                    and e.coefs == (("k", 1.0),))):
                by_cell[(e.table, sector)].append((e.value or 0.0, org))
    out: dict[str, set[str]] = defaultdict(set)
    for (table, _), orgs in by_cell.items():
        chosen = sorted(orgs, reverse=True)
        for _, org in chosen[:2] if table.startswith("bm:") else chosen:
            out[org].add(table)
    return out


def run_audit(report: Any, st: dict, truth: Truth | None, public: list[Entry],
              privates: dict[str, list[Entry]] | None = None) -> tuple[AuditResult, int]:
    """The audit of the public site, then of the private reports that can add to it (see
    ``select_readers``). Without ``privates``, the candidates are made from the report."""
    res = audit(public, st, truth.for_reader(None) if truth else None)
    findings, checked, narrow = list(res.findings), res.checked, res.narrowest
    if privates is None:
        privates = ({org: private_entries(report, org, st)
                     for org in _candidates(report, public, truth)}
                    if truth is not None and report is not None else {})
    sector_of = (truth.sector_of if truth is not None else
                 {org: _sector_from(pe) for org, pe in privates.items()})
    tables = select_readers(public, privates, sector_of)
    bm_public = [e for e in public if e.table.split(":")[0] in ("bm", "chg")]
    for org in sorted(tables):
        sector = sector_of.get(org, OTHER)
        mine = [e for e in bm_public + privates[org] if e.table in tables[org]]
        r = audit(mine, st, truth.for_reader(org) if truth else None,
                  reader=(org, sector), extra=_rest_entries(mine, sector))
        findings += r.findings
        checked += r.checked
        if r.narrowest is not None:
            narrow = r.narrowest if narrow is None else min(narrow, r.narrowest)
    return AuditResult(checked, tuple(findings), narrow), len(tables)


def _sector_from(entries: list[Entry]) -> str:
    """A private report's sector, from the baseline rows it shows (its own and the nation's)."""
    for e in entries:
        if e.atoms is not None and e.unit is not None and len(e.atoms) == 1 \
                and e.unit.startswith("bm|"):
            return next(iter(e.atoms))
    return OTHER


def _code_hash() -> str:
    """A hash of rocsreport's own source: a cached result is never reused by other code."""
    import hashlib

    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _protect_key(con: duckdb.DuckDBPyConnection, st: dict) -> str | None:
    """What the protection of a report depends on: the loaded data and study file (the
    database's fingerprint), the publication's structure and the code."""
    import hashlib

    try:
        row = con.execute("SELECT value FROM _meta WHERE key = 'fingerprint'").fetchone()
    except duckdb.Error:
        return None
    if not row:
        return None
    blob = json.dumps(st, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{row[0]}\n{_code_hash()}\n{blob}".encode()).hexdigest()


def protect(report: Any, con: duckdb.DuckDBPyConnection, cache: Path | None = None
            ) -> tuple[Any, Protection, Truth]:
    """The report with every complement the audit asks for withheld, the record of it, and
    the true values (for the audit of the written files).

    With ``cache`` (a folder beside the database), the complements found for the same data,
    study and code are reused instead of searched for again. That is safe because nothing is
    written unaudited: publish and orgs audit the files they write (and a failed audit
    stops the build)."""
    st = structure(report)
    _PRIVATE.clear()
    truth = truths(con, report, st)
    key = _protect_key(con, st) if cache is not None else None
    path = Path(cache) / f"{key}.json" if key else None
    if path is not None and path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            rec = Protection(tuple(doc["units"]), int(doc["checked"]), int(doc["readers"]),
                             doc["narrowest"])
            return apply_units(report, set(rec.units)), rec, truth
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: search again
    current, rec = _protect_loop(report, st, truth)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"units": list(rec.units), "checked": rec.checked,
                                       "readers": rec.readers, "narrowest": rec.narrowest}),
                           encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    return current, rec, truth


def _protect_loop(report: Any, st: dict, truth: Truth) -> tuple[Any, Protection]:
    units: set[str] = set()
    for _round in range(200):
        current = apply_units(report, units)
        public = read_files(public_files(current), st)
        res, readers = run_audit(current, st, truth, public)
        if os.environ.get("ROCSREPORT_DEBUG_PROTECT"):
            print(f"round {_round}: {res.checked} checked, {len(res.findings)} findings, "
                  f"{readers} readers, {len(units)} units")
        if res.ok:
            return current, Protection(tuple(sorted(units)), res.checked, readers,
                                       res.narrowest)
        # One complement per dimension and round: a cell withheld for one finding is withheld
        # in every table over the same people, and often settles the others too.
        new: dict[str, str] = {}
        stuck = None
        for f in res.findings:
            family = (f.entry.unit or f.entry.table).removeprefix("rest|").rsplit("|", 1)[0]
            if family in new:
                continue
            u = _complement(f, current, st, truth, public, units | set(new.values()))
            if u is None:
                stuck = stuck or f  # perhaps settled by this round's other complements
                continue
            new[family] = u
        if not new:
            assert stuck is not None
            raise BuildError(f"disclosure: cannot protect {stuck.message()}")
        units |= set(new.values())
    raise BuildError("disclosure: secondary suppression did not converge")


def _complement(f: Finding, report, st, truth: Truth, public: list[Entry], units: set[str]
                ) -> str | None:
    """The published cell to withhold for a finding: the smallest one of its table whose
    withholding restores the protection, else the smallest one."""
    e = f.entry
    if f.low == f.high and e.unit is not None and e.unit not in units and e.value is not None:
        return e.unit  # a cell published directly below the threshold
    entries = public
    if f.reader is not None:
        entries = [x for x in public if x.table.split(":")[0] in ("bm", "chg")] + \
            private_entries(report, f.reader, st)
    group = groups_of(entries).get((e.table, e.dim), [])
    t = truth.for_reader(f.reader)
    cands = sorted({(t(x) or 0.0, x.unit) for x in group
                    if x.value is not None and x.base and x.unit is not None
                    and x.unit not in units and not x.unit.startswith("rest|")
                    and x.unit != e.unit})
    if not cands:
        return None
    sector = truth.sector_of.get(f.reader) if f.reader else None
    system = _System(st, e.table, e.dim, group, sector)
    r = float(st["rules"]["protection"])
    for _, u in cands:
        lo, hi, _ = system.solve(e, skip={u})
        if protected(lo, hi, t(e), e.base, r):
            return u
    return cands[0][1]


# --- withholding a unit everywhere ---------------------------------------------------------


def _withheld_now(r, group: str) -> bool:
    w = r.waves
    cell = next((c for c in w.cells if c.group == group), None) if w is not None else None
    return cell is None or cell.suppressed


def apply_units(report: Any, units: set[str]) -> Any:
    """The report with every cell of ``units`` withheld, in every table that shows it."""
    if not units:
        return report
    from .results import withheld

    survey = report.study.survey.id

    def w(bid: str, cell):
        return withheld(cell.group, secondary=True) if f"{survey}|{bid}|{cell.group}" in units \
            and not cell.suppressed else cell

    def bys(by):
        return tuple(replace(b, cells=tuple(w(b.breakdown.id, c) for c in b.cells)) for b in by)

    compare = report.compare
    indicators = tuple(replace(r, by=bys(r.by), total_by=bys(r.total_by))
                       for r in report.indicators)
    gaps = []
    for g in report.gaps:
        if compare is not None and (f"{survey}|{compare.id}|{g.a.group}" in units or
                                    f"{survey}|{compare.id}|{g.b.group}" in units):
            g = replace(g, a=w(compare.id, g.a), b=w(compare.id, g.b), diff=None, ci_low=None,
                        ci_high=None, test=None, p_value=None, p_adjusted=None,
                        significant=False)
        gaps.append(g)
    gap_for = {g.indicator.id: g for g in gaps}
    indicators = tuple(replace(r, gap=gap_for.get(r.indicator.id, r.gap)) for r in indicators)
    def crossed_cells(x):
        cells = tuple(withheld(c.group, secondary=True)
                      if f"{survey}|{x.a.id}*{x.b.id}|{c.group}" in units and not c.suppressed
                      else c for c in x.cells)
        return replace(x, cells=cells)

    indicators = tuple(replace(r, crossed=tuple(crossed_cells(x) for x in r.crossed))
                       for r in indicators)
    # A change between waves is shown only where both waves' figures are.
    indicators = tuple(replace(r, wave_change=None) if r.wave_change is not None and (
        _withheld_now(r, r.wave_change.a.group) or _withheld_now(r, r.wave_change.b.group))
        else r for r in indicators)
    likert = tuple(replace(it, top2_by=bys(it.top2_by), mean_by=bys(it.mean_by))
                   for it in report.likert)
    multis = tuple(replace(mq, options=tuple(replace(o, by=bys(o.by)) for o in mq.options))
                   for mq in report.multis)
    singles = tuple(replace(mq, options=tuple(replace(o, by=bys(o.by)) for o in mq.options))
                    for mq in report.singles)
    numbers = []
    for num in report.numbers:
        cells = []
        for c in num.nps:
            bid = c.breakdown or (compare.id if compare is not None else None)
            if bid is not None and f"{survey}|{bid}|{c.group}" in units \
                    and not c.suppressed:
                c = replace(c, n=None, promoters=None, passives=None, detractors=None,
                            score=withheld(c.group, secondary=True), suppressed=True,
                            low_base=False)
            cells.append(c)
        quantiles = tuple(replace(c, n=None, estimate=None, ci_low=None, ci_high=None, se=None,
                                  df=None, suppressed=True, secondary=True)
                          if f"{survey}|{c.breakdown}|{c.group}" in units and not c.suppressed
                          else c for c in num.quantiles)
        numbers.append(replace(num, mean_by=bys(num.mean_by), total_by=bys(num.total_by),
                               nps=tuple(cells), quantiles=quantiles))
    crosstabs = tuple(_crosstab_units(ct, survey, units) for ct in report.crosstabs)
    interviews = report.interviews
    if interviews is not None:
        iv = report.study.interviews
        drop = [k for k, g in enumerate(interviews.groups)
                if f"{iv.source}|{iv.by}|{g}" in units]
        if drop:
            def cut(values):
                return tuple(None if k in drop else v for k, v in enumerate(values))
            interviews = replace(interviews, secondary=tuple(
                                     sec or (k in drop and base is not None) for k, (sec, base)
                                     in enumerate(zip(interviews.secondary, interviews.bases,
                                                      strict=True))),
                                 bases=cut(interviews.bases),
                                 org_bases=cut(interviews.org_bases),
                                 themes=tuple(replace(t, interviewees=cut(t.interviewees),
                                                      organisations=cut(t.organisations))
                                              for t in interviews.themes))
    bm = report.benchmark
    if bm is not None:
        bm = replace(bm, baselines=tuple(
            replace(b, mean=None, n=None, k=None, se=None, ci_low=None, ci_high=None,
                    secondary=True)
            if f"bm|{b.wave}|{b.scope}" in units and not b.suppressed else b
            for b in bm.baselines), counts=tuple(
            replace(c, up=None, down=None, unchanged=None, total=None, suppressed=True,
                    secondary=True)
            if f"chg|{c.from_wave}:{c.to_wave}|{c.scope}" in units and not c.suppressed
            else c for c in bm.counts))
        # Changes of a mean are published only where both means are.
        from .benchmark import _index_changes, open_sectors
        bm = replace(bm, index_changes=tuple(_index_changes(bm, report.study.confidence)),
                     relationships=open_sectors(bm.relationships, bm.baselines))
    return replace(report, indicators=indicators, gaps=tuple(gaps), likert=likert,
                   multis=multis, singles=singles, numbers=tuple(numbers),
                   crosstabs=crosstabs,
                   interviews=interviews, benchmark=bm)


def _crosstab_units(ct, survey: str, units: set[str]):
    from .results import withheld

    drop = {k for k, e in enumerate(ct.columns)
            if f"{survey}|{ct.breakdown.id}|{e.group}" in units and not e.suppressed}
    if not drop:
        return ct
    gone = {ct.letters[k] for k in drop}
    columns = tuple(withheld(e.group, secondary=True) if k in drop else e
                    for k, e in enumerate(ct.columns))
    cells = tuple(tuple(None if k in drop or c is None else
                        replace(c, letters="".join(x for x in c.letters if x not in gone))
                        for k, c in enumerate(row)) for row in ct.cells)
    # The Rao-Scott test was computed with the column in; it is not shown without it.
    return replace(ct, columns=columns, cells=cells, test=None)


# --- auditing published folders -----------------------------------------------------------


@dataclass(frozen=True)
class FolderAudit:
    site: Path
    reports: int  # private reports read
    result: AuditResult
    readers: int


def audit_published(folders: list[Path]) -> FolderAudit:
    """The audit of published folders, as an outside reader can run it: one public site and
    any folders of private reports, read from their files alone (no true values: the rule
    checked is the one any true value would need)."""
    from .folders import PRIVATE, SITE, kind_of

    sites = [f for f in folders if kind_of(f) == SITE]
    private = [f for f in folders if kind_of(f) == PRIVATE]
    other = [f for f in folders if f not in sites and f not in private]
    if other:
        raise RocsError(f"{other[0]}: not a folder written by rocsreport build or orgs (no "
                        "marker file)")
    if len(sites) != 1:
        raise RocsError("give exactly one public site folder (written by rocsreport build), "
                        f"and any private report folders; got {len(sites)} sites")
    site = sites[0]
    st = _ledger_json(site)
    files = {str(p.relative_to(site)): p.read_text(encoding="utf-8")
             for p in sorted(site.rglob("*")) if p.is_file() and
             (p.relative_to(site).parts[0] == "data" or p.name in ("baselines.json",
                                                                     "baselines.csv"))}
    public = read_files(files, st)
    privates: dict[str, list[Entry]] = {}
    for folder in private:
        if _ledger_json(folder) != st:
            raise RocsError(f"{folder}: its reports are of another study or build than {site}")
        for fig in sorted(folder.glob("*/figures.csv")):
            where = f"{folder.name}/{fig.parent.name}/figures.csv"
            privates[f"{folder.name}/{fig.parent.name}"] = read_private(
                fig.read_text(encoding="utf-8"), st, where)
    res, readers = run_audit(None, st, None, public, privates)
    return FolderAudit(site, len(privates), res, readers)


def _ledger_json(folder: Path) -> dict:
    path = folder / "ledger.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RocsError(f"{path}: missing; the folder was built by a rocsreport without the "
                        "disclosure ledger, rebuild it") from None
    except json.JSONDecodeError as exc:
        raise RocsError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
