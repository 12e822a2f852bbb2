"""`nncourse release`: build every student version and solution in scratch, prove them, then publish."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nncourse.layout import CourseLayout
from nncourse.release import student_cells
from nncourse.release.changes import notebook_changes
from nncourse.release.generate import committed_cohort, generate_student_version
from nncourse.release.public_checks import PYPROJECT
from nncourse.release.solutions import execute_solution
from nncourse.release.verify import verify_release_folder, verify_solution, verify_student_version

COHORT_FILE = "cohort.txt"
REQUIREMENTS_FILE = "requirements.txt"  # the student environment (release/student_cells.py)


def _requirements() -> str:
    return student_cells.requirements_text(student_cells.student_pins(PYPROJECT))


@dataclass
class ReleaseReport:
    """What a release (or a drift check) found."""

    cohort: str
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # assignment -> what changed in its notebook
    changes: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sources_of(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
        for c in cells
    ]


def release(
    layout: CourseLayout,
    *,
    assignments: list[str] | None = None,
    cohort: str | None = None,
    check: bool = False,
    progress: Callable[[str], None] = print,
) -> ReleaseReport:
    """Release assignments, or with ``check`` verify that the committed release is up to date.

    Args:
        layout: the course checkout.
        assignments: ids to release (default: all in ``source/``).
        cohort: cohort id recorded in the notebooks and the course id (default: the committed one).
        check: regenerate into a temporary folder and report any difference from ``release/`` and
            ``solutions/`` instead of writing them.
        progress: receives one line per step.
    """
    ids = [layout.check_assignment(a) for a in assignments] if assignments else layout.assignments()
    report = ReleaseReport(cohort=cohort or committed_cohort(layout))
    with tempfile.TemporaryDirectory(prefix="nncourse-release-") as scratch_name:
        scratch = Path(scratch_name)
        built = {}
        for assignment in ids:
            progress(f"{assignment}: generating the student version with nbgrader")
            student = generate_student_version(
                layout, assignment, scratch=scratch, cohort=report.cohort
            )
            report.changes[assignment] = notebook_changes(
                layout.release_notebook(assignment), student
            )
            report.problems += verify_student_version(layout.source_notebook(assignment), student)
            report.problems += verify_release_folder(student.parent, student.name)
            progress(f"{assignment}: executing the solution notebook")
            solution = scratch / "solutions" / assignment / student.name
            try:
                report.seconds[assignment] = execute_solution(
                    layout.source_notebook(assignment),
                    solution,
                    cohort=report.cohort,
                    assignment=assignment,
                )
            except RuntimeError as exc:
                report.problems.append(str(exc))
                continue
            report.problems += verify_solution(solution)
            progress(f"{assignment}: ran in {report.seconds[assignment]:.1f} s")
            built[assignment] = (student, solution)
        if check:
            report.problems += _drift(layout, built, report.cohort)
        elif report.ok:
            _publish(layout, built, report.cohort)
    return report


def _drift(layout: CourseLayout, built: dict, cohort: str) -> list[str]:
    problems = []
    cohort_file = layout.release / COHORT_FILE
    if not cohort_file.is_file() or cohort_file.read_text().strip() != cohort:
        problems.append(f"release/{COHORT_FILE} does not record cohort {cohort!r}")
    requirements = layout.release / REQUIREMENTS_FILE
    if not requirements.is_file() or requirements.read_text(encoding="utf-8") != _requirements():
        problems.append(f"release/{REQUIREMENTS_FILE} is out of date: run 'make release'")
    for assignment, (student, solution) in built.items():
        for generated in sorted(p for p in student.parent.rglob("*") if p.is_file()):
            relative = generated.relative_to(student.parent.parent)
            committed = layout.release / relative
            if not committed.is_file() or committed.read_bytes() != generated.read_bytes():
                problems.append(f"release/{relative} is out of date: run 'make release'")
        extra = {
            p.relative_to(layout.release)
            for p in (layout.release / assignment).rglob("*")
            if p.is_file()
        } - {p.relative_to(student.parent.parent) for p in student.parent.rglob("*") if p.is_file()}
        problems += [f"release/{p} is not generated from source/: remove it" for p in sorted(extra)]
        committed_solution = layout.solution_notebook(assignment)
        if not committed_solution.is_file() or _sources_of(committed_solution) != _sources_of(
            solution
        ):
            problems.append(
                f"solutions/{assignment}/{solution.name} is out of date: run 'make release'"
            )
        else:
            problems += verify_solution(committed_solution)
    return problems


def _same_solution(committed: Path, built: Path) -> bool:
    """Same cells and metadata: then only run-dependent outputs (timings, timestamps) can differ."""
    if not committed.is_file():
        return False
    metadata = json.loads(committed.read_text(encoding="utf-8")).get("metadata")
    return _sources_of(committed) == _sources_of(built) and metadata == json.loads(
        built.read_text(encoding="utf-8")
    ).get("metadata")


def _publish(layout: CourseLayout, built: dict, cohort: str) -> None:
    layout.release.mkdir(exist_ok=True)
    (layout.release / COHORT_FILE).write_text(cohort + "\n", encoding="utf-8")
    (layout.release / REQUIREMENTS_FILE).write_text(_requirements(), encoding="utf-8")
    for assignment, (student, solution) in built.items():
        for folder, generated in (
            (layout.release / assignment, student.parent),
            (layout.solutions / assignment, solution.parent),
        ):
            if generated == solution.parent and _same_solution(
                layout.solution_notebook(assignment), solution
            ):
                continue  # keep the committed outputs, so that an unchanged release leaves git status clean
            if folder.exists():
                shutil.rmtree(folder)
            shutil.copytree(generated, folder)
