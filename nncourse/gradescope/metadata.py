"""Gradescope's ``submission_metadata.json``: who submitted, when, and by when (extensions too)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from nncourse.deadlines import DeadlineError, load_deadlines, parse_due
from nncourse.grading.results import SubmissionResult
from nncourse.late import apply_late, policy_plugin
from nncourse.layout import CourseLayout

FILE = "submission_metadata.json"


def gradescope_lateness(
    metadata_file: Path, *, layout: CourseLayout, assignment: str, max_score: float
) -> tuple[str, Callable[[SubmissionResult], SubmissionResult], list[str]]:
    """The student id (``users[0].email``), the late policy to apply, and notes on what was missing.

    The submission time is ``created_at``; the due date is the user's own (an extension granted in
    Gradescope) or the assignment's ``due_date``, else deadlines.toml's; the policy is
    deadlines.toml's ``[late]`` (bundled into the autograder zip), or none.
    """
    notes: list[str] = []
    try:
        data = json.loads(metadata_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
        if metadata_file.exists():  # Gradescope always writes it; a local run has none
            notes.append(f"{FILE} cannot be read: not checked for lateness")
    data = data if isinstance(data, dict) else {}
    users = data.get("users") if isinstance(data.get("users"), list) else []
    user = users[0] if users and isinstance(users[0], dict) else {}
    student = str(user.get("email") or "submission")
    deadlines = load_deadlines(layout.root, assignments=layout.assignments())
    submitted_at = _time(data.get("created_at"), notes, "created_at")
    own = user.get("assignment") if isinstance(user.get("assignment"), dict) else {}
    course = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    due_at = (
        _time(own.get("due_date"), notes, "users[0].assignment.due_date")
        or _time(course.get("due_date"), notes, "assignment.due_date")
        or deadlines.due_for(assignment, student)
    )
    plugin = policy_plugin(deadlines.late, max_score=max_score) if due_at else None

    def late(result: SubmissionResult) -> SubmissionResult:
        return apply_late(result, submitted_at=submitted_at, due_at=due_at, plugin=plugin)

    return student, late, notes


def _time(value: object, notes: list[str], where: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_due(str(value), where=where)
    except DeadlineError as exc:
        notes.append(f"{exc}: ignored")
        return None
