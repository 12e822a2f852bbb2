"""Read a submitted notebook safely and turn it into the cells the worker will run.

Trusted side: the file is size-checked before it is read, decoded as strict UTF-8 and parsed as
JSON with a recursion guard. Outputs are never looked at. IPython magics and shell escapes are
neutralised (the worker is plain Python) and listed, so the student learns they did not run. With
the assignment's given cells (``given_cells.GivenCells``), a cell's kind comes from its content, not
from metadata a student can edit, and a notebook of another assignment is named as such.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nncourse import notebook_conventions as conventions

if TYPE_CHECKING:
    from nncourse.given_cells import GivenCells

MAX_CELLS = 2000
_MAGIC_LINE = re.compile(r"^(\s*)([%!].*|\w+\s*=\s*[%!].*)$")


class IntakeError(ValueError):
    """The file cannot be graded; the message says why in the student's terms."""


@dataclass(frozen=True)
class Cell:
    """One code cell: its position among the notebook's cells, its kind and runnable source."""

    index: int
    source: str
    grade_id: str | None = None

    @property
    def kind(self) -> str:
        """student, setup, solution, check or demo (``notebook_conventions.kind_of``)."""
        return conventions.kind_of(self.grade_id)


@dataclass(frozen=True)
class Notebook:
    """The code cells of a submission plus what intake changed."""

    cells: tuple[Cell, ...]
    notes: tuple[str, ...] = field(default=())

    def runnable(self, *, include_checks: bool = False) -> list[Cell]:
        """Cells run for grading: everything but demo cells (and check cells unless asked)."""
        return [
            cell
            for cell in self.cells
            if conventions.runs_when_grading(cell.kind) or (include_checks and cell.kind == "check")
        ]


OTHER_COHORT = "This notebook was released for another run of the course"


def read_notebook(
    path: Path, *, max_bytes: int, given: GivenCells | None = None, cohort: str | None = None
) -> Notebook:
    """Parse a submission; raises IntakeError with a specific reason for anything unusable.

    Args:
        path: the submitted notebook.
        max_bytes: largest accepted file.
        given: the assignment's given cells; without them, kinds come from the cells' grade_ids.
        cohort: the cohort being graded; a notebook released to another one is graded with a note.
    """
    if path.is_symlink() or not path.is_file():
        raise IntakeError(f"{path.name} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise IntakeError(
            f"notebook is {size / 2**20:.1f} MiB (limit {max_bytes / 2**20:.0f} MiB): "
            "clear all outputs (Kernel > Restart & Clear Output) and resubmit"
        )
    raw = path.read_bytes()[: max_bytes + 1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeError(f"notebook is not valid UTF-8 (bad byte at offset {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise IntakeError("notebook is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise IntakeError(f"notebook is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise IntakeError("file is not a Jupyter notebook (no 'cells' list)")
    if data.get("nbformat") != 4:
        raise IntakeError(
            f"unsupported notebook format {data.get('nbformat')!r} (expected nbformat 4)"
        )
    if len(data["cells"]) > MAX_CELLS:
        raise IntakeError(f"notebook has {len(data['cells'])} cells (limit {MAX_CELLS})")
    notebook = _code_cells(data["cells"], given)
    if given is not None:
        _check_assignment(data, given)
    claimed = conventions.course_metadata(data).get("cohort")
    if cohort and isinstance(claimed, str) and claimed != cohort:
        shown = "".join(c if c.isprintable() else "?" for c in claimed[:40])
        note = (
            f"{OTHER_COHORT} (cohort '{shown}'); it was graded with the tests and points of this "
            f"run (cohort '{cohort}'). Ask your TA if you expected otherwise."
        )
        notebook = replace(notebook, notes=(note, *notebook.notes))
    return notebook


def _check_assignment(data: dict, given: GivenCells) -> None:
    """Refuse a notebook of another assignment, named by its given cells (or, when it has none of
    any assignment's, by its metadata)."""
    sources = [conventions.source_text(c) for c in conventions.code_cells(data)]
    other = given.belongs_elsewhere(sources)
    reason = f"its given cells are {other}'s"
    if other is None and not given.recognises(sources):
        claimed = conventions.course_metadata(data).get("assignment")
        other, reason = (
            (claimed, f"its metadata says {claimed}") if claimed in given.others else (None, "")
        )
    if other is not None:
        raise IntakeError(
            f"this is a notebook of {other}, not of {given.assignment} ({reason}): "
            f"submit your {given.assignment} notebook"
        )


def _code_cells(raw_cells: list, given: GivenCells | None) -> Notebook:
    cells, notes = [], []
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, dict):
            raise IntakeError(f"{conventions.cell_name(index)} is malformed (not an object)")
        if raw.get("cell_type") != "code":
            continue
        source = raw.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise IntakeError(f"{conventions.cell_name(index)} is malformed (source is not text)")
        grade_id = conventions.grade_id(raw)
        if given is not None:
            grade_id = given.label(source, grade_id)
        source, removed = neutralise_magics(source)
        notes += [
            f"{conventions.cell_name(index)}: not run (IPython syntax): {line.strip()[:80]}"
            for line in removed
        ]
        cells.append(Cell(index=index, source=source, grade_id=grade_id))
    if not cells:
        raise IntakeError("notebook has no code cells")
    return Notebook(cells=tuple(cells), notes=tuple(notes))


def neutralise_magics(source: str) -> tuple[str, list[str]]:
    """Replace IPython magics, ``!`` shell escapes and cell magics with ``pass``.

    Returns:
        The runnable source and the removed lines.
    """
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "pass\n", [
            lines[0] + (f" (whole cell, {len(lines)} lines)" if len(lines) > 1 else "")
        ]
    removed, kept = [], []
    for line in lines:
        match = _MAGIC_LINE.match(line)
        if match:
            removed.append(line)
            kept.append(f"{match.group(1)}pass")
        else:
            kept.append(line)
    return "\n".join(kept) + "\n", removed
