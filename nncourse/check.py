"""`nncourse check`: a student's public checks, run the way the grader runs the notebook."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.config import GradingLimits
from nncourse.intake import read_notebook
from nncourse.layout import CourseLayout
from nncourse.sandbox.client import Worker
from nncourse.sandbox.launcher import SandboxSpec


@dataclass(frozen=True)
class CheckResult:
    """One public check cell: which item, whether it passed, and why not."""

    item: str
    passed: bool
    message: str


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


def find_public_checks(notebook: Path, *, layout: CourseLayout | None,
                       assignment: str | None) -> tuple[str | None, dict[str, str]]:
    """The assignment and its public checks (grade_id -> asserts) for a student's notebook.

    Needs no ``source/``: the checks come from the course's released notebook, else from the
    student's notebook itself (a release keeps them in its metadata), else, in an instructor's
    checkout of an older release, from the source notebook.
    """
    if assignment is None:
        try:
            assignment = conventions.course_metadata(json.loads(notebook.read_text())).get("assignment")
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
    if own or layout is None or assignment is None or not layout.source_notebook(assignment).is_file():
        return assignment, own
    from nncourse.release.otter_checks import public_checks

    return assignment, public_checks(layout.source_notebook(assignment))


def run_public_checks(notebook: Path, *, public: dict[str, str], venv: Path, slot: int,
                      limits: GradingLimits = GradingLimits(), insecure: bool = False
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
    cells = [replace(c, source=public[c.grade_id]) if c.kind == "check" and c.grade_id in public else c
             for c in parsed.runnable(include_checks=True)]
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
                    message = f"did not run: cell {run.timed_out_cell} did not finish in {limits.cells_seconds:g} s"
                results.append(CheckResult(item, False, message))
            elif error and error.get("type") == "NotImplementedError":
                results.append(CheckResult(item, False, "not implemented yet"))
            elif error:
                where = f" ({error['where']})" if error.get("where") else ""
                results.append(CheckResult(item, False, f"{error.get('type')}{where}: {error.get('message')}"))
            else:
                results.append(CheckResult(item, True, ""))
        elif error:
            label = by_index[cell.index].grade_id or "your cell"
            other_errors.append(f"cell {cell.index} ({label}): {error.get('type')}: {error.get('message')}")
    return results, list(parsed.notes) + other_errors
