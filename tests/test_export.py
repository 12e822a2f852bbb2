"""The gradebook gets real submission times, due dates and penalties; exports read back with csv."""

import csv
from datetime import UTC, datetime, timedelta

import pytest

from nncourse.collect.roster import read_roster
from nncourse.deadlines import LatePolicy
from nncourse.export.formats import CANVAS_COLUMNS, write_export
from nncourse.export.scores import assignment_scores as read_scores
from nncourse.grading.gradebook import ensure_assignment, open_gradebook, record_result
from nncourse.grading.results import SubmissionResult
from nncourse.grading.results import TestResult as RubricLine
from nncourse.late import apply_late, policy_plugin

DUE = datetime(2027, 2, 12, 22, 59, tzinfo=UTC)
COURSE = "nn-pytorch-test"


def graded(student, score):
    lines = (
        RubricLine(
            name="a",
            number="1",
            item="a",
            score=min(score, 2.0),
            max_score=2.0,
            status="passed",
            output="",
        ),
        RubricLine(
            name="b",
            number="2",
            item="b",
            score=max(score - 2.0, 0.0),
            max_score=1.0,
            status="passed",
            output="",
        ),
    )
    return SubmissionResult(
        student=student,
        assignment="01-toy",
        score=score,
        max_score=3.0,
        execution_time=1.0,
        status="graded",
        error=None,
        tests=lines,
    )


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """alice on time, bob 25 h late, carol 25 h late with a 48 h extension, dave never submitted."""
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'gradebook.db'}"
    ensure_assignment(
        url,
        course_id=COURSE,
        assignment="01-toy",
        notebook="toy",
        points={"a": 2.0, "b": 1.0},
        duedate=DUE,
    )
    plugin = policy_plugin(LatePolicy(penalty_per_day=0.1, max_days=5), max_score=3.0)
    late = DUE + timedelta(hours=25)
    for student, submitted, due in [
        ("alice", DUE - timedelta(hours=1), DUE),
        ("bob", late, DUE),
        ("carol", late, DUE + timedelta(hours=48)),
    ]:
        result = apply_late(graded(student, 3.0), submitted_at=submitted, due_at=due, plugin=plugin)
        record_result(url, course_id=COURSE, notebook="toy", result=result)
    with open_gradebook(url, course_id=COURSE) as book:
        book.update_or_create_student("dave")
    return url


def test_gradebook_has_submission_times_due_date_extension_and_penalty(gradebook):
    with open_gradebook(gradebook, course_id=COURSE) as book:
        assert book.find_assignment("01-toy").duedate == datetime(2027, 2, 12, 22, 59)
        alice, bob, carol = (book.find_submission("01-toy", s) for s in ("alice", "bob", "carol"))
        assert alice.timestamp == datetime(2027, 2, 12, 21, 59), (
            "the student's time, not grading time"
        )
        assert alice.total_seconds_late == 0 and alice.late_submission_penalty == 0
        assert bob.total_seconds_late == 25 * 3600, "nbgrader's own lateness agrees with ours"
        assert bob.late_submission_penalty == pytest.approx(0.6), "2 started days x 10% x 3 points"
        assert carol.extension == timedelta(hours=48) and carol.total_seconds_late == 0
        assert carol.late_submission_penalty == 0


def test_nbgraders_own_export_and_ours_agree(gradebook, tmp_path):
    from nbgrader.plugins import CsvExportPlugin

    from nncourse.grading.gradebook import open_gradebook

    theirs = tmp_path / "nbgrader.csv"
    with open_gradebook(gradebook, course_id=COURSE) as book:
        CsvExportPlugin(to=str(theirs)).export(book)
    nbgrader_scores = {row["student_id"]: row["score"] for row in csv.DictReader(theirs.open())}
    ours = {
        s.student: s.score for s in read_scores(gradebook, course_id=COURSE, assignment="01-toy")
    }
    assert ours == {"alice": 3.0, "bob": pytest.approx(2.4), "carol": 3.0, "dave": None}
    assert {k: float(v) for k, v in nbgrader_scores.items() if k != "dave"} == {
        "alice": 3.0,
        "bob": pytest.approx(2.4),
        "carol": 3.0,
    }


def test_canvas_export_reads_back_with_empty_cells_for_no_submission(gradebook, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "lms_id,student,name,section\n1001,alice,Alice A,S1\n1002,bob,Bob B,S1\n"
        "1003,carol,Carol C,S2\n1004,dave,Dave D,S2\n1005,erin,Erin E,S2\n"
    )
    out = tmp_path / "canvas.csv"
    scores = read_scores(gradebook, course_id=COURSE, assignment="01-toy")
    warnings = write_export(
        out, scores, fmt="canvas", column="Toy (4242)", roster=read_roster(roster)
    )
    rows = list(csv.DictReader(out.open(newline="")))
    assert list(rows[0]) == [*CANVAS_COLUMNS, "Toy (4242)"]
    cells = {row["ID"]: row["Toy (4242)"] for row in rows}
    assert cells == {"1001": "3", "1002": "2.4", "1003": "3", "1004": "", "1005": ""}
    assert rows[0]["Student"] == "Alice A" and rows[0]["Section"] == "S1" and warnings == []
    write_export(
        out, scores, fmt="canvas", column="Toy", roster=read_roster(roster), missing_zero=True
    )
    assert {row["ID"]: row["Toy"] for row in csv.DictReader(out.open())}["1004"] == "0"


def test_moodle_export_keys_by_email_and_warns_about_students_outside_the_roster(
    gradebook, tmp_path
):
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student,email\n77,alice,alice@uni.example\n78,bob,bob@uni.example\n")
    out = tmp_path / "moodle.csv"
    scores = read_scores(gradebook, course_id=COURSE, assignment="01-toy")
    warnings = write_export(out, scores, fmt="moodle", column="Toy", roster=read_roster(roster))
    rows = {row["Email address"]: row["Toy"] for row in csv.DictReader(out.open(newline=""))}
    assert rows == {"alice@uni.example": "3", "bob@uni.example": "2.4"}
    assert sorted(w.split()[0] for w in warnings) == ["carol", "dave"], "nobody is dropped silently"


def test_plain_csv_export_has_the_lateness(gradebook, tmp_path):
    out = tmp_path / "scores.csv"
    write_export(
        out,
        read_scores(gradebook, course_id=COURSE, assignment="01-toy"),
        fmt="csv",
        column="01-toy",
    )
    rows = {row["student"]: row for row in csv.DictReader(out.open(newline=""))}
    assert rows["bob"]["raw_score"] == "3" and rows["bob"]["penalty"] == "0.6"
    assert rows["bob"]["seconds_late"] == "90000"
    assert rows["bob"]["submitted_at"] == "2027-02-13T23:59:00+00:00"
    assert rows["carol"]["due_at"] == "2027-02-14T22:59:00+00:00"
    assert rows["dave"]["score"] == "" and rows["dave"]["submitted_at"] == ""


def test_unknown_assignment(gradebook):
    with pytest.raises(ValueError, match="not in the gradebook"):
        read_scores(gradebook, course_id=COURSE, assignment="02-other")
