"""Written answers: the questions of a source notebook, and a submission's answers to them.

A written answer is a markdown cell a TA grades in formgrader (``notebook_conventions.is_written``).
Grading only reads the student's text (never runs anything): the answer cell is found by its
grade_id, or, when an editor dropped the metadata, as the markdown cell right after the question's
prompt (recognised by its content, like the given code cells). Scores and comments come later,
from the gradebook (``grading/manual.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.given_cells import normalised
from nncourse.grading.results import WrittenAnswer


@dataclass(frozen=True)
class WrittenQuestion:
    """One written question of an assignment.

    Attributes:
        id: the answer cell's grade_id (``written_<name>``).
        points: its points.
        title: a short title (``metadata.nncourse.question``, else the id).
        prompt: the normalised text of the markdown cell before the answer cell ("" if none).
        rubric: the TA's rubric lines (never released).
    """

    id: str
    points: float
    title: str
    prompt: str
    rubric: tuple[str, ...] = ()


def questions(source: dict) -> list[WrittenQuestion]:
    """The written questions of a source notebook, in order."""
    cells = source.get("cells", []) if isinstance(source, dict) else []
    found = []
    for index, cell in enumerate(cells):
        if not conventions.is_written(cell):
            continue
        before = cells[index - 1] if index else None
        prompt = (
            normalised(conventions.source_text(before))
            if isinstance(before, dict) and before.get("cell_type") == "markdown"
            else ""
        )
        meta = cell.get("metadata", {}).get("nncourse", {})
        title = meta.get("question") if isinstance(meta, dict) else None
        found.append(
            WrittenQuestion(
                id=conventions.grade_id(cell),
                points=float(conventions.nbgrader(cell).get("points", 0)),
                title=title if isinstance(title, str) else conventions.grade_id(cell),
                prompt=prompt,
                rubric=tuple(conventions.ta_rubric(cell)),
            )
        )
    return found


def load_questions(source_notebook: Path) -> list[WrittenQuestion]:
    """The written questions of a source notebook file."""
    return questions(json.loads(source_notebook.read_text(encoding="utf-8")))


def answer_cells(cells: list, asked: list[WrittenQuestion]) -> dict[str, int | None]:
    """Question id -> the index of its answer cell among ``cells`` (None: no answer cell).

    By grade_id first; when an editor dropped the metadata, the markdown cell right after the
    question's prompt (recognised by its content).
    """
    markdown = [
        i for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "markdown"
    ]
    found: dict[str, int | None] = {}
    for question in asked:
        index = next((i for i in markdown if conventions.grade_id(cells[i]) == question.id), None)
        if index is None and question.prompt:  # metadata dropped: the cell after the prompt
            after = [
                i + 1
                for i in markdown
                if normalised(conventions.source_text(cells[i])) == question.prompt
                and i + 1 in markdown
            ]
            index = after[0] if after else None
        found[question.id] = index
    return found


def answers(notebook: dict | None, asked: list[WrittenQuestion]) -> tuple[WrittenAnswer, ...]:
    """The submission's answer to each question: pending, empty, or missing (no answer cell).

    Args:
        notebook: the submitted notebook's JSON (None when it could not be read).
        asked: the assignment's written questions.
    """
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    cells = [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []
    where = answer_cells(cells, asked)
    found = []
    for question in asked:
        index = where[question.id]
        text = conventions.source_text(cells[index]).strip() if index is not None else ""
        status = (
            "missing"
            if index is None
            else "empty"
            if conventions.is_unanswered(text)
            else "pending"
        )
        found.append(
            WrittenAnswer(
                id=question.id,
                max_score=question.points,
                answer=text if status == "pending" else "",
                status=status,
                score=None if status == "pending" else 0.0,
                question=question.title,
            )
        )
    return tuple(found)


def read_answers(
    path: Path | None, asked: list[WrittenQuestion], *, max_bytes: int
) -> tuple[WrittenAnswer, ...]:
    """:func:`answers` of a notebook file; a file that cannot be read has every answer missing."""
    if not asked:
        return ()
    data = None
    try:
        if path is not None and path.is_file() and path.stat().st_size <= max_bytes:
            data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    return answers(data, asked)
