"""Written answers: released as stubs, left for a TA in nbgrader's gradebook, the TA's grade shown.

A toy course with one written question is graded through the real engine (sandboxed) into a real
SQLite gradebook; the TA's score and comment are entered through nbgrader's own Gradebook API, the
way formgrader stores them, and must reach grades.csv, the feedback pages and the report, and
survive a regrade.
"""

from __future__ import annotations

import csv
import html
import json
import shutil

import pytest
from conftest import REPO, TOY, toy_notebook

from nncourse import notebook_conventions as conventions
from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.grading.gradebook import open_gradebook
from nncourse.layout import CourseLayout
from nncourse.report.refresh import refresh_report

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
A = "01-toy"
PROMPT = "**Question (written, 2 points).** Why does `double` return an array?"
MODEL = "Because `np.asarray` turns a scalar or a list into an array, and `2 *` is elementwise."
RUBRIC = ["1 point: asarray converts the input", "1 point: multiplication is elementwise"]
ANSWER = "It calls <script>alert('x')</script> np.asarray & multiplies."
COMMENT = "Right idea; say *why* <b>elementwise</b>."


def _with_question(notebook: dict) -> dict:
    """The toy notebook with a prompt and a written answer cell after the check cell."""
    prompt = {"cell_type": "markdown", "id": "md-why", "metadata": {}, "source": PROMPT}
    answer = {
        "cell_type": "markdown",
        "id": "written-why",
        "metadata": {
            "nbgrader": {
                "grade": True,
                "solution": True,
                "task": False,
                "locked": False,
                "points": 2,
                "grade_id": "written_why",
                "schema_version": 3,
            },
            "nncourse": {"question": "Why an array", "rubric": RUBRIC},
        },
        "source": MODEL,
    }
    notebook["cells"][3:3] = [prompt, answer]
    return notebook


def _toy_course(root) -> CourseLayout:
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    source = root / "source" / A / "toy.ipynb"
    source.write_text(json.dumps(_with_question(json.loads(source.read_text()))))
    return CourseLayout(root)


def _submission(path, answer: str | None, *, strip_metadata: bool = False) -> None:
    """A correct toy submission whose written answer cell holds ``answer`` (None: the stub)."""
    toy_notebook(path)
    data = _with_question(json.loads(path.read_text()))
    cell = next(c for c in data["cells"] if conventions.grade_id(c) == "written_why")
    cell["source"] = conventions.ANSWER_STUB if answer is None else answer
    if strip_metadata:  # copied into a fresh notebook: no nbgrader metadata anywhere
        for c in data["cells"]:
            c["metadata"] = {}
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Outputs after grading, after the TA's grade and a refresh, after a regrade and a rerun."""
    tmp = tmp_path_factory.mktemp("written")
    layout = _toy_course(tmp / "toycourse")
    sub, out, db = tmp / "submitted", tmp / "out", f"sqlite:///{tmp / 'gradebook.db'}"
    _submission(sub / "alice" / A / "toy.ipynb", ANSWER)
    _submission(sub / "bob" / A / "toy.ipynb", None)
    _submission(sub / "carol" / A / "toy.ipynb", "Stripped, still mine.", strip_metadata=True)
    steps: dict = {"out": out, "db": db, "layout": layout}

    def snapshot(name: str) -> None:
        rows = {
            r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())
        }
        pages = {s: (out / s / A / "feedback.html").read_text() for s in ("alice", "bob", "carol")}
        results = {s: json.loads((out / s / A / "results.json").read_text()) for s in pages}
        published = (tmp / "feedback" / "alice" / A / "toy.html").read_text()
        steps[name] = (rows, pages, results, (out / "report.html").read_text(), published)

    options = dict(layout=layout, assignment=A, out=out, jobs=2, limits=FAST, db_url=db)
    options["feedback_dir"] = tmp / "feedback"
    grade(sub, progress=lambda line: None, **options)
    snapshot("graded")
    with open_gradebook(db, course_id="toy") as gradebook:  # what formgrader stores for a TA
        notebook = gradebook.find_submission_notebook("toy", A, "alice")
        grade_ = next(g for g in notebook.grades if g.name == "written_why")
        steps["before TA"] = (grade_.auto_score, grade_.needs_manual_grade)
        grade_.manual_score = 1.5
        grade_.needs_manual_grade = False
        next(c for c in notebook.comments if c.name == "written_why").manual_comment = COMMENT
        gradebook.db.commit()
    refresh_report(out, layout=layout, assignment=A, progress=lambda line: None)
    snapshot("refreshed")
    grade(sub, progress=lambda line: None, regrade=True, **options)
    snapshot("regraded")
    grade(sub, progress=lambda line: None, **options)  # nothing to grade: pages rewritten
    snapshot("rerun")
    return steps


