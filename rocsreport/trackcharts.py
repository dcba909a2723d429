"""The tracker's charts: a process-behaviour chart per measure, the programme grid, the rewards,
and the year-on-year changes. Altair specs drawn to SVG once (charts.memo), each with its text
alternative generated from the same rows."""

from __future__ import annotations

from typing import Any

import altair as alt

from .charts import AXIS, BAR, INK, MUTED, PALE_FILL, PALE_LINE, Chart, _svg, _two_lines_expr, memo
from .words import number, signed

BETTER, WORSE = BAR, "#b3261e"
FOCUS_FILL, FOCUS_LINE = "#fff3d1", "#8a6500"
RULE_NAMES = {"outside": "beyond a limit", "run": "run of 8"}
STATES = {  # grid cell: (fill, ink, glyph, words)
    "better": (BAR, "#ffffff", "▲", "better than its normal variation"),
    "worse": (WORSE, "#ffffff", "▼", "worse than its normal variation"),
    "within": (PALE_FILL, INK, "·", "within its normal variation"),
    "withheld": ("#ffffff", MUTED, "s", "withheld (base too small)"),
}


def _y(v: float, kind: str) -> float:
    return 100 * v if kind == "proportion" else v


@memo
def control_chart(rows: list[dict[str, Any]], kind: str, label: str, focus: int | None,
                  centre: float, y_title: str, chart_name: str) -> Chart:
    """One measure over every cycle: values as a line with points, the centre line and the
    limits (a step for the p-chart, whose limits follow each cycle's base), the baseline year
    to the left of a line, the focus cycle shaded, and each signalling point marked by its
    rule (shape) and direction (colour). ``rows``: cycle, value, lower, upper, rule, better
    (True, False or None), in the measure's own units (proportions as 0-1)."""
    pts = [dict(r, y=_y(r["value"], kind), lo=_y(r["lower"], kind), hi=_y(r["upper"], kind))
           for r in rows if r["value"] is not None]
    for p in pts:
        p["detail"] = (f"Cycle {p['cycle']}: {_fmt(p['y'], kind)} (limits {_fmt(p['lo'], kind)} "
                       f"to {_fmt(p['hi'], kind)})"
                       + (f", signal: {RULE_NAMES[p['rule']]}" if p["rule"] else ""))
    cycles = [r["cycle"] for r in rows]
    lo_c, hi_c = min(cycles), max(cycles)
    values = [p["y"] for p in pts] + [p["lo"] for p in pts] + [p["hi"] for p in pts]
    pad = (max(values) - min(values)) * 0.08 or 1
    y_lo, y_hi = min(values) - pad, max(values) + pad
    if kind == "proportion":
        y_lo, y_hi = max(0.0, y_lo), min(100.0, y_hi)
    ys = alt.Scale(domain=[y_lo, y_hi], zero=False, nice=False)
    xs = alt.Scale(domain=[lo_c - 0.5, hi_c + 0.5], nice=False)
    x = alt.X("cycle:Q", scale=xs, title="Cycle (0 and before: baseline)",
              axis=alt.Axis(values=[c for c in cycles if c % 8 == 0], format="d"))
    base = alt.Chart(alt.Data(values=pts))
    layers = []
    if focus is not None:
        band = alt.Chart(alt.Data(values=[{"a": focus - 0.5, "b": focus + 0.5}])).mark_rect(
            fill=FOCUS_FILL, stroke=FOCUS_LINE, strokeWidth=1, strokeDash=[3, 2]).encode(
            x=alt.X("a:Q", scale=xs), x2="b:Q")
        tag = alt.Chart(alt.Data(values=[{"x": focus, "t": "Focus"}])).mark_text(
            baseline="top", dy=2, fontSize=11, color=FOCUS_LINE).encode(
            x=alt.X("x:Q", scale=xs), y=alt.value(0), text="t:N")
        layers += [band, tag]
    start = alt.Chart(alt.Data(values=[{"x": 0.5}])).mark_rule(
        color=AXIS, strokeWidth=1).encode(x=alt.X("x:Q", scale=xs))
    mid = alt.Chart(alt.Data(values=[{"y": _y(centre, kind)}])).mark_rule(
        color=INK, strokeWidth=1).encode(y=alt.Y("y:Q", scale=ys))
    interp = "step" if kind == "proportion" else "linear"
    limits = [base.mark_line(color=AXIS, strokeWidth=1.2, strokeDash=[5, 3],
                             interpolate=interp).encode(x=x, y=alt.Y(f"{q}:Q", scale=ys))
              for q in ("lo", "hi")]
    line = base.mark_line(color=MUTED, strokeWidth=1.5).encode(
        x=x, y=alt.Y("y:Q", scale=ys, title=y_title))
    dots = base.mark_point(filled=True, size=28, color=MUTED, opacity=1).encode(
        x=x, y=alt.Y("y:Q", scale=ys), tooltip=alt.Tooltip("detail:N"))
    sig = [p for p in pts if p["rule"]]
    marks = []
    if sig:
        kinds = [k for k in ("Better: beyond a limit", "Better: run of 8",
                             "Worse: beyond a limit", "Worse: run of 8")
                 if any(_sig_kind(p) == k for p in sig)]
        for p in sig:
            p["kind"] = _sig_kind(p)
        colours = [BETTER if k.startswith("Better") else WORSE for k in kinds]
        shapes = [("triangle-up" if k.startswith("Better") else "triangle-down")
                  if "limit" in k else "square" for k in kinds]
        marks.append(alt.Chart(alt.Data(values=sig)).mark_point(
            filled=True, size=80, opacity=1).encode(
            x=x, y=alt.Y("y:Q", scale=ys),
            color=alt.Color("kind:N", sort=kinds, scale=alt.Scale(domain=kinds, range=colours),
                            title=None, legend=alt.Legend(orient="bottom", columns=2)),
            shape=alt.Shape("kind:N", sort=kinds, scale=alt.Scale(domain=kinds, range=shapes),
                            title=None), tooltip=alt.Tooltip("detail:N")))
    # Narrow enough for a phone without scrolling: the programme year is at the right.
    chart = alt.layer(*layers, start, mid, *limits, line, dots, *marks).properties(
        width=290, height=200)
    return Chart(_svg(chart), _control_alt(pts, kind, label, focus, centre, chart_name))


