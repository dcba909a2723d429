"""The disclosure audit: for every withheld figure, the range a reader can work out from
everything published together, by linear programming over the ledger (scipy's HiGHS).

The protection rule (after τ-ARGUS's protection levels): a withheld figure with true value t
must keep a feasible range that reaches t·(1 − r) or below and t·(1 + r) or above, r being
``disclosure.protection`` (default 0.5, ±50%); a withheld count of people or organisations
(a base) must also keep a range at least ``suppress_below`` wide. Without the true values (an
outside auditor's run of ``rocsreport audit``), the rule checked is the one any true value
would need: the range must hold some t with both margins, and a base range must be at least
``suppress_below`` wide; a range that is exactly zero is an empty cell and passes.
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .ledger import SELF, Entry, table_of

EPS = 1e-6


@dataclass(frozen=True)
class Finding:
    entry: Entry
    low: float
    high: float
    truth: float | None
    route: tuple[str, ...]  # the published figures that pin the range down
    reader: str | None = None  # the organisation whose private report was read beside

    def message(self) -> str:
        t = "" if self.truth is None else f" (true value {self.truth:g})"
        who = f" with the private report of {self.reader}" if self.reader else ""
        hi = "unbounded" if math.isinf(self.high) else f"{self.high:.6g}"
        route = "; ".join(self.route[:4]) + (" …" if len(self.route) > 4 else "")
        return (f"{self.entry.label} ({self.entry.where}) can be worked out{who} to between "
                f"{self.low:.6g} and {hi}{t}, from: {route or 'the published totals'}")


@dataclass(frozen=True)
class AuditResult:
    checked: int  # withheld figures checked
    findings: tuple[Finding, ...]
    narrowest: float | None  # smallest (range / true value) seen, when truths are known

    @property
    def ok(self) -> bool:
        return not self.findings


def protected(lo: float, hi: float, truth: float | None, base: float, r: float) -> bool:
    """Whether a range [lo, hi] protects a figure (``base``: its threshold width if it is a
    count of people or organisations, else 0)."""
    if truth is not None:
        if abs(truth) <= EPS:
            return True  # nothing there to protect
        a = abs(truth)
        if lo > truth - r * a + EPS or hi < truth + r * a - EPS:
            return False
        return hi - lo >= base - EPS
    if abs(lo) <= EPS and abs(hi) <= EPS:
        return True
    if hi - lo < base - EPS:
        return False
    # Some t > 0 with lo ≤ (1 - r) t and (1 + r) t ≤ hi.
    return hi / (1 + r) >= lo / (1 - r) - EPS if r < 1 else True


def _expand(e: Entry, self_sector: str | None) -> frozenset[str] | None:
    """A public cell that holds the reader's sector holds the reader too; the rest of that
    sector (a figure to protect) does not."""
    if self_sector is None or e.atoms is None or self_sector not in e.atoms or is_rest(e):
        return e.atoms
    return e.atoms | {SELF}


def is_rest(e: Entry) -> bool:
    return e.unit is not None and e.unit.startswith("rest|")


_HIGHS = None
# Ranges already solved, keyed by everything that determines them: the table, the reader's
# sector, every published figure of the system, and the figure asked about. A pure function
# of its key, so a cached range is the range.
_RANGES: dict = {}


def _solver():
    """One HiGHS instance per process (highspy, the solver scipy uses, called directly so the
    model is built once and re-solved warm for each figure: ten times faster for many small
    problems). Its banner, printed on the first construction, is kept off the terminal."""
    global _HIGHS
    if _HIGHS is None:
        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                _HIGHS = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _HIGHS.setOptionValue("output_flag", False)
    return _HIGHS


class _System:
    """The linear system of one table and dimension: published equations, per-atom bounds."""

    def __init__(self, st: dict, table: str, dim: str | None, entries: list[Entry],
                 self_sector: str | None):
        import highspy

        t = table_of(st, table, dim, self_sector)
        self.atoms, self.vars = t.atoms, t.variables
        self.col = {(a, v): i for i, (a, v) in enumerate(
            (a, v) for a in t.atoms for v in t.variables)}
        self.self_sector = self_sector
        n = len(self.col)
        inf = highspy.kHighsInf
        lower = np.zeros(n)
        rows: list[tuple[dict[int, float], float, float]] = []
        for var, lo, hi, per in t.relations:
            parts = ["up", "down"] if var == "updown" else [var]
            for a in t.atoms:
                if lo is not None and len(parts) == 1:
                    rows.append(({self.col[(a, per)]: lo, self.col[(a, parts[0])]: -1.0},
                                 -inf, 0.0))
                    if lo < 0:
                        lower[self.col[(a, parts[0])]] = -inf
                if hi is not None:
                    row = {self.col[(a, p)]: 1.0 for p in parts}
                    row[self.col[(a, per)]] = row.get(self.col[(a, per)], 0.0) - hi
                    rows.append((row, -inf, 0.0))
        self.first = len(rows)
        seen: dict = {}
        for e in entries:
            if e.value is not None:
                seen.setdefault(self.key(e), e)
        self.published = list(seen.values())
        for e in self.published:
            vec = self.vector(e)
            # Published values carry twelve significant digits: allow that much slack.
            slack = max(1e-9, 1e-9 * abs(e.value))
            rows.append(({i: c for i, c in vec.items()}, e.value - slack, e.value + slack))
        self.bounds = [(r[1], r[2]) for r in rows]
        h = _solver()
        h.clearModel()
        h.addVars(n, lower, np.full(n, inf))
        for row, lo, hi in rows:
            idx = np.array(sorted(row), dtype=np.int32)
            h.addRow(lo, hi, len(idx), idx, np.array([row[i] for i in idx], dtype=float))
        self.h, self.n, self.inf = h, n, inf

    def key(self, e: Entry):
        return (_expand(e, self.self_sector), e.coefs)

    def vector(self, e: Entry) -> dict[int, float]:
        v: dict[int, float] = defaultdict(float)
        atoms = _expand(e, self.self_sector)
        for a in self.atoms:
            if atoms is not None and a not in atoms:
                continue
            for var, c in e.coefs:
                v[self.col[(a, var)]] += c
        return v

    def solve(self, e: Entry, skip: set | None = None) -> tuple[float, float, tuple[str, ...]]:
        """Min and max of ``e`` over the system, and the published figures that bind them.
        ``skip``: units whose figures are taken as withheld (to try a complement)."""
        import highspy

        h = self.h
        off = [self.first + k for k, pe in enumerate(self.published)
               if skip and pe.unit in skip]
        for i in off:
            h.changeRowBounds(i, -self.inf, self.inf)
        cost = np.zeros(self.n)
        for i, c in self.vector(e).items():
            cost[i] = c
        h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost)
        out, route = [], set()
        try:
            for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
                h.changeObjectiveSense(sense)
                h.run()
                status = h.getModelStatus()
                if status in (highspy.HighsModelStatus.kUnbounded,
                              highspy.HighsModelStatus.kUnboundedOrInfeasible):
                    out.append(math.inf if sense == highspy.ObjSense.kMaximize else -math.inf)
                    continue
                if status != highspy.HighsModelStatus.kOptimal:
                    raise RuntimeError(f"audit: the published figures of {e.table} are "
                                       f"inconsistent ({h.modelStatusToString(status)})")
                out.append(h.getInfo().objective_function_value)
                duals = h.getSolution().row_dual
                for k, pe in enumerate(self.published):
                    if abs(duals[self.first + k]) > 1e-9:
                        route.add(f"{pe.label} ({pe.where})")
        finally:
            for i in off:
                h.changeRowBounds(i, *self.bounds[i])
        return out[0], out[1], tuple(sorted(route))


def sensitive(entries: list[Entry]) -> list[Entry]:
    """Withheld figures, one per distinct cell and quantity. A cell withheld in one place and
    published in another is among them: its range is then a point, and the audit names
    where it was published."""
    first: dict = {}
    for e in entries:
        if e.value is None:
            kept = first.get(e.key)
            if kept is None or (e.primary and not kept.primary):
                first[e.key] = e
    return list(first.values())


def groups_of(entries: list[Entry]) -> dict[tuple[str, str | None], list[Entry]]:
    """Entries by (table, dimension); a whole-population entry joins every dimension of its
    table (and a table with no dimension gets its own system)."""
    by_table: dict[str, set] = defaultdict(set)
    for e in entries:
        by_table[e.table].add(e.dim)
    out: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for e in entries:
        dims = [e.dim] if e.dim is not None else ([d for d in by_table[e.table] if d]
                                                  or [None])
        for d in dims:
            out[(e.table, d)].append(e)
    return out


def audit(entries: list[Entry], st: dict, truth=None, reader: tuple[str, str] | None = None,
          extra: list[Entry] | None = None) -> AuditResult:
    """Check every withheld figure of ``entries``. ``truth(entry)`` gives a figure's true
    value (None: an outside auditor's run). ``reader``: (organisation, its sector) when the
    entries include that organisation's private report; ``extra``: further figures to protect
    (the rest of the reader's sector)."""
    r = float(st["rules"]["protection"])
    findings, checked, narrow = [], 0, None
    self_sector = reader[1] if reader else None
    done: set = set()
    for (table, dim), group in sorted(groups_of(entries).items(), key=lambda x: str(x[0])):
        # The reader knows its own part of its sector: what it must not learn is the rest
        # (``extra``), not the sector's total.
        # A complement (withheld only to protect another cell) need not be protected itself;
        # a cell whose true base is under its threshold is, whatever the files say of it.
        targets = [e for e in sensitive(group) if e.key not in done and not (
            self_sector is not None and e.atoms is not None and self_sector in e.atoms)
            and (e.primary or (truth is not None and e.base and e.unit is not None
                               and EPS < (truth(e) or 0.0) < e.base - EPS))]
        targets += [e for e in (extra or []) if (e.table, e.dim) == (table, dim)]
        done |= {e.key for e in targets}
        if not targets:
            continue
        syskey = (table, dim, self_sector, tuple(sorted(
            {(_expand(e, self_sector), e.coefs, e.value, e.unit) for e in group
             if e.value is not None}, key=repr)))
        system = None
        if truth is not None:
            # Independently of what the suppression code decided: no published base may be
            # below the threshold.
            for e in group:
                if e.value is not None and e.base and e.unit is not None:
                    t = truth(e)
                    if t is not None and EPS < t < e.base - EPS:
                        findings.append(Finding(e, e.value, e.value, t, (
                            f"published directly ({e.where}) with a base below {e.base:g}",),
                            reader[0] if reader else None))
        for e in targets:
            t = truth(e) if truth is not None else None
            if t is not None and abs(t) <= EPS:
                continue
            checked += 1
            key = (syskey, _expand(e, self_sector), e.coefs)
            if key not in _RANGES:
                if system is None:
                    system = _System(st, table, dim, group, self_sector)
                _RANGES[key] = system.solve(e)
            lo, hi, route = _RANGES[key]
            if t is not None and t > 0 and not math.isinf(hi):
                width = min(t - lo, hi - t) / t
                narrow = width if narrow is None else min(narrow, width)
            if not protected(lo, hi, t, e.base, r):
                findings.append(Finding(e, lo, hi, t, route, reader[0] if reader else None))
    return AuditResult(checked, tuple(findings), narrow)
