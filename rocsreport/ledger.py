"""The disclosure ledger: every additive figure a build publishes, with the people it covers.

A published table is a set of cells; each cell is a sum over *atoms*, the finest classes that
the study's structure defines (for a survey question X and a breakdown question B: one atom per
code of B and per answer of X, plus an atom for anything B leaves uncoded). A published figure
is a linear function of the atoms' counts and sums: a base is Σ n, a proportion times its base
is the count answering yes, a mean times its base is the sum. So everything published
together is a system of linear equations over non-negative unknowns, and what a reader can
work out about a withheld figure is the range of that figure over the system's solutions:
the audit of τ-ARGUS and sdcTable (linear programming over linked tables; ESSnet Handbook on
Statistical Disclosure Control, 2010, section 4.3).

The ledger is read from the built files themselves (the CSV downloads, baselines.json and each
private report's figures.csv) with the structure in ``ledger.json``; it never looks at the
suppression code's decisions, only at what the files hold.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from typing import Any

from .aggregate import NOT_STATED
from .errors import RocsError

OTHER = "(other)"  # the atom of a dimension for anything its codes leave out: blank, missing
SELF = "(self)"  # the atom of the organisation that reads its own private report
VERSION = 1
ALL = "All"


@dataclass(frozen=True)
class Entry:
    """One published (or withheld) additive figure."""

    table: str  # the population: q:<question>, iv, bm:<wave>:<measure>, chg:<from>:<to>
    dim: str | None  # the dimension the cell classifies by; None: the whole population
    atoms: frozenset[str] | None  # the dimension's atoms in the cell; None: all of them
    coefs: tuple[tuple[str, float], ...]  # per-atom variable -> coefficient
    value: float | None  # None: withheld
    where: str  # file and row
    unit: str | None  # the withholding unit (source|breakdown|group); None for a total
    base: float  # for a count of people or organisations, its threshold (0: not a base)
    label: str  # what it is, for messages
    primary: bool = False  # withheld for its own sake (not only as a complement): to protect

    @property
    def key(self) -> tuple:
        return (self.table, self.dim, self.atoms, self.coefs)


@dataclass(frozen=True)
class Table:
    """The unknowns of one population classified by one dimension."""

    atoms: tuple[str, ...]
    variables: tuple[str, ...]
    # (variable, lower, upper, per): lower·per ≤ variable ≤ upper·per, per None: absolute.
    relations: tuple[tuple[str, float | None, float | None, str | None], ...]


# --- structure: what the files mean --------------------------------------------------------


def structure(report: Any) -> dict:
    """The study's structure as the ledger needs it: dimensions, groups and codes, indicator
    definitions, benchmark scales. No figures: only the codebook, which the methodology page
    publishes anyway."""
    study = report.study
    survey = study.survey.id
    qs = {}
    for q in study.questions:
        if q.type in ("id", "text"):
            continue
        qs[q.id] = {"type": q.type, "source": list(_sources(study, q.id)),
                    "codes": [c.value for c in q.codes],
                    "valid": [c.value for c in q.valid_codes],
                    "labels": {c.value: c.label for c in q.codes},
                    "nps": q.scale == "nps", "min": q.min, "max": q.max}
        if q.type == "number" and q.scale == "nps":
            qs[q.id]["valid"] = [str(v) for v in range(0, 11)]
    bds = {}
    for b in study.breakdowns:
        bds[b.id] = {"question": b.question,
                     "groups": {g.label: list(g.codes) for g in b.groups}}
    doc: dict[str, Any] = {
        "version": VERSION, "survey": survey,
        "weighted": study.weight_column is not None,
        "rules": {"suppress_below": study.disclosure.suppress_below,
                  "protection": study.disclosure.protection},
        "questions": qs, "breakdowns": bds,
        "indicators": {i.id: {"question": i.question, "base": list(i.base),
                              "numerator": list(i.numerator)} for i in study.indicators},
        "compare": next((b.id for b in study.breakdowns if b.compare), None),
        "crosstabs": [[c.rows, c.columns] for c in study.crosstabs],
        "crossed": [list(p) for p in study.crossed],
        "interviews": None, "benchmark": None,
    }
    if study.interviews is not None:
        iv = study.interviews
        doc["interviews"] = {"source": iv.source, "by": iv.by, "themes": iv.themes}
    bm = report.benchmark
    if bm is not None:
        doc["benchmark"] = {
            "sectors": list(bm.sectors), "waves": list(bm.waves),
            "measures": [m for m, _ in bm.measures],
            "bounds": {m: ([-100.0, 100.0] if m == "nps" else [0.0, 100.0])
                       for m, _ in bm.measures},
            "min_respondents": study.disclosure.suppress_below,
            "min_organisations": bm.spec.min_organisations,
            "publish_organisation_scores": bm.spec.publish_organisation_scores,
            "weighted": bm.weighted}
    return doc


def _sources(study: Any, qid: str) -> list[str]:
    return [s.id for s in study.sources if qid in {q.id for q in study.questions_of(s.id)}]


def dims_of(st: dict) -> dict[str, tuple[str, ...]]:
    """The atoms of every dimension: a breakdown question's codes, then OTHER."""
    out: dict[str, tuple[str, ...]] = {}
    for b in st["breakdowns"].values():
        q = b["question"]
        out[q] = (*st["questions"][q]["codes"], OTHER)
    if st["benchmark"]:
        out["sector"] = (*st["benchmark"]["sectors"], OTHER)
    for a, b in st.get("crossed", ()):
        qa, qb = st["breakdowns"][a]["question"], st["breakdowns"][b]["question"]
        out[cross_dim(qa, qb)] = tuple(pair(x, y) for x in out[qa] for y in out[qb])
    return out