def _sig_kind(p: dict[str, Any]) -> str:
    return ("Better" if p["better"] else "Worse") + ": " + RULE_NAMES[p["rule"]]


def _fmt(v: float, kind: str) -> str:
    return f"{number(v, 0 if kind == 'nps' else 1)}{'%' if kind == 'proportion' else ''}"


def _control_alt(pts: list[dict[str, Any]], kind: str, label: str, focus: int | None,
                 centre: float, chart_name: str) -> str:
    sig = [p for p in pts if p["rule"]]
    said = (" Signals: " + "; ".join(f"cycle {p['cycle']} {'better' if p['better'] else 'worse'}"
                                     f" ({RULE_NAMES[p['rule']]})" for p in sig) + "."
            if sig else " No point signals a change: every one is within the limits and no 8 "
            "in a row lie on one side of the centre line.")
    values = "; ".join(f"cycle {p['cycle']} {_fmt(p['y'], kind)}" for p in pts)
    focus_text = f" The area was in focus in cycle {focus} (shaded)." if focus else ""
    return (f"{chart_name.capitalize()} of {label} by three-week cycle, the baseline year "
            f"(cycles to 0) setting the centre line at {_fmt(_y(centre, kind), kind)} and the "
            f"limits (dashed).{focus_text}{said} Values: {values}.")


@memo
def programme_grid(rows: list[dict[str, Any]], areas: list[str], cycles: list[int],
                   rewards: list[str]) -> Chart:
    """Areas (rows, grouped by reward) by programme cycle (columns): each cell coloured and
    marked by where the area stands against its own limits; F marks its focus cycle.
    ``rows``: reward, area, cycle, state, focus (bool)."""
    data = []
    for r in rows:
        fill, ink, glyph, words = STATES[r["state"]]
        data.append(dict(r, fill=fill, ink=ink, text="F" if r["focus"] else glyph,
                         col=str(r["cycle"]),
                         detail=f"{r['area']}, cycle {r['cycle']}: {words}"
                                + (" (its focus cycle)" if r["focus"] else "")))
    cols = [str(c) for c in cycles]
    base = alt.Chart(alt.Data(values=data)).encode(
        # Long names on two lines and narrow cells: the whole year fits a phone's width.
        y=alt.Y("area:N", sort=areas, title=None, axis=alt.Axis(
            labelLimit=150, labelExpr=_two_lines_expr(areas, 18),
            # A two-line name is centred on its row (Vega grows a block downwards).
            labelOffset={"condition": {"test": "length(datum.value) > 18 && "
                                                "indexof(datum.value, ' ') > 0", "value": -6},
                         "value": 0})),
        x=alt.X("col:N", sort=cols, title="Programme cycle",
                axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=11,
                              labelExpr="datum.value % 2 == 1 ? datum.label : ''")))
    rect = base.mark_rect(stroke=PALE_LINE, strokeWidth=0.5).encode(
        color=alt.Color("fill:N", scale=None), tooltip=alt.Tooltip("detail:N")).properties(
        name="cells")
    text = base.mark_text(fontSize=11, fontWeight="bold").encode(
        text="text:N", color=alt.Color("ink:N", scale=None)).properties(name="cell_labels")
    chart = alt.layer(rect, text).resolve_scale(color="independent").properties(
        width=12 * len(cycles), height=alt.Step(26)).facet(
        row=alt.Row("reward:N", sort=rewards, title=None, header=alt.Header(
            labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
            labelFontWeight="bold", labelFontSize=11))).resolve_scale(y="independent")
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_area.setdefault(r["area"], []).append(r)
    parts = []
    for a in areas:
        rs = by_area.get(a, [])
        better = [r["cycle"] for r in rs if r["state"] == "better"]
        worse = [r["cycle"] for r in rs if r["state"] == "worse"]
        f = next((r["cycle"] for r in rs if r["focus"]), None)
        s = f"{a}: " + (f"focus in cycle {f}" if f else "no focus cycle")
        s += (f"; better in cycles {_runs(better)}" if better else "")
        s += (f"; worse in cycles {_runs(worse)}" if worse else "")
        if not better and not worse:
            s += "; within its normal variation throughout"
        parts.append(s)
    return Chart(_svg(chart), "Grid of the programme's areas, grouped by reward, by cycle: "
                 "▲ better than the area's normal variation (a run rule fires), ▼ worse, · "
                 "within, F the focus cycle. " + "; ".join(parts) + ".")


