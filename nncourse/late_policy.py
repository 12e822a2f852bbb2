"""The default late policy, an nbgrader ``LateSubmissionPlugin`` (a course may plug in its own)."""

from __future__ import annotations

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

from nncourse.late import per_day_penalty


class PerDayPenalty(LateSubmissionPlugin):
    """``penalty_per_day`` x ``max_score`` per started day late; all of the score after max_days."""

    penalty_per_day = Float(0.0).tag(config=True)
    max_days = Float(None, allow_none=True).tag(config=True)
    max_score = Float(0.0)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        """Points taken off (None: not late), as nbgrader's AssignLatePenalties asks."""
        return per_day_penalty(
            total_seconds_late,
            score=score,
            max_score=self.max_score,
            penalty_per_day=self.penalty_per_day,
            max_days=self.max_days,
        )
