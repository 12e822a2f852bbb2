"""Grade one submission: intake, sandboxed cells, hidden tests, one SubmissionResult."""

from __future__ import annotations

import io
import time
from contextlib import redirect_stdout
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pytest

from nncourse import notebook_conventions as conventions
from nncourse.config import GradingLimits
from nncourse.given_cells import GivenCells
from nncourse.grading import edges
from nncourse.grading.digest import file_sha256
from nncourse.grading.grader_memory import cap_grader_memory
from nncourse.grading.plugin import GradingPlugin, pytest_arguments
from nncourse.grading.reference import load_reference
from nncourse.grading.results import NAME_CHARS, SubmissionResult, TestResult, clip, error_result
from nncourse.grading.review import review_notes
from nncourse.grading.rubric import rubric_points
from nncourse.grading.written import load_questions, read_answers
from nncourse.intake import IntakeError, read_notebook
from nncourse.layout import CourseLayout
from nncourse.sandbox.client import CellRun, Job, SlotServer, WorkerDied
from nncourse.sandbox.launcher import SandboxSpec

TAMPERED = "the notebook interfered with the grader's channel (malformed reply)"


class ChannelTampered(WorkerDied):
    """The worker's report of the cells is not what the worker sends: the submission forged it."""


@dataclass
class _Attempt:
    """The worker currently serving a submission, with the cells it ran."""

    cells: list[dict]
    worker: Job | None = None
    run: CellRun | None = None
    problems: list[str] = field(default_factory=list)
    gave_up: str | None = None  # the cells kept hanging or crashing: tests fail at once with this


