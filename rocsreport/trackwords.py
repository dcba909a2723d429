"""The tracker's findings in words, generated from its results (templates only print them)."""

from __future__ import annotations

import datetime as dt

from . import formats
from .tracker import MeasureResult, TrackerResult, YearMetric
from .words import count, number, pct, signed

VERDICTS = {"held": "Improved and held", "faded": "Improved, then fell back",
            "declined": "Declined", "none": "No signal"}


def value(m: MeasureResult, v: float | None) -> str:
    if v is None:
        return "–"
    if m.measure.kind == "proportion":
        return pct(v)
    if m.measure.kind == "nps":
        return signed(v, 0)
    return number(v, 2)


def diff(m: MeasureResult, d: float) -> str:
    if m.measure.kind == "proportion":
        return f"{signed(100 * d, 1)} points"
    if m.measure.kind == "nps":
        return f"{signed(d, 1)} points"
    return signed(d, 2)


def cycle_dates(tr: TrackerResult, cycle: int) -> str:
    """"cycle 3 (17 February to 9 March 2025)" for a date wave; "cycle 3" otherwise."""
    first = tr.first_day(cycle)
    if first is None:
        return f"cycle {cycle}"
    a = dt.date.fromisoformat(first)
    b = a + dt.timedelta(days=tr.spec.cycle_days - 1)
    return f"cycle {cycle} ({formats.date(a.isoformat())} to {formats.date(b.isoformat())})"


def rule_words(rule: str) -> str:
    return {"outside": "a point beyond its limit",
            "run": "8 cycles in a row on one side of the centre line"}[rule]


def measure_sentence(tr: TrackerResult, m: MeasureResult) -> str:
    """What the chart shows, in words, with the rule that fired."""
    if m.focus is None:
        return f"{m.measure.label} had no focus cycle."
    if m.first_signal is not None:
        s = m.first_signal
        c = m.points[s.index].cycle
        text = (f"{m.measure.label} improved beyond its normal variation after its focus "
                f"cycle: the first signal is in cycle {c}, {rule_words(s.rule)} "
                f"({value(m, m.points[s.index].value)}).")
        if m.verdict == "held":
            text += " It was still signalling in the last cycles."
        else:
            text += (f" It then fell back: no rule fires in the last {count(3)} cycles.")
        return text
    if m.verdict == "declined":
        s = next(s for s in m.signals if not m.improving(s)
                 and m.points[s.index].cycle > m.focus)
        return (f"{m.measure.label} got worse after its focus cycle: {rule_words(s.rule)} in "
                f"cycle {m.points[s.index].cycle}.")
    text = (f"{m.measure.label} shows no signal after its focus cycle: every cycle is within "
            "its limits and no 8 in a row lie on one side of the centre line.")
    h = m.highest_after
    if h is not None:
        limit = m.upper(h.cycle) if m.measure.better > 0 else m.lower(h.cycle)
        text += (f" Its best cycle after the focus, cycle {h.cycle} at {value(m, h.value)}, "
                 f"is inside the {'upper' if m.measure.better > 0 else 'lower'} limit of "
                 f"{value(m, limit)}: a cycle like that is noise, not progress.")
    return text


def before_after_sentence(m: MeasureResult) -> str:
    ba = m.before_after
    if ba is None:
        return ""
    sig = ("a significant difference" if ba.significant else "not a significant difference")
    return (f"Before its focus cycle {value(m, ba.before)} (n = {count(ba.before_n)}), after it "
            f"{value(m, ba.after)} (n = {count(ba.after_n)}): {diff(m, ba.diff)} "
            f"({pct(0.95)} CI {diff(m, ba.ci_low)} to {diff(m, ba.ci_high)}), {sig} after the "
            "Benjamini–Hochberg adjustment.")


def metric_value(y: YearMetric, v: float) -> str:
    if y.key == "complaints":
        return number(v, 2)
    if y.key == "repeat_rate":
        return f"{number(v, 1)}%"
    if y.key == "sales":
        return f"£{count(round(v))}"
    return f"£{number(v, 2)}"


def metric_change(y: YearMetric, v: float) -> str:
    if y.kind == "rate":
        return number(v, 2)
    if y.key == "repeat_rate":
        return f"{signed(v, 1)} points"
    if y.key == "sales":
        return ("−" if v < 0 else "+") + f"£{count(round(abs(v)))}"
    return ("−" if v < 0 else "+") + f"£{number(abs(v), 2)}"


def metric_sentence(y: YearMetric) -> str:
    moved = y.ci_low > (1 if y.kind == "rate" else 0) or y.ci_high < (1 if y.kind == "rate"
                                                                       else 0)
    way = "rose" if y.programme > y.before else "fell"
    text = (f"{y.label} {way} from {metric_value(y, y.before)} to "
            f"{metric_value(y, y.programme)}")
    if y.kind == "rate":
        text += (f" (rate ratio {number(y.change, 2)}, {pct(0.95)} CI {number(y.ci_low, 2)} "
                 f"to {number(y.ci_high, 2)})")
    else:
        text += (f" ({metric_change(y, y.change)}, {pct(0.95)} CI "
                 f"{metric_change(y, y.ci_low)} to {metric_change(y, y.ci_high)})")
    text += "." if moved else "; the interval includes no change."
    return text


def findings(tr: TrackerResult) -> list[str]:
    n = len(tr.areas)
    improved = [a for a in tr.areas if a.verdict in ("held", "faded")]
    faded = [a for a in improved if a.verdict == "faded"]
    declined = [a for a in tr.areas if a.verdict == "declined"]
    none = [a for a in tr.areas if a.verdict == "none"]
    out = [f"{count(len(improved))} of {count(n)} areas improved beyond their normal "
           f"variation after their focus cycle; {count(len(faded))} later fell back"
           + (f" ({_names(faded)})" if faded else "") + "."]
    if declined:
        out.append(f"{count(len(declined))} declined after their focus cycle: "
                   f"{_names(declined)}.")
    if none:
        out.append(f"{count(len(none))} showed no signal: {_names(none)}.")
        jumps = [(a, m, j) for a in none if (j := jump(a.measures[0])) is not None
                 for m in (a.measures[0],)]
        if jumps:
            a, m, (p0, p1, rise) = max(jumps, key=lambda x: x[2][2])
            if rise > 0:
                limit = m.upper(p1.cycle) if m.measure.better > 0 else m.lower(p1.cycle)
                out.append(f"The biggest rise from a focus cycle to the next among them: "
                           f"{a.area.label}, from {value(m, p0.value)} in cycle {p0.cycle} to "
                           f"{value(m, p1.value)} in cycle {p1.cycle}. It is inside the "
                           f"limit of {value(m, limit)}, so it is noise, not progress.")
    for y in tr.year:
        out.append(metric_sentence(y))
    if tr.year:
        out.append("These compare the programme year with the year before: they show what "
                   "changed, not that the programme caused it.")
    return out


def jump(m: MeasureResult):
    """The change from the focus cycle to the next, as a share of the way from the centre
    line to the limit on the better side: the rise a naive before-and-after reading would
    report. None when either cycle is withheld or absent."""
    if m.focus is None:
        return None
    p0, p1 = m.point(m.focus), m.point(m.focus + 1)
    if p0 is None or p1 is None or p0.suppressed or p1.suppressed:
        return None
    width = abs((m.upper(p1.cycle) if m.measure.better > 0 else m.lower(p1.cycle))
                - m.limits.centre)
    return p0, p1, m.measure.better * (p1.value - p0.value) / max(width, 1e-12)


def _names(areas) -> str:
    names = [a.area.label for a in areas]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
