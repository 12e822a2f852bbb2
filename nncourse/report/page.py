"""Render the report as one self-contained HTML page (inline CSS, local images, no scripts).

The page comes from the autoescaping template ``nncourse/templates/report.html``: student names,
test outputs and errors are untrusted text, escaped there (links are URL-quoted as well); a
Content-Security-Policy forbids scripts besides.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from nncourse.report.changes import Regrade
from nncourse.report.collect import Cohort
from nncourse.report.stats import Failure, Incident, RubricLine, Summary
from nncourse.similarity.record import SimilarityReview
from nncourse.templating import render

MESSAGE_CHARS = 600
STUDENTS_SHOWN = 6
# why a notebook was left out of the similarity review: (one, several)
LEFT_OUT_NAMES = {
    "stub": ("untouched stub", "untouched stubs"),
    "empty": ("empty notebook", "empty notebooks"),
    "unreadable": ("unreadable notebook", "unreadable notebooks"),
    "no notebook": ("folder without a notebook", "folders without a notebook"),
}


@dataclass(frozen=True)
class PageData:
    """Everything the page shows; ``images`` maps a chart id to its path relative to OUT."""

    cohort: Cohort
    summary: Summary
    lines: list[RubricLine]
    failures: list[Failure]
    incidents: list[Incident]
    images: dict[str, str]
    generated: str
    has_grades_csv: bool
    regrade: Regrade | None = None  # the last regrade round: whose scores changed
    similarity: SimilarityReview | None = None  # the last `nncourse similarity` of this assignment
    written: tuple = ()  # the assignment's written questions (grading/written.WrittenQuestion)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{round(value, digits):g}"


def _cards(s: Summary, to_review: int) -> list[tuple[object, str, bool]]:
    """(value, label, shown as bad) of each headline card."""
    return [
        (s.students, "students", False),
        (s.graded, "graded", False),
        (s.errors, "could not be graded", s.errors > 0),
        (f"{_num(s.mean)} / {s.max_score:g}", "mean score", False),
        (_num(s.median), "median", False),
        (f"{_num(s.low)} – {_num(s.high)}", "min – max", False),
        (s.full_marks, "full marks", False),
        (s.incidents, "timeouts, crashes, errors", s.incidents > 0),
        (to_review, "for a TA's look", to_review > 0),
    ]


def _times(data: PageData) -> dict[str, float] | None:
    times = sorted(r.execution_time for r in data.cohort.submissions)
    if not times:
        return None
    return {"median": statistics.median(times), "slowest": times[-1], "total": sum(times)}


def render_page(data: PageData) -> str:
    """The whole report page as a string.

    Args:
        data: The collected cohort, its statistics and the chart paths (relative to OUT).

    Returns:
        A complete HTML document without scripts or external resources.
    """
    rows = data.cohort.submissions
    title = f"Grading report: {data.cohort.assignment or 'no results'}"
    return render(
        "report.html",
        data=data,
        title=title,
        cards=_cards(data.summary, sum(1 for r in rows if r.review)),
        times=_times(data),
        message_chars=MESSAGE_CHARS,
        students_shown=STUDENTS_SHOWN,
        left_out_names=LEFT_OUT_NAMES,
        with_lateness=any(r.seconds_late is not None for r in rows),
        late_count=sum(1 for r in rows if r.seconds_late),
        written=_written(data),
    )


def _written(data: PageData) -> list[dict]:
    """Per written question: its points, the TA rubric, and each student's status and comment."""
    rows = data.cohort.submissions
    asked = {q.id: q for q in data.written}
    ids = list(asked) + [w.id for r in rows for w in r.written if w.id not in asked]
    questions = []
    for answer_id in dict.fromkeys(ids):
        answers = [(r, w) for r in rows for w in r.written if w.id == answer_id]
        scores = [w.score for _, w in answers if w.status == "graded"]
        question = asked.get(answer_id)
        first = answers[0][1] if answers else None
        questions.append(
            {
                "id": answer_id,
                "title": question.title if question else (first.question if first else answer_id),
                "points": question.points if question else (first.max_score if first else 0),
                "rubric": question.rubric if question else (),
                "answers": answers,
                "counts": {
                    s: sum(1 for _, w in answers if w.status == s)
                    for s in ("graded", "pending", "empty", "missing")
                },
                "mean": statistics.mean(scores) if scores else None,
            }
        )
    return questions
