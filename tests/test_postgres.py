"""The gradebook on a real PostgreSQL server that the tests start themselves (tests/pg_server.py).

One toy course with two assignments is graded into one PostgreSQL database through real sandboxed
batches: the first assignment through the API, graded again with ``--regrade``, the second through
the ``nncourse grade --db postgresql+psycopg2://...`` command; nbgrader's own ``export`` reads the
scores back. Without PostgreSQL installed these tests fail (they never skip).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, TOY, toy_notebook
from pg_server import PostgresMissing, ThrowawayPostgres

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.grading.gradebook import open_gradebook
from nncourse.layout import CourseLayout

pytestmark = pytest.mark.timeout(400)

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
FIRST, SECOND = "01-toy", "02-toy"
STUDENTS = ("alice", "bob", "carol")
DB = "gradebook"


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server of its own, stopped (by pg_ctl, or its pid killed) after the module."""
    try:
        postgres = ThrowawayPostgres()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.stop()
    assert postgres.pid is None or not Path(f"/proc/{postgres.pid}").exists()


def _cohort(submitted: Path, assignment: str) -> None:
    toy_notebook(submitted / "alice" / assignment / "toy.ipynb")  # full marks
    toy_notebook(submitted / "bob" / assignment / "toy.ipynb", body="    return x + 2")  # 1 of 3
    toy_notebook(submitted / "carol" / assignment / "toy.ipynb", body="    raise ValueError()")


def _gradebook_scores(url: str, assignment: str) -> dict[str, float]:
    with open_gradebook(url, course_id="toy") as book:
        return {s.student.id: s.score for s in book.assignment_submissions(assignment)}


def _results(out: Path, assignment: str) -> dict[str, float]:
    return {
        p.parts[-3]: json.loads(p.read_text())["score"]
        for p in out.glob(f"*/{assignment}/results.json")
    }


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory):
    """Three batches into one database; each step's scores and connection counts."""
    tmp = tmp_path_factory.mktemp("postgres")
    root = tmp / "toycourse"
    shutil.copytree(TOY, root)
    for folder in ("source", "autograders"):  # a second assignment, the same toy notebook
        shutil.copytree(root / folder / FIRST, root / folder / SECOND)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    layout = CourseLayout(root)
    url = server.createdb(DB)
    submitted = tmp / "submitted"
    for assignment in (FIRST, SECOND):
        _cohort(submitted, assignment)
    steps: dict = {"url": url, "root": root, "tmp": tmp}

    def batch(name: str, **options) -> None:
        before = server.connections_to(DB)
        summary = grade(
            submitted,
            layout=layout,
            assignment=FIRST,
            out=tmp / "out-first",
            jobs=2,
            limits=FAST,
            db_url=url,
            **options,
        )
        steps[name] = {
            "summary": summary,
            "connections": server.connections_to(DB) - before,
            "results": _results(tmp / "out-first", FIRST),
            "gradebook": _gradebook_scores(url, FIRST),
        }

    batch("first")
    batch("regrade", regrade=True)
    cli = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "nncourse"),
            "grade",
            str(submitted),
            "--assignment",
            SECOND,
            "--out",
            str(tmp / "out-second"),
            "--jobs",
            "2",
            "--db",
            url,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    steps["second"] = {
        "cli": cli,
        "results": _results(tmp / "out-second", SECOND),
        "gradebook": _gradebook_scores(url, SECOND),
        "first_after": _gradebook_scores(url, FIRST),
    }
    return steps


def test_every_score_reaches_the_postgresql_gradebook(runs):
    first = runs["first"]
    assert set(first["results"]) == set(STUDENTS), "every student graded"
    assert first["results"]["alice"] == 3.0 and first["results"]["bob"] == 1.0
    assert first["gradebook"] == pytest.approx(first["results"]), (
        "the gradebook holds exactly the scores of results.json"
    )


def test_the_batch_writes_through_one_gradebook_connection(runs):
    # one nbgrader Gradebook kept open for the batch: one connection, not one per student
    assert 1 <= runs["first"]["connections"] <= 2, (
        f"{runs['first']['connections']} connections to the gradebook for {len(STUDENTS)} students"
    )


def test_a_regrade_overwrites_and_adds_no_rows(runs, server):
    regrade = runs["regrade"]
    assert regrade["summary"].graded == len(STUDENTS), "--regrade grades everyone again"
    assert regrade["gradebook"] == runs["first"]["gradebook"], "same scores after the regrade"
    rows = {
        table: server.sql(f"SELECT count(*) FROM {table}", database=DB)[0][0]
        for table in ("student", "submitted_assignment", "submitted_notebook", "grade")
    }
    # two assignments of three students, one rubric item (``double``) each: nothing doubled
    assert rows == {"student": 3, "submitted_assignment": 6, "submitted_notebook": 6, "grade": 6}


def test_the_command_line_grades_a_second_assignment_into_the_same_database(runs):
    second = runs["second"]
    assert second["cli"].returncode == 0, second["cli"].stderr[-3000:]
    assert "postgresql+psycopg2://" in second["cli"].stderr, "the progress names the gradebook"
    assert second["gradebook"] == pytest.approx(second["results"])
    assert set(second["results"]) == set(STUDENTS)
    assert second["first_after"] == runs["first"]["gradebook"], "the first assignment untouched"


def test_nbgrader_export_reads_both_assignments_back(runs, tmp_path):
    exported = tmp_path / "grades.csv"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "nbgrader"),
            "export",
            f"--db={runs['url']}",
            "--course=toy",
            f"--CsvExportPlugin.to={exported}",
        ],
        cwd=runs["root"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = list(csv.DictReader(exported.open(newline="")))
    scores = {(row["assignment"], row["student_id"]): float(row["score"]) for row in rows}
    expected = {(FIRST, s): score for s, score in runs["first"]["results"].items()}
    expected |= {(SECOND, s): score for s, score in runs["second"]["results"].items()}
    assert scores == pytest.approx(expected)