def test_an_answered_question_is_pending_and_needs_a_manual_grade_in_the_gradebook(runs):
    rows, pages, results, report, _ = runs["graded"]
    assert runs["before TA"] == (None, True), "formgrader must list alice's answer for a TA"
    assert rows["alice"]["written_why"] == "pending" and rows["alice"]["written_pending"] == "1"
    assert rows["alice"]["score"] == "3" and rows["alice"]["total"] == "3"
    assert rows["alice"]["total_max"] == "5", "3 autograded points plus 2 written"
    assert results["alice"]["score"] == 3.0 and results["alice"]["max_score"] == 3.0
    assert results["alice"]["written"][0]["answer"] == ANSWER
    assert "pending (a TA grades it)" in pages["alice"]
    assert "<script>" not in pages["alice"] and html.escape(ANSWER) in pages["alice"]
    assert "1 pending" in report and "Rubric for TAs" in report and RUBRIC[0] in report


def test_an_answer_without_metadata_is_found_after_its_prompt(runs):
    rows, pages, results, *_ = runs["graded"]
    assert results["carol"]["written"][0]["status"] == "pending"
    assert results["carol"]["written"][0]["answer"] == "Stripped, still mine."
    assert rows["carol"]["score"] == "3", "the stripped notebook still grades as the original"


def test_a_student_who_left_the_answer_empty_is_shown_as_such(runs):
    for step in ("graded", "refreshed", "regraded", "rerun"):
        rows, pages, results, report, _ = runs[step]
        assert rows["bob"]["written_why"] == "empty" and rows["bob"]["written_pending"] == "0", step
        assert "left empty" in pages["bob"], step
        assert "empty (0)" in report, step
    with open_gradebook(runs["db"], course_id="toy") as gradebook:
        notebook = gradebook.find_submission_notebook("toy", A, "bob")
        grade_ = next(g for g in notebook.grades if g.name == "written_why")
        comment = next(c for c in notebook.comments if c.name == "written_why")
        assert (grade_.auto_score, grade_.needs_manual_grade) == (0.0, False)
        assert comment.auto_comment == "No response.", "as nbgrader's autograde says it"


@pytest.mark.parametrize("step", ["refreshed", "regraded", "rerun"])
def test_the_tas_score_and_comment_reach_grades_csv_the_feedback_and_the_report(runs, step):
    rows, pages, results, report, published = runs[step]
    assert rows["alice"]["written_why"] == "1.5" and rows["alice"]["written_why_comment"] == COMMENT
    assert rows["alice"]["written_score"] == "1.5" and rows["alice"]["total"] == "4.5"
    assert rows["alice"]["written_pending"] == "0" and rows["carol"]["written_why"] == "pending"
    assert results["alice"]["written"][0]["status"] == "graded"
    assert results["alice"]["score"] == 3.0, "score stays the autograded part"
    assert "1.5 / 2" in pages["alice"] and html.escape(COMMENT) in pages["alice"]
    assert "<b>elementwise</b>" not in pages["alice"] + report, "a TA's comment is escaped too"
    assert "total 4.5 / 5" in pages["alice"]
    assert html.escape(COMMENT) in report and "1 graded (mean 1.5)" in report
    assert html.escape(COMMENT) in published, "the page nbgrader releases has the grade too"


def test_a_regrade_never_overwrites_the_tas_score_or_comment(runs):
    with open_gradebook(runs["db"], course_id="toy") as gradebook:
        notebook = gradebook.find_submission_notebook("toy", A, "alice")
        grade_ = next(g for g in notebook.grades if g.name == "written_why")
        comment = next(c for c in notebook.comments if c.name == "written_why")
        assert (grade_.manual_score, grade_.needs_manual_grade) == (1.5, False)
        assert comment.manual_comment == COMMENT
        assert gradebook.find_submission(A, "alice").score == 4.5, "nbgrader's total counts both"
        carol = gradebook.find_submission_notebook("toy", A, "carol")
        assert next(g for g in carol.grades if g.name == "written_why").needs_manual_grade


