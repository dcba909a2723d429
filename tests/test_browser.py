"""The example sites and a private report, opened in a browser as their readers open them.

Debian's Chromium, driven by Playwright for Python (``executable_path``: no browser is ever
downloaded), at 1280 px and at 390 px (a phone) wide:
- axe-core (from npm, pinned in package-lock.json) finds no violation of any impact of WCAG
  2.1 A and AA on any page;
- no page scrolls sideways, and no chart text renders below 11 CSS px;
- "Skip to content" is the first thing the keyboard reaches, the landmarks are header, nav,
  main and footer, and the content comes before the navigation on a phone;
- at 1366 x 768 every navigation link can be reached.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update"]
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def sites(example_builds) -> dict[str, Path]:
    return example_builds


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (scripts/system-deps.sh)"
    assert AXE.is_file(), "axe-core is needed: run `make test` (npm ci)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def pages_of(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def wait_for_live_charts(page) -> None:
    """On an interactive site, wait until every chart is drawn again by vega-embed (its
    figure is marked is-live), so that the checks see what a reader sees."""
    page.wait_for_function("""() => Array.from(document.querySelectorAll('figure.chart'))
        .every(f => !f.querySelector('script.vl-spec') || f.classList.contains('is-live'))""",
                           timeout=20000)


AXE_RUN = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                 where: v.nodes[0].target.join(' '),
                                 why: v.nodes[0].failureSummary.split('\\n').slice(0, 2)
                                   .join(' ')}));
}"""

# For each chart: the smallest rendered size of its text (the font size times the scale the
# SVG is drawn at), and whether it overflows its box without the hint shown.
CHART_TEXT = """() => Array.from(document.querySelectorAll('.chart-svg svg'))
  .filter(svg => svg.getBoundingClientRect().width > 0).map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.width.baseVal.value;
  const sizes = Array.from(svg.querySelectorAll('text'))
    .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0')
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  const box = svg.closest('.chart-svg');
  const hint = box.nextElementSibling;
  return {min: sizes.length ? Math.min(...sizes) : null,
          overflows: box.scrollWidth > box.clientWidth + 1,
          hinted: !!hint && hint.classList.contains('scroll-hint')
                  && getComputedStyle(hint).display !== 'none',
          focusable: box.tabIndex === 0};
})"""


@pytest.mark.parametrize("name", [*EXAMPLES, "private"])
def test_no_accessibility_violation_and_nothing_too_small_or_too_wide(sites, browser, name):
    axe = AXE.read_text(encoding="utf-8")
    problems = []
    for width in WIDTHS:
        # axe is put into the page as an inline script, which the pages' CSP forbids: this
        # page lets it in (the served-site test below checks the CSP itself).
        page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        for path in pages_of(sites[name]):
            page.goto(path.as_uri())
            wait_for_live_charts(page)
            page.add_script_tag(content=axe)
            for v in page.evaluate(AXE_RUN):
                problems.append(f"{path.name} @{width}px: {v['id']} ({v['impact']}, "
                                f"{v['nodes']} node(s)) at {v['where']}: {v['why']}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{path.name} @{width}px: the page scrolls sideways "
                                f"({wide} px)")
            for k, c in enumerate(page.evaluate(CHART_TEXT)):
                if c["min"] is not None and c["min"] < 11 - 1e-6:
                    problems.append(f"{path.name} @{width}px: chart {k + 1} has text at "
                                    f"{c['min']:.1f} px")
                if c["overflows"] and not c["focusable"]:
                    problems.append(f"{path.name} @{width}px: chart {k + 1} scrolls but the "
                                    "keyboard cannot reach it")
                if width < 760 and c["overflows"] and not c["hinted"]:
                    problems.append(f"{path.name} @{width}px: chart {k + 1} scrolls sideways "
                                    "without saying so")
        page.close()
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("name", ["service-index", "beyond-measurement"])
def test_keyboard_and_landmarks(sites, browser, name):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for path in pages_of(sites[name]):
        page.goto(path.as_uri())
        page.keyboard.press("Tab")
        first = page.evaluate("[document.activeElement.className, "
                              "document.activeElement.getAttribute('href'), "
                              "document.activeElement.textContent.trim()]")
        assert first == ["skip", "#content", "Skip to content"], (path.name, first)
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content", path.name
        marks = page.evaluate("""() => ['header', 'nav', 'main', 'footer'].map(
            t => document.querySelectorAll('body > ' + t + ', body > .layout > ' + t).length)""")
        assert marks == [1, 1, 1, 1], (path.name, marks)
        # The illustrative-data notice is inside a landmark (the header).
        assert page.evaluate("document.querySelectorAll('.notice').length === "
                             "document.querySelectorAll('header .notice').length"), path.name
        # On a phone the page heading is on the first screen, above the navigation.
        h1 = page.evaluate("document.querySelector('main h1').getBoundingClientRect().top")
        nav = page.evaluate("document.querySelector('nav').getBoundingClientRect().top")
        assert h1 < 844 and h1 < nav, (path.name, h1, nav)
    page.close()


