"""One exception hierarchy, rooted in click.ClickException, for errors a user can act on.

Anything that is not a RocsError is a bug and keeps its traceback.
"""

from __future__ import annotations

import click


class RocsError(click.ClickException):
    """An error in the user's input or environment, shown as one line, exit code 1."""

    exit_code = 1


class SpecError(RocsError):
    """study.yaml is malformed or inconsistent. Carries every problem found, not only the first.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            listed = "\n  ".join(self.problems)
            message = f"{len(self.problems)} problems in the study:\n  {listed}"
        super().__init__(message)


class IngestError(RocsError):
    """A data file could not be loaded (missing file, missing column, too many rejects)."""


class BuildError(RocsError):
    """The report could not be built."""
