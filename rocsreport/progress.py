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


def step(what: str) -> None:
    """Name the step that starts now, on a terminal only."""
    if sys.stderr.isatty():
        print(f"  {what} ...", file=sys.stderr, flush=True)
