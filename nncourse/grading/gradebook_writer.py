"""The batch's one gradebook writer: one nbgrader Gradebook, opened once, for every record.

Opening a Gradebook costs more than writing a record (``make bench`` prints both per record; on
PostgreSQL each opening is also a new connection), and parallel writers collide (nbgrader checks
for a row, then inserts it). So the driver alone writes, on one thread of its own: importing
nbgrader and a new gradebook's migrations overlap the sandboxes' start, and nbgrader's thread-local
session is always the same one.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from nncourse.grading.gradebook import (
    GradebookTarget,
    ensure_assignment,
    gradebook_errors,
    quiet_sqlalchemy,
    record_result,
)
from nncourse.grading.results import SubmissionResult
from nncourse.nbgrader_env import nbgrader_tools_on_path


class GradebookWriter:
    """Opens the gradebook and sets up the assignment in the background; then records results.

    Use as a context manager: leaving it waits for the setup and closes the gradebook.

    Args:
        target: the gradebook's URL and course id.
        assignment: the assignment id.
        notebook: the notebook id (its file name without ``.ipynb``).
        points: each rubric item's points.
        duedate: the assignment's due date (None: none).
        written: each written answer's points (graded by a TA; None: none).
    """

    def __init__(
        self,
        target: GradebookTarget,
        *,
        assignment: str,
        notebook: str,
        points: dict[str, float],
        duedate: datetime | None = None,
        written: dict[str, float] | None = None,
    ) -> None:
        self.target = target
        self.notebook = notebook
        self._book = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradebook")
        self.ready: Future = self._thread.submit(self._open, assignment, points, duedate, written)

    def _open(
        self,
        assignment: str,
        points: dict[str, float],
        duedate: datetime | None,
        written: dict[str, float] | None,
    ) -> None:
        url = self.target.db_url
        with gradebook_errors(url), nbgrader_tools_on_path(), quiet_sqlalchemy():
            from nbgrader.api import Gradebook

            self._book = Gradebook(url, course_id=self.target.course_id)
        ensure_assignment(
            url,
            course_id=self.target.course_id,
            assignment=assignment,
            notebook=self.notebook,
            points=points,
            duedate=duedate,
            written=written,
            book=self._book,
        )

    def record(self, result: SubmissionResult) -> None:
        """Write one result (blocks until written).

        Raises:
            GradebookError: the gradebook could not be created or written.
        """
        self.ready.result()  # what went wrong creating the gradebook: the batch stops there
        self._thread.submit(
            record_result,
            self.target.db_url,
            course_id=self.target.course_id,
            notebook=self.notebook,
            result=result,
            book=self._book,
        ).result()

    def close(self) -> None:
        """Close the gradebook (on its own thread: nbgrader's session is thread-local)."""
        if self._book is not None:
            self._thread.submit(self._book.close).result()
            self._book = None
        self._thread.shutdown(wait=True)

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        try:
            error = self.ready.exception()  # waits for the setup to end
        finally:
            self.close()
        if exc_type is None and error is not None:
            raise error