def test_the_release_stubs_the_answer_hides_the_rubric_and_the_solution_shows_the_model(tmp_path):
    from nncourse.release.publish import release
    from nncourse.release.verify import verify_student_version

    layout = _toy_course(tmp_path / "toycourse")
    report = release(layout, progress=lambda line: None)
    assert report.ok, report.problems
    student = json.loads(layout.release_notebook(A).read_text())
    cell = conventions.by_grade_id(student)["written_why"]
    assert conventions.is_written(cell) and cell["metadata"]["nbgrader"]["points"] == 2
    assert conventions.source_text(cell) == conventions.ANSWER_STUB
    assert MODEL not in json.dumps(student) and RUBRIC[0] not in json.dumps(student)
    solution = json.loads(layout.solution_notebook(A).read_text())
    assert conventions.source_text(conventions.by_grade_id(solution)["written_why"]) == MODEL
    leaked = tmp_path / "leaked.ipynb"  # a release that kept the model answer and the rubric
    cell = conventions.by_grade_id(student)["written_why"]
    cell["source"], cell["metadata"]["nncourse"]["rubric"] = MODEL, RUBRIC
    leaked.write_text(json.dumps(student))
    problems = verify_student_version(layout.source_notebook(A), leaked)
    assert any("'written_why' is not the stub" in p for p in problems), problems
    assert any("written_why carries a TA rubric" in p for p in problems), problems


def test_formgrader_shows_each_answer_with_a_score_and_a_comment_box(runs):
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    folder = runs["layout"].root / "autograded"
    config = Config()  # formgrader's own exporter settings (formgrader.FormgradeExtension)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {  # as formgrader's SubmissionHandler passes them
        "assignment_id": A,
        "notebook_id": "toy",
        "index": 0,
        "total": 3,
        "base_url": "",
        "last_name": None,
        "first_name": None,
        "notebook_path": "autograded",
    }
    alice = "It calls &lt;script&gt;alert('x')&lt;/script&gt; np.asarray &amp; multiplies."
    for student, shown in (("alice", alice), ("carol", "Stripped, still mine.")):
        copy = folder / student / A / "toy.ipynb"
        assert copy.is_file(), f"formgrader reads {copy}"
        page, _ = HTMLExporter(config=config).from_filename(
            str(copy), resources={**resources, "student": student, "submission_id": student}
        )
        assert 'id="written_why"' in page and 'id="written_why-comment"' in page, student
        assert "Student's answer" in page and shown in page, student
        assert "<script>" not in page.split("<body")[1], "no student script runs in formgrader"
        data = json.loads(copy.read_text())
        tagged = [conventions.grade_id(c) for c in data["cells"] if conventions.grade_id(c)]
        assert tagged == ["written_why"], "only cells the gradebook has carry nbgrader metadata"


def test_the_readmes_gradebook_snippet_grades_an_answer_that_report_then_shows(runs):
    import re
    import subprocess

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Written answers", 1)[1].split("\n### ", 1)[0]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    for demo, here in (  # the demo cohort's names -> this toy cohort's
        ("sqlite:///examples/graded/gradebook.db", runs["db"]),
        ('course_id="nn-pytorch-main"', 'course_id="toy"'),
        ('"spiral", "03-spiral", "typical-mistake"', f'"toy", "{A}", "carol"'),
        ("written_extrapolation", "written_why"),
    ):
        assert demo in snippet, f"the README's snippet no longer says {demo}"
        snippet = snippet.replace(demo, here)
    subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-c", snippet], check=True)
    report = subprocess.run(  # the command the README gives, in the course folder
        [str(REPO / ".venv" / "bin" / "nncourse"), "report", str(runs["out"])],
        cwd=runs["layout"].root,
        capture_output=True,
        text=True,
    )
    assert report.returncode == 0, report.stderr
    assert "2 graded, 0 pending; 1 student(s) updated" in report.stderr, report.stderr
    assert report.stdout.strip() == str(runs["out"] / "report.html")
    rows = {
        r["student"]: r
        for r in csv.DictReader((runs["out"] / "grades.csv").read_text().splitlines())
    }
    assert rows["carol"]["written_why"] == "1" and rows["carol"]["total"] == "4"
    assert rows["carol"]["written_why_comment"].startswith("Overfitting is not the point")


def test_a_new_written_question_changes_the_grading_fingerprint(tmp_path):
    from nncourse.grading.digest import grading_fingerprint

    plain = tmp_path / "plain"
    shutil.copytree(TOY, plain)
    asked = _toy_course(tmp_path / "asked")
    before = grading_fingerprint(CourseLayout(plain), A, secret=b"s", limits=FAST)
    after = grading_fingerprint(asked, A, secret=b"s", limits=FAST)
    assert before != after, "results of a rerun must list the new question: everyone is regraded"


