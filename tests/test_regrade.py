"""Reruns follow the autograder: a changed hidden test, rubric point or secret regrades everyone.

One toy course and cohort are graded through a sequence of real batches (sandboxed); each test
checks one step. Manual scores and comments are entered through nbgrader's own gradebook API, the
way formgrader stores them.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, TOY, toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.grading.gradebook import open_gradebook
from nncourse.grading.regrade import PREVIOUS
from nncourse.layout import CourseLayout

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
A = "01-toy"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each step's summary, progress lines, results, grades.csv rows, old results and report."""
    tmp = tmp_path_factory.mktemp("regrade")
    root = tmp / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    layout = CourseLayout(root)
    sub, out, db = tmp / "submitted", tmp / "out", f"sqlite:///{tmp / 'gradebook.db'}"
    toy_notebook(sub / "alice" / A / "toy.ipynb")
    # scalar line right, array wrong
    toy_notebook(sub / "bob" / A / "toy.ipynb", body="    return x + 2")
    toy_notebook(sub / "carol" / A / "toy.ipynb", body="    raise NotImplementedError()")
    steps: dict = {"out": out, "db": db, "layout": layout}

    def run(name: str, **options) -> None:
        lines: list[str] = []
        summary = grade(
            sub,
            layout=layout,
            assignment=A,
            out=out,
            jobs=2,
            limits=FAST,
            db_url=db,
            progress=lines.append,
            **options,
        )
        results = {p.parts[-3]: json.loads(p.read_text()) for p in out.glob(f"*/{A}/results.json")}
        rows = {
            r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())
        }
        previous = {p.parts[-3]: json.loads(p.read_text()) for p in out.glob(f"*/{A}/{PREVIOUS}")}
        steps[name] = (summary, lines, results, rows, previous, (out / "report.html").read_text())

    run("first")
    # a TA's override and comment in formgrader
    with open_gradebook(db, course_id="toy") as gradebook:
        notebook = gradebook.find_submission_notebook("toy", A, "bob")
        notebook.grades[0].manual_score = 2.5
        notebook.comments[0].manual_comment = "Close: see the broadcasting rule."
        gradebook.db.commit()
    run("unchanged")
    _edit(root / "autograders" / A / "test_double.py", "double(2.0), 4.0", "double(3.0), 6.0")
    run("hidden test changed")
    run("again")
    _edit(root / "source" / A / "toy.ipynb", '"points": 3', '"points": 4')
    _edit(root / "autograders" / A / "test_double.py", "points(2)", "points(3)")
    run("rubric point changed")
    (root / ".nncourse-secret").write_text("a new secret")
    run("secret changed")
    run("forced", regrade=True)
    return steps


def _plan(lines: list[str]) -> str:
    """The progress line that says how many submissions this run grades."""
    return next(line for line in lines if line.startswith(f"{A}: "))


def test_an_unchanged_rerun_grades_nothing_and_keeps_the_first_line(runs):
    summary, lines, *_ = runs["unchanged"]
    assert (summary.graded, summary.skipped) == (0, 3)
    assert lines[0].startswith("cohort toy: scores go to the gradebook sqlite:")
    assert _plan(lines) == f"{A}: 0 to grade, 3 already graded, 2 parallel job(s)"
    first, first_lines, *_ = runs["first"]
    assert _plan(first_lines).startswith(f"{A}: 3 to grade, 0 already graded")
    assert first.reasons == {"new": 3}
    assert any(line.startswith("[") and "alice: 3/3 (new;" in line for line in first_lines)


def test_a_changed_hidden_test_regrades_every_student_and_says_why(runs):
    summary, lines, results, rows, _, _ = runs["hidden test changed"]
    assert (summary.graded, summary.skipped) == (3, 0) and summary.reasons == {
        "autograder changed": 3
    }
    assert _plan(lines).startswith(f"{A}: 3 to grade, 0 already graded")
    for student in ("alice", "bob", "carol"):
        assert any(f"] {student}: " in line and "(autograder changed;" in line for line in lines), (
            student
        )
    assert results["bob"]["score"] == 0.0, "bob's x + 2 fails the new scalar line"
    assert (runs["again"][0].graded, runs["again"][0].skipped) == (0, 3), (
        "a second rerun grades nothing"
    )


def test_the_fingerprint_is_in_results_json_and_changes_with_what_decides_a_score(runs):
    fingerprints = [
        runs[step][2]["alice"]["fingerprint"]
        for step in ("first", "hidden test changed", "rubric point changed", "secret changed")
    ]
    assert all(isinstance(f, str) and len(f) == 64 for f in fingerprints)
    assert len(set(fingerprints)) == 4, "each change gives a new fingerprint"
    journal = [
        json.loads(line) for line in (runs["out"] / "journal.jsonl").read_text().splitlines()
    ]
    assert journal[-1]["fingerprint"] == runs["forced"][2][journal[-1]["student"]]["fingerprint"]
    assert "a new secret" not in (runs["out"] / "journal.jsonl").read_text()