def cross_dim(qa: str, qb: str) -> str:
    """The dimension of a crossed breakdown: its atoms are pairs of the two questions'."""
    return f"{qa}*{qb}"


def pair(x: str, y: str) -> str:
    return f"{x}\x1f{y}"


def crossed_atoms(st: dict, a: str, b: str, ga: str, gb: str) -> frozenset[str]:
    return frozenset(pair(x, y) for x in group_atoms(st, a, ga) for y in group_atoms(st, b, gb))


def link_crossed(st: dict, entries: list[Entry]) -> list[Entry]:
    """A crossed table's margins are the two breakdowns' own cells: every cell of either
    breakdown in a table that has a crossed dimension joins that dimension too, over the
    pairs it covers, so the audit sees rows and columns summing to their margins."""
    dims = dims_of(st)
    crossed = {}
    for a, b in st.get("crossed", ()):
        qa, qb = st["breakdowns"][a]["question"], st["breakdowns"][b]["question"]
        crossed[cross_dim(qa, qb)] = (qa, qb)
    if not crossed:
        return entries
    present = {(e.table, e.dim) for e in entries if e.dim in crossed}
    extra = []
    for e in entries:
        for table, dim in present:
            if e.table != table or e.atoms is None:
                continue
            qa, qb = crossed[dim]
            if e.dim == qa:
                atoms = frozenset(pair(x, y) for x in e.atoms for y in dims[qb])
            elif e.dim == qb:
                atoms = frozenset(pair(x, y) for x in dims[qa] for y in e.atoms)
            else:
                continue
            extra.append(replace(e, dim=dim, atoms=atoms))
    return entries + extra


def group_atoms(st: dict, bid: str, group: str) -> frozenset[str]:
    b = st["breakdowns"][bid]
    atoms = dims_of(st)[b["question"]]
    if group == NOT_STATED:
        coded = {c for codes in b["groups"].values() for c in codes}
        return frozenset(a for a in atoms if a not in coded)
    if group not in b["groups"]:
        raise RocsError(f"ledger: breakdown {bid!r} has no group {group!r}")
    return frozenset(b["groups"][group])


