"""`nncourse release`: student versions, executed solutions, otter checks, proof of soundness, drift."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nncourse import notebook_conventions as conventions
from nncourse.grading.rubric import rubric_points, written_rubric
from nncourse.layout import CourseLayout
from nncourse.release.publish import release
from nncourse.release.verify import verify_student_version

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = CourseLayout(REPO).assignments()


def _readme_rubric() -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """The README's rubric table: assignment -> ({item: points}, {written answer: points})."""

    def entries(cell: str) -> dict[str, float]:
        if cell.strip() == "–":
            return {}
        return {
            item: float(points) for item, points in (e.rsplit(" ", 1) for e in cell.split(", "))
        }

    table = {}
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| (\d\d-[a-z0-9-]+) \| (.+) \| (.+) \|", line.strip())
        if match:
            table[match.group(1)] = (entries(match.group(2)), entries(match.group(3)))
    return table


def _quiet(_line):
    pass


def test_toy_release_publishes_a_stubbed_student_version_with_otter_checks(toy, capfd):
    report = release(toy, cohort="2027-spring", progress=_quiet)
    assert report.ok, report.problems
    assert "without encryption" not in capfd.readouterr().err, (
        "the kernel's log reached the terminal"
    )
    student = toy.release_notebook("01-toy")
    data = json.loads(student.read_text())
    assert data["metadata"]["nncourse"]["cohort"] == "2027-spring"
    assert data["metadata"]["nncourse"]["course_id"] == "nn-pytorch-2027-spring"
    sources = {conventions.grade_id(c): conventions.source_text(c) for c in data["cells"]}
    assert "raise NotImplementedError()" in sources[
        "double"
    ] and "2 * np.asarray" not in json.dumps(data)
    assert sources["test_double"] == 'grader.check("double")'
    assert (toy.release / "01-toy" / "checks" / "double.py").is_file()
    assert (toy.release / "cohort.txt").read_text().strip() == "2027-spring"
    solution = json.loads(toy.solution_notebook("01-toy").read_text())
    assert "BEGIN SOLUTION" not in json.dumps(solution)
    assert any(c.get("outputs") for c in solution["cells"] if c["cell_type"] == "code")
    assert release(toy, check=True, progress=_quiet).ok, "a fresh release is up to date"


def test_release_check_reports_a_hand_edited_or_extra_release_file(toy):
    assert release(toy, progress=_quiet).ok
    student = toy.release_notebook("01-toy")
    student.write_text(student.read_text().replace("Twice x.", "Twice x!"))
    (toy.release / "01-toy" / "hidden_tests.py").write_text("leak = 1\n")
    problems = release(toy, check=True, progress=_quiet).problems
    assert any("toy.ipynb is out of date" in p for p in problems)
    assert any("hidden_tests.py is not generated" in p for p in problems)


def test_an_unchanged_release_keeps_the_solution_outputs_and_a_changed_source_refreshes_them(toy):
    first = release(toy, progress=_quiet)
    assert first.ok and first.changes == {"01-toy": "new"}
    path = toy.solution_notebook("01-toy")
    data = json.loads(path.read_text())
    cell = next(c for c in data["cells"] if c["cell_type"] == "code" and c.get("outputs"))
    cell["outputs"] = [
        {"name": "stdout", "output_type": "stream", "text": ["training took 0.9 s\n"]}
    ]
    path.write_text(json.dumps(data))  # as a run with other timings would have left it
    before = path.read_bytes()
    again = release(toy, progress=_quiet)
    assert again.ok and again.changes == {"01-toy": "unchanged"}
    assert path.read_bytes() == before, (
        "a release with unchanged sources must leave git status clean"
    )
    source = toy.source_notebook("01-toy")
    source.write_text(source.read_text().replace("Twice x.", "Twice x, again."))
    changed = release(toy, progress=_quiet)
    assert changed.ok and changed.changes == {"01-toy": "1 cell changed (76662790)"}
    assert "Twice x, again." in path.read_text() and "training took 0.9 s" not in path.read_text()


def test_verification_catches_leaked_solution_lines_and_missing_stubs(toy, tmp_path):
    assert release(toy, progress=_quiet).ok
    leaked = tmp_path / "toy.ipynb"
    notebook = nbformat.read(toy.release_notebook("01-toy"), as_version=4)
    for cell in notebook.cells:
        if conventions.grade_id(cell) == "double":
            cell.source = (
                'def double(x):\n    """Twice x."""\n    return 2 * np.asarray(x, dtype=float)'
            )
    nbformat.write(notebook, leaked)
    problems = verify_student_version(toy.source_notebook("01-toy"), leaked)
    assert any("solution line leaked" in p for p in problems)
    assert any("double is not a NotImplementedError stub" in p for p in problems)