def _runs(cycles: list[int]) -> str:
    """[2, 3, 4, 7] -> "2 to 4 and 7"."""
    out: list[str] = []
    for c in cycles:
        if out and isinstance(out[-1], list) and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])  # type: ignore[arg-type]
    words = [f"{a} to {b}" if a != b else f"{a}" for a, b in out]  # type: ignore[misc]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


@memo
def reward_bars(rows: list[dict[str, Any]], rewards: list[str]) -> Chart:
    """Per reward, its areas counted by verdict, as a stacked bar. ``rows``: reward, verdict,
    areas (count)."""
    order = ["Improved and held", "Improved, then fell back", "No signal", "Declined"]
    colours = [BAR, "#6a95bd", "#8a949e", WORSE]
    data = [dict(r, detail=f"{r['reward']}: {r['areas']} area(s) {r['verdict'].lower()}")
            for r in rows if r["areas"]]
    used = [v for v in order if any(r["verdict"] == v for r in data)]
    chart = alt.Chart(alt.Data(values=data)).mark_bar(stroke="#ffffff", strokeWidth=1).encode(
        y=alt.Y("reward:N", sort=rewards, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("areas:Q", title="Areas", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("verdict:N", sort=used, title=None, scale=alt.Scale(
            domain=used, range=[colours[order.index(v)] for v in used]),
            legend=alt.Legend(orient="bottom", columns=2)),
        order=alt.Order("rank:Q"), tooltip=alt.Tooltip("detail:N")).transform_calculate(
        rank=f"indexof({used!r}, datum.verdict)").properties(width=360, height=alt.Step(26))
    parts = "; ".join(f"{w}: " + ", ".join(f"{r['areas']} {r['verdict'].lower()}"
                                           for r in data if r["reward"] == w)
                      for w in rewards)
    return Chart(_svg(chart), f"Bar chart of the programme's areas by reward and verdict. "
                 f"{parts}.")


@memo
def year_changes(rows: list[dict[str, Any]]) -> Chart:
    """Each business metric's change on the year before, in per cent, with its interval.
    ``rows``: label, change, lo, hi (per cent)."""
    data = [dict(r, detail=f"{r['label']}: {signed(r['change'], 1)}% ({signed(r['lo'], 1)}% "
                           f"to {signed(r['hi'], 1)}%)") for r in rows]
    labels = [r["label"] for r in rows]
    top = max(5.0, max(abs(r["lo"]) for r in rows), max(abs(r["hi"]) for r in rows))
    xs = alt.Scale(domain=[-top * 1.1, top * 1.1], nice=True)
    base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y("label:N", sort=labels, title=None,
                                                           axis=alt.Axis(labelLimit=220)))
    zero = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color=INK).encode(x="x:Q")
    whisk = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("lo:Q", scale=xs, title="Change on the year before (%)"), x2="hi:Q")
    dot = base.mark_point(filled=True, size=90, color=BAR, opacity=1).encode(
        x="change:Q", tooltip=alt.Tooltip("detail:N"))
    chart = alt.layer(zero, whisk, dot).properties(width=360, height=alt.Step(30))
    return Chart(_svg(chart), "Dot chart of each business metric's change in the programme "
                 "year on the year before, with 95% intervals: " + "; ".join(
                     f"{r['label']} {signed(r['change'], 1)}% ({signed(r['lo'], 1)}% to "
                     f"{signed(r['hi'], 1)}%)" for r in rows) + ".")
