"""Write the synthetic data of the "Beyond Measurement" example study. Deterministic.

    python surveys/beyond-measurement/generate.py

The data is ILLUSTRATIVE. It is shaped like the 2014 research by the Institute of Customer Service
and Manchester Business School (a survey of over 120 executives at different organisations; 45
interviews, 3 at each of 15 organisations) and calibrated to its published headline figures:
exactly 35 of 125 (28%) do not measure the cost of customer service, and exactly 50 of 125 (40%)
answer No or Don't know on measuring its return on investment. Everything else, including every
quote, is invented.

Counts within each role group are fixed below and only their order is shuffled, so the headline
figures and the role gaps are exact by construction; the seeded generator decides who says what.
Only the standard library is used, so anyone can regenerate the files.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 2014
HERE = Path(__file__).resolve().parent

LEADERSHIP = [("CEO", 25), ("Managing Director", 20)]
OPERATIONAL = [("Customer Service Director", 25), ("Operations Director", 20),
               ("Customer Insight Director", 20), ("Head of Customer Experience", 15)]
SECTORS = [("Retail", 22), ("Banks & building societies", 20), ("Utilities", 14),
           ("Telecommunications & media", 14), ("Transport", 13), ("Public services", 12),
           ("Leisure", 11), ("Services", 11), ("Automotive", 8)]
SIZES = [("Under 250 employees", 20), ("250 to 999", 30), ("1,000 to 4,999", 40),
         ("5,000 or more", 35)]

# Exact answer counts per role group: (Leadership of 45, Operational & insight of 80).
COUNTS = {
    "measure_cost": {"Yes": (31, 50), "No": (11, 24), "Don't know": (3, 6)},
    "measure_roi": {"Yes": (31, 44), "No": (10, 22), "Don't know": (4, 14)},
    "link_performance": {"Yes": (32, 36), "No": (10, 38), "Don't know": (3, 6)},
    # Likert items, codes 1..5 and 9 = Prefer not to say.
    "vision_link": {"5": (15, 9), "4": (19, 27), "3": (6, 20), "2": (3, 16), "1": (1, 6),
                    "9": (1, 2)},
    "operational_focus": {"5": (5, 22), "4": (11, 30), "3": (14, 15), "2": (11, 9), "1": (3, 3),
                          "9": (1, 1)},
    "board_reviews": {"5": (8, 10), "4": (15, 22), "3": (12, 24), "2": (7, 17), "1": (2, 6),
                      "9": (1, 1)},
    "insight_continual": {"5": (9, 18), "4": (17, 26), "3": (11, 19), "2": (6, 13), "1": (2, 4)},
}

# Probability of using each measure, (Leadership, Operational & insight).
MEASURES = {
    "ease": (0.62, 0.58), "access": (0.44, 0.50), "speed": (0.71, 0.80), "knowledge": (0.47, 0.52),
    "csat": (0.84, 0.88), "nps": (0.60, 0.46), "complaints": (0.64, 0.78),
    "handling_time": (0.24, 0.66), "cost_to_serve": (0.47, 0.40), "emotional": (0.18, 0.12),
    "revenue_link": (0.49, 0.22),
}

THEMES_P = {  # (Leadership, Operational & insight) probability of raising each theme
    "vision": (0.87, 0.23), "business_performance": (0.80, 0.30), "operational": (0.27, 0.83),
    "behaviour": (0.33, 0.63), "insight": (0.53, 0.50), "whole_experience": (0.47, 0.37),
    "roi_hard": (0.40, 0.53), "hygiene": (0.33, 0.47),
}

QUOTES = {
    "vision": [
        "Service is how our vision shows up for a customer; we judge ourselves on that first.",
        "If the measures don't connect to where we want the business to be, they are noise.",
        "Our board asks one question about service: is it building the customers we want?",
    ],
    "business_performance": [
        "We only got investment once we could show retention moving with satisfaction.",
        "The link to revenue is there, but it takes a year of data before anyone believes it.",
    ],
    "operational": [
        "My dashboard is handling time, service levels and backlog; that is what I am asked for.",
        "We measure everything in the contact centre and very little outside it.",
        "Operational targets are clear; how they tie to the strategy is less clear to my team.",
    ],
    "behaviour": [
        "We track repeat contacts and churn, and we can see customers switching channels.",
        "Customers now start on the app and finish on the phone, and our metrics lag behind.",
    ],
    "roi_hard": [
        "Nobody has asked me for a return on service; they ask what it costs.",
        "We cannot put a number on the return yet, and that makes every budget round harder.",
    ],
    "insight": [
        "We gather feedback every week now, not once a year in a survey.",
    ],
    "whole_experience": [
        "We stopped measuring channels separately and started measuring the journey.",
    ],
    "hygiene": [
        "Being easy to deal with and quick to answer is the minimum; it wins nothing on its own.",
    ],
}


def _spread(rng: random.Random, counts: dict[str, tuple[int, int]], group: int) -> list[str]:
    values = [code for code, pair in counts.items() for _ in range(pair[group])]
    rng.shuffle(values)
    return values


def _expand(pairs: list[tuple[str, int]]) -> list[str]:
    return [name for name, k in pairs for _ in range(k)]


def executives(rng: random.Random) -> list[dict[str, str]]:
    roles = {0: _expand(LEADERSHIP), 1: _expand(OPERATIONAL)}
    answers = {g: {q: _spread(rng, c, g) for q, c in COUNTS.items()} for g in (0, 1)}
    sectors = _expand(SECTORS)
    sizes = _expand(SIZES)
    rng.shuffle(sectors)
    rng.shuffle(sizes)
    people = [(g, i) for g in (0, 1) for i in range(len(roles[g]))]
    rng.shuffle(people)
    rows = []
    for k, (g, i) in enumerate(people):
        row = {"respondent_id": f"R{k + 1:03d}", "organisation_id": f"ORG{k + 1:03d}",
               "role": roles[g][i], "sector": sectors[k], "org_size": sizes[k]}
        for q in COUNTS:
            row[q] = answers[g][q][i]
        chosen = [m for m, p in MEASURES.items() if rng.random() < p[g]]
        row["measures_used"] = ";".join(chosen) if chosen else "none"
        base = 8.2 if g == 0 else 7.1
        row["recommend"] = str(max(0, min(10, round(rng.gauss(base, 1.7)))))
        rows.append(row)
    return rows


def interviews(rng: random.Random) -> list[dict[str, str]]:
    sectors = [name for name, _ in SECTORS]
    org_sectors = [sectors[k % len(sectors)] for k in range(15)]
    rng.shuffle(org_sectors)
    rows = []
    used_quotes: set[str] = set()
    for o in range(15):
        org = f"INT-ORG-{o + 1:02d}"
        roles = [(0, rng.choice(["CEO", "Managing Director"]))]
        roles += [(1, r) for r in rng.sample([name for name, _ in OPERATIONAL], 2)]
        for g, role in roles:
            themes = [t for t, p in THEMES_P.items() if rng.random() < p[g]] or ["insight"]
            quote = ""
            if rng.random() < 0.45:
                pool = [q for t in themes for q in QUOTES.get(t, []) if q not in used_quotes]
                if pool:
                    quote = rng.choice(pool)
                    used_quotes.add(quote)
            rows.append({"interview_id": f"I{len(rows) + 1:02d}", "organisation_id": org,
                         "role": role, "sector": org_sectors[o], "themes": ";".join(themes),
                         "quote": quote})
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    (HERE / "data").mkdir(exist_ok=True)
    write(HERE / "data" / "executives.csv", executives(rng))
    write(HERE / "data" / "interviews.csv", interviews(rng))


if __name__ == "__main__":
    main()