def test_a_changed_rubric_point_regrades_everyone_with_the_new_maximum(runs):
    summary, _, results, rows, _, _ = runs["rubric point changed"]
    assert summary.reasons == {"autograder changed": 3}
    assert results["alice"]["max_score"] == 4.0 and results["alice"]["score"] == 4.0
    assert rows["alice"]["max_score"] == "4" and rows["alice"]["score"] == "4"


def test_a_changed_secret_regrades_everyone(runs):
    summary, lines, *_ = runs["secret changed"]
    assert (summary.graded, summary.skipped) == (3, 0) and summary.reasons == {
        "autograder changed": 3
    }


def test_regrade_forces_every_submission(runs):
    summary, lines, *_ = runs["forced"]
    assert (summary.graded, summary.skipped) == (3, 0) and summary.reasons == {
        "regrade requested": 3
    }
    assert any("(regrade requested;" in line for line in lines)


def test_the_report_shows_the_changed_scores_and_grades_csv_agrees_with_results(runs):
    _, _, results, rows, previous, report = runs["hidden test changed"]
    assert previous["bob"]["score"] == 1.0 and results["bob"]["score"] == 0.0, (
        "old results kept next to new"
    )
    assert "Changed scores" in report
    row = report[report.index("<a href='bob/01-toy/feedback.html'>bob</a>") :].split("</tr>")[0]
    assert "<td class=num>1</td><td class=num>0</td>" in row
    assert "double: doubles a scalar: 1 → 0" in row and "autograder changed" in row
    assert (
        "alice/01-toy/feedback.html'>alice" not in report.split("id=changes")[1].split("<h2")[0]
    ), "an unchanged score is not a change"
    for student, result in results.items():
        assert float(rows[student]["score"]) == result["score"], student
    assert runs["again"][4] == previous, "the old results stay until the next regrade"
    _, _, _, _, later, _ = runs["rubric point changed"]
    assert later["bob"]["score"] == 0.0 and later["bob"]["max_score"] == 3.0, (
        "the next regrade replaces them"
    )


def test_manual_scores_and_comments_from_formgrader_survive_every_regrade(runs):
    with open_gradebook(runs["db"], course_id="toy") as gradebook:
        notebook = gradebook.find_submission_notebook("toy", A, "bob")
        grade_ = notebook.grades[0]
        assert grade_.manual_score == 2.5 and grade_.auto_score == 0.0, (
            "the auto score follows the regrade"
        )
        assert notebook.comments[0].manual_comment == "Close: see the broadcasting rule."
        assert gradebook.find_submission(A, "bob").score == 2.5, (
            "the TA's score counts in the gradebook"
        )
        assert gradebook.find_submission(A, "alice").score == 4.0


def test_the_changed_scores_table_escapes_names_and_lists_only_changed_lines(tmp_path):
    from nncourse.grading.regrade import RegradeRound
    from nncourse.grading.results import SubmissionResult, TestResult
    from nncourse.report.build import build_report

    student, line = "<img src=x onerror=alert(1)>", "double: <script>alert(2)</script>"

    def result(scores: tuple[float, float]) -> SubmissionResult:
        tests = tuple(
            TestResult(
                name=name,
                number=f"1.{i}",
                item="double",
                score=score,
                max_score=2.0,
                status="passed" if score else "failed",
                output="",
            )
            for i, (name, score) in enumerate(zip((line, "double: same"), scores), 1)
        )
        return SubmissionResult(
            student=student,
            assignment=A,
            score=sum(scores),
            max_score=4.0,
            execution_time=1.0,
            status="graded",
            error=None,
            tests=tests,
        )

    result((2.0, 2.0)).write(tmp_path / student / A / "results.json")
    regrades = RegradeRound.open(tmp_path, A, fingerprint="f2", forced=False)
    regrades.keep_previous(student, "autograder changed")
    result((0.0, 2.0)).write(tmp_path / student / A / "results.json")
    regrades.save(complete=True)
    page = build_report(tmp_path, assignment=A).read_text(encoding="utf-8")
    section = page.split("id=changes>")[1].split("<h2")[0]
    assert "<script>" not in section and "<img src=x" not in section
    assert "&lt;script&gt;alert(2)&lt;/script&gt;: 2 → 0" in section
    assert "double: same" not in section, "an unchanged line is not listed"
    assert "<td class=num>4</td><td class=num>2</td><td class=num>-2</td>" in section
