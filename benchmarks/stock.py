"""Stock nbgrader as the benchmark's baseline: a temporary course, `generate_assignment`, `autograde`.

The course's source notebook is ours with two changes that make nbgrader do the same work as
`nncourse grade`:

* each grade cell ``test_<item>`` holds only a hidden block that runs ``autograders/<id>/test_<item>.py``
  in the kernel (:mod:`benchmarks.kernel_shim`) and returns the points earned (partial credit);
* demo cells (and the release's own locked cells: install, public checks) are guarded with
  nbgrader's documented ``NBGRADER_EXECUTION`` idiom, because our grader does not run them either. They are locked cells,
  so nbgrader restores the guarded version into every submission.

The submissions are copied unchanged. ``nbgrader autograde`` runs once per assignment, serially (as
nbgrader does), with timestamps in its log: a notebook's wall time runs from the first log line that
names its student to the first line of the next student (or the end of the run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.layout import CourseLayout

CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "nncourse-bench"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__"]
# as in the course's nbgrader_config.py: the standard kernel, a timeout for training cells, and library
# warnings on stderr not scored as failures
c.Execute.kernel_name = "python3"
c.Execute.timeout = 120
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r".*(Warning|warn).*"
"""

_GUARD = (
    "import os as _os\n"
    'if _os.environ.get("NBGRADER_EXECUTION") != "autograde":  # demo: not run by the autograder\n'
    "    exec({source!r})\n"
)

_HIDDEN = (
    "# hidden tests (nncourse bench: autograders/{assignment}/test_{item}.py, run in this kernel)\n"
    "### BEGIN HIDDEN TESTS\n"
    "import sys\n"
    "sys.path.insert(0, {repo!r})  # the benchmarks package is not installed\n"
    "from benchmarks.kernel_shim import run_hidden_tests\n"
    "run_hidden_tests({test_file!r}, globals(), source={source!r}, points={points!r})\n"
    "### END HIDDEN TESTS\n"
)

_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d+) (.*)$")
REPO = Path(__file__).resolve().parent.parent
_meta = conventions.nbgrader
_source = conventions.source_text
_id = conventions.grade_id


def stock_source_notebook(layout: CourseLayout, assignment: str) -> dict:
    """Our source notebook with hidden-test grade cells and guarded demo cells (see the module doc)."""
    data = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
    release = json.loads(layout.release_notebook(assignment).read_text(encoding="utf-8"))
    tests = layout.autograder_dir(assignment)
    for cell in data["cells"]:
        kind, item = (
            conventions.cell_kind(cell),
            conventions.checked_item(conventions.grade_id(cell)),
        )
        if not conventions.is_code(cell):
            continue
        if conventions.is_grade(cell) and item:
            test_file = tests / f"test_{item}.py"
            if test_file.is_file():
                cell["source"] = _HIDDEN.format(
                    assignment=assignment,
                    item=item,
                    test_file=str(test_file),
                    repo=str(REPO),
                    source=str(layout.source_notebook(assignment)),
                    points=float(_meta(cell).get("points", 0)),
                )
            else:
                cell["source"] = (
                    f"# no hidden tests for {item}\n### BEGIN HIDDEN TESTS\n0.0\n### END HIDDEN TESTS\n"
                )
        elif kind == "demo":
            cell["source"] = _GUARD.format(source=_source(cell))
    # the release's extra locked cells (install, public checks), guarded like any demo, in place
    ids = [_id(c) for c in data["cells"]]
    for index, cell in enumerate(release["cells"]):
        grade_id = _id(cell)
        if grade_id and grade_id not in ids and conventions.is_code(cell):
            previous = next(
                (_id(c) for c in reversed(release["cells"][:index]) if _id(c) in ids), None
            )
            extra = json.loads(json.dumps(cell))
            extra["source"] = _GUARD.format(source=_source(cell))
            extra["metadata"]["nbgrader"]["cell_type"] = "code"
            extra.pop("id", None)
            at = ids.index(previous) + 1 if previous else 0
            data["cells"].insert(at, extra)
            ids.insert(at, grade_id)
    for cell in data["cells"]:
        cell.pop("outputs", None) if cell["cell_type"] != "code" else cell.update(
            outputs=[], execution_count=None
        )
    return data