def table_of(st: dict, table: str, dim: str | None, with_self: str | None = None) -> Table:
    """The unknowns of ``table`` classified by ``dim``: atoms, variables and their bounds."""
    dims = dims_of(st)
    atoms: tuple[str, ...] = dims[dim] if dim is not None else (ALL,)
    if with_self is not None and table.split(":")[0] in ("bm", "chg"):
        atoms = (*atoms, SELF)
    kind, _, rest = table.partition(":")
    if kind == "q":
        q = st["questions"][rest]
        if q["type"] in ("single", "likert") or q["nps"]:
            return Table(atoms, tuple(q["valid"]), ())
        if q["type"] == "multi":
            opts = tuple(f"o:{c}" for c in q["valid"])
            return Table(atoms, ("n", *opts), tuple((o, 0.0, 1.0, "n") for o in opts))
        return Table(atoms, ("n", "sum"), (("sum", q["min"], q["max"], "n"),))
    if kind == "iv":
        themes = tuple(f"t:{c}" for c in st["questions"][st["interviews"]["themes"]]["valid"])
        return Table(atoms, ("n", *themes), tuple((t, 0.0, 1.0, "n") for t in themes))
    if kind == "bm":
        lo, hi = st["benchmark"]["bounds"][rest.split(":")[1]]
        s = float(st["benchmark"]["min_respondents"])
        return Table(atoms, ("k", "resp", "sum"),
                     (("resp", s, None, "k"), ("sum", lo, hi, "resp")))
    if kind == "chg":
        return Table(atoms, ("k", "up", "down"),
                     (("up", 0.0, 1.0, "k"), ("down", 0.0, 1.0, "k"), ("updown", None, 1.0, "k")))
    raise RocsError(f"ledger: unknown table {table!r}")


# --- reading the built files ---------------------------------------------------------------


def _num(s: str | None) -> float | None:
    if s is None or s == "" or s == "None":
        return None
    return float(s)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _primary(row: dict[str, str]) -> bool:
    """A row withheld for its own sake: suppressed, and not only as a complement."""
    return str(row.get("suppressed")) == "True" and str(row.get("secondary")) != "True"


def _count(p: float | None, n: float | None) -> float | None:
    """A proportion times its base: the count, rounded when it is one (it always is for
    unweighted data; the CSVs carry twelve significant digits)."""
    if p is None or n is None:
        return None
    c = p * n
    return float(round(c)) if abs(c - round(c)) < 1e-6 else c


class _Reader:
    def __init__(self, st: dict):
        self.st = st
        self.entries: list[Entry] = []
        self.weighted = st["weighted"]

    def add(self, table, dim, atoms, coefs, value, where, unit, base, label,
            primary: bool = False):
        """``base``: True for a count of people, "orgs" for a count of organisations.
        ``primary``: the row says the figure is withheld for its own sake."""
        threshold = (float(self.st["benchmark"]["min_organisations"]) if base == "orgs" else
                     float(self.st["rules"]["suppress_below"]) if base else 0.0)
        self.entries.append(Entry(table, dim, atoms, tuple(sorted(coefs.items())), value, where,
                                  unit, threshold, label, primary and value is None))

    def cell(self, bid: str | None, group: str) -> tuple[str | None, frozenset | None, str | None]:
        if bid is None or bid == "all" or group == ALL:
            return None, None, None
        b = self.st["breakdowns"][bid]
        src = self.st["survey"]
        return b["question"], group_atoms(self.st, bid, group), f"{src}|{bid}|{group}"

    def proportion(self, qid: str, base: list[str], num: list[str], bid, group, n, est,
                   suppressed: bool, where: str, what: str, primary: bool = False):
        """A base and (unweighted) a count answering yes, in the table of question qid."""
        dim, atoms, unit = self.cell(bid, group)
        table = f"q:{qid}"
        label = f"{what}, {group if unit else ALL}"
        y = None if self.weighted else _count(est, n)
        for v in (((None, None),) if suppressed else ()) + ((n, y),) * (n is not None):
            # A row marked withheld that carries numbers anyway is both: withheld (so it is
            # checked) and published (so the check finds it).
            self.add(table, dim, atoms, {c: 1.0 for c in base}, v[0], where, unit, True,
                     f"{label}: base", primary)
            if not self.weighted:
                self.add(table, dim, atoms, {c: 1.0 for c in num}, v[1], where, unit, False,
                         f"{label}: count", primary)

    def mean(self, qid: str, bid, group, n, est, where: str, what: str, suppressed=False,
             primary: bool = False):
        dim, atoms, unit = self.cell(bid, group)
        q = self.st["questions"][qid]
        table = f"q:{qid}"
        label = f"{what}, {group if unit else ALL}"
        if q["type"] == "likert" or q["nps"]:
            base = {c: 1.0 for c in q["valid"]}
            total = {c: float(c) for c in q["valid"]}
        else:
            base, total = {"n": 1.0}, {"sum": 1.0}
        for nn, ee in (((None, None),) if suppressed else ()) + ((n, est),) * (n is not None):
            self.add(table, dim, atoms, base, nn, where, unit, True, f"{label}: base", primary)
            if not self.weighted:
                self.add(table, dim, atoms, total, None if nn is None or ee is None else ee * nn,
                         where, unit, False, f"{label}: sum", primary)


