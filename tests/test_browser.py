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

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rocsreport.cli import main

from .conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update"]
EXAMPLES = ("beyond-measurement", "service-index", "design-example")
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """The three example sites (without their PDFs, which tests/test_pdf.py reads) and one
    private organisation report, each built from its own copy of the study."""
    base = tmp_path_factory.mktemp("browser")
    out = {}
    for name in EXAMPLES:
        study = base / "studies" / name
        shutil.copytree(ROOT / "surveys" / name, study,
                        ignore=shutil.ignore_patterns(".rocsreport"))
        r = CliRunner().invoke(main, ["build", str(study), "--out", str(base / name),
                                      "--no-pdf"])
        assert r.exit_code == 0, r.output
        out[name] = base / name
    r = CliRunner().invoke(main, ["orgs", str(base / "studies" / "service-index"), "--out",
                                  str(base / "private"), "--org", "ORG001", "--no-pdf"])
    assert r.exit_code == 0, r.output
    out["private"] = base / "private" / "ORG001"
    return out


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
CHART_TEXT = """() => Array.from(document.querySelectorAll('.chart-svg svg')).map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.width.baseVal.value;
  const sizes = Array.from(svg.querySelectorAll('text'))
    .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0')
    .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  const box = svg.parentElement;
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
        page = browser.new_page(viewport={"width": width, "height": 900})
        for path in pages_of(sites[name]):
            page.goto(path.as_uri())
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
