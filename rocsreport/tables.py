"""Tables of published estimates, shared by the terminal (`rocsreport stats`) and the CSV files.

Only the result model is read here, so a suppressed cell has no numbers to print.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .errors import RocsError
from .results import Estimate, Report

ESTIMATE_FIELDS = ("group", "n", "estimate", "ci_low", "ci_high", "effective_n", "suppressed",
                   "low_base")


def estimate_rows(report: Report, indicator: str, breakdown: str | None = None
                  ) -> list[dict[str, object]]:
    """The overall cell, then one per group of ``breakdown``, as plain dicts."""
    ids = [r.indicator.id for r in report.indicators]
    if indicator not in ids:
        raise RocsError(f"unknown indicator {indicator!r} (expected one of: {', '.join(ids)})")
    res = report.indicator(indicator)
    cells: list[Estimate] = [res.overall]
    if breakdown is not None:
        found = [b for b in res.by if b.breakdown.id == breakdown]
        if not found:
            bids = [b.breakdown.id for b in res.by]
            raise RocsError(f"unknown breakdown {breakdown!r} (expected one of: "
                            f"{', '.join(bids)})")
        cells += found[0].cells
    return [c.as_dict() for c in cells]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection in text cells (OWASP): a text cell starting with
    = + - @ tab or CR gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if value is None:
        return ""
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_cell(h) for h in header])
    for r in rows:
        w.writerow([csv_cell(v) for v in r])
    return buf.getvalue()


def format_rows(rows: list[dict[str, object]], fmt: str) -> str:
    """``csv`` (full precision) or an aligned text ``table`` (rounded for reading)."""
    if fmt == "csv":
        return to_csv(ESTIMATE_FIELDS, [[r[k] for k in ESTIMATE_FIELDS] for r in rows])
    header = ["group", "n", "estimate", "95% CI", "eff. n", "flag"]
    body = []
    for r in rows:
        if r["suppressed"]:
            body.append([str(r["group"]), "-", "-", "-", "-", "suppressed (base too small)"])
            continue
        body.append([str(r["group"]), str(r["n"]), f"{100 * r['estimate']:.1f}%",
                     f"{100 * r['ci_low']:.1f}% to {100 * r['ci_high']:.1f}%",
                     f"{r['effective_n']:.1f}", "low base" if r["low_base"] else ""])
    widths = [max(len(x[i]) for x in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *body]]
    return "\n".join(lines) + "\n"
