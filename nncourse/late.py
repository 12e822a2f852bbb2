"""Late penalties, computed in the grader from the graded (raw) score, never by running code again.

The policy is an nbgrader ``LateSubmissionPlugin`` (``late_submission_penalty(student_id, score,
total_seconds_late)``), so a course can plug in its own (``[late] plugin = "module:Class"`` in
deadlines.toml); the default, :class:`PerDayPenalty`, takes ``penalty_per_day`` of the maximum score
per started day and everything after ``max_days``. As in nbgrader, the penalty is kept between 0 and
the score. Applying a policy to a result that already carries one starts again from its raw score,
so changing a due date and regrading only moves penalties.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from nncourse.deadlines import DeadlineError, LatePolicy, iso
from nncourse.grading.results import SubmissionResult

DAY = 86400.0
NOTE_PREFIX = "Late: "
TIMESTAMP_FILE = "timestamp.txt"


def policy_plugin(policy: LatePolicy, *, max_score: float):
    """The LateSubmissionPlugin for ``policy`` (its own plugin class when the file names one)."""
    from nbgrader.plugins import LateSubmissionPlugin

    from nncourse.late_policy import PerDayPenalty  # imports nbgrader: only where a policy is used

    if policy.plugin:
        module, _, name = policy.plugin.partition(":")
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError as exc:
            raise DeadlineError(
                f"[late] plugin {policy.plugin} cannot be imported: {exc}"
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, LateSubmissionPlugin)):
            raise DeadlineError(
                f"[late] plugin {policy.plugin} is not a LateSubmissionPlugin subclass"
            )
        return cls()
    return PerDayPenalty(
        penalty_per_day=policy.penalty_per_day, max_days=policy.max_days, max_score=max_score
    )


def per_day_penalty(
    seconds_late: float,
    *,
    score: float,
    max_score: float,
    penalty_per_day: float,
    max_days: float | None,
) -> float | None:
    """The default policy's arithmetic (None: not late)."""
    if seconds_late <= 0:
        return None
    if max_days is not None and seconds_late > max_days * DAY:
        return score
    return penalty_per_day * math.ceil(seconds_late / DAY) * max_score


def read_timestamp(folder: Path) -> tuple[datetime | None, str | None]:
    """The submission time in ``folder/timestamp.txt`` (nbgrader's parser), and a problem if any."""
    path = folder / TIMESTAMP_FILE
    if path.is_symlink() or not path.is_file():
        return None, None
    from nbgrader.utils import parse_utc

    try:
        text = path.read_text(encoding="utf-8", errors="strict")[:200].strip()
        moment = parse_utc(text)
    except (ValueError, OverflowError, UnicodeDecodeError) as exc:
        return None, f"{TIMESTAMP_FILE} is not a time nbgrader can read ({type(exc).__name__})"
    return moment.replace(tzinfo=UTC), None  # parse_utc returns naive UTC


def apply_late(
    result: SubmissionResult,
    *,
    submitted_at: datetime | None,
    due_at: datetime | None,
    plugin=None,
    extension_note: str = "",
) -> SubmissionResult:
    """``result`` with lateness fields, penalty and final score (idempotent, from its raw score).

    Args:
        result: a graded result (or one that already went through here).
        submitted_at: the submission time (None: unknown, then nothing is late).
        due_at: this student's due date, extension included (None: nothing is late, and only
            ``submitted_at`` of the lateness fields is set).
        plugin: a LateSubmissionPlugin; None means no penalty.
        extension_note: shown in the student's note, e.g. " (with your 48 h extension)".
    """
    raw = result.raw_score if result.raw_score is not None else result.score
    notes = tuple(n for n in result.notes if not n.startswith(NOTE_PREFIX))
    if due_at is None:  # no deadline: nothing is late, and the lateness fields stay empty
        return replace(
            result,
            score=raw,
            raw_score=None,
            penalty=None,
            seconds_late=None,
            submitted_at=iso(submitted_at),
            due_at=None,
            notes=notes,
        )
    seconds = None  # unknown without a submission time: then nothing is taken off
    if submitted_at is not None:
        seconds = max(0.0, (submitted_at - due_at).total_seconds())
    penalty = 0.0
    if seconds and plugin is not None:
        value = plugin.late_submission_penalty(result.student, raw, seconds)
        penalty = 0.0 if value is None else min(max(float(value), 0.0), raw)  # nbgrader's bounds
    penalty = round(penalty, 6)
    if seconds:
        notes += (_note(submitted_at, due_at, seconds, penalty, raw, extension_note),)
    return replace(
        result,
        score=round(raw - penalty, 6),
        raw_score=raw,
        penalty=penalty,
        seconds_late=seconds,
        submitted_at=iso(submitted_at),
        due_at=iso(due_at),
        notes=notes,
    )