def test_every_navigation_link_can_be_reached_at_1366_by_768(sites, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    for name in EXAMPLES:
        path = sites[name] / "index.html"
        page.goto(path.as_uri())
        links = page.locator("nav a:visible")
        hrefs = [links.nth(k).get_attribute("href") for k in range(links.count())]
        assert "methodology.html" in hrefs and "data.html" in hrefs, (name, hrefs)
        for k in range(links.count()):
            link = links.nth(k)
            link.scroll_into_view_if_needed()
            box = link.bounding_box()
            assert box is not None and -1 <= box["y"] and box["y"] + box["height"] <= 769, (
                name, hrefs[k], box)
            hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('a')"
                                "?.getAttribute('href')",
                                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
            assert hit == hrefs[k], (name, hrefs[k], hit)
    page.close()


# --- Contrast of the drawn charts (WCAG 2.1 1.4.3 and 1.4.11), read from the SVG ----------

SVG_NS = "{http://www.w3.org/2000/svg}"
NAMED = {"white": "#ffffff", "black": "#000000"}


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour given as #rgb or #rrggbb."""
    h = NAMED.get(colour, colour).lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    chans = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def blend(colour: str, alpha: float, under: str = "#ffffff") -> str:
    """``colour`` at opacity ``alpha`` over ``under``: what the reader sees."""
    a, b = NAMED.get(colour, colour).lstrip("#"), under.lstrip("#")
    if len(a) == 3:
        a = "".join(c * 2 for c in a)
    mix = [round(int(a[i:i + 2], 16) * alpha + int(b[i:i + 2], 16) * (1 - alpha))
           for i in (0, 2, 4)]
    return "#" + "".join(f"{v:02x}" for v in mix)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_helpers_against_published_values():
    # WCAG's own end points and WebAIM's checker: #767676 on white is 4.54:1, #949494 3.03:1.
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast("#949494", "white") == pytest.approx(3.03, abs=0.005)
    assert blend("#000000", 0.5) == "#808080"


def chart_contrast_problems(svg_text: str) -> list[str]:
    """Marks under 3:1 and texts under 4.5:1 in one drawn chart.

    Checked: every mark and every axis line and tick, by its fill or its outline (either
    may carry it), at the opacity drawn, against the white background; every text against
    white, and a label printed on a cell against that cell. Not checked: grid lines (a
    reading aid, not data), interval bands (their edges are drawn as lines, which are
    checked), and the shading of cells that print their own value."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg_text)
    out: list[str] = []
    cells: list[str] = []
    labels: list[str] = []

    def colour(el, key):
        v = el.get(key)
        return None if v in (None, "none", "transparent") else v

    def walk(el, group: str, alpha: float):
        cls = el.get("class", "")
        if el.tag == f"{SVG_NS}g" and cls:
            group = cls
        alpha *= float(el.get("opacity", 1))
        tag = el.tag.removeprefix(SVG_NS)
        if tag == "text" and (el.text or "").strip():
            fill = colour(el, "fill") or "#000000"
            a = alpha * float(el.get("fill-opacity", 1))
            if a > 0:
                if "cell_labels_marks" in group:
                    labels.append(fill)
                elif contrast(blend(fill, a), "#ffffff") < 4.5:
                    out.append(f"text {el.text.strip()!r} in {fill} ({a:g}) is under 4.5:1")
        elif tag in ("path", "rect", "line", "circle") and (
                "role-mark" in group or "role-axis-domain" in group
                or "role-axis-tick" in group):
            if "cells_marks" in group:
                cells.append(colour(el, "fill") or "#ffffff")
            elif "mark-area" not in group and "role-axis-grid" not in group:
                seen = []
                for key in ("fill", "stroke"):
                    c = colour(el, key)
                    if c is not None:
                        a = alpha * float(el.get(f"{key}-opacity", 1))
                        seen.append(contrast(blend(c, a), "#ffffff"))
                if seen and max(seen) < 3:
                    out.append(f"{tag} in {group.split()[0]} ({el.get('fill')}, "
                               f"{el.get('stroke')}) is under 3:1: {max(seen):.2f}")
        for child in el:
            walk(child, group, alpha)

    walk(root, "", 1.0)
    assert len(cells) == len(labels), "every cell of a grid prints its value"
    for cell, ink in zip(cells, labels, strict=True):
        if contrast(ink, cell) < 4.5:
            out.append(f"a label in {ink} on a cell in {cell} is under 4.5:1")
    return out


def test_chart_contrast_on_every_example_page(sites):
    import re

    problems, charts = [], 0
    for name, site in sites.items():
        for path in pages_of(site):
            for svg in re.findall(r"<svg.*?</svg>", path.read_text(encoding="utf-8"), re.S):
                charts += 1
                problems += [f"{name}/{path.name}: {p}" for p in chart_contrast_problems(svg)]
    assert charts > 50
    assert not problems, "\n".join(sorted(set(problems))[:30])


def test_the_contrast_check_finds_a_pale_bar_and_a_pale_label():
    pale = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="mark-rect role-mark x">'
            '<path fill="#9cbad3" d="M0,0h10v10h-10Z"/></g>'
            '<g class="mark-text role-mark t"><text fill="#9aa3ad">12</text></g></svg>')
    found = chart_contrast_problems(pale)
    assert len(found) == 2 and "under 3:1" in found[0] and "under 4.5:1" in found[1]


def test_counts_carry_thousands_separators_on_every_page(sites):
    """The same page once showed "50000" and "50,000": every count of five or more digits in
    a page's text is grouped by thousands."""
    import re

    bare = re.compile(r"(?<![\d,.\-])\d{5,}(?![\d,.])")
    found = []
    for name, site in sites.items():
        for path in pages_of(site):
            html = path.read_text(encoding="utf-8")
            html = re.sub(r"<svg.*?</svg>|<script.*?</script>|<style.*?</style>", "", html,
                          flags=re.S)
            for text in re.findall(r">([^<]+)<", html):
                found += [f"{name}/{path.name}: {m}" for m in bare.findall(text)]
    assert not found, found[:10]


# --- The sites served over HTTP under a sub-path, as GitHub Pages serves a project site ------

@pytest.fixture(scope="module")
def served(sites, tmp_path_factory):
    """The example sites at http://127.0.0.1:PORT/rocsreport/NAME/ (a project site's
    sub-path), from a local server that answers 127.0.0.1 only."""
    import functools
    import http.server
    import threading

    www = tmp_path_factory.mktemp("www")
    (www / "rocsreport").mkdir()
    for name in EXAMPLES:
        shutil.copytree(sites[name], www / "rocsreport" / name)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rocsreport/", www / "rocsreport"
    server.shutdown()
    server.server_close()


LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"""


@pytest.mark.parametrize("name", EXAMPLES)
def test_served_pages_have_no_errors_no_outside_requests_and_no_broken_links(
        served, browser, name):
    """Every page: no console error (a Content-Security-Policy violation is one), no request
    to any host but the site's, every link and anchor resolves. The search box is used on
    each page, so its scripts load too."""
    import urllib.parse
    import urllib.request

    base, root = served
    host = urllib.parse.urlsplit(base).netloc
    problems, checked = [], {}
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url)
            if urllib.parse.urlsplit(r.url).netloc != host else None)

    def ids_of(url: str) -> set[str] | None:
        if url not in checked:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    body = r.read().decode("utf-8", "replace")
                checked[url] = set(re.findall(r'\sid="([^"]+)"', body))
            except OSError:
                checked[url] = None
        return checked[url]

    for path in pages_of(root / name):
        url = base + f"{name}/{path.name}"
        errors.clear()
        page.goto(url)
        wait_for_live_charts(page)
        page.fill("#site-search-q", "service")
        page.wait_for_selector(".search-results li", timeout=10000)
        problems += [f"{path.name}: console: {e}" for e in errors]
        for href in page.evaluate(LINKS):
            parts = urllib.parse.urlsplit(href)
            if parts.netloc != host:
                problems.append(f"{path.name}: a link leaves the site: {href}")
                continue
            target = urllib.parse.urlunsplit(parts._replace(fragment=""))
            ids = ids_of(target)
            if ids is None:
                problems.append(f"{path.name}: broken link {href}")
            elif parts.fragment and parts.fragment not in ids:
                problems.append(f"{path.name}: no #{parts.fragment} in {target}")
    page.close()
    assert not outside, sorted(set(outside))[:10]
    assert not problems, "\n".join(problems[:30])


def test_an_interactive_chart_shows_a_tooltip(served, browser):
    """beyond-measurement has charts.interactive: hovering a bar shows the bar's own sentence
    of the chart description (its estimate, interval and base)."""
    base, _ = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "beyond-measurement/indicator-cost_not_measured.html")
    wait_for_live_charts(page)
    assert page.locator("figure.is-live").count() >= 2
    static = page.locator("figure.is-live .chart-svg > svg").first
    assert not static.is_visible()  # the live chart replaced it
    page.locator("figure.is-live .chart-live .mark-rect path").first.hover()
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=5000)
    text = tip.text_content()
    assert re.search(r"^All: \d+% \(95% CI \d+% to \d+%; n = \d+\)$", text), text
    alt = page.locator("figure.is-live details.alt p").first.text_content()
    assert text.split(": ", 1)[1] in alt  # the same words as the chart description
    page.close()


def test_without_javascript_the_charts_are_static_and_search_is_hidden(served, browser):
    base, _ = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "beyond-measurement/index.html")
    assert not page.locator("form.site-search").is_visible()
    assert page.locator(".chart-svg > svg").first.is_visible()
    assert page.locator(".chart-live").count() == 0
    context.close()
