"""Where one graded submission goes: results.json, the feedback pages, the gradebook, the journal.

The journal (``OUT/journal.jsonl``, append-only, fsync per record) is the source of truth for
resuming: a student counts as graded once their record is in it, so it is written last.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nncourse.grading.delivery import FeedbackTarget, deliver
from nncourse.grading.regrade import RegradeRound
from nncourse.grading.results import SubmissionResult

if TYPE_CHECKING:
    from nncourse.grading.batch import Submission

JOURNAL = "journal.jsonl"


def read_journal(out: Path) -> dict[str, dict]:
    """Latest record per student; a torn last line (grader killed mid-write) is ignored."""
    records: dict[str, dict] = {}
    path = out / JOURNAL
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
            records[record["student"]] = record
        except (ValueError, KeyError, TypeError):
            continue
    return records


def append_journal(out: Path, record: dict) -> None:
    """Append one record and fsync it."""
    path = out / JOURNAL
    # A torn line from a killed run must not swallow this record: start on a fresh line.
    needs_newline = path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(("\n" if needs_newline else "") + json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@dataclass
class Recorder:
    """Records the results of one batch (driver process only).

    Args:
        out: the batch's output folder.
        assignment: the assignment id.
        submitted: the ``SUBMITTED`` folder (for nbgrader's exchange files next to each notebook).
        notebook_name: the assignment's notebook name (the page's name when none was graded).
        fingerprint: the grading fingerprint the results were graded under.
        feedback: nbgrader's feedback folder and the visibility mode.
        on_result: called with each student's result (the gradebook).
        regrades: the regrade round, when this batch grades already graded students again.
        graded_before: the students in the journal when the batch started.
    """

    out: Path
    assignment: str
    submitted: Path
    notebook_name: str
    fingerprint: str
    feedback: FeedbackTarget
    on_result: Callable[[SubmissionResult], None] | None = None
    regrades: RegradeRound | None = None
    graded_before: frozenset[str] = frozenset()
    late: Callable[[SubmissionResult], SubmissionResult] | None = None  # the late policy
    unreleasable: list[str] = field(default_factory=list)  # pages nbgrader cannot release

    def record(self, result: SubmissionResult, submission: Submission, reason: str) -> None:
        """Write a new result everywhere; the old one is kept first when this is a regrade."""
        result = replace(result, fingerprint=self.fingerprint or None)
        if self.late is not None:  # arithmetic on the score: never a rerun of student code
            result = self.late(result)
        # else not a student: only the journal (hence grades.csv) and the progress say why
        if submission.recordable:
            if self.regrades is not None and submission.student in self.graded_before:
                self.regrades.keep_previous(submission.student, reason)
            result.write(self.out / result.student / self.assignment / "results.json")
            self.page(result, submission)
            if self.on_result:
                self.on_result(result)
        append_journal(
            self.out,
            {
                "student": result.student,
                "sha256": result.sha256,
                "fingerprint": self.fingerprint,
                "score": result.score,
                "result": result.to_json(),
            },
        )

    def page(self, result: SubmissionResult, submission: Submission) -> None:
        """Write the student's feedback page (OUT and nbgrader's feedback folder)."""
        name = submission.notebook.name if submission.notebook else self.notebook_name
        if not deliver(
            result,
            out=self.out,
            target=self.feedback,
            submission=self.submitted / submission.student / self.assignment,
            notebook_id=name.removesuffix(".ipynb"),
        ):
            self.unreleasable.append(result.student)

    def refresh_pages(
        self, submissions: Iterable[Submission], records: dict[str, dict], graded_now: set[str]
    ) -> None:
        """Rewrite the pages of students graded in earlier runs (the deadline may have passed)."""
        for submission in submissions:
            if (
                submission.recordable
                and submission.student not in graded_now
                and submission.student in records
            ):
                self.page(
                    SubmissionResult.from_json(records[submission.student]["result"]), submission
                )