def _note(
    submitted_at: datetime,
    due_at: datetime,
    seconds: float,
    penalty: float,
    raw: float,
    extension_note: str,
) -> str:
    days = math.ceil(seconds / DAY)
    return (
        f"{NOTE_PREFIX}submitted {_show(submitted_at)}, {_span(seconds)} after the due date "
        f"{_show(due_at)}{extension_note} ({days} started day{'s' * (days != 1)}): "
        + (
            f"{penalty:g} points taken off, {raw:g} -> {raw - penalty:g}"
            if penalty
            else "no points taken off"
        )
    )


def _show(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    seconds = int(math.ceil(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = (
        [f"{days} d"] * bool(days)
        + [f"{hours} h"] * bool(hours)
        + [f"{minutes} min"] * bool(minutes)
    )
    return " ".join(parts[:2]) if parts else f"{secs} s"


class BatchLateness:
    """The late policy of one ``nncourse grade`` run, applied to each result (trusted process).

    The submission time is ``SUBMITTED/<student>/<assignment>/timestamp.txt``; the due date is the
    file's (or ``override``, from ``grade --due``) plus the student's extension.
    """

    def __init__(
        self,
        *,
        submitted: Path,
        assignment: str,
        deadlines,
        max_score: float,
        override: datetime | None = None,
    ) -> None:
        self.submitted, self.assignment, self.deadlines = submitted, assignment, deadlines
        self.override = override
        self.due = deadlines.due_date(assignment, override=override)
        self.max_score = max_score
        self._plugin = None  # made on first use: importing nbgrader here would delay the sandboxes
        if deadlines.late.plugin and self.due:  # a course's own policy: fail now, not mid-batch
            self._plugin = policy_plugin(deadlines.late, max_score=max_score)
        self.untimed: set[str] = set()  # students with a due date but no readable submission time

    def __call__(self, result: SubmissionResult) -> SubmissionResult:
        folder = self.submitted / result.student / self.assignment
        unsafe = result.student.startswith(".") or "/" in result.student  # not a student (batch.py)
        linked = unsafe or folder.parent.is_symlink() or folder.is_symlink()  # never followed
        submitted_at, problem = (None, None) if linked else read_timestamp(folder)
        due_at = self.deadlines.due_for(self.assignment, result.student, override=self.override)
        extension = self.deadlines.extension(self.assignment, result.student)
        if due_at is not None and submitted_at is None and result.status == "graded":
            flagged = not linked and _lms_flagged_late(folder)
            why = [problem] * bool(problem) + ["the LMS flagged it late"] * flagged
            self.untimed.add(result.student + (f" ({'; '.join(why)})" if why else ""))
        note = f" (with your extension of {_span(extension.total_seconds())})" if extension else ""
        if self._plugin is None and due_at is not None:
            self._plugin = policy_plugin(self.deadlines.late, max_score=self.max_score)
        return apply_late(
            result,
            submitted_at=submitted_at,
            due_at=due_at,
            plugin=self._plugin,
            extension_note=note,
        )


def _lms_flagged_late(folder: Path) -> bool:
    """Whether `nncourse collect` noted the LMS's own late flag (Canvas's ``_LATE``)."""
    import json

    try:
        marker = json.loads((folder / ".nncourse-collect.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("lms_late") is True


def batch_lateness(
    *,
    root: Path,
    assignments: list[str],
    submitted: Path,
    assignment: str,
    out: Path,
    course_id: str,
    max_score: float,
    override: datetime | None = None,
) -> BatchLateness:
    """Load the deadlines of ``course_id``'s cohort and check them against the students.

    Raises:
        DeadlineError: the file is wrong, or an extension names a student who has no folder in
            SUBMITTED and was not graded before in OUT.
    """
    from nncourse.deadlines import load_deadlines
    from nncourse.grading.batch import read_journal

    cohort = course_id.removeprefix("nn-pytorch-") if course_id.startswith("nn-pytorch-") else None
    deadlines = load_deadlines(root, assignments=assignments, cohort=cohort)
    known = {entry.name for entry in submitted.iterdir() if entry.is_dir()} | set(read_journal(out))
    deadlines.check_students(assignment, known)
    return BatchLateness(
        submitted=submitted,
        assignment=assignment,
        deadlines=deadlines,
        max_score=max_score,
        override=override,
    )