@dataclass
class StockRun:
    """One `nbgrader autograde <assignment>` run."""

    assignment: str
    students: list[str]
    wall: float = 0.0
    per_notebook: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    returncode: int = 0
    log_tail: str = ""


class StockCourse:
    """A temporary nbgrader course folder for the benchmark."""

    def __init__(self, layout: CourseLayout, root: Path):
        self.layout = layout
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)), encoding="utf-8")

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        bin_dir = str(self.layout.venv / "bin")
        # alembic, and `python` for the kernel
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env["VIRTUAL_ENV"] = str(self.layout.venv)
        env.pop("MPLBACKEND", None)  # the kernel's inline backend, as in a normal nbgrader run
        env.setdefault("OMP_NUM_THREADS", "1")
        env["PYTHONWARNINGS"] = "ignore"
        return env

    def _nbgrader(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        command = [
            str(self.layout.venv / "bin" / "nbgrader"),
            *args,
            "--Application.log_datefmt=%Y-%m-%d %H:%M:%S",
            "--Application.log_format=%(asctime)s.%(msecs)03d [%(name)s | %(levelname)s] %(message)s",
        ]
        return subprocess.run(
            command,
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def generate(self, assignment: str) -> float:
        """Write the stock source notebook and run `nbgrader generate_assignment`; returns its wall time."""
        folder = self.root / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        notebook = folder / self.layout.notebook_name(assignment)
        notebook.write_text(
            json.dumps(stock_source_notebook(self.layout, assignment), indent=1), encoding="utf-8"
        )
        started = time.monotonic()
        done = self._nbgrader("generate_assignment", assignment, "--force", timeout=600)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
        return seconds

    def autograde(
        self,
        assignment: str,
        students: list[str],
        *,
        timeout: float = 3600,
        student_glob: str = "*",
    ) -> StockRun:
        """`nbgrader autograde ASSIGNMENT` for the students in submitted/ that ``student_glob``
        matches; per-notebook times from its log."""
        run = StockRun(assignment=assignment, students=list(students))
        started = time.monotonic()
        done = self._nbgrader(
            "autograde", assignment, "--force", f"--student={student_glob}", timeout=timeout
        )
        run.wall = time.monotonic() - started
        run.returncode = done.returncode
        log = done.stdout + done.stderr
        run.log_tail = log[-3000:]
        run.per_notebook = per_notebook_times(log, students, end=_last_time(log))
        run.scores = self.scores(assignment)
        return run

    def scores(self, assignment: str) -> dict[str, float]:
        """Total auto score per student from nbgrader's gradebook."""
        from nbgrader.api import Gradebook

        scores = {}
        with Gradebook(
            f"sqlite:///{self.root}/gradebook.db", course_id="nncourse-bench"
        ) as gradebook:
            for submission in gradebook.assignment_submissions(assignment):
                scores[submission.student_id] = float(submission.score)
        return scores


def _parse_time(text: str) -> float:
    return datetime.strptime(text.replace(",", "."), "%Y-%m-%d %H:%M:%S.%f").timestamp()


def _last_time(log: str) -> float | None:
    for line in reversed(log.splitlines()):
        match = _LINE.match(line)
        if match:
            return _parse_time(match.group(1))
    return None


def per_notebook_times(log: str, students: list[str], *, end: float | None) -> dict[str, float]:
    """Seconds per student: from the first log line naming the student to the next student's first line."""
    first: dict[str, float] = {}
    for line in log.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        for student in students:
            if student not in first and (
                f"/{student}/" in match.group(2) or f"'{student}'" in match.group(2)
            ):
                first[student] = _parse_time(match.group(1))
    ordered = sorted(first.items(), key=lambda kv: kv[1])
    times = {}
    for (student, start), following in zip(ordered, [*ordered[1:], (None, end)]):
        if following[1] is not None:
            times[student] = following[1] - start
    return times


def python_for(layout: CourseLayout) -> str:
    return (
        str(layout.venv / "bin" / "python")
        if (layout.venv / "bin" / "python").exists()
        else sys.executable
    )


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
