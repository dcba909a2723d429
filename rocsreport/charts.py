"""Results -> Altair charts -> SVG (via vl-convert: no browser, no network).

Charts are built from the result model only: aggregated, disclosure-checked numbers. A suppressed
cell has no numbers, so it cannot be drawn; it is named in the alt text as not shown. Every chart
carries a text alternative generated from the same data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert as vlc

from . import formats
from .results import Estimate, Gap, InterviewResult, LikertResult, NpsCell
from .words import count, number, pct, pct_range, points, signed

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK = "#1d2733"
MUTED = "#5b6673"
BAR = "#2f6690"
# Every mark that carries meaning has at least 3:1 contrast with the white background (WCAG
# 1.4.11), every text 4.5:1 with what is behind it (1.4.3); tests/test_charts.py checks the
# drawn SVGs. Light fills (interquartile boxes) get an outline at 3:1.
BAR_LOW = "#6a95bd"
AXIS = "#6b7785"
BOX_FILL, BOX_LINE = "#c9d7e6", "#5b8db8"
PALE_FILL, PALE_LINE = "#dfe3e8", "#8a949e"
GROUP_COLOURS = ("#1f4e79", "#d26a00")
WIDTH = 520
ROW = 30
LOW_MARK = "†"


class Drawn(str):
    """An SVG, carrying the Vega-Lite spec (JSON) it was drawn from."""

    spec: str = ""


@dataclass(frozen=True)
class Chart:
    """An SVG chart, its text alternative, and the Vega-Lite spec (JSON) that drew it: the
    interactive version draws that same spec, so it shows exactly what the SVG shows."""

    svg: str
    alt: str
    caption: str = ""
    spec: str = ""

    def __post_init__(self) -> None:
        if not self.spec and isinstance(self.svg, Drawn):
            object.__setattr__(self, "spec", self.svg.spec)
        object.__setattr__(self, "svg", str(self.svg))

    @property
    def note(self) -> str:
        """What the chart leaves out and why (the "Not shown" sentences of its text
        alternative), for the note under it: a reader sees it without opening the
        description."""
        return " ".join(m.group(0) for m in _LEFT_OUT.finditer(self.alt))


def _source_hash() -> str:
    """The hash of the modules that draw charts: this one and the tracker's, so that a cached
    chart is never served after either changed."""
    import hashlib
    from pathlib import Path

    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / f).read_bytes()
                                   for f in ("charts.py", "trackcharts.py"))).hexdigest()


def memo(fn):
    """A chart function whose result (SVG, text alternative, caption) is kept in the chart
    cache under the hash of its name, its arguments (their complete repr: every number, label
    and name), this module's source and the Altair and vl-convert versions. A hit returns
    exactly what the call would, without building the spec; a chart of one organisation is
    served only for that chart's own arguments."""
    import functools
    import hashlib
    import json

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        folder = _CACHE["dir"]
        if folder is None:
            return fn(*args, **kwargs)
        key = hashlib.sha256("\0".join((
            fn.__name__, repr(args), repr(sorted(kwargs.items())), _SOURCE[0] or "",
            alt.__version__, vlc.__version__, formats.current())).encode("utf-8")).hexdigest()

        def make() -> bytes:
            c = fn(*args, **kwargs)
            return json.dumps({"svg": c.svg, "alt": c.alt, "caption": c.caption,
                               "spec": c.spec}, ensure_ascii=False).encode("utf-8")

        doc = json.loads(cached(folder, key, make, ".json").decode("utf-8"))
        return Chart(doc["svg"], doc["alt"], doc["caption"], doc["spec"])

    return wrapper


_LEFT_OUT = re.compile(r"(?:Not shown|Also withheld)[^.]*\.")
_SOURCE: list[str | None] = [None]
_VALIDATED: set[str] = set()


