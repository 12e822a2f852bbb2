"""The notebook formgrader shows a TA: ``autograded/<student>/<assignment>/<notebook>.ipynb``.

nbgrader's formgrader renders that file (``nbgrader autograde`` would write it) and draws a score
and a comment box on each cell whose nbgrader metadata names a gradebook cell. We never run
nbgrader's autograde, so after grading an assignment with written answers we write it ourselves:
the student's notebook, unchanged but for its nbgrader metadata (the student's, so it may be stale,
stripped or forged): the written answers (found as in ``grading/written.py``) get the metadata of
their gradebook cells, every other cell loses it, so formgrader draws a score and comment box on
the written answers only and never looks up a cell the gradebook does not have. Outputs are dropped
and raw HTML in markdown is escaped: formgrader would render both, scripts included, in the TA's
browser. (Autograded items
get their scores from the hidden tests; a TA overrides one in the gradebook.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.grading.batch import find_submissions
from nncourse.grading.written import WrittenQuestion, answer_cells
from nncourse.layout import CourseLayout


def autograded_folder(layout: CourseLayout) -> Path:
    """The course's ``CourseDirectory.autograded_directory`` (formgrader reads it)."""
    from nncourse.nbgrader_env import load_nbgrader_config

    config = load_nbgrader_config(layout).CourseDirectory
    name = config.autograded_directory if "autograded_directory" in config else "autograded"
    return layout.root / name


def _metadata(question: WrittenQuestion) -> dict:
    """nbgrader's metadata of a manually graded answer cell."""
    return {
        "grade": True,
        "solution": True,
        "locked": False,
        "task": False,
        "points": question.points,
        "grade_id": question.id,
        "schema_version": conventions.SCHEMA_VERSION,
    }


def _inert(cell: dict) -> None:
    """Nothing of the student's may run in the TA's browser: formgrader renders markdown and
    outputs as HTML, unsanitised (a ``<script>`` in an answer would run with the TA's Jupyter
    session). Outputs go (the grader never trusts them), raw HTML in markdown is shown as text."""
    if cell.get("cell_type") == "code":
        cell["outputs"], cell["execution_count"] = [], None
    elif cell.get("cell_type") in ("markdown", "raw"):
        cell["source"] = conventions.source_text(cell).replace("<", "&lt;")
        cell.pop("attachments", None)


def formgrade_notebook(data: dict, *, asked: list[WrittenQuestion]) -> dict:
    """The submission with nbgrader metadata only where the gradebook has the cell."""
    cells = [c for c in data.get("cells", []) if isinstance(c, dict)]
    for cell in cells:
        if isinstance(cell.get("metadata"), dict):
            cell["metadata"].pop("nbgrader", None)
        _inert(cell)
    written = answer_cells(cells, asked)
    for question in asked:
        if written.get(question.id) is not None:
            cells[written[question.id]].setdefault("metadata", {})["nbgrader"] = _metadata(question)
    return {**data, "cells": cells}


def write_formgrade_copies(
    submitted: Path,
    *,
    layout: CourseLayout,
    assignment: str,
    asked: list[WrittenQuestion],
    max_bytes: int,
    progress: Callable[[str], None],
) -> int:
    """Write each student's formgrader copy; returns how many were written.

    A course folder this user cannot write (a TA on a shared server) is said once, not fatal.
    """
    if not asked:
        return 0
    folder = autograded_folder(layout)
    notebook_id = layout.notebook_name(assignment)
    written = 0
    for submission in find_submissions(submitted, assignment, notebook_id):
        if submission.notebook is None or not submission.recordable:
            continue
        try:
            if submission.notebook.stat().st_size > max_bytes:
                continue
            data = json.loads(submission.notebook.read_bytes().decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
                continue
        except (OSError, ValueError, RecursionError):
            continue  # its results say why it could not be read
        target = folder / submission.student / assignment / notebook_id
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            copy = formgrade_notebook(data, asked=asked)
            tmp.write_text(json.dumps(copy), encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            progress(
                f"warning: formgrader copies not written to {folder} ({exc.strerror}): "
                "TAs see the written answers in the feedback pages and report only"
            )
            return written
        written += 1
    return written
