"""Per-student feedback page: each rubric line with points and message, the notebook's errors."""

from __future__ import annotations

from dataclasses import dataclass

from nncourse.grading.results import SubmissionResult
from nncourse.templating import render


@dataclass(frozen=True)
class Lateness:
    """The optional lateness fields of a result (absent on results without a deadline)."""

    submitted_at: str | None
    due_at: str | None
    seconds_late: float | None
    raw_score: float | None
    penalty: float | None


def lateness(result: object) -> Lateness | None:
    """The result's lateness fields, or ``None`` when it carries none of them."""
    names = Lateness.__dataclass_fields__
    values = {name: getattr(result, name, None) for name in names}
    return Lateness(**values) if any(v is not None for v in values.values()) else None


def render_feedback(result: SubmissionResult) -> str:
    """The HTML page for one submission. Everything from the submission is escaped."""
    title = f"Feedback: {result.student}, {result.assignment}"
    return render("feedback.html", title=title, result=result, late=lateness(result))