def _config(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec with the house style. Altair can check a spec against the Vega-Lite
    schema, which costs more than drawing it: under the test suite each chart function's spec
    is checked the first time it is drawn in a process (its later specs have the same
    structure, other data); a build does not check."""
    import os
    import sys

    kind = sys._getframe(2).f_code.co_name  # the chart function: _config <- _svg <- it
    # The test suite sets ROCSREPORT_VALIDATE_CHARTS=1 so that every chart function's spec is
    # checked against the schema; a build skips the check (it costs more than the drawing).
    validate = bool(os.environ.get("ROCSREPORT_VALIDATE_CHARTS")) and kind not in _VALIDATED
    _VALIDATED.add(kind)
    if not validate:
        house = _house()
        # The house block is the same for every chart: put it in directly, rather than have
        # Altair copy the whole chart once per ``configure_*`` call (a quarter of the time
        # of ``to_dict``). tests/test_charts.py checks that both give the same spec.
        spec = chart.to_dict(validate=False)
        spec.pop("$schema", None)
        spec["config"] = house
        return spec
    return _configured(chart, validate)


def _configured(chart: alt.TopLevelMixin, validate: bool) -> dict[str, Any]:
    """The Vega-Lite spec with the house style, as Altair's ``configure`` methods write it."""
    spec = chart.configure(
        font=FONT, background="white", padding=8, aria=False,
    ).configure_view(stroke=None).configure_axis(
        labelColor=INK, titleColor=MUTED, labelFontSize=12, titleFontSize=11, gridColor="#e6e9ee",
        domainColor=AXIS, tickColor=AXIS, labelLimit=360, titleFontWeight="normal",
    ).configure_legend(
        labelColor=INK, titleColor=MUTED, labelFontSize=12, titleFontSize=11, orient="top",
        titleFontWeight="normal", labelLimit=260,
    ).to_dict(validate=validate)
    spec.pop("$schema", None)
    return spec


_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*")


# Drawn charts, content-addressed (see ``memo``): a chart is a pure function of its chart
# function's arguments, this module and the renderer's version, so a rebuild draws only what
# changed. ``use_cache`` points it at a folder beside the study's database; None (the
# default) keeps it off.
_CACHE: dict[str, object] = {"dir": None}


def use_cache(folder) -> None:
    from pathlib import Path

    _CACHE["dir"] = Path(folder) if folder is not None else None
    if folder is not None and _SOURCE[0] is None:
        _SOURCE[0] = _source_hash()


def cache_dir(kind: str):
    """The folder for another kind of content-addressed output (e.g. "pdf"), beside the
    charts' one; None when caching is off."""
    folder = _CACHE["dir"]
    return None if folder is None else folder.parent / kind


def cached(folder, key: str, make, suffix: str) -> bytes:
    """``make()`` (bytes), kept in ``folder`` under ``key``: read back when present, written
    atomically when not; a folder that cannot be written only means no cache."""
    import os

    if folder is None:
        return make()
    path = folder / key[:2] / f"{key}{suffix}"
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        pass
    data = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
    return data


def _svg(chart: alt.TopLevelMixin) -> str:
    return _draw(_config(chart))


# Vega marks each group of the SVG with an ARIA role even with ``aria: false``. The chart's
# name and description belong to the figure around it (role "img" with the text alternative),
# so those roles are taken out: nothing inside a chart is announced on its own.
_ARIA = re.compile(r' (?:role|aria-roledescription|aria-label)="[^"]*"')


_VIEW_NAME = re.compile(r'"(view_\w+)"')


def _stable_names(spec: dict[str, Any]) -> dict[str, Any]:
    """Altair names the views that carry a parameter (a legend filter) with a running counter
    or a random id; numbered in order of appearance instead, the same chart gives the same
    spec and the same SVG in every run."""
    import json

    text = json.dumps(spec, ensure_ascii=False)
    names = list(dict.fromkeys(_VIEW_NAME.findall(text)))
    if not names:
        return spec
    for k, name in enumerate(names):
        text = re.sub(rf"\b{name}\b", f"v{k + 1}", text)
    return json.loads(text)


def _draw(spec: dict[str, Any]) -> Drawn:
    import json

    spec = _stable_names(spec)
    svg = _XML_DECL.sub("", vlc.vegalite_to_svg(spec, format_locale=formats.d3_locale())).strip()
    drawn = Drawn(_ARIA.sub("", svg))
    drawn.spec = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return drawn


TIP = alt.Tooltip("detail:N")  # each mark's own sentence of the chart description


def _legend_filter(field: str) -> tuple[Any, Any]:
    """A legend that filters (interactive pages): click an entry to keep only its marks.
    The parameter and the opacity rule leave the static SVG as it was."""
    sel = alt.selection_point(fields=[field], bind="legend", name=f"pick_{field}")
    return sel, alt.condition(sel, alt.value(1), alt.value(0.15))


def _ci_text(e: Estimate) -> str:
    return (f"{pct(e.estimate)} ({pct(0.95)} CI {pct_range(e.ci_low, e.ci_high)}; n = {count(e.n)}"
            f"{', low base' if e.low_base else ''})")


def _not_shown(cells: list[Estimate]) -> str:
    hidden = [c.group for c in cells if c.suppressed and not c.secondary]
    guard = [c.group for c in cells if c.secondary]
    text = f" Not shown, base too small to publish: {', '.join(hidden)}." if hidden else ""
    if guard:
        text += (f" Also withheld, so that a suppressed figure cannot be worked out from the "
                 f"total: {', '.join(guard)}.")
    return text


@memo
def proportion_bars(cells: list[Estimate], title: str, axis_title: str = "") -> Chart:
    """Horizontal bars with 95% interval whiskers. Low-base bars are paler and marked †."""
    shown = [c for c in cells if not c.suppressed]
    data = [{"group": c.group + (f" {LOW_MARK}" if c.low_base else ""),
             "estimate": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
             "label": pct(c.estimate), "low": c.low_base, "order": i,
             "detail": f"{c.group}: {_ci_text(c)}"}
            for i, c in enumerate(shown)]
    y = alt.Y("group:N", sort=[d["group"] for d in data], title=None)
    base = alt.Chart(alt.Data(values=data)).encode(y=y)
    xscale = alt.Scale(domain=[0, 1])
    bars = base.mark_bar(height=16).encode(
        x=alt.X("estimate:Q", scale=xscale, axis=alt.Axis(format="%", tickCount=5),
                title=axis_title or None),
        color=alt.Color("low:N", scale=alt.Scale(domain=[False, True], range=[BAR, BAR_LOW]),
                        legend=None),
        tooltip=TIP,
    )
    whisk = base.mark_rule(color=INK, strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q")
    caps_lo = base.mark_tick(color=INK, thickness=1.5, size=10).encode(x="ci_low:Q")
    caps_hi = base.mark_tick(color=INK, thickness=1.5, size=10).encode(x="ci_high:Q")
    text = base.mark_text(align="left", dx=6, color=INK, fontSize=12).encode(
        x="ci_high:Q", text="label:N")
    chart = (bars + whisk + caps_lo + caps_hi + text).properties(
        width=WIDTH - 220, height=max(ROW, ROW * len(data)))
    alt_text = (f"Bar chart: {title}. " + "; ".join(f"{c.group}: {_ci_text(c)}" for c in shown)
                + "." + _not_shown(cells))
    return Chart(_svg(chart), alt_text)


@memo
def dumbbell(gaps: list[Gap], groups: tuple[str, str]) -> Chart:
    """One row per indicator: a dot per group joined by a line; significant gaps drawn dark and
    marked with an asterisk (after the Benjamini-Hochberg adjustment)."""
    shown = [g for g in gaps if not g.suppressed]
    rows, dots = [], []
    for i, g in enumerate(shown):
        label = g.indicator.label + (" *" if g.significant else "")
        rows.append({"indicator": label, "lo": min(g.a.estimate, g.b.estimate),
                     "hi": max(g.a.estimate, g.b.estimate), "sig": g.significant, "order": i})
        for grp, e in ((groups[0], g.a), (groups[1], g.b)):
            dots.append({"indicator": label, "group": grp, "estimate": e.estimate, "order": i,
                         "label": pct(e.estimate),
                         "detail": f"{g.indicator.label}, {grp}: {_ci_text(e)}; gap "
                                   f"{points(g.diff)}"})
    y = alt.Y("indicator:N", sort=[r["indicator"] for r in rows], title=None)
    x = alt.X("lo:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=5),
              title=None)
    lines = [alt.Chart(alt.Data(values=[r for r in rows if r["sig"] is sig]))
             .mark_rule(strokeWidth=3, color=colour).encode(y=y, x=x, x2="hi:Q")
             for sig, colour in ((False, PALE_LINE), (True, "#4a5560"))]
    pick, fade = _legend_filter("group")
    pts = alt.Chart(alt.Data(values=dots)).mark_point(filled=True, size=110, opacity=1).encode(
        y=y, x="estimate:Q", tooltip=TIP, opacity=fade,
        color=alt.Color("group:N", scale=alt.Scale(domain=list(groups),
                                                   range=list(GROUP_COLOURS)), title=None),
        shape=alt.Shape("group:N", scale=alt.Scale(domain=list(groups),
                                                   range=["circle", "diamond"]), title=None),
    )
    chart = alt.layer(*lines, pts.add_params(pick)).properties(width=WIDTH - 200,
                                              height=max(ROW, ROW * len(rows)))
    parts = []
    for g in shown:
        sig = "significant" if g.significant else "not significant"
        parts.append(f"{g.indicator.label}: {groups[0]} {pct(g.a.estimate)}, {groups[1]} "
                     f"{pct(g.b.estimate)}, gap {points(g.diff)} ({sig} after adjustment)")
    hidden = [g.indicator.label for g in gaps if g.suppressed]
    tail = f" Not shown, a base too small to publish: {', '.join(hidden)}." if hidden else ""
    return Chart(_svg(chart), f"Dot chart of perspective gaps, {groups[0]} against "
                 f"{groups[1]}. " + "; ".join(parts) + "." + tail)


# ColorBrewer's RdBu, safe for colour-blind readers, with the light shades darkened to 3:1.
LIKERT_COLOURS = ("#b2182b", "#d6604d", "#878787", "#4393c3", "#2166ac")


def _ends_title(labels: list[str]) -> str:
    """The diverging axis's title from the scale's own ends ("← Strongly disagree ...
    Strongly agree →"), spaced with no-break spaces, which SVG text does not collapse."""
    if len(labels) < 2:
        return ""
    gap = "\u00a0" * 8
    return f"←\u00a0{labels[0]}{gap}{labels[-1]}\u00a0→"


@memo
def likert_diverging(items: list[LikertResult]) -> Chart:
    """Diverging stacked bars: disagreement left of zero, agreement right, neutral split."""
    shown = [it for it in items if it.distribution]
    data = []
    labels: list[str] = []
    for i, it in enumerate(shown):
        cats = list(it.distribution)
        k = len(cats)
        mid = k // 2 if k % 2 else None
        neg = sum(c.share for c in cats[: k // 2]) + (cats[mid].share / 2 if mid is not None
                                                       else 0)
        start = -neg
        for c in cats:
            data.append({"item": it.question.short, "category": c.label, "start": start,
                         "end": start + c.share, "share": pct(c.share), "order": i,
                         "detail": f"{it.question.short}: {c.label} {pct(c.share)} "
                                   f"(n = {count(it.n)})"})
            start += c.share
        labels = labels or [c.label for c in cats]
    colours = list(LIKERT_COLOURS) if len(labels) == 5 else None
    pick, fade = _legend_filter("category")
    chart = alt.Chart(alt.Data(values=data)).mark_bar(height=18).add_params(pick).encode(
        tooltip=TIP, opacity=fade,
        y=alt.Y("item:N", sort=[it.question.short for it in shown], title=None),
        x=alt.X("start:Q", scale=alt.Scale(domain=[-1, 1]),
                axis=alt.Axis(format="%", values=[-1, -0.5, 0, 0.5, 1], labelExpr=
                              "format(abs(datum.value), '.0%')"),
                title=_ends_title(labels)),
        x2="end:Q",
        color=alt.Color("category:N", sort=labels,
                        scale=alt.Scale(domain=labels, range=colours) if colours
                        else alt.Undefined, title=None,
                        legend=alt.Legend(columns=3, symbolType="square")),
    ).properties(width=WIDTH - 160, height=max(ROW, ROW * len(shown)))
    rule = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color=INK).encode(x="x:Q")
    alt_text = (f"Diverging bar chart of answers from {labels[0]} to {labels[-1]}. "
                if labels else "Diverging bar chart of answers. ") + "; ".join(
        f"{it.question.short}: " + ", ".join(f"{c.label} {pct(c.share)}" for c in it.distribution)
        + f" (n = {count(it.n)})" for it in shown) + "."
    hidden = [it.question.short for it in items if not it.distribution]
    if hidden:
        alt_text += f" Not shown, base too small to publish: {', '.join(hidden)}."
    return Chart(_svg(chart + rule), alt_text)


@memo
def nps_bars(cells: list[NpsCell]) -> Chart:
    """Stacked bars of detractors, passives and promoters per group."""
    shown = [c for c in cells if not c.suppressed]
    data = []
    for i, c in enumerate(shown):
        start = 0.0
        for name, share in (("Detractors (0-6)", c.detractors), ("Passives (7-8)", c.passives),
                            ("Promoters (9-10)", c.promoters)):
            data.append({"group": c.group + (f" {LOW_MARK}" if c.low_base else ""),
                         "part": name, "start": start, "end": start + share, "order": i,
                         "detail": f"{c.group}: {name.lower()} {pct(share)}; net promoter "
                                   f"score {signed(c.score.estimate)} (n = {count(c.n)})"})
            start += share
    parts = ["Detractors (0-6)", "Passives (7-8)", "Promoters (9-10)"]
    pick, fade = _legend_filter("part")
    chart = alt.Chart(alt.Data(values=data)).mark_bar(height=18).add_params(pick).encode(
        tooltip=TIP, opacity=fade,
        y=alt.Y("group:N", sort=list(dict.fromkeys(d["group"] for d in data)), title=None),
        x=alt.X("start:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title=None),
        x2="end:Q",
        color=alt.Color("part:N", sort=parts, scale=alt.Scale(
            domain=parts, range=[LIKERT_COLOURS[0], LIKERT_COLOURS[2], LIKERT_COLOURS[4]]),
            title=None),
    ).properties(width=WIDTH - 200, height=max(ROW, ROW * len(shown)))
    alt_text = "Stacked bar chart of recommendation. " + "; ".join(
        f"{c.group}: detractors {pct(c.detractors)}, passives {pct(c.passives)}, promoters "
        f"{pct(c.promoters)}, net promoter score {signed(c.score.estimate)} (n = {count(c.n)})"
        for c in shown) + "." + _not_shown([c.score for c in cells])
    return Chart(_svg(chart), alt_text)


def _two_lines_expr(labels: list[str], longest: int = 30) -> str:
    """A Vega label expression that draws each label longer than ``longest`` characters on
    two lines, broken at the space nearest its middle."""
    import json

    split = {}
    for label in labels:
        spaces = [i for i, ch in enumerate(label) if ch == " "]
        if len(label) > longest and spaces:
            cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
            split[label] = [label[:cut], label[cut + 1:]]
    if not split:
        return "datum.label"
    return f"({json.dumps(split, ensure_ascii=False)})[datum.label] || datum.label"


# The theme grid's shades (ColorBrewer's Blues, in five bins of the share of interviewees)
# and the label colour on each, at 4.5:1 or more.
THEME_BINS = (("#eff3ff", INK), ("#c6dbef", INK), ("#9ecae1", INK), ("#2171b5", "#ffffff"),
              ("#08306b", "#ffffff"))


@memo
def theme_grid(iv: InterviewResult) -> Chart:
    """Themes by role group: shaded by the share of the group's interviewees, labelled with the
    counts of interviewees and organisations. Counts, not percentages: the bases are small."""
    data = []
    groups = [(j, g) for j, g in enumerate(iv.groups[:-1]) if iv.bases[j] is not None]
    columns = [f"{g} (n = {iv.bases[j]})" for j, g in groups]
    for i, t in enumerate(iv.themes):
        for (j, _), col in zip(groups, columns, strict=True):
            n, orgs = t.interviewees[j], t.organisations[j]
            if n is None:
                continue
            share = n / iv.bases[j]
            fill, ink = THEME_BINS[min(len(THEME_BINS) - 1, int(share * len(THEME_BINS)))]
            data.append({"theme": t.label, "group": col, "share": share, "fill": fill,
                         "ink": ink, "text": f"{n} ({orgs} org{'s' if orgs != 1 else ''})",
                         "order": i, "detail": f"{t.label}, {col}: {count(n)} interviewees "
                                               f"({count(orgs)} organisations)"})
    themes = [t.label for t in iv.themes]
    base = alt.Chart(alt.Data(values=data)).encode(
        # A long theme on two lines, so that the grid fits an A4 page at full size.
        y=alt.Y("theme:N", sort=themes, title=None, axis=alt.Axis(
            labelLimit=300, labelExpr=_two_lines_expr(themes))),
        x=alt.X("group:N", sort=columns, title=None,
                axis=alt.Axis(orient="top", labelAngle=0, labelLimit=230)),
    )
    # Named, so that the contrast test knows these cells print their own value (their text
    # is checked against the cell, not the page).
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("fill:N", scale=None), tooltip=TIP).properties(name="cells")
    text = base.mark_text(fontSize=12).encode(
        text="text:N", color=alt.Color("ink:N", scale=None)).properties(name="cell_labels")
    chart = alt.layer(rect, text).resolve_scale(color="independent").properties(
        width=230 * len(columns), height=ROW * len(iv.themes))
    alt_text = "Grid of interview themes by role group, as numbers of interviewees (and of " \
        "organisations). " + "; ".join(
            f"{t.label}: " + ", ".join(f"{g} {n} ({o} organisations)" for g, n, o in
                                        zip(iv.groups, t.interviewees, t.organisations,
                                            strict=True) if n is not None)
            for t in iv.themes) + "."
    return Chart(_svg(chart), alt_text)


# --- Benchmark charts ------------------------------------------------------------------------


@memo
def sector_multiples(rows: list[dict[str, Any]], waves: list[str], national: str,
                     hidden: list[str] | None = None) -> Chart:
    """Small multiples, one per sector: the median index across waves with the interquartile
    band, and the national median as a dashed reference. ``rows`` hold published baselines only:
    scope, wave, median, q1, q3."""
    scopes = list(dict.fromkeys(r["scope"] for r in rows))
    data = [dict(r, kind="scope", detail=f"{r['scope']}, {r['wave']}: median "
                                         f"{_fmt(r['median'])}, quartiles {_fmt(r['q1'])} to "
                                         f"{_fmt(r['q3'])}") for r in rows]
    data += [dict(r, scope=s, kind="ref") for s in scopes for r in rows if r["scope"] == national]
    x = alt.X("wave:O", sort=waves, title=None, axis=alt.Axis(labelAngle=0))
    ylo = min([r["q1"] for r in rows] + [60.0])
    yhi = max([r["q3"] for r in rows] + [85.0])
    y = alt.Scale(domain=[5 * int(ylo // 5), 5 * int(yhi // 5 + 1)])
    own = alt.datum.kind == "scope"
    band = alt.Chart().transform_filter(own).mark_area(opacity=0.25, color=BAR).encode(
        x=x, y=alt.Y("q1:Q", scale=y, title="Index (0-100)"), y2="q3:Q")
    # The band's edges, drawn as thin lines: a pale band alone is below 3:1 on white.
    edges = [alt.Chart().transform_filter(own).mark_line(color=BOX_LINE, strokeWidth=1).encode(
        x=x, y=alt.Y(f"{q}:Q", scale=y)) for q in ("q1", "q3")]
    line = alt.Chart().transform_filter(own).mark_line(point=True, color=BAR).encode(
        x=x, y=alt.Y("median:Q", scale=y), tooltip=TIP)
    dashed = alt.Chart().transform_filter(alt.datum.kind == "ref").mark_line(
        strokeDash=[4, 3], color=MUTED).encode(x=x, y=alt.Y("median:Q", scale=y))
    chart = alt.layer(band, *edges, line, dashed, data=alt.Data(values=data)).properties(
        width=150, height=90).facet(
        facet=alt.Facet("scope:N", sort=scopes, title=None,
                        header=alt.Header(labelFontSize=11, labelLimit=170)), columns=3)
    text = "; ".join(
        f"{s}: " + ", ".join(f"{r['wave']} median {number(r['median'])} (quartiles "
                             f"{number(r['q1'])} to {number(r['q3'])})"
                             for r in rows if r["scope"] == s) for s in scopes)
    tail = f" Not shown, withheld in every wave: {', '.join(hidden)}." if hidden else ""
    return Chart(_svg(chart), "Small multiples of the satisfaction index by sector across "
                 f"waves: median with the interquartile range. {text}.{tail}")


@memo
def binned_scatter(label: str, bins: list[dict[str, float]], r: float, lo: float, hi: float
                   ) -> Chart:
    """The relationship as bins of organisations (at least five each): mean index against the
    mean metric, with a least-squares line through the bins."""
    base = alt.Chart(alt.Data(values=bins))
    pts = base.mark_circle(size=70, color=BAR, opacity=0.9).encode(
        x=alt.X("index:Q", scale=alt.Scale(zero=False), title="Satisfaction index"),
        y=alt.Y("metric:Q", scale=alt.Scale(zero=False), title=label))
    fit = base.transform_regression("index", "metric").mark_line(color=MUTED, strokeDash=[4, 3]
                                                                 ).encode(x="index:Q",
                                                                          y="metric:Q")
    chart = (pts + fit).properties(width=230, height=170, title=alt.Title(
        label, fontSize=12, anchor="start", fontWeight="normal"))
    alt_text = (f"Scatter of {label} against the satisfaction index, in {len(bins)} bins of "
                f"organisations ordered by index: " + "; ".join(
                    f"index {number(b['index'])}, {label} {number(b['metric'])}" for b in bins)
                + f". Correlation across organisations r = {number(r, 2)} ({pct(0.95)} CI "
                f"{number(lo, 2)} to {number(hi, 2)}).")
    # Static only, never embedded for the interactive page: its bin means are published in
    # words to one decimal and in no download, and the spec would carry them in full.
    return Chart(str(_svg(chart)), alt_text)


def _house() -> dict[str, Any]:
    """The house configuration block, as Altair writes it (computed once)."""
    if "config" not in _HOUSE:
        spec = _configured(alt.Chart(alt.Data(values=[{"x": 0}])).mark_point().encode(
            x="x:Q"), False)
        _HOUSE["config"] = spec["config"]
    return _HOUSE["config"]


_HOUSE: dict[str, Any] = {}


def _strip_spec(rows: list[dict[str, Any]], scale: tuple[float, float], x_title: str
                ) -> dict[str, Any]:
    """The Vega-Lite spec of ``position_strip``, written as a dict: the same spec Altair
    builds (tests/test_charts.py compares them), without Altair's construction and deep
    copies, which cost twice the drawing for the 250 private reports."""
    measures = [r["measure"] for r in rows]
    low = min(min(r["q1"] if r["q1"] is not None else scale[1], r["score"]) for r in rows)
    domain = [max(scale[0], 5 * int(low // 5) - 5), scale[1]]

    def y():
        return {"field": "measure", "sort": list(measures), "title": None, "type": "nominal"}

    def x(field: str):
        return {"field": field, "type": "quantitative"}

    box = {"mark": {"type": "bar", "color": BOX_FILL, "height": 16, "stroke": BOX_LINE,
                    "strokeWidth": 1},
           "encoding": {"x": {"field": "q1", "scale": {"domain": domain}, "title": x_title,
                              "type": "quantitative"}, "x2": {"field": "q3"}, "y": y()}}
    med = {"mark": {"type": "tick", "color": INK, "opacity": 1, "size": 18, "thickness": 2},
           "encoding": {"x": x("median"), "y": y()}}
    top = {"mark": {"type": "tick", "color": GROUP_COLOURS[1], "opacity": 1, "size": 18,
                    "thickness": 2},
           "encoding": {"x": x("q3"), "y": y()}}
    dot = {"data": {"values": [dict(r) for r in rows]},
           "mark": {"type": "point", "color": INK, "filled": True, "shape": "diamond",
                    "size": 120}, "encoding": {"x": x("score"), "y": y()}}
    return {"config": _house(), "layer": [box, med, top, dot],
            "data": {"values": [dict(r) for r in rows if r["q1"] is not None]},
            "height": ROW * len(rows), "width": 360}


@memo
def position_strip(rows: list[dict[str, Any]], who: str,
                   scale: tuple[float, float] = (0, 100), x_title: str = "Score (0-100)"
                   ) -> Chart:
    """One row per measure: the sector's interquartile box, its median and upper quartile,
    and the organisation's score as a dot. ``rows``: measure, q1, median, q3, score."""
    parts = []
    for r in rows:
        where = (f"sector median {number(r['median'])}, quartiles {number(r['q1'])} to "
                 f"{number(r['q3'])}"
                 if r["q1"] is not None else "no sector baseline")
        parts.append(f"{r['measure']}: {number(r['score'])} ({where})")
    return Chart(_draw(_strip_spec(rows, scale, x_title)),
                 f"Position of {who} against its sector: " + "; ".join(parts) + ".")


def _slope_spec(rows: list[dict[str, Any]], waves: list[str]) -> dict[str, Any]:
    """The Vega-Lite spec of ``slope`` as a dict (the same spec Altair builds; see
    ``_strip_spec``)."""
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = [INK, BAR, AXIS][:len(series)]
    dashes = [[1, 0], [4, 3], [2, 2]][:len(series)]
    return {"config": _house(), "data": {"values": [dict(r) for r in rows]},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "color": {"field": "series", "scale": {"domain": list(series),
                                                       "range": colours},
                          "sort": list(series), "title": None, "type": "nominal"},
                "strokeDash": {"field": "series", "scale": {"domain": list(series),
                                                            "range": dashes},
                               "sort": list(series), "title": None, "type": "nominal"},
                "x": {"axis": {"labelAngle": 0}, "field": "wave", "sort": list(waves),
                      "title": None, "type": "ordinal"},
                "y": {"field": "value", "scale": {"zero": False}, "title": "Index (0-100)",
                      "type": "quantitative"}},
            "height": 200, "width": 360}


@memo
def slope(rows: list[dict[str, Any]], waves: list[str], who: str) -> Chart:
    """The index across waves: the organisation against the sector and national medians.
    ``rows``: series, wave, value."""
    series = list(dict.fromkeys(r["series"] for r in rows))
    text = "; ".join(f"{s}: " + ", ".join(f"{r['wave']} {number(r['value'])}" for r in rows
                                          if r["series"] == s) for s in series)
    return Chart(_draw(_slope_spec(rows, waves)),
                 f"Satisfaction index across waves for {who}. {text}.")


SERIES_COLOURS = (BAR, "#6b7785", GROUP_COLOURS[1])


def _fmt(v: float, digits: int = 1) -> str:
    return number(v, digits)


@memo
def trend(rows: list[dict[str, Any]], waves: list[str], what: str, y_title: str = "Index (0-100)"
          ) -> Chart:
    """Lines over the waves with a 95% interval band per series (the first series drawn
    strongest, the others as dashed references). ``rows``: series, wave, value, lo, hi."""
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = list(SERIES_COLOURS[:len(series)])
    lo = min(r["lo"] for r in rows)
    hi = max(r["hi"] for r in rows)
    pad = max(2.0, (hi - lo) * 0.15)
    y = alt.Scale(domain=[5 * ((lo - pad) // 5), 5 * ((hi + pad) // 5 + 1)], zero=False)
    x = alt.X("wave:O", sort=waves, title=None, axis=alt.Axis(labelAngle=0))
    colour = alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=colours),
                       title=None, legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=2.5,
                                         symbolOpacity=1))
    tips = [dict(r, detail=f"{r['series']}, {r['wave']}: {_fmt(r['value'])} ({_fmt(r['lo'])} "
                           f"to {_fmt(r['hi'])})") for r in rows]
    base = alt.Chart(alt.Data(values=tips))
    band = base.mark_area(opacity=0.18).encode(x=x, y=alt.Y("lo:Q", scale=y, title=y_title),
                                               y2="hi:Q", color=colour)
    # The interval's edges as thin lines: the pale band alone is below 3:1 on white.
    edges = [base.mark_line(strokeWidth=1, strokeDash=[1, 2]).encode(
        x=x, y=alt.Y(f"{q}:Q", scale=y), color=colour) for q in ("lo", "hi")]
    pick, fade = _legend_filter("series")
    line = base.mark_line(point=True, strokeWidth=2.5).add_params(pick).encode(
        x=x, y=alt.Y("value:Q", scale=y), color=colour, tooltip=TIP, opacity=fade,
        strokeDash=alt.StrokeDash("series:N", sort=series, title=None, scale=alt.Scale(
            domain=series, range=[[1, 0], [5, 3], [2, 2]][:len(series)])))
    text = base.mark_text(dy=-12, fontSize=11, color=INK).transform_filter(
        alt.datum.series == series[0]).encode(x=x, y=alt.Y("value:Q", scale=y),
                                              text=alt.Text("value:Q", format=".1f"))
    chart = alt.layer(band, *edges, line, text).properties(width=max(260, 110 * len(waves)),
                                                           height=220)
    parts = "; ".join(f"{s}: " + ", ".join(
        f"{r['wave']} {_fmt(r['value'])} ({pct(0.95)} CI {_fmt(r['lo'])} to {_fmt(r['hi'])})"
        for r in rows if r["series"] == s) for s in series)
    return Chart(_svg(chart), f"Line chart of {what} across waves. {parts}.")


@memo
def ranking(rows: list[dict[str, Any]], reference: float | None, what: str,
            reference_label: str, hidden: list[str], scale: tuple[float, float] | None = None
            ) -> Chart:
    """One row per group, highest first: the estimate as a dot with its 95% interval, and the
    national figure as a vertical line. ``rows``: group, value, lo, hi."""
    order = [r["group"] for r in sorted(rows, key=lambda r: (-r["value"], r["group"]))]
    lo = min([r["lo"] for r in rows] + ([reference] if reference is not None else []))
    hi = max([r["hi"] for r in rows] + ([reference] if reference is not None else []))
    pad = max(1.0, (hi - lo) * 0.1)
    dom = list(scale) if scale else [5 * ((lo - pad) // 5), 5 * ((hi + pad) // 5 + 1)]
    xs = alt.Scale(domain=dom, zero=False)
    y = alt.Y("group:N", sort=order, title=None)
    tips = [dict(r, detail=f"{r['group']}: {_fmt(r['value'])} ({pct(0.95)} CI {_fmt(r['lo'])} "
                           f"to {_fmt(r['hi'])})") for r in rows]
    base = alt.Chart(alt.Data(values=tips)).encode(y=y)
    whisk = base.mark_rule(color=MUTED, strokeWidth=2).encode(
        x=alt.X("lo:Q", scale=xs, title=what, axis=alt.Axis(tickCount=6)), x2="hi:Q")
    dot = base.mark_point(filled=True, size=90, color=BAR, opacity=1).encode(x="value:Q",
                                                                         tooltip=TIP)
    text = base.mark_text(align="left", dx=8, fontSize=11, color=INK).encode(
        x="hi:Q", text=alt.Text("value:Q", format=".1f"))
    layers = [whisk, dot, text]
    if reference is not None:
        ref = alt.Chart(alt.Data(values=[{"x": reference, "label": reference_label}]))
        layers.insert(0, ref.mark_rule(color=GROUP_COLOURS[1], strokeDash=[5, 3],
                                       strokeWidth=1.5).encode(x="x:Q"))
    chart = alt.layer(*layers).properties(width=300, height=max(ROW, 26 * len(rows)))
    ref_text = (f" {reference_label}: {_fmt(reference)} (the dashed line)."
                if reference is not None else "")
    tail = f" Not shown, withheld: {', '.join(hidden)}." if hidden else ""
    parts = "; ".join(f"{r['group']} {_fmt(r['value'])} ({pct(0.95)} CI {_fmt(r['lo'])} to "
                      f"{_fmt(r['hi'])})" for r in sorted(rows, key=lambda r: order.index(
                          r["group"])))
    return Chart(_svg(chart), f"Dot chart of {what}, highest first: {parts}.{ref_text}{tail}")


@memo
def ranges(rows: list[dict[str, Any]], what: str, hidden: list[str] | None = None,
           x_title: str = "Score (0-100)") -> Chart:
    """One row per label: the interquartile range of organisations' scores as a bar and the
    median as a tick, for one or two series (the second drawn beside the first, paler).
    ``rows``: label, series, q1, median, q3."""
    labels = list(dict.fromkeys(r["label"] for r in rows))
    series = list(dict.fromkeys(r["series"] for r in rows))
    lo = min(r["q1"] for r in rows)
    hi = max(r["q3"] for r in rows)
    xs = alt.Scale(domain=[5 * ((lo - 3) // 5), 5 * ((hi + 3) // 5 + 1)], zero=False)
    y = alt.Y("label:N", sort=labels, title=None)
    colour = alt.Color("series:N", sort=series, title=None, scale=alt.Scale(
        domain=series, range=[BOX_FILL, PALE_FILL][:len(series)]),
        legend=alt.Legend(symbolType="square") if len(series) > 1 else None)
    off = alt.YOffset("series:N", sort=series) if len(series) > 1 else alt.Undefined
    tips = [dict(r, detail=f"{r['label']}, {r['series']}: median {_fmt(r['median'])}, "
                           f"quartiles {_fmt(r['q1'])} to {_fmt(r['q3'])}") for r in rows]
    base = alt.Chart(alt.Data(values=tips)).encode(y=y, yOffset=off)
    box = base.mark_bar(height=12 if len(series) > 1 else 16, strokeWidth=1).encode(
        x=alt.X("q1:Q", scale=xs, title=x_title), x2="q3:Q", color=colour, tooltip=TIP,
        stroke=alt.Stroke("series:N", sort=series, legend=None, scale=alt.Scale(
            domain=series, range=[BOX_LINE, PALE_LINE][:len(series)])))
    med = base.mark_tick(color=INK, thickness=2, size=12 if len(series) > 1 else 18).encode(
        x="median:Q")
    step = 30 if len(series) > 1 else 24
    chart = alt.layer(box, med).properties(width=320, height=alt.Step(step // len(series))
                                           if len(series) > 1 else step * len(labels))
    parts = "; ".join(f"{r['label']}, {r['series']}: median {_fmt(r['median'])}, quartiles "
                      f"{_fmt(r['q1'])} to {_fmt(r['q3'])}" for r in rows)
    tail = f" Not shown, withheld: {', '.join(hidden)}." if hidden else ""
    return Chart(_svg(chart), f"Range chart of {what}: the middle half of organisations "
                 f"(lower to upper quartile) with the median. {parts}.{tail}")


@memo
def measure_grid(rows: list[dict[str, Any]], measures: list[str], groups: list[str],
                 national: dict[str, float], hidden: list[str] | None = None) -> Chart:
    """Small multiples, one per measure: each group's mean with its 95% interval, and the
    national mean as a dashed line. ``rows``: measure, group, value, lo, hi."""
    data = [dict(r, kind="group", detail=f"{r['measure']}, {r['group']}: {_fmt(r['value'])} "
                                         f"({pct(0.95)} CI {_fmt(r['lo'])} to {_fmt(r['hi'])})")
            for r in rows]
    data += [{"measure": m, "x": v, "kind": "ref"} for m, v in national.items()]
    y = alt.Y("group:N", sort=groups, title=None)
    xs = alt.Scale(zero=False)
    own = alt.datum.kind == "group"
    whisk = alt.Chart().transform_filter(own).mark_rule(color=MUTED, strokeWidth=1.5).encode(
        y=y, x=alt.X("lo:Q", scale=xs, title=None, axis=alt.Axis(tickCount=4)), x2="hi:Q")
    dot = alt.Chart().transform_filter(own).mark_point(filled=True, size=45, color=BAR,
                                                       opacity=1).encode(y=y, x="value:Q",
                                                                         tooltip=TIP)
    ref = alt.Chart().transform_filter(alt.datum.kind == "ref").mark_rule(
        color=GROUP_COLOURS[1], strokeDash=[4, 3]).encode(x="x:Q")
    # Three columns: the grid fits the A4 text width at full size.
    chart = alt.layer(ref, whisk, dot, data=alt.Data(values=data)).properties(
        width=120, height=18 * len(groups)).facet(
        facet=alt.Facet("measure:N", sort=measures, title=None,
                        header=alt.Header(labelFontSize=11, labelLimit=140)),
        columns=3).resolve_scale(x="independent")
    parts = "; ".join(f"{m} (national {_fmt(national[m])}" + "".join(
        f", {r['group']} {_fmt(r['value'])}" for r in rows if r["measure"] == m) + ")"
        for m in measures if m in national)
    tail = f" Not shown, withheld: {', '.join(hidden)}." if hidden else ""
    return Chart(_svg(chart), "Small multiples of each measure's mean by sector, with "
                 f"{pct(0.95)} intervals; dashed: the national mean. {parts}.{tail}")


@memo
def peers(rows: list[dict[str, Any]], who: str, where: str) -> Chart:
    """Every published organisation of a sector as a tick on one line, the named one as a
    diamond: where it stands among its peers. ``rows``: name, value, own."""
    vals = [r["value"] for r in rows]
    xs = alt.Scale(domain=[5 * int(min(vals) // 5) - 5, min(100, 5 * int(max(vals) // 5) + 10)])
    data = [{"value": r["value"], "own": r["own"], "row": where} for r in rows]
    base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y("row:N", title=None))
    others = base.transform_filter("!datum.own").mark_tick(
        color=BAR_LOW, thickness=2, size=22).encode(
        x=alt.X("value:Q", scale=xs, title="Satisfaction index (0-100)"))
    own = base.transform_filter("datum.own").mark_point(
        filled=True, size=160, shape="diamond", color=INK, opacity=1).encode(x="value:Q")
    chart = (others + own).properties(width=420, height=40)
    mine = next(r["value"] for r in rows if r["own"])
    above = sum(v > mine for v in vals)
    return Chart(_svg(chart), f"Strip of the satisfaction index of the {len(rows)} "
                 f"organisations in {where} with a published score: {who} scores "
                 f"{_fmt(mine)}, with {above} of them above it. Scores: "
                 + ", ".join(_fmt(v) for v in sorted(vals, reverse=True)) + ".")
