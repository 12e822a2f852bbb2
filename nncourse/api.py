"""The engine's front doors: what `nncourse grade`, `grade-one` and `check` call, for scripts too.

Each is a typed function with keyword-only options; the CLI (``nncourse/cli.py``) only wires
options to them. A grader on a sandbox slot comes from :func:`open_grader`, a student's notebook is
chosen by :func:`choose_notebook`; the report is built here, after grading (``grading/`` never
imports it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import wait
from datetime import datetime
from pathlib import Path

from nncourse.cluster.pool import Cluster
from nncourse.config import GradingLimits
from nncourse.grading.batch import BatchSummary, grade_batch
from nncourse.grading.console import eprint
from nncourse.grading.delivery import FeedbackTarget
from nncourse.grading.digest import grading_fingerprint
from nncourse.grading.entry import choose_notebook, open_grader
from nncourse.grading.gradebook import GradebookTarget, check_gradebook_url, gradebook_files_in
from nncourse.grading.gradebook_writer import GradebookWriter
from nncourse.grading.refresh import after_batch_written
from nncourse.grading.results import SubmissionResult
from nncourse.grading.rubric import rubric_points, written_rubric
from nncourse.layout import CourseLayout
from nncourse.sandbox.launcher import ROOTLESS_NOTE, check_sandbox, remove_stale_slot_folders
from nncourse.secret import load_secret
from nncourse.student_check import CheckReport, check_notebook

__all__ = ["grade", "grade_one", "check_notebook", "CheckReport", "open_grader", "choose_notebook"]


def grade(
    submitted: Path,
    *,
    layout: CourseLayout,
    assignment: str,
    out: Path,
    jobs: int = 1,
    db_url: str | None = None,
    insecure: bool = False,
    limits: GradingLimits = GradingLimits(),
    progress: Callable[[str], None] | None = None,
    cohort: str | None = None,
    regrade: bool = False,
    feedback_dir: Path | None = None,
    before_deadline: bool = False,
    due: datetime | None = None,
    cluster: Cluster | None = None,
) -> BatchSummary:
    """Grade ``SUBMITTED/<student>/<assignment>/*.ipynb`` into OUT and the gradebook; write the report.

    ``cohort`` picks that cohort's gradebook (default: the released cohort, ``release/cohort.txt``);
    the first progress line names the cohort and the gradebook written.
    A rerun grades again what is new, whose notebook changed, or everything when the grading
    fingerprint changed (hidden tests, reference, rubric, secret, engine, limits) or ``regrade`` is
    given. Feedback pages also go to nbgrader's feedback folder (``feedback_dir``, by default the
    course's ``feedback/``); with ``before_deadline`` they show only the ``visible`` rubric lines.
    Late penalties follow deadlines.toml (``due`` overrides its due date; nncourse/late.py).
    With ``cluster`` the submissions are graded on its workers instead of ``jobs`` local processes.

    Raises:
        SandboxUnavailable: the sandbox cannot be built and ``insecure`` was not given.
        GradebookError: the gradebook cannot be created or written; the batch stops there, and what was
            graded but not recorded is graded again by the next run.
        ClusterRefused: the cluster's address or TLS files are unsafe (checked before grading).
    """
    from nncourse.collect.guard import check_not_lms_download
    from nncourse.late import batch_lateness

    layout.check_assignment(assignment)
    check_not_lms_download(submitted, assignment)
    if cluster is not None:
        cluster.check(insecure=insecure)  # workers check their own sandbox
    else:
        remove_stale_slot_folders()  # a rerun with nothing left to grade takes no slot
        if not insecure:
            check_sandbox(layout.venv)
            if os.geteuid() != 0:
                (progress or eprint)(ROOTLESS_NOTE)
    points = rubric_points(layout.source_notebook(assignment))
    target = GradebookTarget.from_config(layout, db_url, cohort=cohort)
    if progress is not None:
        progress(f"cohort {target.cohort}: scores go to the gradebook {target.db_url}")
        if cluster is not None:
            progress(f"grading on the Dask cluster at {cluster.address} (--jobs does not apply)")
    if cohort is not None:
        _warn_unknown_cohort(layout, target, progress=progress or eprint)
    out.mkdir(parents=True, exist_ok=True)  # the gradebook may live in OUT
    late = batch_lateness(
        root=layout.root,
        assignments=layout.assignments(),
        submitted=submitted,
        assignment=assignment,
        out=out,
        course_id=target.course_id,
        max_score=sum(points.values()),
        override=due,
    )
    check_gradebook_url(target.db_url)
    feedback = FeedbackTarget.for_course(layout, feedback_dir, before_deadline=before_deadline)
    feedback = feedback.writable(chosen=feedback_dir is not None, progress=progress or eprint)
    notebook_id = layout.notebook_name(assignment).removesuffix(".ipynb")
    writer = GradebookWriter(
        target,
        assignment=assignment,
        notebook=notebook_id,
        points=points,
        duedate=late.due,
        written=written_rubric(layout.source_notebook(assignment)),
    )
    with writer:  # one Gradebook for the batch, opened while the sandboxes start
        secret = load_secret(layout.secret_file)

        def late_policy(result: SubmissionResult) -> SubmissionResult:
            # nbgrader is imported there (two threads importing it at once fail)
            wait([writer.ready])
            return late(result)

        summary = grade_batch(
            root=layout.root,
            submitted=submitted,
            assignment=assignment,
            notebook_name=layout.notebook_name(assignment),
            out=out,
            secret=secret,
            max_score=sum(points.values()),
            jobs=jobs,
            limits=limits,
            insecure=insecure,
            on_result=writer.record,
            progress=progress,
            reserved=gradebook_files_in(out, target.db_url),
            fingerprint=grading_fingerprint(layout, assignment, secret=secret, limits=limits),
            regrade=regrade,
            feedback=feedback,
            late=late_policy,
            slots=cluster.slots if cluster is not None else None,
            cohort=target.cohort,
        )
    asked = after_batch_written(  # formgrader's copies; the TAs' grades from the gradebook
        out,
        layout=layout,
        submitted=submitted,
        assignment=assignment,
        feedback=feedback,
        target=target,
        max_bytes=limits.notebook_bytes,
        progress=progress or eprint,
    )
    if late.untimed and progress:
        progress(
            f"note: no submission time (timestamp.txt) for {', '.join(sorted(late.untimed))}: "
            "not checked for lateness (`collect --times` gives Canvas/Moodle downloads one)"
        )
    from nncourse.report.build import build_report  # matplotlib: only where a report is written
    from nncourse.similarity.review import review_after_batch

    review_after_batch(
        out, submitted=submitted, layout=layout, assignment=assignment, progress=progress or eprint
    )

    build_report(out, assignment=assignment, written=asked)
    return summary


def _warn_unknown_cohort(
    layout: CourseLayout, target: GradebookTarget, *, progress: Callable[[str], None]
) -> None:
    """Say so when ``--cohort`` names a cohort never released here whose gradebook is new (a typo
    would otherwise start a gradebook of its own without a word)."""
    from nncourse.grading.gradebook import sqlite_file
    from nncourse.release.generate import committed_cohort

    released = committed_cohort(layout)
    path = sqlite_file(target.db_url)
    if target.cohort != released and path is not None and not path.exists():
        progress(
            f"warning: cohort {target.cohort} is not the released one ({released}, "
            f"release/cohort.txt) and has no gradebook yet: {path.name} is created "
            "(check --cohort's spelling)"
        )


def grade_one(
    notebook: Path,
    *,
    layout: CourseLayout,
    assignment: str,
    insecure: bool = False,
    limits: GradingLimits = GradingLimits(),
) -> SubmissionResult:
    """Grade a single notebook in this process (a TA checking one complaint)."""
    if not insecure:
        check_sandbox(layout.venv)
    with open_grader(
        layout, assignment, secret=load_secret(layout.secret_file), limits=limits, insecure=insecure
    ) as grader:
        return grader.grade(notebook, student=notebook.stem)
