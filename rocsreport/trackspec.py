"""The ``tracker:`` section of study.yaml: the ROCS programme's areas, rewards and schedule, and
the business metrics compared year on year (Belding).

Read and checked by key path like the rest of study.yaml (see spec.load_study)::

    tracker:
      wave: fielded                 # a date question (or a number: the cycle) in each survey
      schedule: {start: 2025-01-06, cycle_weeks: 3, focus: [area ids, in cycle order]}
      rewards: {people: Return on people performance, ...}   # optional relabelling
      areas:
        first_contact:
          label: First-contact resolution
          reward: repeat
          measures: [resolved_first]       # indicator ids or number-question ids
        complaints_raised: {label: ..., reward: ..., measures: [{id: complained, better: lower}]}
      metrics:
        source: business
        period: month                # YYYY-MM
        complaints: complaints       # any of the five may be left out
        customers: customers
        repeat_rate: repeat_rate
        average_sale: average_sale
        sales: sales
        before: {from: 2024-01, to: 2024-12}
        programme: {from: 2025-01, to: 2025-12}
      changes: ["A new booking system went live in March 2025"]
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

# The four rewards of exceptional service the ROCS programme names, in its order.
REWARDS = (("people", "Return on people performance"), ("repeat", "Repeat business"),
           ("recommendation", "Recommendation"), ("recognition", "Recognition"))
METRIC_KEYS = ("complaints", "customers", "repeat_rate", "average_sale", "sales")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Measure:
    id: str  # an indicator id or a number question id
    label: str
    kind: str  # "proportion" (p-chart), "mean" or "nps" (XmR charts)
    source: str  # the source its answers are in
    question: str
    better: int = +1  # +1: higher is better; -1: lower is better


@dataclass(frozen=True)
class Area:
    id: str
    label: str
    reward: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Metrics:
    source: str
    period: str  # the question holding the period, YYYY-MM
    columns: tuple[tuple[str, str], ...]  # (metric key, question id), for those declared
    before: tuple[str, ...]  # the periods of the year before the programme
    programme: tuple[str, ...]  # the periods of the programme year

    def column(self, key: str) -> str | None:
        return dict(self.columns).get(key)


@dataclass(frozen=True)
class Tracker:
    wave: str
    wave_type: str  # "date" or "number" (a cycle number)
    start: dt.date | None  # the first day of cycle 1 (a date wave)
    cycle_days: int
    focus: tuple[str, ...]  # area id in focus in cycle 1, 2, ...
    rewards: tuple[tuple[str, str], ...]
    areas: tuple[Area, ...]
    metrics: Metrics | None
    changes: tuple[str, ...]

    def area(self, aid: str) -> Area:
        return next(a for a in self.areas if a.id == aid)

    def focus_cycle(self, aid: str) -> int | None:
        return self.focus.index(aid) + 1 if aid in self.focus else None

    def reward_label(self, rid: str) -> str:
        return dict(self.rewards)[rid]


def _months(ck: Any, raw: Any, path: str) -> tuple[str, ...]:
    """A list of YYYY-MM periods, or {from: YYYY-MM, to: YYYY-MM} for every month between."""
    if isinstance(raw, list):
        bad = [str(v) for v in raw if not isinstance(v, str)]
        if bad or not raw:
            ck.add(path, "expected a list of periods such as 2024-01, or {from: 2024-01, "
                   "to: 2024-12}")
            return ()
        return tuple(raw)
    if not isinstance(raw, dict):
        ck.add(path, "expected {from: YYYY-MM, to: YYYY-MM} or a list of periods")
        return ()
    ck.unknown_keys(raw, ("from", "to"), path)
    ends = []
    for key in ("from", "to"):
        v = raw.get(key)
        if not isinstance(v, str) or not _MONTH.match(v):
            ck.add(f"{path}.{key}", f"expected a month written YYYY-MM, got {v!r}")
            return ()
        ends.append((int(v[:4]), int(v[5:])))
    (y, m), end = ends
    if (y, m) > end:
        ck.add(path, f"'from' ({raw['from']}) is after 'to' ({raw['to']})")
        return ()
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


def read_tracker(ck: Any, raw: dict[str, Any] | None, qmap: dict[str, Any], sources: tuple,
                 indicators: tuple) -> Tracker | None:
    if raw is None or not sources:
        return None
    path = "tracker"
    from .studyformat import keys_at

    ck.unknown_keys(raw, keys_at(path), path)
    sids = [s.id for s in sources]
    inds = {i.id: i for i in indicators}

    wave = ck.get(raw, "wave", path, str, expected="the question holding each response's date "
                  "or cycle number")
    wq = qmap.get(wave) if wave else None
    if wave and wq is None:
        ck.add(f"{path}.wave", f"unknown question {wave!r} (expected one of: "
               f"{', '.join(sorted(qmap))})")
    elif wq is not None and wq.type not in ("date", "number"):
        ck.add(f"{path}.wave", f"question {wave!r} is {wq.type}; the wave is a date question "
               "(type: date) or a number question holding the cycle number")
    wave_type = wq.type if wq is not None else "number"

    sched = ck.get(raw, "schedule", path, dict, required=False, default={})
    ck.unknown_keys(sched, keys_at(f"{path}.schedule"), f"{path}.schedule")
    start = None
    if wave_type == "date":
        s = sched.get("start")
        if isinstance(s, dt.date) and not isinstance(s, dt.datetime):
            start = s
        elif isinstance(s, str):
            try:
                start = dt.date.fromisoformat(s)
            except ValueError:
                ck.add(f"{path}.schedule.start", f"expected a date written YYYY-MM-DD, got {s!r}")
        else:
            ck.add(f"{path}.schedule.start", "missing (expected the first day of cycle 1, "
                   "YYYY-MM-DD): the wave is a date, so cycles are counted from it")
    elif "start" in sched:
        ck.add(f"{path}.schedule.start", "the wave question holds cycle numbers, so no start "
               "date is needed (cycles 0 and below are the baseline)")
    weeks = ck.get(sched, "cycle_weeks", f"{path}.schedule", int, required=False, default=3)
    if not isinstance(weeks, int) or weeks < 1:
        ck.add(f"{path}.schedule.cycle_weeks", f"expected a whole number of weeks, got {weeks!r}")
        weeks = 3

    rewards = list(REWARDS)
    rraw = ck.get(raw, "rewards", path, dict, required=False, default={})
    known = [r for r, _ in REWARDS]
    for rid, label in rraw.items():
        if rid not in known:
            ck.add(f"{path}.rewards.{rid}", f"unknown reward (expected one of: "
                   f"{', '.join(known)}, the four of the ROCS programme)")
        elif not isinstance(label, str) or not label.strip():
            ck.add(f"{path}.rewards.{rid}", f"expected a label, got {label!r}")
        else:
            rewards[known.index(rid)] = (rid, label)

    areas = []
    araw = ck.get(raw, "areas", path, dict, default={})
    if isinstance(araw, dict) and not araw and "areas" in raw:
        ck.add(f"{path}.areas", "expected at least one area")
    for aid, body in (araw or {}).items():
        apath = f"{path}.areas.{aid}"
        if not ck.entry(apath, aid, body, "area", keys_at("tracker.areas.*")):
            continue
        label = ck.get(body, "label", apath, str)
        reward = ck.get(body, "reward", apath, str, expected=f"one of: {', '.join(known)}")
        if reward is not None and reward not in known:
            ck.add(f"{apath}.reward", f"unknown reward {reward!r} (expected one of: "
                   f"{', '.join(known)})")
        mraw = ck.get(body, "measures", apath, list, expected="a list of indicator ids or "
                      "number questions")
        measures = []
        for k, m in enumerate(mraw or []):
            mpath = f"{apath}.measures[{k}]"
            better = +1
            if isinstance(m, dict):
                ck.unknown_keys(m, keys_at("tracker.areas.*.measures[]"), mpath)
                b = m.get("better", "higher")
                if b not in ("higher", "lower"):
                    ck.add(f"{mpath}.better", f"expected higher or lower, got {b!r}")
                better = -1 if b == "lower" else +1
                m = m.get("id")
            if not isinstance(m, str):
                ck.add(mpath, f"expected an indicator id or a number question, got {m!r}")
                continue
            if m in inds:
                i = inds[m]
                measures.append(Measure(m, i.label, "proportion", sids[0], i.question, better))
            elif m in qmap and qmap[m].type == "number":
                q = qmap[m]
                measures.append(Measure(m, q.short, "nps" if q.scale == "nps" else "mean",
                                        q.sources[0], m, better))
            else:
                ck.add(mpath, f"unknown indicator {m!r} (expected an indicator: "
                       f"{', '.join(sorted(inds)) or 'none declared'}; or a number question: "
                       f"{', '.join(sorted(q.id for q in qmap.values() if q.type == 'number'))})")
        weights = {src.id: src.weight for src in sources if src.weight}
        for m in measures:
            if m.source in weights:
                ck.add(f"{apath}.measures", f"{m.id!r} is answered in source {m.source!r}, "
                       f"which is weighted ({weights[m.source]!r}); a tracker's control "
                       "charts count answers unweighted, so a weighted source would be "
                       "reported wrongly: track an unweighted source")
            if wave and wq is not None and m.source not in wq.sources:
                ck.add(f"{apath}.measures", f"{m.id!r} is answered in source {m.source!r}, "
                       f"which has no {wave!r} question to place its answers in cycles")
        if label and reward in known and measures:
            areas.append(Area(str(aid), label, reward, tuple(measures)))

    ids = [a.id for a in areas]
    focus = sched.get("focus")
    if focus is None:
        focus_t = tuple(ids)
    elif not isinstance(focus, list):
        ck.add(f"{path}.schedule.focus", "expected the list of area ids, one per cycle")
        focus_t = ()
    else:
        focus_t = tuple(str(f) for f in focus)
        for k, f in enumerate(focus_t):
            if f not in ids and (araw or {}).get(f) is None:
                ck.add(f"{path}.schedule.focus[{k}]", f"unknown area {f!r} (expected one of: "
                       f"{', '.join(ids)})")
            elif focus_t.index(f) != k:
                ck.add(f"{path}.schedule.focus[{k}]", f"area {f!r} is in focus twice (cycles "
                       f"{focus_t.index(f) + 1} and {k + 1}); each area has one focus cycle")

    metrics = None
    mraw = ck.get(raw, "metrics", path, dict, required=False)
    if mraw is not None:
        mpath = f"{path}.metrics"
        ck.unknown_keys(mraw, keys_at(mpath), mpath)
        src = ck.get(mraw, "source", mpath, str, expected="the source of business metrics")
        if src is not None and src not in sids:
            ck.add(f"{mpath}.source", f"unknown source {src!r} (expected one of: "
                   f"{', '.join(sids)})")
            src = None

        def col(key: str, types: tuple[str, ...], required: bool) -> str | None:
            qid = ck.get(mraw, key, mpath, str, required=required)
            if qid is None or src is None:
                return qid
            q = qmap.get(qid)
            if q is None or src not in q.sources:
                ck.add(f"{mpath}.{key}", f"{qid!r} is not a question of source {src!r}")
            elif q.type not in types:
                ck.add(f"{mpath}.{key}", f"question {qid!r} must be {' or '.join(types)}, not "
                       f"{q.type}")
            return qid

        period = col("period", ("id", "text", "single"), True)
        cols = tuple((k, c) for k in METRIC_KEYS
                     if (c := col(k, ("number",), False)) is not None)
        if not cols:
            ck.add(mpath, f"expected at least one metric ({', '.join(METRIC_KEYS)})")
        if dict(cols).get("complaints") and not dict(cols).get("customers"):
            ck.add(f"{mpath}.customers", "missing: complaints are compared as a rate per 1,000 "
                   "customers, so the customers served in each period are needed")
        before = _months(ck, mraw.get("before"), f"{mpath}.before")
        prog = _months(ck, mraw.get("programme"), f"{mpath}.programme")
        if set(before) & set(prog):
            ck.add(f"{mpath}.programme", "the programme year and the year before share periods: "
                   + ", ".join(sorted(set(before) & set(prog))[:3]))
        if before and prog and len(before) != len(prog):
            ck.add(f"{mpath}.before", f"{len(before)} periods against {len(prog)} in the "
                   "programme year: compare like with like (a year with a year)")
        if src and period:
            metrics = Metrics(src, period, cols, before, prog)

    changes = ck.get(raw, "changes", path, list, required=False, default=[])
    if any(not isinstance(c, str) for c in changes):
        ck.add(f"{path}.changes", "expected a list of sentences: what else changed in the "
               "programme year")
    if not wave or wq is None or not areas:
        return None
    return Tracker(wave, wave_type, start, 7 * weeks, focus_t, tuple(rewards), tuple(areas),
                   metrics, tuple(str(c) for c in changes))
