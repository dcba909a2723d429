"""Bounded work on large or hostile input: validate time as the codebook grows, and the
refusals that must be immediate (a sparse 10 GB data file, a billion-laughs study.yaml).

    python bench/bench_inputs.py

Prints a table. Validation should grow linearly with the number of codes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rocsreport.errors import RocsError
from rocsreport.pipeline import validate


def codebook(root: Path, n: int) -> Path:
    (root / "data").mkdir(parents=True)
    codes = ", ".join(f"c{i}" for i in range(n))
    (root / "study.yaml").write_text(
        "title: Codes\nsynthetic: true\nunit: people\nsources:\n  s: {file: data/s.csv, id: rid}\n"
        f"questions:\n  - {{id: rid, type: id}}\n  - {{id: q, type: single, wording: Q, codes: "
        f"[{codes}]}}\nindicators:\n  i: {{label: I, question: q, numerator: [c1]}}\n")
    (root / "data" / "s.csv").write_text("rid,q\n" + "".join(f"r{i},c{i % n}\n"
                                                             for i in range(1000)))
    return root


def timed(fn) -> tuple[float, str]:
    t = time.perf_counter()
    try:
        fn()
        what = "ok"
    except RocsError as exc:
        what = exc.message.splitlines()[0][:60]
    return time.perf_counter() - t, what


def main() -> None:
    print(f"{'input':<34} {'seconds':>8}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000, 10_000, 100_000):
            root = codebook(Path(tmp) / f"c{n}", n)
            s, what = timed(lambda root=root: validate(root))
            print(f"{f'{n:,} codes, 1,000 rows':<34} {s:>8.2f}  {what}")
        root = codebook(Path(tmp) / "sparse", 10)
        with (root / "data" / "s.csv").open("r+b") as f:
            f.truncate(10 * 1024 ** 3)
        from rocsreport import ingest
        from rocsreport.spec import load_study

        s, what = timed(lambda: ingest.load(load_study(root)))
        print(f"{'10 GB sparse data file (load)':<34} {s:>8.2f}  {what}")
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
        laughs = Path(tmp) / "laughs"
        laughs.mkdir()
        (laughs / "study.yaml").write_text("\n".join([*lines, "title: *a8"]) + "\n")
        s, what = timed(lambda: validate(laughs))
        print(f"{'billion laughs study.yaml':<34} {s:>8.2f}  {what}")


if __name__ == "__main__":
    main()