def read_files(files: dict[str, str], st: dict) -> list[Entry]:
    """Entries of every figure in a public site's downloads (path -> text)."""
    r = _Reader(st)
    known = {"ledger.json"}
    for path in sorted(files):
        text = files[path]
        name = path.rsplit("/", 1)[-1]
        if not path.startswith("data/") and path not in ("baselines.json", "baselines.csv"):
            continue
        if name.startswith("methodology-") or name.startswith("quantiles-") or name in (
                "relationship.csv", "relationship-sectors.csv", "index-change.csv",
                "crosstab-tests.csv", "crosstab-tests.json", "tracker-cycles.csv",
                "tracker-before-after.csv", "year-on-year.csv"):
            # Counts of records per source and the codebook; correlations and quantiles are
            # not additive (a quantile's base is its cell's mean's, withheld with it); a
            # change of a mean is published only where both means are (the difference of
            # two published figures); a crosstab's test is computed on its published columns
            # only, so it holds nothing that they do not. A tracker's figures are by cycle,
            # and a withheld cycle enters no limit, pool or total (tracker.py), so no
            # difference of them gives it; the year on year is the organisation's own
            # business metrics, not respondents' answers.
            continue
        if name == "organisations.csv" and st.get("benchmark", {}) and \
                st["benchmark"].get("publish_organisation_scores"):
            # Organisations' own scores, published by the study's choice. What stays
            # withheld is an organisation below the threshold, which enters no baseline;
            # benchmark.py keeps at least two of them in any wave's pool.
            continue
        rows = _rows(text) if name.endswith(".csv") else []
        if name == "index.csv":
            for k, row in enumerate(rows, 2):
                ind = st["indicators"][row["indicator"]]
                r.proportion(ind["question"], ind["base"], ind["numerator"], None, ALL,
                             _num(row["n"]), _num(row["estimate"]), row["suppressed"] == "True",
                             f"{path} line {k}", row["indicator"], _primary(row))
        elif name == "all-estimates.csv" or (name.startswith("indicator-")
                                              and name.endswith(".csv")) \
                or name.startswith("breakdown-"):
            for k, row in enumerate(rows, 2):
                iid = row.get("indicator") or name[len("indicator-"):-4]
                ind = st["indicators"][iid]
                bid = row.get("breakdown") or name[len("breakdown-"):-4]
                r.proportion(ind["question"], ind["base"], ind["numerator"], bid,
                             row["group"], _num(row["n"]), _num(row["estimate"]),
                             row["suppressed"] == "True", f"{path} line {k}", iid,
                             _primary(row))
        elif name == "totals.csv":
            _totals(r, rows, path)
        elif name == "gaps.csv":
            bid = st["compare"]
            for k, row in enumerate(rows, 2):
                ind = st["indicators"][row["indicator"]]
                for side in ("a", "b"):
                    n = _num(row[f"n_{side}"])
                    r.proportion(ind["question"], ind["base"], ind["numerator"], bid,
                                 row[f"group_{side}"], n, _num(row[f"estimate_{side}"]),
                                 n is None, f"{path} line {k}", row["indicator"])
        elif name == "agreement.csv":
            _agreement(r, rows, path)
        elif name.startswith("question-"):
            _question(r, rows, path, name[len("question-"):-4])
        elif name == "crosstabs.csv":
            _crosstabs(r, rows, path)
        elif name == "interviews.csv":
            _interviews(r, rows, path)
        elif name in ("national.csv", "baselines.json", "baselines.csv") or \
                name.startswith("sector-"):
            if name == "baselines.json":
                rows = [{k: ("" if v is None else str(v)) for k, v in b.items()}
                        for b in json.loads(text)["baselines"]]
            _baselines(r, rows, path)
        elif name == "change.csv":
            _changes(r, rows, path)
        elif name.startswith("crossed-"):
            _crossed(r, rows, path)
        elif name not in known:
            raise RocsError(f"audit: {path} is not a download the ledger knows; a figure in it "
                            "could not be checked")
    return link_crossed(st, r.entries)


