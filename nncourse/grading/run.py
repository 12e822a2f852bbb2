"""`nncourse grade` and `grade-one`: the TA's front doors to the engine."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nncourse.config import GradingLimits
from nncourse.grading.batch import BatchSummary, grade_batch
from nncourse.grading.gradebook import check_gradebook_url, ensure_assignment, record_result, sqlite_file
from nncourse.grading.results import SubmissionResult
from nncourse.grading.rubric import rubric_points
from nncourse.layout import CourseLayout
from nncourse.sandbox.launcher import acquire_slot, check_sandbox
from nncourse.secret import load_secret


@dataclass(frozen=True)
class GradebookTarget:
    """Where scores go: an SQLAlchemy URL and the nbgrader course id."""

    db_url: str
    course_id: str

    @classmethod
    def from_config(cls, layout: CourseLayout, db_url: str | None = None) -> GradebookTarget:
        from nncourse.nbgrader_env import load_nbgrader_config

        config = load_nbgrader_config(layout).CourseDirectory
        url = db_url or (config.db_url if "db_url" in config else layout.default_db_url)
        return cls(db_url=url, course_id=config.course_id if "course_id" in config else "nn-pytorch")


def grade(submitted: Path, *, layout: CourseLayout, assignment: str, out: Path, jobs: int = 1,
          db_url: str | None = None, insecure: bool = False, limits: GradingLimits = GradingLimits(),
          progress: Callable[[str], None] | None = None, due: datetime | None = None) -> BatchSummary:
    """Grade ``SUBMITTED/<student>/<assignment>/*.ipynb`` into OUT and the gradebook.

    Late penalties follow deadlines.toml (``due`` overrides its due date; nncourse/late.py).

    Raises:
        SandboxUnavailable: the sandbox cannot be built and ``insecure`` was not given.
        GradebookError: the gradebook cannot be created or written; the batch stops there, and what was
            graded but not recorded is graded again by the next run.
    """
    from nncourse.collect.guard import check_not_lms_download
    from nncourse.late import batch_lateness

    layout.check_assignment(assignment)
    check_not_lms_download(submitted, assignment)
    if not insecure:
        check_sandbox(layout.venv)
    points = rubric_points(layout.source_notebook(assignment))
    target = GradebookTarget.from_config(layout, db_url)
    out.mkdir(parents=True, exist_ok=True)  # the gradebook may live in OUT
    late = batch_lateness(root=layout.root, assignments=layout.assignments(), submitted=submitted,
                          assignment=assignment, out=out, course_id=target.course_id,
                          max_score=sum(points.values()), override=due)
    check_gradebook_url(target.db_url)
    notebook_id = layout.notebook_name(assignment).removesuffix(".ipynb")
    with ThreadPoolExecutor(max_workers=1) as background:
        # importing nbgrader (about 3 s) and a new gradebook's migrations overlap the sandboxes' start
        gradebook = background.submit(ensure_assignment, target.db_url, course_id=target.course_id,
                                      assignment=assignment, notebook=notebook_id, points=points,
                                      duedate=late.due)

        def record(result: SubmissionResult) -> None:
            gradebook.result()  # raises what went wrong creating the gradebook: the batch stops there
            record_result(target.db_url, course_id=target.course_id, notebook=notebook_id, result=result)

        def late_policy(result: SubmissionResult) -> SubmissionResult:
            wait([gradebook])  # nbgrader is imported there (two threads importing it at once fail)
            return late(result)

        summary = grade_batch(root=layout.root, submitted=submitted, assignment=assignment,
                              notebook_name=layout.notebook_name(assignment), out=out,
                              secret=load_secret(layout.secret_file), max_score=sum(points.values()),
                              jobs=jobs, limits=limits, insecure=insecure, on_result=record, progress=progress,
                              reserved=gradebook_files_in(out, target.db_url), late=late_policy)
        gradebook.result()
    if late.untimed and progress:
        progress(f"note: no submission time (timestamp.txt) for {', '.join(sorted(late.untimed))}: "
                 "not checked for lateness (`collect --times` gives Canvas/Moodle downloads one)")
    try:
        from nncourse.report.build import build_report
    except ImportError:  # the report is optional until its module exists
        return summary
    build_report(out, assignment=assignment)
    return summary


def gradebook_files_in(out: Path, db_url: str) -> frozenset[str]:
    """Names of an SQLite gradebook's files when it lives directly in OUT (no student may be called so)."""
    path = sqlite_file(db_url)
    if path is None or path.parent.resolve() != out.resolve():
        return frozenset()
    return frozenset(path.name + suffix for suffix in ("", "-journal", "-wal", "-shm"))


def grade_one(notebook: Path, *, layout: CourseLayout, assignment: str, insecure: bool = False,
              limits: GradingLimits = GradingLimits()) -> SubmissionResult:
    """Grade a single notebook in this process (a TA checking one complaint)."""
    from nncourse.grading.job import Grader  # torch and pytest: only where a submission is graded here

    if not insecure:
        check_sandbox(layout.venv)
    slot, lock = acquire_slot()
    try:
        grader = Grader(layout=layout, assignment=assignment, secret=load_secret(layout.secret_file),
                        slot=slot, limits=limits, insecure=insecure)
        try:
            return grader.grade(notebook, student=notebook.stem)
        finally:
            grader.close()
    finally:
        lock.close()


def format_result(result: SubmissionResult) -> str:
    """A readable plain-text report of one graded submission.

    A result's texts come with control characters escaped (``SubmissionResult``); continuation lines of
    a message are marked with ``|`` here, so a message cannot pass for a rubric line.
    """
    lines = [f"{result.assignment} — {result.student}: {result.score:g} / "
             f"{result.max_score:g} points ({result.status}, {result.execution_time:.1f} s)"]
    if result.error:
        lines += _block("  error: ", result.error)
    for test in result.tests:
        mark = "PASS" if test.status == "passed" else "FAIL"
        lines += _block(f"  {mark} {test.score:g}/{test.max_score:g}  ", test.name)
        if test.output:
            lines += _block("         ", test.output)
    for line in result.cell_errors:
        lines += _block("  notebook: ", line)
    for line in result.notes:
        lines += _block("  note: ", line)
    return "\n".join(lines)


def _block(prefix: str, text: str) -> list[str]:
    """``text`` after ``prefix``; its further lines indented and marked ``|`` as part of it."""
    first, *rest = text.split("\n")
    return [prefix + first] + [" " * len(prefix) + "| " + line for line in rest]


def score_table(results: list[SubmissionResult]) -> str:
    """The batch's scores, one line per student."""
    width = max([len(r.student) for r in results] + [7])
    lines = [f"{'student':<{width}}  score   status"]
    for r in sorted(results, key=lambda r: r.student):
        error = " ".join((r.error or "").split())
        lines.append(f"{r.student:<{width}}  {r.score:5g}/{r.max_score:<4g} {r.status}"
                     + (f"  ({error[:100]})" if error else ""))
    return "\n".join(lines)


def eprint(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
