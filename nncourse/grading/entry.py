"""The one way in: a grader on a locked sandbox slot, and the one rule for choosing a notebook.

Every front door (``nncourse grade``'s slot processes, ``grade-one``, ``check``, the Gradescope
runner, the catalog tests) gets its sandbox slot and its :class:`~nncourse.grading.grader.Grader`
from here, so the slot's lock, the grader's sandbox and their teardown are written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nncourse.config import GradingLimits
from nncourse.layout import CourseLayout
from nncourse.sandbox.launcher import acquire_slot

if TYPE_CHECKING:
    from nncourse.grading.grader import Grader


@contextmanager
def sandbox_slot() -> Iterator[int]:
    """Hold a free sandbox slot (and so its uid) for the block; yields its number."""
    slot, lock = acquire_slot()  # a uid of our own, even if other graders share the machine
    try:
        yield slot
    finally:
        lock.close()


@contextmanager
def open_grader(
    layout: CourseLayout,
    assignment: str,
    *,
    secret: bytes,
    limits: GradingLimits = GradingLimits(),
    insecure: bool = False,
    venv: Path | None = None,
    cohort: str | None = None,
) -> Iterator[Grader]:
    """A :class:`Grader` of ``assignment`` on a slot of its own; both are released on exit.

    Args:
        layout: the course checkout.
        assignment: assignment id, e.g. ``"01-gradient-descent"``.
        secret: the course secret (seeds derive from it and the submission's hash).
        limits: time and resource limits.
        insecure: run without namespaces (only when the sandbox cannot be built).
        venv: the sandbox's interpreter environment (default: the course's ``.venv``).
        cohort: the cohort being graded (a notebook released to another one gets a note).
    """
    from nncourse.grading.grader import Grader  # torch and pytest: only where something is graded

    with sandbox_slot() as slot:
        grader = Grader(
            layout=layout,
            assignment=assignment,
            secret=secret,
            slot=slot,
            limits=limits,
            insecure=insecure,
            venv=venv,
            cohort=cohort,
        )
        try:
            yield grader
        finally:
            grader.close()


@dataclass(frozen=True)
class NotebookChoice:
    """The notebook to grade, or None; ``note`` says why none, or which other name was graded."""

    notebook: Path | None
    note: str = ""


def choose_notebook(notebooks: Iterable[Path], expected: str, *, folder: str) -> NotebookChoice:
    """The latest attempt named like ``expected``, else the only notebook there is.

    Attempts are ``expected`` and its resubmissions ``<stem>-N.ipynb`` (the highest N wins, as
    `nncourse collect` orders an LMS's resubmissions); the other notebooks are named in the note.

    Args:
        notebooks: the notebooks a student submitted (one folder).
        expected: the assignment's notebook name, e.g. ``"backpropagation.ipynb"``.
        folder: how to name the folder in a message (``"02-backpropagation/"``).
    """
    from nncourse.collect.patterns import attempt_number

    notebooks = sorted(notebooks, key=lambda p: p.name)
    attempts = sorted(
        (n for n in notebooks if attempt_number(n.name, expected) is not None),
        key=lambda n: attempt_number(n.name, expected),
    )
    if attempts:
        chosen = attempts[-1]
        note = "" if chosen.name == expected else f"graded {chosen.name} (expected {expected})"
        if len(attempts) > 1:
            note = f"graded {chosen.name}, the latest of {len(attempts)} attempts"
        others = ", ".join(n.name for n in notebooks if n != chosen)
        return NotebookChoice(
            chosen, note + (f"{'; ' if note else ''}not graded: {others}" if others else "")
        )
    if len(notebooks) == 1:
        return NotebookChoice(notebooks[0], f"graded {notebooks[0].name} (expected {expected})")
    if notebooks:
        return NotebookChoice(None, f"several notebooks and none named {expected}")
    return NotebookChoice(None, f"no notebook in {folder}")