def _totals(r: _Reader, rows, path):
    """Totals are weighted sums (a study must be weighted to publish them): their bases are
    respondents, as the same cells' proportions and means have."""
    if not r.weighted:
        raise RocsError(f"audit: {path} holds totals of an unweighted study; a total would "
                        "be a count of respondents the ledger does not read")
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        bid = row["breakdown"]
        if row["of"] == "indicator":
            ind = r.st["indicators"][row["id"]]
            r.proportion(ind["question"], ind["base"], ind["numerator"], bid, row["group"],
                         _num(row["n"]), _num(row["estimate"]), row["suppressed"] == "True",
                         where, f"{row['id']} total", _primary(row))
        else:
            r.mean(row["id"], bid, row["group"], _num(row["n"]), _num(row["estimate"]), where,
                   f"{row['id']} total", row["suppressed"] == "True", _primary(row))


def _crossed(r: _Reader, rows, path):
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        ind = r.st["indicators"][row["indicator"]]
        a, b = row["breakdown"], row["within"]
        qa, qb = r.st["breakdowns"][a]["question"], r.st["breakdowns"][b]["question"]
        dim = cross_dim(qa, qb)
        atoms = crossed_atoms(r.st, a, b, row["group"], row["within_group"])
        unit = f"{r.st['survey']}|{a}*{b}|{row['group']} × {row['within_group']}"
        n, est = _num(row["n"]), _num(row["estimate"])
        p = _primary(row)
        label = f"{row['indicator']}, {row['group']} × {row['within_group']}"
        r.add(f"q:{ind['question']}", dim, atoms, {c: 1.0 for c in ind["base"]}, n, where,
              unit, True, f"{label}: base", p)
        if not r.weighted:
            r.add(f"q:{ind['question']}", dim, atoms, {c: 1.0 for c in ind["numerator"]},
                  _count(est, n), where, unit, False, f"{label}: count", p)


def _agreement(r: _Reader, rows, path):
    for k, row in enumerate(rows, 2):
        qid, measure, where = row["question"], row["measure"], f"{path} line {k}"
        q = r.st["questions"][qid]
        valid = q["valid"]
        top = sorted(valid, key=int)[-2:]
        n, est = _num(row["n"]), _num(row["estimate"])
        if measure == "share":
            code = next(c for c in valid if q["labels"][c] == row["category"])
            r.add(f"q:{qid}", None, None, {code: 1.0}, None if r.weighted else _count(est, n),
                  where, None, False, f"{qid}, {row['category']}: count")
        elif measure == "agree" or measure.startswith("agree by "):
            bid = None if measure == "agree" else measure[len("agree by "):]
            r.proportion(qid, valid, top, bid, row["group"], n, est,
                         row["suppressed"] == "True", where, f"{qid} agree", _primary(row))
        elif measure == "mean" or measure.startswith("mean by "):
            bid = None if measure == "mean" else measure[len("mean by "):]
            r.mean(qid, bid, row["group"], n, est, where, f"{qid} mean",
                   row["suppressed"] == "True", _primary(row))


