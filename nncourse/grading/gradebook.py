"""Scores into nbgrader's gradebook, where formgrader and `nbgrader export` see them."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.grading.manual import is_written_cell, record_written
from nncourse.grading.results import SubmissionResult
from nncourse.layout import CourseLayout
from nncourse.nbgrader_env import load_nbgrader_config, nbgrader_tools_on_path


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written (the message says which and why)."""


def sqlite_file(db_url: str) -> Path | None:
    """The file of an SQLite gradebook URL (``sqlite:///path?options``); None for other databases."""
    if not db_url.startswith("sqlite:///"):
        return None
    return Path(db_url.removeprefix("sqlite:///").split("?", 1)[0])


@dataclass(frozen=True)
class GradebookTarget:
    """Where scores go: an SQLAlchemy URL and the nbgrader course id."""

    db_url: str
    course_id: str

    @property
    def cohort(self) -> str:
        return self.course_id.removeprefix("nn-pytorch-")

    @classmethod
    def from_config(
        cls, layout: CourseLayout, db_url: str | None = None, *, cohort: str | None = None
    ) -> GradebookTarget:
        """The gradebook of ``cohort`` (default: the released cohort), or ``db_url`` if given."""
        config = load_nbgrader_config(layout, cohort=cohort).CourseDirectory
        url = db_url or (config.db_url if "db_url" in config else layout.default_db_url)
        return cls(
            db_url=url, course_id=config.course_id if "course_id" in config else "nn-pytorch"
        )


def gradebook_files_in(out: Path, db_url: str) -> frozenset[str]:
    """Names of an SQLite gradebook's files when it lives directly in OUT (no student may be called so)."""
    path = sqlite_file(db_url)
    if path is None or path.parent.resolve() != out.resolve():
        return frozenset()
    return frozenset(path.name + suffix for suffix in ("", "-journal", "-wal", "-shm"))


def check_gradebook_url(db_url: str) -> None:
    """Fail at once, before any grading, on an SQLite gradebook whose folder does not exist.

    Raises:
        GradebookError: naming the folder.
    """
    path = sqlite_file(db_url)
    if path is not None and not path.parent.is_dir():
        raise GradebookError(
            f"the gradebook {db_url} cannot be created: its folder {path.parent} does not exist"
        )


@contextlib.contextmanager
def gradebook_errors(db_url: str):
    """Turn what the database raises into a GradebookError that names the gradebook."""
    try:
        yield
    except GradebookError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, sqlite3, alembic, OS errors alike
        reason = (str(exc).strip().splitlines() or [""])[0][:300]
        raise GradebookError(
            f"the gradebook {db_url} could not be written: {type(exc).__name__}: {reason}"
        ) from exc


@contextlib.contextmanager
def open_gradebook(db_url: str, *, course_id: str):
    """nbgrader's Gradebook, with ``alembic`` findable and its SQLAlchemy noise silenced."""
    from nbgrader.api import Gradebook

    with gradebook_errors(db_url), nbgrader_tools_on_path(), quiet_sqlalchemy():
        with Gradebook(db_url, course_id=course_id) as gradebook:
            yield gradebook


@contextlib.contextmanager
def quiet_sqlalchemy():
    """Silence nbgrader 0.9.6's SQLAlchemy 2.1 warning on every new submission (known, harmless)."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


@contextlib.contextmanager
def using_gradebook(db_url: str, *, course_id: str, book=None):
    """``book`` when the caller keeps one open (a batch's writer), else a Gradebook opened for this call."""
    if book is None:
        with open_gradebook(db_url, course_id=course_id) as gradebook:
            yield gradebook
        return
    with gradebook_errors(db_url), quiet_sqlalchemy():
        try:
            yield book
        except BaseException:
            with contextlib.suppress(Exception):  # the original error is the one to report
                book.db.rollback()  # a failed write must not poison the batch's next record
            raise


def ensure_assignment(
    db_url: str,
    *,
    course_id: str,
    assignment: str,
    notebook: str,
    points: dict[str, float],
    duedate: datetime | None = None,
    written: dict[str, float] | None = None,
    book=None,
) -> None:
    """Create the assignment (with this run's due date), its notebook, and per item a grade cell and a solution cell.

    The grade cell ``test_<item>`` holds the item's score; the solution cell ``<item>`` is where
    formgrader keeps a TA's comment. A written answer ``written_<name>`` is both (markdown), as
    nbgrader records a manually graded answer cell. ``book``: an open nbgrader Gradebook of
    ``db_url`` to use.
    """
    with using_gradebook(db_url, course_id=course_id, book=book) as gradebook:
        gradebook.update_or_create_assignment(assignment, duedate=duedate)
        gradebook.update_or_create_notebook(notebook, assignment)
        for item, max_score in points.items():
            gradebook.update_or_create_grade_cell(
                conventions.check_id(item),
                notebook,
                assignment,
                max_score=max_score,
                cell_type="code",
            )
            # the item's answer cell: formgrader keeps a TA's comment on it (a regrade never touches it)
            gradebook.update_or_create_solution_cell(item, notebook, assignment)
        for answer, max_score in (written or {}).items():  # graded by a TA (grading/manual.py)
            gradebook.update_or_create_grade_cell(
                answer, notebook, assignment, max_score=max_score, cell_type="markdown"
            )
            gradebook.update_or_create_solution_cell(answer, notebook, assignment)


def record_result(
    db_url: str,
    *,
    course_id: str,
    notebook: str,
    result: SubmissionResult,
    timestamp: datetime | None = None,
    book=None,
) -> None:
    """Write one submission's item scores as nbgrader auto scores (idempotent: a regrade overwrites).

    A submission that could not be graded is recorded with 0 for every item, so exports never
    confuse "not graded" with "missing". The submission time is the student's (``submitted_at``,
    none when unknown: never the grading time), the extension is the student's due date minus the
    assignment's, and the late penalty is ours: nbgrader's ``total_seconds_late`` and exports agree.
    ``book``: an open nbgrader Gradebook of ``db_url`` to use (opening one costs more than a record).
    """
    scores = result.item_scores()
    submitted_at = timestamp or _moment(result.submitted_at)
    with using_gradebook(db_url, course_id=course_id, book=book) as gradebook:
        gradebook.update_or_create_student(result.student)
        record = gradebook.update_or_create_submission(
            result.assignment, result.student, timestamp=submitted_at
        )
        due, own_due = record.assignment.duedate, _moment(result.due_at)
        if own_due:  # nbgrader keeps naive UTC
            own_due = own_due.astimezone(UTC).replace(tzinfo=None)
        record.extension = own_due - due if due and own_due and own_due > due else None
        submission = gradebook.find_submission_notebook(notebook, result.assignment, result.student)
        submission.late_submission_penalty = result.penalty or None
        record_written(submission, result)  # written answers: left for a TA, never overwritten
        for grade in submission.grades:
            if is_written_cell(grade.name):
                continue
            item = conventions.checked_item(grade.name) or grade.name
            grade.auto_score = float(scores.get(item, 0.0))
            grade.needs_manual_grade = (
                grade.manual_score is not None and grade.manual_score != grade.auto_score
            )
        gradebook.db.commit()
