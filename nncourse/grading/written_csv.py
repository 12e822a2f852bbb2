"""grades.csv's columns for written answers (present only when the assignment has some).

``written_score`` counts the answers a TA graded, ``written_pending`` those still waiting;
``total`` is the autograded score plus ``written_score`` (out of ``total_max``). Per answer, its
cell holds the TA's score, or ``pending``, ``empty`` or ``missing``, and ``<id>_comment`` the TA's
comment.
"""

from __future__ import annotations

from nncourse.grading.results import SubmissionResult

SUMMARY = ("written_score", "written_max", "written_pending", "total", "total_max")


def written_ids(results: list[SubmissionResult]) -> dict[str, float]:
    """The written answers' ids and points, in the order the results list them."""
    ids: dict[str, float] = {}
    for result in results:
        ids.update((w.id, w.max_score) for w in result.written)
    return ids


def written_header(ids: dict[str, float]) -> list[str]:
    """The header cells (none without written answers)."""
    if not ids:
        return []
    return [*SUMMARY, *[name for i in ids for name in (i, f"{i}_comment")]]


def written_cells(result: SubmissionResult, ids: dict[str, float]) -> list[str]:
    """One row's cells, in :func:`written_header`'s order (an ungraded notebook: ``missing``)."""
    if not ids:
        return []
    answers = {w.id: w for w in result.written}
    cells = [
        f"{result.written_score:g}",
        f"{sum(ids.values()):g}",
        f"{result.written_pending}",
        f"{result.score + result.written_score:g}",
        f"{result.max_score + sum(ids.values()):g}",
    ]
    for answer_id in ids:
        answer = answers.get(answer_id)
        if answer is None:
            cells += ["missing", ""]
        elif answer.status == "graded":
            cells += [f"{answer.score:g}", answer.comment or ""]
        else:
            cells += [answer.status, answer.comment or ""]
    return cells