def _question(r: _Reader, rows, path, qid):
    q = r.st["questions"][qid]
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        if q["type"] == "multi":
            bid = row["breakdown"]
            dim, atoms, unit = r.cell(bid, row["group"])
            n, est = _num(row["n"]), _num(row["estimate"])
            grp = row["group"] if unit else ALL
            p = _primary(row)
            r.add(f"q:{qid}", dim, atoms, {"n": 1.0}, n, where, unit, True,
                  f"{qid}, {grp}: base", p)
            if not r.weighted:
                r.add(f"q:{qid}", dim, atoms, {f"o:{row['option']}": 1.0}, _count(est, n),
                      where, unit, False, f"{qid} = {row['option']}, {grp}: count", p)
        elif q["type"] == "single":
            # A single choice's distribution: the base is every valid answer of the cell, and
            # a share times it the count giving that answer.
            dim, atoms, unit = r.cell(row["breakdown"], row["group"])
            n, est = _num(row["n"]), _num(row["estimate"])
            grp = row["group"] if unit else ALL
            p = _primary(row)
            r.add(f"q:{qid}", dim, atoms, {c: 1.0 for c in q["valid"]}, n, where, unit, True,
                  f"{qid}, {grp}: base", p)
            if not r.weighted:
                r.add(f"q:{qid}", dim, atoms, {row["option"]: 1.0}, _count(est, n), where,
                      unit, False, f"{qid} = {row['option']}, {grp}: count", p)
        elif row["measure"] == "nps":
            bid = (None if row["group"] == ALL and row.get("breakdown") in (None, "", "all")
                   else row.get("breakdown") if row.get("breakdown") not in (None, "", "all")
                   else r.st["compare"])
            dim, atoms, unit = r.cell(bid, row["group"])
            n = _num(row["n"])
            grp = row["group"] if unit else ALL
            p = _primary(row)
            r.add(f"q:{qid}", dim, atoms, {c: 1.0 for c in q["valid"]}, n, where, unit, True,
                  f"{qid} NPS, {grp}: base", p)
            if not r.weighted:
                for col, codes in (("promoters", ("9", "10")), ("detractors",
                                                                tuple(str(v) for v in range(7)))):
                    r.add(f"q:{qid}", dim, atoms, {c: 1.0 for c in codes},
                          _count(_num(row[col]), n), where, unit, False,
                          f"{qid} {col}, {grp}: count", p)
        else:
            if row["measure"] == "total" and not r.weighted:
                raise RocsError(f"audit: {where} is a total of an unweighted study")
            r.mean(qid, row.get("breakdown") or None, row["group"], _num(row["n"]),
                   _num(row["estimate"]), where, f"{qid} mean", row["suppressed"] == "True",
                   _primary(row))


def _crosstabs(r: _Reader, rows, path):
    for k, row in enumerate(rows, 2):
        q = r.st["questions"][row["rows"]]
        code = next(c for c in q["valid"] if q["labels"][c] == row["row"])
        dim, atoms, unit = r.cell(row["columns"], row["column"])
        where = f"{path} line {k}"
        p = _primary(row)
        r.add(f"q:{row['rows']}", dim, atoms, {c: 1.0 for c in q["valid"]},
              _num(row["column_base"]), where, unit, True,
              f"crosstab {row['rows']}, {row['column']}: base", p)
        r.add(f"q:{row['rows']}", dim, atoms, {code: 1.0}, _num(row["n"]), where, unit, False,
              f"crosstab {row['rows']} = {row['row']}, {row['column']}: count", p)


def _interviews(r: _Reader, rows, path):
    by = r.st["interviews"]["by"]
    src = r.st["interviews"]["source"]
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        if row["group"] == ALL:
            dim, atoms, unit = None, None, None
        else:
            dim = r.st["breakdowns"][by]["question"]
            atoms, unit = group_atoms(r.st, by, row["group"]), f"{src}|{by}|{row['group']}"
        p = _primary(row)
        r.add("iv", dim, atoms, {"n": 1.0}, _num(row["interviewees_base"]), where, unit, True,
              f"interviewees, {row['group']}: base", p)
        r.add("iv", dim, atoms, {f"t:{row['theme']}": 1.0}, _num(row["interviewees"]), where,
              unit, False, f"theme {row['theme']}, {row['group']}: interviewees", p)


