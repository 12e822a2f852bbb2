"""Review policy: which notebooks a TA should look at, and why (pure functions of what was seen).

The grader checks every number itself, but code that edits memory directly can still get past the
spies that run next to the student's code; a notebook that reaches for interpreter or grader
internals is therefore flagged, never silently trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nncourse.intake import OTHER_COHORT

FLAGGED = "flagged for a TA's review"

# Names an honest solution of these assignments never needs, and that reaching into the grader's
# spies from inside the sandbox does (integrity.py undoes Python-level changes; a TA judges the
# rest).
INTERNALS = re.compile(
    r"sys\.modules|\binstruments\b|_pop_mode\w*|\w*torch_function_stack\w*|\bctypes\b|"
    r"gc\.get_(?:objects|referrers|referents)|_getframe|\bf_back\b|\bf_locals\b|__code__|"
    r"setprofile|settrace|Optimizer\.__init__|_global_optimizer\w*|__closure__|cell_contents"
)


def internals_used(sources: Iterable[str]) -> list[str]:
    """The internals named in the notebook's code, sorted, each once."""
    return sorted({m.group(0) for source in sources for m in INTERNALS.finditer(source)})


def review_notes(
    sources: Iterable[str], *, replaced_builtins: list[str], replaced_grader: list[str]
) -> list[str]:
    """The notes a graded notebook gets for what it did to the interpreter and the grader.

    Args:
        sources: the code of the cells that ran.
        replaced_builtins: Python built-ins the cells replaced (restored before testing).
        replaced_grader: the grader's own tools in the sandbox that the cells changed.
    """
    notes = []
    if replaced_builtins:
        notes.append(
            "your notebook replaced Python built-ins ("
            + ", ".join(replaced_builtins[:8])
            + "); they were restored before testing"
        )
    internals = internals_used(sources)
    if internals:
        notes.append(
            f"{FLAGGED}: the notebook uses interpreter or grader internals ("
            + ", ".join(internals[:6])
            + ")"
        )
    if replaced_grader:
        notes.append(
            "your notebook changed the grader's own tools inside the sandbox ("
            + ", ".join(replaced_grader[:4])
            + f"); they were put back before testing and the submission is {FLAGGED}"
        )
    return notes


def to_look_at(notes: Iterable[str]) -> list[str]:
    """The notes that ask a TA to look at a graded submission (grades.csv's ``review`` column and
    the report's list): a flag for review, or a notebook released for another cohort."""
    return [note for note in notes if FLAGGED in note or note.startswith(OTHER_COHORT)]
