"""Read a grading output folder (``OUT/<student>/<assignment>/results.json``) into plain records.

Everything read here came from a grading run whose texts quote student code and output: it is kept
as plain strings and escaped only where it is rendered. A results.json that cannot be read is
reported, never fatal.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from nncourse.grading.results import WrittenAnswer, visible
from nncourse.grading.review import to_look_at


@dataclass(frozen=True)
class TestRow:
    """One rubric line of one submission."""

    name: str
    number: str
    score: float
    max_score: float
    passed: bool
    output: str


@dataclass(frozen=True)
class SubmissionRow:
    """One graded (or ungradable) submission, as the report needs it."""

    student: str
    assignment: str
    score: float
    max_score: float
    execution_time: float
    status: str  # "graded" | "error"
    error: str
    tests: tuple[TestRow, ...]
    cell_errors: tuple[str, ...]
    feedback: str  # path of feedback.html relative to OUT, with "/" separators
    # lateness, when the run knew a deadline (None otherwise); ``score`` is after the penalty
    submitted_at: str | None = None
    due_at: str | None = None
    seconds_late: float | None = None
    raw_score: float | None = None
    penalty: float | None = None
    written: tuple[WrittenAnswer, ...] = ()  # answers a TA grades (status, score, comment)
    review: tuple[str, ...] = ()  # why a TA should look (grading/review.py's to_look_at)

    @property
    def written_score(self) -> float:
        return sum(w.score or 0.0 for w in self.written)

    @property
    def written_pending(self) -> int:
        return sum(1 for w in self.written if w.status == "pending")


@dataclass(frozen=True)
class Cohort:
    """All submissions of one assignment found in OUT, plus files that could not be read."""

    assignment: str
    submissions: tuple[SubmissionRow, ...]
    unreadable: tuple[str, ...] = ()
    other_assignments: tuple[str, ...] = field(default=())


def number_key(number: str) -> tuple:
    """Sort key for rubric numbers such as ``"1.2"`` < ``"1.10"`` < ``"2.1"``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(number).split("."))


def _text(value: object) -> str:
    # results.json of older runs may hold raw ESC
    return "" if value is None else visible(str(value))


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def _optional(value: object) -> float | None:
    return None if value is None else _number(value)


def _written(data: dict) -> tuple[WrittenAnswer, ...]:
    answers = []
    for w in data.get("written") or ():
        if isinstance(w, dict):
            score = w.get("score")
            answers.append(
                WrittenAnswer(
                    id=_text(w.get("id")),
                    max_score=_number(w.get("max_score")),
                    answer=_text(w.get("answer")),
                    status=_text(w.get("status")),
                    score=None if score is None else _number(score),
                    comment=None if w.get("comment") is None else _text(w.get("comment")),
                    question=_text(w.get("question")),
                )
            )
    return tuple(answers)


def _row(data: dict, feedback: str) -> SubmissionRow:
    tests = tuple(
        TestRow(
            name=_text(t.get("name")),
            number=_text(t.get("number")),
            score=_number(t.get("score")),
            max_score=_number(t.get("max_score")),
            passed=t.get("status") == "passed",
            output=_text(t.get("output")),
        )
        for t in data.get("tests") or ()
        if isinstance(t, dict)
    )
    return SubmissionRow(
        student=_text(data["student"]),
        assignment=_text(data["assignment"]),
        score=_number(data.get("score")),
        max_score=_number(data.get("max_score")),
        execution_time=_number(data.get("execution_time")),
        status="error" if data.get("status") == "error" else "graded",
        error=_text(data.get("error")),
        tests=tests,
        cell_errors=tuple(_text(c) for c in data.get("cell_errors") or ()),
        feedback=feedback,
        submitted_at=_text(data["submitted_at"]) if data.get("submitted_at") else None,
        due_at=_text(data["due_at"]) if data.get("due_at") else None,
        seconds_late=_optional(data.get("seconds_late")),
        raw_score=_optional(data.get("raw_score")),
        penalty=_optional(data.get("penalty")),
        written=_written(data),
        review=tuple(to_look_at(_text(n) for n in data.get("notes") or () if isinstance(n, str))),
    )


def collect(out: Path, *, assignment: str | None = None) -> Cohort:
    """Read every ``OUT/<student>/<assignment>/results.json``.

    Args:
        out: The grading output folder.
        assignment: The assignment to report on. When omitted, OUT must hold exactly one assignment
            (or none at all).

    Returns:
        The submissions of that assignment, sorted by student.

    Raises:
        ValueError: ``assignment`` was omitted and OUT holds results of several assignments.
    """
    found: dict[str, list[SubmissionRow]] = {}
    unreadable: list[str] = []
    for path in sorted(out.glob("*/*/results.json")):
        relative = path.relative_to(out).as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            row = _row(data, relative.removesuffix("results.json") + "feedback.html")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            unreadable.append(f"{relative}: {type(exc).__name__}: {exc}"[:300])
            continue
        found.setdefault(row.assignment, []).append(row)
    if assignment is None:
        if len(found) > 1:
            raise ValueError(
                f"{out} holds results of several assignments ({', '.join(sorted(found))}); "
                "choose one with assignment=..."
            )
        assignment = next(iter(found), "")
    rows = sorted(found.get(assignment, ()), key=lambda r: r.student)
    others = tuple(sorted(a for a in found if a != assignment))
    return Cohort(
        assignment=assignment,
        submissions=tuple(rows),
        unreadable=tuple(unreadable),
        other_assignments=others,
    )