class Grader:
    """Grades submissions of one assignment; one instance per parallel slot (trusted process).

    Args:
        layout: the course checkout.
        assignment: assignment id, e.g. ``"01-gradient-descent"``.
        secret: course secret (seeds derive from it and the submission's hash).
        slot: parallel slot, which selects the sandbox uid; hold its lock (``entry.open_grader`` does).
        limits: time and resource limits.
        insecure: run without namespaces (only when the sandbox cannot be built, never by default).
        venv: the interpreter environment of the sandbox (default: the course's ``.venv``).
    """

    def __init__(
        self,
        *,
        layout: CourseLayout,
        assignment: str,
        secret: bytes,
        slot: int,
        limits: GradingLimits = GradingLimits(),
        insecure: bool = False,
        venv: Path | None = None,
        cohort: str | None = None,
    ):
        self.layout = layout
        self.cohort = cohort
        self.assignment = layout.check_assignment(assignment)
        self.secret = secret
        self.limits = limits
        self.spec = SandboxSpec(
            venv=venv or layout.venv, slot=slot, limits=limits, insecure=insecure
        )
        cap_grader_memory(limits.grader_memory_bytes)  # the hidden tests run in this process
        source = layout.source_notebook(assignment)
        self.points = rubric_points(source)
        self.given = GivenCells.load(layout, self.assignment)
        self.written = load_questions(source)  # answered in markdown, graded by a TA
        self.max_score = sum(self.points.values())
        # the slot's sandbox (torch and the warm-up imports: seconds) starts while the reference loads;
        # if it fails to start, _start tries again for the first submission and reports why
        self._server: SlotServer | None = None
        try:
            self._server = SlotServer(self.spec, wait=False)
        except (WorkerDied, OSError):
            pass
        try:
            self.reference = load_reference(
                source, name=f"nncourse_reference_{assignment.replace('-', '_')}"
            )
            edges.warm_up()  # hypothesis' import and first run (edge inputs of the hidden tests): ~0.5 s
        except BaseException:
            self.close()
            raise
        try:
            if self._server is not None:
                self._server.wait_ready()
        except WorkerDied:
            self._server = None

    def close(self) -> None:
        """Tear down this slot's sandbox."""
        if self._server is not None:
            self._server.close()
            self._server = None

    # --------------------------------------------------------------------------------------- public
    def grade(self, notebook: Path, *, student: str) -> SubmissionResult:
        """Grade one notebook (and read its written answers); never raises for anything the
        submission does."""
        result = self._grade_code(notebook, student=student)
        answers = read_answers(notebook, self.written, max_bytes=self.limits.notebook_bytes)
        return replace(result, written=answers) if answers else result

    def _grade_code(self, notebook: Path, *, student: str) -> SubmissionResult:
        started = time.monotonic()
        sha = file_sha256(notebook)
        failed = partial(
            error_result,
            student=student,
            assignment=self.assignment,
            max_score=self.max_score,
            sha256=sha,
        )
        try:
            parsed = read_notebook(
                notebook, max_bytes=self.limits.notebook_bytes, given=self.given, cohort=self.cohort
            )
        except (IntakeError, OSError) as exc:
            return failed(error=f"not graded: {exc}")
        kinds = {cell.index: cell.grade_id for cell in parsed.cells}
        attempt = _Attempt(
            cells=[{"index": c.index, "source": c.source} for c in parsed.runnable()]
        )
        try:
            self._start(attempt, kinds)
            tests, errors = self._run_tests(attempt, kinds, sha, started)
        # the submission's fault, not the grader's: recorded once, never retried
        except ChannelTampered:
            return failed(error=TAMPERED, execution_time=_since(started))
        except WorkerDied as exc:  # the sandbox itself failed: not the student's fault, say so
            return failed(error=f"grader error: {exc}")
        finally:
            if attempt.worker is not None:
                attempt.worker.close()
        if errors:
            return failed(
                error="grader error: " + "; ".join(errors)[:1000], execution_time=_since(started)
            )
        run = attempt.run or CellRun()
        notes = [
            *parsed.notes,
            *review_notes(
                [c.source for c in parsed.runnable()],
                replaced_builtins=run.replaced_builtins,
                replaced_grader=run.replaced_grader,
            ),
        ]
        return SubmissionResult(
            student=student,
            assignment=self.assignment,
            score=round(sum(t.score for t in tests), 6),
            max_score=self.max_score,
            execution_time=_since(started),
            status="graded",
            error=None,
            tests=tuple(tests),
            cell_errors=tuple(attempt.problems + self._cell_errors(run, kinds)),
            notes=tuple(notes),
            sha256=sha,
        )

    # ------------------------------------------------------------------------------------ internals
    def _start(self, attempt: _Attempt, kinds: dict) -> None:
        """Start a worker and run the cells; a cell that hangs or kills the worker is skipped on a retry."""
        for _ in range(self.limits.max_restarts + 1):
            if attempt.worker is not None:
                attempt.worker.close()
            if self._server is None or not self._server.alive():
                self._server = SlotServer(self.spec)
            attempt.worker = self._server.start_job(attempt.cells)
            try:
                run = attempt.worker.run_cells(timeout=self.limits.cells_seconds)
            except (
                AttributeError,
                TypeError,
                ValueError,
                KeyError,
            ):  # reading a forged "ready" message
                run = None
            if run is None or not _well_formed(run):
                raise ChannelTampered(TAMPERED)
            attempt.run = run
            culprit = run.timed_out_cell if run.timed_out_cell is not None else run.died_in_cell
            if culprit is None or culprit < 0:
                if run.died and culprit is None:
                    attempt.problems.append(
                        f"the worker stopped before running any cell: {run.died}"
                    )
                return
            label = _cell_label(culprit, kinds)
            if run.timed_out_cell is not None:
                attempt.problems.append(
                    f"{label}: did not finish within {self.limits.cells_seconds:g} s "
                    "(an endless loop?); it was skipped so the rest could be graded"
                )
            else:
                attempt.problems.append(
                    f"{label}: {run.died} while it ran; it was skipped so the rest could be graded"
                )
            attempt.cells = [c for c in attempt.cells if c["index"] != culprit]
        attempt.gave_up = (
            f"not run: the notebook hung or crashed {self.limits.max_restarts + 1} times "
            "(see the notebook's errors), so it was not tested further"
        )

    def _open_session(self, attempt: _Attempt, kinds: dict, seed: int):
        worker = attempt.worker
        if not attempt.gave_up and (worker is None or not worker.alive()):
            attempt.problems.append(
                "the process running your code died between tests; a fresh one was started"
            )
            self._start(attempt, kinds)
        if attempt.gave_up:
            raise WorkerDied(attempt.gave_up)
        try:
            return attempt.worker.open_session(seed=seed)
        except WorkerDied:
            attempt.problems.append(
                "the process running your code died between tests; a fresh one was started"
            )
            self._start(attempt, kinds)
            if attempt.gave_up:
                raise WorkerDied(attempt.gave_up) from None
            return attempt.worker.open_session(seed=seed)

    def _run_tests(self, attempt: _Attempt, kinds: dict, sha: str, started: float):
        plugin = GradingPlugin(
            open_session=lambda seed: self._open_session(attempt, kinds, seed),
            reference=self.reference,
            secret=self.secret,
            sha256=sha,
            call_seconds=self.limits.call_seconds,
            deadline=started + self.limits.job_seconds,
            item_order=tuple(self.points),
            reply_budget_bytes=self.limits.reply_budget_bytes,
        )
        args = [
            *pytest_arguments(
                str(self.layout.autograder_dir(self.assignment)),
                self.layout.autograders,
                test_seconds=self.limits.test_seconds,
            ),
            # these two run gc.collect() at exit: about 0.5 s each in a process that holds torch
            "-p",
            "no:unraisableexception",
            "-p",
            "no:threadexception",
        ]
        with redirect_stdout(io.StringIO()):
            pytest.main(args, plugins=[plugin])
        errors = list(plugin.collection_errors)
        tests = [
            TestResult(
                name=o.name,
                number=o.number,
                item=o.item,
                score=o.points if o.passed else 0.0,
                max_score=o.points,
                status="passed" if o.passed else "failed",
                output=o.message,
                visibility=o.visibility,
            )
            for o in plugin.outcomes.values()
        ]
        if not tests and not errors:
            errors.append(f"no hidden tests found in {self.layout.autograder_dir(self.assignment)}")
        return tests, errors

    @staticmethod
    def _cell_errors(run: CellRun, kinds: dict) -> list[str]:
        lines = []
        for cell in run.cells:
            if cell.get("status") == "error" and isinstance(cell.get("error"), dict):
                error = cell["error"]
                where = clip(_position(error.get("where"), cell.get("index")), NAME_CHARS)
                message = clip(error.get("message", ""), 300)
                kind = clip(error.get("type"), NAME_CHARS)
                lines.append(f"{_cell_label(cell.get('index'), kinds)}: {kind}{where}: {message}")
        return lines


def _well_formed(run: CellRun) -> bool:
    """Whether the cells' report has the shape the worker sends (student code can write to the channel)."""
    return isinstance(run.cells, list) and all(
        isinstance(cell, dict)
        and isinstance(cell.get("index"), int)
        and isinstance(cell.get("error", {}), dict)
        for cell in run.cells
    )


def _position(where, index) -> str:
    """ " at line 6" when the failing line is in the cell that ran, else " in cell 7, line 6" (a
    function defined in cell 7 and called from this cell)."""
    if not where:
        return ""
    text = str(where)
    here = text.startswith(f"{conventions.cell_name(index)}, ")
    return " at " + text.split(", ", 1)[1] if here else f" in {text}"


def _cell_label(index, kinds: dict) -> str:
    grade_id = kinds.get(index)
    name = conventions.cell_name(index)
    return f"{name} ({grade_id})" if grade_id else name


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