def test_malformed_answer_cells_are_read_as_missing_or_text_never_an_exception():
    from nncourse.grading.written import answers, questions

    asked = questions(_with_question(json.loads((TOY / "source" / A / "toy.ipynb").read_text())))
    cell = {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "written_why"}}}
    for source, status in (([1, "x"], "empty"), (None, "empty"), (["a", "b"], "pending")):
        found = answers({"cells": [{**cell, "source": source}]}, asked)
        assert [w.status for w in found] == [status], source
    for notebook in (None, {}, {"cells": "x"}, {"cells": [1, None, []]}, []):
        assert [w.status for w in answers(notebook, asked)] == ["missing"], notebook
    long = answers({"cells": [{**cell, "source": "\x1b[2J" + "y" * 30_000}]}, asked)[0]
    assert long.answer.startswith("\\x1b[2J") and long.answer.endswith("…")


def test_a_question_added_after_grading_reaches_the_students_already_in_the_gradebook(tmp_path):
    root = tmp_path / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    layout, sub, out = CourseLayout(root), tmp_path / "submitted", tmp_path / "out"
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    _submission(sub / "alice" / A / "toy.ipynb", ANSWER)
    options = dict(layout=layout, assignment=A, out=out, limits=FAST, db_url=db)
    grade(sub, progress=lambda line: None, feedback_dir=tmp_path / "fb", **options)
    source = root / "source" / A / "toy.ipynb"  # the instructor adds the question afterwards
    source.write_text(json.dumps(_with_question(json.loads(source.read_text()))))
    summary = grade(sub, progress=lambda line: None, feedback_dir=tmp_path / "fb", **options)
    assert summary.reasons == {"autograder changed": 1}
    with open_gradebook(db, course_id="toy") as gradebook:
        notebook = gradebook.find_submission_notebook("toy", A, "alice")
        grade_ = next((g for g in notebook.grades if g.name == "written_why"), None)
        assert grade_ is not None, "the new question has a grade row formgrader can fill"
        assert (grade_.auto_score, grade_.needs_manual_grade) == (None, True)
        assert any(c.name == "written_why" for c in notebook.comments)
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert rows[0]["written_why"] == "pending" and rows[0]["total_max"] == "5"


def test_a_live_formgrader_shows_the_answer_and_its_grade_reaches_our_outputs(runs):
    """nbgrader's formgrader itself (a Jupyter server with its extension), graded over its API."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    root = runs["layout"].root
    with open(root / "nbgrader_config.py", "a") as config:  # formgrader reads the course's config
        config.write(f"\nc.CourseDirectory.db_url = {runs['db']!r}\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bin_dir = REPO / ".venv" / "bin"
    server = subprocess.Popen(
        [str(bin_dir / "jupyter"), "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1"]
        + ["--IdentityProvider.token=tok", f"--ServerApp.root_dir={root}", "--allow-root"],
        cwd=root,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},  # nbgrader runs alembic
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def call(path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/formgrader/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "PUT",
            headers={"Authorization": "token tok"},
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            text = reply.read().decode()
        return json.loads(text) if path.startswith("api/") else text

    try:
        for _ in range(120):
            try:
                call("api/assignments")
                break
            except OSError:
                time.sleep(0.5)
        with open_gradebook(runs["db"], course_id="toy") as gradebook:
            submission = gradebook.find_submission_notebook("toy", A, "bob").id
        page = call(f"submissions/{submission}/")
        assert "Student's answer" in page and 'id="written_why-comment"' in page
        grades = {g["name"]: g for g in call(f"api/grades?submission_id={submission}")}
        assert grades["written_why"]["cell_type"] == "markdown"
        comments = {c["name"]: c for c in call(f"api/comments?submission_id={submission}")}
        assert comments["written_why"]["auto_comment"] == "No response."
        call(f"api/grade/{grades['written_why']['id']}", {"manual_score": 0.5})
        call(f"api/comment/{comments['written_why']['id']}", {"manual_comment": "Write something."})
    finally:
        server.terminate()
        server.wait(timeout=30)
    refresh_report(runs["out"], layout=runs["layout"], assignment=A, progress=lambda line: None)
    rows = {
        r["student"]: r
        for r in csv.DictReader((runs["out"] / "grades.csv").read_text().splitlines())
    }
    assert (
        rows["bob"]["written_why"] == "0.5"
        and rows["bob"]["written_why_comment"] == "Write something."
    )
    assert "Write something." in (runs["out"] / "bob" / A / "feedback.html").read_text()
