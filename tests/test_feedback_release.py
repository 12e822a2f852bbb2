"""Feedback reaches students through nbgrader's exchange, and shows each rubric line when it should.

The real flow, with a local exchange folder: a student runs `nbgrader submit`, the instructor
`nbgrader collect`, then `nncourse grade` writes the pages into the course's `feedback/` tree,
`nbgrader release_feedback` publishes them and the student's `nbgrader fetch_feedback` gets them.
The toy course's array line is marked `@pytest.mark.visibility("after_due_date")`: graded with
`before_deadline`, the student's page leaves it out; the rerun after the deadline shows it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, TOY, toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.layout import CourseLayout

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
A = "01-toy"
NBGRADER = str(REPO / ".venv" / "bin" / "nbgrader")
ARRAY_LINE = "doubles an array elementwise"


def _nbgrader(*args: str, cwd: Path, exchange: Path, cache: Path) -> None:
    # alembic
    env = dict(os.environ, PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [NBGRADER, *args, f"--Exchange.root={exchange}", f"--Exchange.cache={cache}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"nbgrader {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"


def _fetched(home: Path) -> str:
    pages = sorted(home.glob(f"{A}/feedback/*/toy.html"))
    assert len(pages) == 1, f"fetched pages: {pages}"
    return pages[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """(pages before the deadline, pages after it, OUT, gradebook path) for alice and bob."""
    tmp = tmp_path_factory.mktemp("exchange")
    root = tmp / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    tests = root / "autograders" / A / "test_double.py"
    tests.write_text(
        tests.read_text().replace(
            "@pytest.mark.points(2)",
            '@pytest.mark.points(2)\n@pytest.mark.visibility("after_due_date")',
        )
    )
    exchange, cache = tmp / "exchange", tmp / "cache"
    (exchange / "toy" / "inbound").mkdir(parents=True)
    (exchange / "toy" / "outbound" / A).mkdir(parents=True)
    toy_notebook(
        exchange / "toy" / "outbound" / A / "toy.ipynb", body="    raise NotImplementedError()"
    )
    homes = {"alice": None, "bob": "    return x + 2"}
    for student, body in homes.items():
        home = tmp / "home" / student
        toy_notebook(home / A / "toy.ipynb", body=body)
        _nbgrader(
            "submit",
            A,
            "--course=toy",
            f"--student={student}",
            f"--Exchange.assignment_dir={home}",
            cwd=home,
            exchange=exchange,
            cache=cache / student,
        )
    _nbgrader("collect", A, cwd=root, exchange=exchange, cache=cache / "staff")
    out, db = tmp / "out", tmp / "gradebook.db"
    pages = {}
    for phase, before in (("before", True), ("after", False)):
        grade(
            root / "submitted",
            layout=CourseLayout(root),
            assignment=A,
            out=out,
            jobs=2,
            limits=FAST,
            db_url=f"sqlite:///{db}",
            progress=lambda _: None,
            before_deadline=before,
        )
        _nbgrader("release_feedback", A, cwd=root, exchange=exchange, cache=cache / "staff")
        pages[phase] = {}
        for student in homes:
            home = tmp / "home" / student
            shutil.rmtree(home / A / "feedback", ignore_errors=True)
            _nbgrader(
                "fetch_feedback",
                A,
                "--course=toy",
                f"--student={student}",
                f"--Exchange.assignment_dir={home}",
                cwd=home,
                exchange=exchange,
                cache=cache / student,
            )
            pages[phase][student] = _fetched(home)
    return pages["before"], pages["after"], out, db, root


def test_nbgrader_release_and_fetch_feedback_deliver_the_page_nncourse_wrote(delivered):
    _, after, out, _, root = delivered
    for student in ("alice", "bob"):
        assert after[student] == (out / student / A / "feedback.html").read_text(encoding="utf-8")
        assert (root / "feedback" / student / A / "toy.html").is_file()
        assert (root / "feedback" / student / A / "submission_secret.txt").is_file()
    assert "3 / 3 points" in after["alice"] and "1 / 3 points" in after["bob"]


def test_before_the_deadline_the_page_shows_only_visible_lines(delivered):
    before, _, _, _, _ = delivered
    assert "doubles a scalar" in before["bob"]
    assert ARRAY_LINE not in before["bob"] and "double: wrong values" not in before["bob"]
    assert "shown after the due date" in before["bob"]


def test_after_the_deadline_a_rerun_shows_every_line_without_grading_again(delivered):
    _, after, out, _, _ = delivered
    assert ARRAY_LINE in after["bob"] and "double: wrong values" in after["bob"]
    assert "shown after the due date" not in after["bob"]
    records = (out / "journal.jsonl").read_text().splitlines()
    assert len(records) == 2, "the rerun after the deadline grades nothing; it rewrites the pages"


def test_results_and_gradebook_keep_every_line_and_score(delivered):
    _, _, out, db, _ = delivered
    bob = json.loads((out / "bob" / A / "results.json").read_text())
    lines = {t["name"]: t for t in bob["tests"]}
    array = next(t for name, t in lines.items() if ARRAY_LINE in name)
    assert array["visibility"] == "after_due_date" and array["output"] == "double: wrong values"
    alice = json.loads((out / "alice" / A / "results.json").read_text())
    assert alice["score"] == 3.0
    with sqlite3.connect(db) as connection:
        scores = dict(
            connection.execute(
                "select s.student_id, g.auto_score from grade g "
                "join submitted_notebook n on g.notebook_id = n.id "
                "join submitted_assignment s on n.assignment_id = s.id"
            )
        )
    assert scores == {"alice": 3.0, "bob": 1.0}, (
        "the gradebook counts lines students cannot see yet"
    )
