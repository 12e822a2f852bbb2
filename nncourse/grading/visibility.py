"""When a student may see a rubric line: its visibility stage, set by the hidden test's author.

``@pytest.mark.visibility("after_due_date")`` on a hidden test (default ``visible``) is written to
results.json, where Gradescope applies it, and decides what the local feedback pages show. Scores
are never hidden from the gradebook or grades.csv: only the student's page is filtered.
"""

from __future__ import annotations

from dataclasses import replace

from nncourse.grading.results import SubmissionResult

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's stages


def shown_on_page(visibility: str, *, before_deadline: bool) -> bool:
    """Whether a line with ``visibility`` is shown on a student's feedback page now.

    Before the deadline only ``visible`` lines are; afterwards every line but ``hidden`` ones.
    """
    if visibility == "hidden":
        return False
    return visibility == "visible" or not before_deadline


def page_result(result: SubmissionResult, *, before_deadline: bool) -> SubmissionResult:
    """The result as a student's feedback page shows it: only the lines shown now, and a note."""
    shown = tuple(
        t for t in result.tests if shown_on_page(t.visibility, before_deadline=before_deadline)
    )
    if len(shown) == len(result.tests):
        return result
    held = [t for t in result.tests if t not in shown]
    when = "after the due date" if before_deadline else "only to the course staff"
    note = (
        f"This page shows {len(shown)} of {len(result.tests)} rubric lines "
        f"({sum(t.max_score for t in shown):g} of {result.max_score:g} points); the other "
        f"{len(held)} line(s) and your full score are shown {when}."
    )
    return replace(
        result,
        tests=shown,
        score=round(sum(t.score for t in shown), 6),
        max_score=round(sum(t.max_score for t in shown), 6),
        notes=(*result.notes, note),
    )
