"""Scores into nbgrader's gradebook, where formgrader and `nbgrader export` see them."""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.grading.results import SubmissionResult
from nncourse.layout import CourseLayout
from nncourse.nbgrader_env import load_nbgrader_config, nbgrader_tools_on_path


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

    @classmethod
    def from_config(cls, layout: CourseLayout, db_url: str | None = None) -> GradebookTarget:
        config = load_nbgrader_config(layout).CourseDirectory
        url = db_url or (config.db_url if "db_url" in config else layout.default_db_url)
        return cls(db_url=url, course_id=config.course_id if "course_id" in config else "nn-pytorch")


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
        raise GradebookError(f"the gradebook {db_url} cannot be created: its folder {path.parent} does not exist")


@contextlib.contextmanager
def gradebook_errors(db_url: str):
    """Turn what the database raises into a GradebookError that names the gradebook."""
    try:
        yield
    except GradebookError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, sqlite3, alembic, OS errors alike
        reason = (str(exc).strip().splitlines() or [""])[0][:300]
        raise GradebookError(f"the gradebook {db_url} could not be written: {type(exc).__name__}: {reason}") from exc


@contextlib.contextmanager
def open_gradebook(db_url: str, *, course_id: str):
    """nbgrader's Gradebook, with ``alembic`` findable and its SQLAlchemy noise silenced."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with gradebook_errors(db_url), nbgrader_tools_on_path(), warnings.catch_warnings():
        # nbgrader 0.9.6 with SQLAlchemy 2.1 warns on every new submission (a known, harmless quirk)
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(db_url, course_id=course_id) as gradebook:
            yield gradebook


def ensure_assignment(db_url: str, *, course_id: str, assignment: str, notebook: str,
                      points: dict[str, float]) -> None:
    """Create the assignment, its notebook and one grade cell ``test_<item>`` per graded item."""
    with open_gradebook(db_url, course_id=course_id) as gradebook:
        gradebook.update_or_create_assignment(assignment)
        gradebook.update_or_create_notebook(notebook, assignment)
        for item, max_score in points.items():
            gradebook.update_or_create_grade_cell(conventions.check_id(item), notebook, assignment, max_score=max_score,
                                                  cell_type="code")


def record_result(db_url: str, *, course_id: str, notebook: str, result: SubmissionResult,
                  timestamp: datetime | None = None) -> None:
    """Write one submission's item scores as nbgrader auto scores (idempotent: a regrade overwrites).

    A submission that could not be graded is recorded with 0 for every item, so exports never
    confuse "not graded" with "missing".
    """
    scores = result.item_scores()
    with open_gradebook(db_url, course_id=course_id) as gradebook:
        gradebook.update_or_create_student(result.student)
        gradebook.update_or_create_submission(result.assignment, result.student,
                                              timestamp=timestamp or datetime.now(UTC))
        submission = gradebook.find_submission_notebook(notebook, result.assignment, result.student)
        for grade in submission.grades:
            item = conventions.checked_item(grade.name) or grade.name
            grade.auto_score = float(scores.get(item, 0.0))
            grade.needs_manual_grade = grade.manual_score is not None and grade.manual_score != grade.auto_score
        gradebook.db.commit()
