"""Result model + charts -> HTML, with Jinja2.

Templates never compute statistics: they receive the result model, pre-drawn charts, and
formatting filters. Autoescape is on for every template whatever its name, and an undefined
variable is an error. ``|safe`` is used only on SVG drawn by vl-convert and on HTML this module
made itself (Markdown of the study's own pages).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import markdown as md
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from . import __version__, formats
from . import charts as ch
from .benchmark import INDEX, NATIONAL, NPS
from .errors import BuildError
from .results import ALL, Estimate, Gap, IndicatorResult, Report, has_design
from .words import (
    capitalise,
    change_words,
    ci_digits,
    count,
    fraction_words,
    number,
    pct,
    pct_range,
    points,
    setting,
    signed,
    slug,
    threshold,
)

DEFAULTS = Path(str(resources.files("rocsreport.templates")))


@dataclass(frozen=True)
class PageDoc:
    """One page of the site and one section of the PDF."""

    id: str
    title: str
    nav: str  # navigation group
    template: str  # body partial
    context: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # narrative Markdown pages: body rendered in advance
    in_nav: bool = True  # listed in the sidebar (one page per organisation is not)
    in_print: bool = True  # a section of the PDF

    @property
    def filename(self) -> str:
        return f"{self.id}.html"


@functools.lru_cache(maxsize=8)
class ConfinedLoader(FileSystemLoader):
    """A template folder's loader that follows no symlink: a template is read only if it is a
    regular file whose every path part inside the folder is a real file or folder, so a study
    cannot publish /etc/passwd through a link named like a template."""

    def get_source(self, environment: Environment, template: str):
        for base in self.searchpath:
            root = Path(base)
            parts = template.split("/")
            if any(p in ("", ".", "..") for p in parts):
                raise TemplateNotFound(template)
            path, linked = root, False
            for part in parts:
                path = path / part
                linked = linked or path.is_symlink()
            if not path.exists():
                continue
            if linked or not path.is_file() or root.is_symlink():
                # Not TemplateNotFound: the next folder's default would be used in silence.
                raise BuildError(f"{path}: a symbolic link or not a regular file; templates "
                                 "are read only as plain files inside the template folders")
            text = path.read_text(encoding="utf-8")
            mtime = path.stat().st_mtime
            return text, str(path), lambda p=path, m=mtime: p.stat().st_mtime == m
        raise TemplateNotFound(template)


def environment(study_root: Path) -> Environment:
    """The template environment of a study (one per study folder and process: Jinja compiles
    each template once and recompiles it only when its file changes)."""
    return _environment(Path(study_root).resolve())


@functools.lru_cache(maxsize=16)
def _environment(study_root: Path) -> Environment:
    """Study templates first, then the defaults; ``default:`` reaches a default template
    from an override that extends it. Every template runs sandboxed (Jinja's
    SandboxedEnvironment: no attribute starting with an underscore, no unsafe callables), so
    an override in a contributed study cannot reach Python's internals."""
    defaults = ConfinedLoader(str(DEFAULTS))
    loader = ChoiceLoader([ConfinedLoader(str(study_root / "templates")), defaults,
                           PrefixLoader({"default": defaults}, delimiter=":")])
    env = SandboxedEnvironment(loader=loader, autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(slug=slug, pct=_pct, pct_range=pct_range, points=points,
                       words=fraction_words, cap=capitalise, num=number, signed=signed,
                       pvalue=pvalue, cidigits=lambda e: ci_digits(e.ci_low, e.ci_high),
                       threshold=threshold, svg_width=svg_width, count=count,
                       date=formats.date, pvalue_words=pvalue_words,
                       setting=setting, json_script=json_script,
                       quantile_label=quantile_label)
    # Figures in the fixed wording ("95% confidence intervals", "the 5% level"), written in
    # the locale of the page being rendered.
    env.globals.update(p95=_Figure(0.95), p5=_Figure(0.05), p100=_Figure(1.0))
    env.globals.update(change_words=change_words, quantile_rows=quantile_rows)
    return env


def quantile_label(p: float) -> str:
    """A probability as a reader names the quantile: "Median", "25th percentile"."""
    if p == 0.5:
        return "Median"
    pc = round(p * 100, 6)
    text = f"{pc:g}"
    if pc == round(pc):
        k = round(pc)
        suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
        return f"{k}{suffix} percentile"
    return f"{text}th percentile"


def quantile_rows(cells: Any, breakdown: str) -> list[tuple[str, list[Any]]]:
    """The quantile cells of one breakdown ("all" for everyone) as rows: (group, one cell per
    probability, in the study's order)."""
    rows: dict[str, list[Any]] = {}
    for c in cells:
        if c.breakdown == breakdown:
            rows.setdefault(c.group, []).append(c)
    return list(rows.items())


def json_script(value: Any) -> Markup:
    """JSON to put inside a ``<script type="application/json">`` element: ``<``, ``>`` and
    ``&`` are written as Unicode escapes, so no text can close the element."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e")  # noqa: S704
                  .replace("&", "\\u0026"))


class _Figure:
    """A percentage in the wording of a template, formatted when the page is rendered."""

    def __init__(self, p: float) -> None:
        self.p = p

    def __str__(self) -> str:
        return pct(self.p)

    def __html__(self) -> str:
        return str(self)


_SVG_WIDTH = re.compile(r'<svg[^>]*?\swidth="([0-9.]+)"')


def svg_width(svg: str) -> float:
    """The drawn width of a chart, in CSS px (0 when the SVG does not say)."""
    m = _SVG_WIDTH.match(svg)
    return float(m.group(1)) if m else 0.0


def _citation(study) -> str:
    from .citation import sentence

    return sentence(study)


def _reason(b) -> str:
    """Why a baseline is withheld, in a few words."""
    if b.secondary and not b.suppressed:
        return "withheld so that another sector cannot be worked out"
    return b.reason or "withheld"


def short_wave(label: str, code: str) -> str:
    """"July 2013" -> "Jul 13" for chart axes; anything else stays as its code."""
    parts = label.split()
    if len(parts) == 2 and parts[1].isdigit() and len(parts[1]) == 4:
        return f"{parts[0][:3]} {parts[1][2:]}"
    return code


def _pct(p: float | None, digits: int = 0) -> str:
    return pct(p, digits)


def pvalue(p: float) -> str:
    """p-values as a journal prints them."""
    if p < 0.001:
        return f"< {number(0.001, 3)}"
    return number(p, 3)


def finding(res: IndicatorResult, unit: str) -> str:
    """A key finding in words with its numbers, generated from the estimate."""
    e = res.lead
    if e.suppressed:
        return f"{res.indicator.label}: not published (base too small)."
    when = f"In {e.group}, " if e is not res.overall else ""
    words = fraction_words(e.estimate)
    words = {"none": "no"}.get(words, words)
    if words.endswith("half"):
        words += " of"  # "just over half of organisations"
    low = "; low base" if e.low_base else ""
    d = ci_digits(e.ci_low, e.ci_high)
    text = (f"{capitalise(words)} {unit} ({pct(e.estimate, d)}; {pct(0.95)} CI "
            f"{pct_range(e.ci_low, e.ci_high, d)}; n = {count(e.n)}{low}) "
            f"{res.indicator.statement}")
    if when:
        text = when + text[0].lower() + text[1:] if not text.startswith(("No ", "None")) \
            else when + text
    g = res.wave_change
    if g is not None and g.diff is not None:
        sig = ("a significant change" if g.significant else "not a significant change")
        text += (f"; {points(g.diff, 1)} on {g.b.group} ({pct(g.b.estimate, d)}), {sig} "
                 f"after the Benjamini–Hochberg adjustment")
    return text + "."


def gap_sentence(g: Gap) -> str:
    if g.suppressed:
        return f"{g.indicator.label}: the gap is not published (a base is too small)."
    sig = ("a significant difference after the Benjamini–Hochberg adjustment"
           if g.significant else "not significant after the Benjamini–Hochberg adjustment")
    return (f"{g.a.group}: {pct(g.a.estimate)} (n = {count(g.a.n)}); {g.b.group}: "
            f"{pct(g.b.estimate)} (n = {count(g.b.n)}). The gap is {points(g.diff)} "
            f"({pct(0.95)} CI {signed(100 * g.ci_low)} to {signed(100 * g.ci_high)}), {sig} "
            f"(adjusted p {pvalue_words(g.p_adjusted)}).")


def pvalue_words(p: float | None) -> str:
    assert p is not None
    return f"< {number(0.001, 3)}" if p < 0.001 else f"= {number(p, 3)}"


class Builder:
    """Draws every chart once and assembles the pages of one report."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.study = report.study
        self.env = environment(self.study.root)
        self._charts: dict[str, ch.Chart] = {}
        from .progress import Counter

        self.drawn = Counter("charts drawn")
        self.extra: dict[str, Any] = {"has_pdf": False, "downloads": []}

    # Charts are drawn once and shared by the site and the PDF.
    def chart(self, key: str, make) -> ch.Chart:
        if key not in self._charts:
            self._charts[key] = make()
            self.drawn.tick()
        return self._charts[key]

    def indicator_chart(self, iid: str, by: str | None = None) -> ch.Chart:
        res = self.report.indicator(iid)
        if by is None:
            return self.chart(f"ind:{iid}", lambda: ch.proportion_bars(
                [res.overall], res.indicator.label))
        cells = next((b for b in res.by if b.breakdown.id == by), None)
        if cells is None:
            raise BuildError(f"unknown breakdown {by!r} for indicator {iid!r} (expected one "
                             f"of: {', '.join(b.breakdown.id for b in res.by)})")
        return self.chart(f"ind:{iid}:{by}", lambda: ch.proportion_bars(
            [res.overall, *cells.cells], f"{res.indicator.label} by {cells.breakdown.label}"))

    def headline_chart(self) -> ch.Chart:
        cells = [_relabel(r.lead, r.indicator.label) for r in self.report.indicators]
        return self.chart("headline", lambda: ch.proportion_bars(
            cells, f"key indicators, {self.headline_scope()}"))

    def headline_scope(self) -> str:
        leads = {r.lead.group for r in self.report.indicators}
        if len(leads) == 1 and ALL not in leads:
            return f"{self.study.unit}, {next(iter(leads))}"
        return f"all {self.study.unit}"

    def pages(self) -> list[PageDoc]:
        try:
            pages = self._pages()
        finally:
            self.drawn.close()
        self.page_ids = {p.id for p in pages}
        self.page_titles = {p.id: p.title for p in pages}
        return pages

    def coverage(self) -> dict[str, tuple[str, str | None]]:
        """Where each question of the codebook is reported: (what, page id or None). A
        question with no page of its own says why, so none is left out silently."""
        st, ids = self.study, getattr(self, "page_ids", set())
        design = st.design
        roles = {}
        if st.weight_column:
            roles[st.weight_column] = "The weight of each response"
        if design is not None:
            for c in (*design.clusters, *( [design.strata] if design.strata else [])):
                roles[c] = "Part of the sampling design (strata or clusters)"
            for c in design.fpc:
                roles[c] = "Part of the sampling design (population sizes)"
            if design.replicate is not None:
                for c in design.replicate.weights:
                    roles[c] = "A replicate weight"
        texts = dict(self.report.text_answers)
        from .results import wave_questions

        waves = wave_questions(st)
        iv = st.interviews
        bm = st.benchmark
        tr = st.tracker
        out: dict[str, tuple[str, str | None]] = {}
        for q in st.questions:
            page = next((pid for pid in (
                f"question-{q.id}", "agreement" if q.type == "likert" else "",
                *(f"indicator-{i.id}" for i in st.indicators if i.question == q.id),
                *(f"breakdown-{b.id}" for b in st.breakdowns if b.question == q.id),
                *(f"area-{a.id}" for a in (tr.areas if tr else ()) for m in a.measures
                  if m.question == q.id)) if pid in ids), None)
            if q.id in roles:
                out[q.id] = (roles[q.id], None)
            elif not q.report:
                out[q.id] = ("Not reported (report: false in study.yaml)", None)
            elif page is not None:
                out[q.id] = (self.page_titles[page], page)
            elif q.id in waves:
                wb = st.wave_breakdown
                out[q.id] = ("The survey wave: figures are given wave by wave",
                             f"breakdown-{wb.id}" if wb and f"breakdown-{wb.id}" in ids
                             else None)
            elif q.type == "id":
                out[q.id] = ("An identifier: not published", None)
            elif iv is not None and q.id in (iv.themes, iv.quote, iv.organisation):
                out[q.id] = ("Interviews", "interviews" if "interviews" in ids else None)
            elif q.id in texts:
                n = texts[q.id]
                out[q.id] = (("Free text: fewer than "
                              f"{st.disclosure.suppress_below} answers" if n is None else
                              f"Free text: {formats.integer(n)} answers") +
                             "; the text itself is not published", None)
            elif bm is not None and q.id in (bm.name, bm.sector, bm.wave, *bm.items,
                                              bm.nps or "", *bm.metrics):
                out[q.id] = ("The benchmark", "national" if "national" in ids else None)
            elif tr is not None and (q.id == tr.wave or (tr.metrics is not None and q.id in (
                    tr.metrics.period, *dict(tr.metrics.columns).values()))):
                out[q.id] = ("The tracker", "year-on-year" if tr.metrics is not None
                             and q.id != tr.wave and "year-on-year" in ids else
                             "programme" if "programme" in ids else None)
            else:
                out[q.id] = ("Not reported on its own", None)
        return out

    def _pages(self) -> list[PageDoc]:
        r = self.report
        if r.tracker is not None:
            return self.tracker_pages()
        pages: list[PageDoc] = []
        narrative = {p.id: p for p in self.study.pages}
        index_body = self.narrative(narrative["index"].file) if "index" in narrative else ""
        pages.append(PageDoc("index", narrative["index"].title if "index" in narrative
                             else "Headline findings", "Findings", "_headline.html",
                             {"headline_chart": self.headline_chart(),
                              "headline_scope": self.headline_scope(),
                              "trend": self.trend_chart(NATIONAL, INDEX)
                              if r.benchmark is not None else None}, index_body))
        if r.gaps and r.compare is not None:
            pages.append(PageDoc("gaps", "Perspective gap", "Findings", "_gaps.html", {
                "chart": self.chart("gaps", lambda: ch.dumbbell(list(r.gaps),
                                                                 r.compare.compare)),
                "groups": r.compare.compare}))
        if r.benchmark is not None:
            pages += self.benchmark_pages()
        # The study's own narrative pages follow the headline, in the order declared.
        pages += [PageDoc(p.id, p.title, "Findings", "_narrative.html", {},
                          self.narrative(p.file)) for p in self.study.pages if p.id != "index"]
        for res in r.indicators:
            pages.append(PageDoc(f"indicator-{res.indicator.id}", res.indicator.label,
                                 "Indicators", "_indicator.html", {
                                     "res": res,
                                     "charts": {b.breakdown.id: self.indicator_chart(
                                         res.indicator.id, b.breakdown.id) for b in res.by},
                                     "crossed_charts": {x.id: self.chart(
                                         f"crossed:{res.indicator.id}:{x.id}",
                                         lambda res=res, x=x: ch.proportion_bars(
                                             list(x.cells), f"{res.indicator.label} by "
                                             f"{x.label.lower()}"))
                                         for x in res.crossed}}))
        if r.likert:
            pages.append(PageDoc("agreement", r.scales_title, "Questions", "_likert.html", {
                "charts": [self.chart(f"likert:{k}", lambda g=g: ch.likert_diverging(list(g)))
                           for k, g in enumerate(r.scales)]}))
        for m in r.choices:
            chart = self.chart(f"multi:{m.question.id}", lambda m=m: ch.proportion_bars(
                [_relabel(o.overall, o.label) for o in m.options], m.question.short))
            pages.append(PageDoc(f"question-{m.question.id}", m.question.short, "Questions",
                                 "_multi.html", {"mres": m, "chart": chart}))
        for num in r.numbers:
            chart = (self.chart(f"nps:{num.question.id}",
                                lambda num=num: ch.nps_bars(list(num.nps)))
                     if num.nps else None)
            pages.append(PageDoc(f"question-{num.question.id}", num.question.short,
                                 "Questions", "_number.html", {"num": num, "chart": chart}))
        if r.crosstabs:
            pages.append(PageDoc("crosstabs", "Crosstabs", "Questions", "_crosstabs.html"))
        for b in self.study.breakdowns:
            if b.question not in {q.id for q in self.study.questions_of(self.study.survey.id)}:
                continue
            pages.append(PageDoc(f"breakdown-{b.id}", f"By {b.label.lower()}", "Breakdowns",
                                 "_breakdown.html", {"b": b}))
        if r.interviews is not None:
            pages.append(PageDoc("interviews", "Interviews", "Interviews", "_interviews.html", {
                "iv": r.interviews,
                "chart": self.chart("themes", lambda: ch.theme_grid(r.interviews))}))
        pages.append(PageDoc("methodology", "Methodology", "About", "_methodology.html"))
        pages.append(PageDoc("data", "Data downloads", "About", "_data.html"))
        return pages

    def tracker_pages(self) -> list[PageDoc]:
        """A tracker study's report: headline, programme overview, one page per area, the
        rewards, the year on year, the methodology and the downloads. The survey's pooled
        figures are not published: pooled over the cycles they would include a withheld
        cycle, and the pooled figure less the published cycles would give it."""
        from . import trackcharts as tc
        from . import trackwords as tw

        tr = self.report.tracker
        t = tr.spec
        order = [a for rid, _ in t.rewards for a in tr.areas if a.area.reward == rid]
        grid_rows = [{"reward": t.reward_label(a.area.reward), "area": a.area.label,
                      "cycle": c, "state": a.measures[0].state(c), "focus": c == a.focus}
                     for a in order for c in tr.programme]
        grid = self.chart("tracker:grid", lambda: tc.programme_grid(
            grid_rows, [a.area.label for a in order], list(tr.programme),
            [label for _, label in t.rewards]))
        charts = {}
        for a in tr.areas:
            for m in a.measures:
                rows = [{"cycle": p.cycle, "value": p.value,
                         "lower": m.limits.lower[k], "upper": m.limits.upper[k],
                         "rule": next((s.rule for s in m.signals if s.index == k), None),
                         "better": next((m.improving(s) for s in m.signals if s.index == k),
                                        None)}
                        for k, p in enumerate(m.points)]
                # A point firing both rules is marked by the stronger: beyond a limit.
                for k, row in enumerate(rows):
                    fired = [s for s in m.signals if s.index == k]
                    if any(s.rule == "outside" for s in fired):
                        row["rule"] = "outside"
                        row["better"] = m.improving(next(s for s in fired
                                                         if s.rule == "outside"))
                unit = {"proportion": "Share (%)", "nps": "Net promoter score",
                        "mean": "Mean score"}[m.measure.kind]
                charts[(a.area.id, m.measure.id)] = self.chart(
                    f"tracker:{a.area.id}:{m.measure.id}", lambda rows=rows, m=m, a=a, unit=unit:
                    tc.control_chart(rows, m.measure.kind, m.measure.label, a.focus,
                                     m.limits.centre, unit, m.chart_name))
        verdict_rows = [{"reward": w.label, "verdict": tw.VERDICTS[v],
                         "areas": w.count(v)} for w in tr.rewards
                        for v in ("held", "faded", "none", "declined")]
        rewards = self.chart("tracker:rewards", lambda: tc.reward_bars(
            verdict_rows, [w.label for w in tr.rewards]))
        year = None
        if tr.year:
            year = self.chart("tracker:year", lambda: tc.year_changes([
                {"label": y.label, "change": 100 * y.relative,
                 "lo": 100 * ((y.ci_low - 1) if y.kind == "rate" else y.ci_low / y.before),
                 "hi": 100 * ((y.ci_high - 1) if y.kind == "rate" else y.ci_high / y.before)}
                for y in tr.year]))
        ctx = {"tr": tr, "tw": tw, "order": order}
        narrative = {p.id: p for p in self.study.pages}
        pages = [PageDoc("index", "Headline findings", "Findings", "_tracker_headline.html",
                         dict(ctx, findings=tw.findings(tr), grid=grid),
                         self.narrative(narrative["index"].file) if "index" in narrative
                         else ""),
                 PageDoc("programme", "Programme overview", "Programme",
                         "_tracker_overview.html", dict(ctx, grid=grid)),
                 PageDoc("rewards", "The four rewards", "Programme", "_tracker_rewards.html",
                         dict(ctx, chart=rewards))]
        if tr.year:
            pages.append(PageDoc("year-on-year", "Year on year", "Programme",
                                 "_tracker_year.html", dict(ctx, chart=year)))
        pages += [PageDoc(p.id, p.title, "Findings", "_narrative.html", {},
                          self.narrative(p.file)) for p in self.study.pages if p.id != "index"]
        for a in sorted(tr.areas, key=lambda a: (a.focus is None, a.focus or 0)):
            pages.append(PageDoc(f"area-{a.area.id}", a.area.label, "Areas",
                                 "_tracker_area.html", dict(ctx, ar=a, charts=charts)))
        pages.append(PageDoc("methodology", "Methodology", "About",
                             "_tracker_methodology.html", ctx))
        pages.append(PageDoc("data", "Data downloads", "About", "_data.html"))
        return pages

    def benchmark_pages(self) -> list[PageDoc]:
        bm = self.report.benchmark
        assert bm is not None
        short = {w: short_wave(bm.wave_label(w), w) for w in bm.waves}
        latest = bm.latest
        rows = [{"scope": b.scope, "wave": short[b.wave], "median": b.median, "q1": b.q1,
                 "q3": b.q3}
                for b in bm.baselines if b.measure == "index" and not b.suppressed]
        shown = {r["scope"] for r in rows}
        left_out = [f"{sec} ({self._why(sec)})" for sec in bm.sectors if sec not in shown]
        multiples = self.chart("sectors", lambda: ch.sector_multiples(
            rows, [short[w] for w in bm.waves], "All sectors", left_out))
        pairs = list(dict.fromkeys((c.from_wave, c.to_wave) for c in bm.counts))
        if bm.headline in pairs:
            pairs.remove(bm.headline)
            pairs.insert(0, bm.headline)
        nat = bm.baseline(NATIONAL, latest, INDEX)
        charts: dict[str, ch.Chart | None] = {
            "multiples": multiples,
            "ranking": self._ranking(INDEX, "Satisfaction index (0-100)"),
            "nps": self._ranking(NPS, "Net promoter score (−100 to +100)") if bm.spec.nps
            else None,
            "grid": self._grid(),
            "spread": self._spread(),
        }
        for r in bm.spec.rates:
            charts[f"rate:{r}"] = self._ranking(r, bm.label(r))
        pages = [PageDoc("national", "National index", "Benchmark", "_national.html",
                         {"bm": bm, "chart": multiples, "charts": charts, "nat": nat})]
        if len(bm.waves) > 1:
            pages.append(PageDoc("change", "Change between waves", "Benchmark",
                                 "_change.html", {"bm": bm, "pairs": pairs}))
        if bm.relationships:
            rel = [self.chart(f"rel:{x.metric}", lambda x=x: ch.binned_scatter(
                x.label, [{"index": b.index, "metric": b.metric} for b in x.bins],
                x.r, x.ci_low, x.ci_high)) for x in bm.relationships]
            pages.append(PageDoc("relationship", "Service and business performance",
                                 "Benchmark", "_relationship.html", {"bm": bm, "charts": rel}))
        for sector in bm.sectors:
            pages.append(PageDoc(f"sector-{slug(sector)}", sector, "Sectors", "_sector.html", {
                "bm": bm, "sector": sector, "pairs": pairs,
                "trend": self.trend_chart(sector, INDEX),
                "nps_trend": self.trend_chart(sector, NPS) if bm.spec.nps else None,
                "national_trend": self.trend_chart(NATIONAL, INDEX),
                "national_nps": self.trend_chart(NATIONAL, NPS) if bm.spec.nps else None,
                "items": self._items(sector)}))
        if bm.spec.publish_organisation_scores and bm.names:
            pages += self.organisation_pages()
        return pages

    def organisation_pages(self) -> list[PageDoc]:
        """The league table and one page per organisation with a published score: only when
        the study publishes organisations' scores (``public_view`` keeps them)."""
        from .compare import band
        from .folders import collisions

        bm = self.report.benchmark
        assert bm is not None
        clashes = collisions([o for o, _, _ in bm.names])
        if clashes:
            raise BuildError("organisation ids that a reader could take for one another: "
                             + "; ".join(f"{a!r} and {b!r}" for a, b in clashes[:5]))
        latest, prev = bm.latest, bm.previous
        page_of = {o: f"org-{slug(o)}" for o, _, _ in bm.names}
        published = {o.org for o in bm.orgs if not o.score(INDEX).suppressed}
        league = []
        for org, name, sector in bm.names:
            ow = bm.org_wave(org, latest)
            s = ow.score(INDEX) if ow else None
            change = next((c for c in bm.changes if c.org == org and c.to_wave == latest
                           and c.from_wave == prev), None)
            b = bm.baseline(sector, latest, INDEX)
            league.append({"org": org, "name": name, "sector": sector, "score": s,
                           "change": change, "page": page_of[org] if org in published else None,
                           "band": band(s.mean, b.q1, b.median, b.q3)
                           if s is not None and not s.suppressed and b is not None
                           and not b.suppressed else None})
        league.sort(key=lambda r: (r["score"] is None or r["score"].suppressed,
                                   -(r["score"].mean or 0) if r["score"] else 0, r["name"]))
        pages = [PageDoc("organisations", "League table", "Organisations",
                         "_league.html", {"bm": bm, "league": league})]
        for org, name, sector in bm.names:
            if org not in published:
                continue
            pages.append(PageDoc(page_of[org], name, "Organisations", "_organisation.html",
                                 self._org_context(org, name, sector), in_nav=False,
                                 in_print=False))
        return pages

    def _org_context(self, org: str, name: str, sector: str) -> dict[str, Any]:
        from .compare import band

        bm = self.report.benchmark
        assert bm is not None
        latest = bm.latest
        ow = bm.org_wave(org, latest)
        short = {w: short_wave(bm.wave_label(w), w) for w in bm.waves}
        rows, strip, nps_rows = [], [], []
        for m, label in bm.measures:
            s = ow.score(m) if ow else None
            b = bm.baseline(sector, latest, m)
            b = b if b is not None and not b.suppressed else None
            pos = next((p for p in bm.positions if (p.org, p.wave, p.measure) ==
                        (org, latest, m)), None)
            ok = s is not None and not s.suppressed
            rows.append({"measure": m, "label": label, "score": s, "baseline": b,
                         "band": band(s.mean, b.q1, b.median, b.q3) if ok and b else None,
                         "rank": pos.sector_rank if pos else None})
            if ok and m != NPS and m not in bm.spec.rates:
                strip.append({"measure": label, "score": s.mean, "q1": b.q1 if b else None,
                              "median": b.median if b else None, "q3": b.q3 if b else None})
            if ok and m == NPS:
                nps_rows.append({"measure": label, "score": s.mean,
                                 "q1": b.q1 if b else None, "median": b.median if b else None,
                                 "q3": b.q3 if b else None})
        series = []
        for w in bm.waves:
            o = bm.org_wave(org, w)
            if o and not o.score(INDEX).suppressed:
                series.append({"series": name, "wave": short[w], "value": o.score(INDEX).mean})
            b = bm.baseline(sector, w, INDEX)
            if b is not None and not b.suppressed:
                series.append({"series": f"{sector} median", "wave": short[w],
                               "value": b.median})
        peers = [{"name": o.name, "value": o.score(INDEX).mean, "own": o.org == org}
                 for o in bm.orgs if o.wave == latest and o.sector == sector
                 and not o.score(INDEX).suppressed]
        return {
            "bm": bm, "org": org, "name": name, "sector": sector, "rows": rows,
            "strip": self.chart(f"org:{org}:strip", lambda: ch.position_strip(strip, name))
            if strip else None,
            "nps": self.chart(f"org:{org}:nps", lambda: ch.position_strip(
                nps_rows, name, (-100, 100), "Net promoter score (−100 to +100)"))
            if nps_rows else None,
            "slope": self.chart(f"org:{org}:slope", lambda: ch.slope(
                series, [short[w] for w in bm.waves], name)) if series else None,
            "peers": self.chart(f"org:{org}:peers", lambda: ch.peers(
                peers, name, f"{sector}, {bm.wave_label(latest)}")) if peers else None,
            "by_wave": [(w, bm.org_wave(org, w), bm.baseline(sector, w, INDEX))
                        for w in bm.waves],
        }

    def trend_chart(self, scope: str, measure: str) -> ch.Chart | None:
        """The scope's mean across waves with its interval, against the national mean; where
        the scope's mean is withheld in a wave, its median with the interquartile range
        against the national median."""
        bm = self.report.benchmark
        assert bm is not None
        return self.chart(f"trend:{scope}:{measure}", lambda: _trend(bm, scope, measure))

    def _ranking(self, measure: str, what: str) -> ch.Chart | None:
        bm = self.report.benchmark
        assert bm is not None
        got = [bm.baseline(s, bm.latest, measure) for s in bm.sectors]
        rows = [{"group": b.scope, "value": b.mean, "lo": b.ci_low, "hi": b.ci_high}
                for b in got if b is not None and b.mean is not None]
        hidden = [f"{b.scope} ({_reason(b)})" for b in got if b is not None and b.mean is None]
        nat = bm.baseline(NATIONAL, bm.latest, measure)
        if not rows:
            return None
        return self.chart(f"rank:{measure}", lambda: ch.ranking(
            rows, nat.mean if nat and nat.mean is not None else None,
            f"{what}, {bm.wave_label(bm.latest)}", "National", hidden))

    def _grid(self) -> ch.Chart | None:
        bm = self.report.benchmark
        assert bm is not None
        measures = [m for m, _ in bm.measures if m != NPS and m not in bm.spec.rates]
        rows, national = [], {}
        for m in measures:
            nb = bm.baseline(NATIONAL, bm.latest, m)
            if nb is not None and nb.mean is not None:
                national[bm.label(m)] = nb.mean
            for s in bm.sectors:
                b = bm.baseline(s, bm.latest, m)
                if b is not None and b.mean is not None:
                    rows.append({"measure": bm.label(m), "group": s, "value": b.mean,
                                 "lo": b.ci_low, "hi": b.ci_high})
        if not rows:
            return None
        groups = [s for s in bm.sectors if any(r["group"] == s for r in rows)]
        left_out = [f"{s} ({self._why(s)})" for s in bm.sectors if s not in groups]
        return self.chart("grid", lambda: ch.measure_grid(
            rows, [bm.label(m) for m in measures], groups, national, left_out))

    def _why(self, sector: str) -> str:
        """Why a sector's latest index is not drawn, in a few words."""
        bm = self.report.benchmark
        assert bm is not None
        b = bm.baseline(sector, bm.latest, INDEX)
        return "no organisation took part" if b is None else _reason(b)

    def _spread(self) -> ch.Chart | None:
        bm = self.report.benchmark
        assert bm is not None
        rows, hidden = [], []
        for s in (NATIONAL, *bm.sectors):
            b = bm.baseline(s, bm.latest, INDEX)
            if b is None or b.suppressed:
                hidden.append(s if b is None else f"{s} ({_reason(b)})")
                continue
            rows.append({"label": "National" if s == NATIONAL else s, "series": "Index",
                         "q1": b.q1, "median": b.median, "q3": b.q3})
        if not rows:
            return None
        return self.chart("spread", lambda: ch.ranges(
            rows, f"organisations' index by sector, {bm.wave_label(bm.latest)}", hidden,
            "Satisfaction index (0-100)"))

    def _items(self, sector: str) -> ch.Chart | None:
        bm = self.report.benchmark
        assert bm is not None
        rows, hidden = [], []
        for m, label in bm.measures:
            if m == NPS or m in bm.spec.rates:
                continue
            for scope, name in ((sector, sector), (NATIONAL, "National")):
                b = bm.baseline(scope, bm.latest, m)
                if b is None or b.suppressed:
                    hidden.append(f"{label} ({name})")
                    continue
                rows.append({"label": label, "series": name, "q1": b.q1, "median": b.median,
                             "q3": b.q3})
        if not rows:
            return None
        return self.chart(f"items:{sector}", lambda: ch.ranges(
            rows, f"each measure in {sector} against the nation, {bm.wave_label(bm.latest)}",
            hidden))

    # Narrative pages: Markdown with Jinja expressions, run in a sandbox.
    def narrative(self, path: Path) -> str:
        figures: list[str] = []

        def estimate(iid: str, by: str | None = None, group: str | None = None) -> str:
            res = self._ind(iid)
            e = res.overall if by is None else self._cell(res, by, group)
            if e.suppressed:
                return "not published (base too small)"
            d = ci_digits(e.ci_low, e.ci_high)
            return (f"{pct(e.estimate, d)} ({pct(0.95)} CI {pct_range(e.ci_low, e.ci_high, d)}; "
                    f"n = {count(e.n)}{'; low base' if e.low_base else ''})")

        def chart(iid: str, by: str | None = None) -> str:
            """chart("*") draws every indicator; chart(id, by=breakdown) one of them."""
            if iid == "*":
                c, caption = self.headline_chart(), f"Key indicators, {self.headline_scope()}"
            else:
                res = self._ind(iid)
                c = self.indicator_chart(iid, by)
                caption = res.indicator.label + ("" if by is None else
                                                 f" by {self.study.breakdown(by).label.lower()}")
            figures.append(self.env.get_template("_figure.html").render(
                chart=c, caption=caption, study=self.study, print_mode=False))
            return _Source(f"\n\nROCSFIGURE{len(figures) - 1:04d}\n\n")

        def gap(iid: str) -> str:
            res = self._ind(iid)
            if res.gap is None:
                raise BuildError(f"{path.name}: gap({iid!r}): the study declares no comparison")
            return gap_sentence(res.gap)

        # Every {{ value }} (findings, labels, study facts, anything sliced from them) enters
        # the page as escaped text, never as Markdown source: ``finalize`` escapes it.
        sandbox = _PageSandbox(autoescape=False, undefined=StrictUndefined,
                               finalize=_markdown_text)
        try:
            with _time_budget(PAGE_SECONDS, path.name):
                text = sandbox.from_string(path.read_text(encoding="utf-8")).render(
                    estimate=estimate, chart=chart, gap=gap,
                    finding=lambda iid: finding(self._ind(iid), self.study.unit),
                    findings=lambda: [finding(x, self.study.unit)
                                      for x in self.report.indicators],
                    study=_StudyFacts(self.study))
        except TemplateError as exc:
            lineno = getattr(exc, "lineno", None) or _template_line(exc)
            line = f", line {lineno}" if lineno else ""
            raise BuildError(f"{path.name}{line}: {exc.message}") from None
        html = sanitise(md.markdown(_escape_html(text), extensions=["tables", "smarty"],
                                    output_format="html"))
        for k, fig in enumerate(figures):
            token = f"ROCSFIGURE{k:04d}"
            html = html.replace(f"<p>{token}</p>", fig).replace(token, fig)
        return html

    def _ind(self, iid: str) -> IndicatorResult:
        ids = [x.indicator.id for x in self.report.indicators]
        if iid not in ids:
            raise BuildError(f"unknown indicator {iid!r} in a page (expected one of: "
                             f"{', '.join(ids)})")
        return self.report.indicator(iid)

    def _cell(self, res: IndicatorResult, by: str, group: str | None) -> Estimate:
        for b in res.by:
            if b.breakdown.id == by:
                for c in b.cells:
                    if c.group == group:
                        return c
                raise BuildError(f"unknown group {group!r} of breakdown {by!r} (expected one "
                                 f"of: {', '.join(c.group for c in b.cells)})")
        raise BuildError(f"unknown breakdown {by!r}")

    def render_site(self, pages: list[PageDoc], extra: dict[str, Any]) -> dict[str, str]:
        nav: list[tuple[str, list[PageDoc]]] = []
        for p in pages:
            if not p.in_nav:
                continue
            if not nav or nav[-1][0] != p.nav:
                nav.append((p.nav, []))
            nav[-1][1].append(p)
        self.extra = extra
        out = {}
        for p in pages:
            body = self.body(p, print_mode=False)
            out[p.filename] = self.env.get_template("page.html").render(
                page=p, pages=pages, nav=nav, body=Markup(body),  # noqa: S704 - our own autoescaped HTML
                **self.common())
        return out

    def body(self, p: PageDoc, print_mode: bool) -> str:
        return self.env.get_template(p.template).render(
            page=p, narrative=Markup(p.body),  # noqa: S704 - Markdown we rendered, tags escaped
            print_mode=print_mode,
            link=(lambda pid: f"#sec-{pid}") if print_mode else (lambda pid: f"{pid}.html"),
            **p.context, **self.common())

    def render_print(self, pages: list[PageDoc]) -> str:
        sections = [(p, Markup(self.body(p, print_mode=True)))  # noqa: S704 - autoescaped
                    for p in pages
                    if p.id != "data" and p.in_print]
        return self.env.get_template("print.html").render(sections=sections, **self.common())

    def common(self) -> dict[str, Any]:
        r = self.report
        return {"report": r, "study": self.study, "ALL": ALL, "version": __version__,
                "weighted": self.study.weight_column is not None,
                "design_based": has_design(self.study), **self.extra,
                "rules": self.study.disclosure, "unit": self.study.unit,
                "finding": lambda res: finding(res, self.study.unit),
                "gap_sentence": gap_sentence, "pub": self.study.publication,
                "chart_locale": formats.d3_locale(),
                "citation": _citation(self.study), "coverage": self.coverage()}


def _trend(bm, scope: str, measure: str) -> ch.Chart | None:
    short = {w: short_wave(bm.wave_label(w), w) for w in bm.waves}
    label = "National" if scope == NATIONAL else scope
    got = {w: bm.baseline(scope, w, measure) for w in bm.waves}
    nat = {w: bm.baseline(NATIONAL, w, measure) for w in bm.waves}
    what = bm.label(measure).lower()
    use_mean = all(b is not None and b.mean is not None and b.ci_low is not None
                   for b in got.values())
    rows = []
    for w in bm.waves:
        for name, b, main in ((label, got[w], True), ("National", nat[w], False)):
            if b is None or b.suppressed or (scope == NATIONAL and not main):
                continue
            if use_mean and b.mean is not None and b.ci_low is not None:
                rows.append({"series": name, "wave": short[w], "value": b.mean,
                             "lo": b.ci_low, "hi": b.ci_high})
            elif not use_mean:
                rows.append({"series": name, "wave": short[w], "value": b.median,
                             "lo": b.q1, "hi": b.q3})
    if not any(r["series"] == label for r in rows):
        return None
    kind = (f"mean with its {pct(0.95)} confidence interval" if use_mean else
            "median organisation with the interquartile range")
    vs = "" if scope == NATIONAL else (", against the national " +
                                       ("mean" if use_mean else "median"))
    from dataclasses import replace as _replace

    c = ch.trend(rows, [short[w] for w in bm.waves], f"{label} {what} ({kind}){vs}",
                 "Net promoter score" if measure == NPS else "Index (0-100)")
    return _replace(c, caption=f"{bm.label(measure)}, {label}: {kind}{vs} (dashed), "
                    "by wave")


def _relabel(e: Estimate, label: str) -> Estimate:
    return replace(e, group=label, secondary=False)


class _StudyFacts:
    """What a narrative page may read of the study: plain facts, no methods."""

    def __init__(self, study) -> None:
        self.title = study.title
        self.publisher = study.publisher
        self.fieldwork = study.fieldwork
        self.sample = study.sample
        self.unit = study.unit
        self.synthetic = study.synthetic


def _template_line(exc: BaseException) -> int | None:
    """The page line a runtime error was raised at: Jinja rewrites the traceback so that the
    template's own frames carry its line numbers."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


PAGE_SECONDS = 10  # a narrative page's time budget
_MAX_POWER = 1_000
_MAX_REPEAT = 100_000


class _PageSandbox(SandboxedEnvironment):
    """The narrative pages' sandbox, with its arithmetic bounded: no power above 1,000, no
    string or list repeated into more than 100,000 items, so {{ 9**(9**9) }} is an error, not
    a hung build. (Jinja's sandbox then also skips folding these operators at compile time.)"""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator, left, right):
        from jinja2.exceptions import SecurityError

        if operator == "**" and isinstance(right, int | float) and abs(right) > _MAX_POWER:
            raise SecurityError(f"a power above {_MAX_POWER:,} is not allowed on a page")
        if operator == "*":
            for seq, k in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(k, int) \
                        and len(seq) * k > _MAX_REPEAT:
                    raise SecurityError(f"repeating into more than {_MAX_REPEAT:,} items is "
                                        "not allowed on a page")
        return super().call_binop(context, operator, left, right)


class _time_budget:
    """Stop a page that runs longer than ``seconds`` (SIGALRM; only in the main thread)."""

    def __init__(self, seconds: float, name: str):
        self.seconds, self.name = seconds, name

    def __enter__(self):
        import signal
        import threading

        self.armed = threading.current_thread() is threading.main_thread()
        if self.armed:
            def stop(signum, frame):
                raise BuildError(f"{self.name}: the page took more than {self.seconds:g} s to "
                                 "render; simplify its expressions")
            self.old = signal.signal(signal.SIGALRM, stop)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


class _Source(str):
    """Markdown source we wrote ourselves (a figure's placeholder): not escaped."""


# Python-Markdown's backslash escapes (with the tables extension's |), plus the HTML specials.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>])")


def _markdown_text(value: object) -> str:
    """A value printed into a narrative page's Markdown, as text: HTML-escaped and with every
    Markdown special character backslash-escaped, so a label cannot become a link, an image,
    emphasis or markup."""
    if isinstance(value, _Source):
        return value
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


# What Markdown may make on a narrative page (nh3, the Ammonia sanitiser): text structure,
# tables and links; no attributes but a link's href and a cell's alignment; links relative,
# http(s) or mailto. No images: the site loads nothing from outside, and figures come from
# chart(), inserted after sanitising.
ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "br", "sup", "sub",
                "ul", "ol", "li", "blockquote", "code", "pre", "hr", "a", "table", "thead",
                "tbody", "tr", "th", "td", "abbr", "dl", "dt", "dd"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align", "scope"}, "td": {"align"},
                      "abbr": {"title"}}


def sanitise(html: str) -> str:
    """The HTML of a narrative page, with every tag, attribute and URL scheme outside the
    allow-list removed."""
    import nh3

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     strip_comments=True)


_TAG = re.compile(r"<(?!/?(?:em|strong|br|sup|sub)>)")


def _escape_html(text: str) -> str:
    """Markdown passes raw HTML through; a study page may use a few inline tags only."""
    return _TAG.sub("&lt;", text)


__all__ = ["Builder", "PageDoc", "environment", "escape", "finding", "gap_sentence"]
