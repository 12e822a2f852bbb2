"""Grade a folder of submissions in parallel, resumably, recording each student exactly once.

Layout in: ``SUBMITTED/<student>/<assignment>/*.ipynb`` (nbgrader's). Out: ``OUT/journal.jsonl``
(append-only, fsync per record: the source of truth for resuming), ``OUT/<student>/<assignment>/
results.json`` and ``feedback.html``, ``OUT/grades.csv``, and the nbgrader gradebook. Symbolic links
in SUBMITTED are never followed, and a folder named like one of OUT's own files is not a student.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from nncourse.config import GradingLimits
from nncourse.grading.digest import file_sha256
from nncourse.grading.entry import choose_notebook, open_grader
from nncourse.grading.feedback import render_feedback
from nncourse.grading.results import SubmissionResult, error_result, visible

JOURNAL = "journal.jsonl"
# OUT's own top-level entries; students can never be called like them (nor start with ".", which is
# how every transient file of ours at OUT's top level is named: .grades.csv.tmp, .report.html.tmp).
OWN_NAMES = frozenset({JOURNAL, "grades.csv", "report.html", "report"})
SYMLINKED_FOLDER = "the submission folder is a symbolic link; submit the notebook itself"
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


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
    shown = visible(name)
    if name.startswith("."):
        return f"the folder name '{shown}' starts with '.', which is reserved for the grader's own files"
    if name.casefold() in {r.casefold() for r in reserved}:
        return f"the folder name '{shown}' is taken by a file the grader keeps in the output folder"
    if shown != name or "\\" in name or not name.strip():
        return f"the folder name '{shown}' is not a safe file name (control characters, backslash or blank)"
    return None


def find_submissions(submitted: Path, assignment: str, notebook_name: str, *,
                     reserved: frozenset[str] = OWN_NAMES) -> list[Submission]:
    """One entry per student folder; a single renamed notebook is still graded.

    Symbolic links are never followed: a symlinked student folder, assignment folder or notebook is
    recorded as that student's error. So is a folder whose name cannot be a student (``reserved``,
    starting with ``.``, unsafe); regular files next to the student folders are ignored.
    """
    found = []
    for entry in sorted(os.scandir(submitted), key=lambda e: e.name):
        if not (entry.is_symlink() or entry.is_dir(follow_symlinks=False)):
            continue
        problem = name_problem(entry.name, reserved)
        if problem:
            found.append(Submission(visible(entry.name), None, problem, recordable=False))
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
    notebooks = [Path(e.path) for e in os.scandir(folder) if e.name.endswith(".ipynb")
                 and (e.is_symlink() or e.is_file(follow_symlinks=False))]
    choice = choose_notebook(notebooks, notebook_name, folder=f"{assignment}/")
    if choice.notebook is not None and choice.notebook.is_symlink():
        return [Submission(student, None, f"the notebook {choice.notebook.name} is a symbolic link, not "
                                          "a regular file; submit the notebook itself")]
    return [Submission(student, choice.notebook, choice.note)]


def read_journal(out: Path) -> dict[str, dict]:
    """Latest record per student; a torn last line (grader killed mid-write) is ignored."""
    records: dict[str, dict] = {}
    path = out / JOURNAL
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
            records[record["student"]] = record
        except (ValueError, KeyError, TypeError):
            continue
    return records


def _append_journal(out: Path, record: dict) -> None:
    path = out / JOURNAL
    # A torn line from a killed run must not swallow this record: start on a fresh line.
    needs_newline = path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(("\n" if needs_newline else "") + json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


# ------------------------------------------------------------------------------ slot processes
_SLOT: dict = {}  # per slot process: its Grader and what releases it (set once)


def _init_slot(root: str, assignment: str, secret: bytes, limits: GradingLimits, insecure: bool) -> None:
    import atexit

    from nncourse.layout import CourseLayout

    _SLOT["stack"] = stack = ExitStack()  # the slot's lock and sandbox last as long as this process
    _SLOT["grader"] = stack.enter_context(open_grader(CourseLayout(Path(root)), assignment,
                                                      secret=secret, limits=limits, insecure=insecure))
    atexit.register(stack.close)


def _grade_in_slot(student: str, notebook: str, note: str) -> dict:
    result = _SLOT["grader"].grade(Path(notebook), student=student)
    if note:
        result = SubmissionResult.from_json({**result.to_json(), "notes": [note, *result.notes]})
    return result.to_json()


# ----------------------------------------------------------------------------------- the batch
@dataclass
class BatchSummary:
    graded: int
    skipped: int
    results: list[SubmissionResult]
    seconds: float


def grade_batch(*, root: Path, submitted: Path, assignment: str, notebook_name: str, out: Path,
                secret: bytes, max_score: float, jobs: int = 1, limits: GradingLimits = GradingLimits(),
                insecure: bool = False, on_result: Callable[[SubmissionResult], None] | None = None,
                progress: Callable[[str], None] | None = None, reserved: frozenset[str] = frozenset()) -> BatchSummary:
    """Grade every submission that is not already in the journal with the same notebook hash.

    ``reserved``: more names OUT uses itself (e.g. a gradebook file inside OUT); with :data:`OWN_NAMES`
    and every file already at OUT's top level, no student folder may be called like them.
    """
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda line: print(line, file=sys.stderr))
    journal = read_journal(out)
    taken = {e.name for e in os.scandir(out) if e.is_symlink() or not e.is_dir(follow_symlinks=False)}
    todo, skipped = [], 0
    for submission in find_submissions(submitted, assignment, notebook_name,
                                       reserved=OWN_NAMES | reserved | taken):
        done = journal.get(submission.student)
        grader_failed = str((done or {}).get("result", {}).get("error") or "").startswith("grader error")
        if done and done.get("sha256") == file_sha256(submission.notebook) and not grader_failed:  # else: retry
            skipped += 1
            continue
        todo.append(submission)
    progress(f"{assignment}: {len(todo)} to grade, {skipped} already graded, {jobs} parallel job(s)")

    def finish(result: SubmissionResult, recordable: bool = True) -> None:
        if recordable:  # else not a student: only the journal (hence grades.csv) and the progress say why
            folder = out / result.student / assignment
            result.write(folder / "results.json")
            (folder / "feedback.html").write_text(render_feedback(result), encoding="utf-8")
            if on_result:
                on_result(result)
        _append_journal(out, {"student": result.student, "sha256": result.sha256, "score": result.score,
                              "result": result.to_json()})

    count, total = 0, len(todo)
    for submission in [s for s in todo if s.notebook is None]:
        finish(error_result(student=submission.student, assignment=assignment, max_score=max_score,
                            error=f"not graded: {submission.note}"), submission.recordable)
        count += 1
        progress(f"[{count}/{total}] {submission.student}: not graded: {visible(submission.note)}")
    gradable = [s for s in todo if s.notebook is not None]
    if gradable:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(gradable))), mp_context=context,
                                 initializer=_init_slot,
                                 initargs=(str(root), assignment, secret, limits, insecure)) as pool:
            pending = {pool.submit(_grade_in_slot, s.student, str(s.notebook), s.note): s for s in gradable}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    submission = pending.pop(future)
                    try:
                        result = SubmissionResult.from_json(future.result())
                    except Exception as exc:  # a broken slot process: record it, never lose the batch
                        result = error_result(student=submission.student, assignment=assignment,
                                              max_score=max_score, sha256=file_sha256(submission.notebook),
                                              error=f"grader error: {type(exc).__name__}: {exc}"[:500])
                    try:
                        finish(result)
                    except BaseException:  # e.g. OUT is full: stop at once instead of grading the rest for nothing
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise
                    count += 1
                    elapsed = time.monotonic() - started
                    progress(f"[{count}/{total}] {result.student}: {result.score:g}/{result.max_score:g}"
                             f" ({result.execution_time:.1f} s; {elapsed:.0f} s elapsed)")
    results = [SubmissionResult.from_json(r["result"]) for r in read_journal(out).values()]
    write_csv(out / "grades.csv", sorted(results, key=lambda r: r.student))
    return BatchSummary(graded=count, skipped=skipped, results=results, seconds=time.monotonic() - started)


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    """One row per student: total, status and the points of each graded item.

    Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) get a
    leading apostrophe (OWASP's rule against CSV injection); numbers are written as they are.
    """
    items = sorted({item for r in results for item in r.item_scores()})
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_text(h) for h in ["student", "assignment", "score", "max_score", "status", "error",
                                               *items]])
        for r in results:
            scores = r.item_scores()
            writer.writerow([csv_text(r.student), csv_text(r.assignment), f"{r.score:g}", f"{r.max_score:g}",
                             csv_text(r.status), csv_text(r.error or ""), *[f"{scores.get(i, 0):g}" for i in items]])
    tmp.replace(path)


def csv_text(text: str) -> str:
    """A text cell for grades.csv: visible, and never a formula to a spreadsheet."""
    text = visible(text)
    return "'" + text if text.lstrip(" ").startswith(_CSV_FORMULA) else text
