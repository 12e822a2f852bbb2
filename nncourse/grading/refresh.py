"""Written answers' TA scores and comments from the gradebook into OUT, without grading again.

The journal keeps each result as graded (written answers "pending", "empty" or "missing"); the
TA's scores live in nbgrader's gradebook. Every ``nncourse grade`` ends here, and ``nncourse report
OUT`` comes here alone: results.json, both feedback pages and grades.csv are rewritten with what
the gradebook holds now. The pages keep the visibility of the last grading run (``OUT/.pages.json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nncourse.grading.delivery import FeedbackTarget, deliver
from nncourse.grading.formgrade_copy import write_formgrade_copies
from nncourse.grading.grades_csv import write_csv
from nncourse.grading.manual import read_manual, with_manual
from nncourse.grading.recorder import read_journal
from nncourse.grading.results import SubmissionResult
from nncourse.grading.written import WrittenQuestion, load_questions
from nncourse.layout import CourseLayout

if TYPE_CHECKING:
    from nncourse.grading.gradebook import GradebookTarget

PAGES = ".pages.json"  # "." : never a student's name


@dataclass(frozen=True)
class RefreshSummary:
    """How many students' outputs changed, and how many written answers await a TA."""

    students: int
    changed: int
    pending: int
    graded: int


def save_pages(
    out: Path, target: FeedbackTarget, *, submitted: Path, db_url: str, course_id: str
) -> None:
    """Remember where the last grading run put the pages, what they showed, and its gradebook."""
    data = {
        "folder": str(target.folder) if target.folder else None,
        "before_deadline": target.before_deadline,
        "submitted": str(submitted.resolve()),
        "db_url": db_url,
        "course_id": course_id,
    }
    (out / PAGES).write_text(json.dumps(data), encoding="utf-8")


def last_gradebook(out: Path) -> tuple[str, str] | None:
    """The gradebook URL and course id the last grading run into OUT wrote (None: unknown)."""
    data = _read(out)
    if isinstance(data.get("db_url"), str) and isinstance(data.get("course_id"), str):
        return data["db_url"], data["course_id"]
    return None


def _read(out: Path) -> dict:
    try:
        data = json.loads((out / PAGES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pages(out: Path) -> tuple[FeedbackTarget, Path | None]:
    data = _read(out)
    if not data:  # unknown: OUT's pages only, and hide what may still be hidden
        return FeedbackTarget(None, before_deadline=True), None
    folder = Path(data["folder"]) if isinstance(data.get("folder"), str) else None
    submitted = Path(data["submitted"]) if isinstance(data.get("submitted"), str) else None
    return FeedbackTarget(folder, data.get("before_deadline") is not False), submitted


def _notebook_id(target: FeedbackTarget, result: SubmissionResult, default: str) -> str:
    """The name the student's page has in nbgrader's feedback folder (their notebook's)."""
    if target.folder is None:
        return default
    pages = sorted((target.folder / result.student / result.assignment).glob("*.html"))
    return pages[0].stem if len(pages) == 1 else default


def refresh_written(
    out: Path, *, assignment: str, db_url: str, course_id: str, notebook_id: str
) -> RefreshSummary:
    """Rewrite OUT's results.json, feedback pages and grades.csv with the gradebook's TA grades.

    Args:
        out: the grading output folder.
        assignment: the assignment id.
        db_url: the gradebook the grading run wrote.
        course_id: its nbgrader course id.
        notebook_id: the assignment's notebook name without ``.ipynb``.

    Raises:
        GradebookError: the gradebook cannot be read.
    """
    records = read_journal(out)
    graded = [SubmissionResult.from_json(r["result"]) for r in records.values()]
    graded = [r for r in graded if r.assignment == assignment]
    if not any(r.written for r in graded):  # no written answers: OUT stays as the batch wrote it
        return RefreshSummary(students=len(graded), changed=0, pending=0, graded=0)
    manual = read_manual(db_url, course_id=course_id, assignment=assignment, notebook=notebook_id)
    target, submitted = _pages(out)
    changed, results = 0, []
    for result in graded:
        new = with_manual(result, manual.get(result.student, {}))
        results.append(new)
        path = out / result.student / assignment / "results.json"
        if not new.written or not path.is_file():  # not a student folder (see batch.Submission)
            continue
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = None
        changed += before != json.loads(json.dumps(new.to_json()))
        new.write(path)  # and the pages, always: the batch may have rewritten them from the journal
        deliver(
            new,
            out=out,
            target=target,
            submission=submitted / result.student / assignment if submitted else None,
            notebook_id=_notebook_id(target, new, notebook_id),
        )
    write_csv(out / "grades.csv", sorted(results, key=lambda r: r.student))
    written = [w for r in results for w in r.written]
    return RefreshSummary(
        students=len(results),
        changed=changed,
        pending=sum(1 for w in written if w.status == "pending"),
        graded=sum(1 for w in written if w.status == "graded"),
    )


def after_batch_written(
    out: Path,
    *,
    layout: CourseLayout,
    submitted: Path,
    assignment: str,
    feedback: FeedbackTarget,
    target: GradebookTarget,
    max_bytes: int,
    progress: Callable[[str], None],
) -> list[WrittenQuestion]:
    """What ``nncourse grade`` does for written answers after its batch; returns the questions.

    Writes formgrader's copies, remembers the pages' target and the gradebook in OUT, brings the
    TAs' grades in (:func:`refresh_written`) and says how many answers wait for a TA.
    """
    asked = load_questions(layout.source_notebook(assignment))
    write_formgrade_copies(
        submitted,
        layout=layout,
        assignment=assignment,
        asked=asked,
        max_bytes=max_bytes,
        progress=progress,
    )
    save_pages(out, feedback, submitted=submitted, db_url=target.db_url, course_id=target.course_id)
    written = refresh_written(
        out,
        assignment=assignment,
        notebook_id=layout.notebook_name(assignment).removesuffix(".ipynb"),
        db_url=target.db_url,
        course_id=target.course_id,
    )
    if written.pending or written.graded:
        progress(
            f"written answers: {written.graded} graded, {written.pending} pending for a TA "
            f"(formgrader, then `nncourse report {out}`)"
        )
    return asked
