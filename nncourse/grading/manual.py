"""Written answers in nbgrader's gradebook: left for a TA on grading, read back once graded.

Grading records a written answer the way ``nbgrader autograde`` does for a manually graded answer
cell: an answered cell has no auto score and "needs manual grade" (formgrader lists it), an empty
one gets 0 and the auto comment "No response.". The TA's ``manual_score`` and ``manual_comment``
are never written here, so they survive every regrade; :func:`read_manual` reads them back for
grades.csv, the feedback pages and the report (``grading/refresh.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nncourse import notebook_conventions as conventions
from nncourse.grading.results import SubmissionResult

NO_RESPONSE = "No response."  # nbgrader's auto comment on an answer left as released
NO_CELL = "No answer cell found in the notebook."


@dataclass(frozen=True)
class ManualGrade:
    """What a TA entered for one written answer (None: nothing yet)."""

    score: float | None
    comment: str | None


def is_written_cell(name: str) -> bool:
    """Whether a gradebook cell name is a written answer's (``written_<name>``)."""
    return conventions.kind_of(name) == "written"


def record_written(submission, result: SubmissionResult) -> None:
    """Set the written answers' auto scores and comments of one nbgrader SubmittedNotebook.

    Never touches ``manual_score``, ``extra_credit`` or ``manual_comment``.
    """
    _add_missing_rows(submission)
    answers = {w.id: w for w in result.written}
    for grade in submission.grades:
        if not is_written_cell(grade.name):
            continue
        answer = answers.get(grade.name)
        answered = answer is not None and answer.status in ("pending", "graded")
        grade.auto_score = None if answered else 0.0
        # answered and not yet graded: formgrader lists it; a TA's score stands as it is
        grade.needs_manual_grade = answered and grade.manual_score is None
    for comment in submission.comments:
        if not is_written_cell(comment.name):
            continue
        answer = answers.get(comment.name)
        status = answer.status if answer is not None else "missing"
        comment.auto_comment = {"empty": NO_RESPONSE, "missing": NO_CELL}.get(status)


def _add_missing_rows(submission) -> None:
    """Give a submission recorded before its assignment had written answers their grade and
    comment rows (nbgrader creates them only with a new submission)."""
    from nbgrader.api import Comment, Grade
    from sqlalchemy.orm import object_session

    session = object_session(submission)  # SQLAlchemy 2 no longer adds them through the backref
    graded = {g.cell_id for g in submission.grades}
    for cell in submission.notebook.grade_cells:
        if is_written_cell(cell.name) and cell.id not in graded:
            session.add(Grade(cell=cell, notebook=submission))
    commented = {c.cell_id for c in submission.comments}
    for cell in submission.notebook.solution_cells:
        if is_written_cell(cell.name) and cell.id not in commented:
            session.add(Comment(cell=cell, notebook=submission))


def read_manual(
    db_url: str, *, course_id: str, assignment: str, notebook: str
) -> dict[str, dict[str, ManualGrade]]:
    """student -> written answer id -> the TA's score (with extra credit) and comment."""
    from nncourse.grading.gradebook import open_gradebook

    found: dict[str, dict[str, ManualGrade]] = {}
    with open_gradebook(db_url, course_id=course_id) as gradebook:
        try:
            submissions = gradebook.notebook_submissions(notebook, assignment)
        except Exception:  # noqa: BLE001 - nbgrader's MissingEntry: nothing recorded yet
            return found
        for submission in submissions:
            comments = {
                c.name: c.manual_comment for c in submission.comments if is_written_cell(c.name)
            }
            own = found.setdefault(submission.student.id, {})
            for grade in submission.grades:
                if is_written_cell(grade.name):
                    score = grade.manual_score
                    if score is not None and grade.extra_credit:
                        score += grade.extra_credit
                    own[grade.name] = ManualGrade(score, comments.get(grade.name))
    return found


def with_manual(result: SubmissionResult, grades: dict[str, ManualGrade]) -> SubmissionResult:
    """The result with each written answer's TA score and comment (status "graded" once scored)."""
    if not result.written:
        return result
    written = []
    for answer in result.written:
        base = replace(answer, score=0.0 if answer.status in ("empty", "missing") else None)
        if base.status == "graded":
            base = replace(base, status="pending" if answer.answer else "empty")
        manual = grades.get(answer.id)
        if manual is not None and manual.score is not None:
            base = replace(base, status="graded", score=float(manual.score))
        base = replace(base, comment=manual.comment if manual is not None else None)
        written.append(base)
    return replace(result, written=tuple(written))
