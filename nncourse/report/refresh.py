"""`nncourse report OUT`: the TAs' written-answer grades from the gradebook, then the report.

Nothing is graded again: results.json, the feedback pages and grades.csv get the gradebook's
manual scores and comments (``grading/refresh.py``), and report.html is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nncourse.grading.refresh import last_gradebook, refresh_written
from nncourse.grading.written import load_questions
from nncourse.layout import CourseLayout
from nncourse.report.build import build_report
from nncourse.report.collect import collect


def refresh_report(
    out: Path,
    *,
    layout: CourseLayout | None,
    assignment: str | None = None,
    db_url: str | None = None,
    cohort: str | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Refresh OUT's written-answer grades from the gradebook (when it has any) and rebuild the report.

    The gradebook is ``db_url``, else the one the last ``nncourse grade`` into OUT wrote, else the
    cohort's (``cohort``, default the released one).

    Raises:
        ValueError: OUT holds several assignments and none was chosen.
        GradebookError: the gradebook cannot be read.
    """
    from nncourse.grading.gradebook import GradebookTarget

    chosen = assignment or collect(out).assignment
    questions = []
    if layout is not None and chosen in layout.assignments():
        questions = load_questions(layout.source_notebook(chosen))
    if chosen and any(r.written for r in collect(out, assignment=chosen).submissions):
        last = last_gradebook(out)
        if db_url or cohort or last is None:
            if layout is None:
                raise ValueError("no course here to find the gradebook in: pass --db URL")
            target = GradebookTarget.from_config(layout, db_url, cohort=cohort)
            last = (target.db_url, target.course_id)
        summary = refresh_written(
            out,
            assignment=chosen,
            db_url=last[0],
            course_id=last[1],
            notebook_id=CourseLayout.notebook_name(chosen).removesuffix(".ipynb"),
        )
        progress(
            f"written answers from the gradebook {last[0]}: {summary.graded} graded, "
            f"{summary.pending} pending; {summary.changed} student(s) updated"
        )
    return build_report(out, assignment=assignment, written=questions)
