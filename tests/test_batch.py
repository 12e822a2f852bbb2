"""`nncourse grade` on a folder: parallel equals serial, reruns resume, grades reach nbgrader."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.grading.batch import read_journal

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def submitted(tmp_path):
    root = tmp_path / "submitted"
    toy_notebook(root / "alice" / "01-toy" / "toy.ipynb")
    toy_notebook(root / "bob" / "01-toy" / "toy.ipynb", body="    return x + 2")
    toy_notebook(
        root / "carol" / "01-toy" / "my-copy.ipynb", body="    raise NotImplementedError()"
    )
    (root / "dave" / "01-toy").mkdir(parents=True)
    (root / "dave" / "01-toy" / "toy.ipynb").write_text("{broken")
    (root / "erin" / "01-toy").mkdir(parents=True)
    return root


def _grade_toy(toy, submitted, out, db_url: str, **options):
    """The toy course's batch, quietly, with FAST limits."""
    return grade(
        submitted,
        layout=toy,
        assignment="01-toy",
        out=out,
        limits=FAST,
        db_url=db_url,
        progress=lambda _: None,
        **options,
    )


def _results(out):
    data = {}
    for path in sorted(out.glob("*/01-toy/results.json")):
        result = json.loads(path.read_text())
        result.pop("execution_time")
        data[result["student"]] = result
    return data


def test_parallel_grading_matches_serial_and_every_student_is_recorded_once(
    toy, submitted, tmp_path
):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    _grade_toy(toy, submitted, serial, f"sqlite:///{tmp_path / 'a.db'}", jobs=1)
    _grade_toy(toy, submitted, parallel, f"sqlite:///{tmp_path / 'b.db'}", jobs=2)
    assert _results(serial) == _results(parallel)
    scores = {s: r["score"] for s, r in _results(parallel).items()}
    assert scores == {"alice": 3.0, "bob": 1.0, "carol": 0.0, "dave": 0.0, "erin": 0.0}
    statuses = {s: r["status"] for s, r in _results(parallel).items()}
    assert statuses["dave"] == "error" and "not valid JSON" in _results(parallel)["dave"]["error"]
    assert "no notebook" in _results(parallel)["erin"]["error"]
    assert any("graded my-copy.ipynb" in note for note in _results(parallel)["carol"]["notes"])
    rows = list(csv.DictReader((parallel / "grades.csv").read_text().splitlines()))
    assert sorted(r["student"] for r in rows) == ["alice", "bob", "carol", "dave", "erin"]
    feedback = (parallel / "bob" / "01-toy" / "feedback.html").read_text()
    assert "double: wrong values" in feedback and "1 / 3 points" in feedback


def test_a_rerun_grades_only_what_is_missing_or_changed(toy, submitted, tmp_path):
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'g.db'}"
    first = _grade_toy(toy, submitted, out, db)
    assert first.graded == 5
    again = _grade_toy(toy, submitted, out, db)
    assert (again.graded, again.skipped) == (0, 5)
    toy_notebook(submitted / "bob" / "01-toy" / "toy.ipynb")  # bob resubmits a fixed notebook
    third = _grade_toy(toy, submitted, out, db)
    assert (third.graded, third.skipped) == (1, 4)
    assert read_journal(out)["bob"]["score"] == 3.0
    lines = (out / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 6


def test_nbgrader_export_lists_the_scores(toy, submitted, tmp_path):
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'g.db'}"
    _grade_toy(toy, submitted, out, db)
    env = dict(os.environ, PATH=f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}")
    subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "nbgrader"),
            "export",
            f"--CourseDirectory.db_url={db}",
            "--CourseDirectory.course_id=toy",
            f"--to={tmp_path / 'export.csv'}",
        ],
        cwd=toy.root,
        env=env,
        check=True,
        capture_output=True,
    )
    rows = {
        r["student_id"]: float(r["score"])
        for r in csv.DictReader((tmp_path / "export.csv").read_text().splitlines())
    }
    assert rows == {"alice": 3.0, "bob": 1.0, "carol": 0.0, "dave": 0.0, "erin": 0.0}


def test_grade_refuses_without_a_sandbox_unless_insecure(toy, submitted, tmp_path):
    env = dict(os.environ, PATH="/usr/bin:/bin")
    script = (
        "import sys; from nncourse.sandbox import launcher; "
        "launcher.shutil.which = lambda tool: None; from nncourse.cli import main; sys.exit(main())"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "grade",
            str(submitted),
            "-a",
            "01-toy",
            "-o",
            str(tmp_path / "o"),
        ],
        cwd=toy.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert (
        "cannot grade safely" in proc.stderr
        and "bwrap" in proc.stderr
        and "--insecure" in proc.stderr
    )


def test_a_gradebook_that_cannot_be_written_stops_the_batch_with_its_name_and_loses_nothing(
    toy, submitted, tmp_path
):
    from nncourse.grading.gradebook import GradebookError

    out, broken = tmp_path / "out", tmp_path / "broken.db"
    with pytest.raises(GradebookError, match="no-such-folder.*does not exist"):
        _grade_toy(toy, submitted, out, f"sqlite:///{tmp_path / 'no-such-folder' / 'g.db'}")
    broken.write_text("this is not an SQLite database " * 100)
    with pytest.raises(GradebookError, match="broken.db could not be written"):
        _grade_toy(toy, submitted, out, f"sqlite:///{broken}")
    assert read_journal(out) == {}, "nothing counts as recorded while the gradebook fails"
    summary = _grade_toy(toy, submitted, out, f"sqlite:///{tmp_path / 'good.db'}")
    assert summary.graded == 5 and {r.student for r in summary.results} == {
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
    }
