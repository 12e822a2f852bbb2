"""Which cells of a submission the course gave (setup, demo, checks), recognised by their content.

A cell's metadata is not evidence: students and editors change or drop it (Colab re-saves, cells
copied into a fresh notebook, a hand-edited grade_id). A submitted cell is a given cell when its
source is that of a locked cell of the trusted notebooks (the instructor's source notebook and the
committed student version), whatever its metadata says; every other cell is the student's and runs.
The same content tells which assignment a notebook belongs to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.layout import CourseLayout

# the release's own cells (release/public_checks.py, release/student_cells.py), also as earlier
# releases wrote them: otter's init cell, the install and public-checks cells, grader.check(...)
_OTTER_INIT = re.compile(r"(#[^\n]*\n)*import otter\ngrader = otter\.Notebook\([^\n]*\)")
_RELEASE_HEADERS = {
    "# Course packages: installs the ones missing here": "demo_install",
    "# Public checks: the cell after each exercise runs them": "demo_public_checks",
}
_CHECK_CALL = re.compile(r"grader\.check\((?P<q>['\"])(?P<item>\w+)(?P=q)\)")


def normalised(source: str) -> str:
    """A cell's source as compared: no trailing spaces, no leading or trailing blank lines."""
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines()).strip()


@dataclass(frozen=True)
class GivenCells:
    """The given cells of one assignment, and enough of the others' to name a wrong notebook.

    Attributes:
        assignment: the assignment id.
        by_source: normalised source -> grade_id of each locked cell (setup, demo, checks).
        items: the graded items (solution cells' grade_ids).
        others: another assignment -> the normalised sources of its given setup and demo cells.
    """

    assignment: str
    by_source: dict[str, str]
    items: frozenset[str]
    others: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, layout: CourseLayout, assignment: str) -> GivenCells:
        """The given cells of ``assignment`` (source and release notebooks) and of the others."""
        own = _locked_cells(layout, assignment)
        items = frozenset(conventions.graded_items(_read(layout.source_notebook(assignment))))
        others = {}
        for other in layout.assignments():
            if other != assignment:
                others[other] = frozenset(
                    s
                    for s, gid in _locked_cells(layout, other).items()
                    if conventions.kind_of(gid) in ("setup", "demo")
                )
        return cls(assignment=assignment, by_source=own, items=items, others=others)

    def label(self, source: str, claimed: str | None) -> str | None:
        """The grade_id a submitted cell gets: a given cell's by its content, else the claimed one
        only if it names a graded item of this assignment (never a kind that is skipped)."""
        text = normalised(source)
        if text in self.by_source:
            return self.by_source[text]
        if _OTTER_INIT.fullmatch(text):
            return "demo_otter_init"
        for header, cell_id in _RELEASE_HEADERS.items():
            if text.startswith(header):  # skipping a cell only ever costs its author
                return cell_id
        check = _CHECK_CALL.fullmatch(text)
        if check and check.group("item") in self.items:
            return conventions.check_id(check.group("item"))
        return claimed if claimed in self.items else None

    def recognises(self, sources: list[str]) -> bool:
        """Whether any of these cells is one of this assignment's given cells."""
        return any(normalised(s) in self.by_source for s in sources)

    def belongs_elsewhere(self, sources: list[str]) -> str | None:
        """Another assignment whose given cells the notebook has, when it has none of this one's.

        Only cells that are given in one assignment count (a shared imports cell says nothing).
        """
        texts = {normalised(s) for s in sources} - {""}
        shared = set().union(*self.others.values()) if self.others else set()
        own = {
            s for s, gid in self.by_source.items() if conventions.kind_of(gid) in ("setup", "demo")
        }
        if texts & (own - shared):
            return None
        counts = {other: len(texts & (cells - own)) for other, cells in self.others.items()}
        best = max(counts, key=counts.get, default=None)
        return best if best is not None and counts[best] > 0 else None


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _locked_cells(layout: CourseLayout, assignment: str) -> dict[str, str]:
    """normalised source -> grade_id of the locked code cells (source and release notebooks)."""
    cells = {}
    for path in (layout.release_notebook(assignment), layout.source_notebook(assignment)):
        if not path.is_file():
            continue  # a Gradescope autograder carries the source notebook only
        for cell in conventions.code_cells(_read(path)):
            grade_id = conventions.grade_id(cell)
            text = normalised(conventions.source_text(cell))
            if grade_id and not conventions.is_solution(cell) and text:
                cells.setdefault(text, grade_id)
    return cells
