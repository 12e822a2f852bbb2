"""Grade a folder of submissions in parallel, resumably, recording each student exactly once.

Layout in: ``SUBMITTED/<student>/<assignment>/*.ipynb`` (nbgrader's). Out: ``OUT/journal.jsonl``
(append-only, fsync per record: the source of truth for resuming), ``OUT/<student>/<assignment>/
results.json`` and ``feedback.html`` (also in nbgrader's ``feedback/`` tree), ``OUT/grades.csv``,
and the nbgrader gradebook; after a regrade, ``results.previous.json`` and ``OUT/regrades.json``.
Symbolic links in SUBMITTED are never followed, and a folder named like one of OUT's own files is
not a student. What is graded again, and why: :mod:`nncourse.grading.regrade`.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from nncourse.config import GradingLimits
from nncourse.grading.delivery import FeedbackTarget
from nncourse.grading.digest import file_sha256
from nncourse.grading.entry import choose_notebook
from nncourse.grading.grades_csv import write_csv
from nncourse.grading.names import character_problem, collisions, escaped
from nncourse.grading.recorder import JOURNAL, Recorder, read_journal
from nncourse.grading.regrade import MANIFEST, NEW, RegradeRound, why_grade
from nncourse.grading.results import SubmissionResult, error_result, visible
from nncourse.grading.slots import SlotPoolFactory, SlotsLost, local_slots
from nncourse.intake import OTHER_COHORT

# OUT's own top-level entries; students can never be called like them (nor start with ".", which is
# how every transient file of ours at OUT's top level is named: .grades.csv.tmp, .report.html.tmp).
OWN_NAMES = frozenset({JOURNAL, MANIFEST, "grades.csv", "report.html", "report", "similarity.csv"})
SYMLINKED_FOLDER = "the submission folder is a symbolic link; submit the notebook itself"


@dataclass(frozen=True)
class Submission:
    """One student folder: the notebook to grade, or why there is none.

    ``recordable`` is False when the folder's name cannot be a student (reserved or unsafe): such an
    entry is kept in the journal and grades.csv only, never as ``OUT/<name>/`` or in the gradebook.
    """

    student: str
    notebook: Path | None  # None: nothing gradable was submitted
    note: str = ""
    recordable: bool = True


def name_problem(name: str, reserved: frozenset[str] = OWN_NAMES) -> str | None:
    """Why a folder called ``name`` cannot be a student (None when it can)."""
    shown = escaped(visible(name))
    if name.startswith("."):
        return f"the folder name '{shown}' starts with '.', which is reserved for the grader's own files"
    if name.casefold() in {r.casefold() for r in reserved}:
        return f"the folder name '{shown}' is taken by a file the grader keeps in the output folder"
    if visible(name) != name or "\\" in name or not name.strip():
        return f"the folder name '{shown}' is not a safe file name (control characters, backslash or blank)"
    char = character_problem(name)
    if char:
        return (
            f"the folder name '{shown}' contains {char}: student names may not contain "
            "control, format or invisible characters, or spaces other than U+0020"
        )
    return None


def find_submissions(
    submitted: Path, assignment: str, notebook_name: str, *, reserved: frozenset[str] = OWN_NAMES
) -> list[Submission]:
    """One entry per student folder; a single renamed notebook is still graded.

    Symbolic links are never followed: a symlinked student folder, assignment folder or notebook is
    recorded as that student's error. So is a folder whose name cannot be a student (``reserved``,
    starting with ``.``, unsafe); regular files next to the student folders are ignored.
    """
    found = []
    entries = [
        e
        for e in sorted(os.scandir(submitted), key=lambda e: e.name)
        if e.is_symlink() or e.is_dir(follow_symlinks=False)
    ]
    alike = collisions([e.name for e in entries if not name_problem(e.name, reserved)])
    for entry in entries:
        problem = name_problem(entry.name, reserved)
        if entry.name in alike:  # ambiguous: which one is the student? neither is graded
            others = ", ".join(f"'{visible(o)}'" for o in alike[entry.name])
            found.append(
                Submission(
                    entry.name,
                    None,
                    f"the folder name '{entry.name}' reads the "
                    f"same as {others} (after NFKC normalisation and case "
                    "folding); "
                    "neither is graded until one is renamed",
                )
            )
        elif problem:
            found.append(Submission(escaped(visible(entry.name)), None, problem, recordable=False))
        elif entry.is_symlink():
            found.append(Submission(entry.name, None, SYMLINKED_FOLDER))
        else:
            found += _in_student_folder(Path(entry.path), assignment, notebook_name)
    return found


def _in_student_folder(student_dir: Path, assignment: str, notebook_name: str) -> list[Submission]:
    student, folder = student_dir.name, student_dir / assignment
    if folder.is_symlink():
        return [Submission(student, None, SYMLINKED_FOLDER)]
    if not folder.is_dir():
        return []
    notebooks = [
        Path(e.path)
        for e in os.scandir(folder)
        if e.name.endswith(".ipynb") and (e.is_symlink() or e.is_file(follow_symlinks=False))
    ]
    choice = choose_notebook(notebooks, notebook_name, folder=f"{assignment}/")
    if choice.notebook is not None and choice.notebook.is_symlink():
        return [
            Submission(
                student,
                None,
                f"the notebook {choice.notebook.name} is a symbolic link, not "
                "a regular file; submit the notebook itself",
            )
        ]
    return [Submission(student, choice.notebook, choice.note)]


# ----------------------------------------------------------------------------------- the batch
@dataclass
class BatchSummary:
    graded: int
    skipped: int
    results: list[SubmissionResult]
    seconds: float
    reasons: dict[str, int] = field(default_factory=dict)  # why they were graded: "new": 3, ...


def plan(
    submissions: list[Submission], journal: dict[str, dict], *, fingerprint: str, regrade: bool
) -> list[tuple[Submission, str]]:
    """The submissions to grade, each with why (see :func:`regrade.why_grade`)."""
    todo = []
    for submission in submissions:
        reason = why_grade(
            journal.get(submission.student),
            sha256=file_sha256(submission.notebook),
            fingerprint=fingerprint,
            regrade=regrade,
        )
        if reason:
            todo.append((submission, reason))
    return todo


def grade_batch(
    *,
    root: Path,
    submitted: Path,
    assignment: str,
    notebook_name: str,
    out: Path,
    secret: bytes,
    max_score: float,
    jobs: int = 1,
    limits: GradingLimits = GradingLimits(),
    insecure: bool = False,
    on_result: Callable[[SubmissionResult], None] | None = None,
    progress: Callable[[str], None] | None = None,
    reserved: frozenset[str] = frozenset(),
    fingerprint: str = "",
    regrade: bool = False,
    feedback: FeedbackTarget = FeedbackTarget(),
    late: Callable[[SubmissionResult], SubmissionResult] | None = None,
    slots: SlotPoolFactory | None = None,
    cohort: str | None = None,
) -> BatchSummary:
    """Grade every submission whose notebook or grading fingerprint changed since the journal's record.

    ``reserved``: more names OUT uses itself (e.g. a gradebook file inside OUT); with :data:`OWN_NAMES`
    and every file already at OUT's top level, no student folder may be called like them.
    ``fingerprint``: the grading fingerprint (``digest.grading_fingerprint``); ``regrade``: grade all
    again. ``feedback``: nbgrader's feedback folder and the visibility mode of the pages.
    ``late``: applies the late policy to a graded result (nncourse/late.py); a result already graded
    whose lateness changed (a new due date or extension) is rewritten without grading it again.
    ``slots``: where submissions are graded (default: ``jobs`` processes here,
    :func:`nncourse.grading.slots.local_slots`; a Dask cluster's: :mod:`nncourse.cluster.pool`).
    ``cohort``: the cohort graded; a notebook released to another one is graded with a warning.
    """
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda line: print(line, file=sys.stderr))
    journal = read_journal(out)
    taken = {
        e.name for e in os.scandir(out) if e.is_symlink() or not e.is_dir(follow_symlinks=False)
    }
    submissions = find_submissions(
        submitted, assignment, notebook_name, reserved=OWN_NAMES | reserved | taken
    )
    todo = plan(submissions, journal, fingerprint=fingerprint, regrade=regrade)
    reasons = dict(Counter(reason for _, reason in todo))
    skipped = len(submissions) - len(todo)
    progress(
        f"{assignment}: {len(todo)} to grade, {skipped} already graded, {jobs} parallel job(s)"
    )
    if set(reasons) - {NEW}:
        progress("  why: " + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items())))
    regrading = [s for s, _ in todo if s.recordable and s.student in journal]
    regrades = (
        RegradeRound.open(out, assignment, fingerprint=fingerprint, forced=regrade)
        if regrading
        else None
    )
    recorder = Recorder(
        out=out,
        assignment=assignment,
        submitted=submitted,
        notebook_name=notebook_name,
        fingerprint=fingerprint,
        feedback=feedback,
        on_result=on_result,
        regrades=regrades,
        graded_before=frozenset(journal),
        late=late,
    )

    count, total = 0, len(todo)
    for submission, reason in [(s, r) for s, r in todo if s.notebook is None]:
        recorder.record(
            error_result(
                student=submission.student,
                assignment=assignment,
                max_score=max_score,
                error=f"not graded: {submission.note}",
            ),
            submission,
            reason,
        )
        count += 1
        progress(
            f"[{count}/{total}] {submission.student}: not graded: {visible(submission.note)} ({reason})"
        )
    planned = {s.student for s, _ in todo}
    for submission in submissions if late else ():  # penalties only: no student code runs again
        done = journal.get(submission.student)
        if submission.student in planned or not done or submission.notebook is None:
            continue
        old = SubmissionResult.from_json(done["result"])
        new = late(old)
        if new != old:
            recorder.record(new, submission, "lateness changed")
            progress(
                f"{old.student}: lateness updated, {old.score:g} -> {new.score:g} "
                f"(penalty {new.penalty or 0:g}, not graded again)"
            )
    gradable = [(s, r) for s, r in todo if s.notebook is not None]
    if gradable:
        with (slots or local_slots)(
            root=root,
            assignment=assignment,
            secret=secret,
            limits=limits,
            insecure=insecure,
            jobs=max(1, min(jobs, len(gradable))),
            fingerprint=fingerprint,
            cohort=cohort,
        ) as pool:
            waiting, pending = iter(gradable), {}
            while True:
                for s, r in islice(waiting, max(0, pool.window() - len(pending))):
                    pending[pool.submit(s)] = (s, r)
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    submission, reason = pending.pop(future)
                    try:
                        result = SubmissionResult.from_json(future.result())
                    except SlotsLost:
                        raise  # nowhere left to grade: stop; the rerun grades the rest
                    # a broken slot process: record it, never lose the batch
                    except Exception as exc:
                        result = error_result(
                            student=submission.student,
                            assignment=assignment,
                            max_score=max_score,
                            sha256=file_sha256(submission.notebook),
                            error=f"grader error: {type(exc).__name__}: {exc}"[:500],
                        )
                    recorder.record(result, submission, reason)
                    count += 1
                    elapsed = time.monotonic() - started
                    warning = next((n for n in result.notes if n.startswith(OTHER_COHORT)), "")
                    progress(
                        f"[{count}/{total}] {result.student}: {result.score:g}/{result.max_score:g}"
                        f" ({reason}; {result.execution_time:.1f} s; {elapsed:.0f} s elapsed)"
                        + (f"; warning: {warning.split(';')[0]}" if warning else "")
                    )
    if recorder.regrades is not None:
        recorder.regrades.save(complete=True)
    records = read_journal(out)
    recorder.refresh_pages(submissions, records, graded_now={s.student for s, _ in todo})
    if recorder.unreleasable and feedback.folder is not None:
        progress(
            f"feedback: {len(recorder.unreleasable)} student(s) without submission_secret.txt (not "
            "submitted through nbgrader's exchange); nbgrader release_feedback needs it next to their "
            f"page in {feedback.folder}"
        )
    results = [SubmissionResult.from_json(r["result"]) for r in records.values()]
    write_csv(out / "grades.csv", sorted(results, key=lambda r: r.student))
    return BatchSummary(
        graded=count,
        skipped=skipped,
        results=results,
        seconds=time.monotonic() - started,
        reasons=reasons,
    )
