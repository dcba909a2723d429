"""The private reports' two charts are written as Vega-Lite dicts, without Altair's
construction (it cost twice the drawing): here each is checked against the spec Altair builds
from the same data, key for key, and the SVG drawn from both is the same."""

from __future__ import annotations

import altair as alt
import pytest

from rocsreport import charts as ch


def strip_altair(rows, scale=(0, 100), x_title="Score (0-100)"):
    """The reference: position_strip's chart as built with Altair."""
    measures = [r["measure"] for r in rows]
    y = alt.Y("measure:N", sort=measures, title=None)
    low = min(min(r["q1"] if r["q1"] is not None else scale[1], r["score"]) for r in rows)
    xs = alt.Scale(domain=[max(scale[0], 5 * int(low // 5) - 5), scale[1]])
    base = alt.Chart(alt.Data(values=[r for r in rows if r["q1"] is not None]))
    box = base.mark_bar(height=16, color=ch.BOX_FILL, stroke=ch.BOX_LINE,
                         strokeWidth=1).encode(
        y=y, x=alt.X("q1:Q", scale=xs, title=x_title), x2="q3:Q")
    med = base.mark_tick(color=ch.INK, opacity=1, thickness=2, size=18).encode(y=y, x="median:Q")
    top = base.mark_tick(color=ch.GROUP_COLOURS[1], opacity=1, thickness=2,
                         size=18).encode(y=y, x="q3:Q")
    dot = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=120, color=ch.INK,
                                                      shape="diamond").encode(y=y, x="score:Q")
    return (box + med + top + dot).properties(width=360, height=ch.ROW * len(rows))


def slope_altair(rows, waves):
    series = list(dict.fromkeys(r["series"] for r in rows))
    colours = [ch.INK, ch.BAR, ch.AXIS][:len(series)]
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("wave:O", sort=waves, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", scale=alt.Scale(zero=False), title="Index (0-100)"),
        color=alt.Color("series:N", sort=series, scale=alt.Scale(domain=series, range=colours),
                        title=None),
        strokeDash=alt.StrokeDash("series:N", sort=series, title=None,
                                  scale=alt.Scale(domain=series,
                                                  range=[[1, 0], [4, 3], [2, 2]][:len(series)])),
    ).properties(width=360, height=200)


STRIPS = [
    [{"measure": "Satisfaction index", "score": 84.4, "q1": 73.4, "median": 77.2, "q3": 80.5},
     {"measure": "Ease", "score": 61.25, "q1": None, "median": None, "q3": None}],
    [{"measure": "Net promoter score", "score": -12.0, "q1": -20.5, "median": 3.0, "q3": 9.0}],
]


@pytest.mark.parametrize("rows", STRIPS)
def test_strip_spec_is_the_altair_spec(rows):
    scale = (-100, 100) if rows[0]["score"] < 0 else (0, 100)
    ref = ch._configured(strip_altair(rows, scale), False)
    got = ch._strip_spec(rows, scale, "Score (0-100)")
    assert got == ref
    assert ch._draw(got) == ch._draw(ref)


def test_slope_spec_is_the_altair_spec():
    rows = [{"series": "Org", "wave": "Jul 13", "value": 87.1},
            {"series": "Automotive median", "wave": "Jul 13", "value": 78.8},
            {"series": "National median", "wave": "Jul 13", "value": 76.0},
            {"series": "Org", "wave": "Jan 14", "value": 87.7}]
    waves = ["Jul 13", "Jan 14", "Jul 14"]
    ref = ch._configured(slope_altair(rows, waves), False)
    got = ch._slope_spec(rows, waves)
    assert got == ref
    assert ch._draw(got) == ch._draw(ref)


def test_the_house_block_put_in_directly_is_what_altairs_configure_writes(monkeypatch):
    """A build puts the house configuration into each spec directly instead of through
    Altair's ``configure_*`` calls (each copies the whole chart): for layered, single and
    concatenated charts the two give the same spec, key order included, and the same SVG."""
    import json

    monkeypatch.delenv("ROCSREPORT_VALIDATE_CHARTS", raising=False)
    seen = []

    def both(chart):
        fast, ref = ch._config(chart), ch._configured(chart, False)
        seen.append(json.dumps(fast) == json.dumps(ref))
        return ch._draw(fast)

    monkeypatch.setattr(ch, "_svg", both)
    monkeypatch.setattr(ch, "_CACHE", {"dir": None})
    rows = [{"series": s, "wave": w, "value": 60.0 + i, "lo": 57.5 + i, "hi": 62.5 + i}
            for i, (s, w) in enumerate((s, w) for s in ("Banks", "National")
                                       for w in ("W1", "W2", "W3"))]
    ch.trend(rows, ["W1", "W2", "W3"], "the index")
    ch.ranking([{"group": g, "value": v, "lo": v - 2, "hi": v + 2} for g, v in
                (("Banks", 77.1), ("Retail", 79.4))], 78.0, "Index (0-100)", "National",
               ["Leisure"])
    ch.slope([{"series": "Org", "wave": "W1", "value": 80.0},
              {"series": "Org", "wave": "W2", "value": 81.5}], ["W1", "W2"], "Org")
    ch.sector_multiples([{"scope": sc, "wave": w, "median": m, "q1": m - 3, "q3": m + 3}
                         for sc in ("Banks", "National") for w, m in (("W1", 77.0),
                                                                    ("W2", 78.0))],
                        ["W1", "W2"], "National")
    assert seen and all(seen)
