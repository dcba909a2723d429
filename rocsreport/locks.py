"""Exclusive locks on what a run writes: an output folder, a database file.

Two builds into one folder, or two loads into one database, would interleave their writes and
both report success. Each run takes a lock file beside its target first (filelock: the lock is
released by the operating system when the process ends, so a crash leaves no stale lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError


@contextmanager
def exclusive(target: Path, what: str, wait: float = 0) -> Iterator[None]:
    """Hold the lock of ``target`` (``.NAME.lock`` beside it) for the block. Waits up to
    ``wait`` seconds, then fails with one line naming the target."""
    from filelock import FileLock, Timeout

    target = Path(target)
    lock = target.with_name(f".{target.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        held = FileLock(str(lock), timeout=wait)
        held.acquire()
    except Timeout:
        raise BuildError(f"another rocsreport run is writing {what} {target}; try again when "
                         f"it has finished (lock {lock})") from None
    except OSError as exc:
        raise BuildError(f"cannot lock {what} {target}: {exc.strerror}") from None
    try:
        yield
    finally:
        held.release()
