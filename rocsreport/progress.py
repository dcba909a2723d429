"""Progress of the long steps, on a terminal only.

Click's progress bar is used as is: it draws on standard error when that is a terminal and
stays silent otherwise (a CI log, a pipe, the tests), so no output file or captured message
changes with it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int, what: str) -> Iterator[T]:
    """``items``, passed through, with a bar for ``what`` when standard error is a terminal."""
    if total < 2 or not sys.stderr.isatty():
        yield from items
        return
    import click

    with click.progressbar(items, length=total, label=f"  {what}", file=sys.stderr,
                           show_pos=True, show_eta=True, width=24) as bar:
        yield from bar


def on_terminal() -> bool:
    """Both standard output and standard error are a terminal. DuckDB's own progress bar
    writes to standard output, so it is turned on only then: never into a pipe or a log."""
    return sys.stdout.isatty() and sys.stderr.isatty()


class Counter:
    """A running count of the things a step makes when their number is not known ahead
    ("drawing the charts: 23"), on one line of a terminal; silent elsewhere."""

    def __init__(self, what: str) -> None:
        self.what, self.n = what, 0
        self.live = sys.stderr.isatty()

    def tick(self) -> None:
        self.n += 1
        if self.live:
            print(f"\r  {self.what}: {self.n}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.live and self.n:
            print(file=sys.stderr, flush=True)


def step(what: str) -> None:
    """Name the step that starts now, on a terminal only."""
    if sys.stderr.isatty():
        print(f"  {what} ...", file=sys.stderr, flush=True)