def _scope(r: _Reader, scope: str, what: str, key: str):
    sectors = r.st["benchmark"]["sectors"]
    if scope == "All sectors":
        return None, None, None
    if scope == NOT_STATED:
        return "sector", frozenset({OTHER}), f"{what}|{key}|{NOT_STATED}"
    if scope not in sectors:
        raise RocsError(f"ledger: unknown scope {scope!r}")
    return "sector", frozenset({scope}), f"{what}|{key}|{scope}"


def _baselines(r: _Reader, rows, path):
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        dim, atoms, unit = _scope(r, row["scope"], "bm", row["wave"])
        table = f"bm:{row['wave']}:{row['measure']}"
        kk, n, mean = _num(row["organisations"]), _num(row["respondents"]), _num(row["mean"])
        label = f"{row['scope']} {row['measure']} {row['wave']}"
        p = _primary(row)
        r.add(table, dim, atoms, {"k": 1.0}, kk, where, unit, "orgs", f"{label}: organisations",
              p)
        r.add(table, dim, atoms, {"resp": 1.0}, n, where, unit, True, f"{label}: respondents",
              p)
        if not (r.st.get("benchmark") or {}).get("weighted"):
            # A weighted mean times its respondents is no sum: no linear relation to add.
            r.add(table, dim, atoms, {"sum": 1.0},
                  None if n is None or mean is None else mean * n,
                  where, unit, False, f"{label}: sum of scores", p)


def _changes(r: _Reader, rows, path):
    for k, row in enumerate(rows, 2):
        where = f"{path} line {k}"
        key = f"{row['from_wave']}:{row['to_wave']}"
        dim, atoms, unit = _scope(r, row["scope"], "chg", key)
        table = f"chg:{key}"
        label = f"{row['scope']} change {key}"
        total = _num(row["organisations"])
        p = _primary(row)
        r.add(table, dim, atoms, {"k": 1.0}, total, where, unit, "orgs", f"{label}: organisations",
              p)
        for col, coefs in (("up", {"up": 1.0}), ("down", {"down": 1.0}),
                           ("unchanged", {"k": 1.0, "up": -1.0, "down": -1.0})):
            r.add(table, dim, atoms, coefs, _num(row[col]), where, unit, False,
                  f"{label}: {col}", p)


def read_private(text: str, st: dict, where: str) -> list[Entry]:
    """Entries of one private report's figures.csv: the organisation's own figures (the SELF
    atom) and the baselines it shows."""
    r = _Reader(st)
    rows = _rows(text)
    base_rows = [row for row in rows if row["kind"] == "baseline"]
    _baselines(r, [{**row, "organisations": row["organisations"]} for row in base_rows],
               where)
    for k, row in enumerate(rows, 2):
        w = f"{where} line {k}"
        if row["kind"] == "own":
            table = f"bm:{row['wave']}:{row['measure']}"
            n, mean = _num(row["respondents"]), _num(row["mean"])
            atoms = frozenset({SELF})
            label = f"own {row['measure']} {row['wave']}"
            r.add(table, "sector", atoms, {"k": 1.0}, 1.0 if n is not None else None, w, None,
                  "orgs", f"{label}: organisations")
            r.add(table, "sector", atoms, {"resp": 1.0}, n, w, None, True,
                  f"{label}: respondents")
            r.add(table, "sector", atoms, {"sum": 1.0},
                  None if n is None or mean is None else n * mean, w, None, False,
                  f"{label}: sum of scores")
        elif row["kind"] == "own change":
            table = f"chg:{row['wave']}"
            d = row["direction"]
            atoms = frozenset({SELF})
            for col, coefs, v in (("organisations", {"k": 1.0}, 1.0),
                                  ("up", {"up": 1.0}, float(d == "up")),
                                  ("down", {"down": 1.0}, float(d == "down"))):
                r.add(table, "sector", atoms, coefs, v, w, None,
                      "orgs" if col == "organisations" else False,
                      f"own change {row['wave']}: {col}")
    return r.entries