def test_a_release_notebook_alone_in_an_empty_folder_runs_its_checks(toy, tmp_path):
    assert release(toy, progress=_quiet).ok
    folder = tmp_path / "student"
    folder.mkdir()  # the notebook only: no checks/ folder, no course, no otter needed
    shutil.copy(toy.release_notebook("01-toy"), folder / "toy.ipynb")
    outputs = {}
    for label, body in (
        ("stub", None),
        ("done", "    return 2 * np.asarray(x, dtype=float)"),
        ("wrong", "    return x * 3"),
    ):
        notebook = nbformat.read(folder / "toy.ipynb", as_version=4)
        for cell in notebook.cells:
            if body and conventions.grade_id(cell) == "double":
                cell.source = "def double(x):\n" + body
        notebook.cells.append(nbformat.v4.new_code_cell('grader.check("nothing")'))
        NotebookClient(
            notebook,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
        errors = [
            o
            for c in notebook.cells
            if c.cell_type == "code" and "grader" in c.source
            for o in c.outputs
            if o["output_type"] == "error"
        ]
        assert not errors, f"{label}: a check cell shows a traceback: {errors}"
        texts = [
            "".join(o.get("text", ""))
            for c in notebook.cells
            if c.cell_type == "code"
            for o in c.outputs
        ]
        outputs[label] = [line for text in texts for line in text.splitlines()]
    assert "the course's packages are all installed" in outputs["done"]
    assert "double: all public checks pass" in outputs["done"]
    assert "double: not implemented yet" in outputs["stub"]
    assert any(
        line.startswith("double: FAILED: AssertionError") and "assert double(1) == 2" in line
        for line in outputs["wrong"]
    ), outputs["wrong"]
    assert (
        "nothing: this notebook has no public checks for it (is the name right?)" in outputs["done"]
    )


def test_the_release_publishes_the_student_requirements(toy):
    assert release(toy, progress=_quiet).ok
    lines = (toy.release / "requirements.txt").read_text().splitlines()
    assert (
        "torch==2.13.0" in lines
        and "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    )
    assert not [line for line in lines if line.startswith(("nbgrader", "pytest", "otter"))]
    data = json.loads(toy.release_notebook("01-toy").read_text())
    assert data["metadata"]["nncourse"]["public_checks"] == {"double": "assert double(1) == 2"}


def test_the_readme_rubric_table_is_the_rubric_of_the_source_notebooks(course):
    notebooks = {
        a: (rubric_points(course.source_notebook(a)), written_rubric(course.source_notebook(a)))
        for a in course.assignments()
    }
    table = _readme_rubric()
    assert list(table) == list(notebooks), "one README row per assignment, in order"
    for assignment, (points, written) in notebooks.items():
        assert table[assignment][0] == points, (
            f"README's rubric row for {assignment} differs from its source notebook's check cells"
        )
        assert table[assignment][1] == written, (
            f"README's written answers of {assignment} differ from its source notebook's"
        )
        assert sum(points.values()) == 20, f"{assignment} totals {sum(points.values()):g}, not 20"
    assert written_rubric(course.source_notebook("03-spiral")), "03-spiral asks a written question"
    assert written_rubric(course.source_notebook("05-weight-init")), "05 asks a written question"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_item_is_a_stub_in_the_committed_release(course, assignment):
    release_notebook = course.release_notebook(assignment)
    assert release_notebook.is_file(), f"{release_notebook} missing: run 'make release'"
    released = conventions.graded_items(json.loads(release_notebook.read_text()))
    assert set(rubric_points(course.source_notebook(assignment))) <= set(released)
    assert verify_student_version(course.source_notebook(assignment), release_notebook) == []


def test_the_committed_release_and_solutions_are_up_to_date(course):
    report = release(course, check=True, progress=_quiet)
    assert report.ok, "\n".join(report.problems)
    for assignment, seconds in report.seconds.items():
        assert seconds <= 60, (
            f"{assignment} took {seconds:.1f} s to run (budget 30 s on an idle machine)"
        )


def test_check_needs_only_the_release_in_a_students_copy(toy):
    assert release(toy, progress=_quiet).ok
    for folder in ("source", "solutions", "autograders"):
        shutil.rmtree(toy.root / folder)
    notebook = toy.release_notebook("01-toy")
    data = nbformat.read(notebook, as_version=4)
    for cell in data.cells:
        if conventions.grade_id(cell) == "double":
            cell.source = "def double(x):\n    return 2 * x"
    mine = toy.root / "mine.ipynb"
    nbformat.write(data, mine)
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "nncourse"), "check", str(mine)],
        cwd=toy.root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stdout.splitlines()[-2:] == [
        "PASS  double",
        "1 of 1 public checks pass. The hidden tests decide the grade.",
    ], proc.stderr
