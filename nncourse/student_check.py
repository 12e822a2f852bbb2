"""`nncourse check`: a student's public checks, run the way the grader runs the notebook."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.config import GradingLimits
from nncourse.grading.entry import sandbox_slot
from nncourse.intake import read_notebook
from nncourse.layout import CourseLayout
from nncourse.sandbox.client import Worker
from nncourse.sandbox.launcher import SandboxSpec, SandboxUnavailable, check_sandbox


@dataclass(frozen=True)
class CheckResult:
    """One public check cell: which item, whether it passed, and why not."""

    item: str
    passed: bool
    message: str


@dataclass(frozen=True)
class CheckReport:
    """What ``nncourse check`` found: each public check, and the other cells' errors."""

    results: list[CheckResult]
    notes: list[str]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def all_passed(self) -> bool:
        return self.passed == len(self.results)

    def lines(self) -> list[str]:
        """The report as the student reads it in the terminal."""
        return (
            [f"note: {line}" for line in self.notes]
            + [
                f"{'PASS' if r.passed else 'FAIL'}  {r.item}"
                + (f": {r.message}" if r.message else "")
                for r in self.results
            ]
            + [
                f"{self.passed} of {len(self.results)} public checks pass. "
                "The hidden tests decide the grade."
            ]
        )


def check_notebook(
    notebook: Path,
    *,
    layout: CourseLayout | None,
    assignment: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Run a student's notebook with its assignment's public checks, the way the grader runs it.

    Needs only the release: ``layout`` may be a student's copy without ``source/``, or None (no
    course here: the current environment runs the notebook). Without a sandbox here (a student's
    own machine), the notebook runs without isolation: it is the student's own code, and
    ``progress`` is told so.

    Raises:
        ValueError: the assignment is unknown, cannot be told from the notebook, or has no checks.
    """
    assignment, public = find_public_checks(notebook, layout=layout, assignment=assignment)
    if assignment is None:
        raise ValueError("which assignment is this? pass --assignment ID")
    if not public:
        raise ValueError(
            f"no public checks for {assignment} here: run the notebook's own cells "
            "(Run All, then grader.check_all())"
        )
    venv = layout.venv if layout is not None and layout.venv.is_dir() else Path(sys.prefix)
    insecure = False
    try:
        check_sandbox(venv)
    except SandboxUnavailable:
        insecure = True
        if progress:
            progress("(no sandbox here: running your own notebook without isolation)")
    with sandbox_slot() as slot:
        results, notes = run_public_checks(
            notebook, public=public, venv=venv, slot=slot, insecure=insecure
        )
    return CheckReport(results, notes)


def _metadata_checks(path: Path) -> dict[str, str]:
    """grade_id -> public asserts kept in a released notebook's metadata ({} if none or unreadable)."""
    try:
        meta = conventions.course_metadata(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}
    checks = meta.get("public_checks")
    if not isinstance(checks, dict):
        return {}
    return {conventions.check_id(k): v for k, v in checks.items() if isinstance(v, str)}


def find_public_checks(
    notebook: Path, *, layout: CourseLayout | None, assignment: str | None
) -> tuple[str | None, dict[str, str]]:
    """The assignment and its public checks (grade_id -> asserts) for a student's notebook.

    Needs no ``source/``: the checks come from the course's released notebook, else from the
    student's notebook itself (a release keeps them in its metadata), else, in an instructor's
    checkout of an older release, from the source notebook.
    """
    if assignment is None:
        try:
            assignment = conventions.course_metadata(json.loads(notebook.read_text())).get(
                "assignment"
            )
        except (OSError, ValueError):
            assignment = None
    if assignment is None and layout is not None:
        assignment = {layout.notebook_name(a): a for a in layout.assignments()}.get(notebook.name)
    if layout is not None and assignment is not None:
        layout.check_assignment(assignment)
        released = _metadata_checks(layout.release_notebook(assignment))
        if released:
            return assignment, released
    own = _metadata_checks(notebook)
    if (
        own
        or layout is None
        or assignment is None
        or not layout.source_notebook(assignment).is_file()
    ):
        return assignment, own
    from nncourse.release.public_checks import public_checks

    return assignment, public_checks(layout.source_notebook(assignment))


def run_public_checks(
    notebook: Path,
    *,
    public: dict[str, str],
    venv: Path,
    slot: int,
    limits: GradingLimits = GradingLimits(),
    insecure: bool = False,
) -> tuple[list[CheckResult], list[str]]:
    """Run setup, solution, own and check cells in order; report each check cell.

    Args:
        notebook: the student's notebook.
        public: grade_id -> public asserts (from the source notebook); they replace the notebook's
            ``grader.check`` cells, so the checks run without otter and cannot have been edited.
        venv, slot, limits, insecure: the sandbox.

    Returns:
        The check results and the errors of other cells (an error there explains failing checks).
    """
    parsed = read_notebook(notebook, max_bytes=limits.notebook_bytes)
    cells = [
        replace(c, source=public[c.grade_id]) if c.kind == "check" and c.grade_id in public else c
        for c in parsed.runnable(include_checks=True)
    ]
    by_index = {cell.index: cell for cell in cells}
    spec = SandboxSpec(venv=venv, slot=slot, limits=limits, insecure=insecure)
    with Worker([{"index": c.index, "source": c.source} for c in cells], spec) as worker:
        run = worker.run_cells(timeout=limits.cells_seconds)
    outcomes = {entry["index"]: entry for entry in run.cells}
    results, other_errors = [], []
    for cell in cells:
        entry = outcomes.get(cell.index)
        error = entry.get("error") if entry else None
        if cell.kind == "check":
            item = conventions.checked_item(cell.grade_id) or ""
            if entry is None:
                message = "did not run (an earlier cell hung or crashed)"
                if run.timed_out_cell is not None:
                    message = (
                        f"did not run: {conventions.cell_name(run.timed_out_cell)} did not finish "
                        f"in {limits.cells_seconds:g} s"
                    )
                results.append(CheckResult(item, False, message))
            elif error and error.get("type") == "NotImplementedError":
                results.append(CheckResult(item, False, "not implemented yet"))
            elif error:
                where = f" ({error['where']})" if error.get("where") else ""
                results.append(
                    CheckResult(item, False, f"{error.get('type')}{where}: {error.get('message')}")
                )
            else:
                results.append(CheckResult(item, True, ""))
        elif error:
            label = by_index[cell.index].grade_id or "your cell"
            other_errors.append(
                f"{conventions.cell_name(cell.index)} ({label}): {error.get('type')}: "
                f"{error.get('message')}"
            )
    return results, list(parsed.notes) + other_errors
