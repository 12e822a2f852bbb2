"""Read one assignment's final scores (after late penalties) from nbgrader's gradebook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Score:
    """One student's row; ``score`` is None when the student has no submission."""

    student: str
    score: float | None
    max_score: float
    raw_score: float | None = None
    penalty: float | None = None
    submitted_at: str | None = None
    due_at: str | None = None
    seconds_late: float | None = None


def read_scores(db_url: str, *, course_id: str, assignment: str) -> list[Score] | None:
    """Every student in the gradebook, with the assignment's final score or None (None: no such
    assignment in the gradebook).

    The final score is nbgrader's: the submission's score (manual overrides included) minus its late
    penalty, never below 0, as ``nbgrader export`` computes it.

    Raises:
        GradebookError: the gradebook cannot be read.
    """
    from nbgrader.api import MissingEntry

    from nncourse.grading.gradebook import open_gradebook

    rows: list[Score] = []
    with open_gradebook(db_url, course_id=course_id) as gradebook:
        try:
            record = gradebook.find_assignment(assignment)
        except MissingEntry:
            record = None
        if record is None:
            return None
        max_score = float(record.max_score)
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                rows.append(Score(student=student.id, score=None, max_score=max_score))
                continue
            raw, penalty = float(submission.score), float(submission.late_submission_penalty or 0.0)
            rows.append(
                Score(
                    student=student.id,
                    score=max(0.0, raw - penalty),
                    max_score=max_score,
                    raw_score=raw,
                    penalty=penalty,
                    submitted_at=_iso(submission.timestamp),
                    due_at=_iso(submission.duedate),
                    seconds_late=float(submission.total_seconds_late),
                )
            )
    return sorted(rows, key=lambda row: row.student)


def assignment_scores(db_url: str, *, course_id: str, assignment: str) -> list[Score]:
    """:func:`read_scores`, failing when the assignment was never graded into this gradebook."""
    rows = read_scores(db_url, course_id=course_id, assignment=assignment)
    if rows is None:
        raise ValueError(f"{assignment} is not in the gradebook {db_url}: grade it first")
    return rows


def _iso(moment: datetime | None) -> str | None:
    # nbgrader: naive UTC
    return moment.replace(tzinfo=UTC).isoformat() if moment is not None else None
