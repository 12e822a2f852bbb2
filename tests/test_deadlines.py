"""deadlines.toml and the late policy: clear errors, and the penalty arithmetic at its edges."""

from datetime import UTC, datetime, timedelta

import pytest

from nncourse.deadlines import DeadlineError, LatePolicy, load_deadlines, parse_due
from nncourse.grading.results import SubmissionResult
from nncourse.grading.results import TestResult as RubricLine
from nncourse.late import apply_late, policy_plugin, read_timestamp

A = ["01-gradient-descent", "02-backpropagation"]
ISSUE_EXAMPLE = """
[late]
penalty_per_day = 0.10   # fraction of the maximum score per started day late
max_days = 5             # later than this: score 0
[due]
"01-gradient-descent" = 2027-02-12T23:59:00+01:00
[extensions."01-gradient-descent"]
some-student = "48h"
"""
DUE = datetime(2027, 2, 12, 22, 59, tzinfo=UTC)


def write(tmp_path, text, name="deadlines.toml"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_the_issues_example_works_as_written(tmp_path):
    deadlines = load_deadlines(write(tmp_path, ISSUE_EXAMPLE), assignments=A)
    assert deadlines.late == LatePolicy(penalty_per_day=0.10, max_days=5)
    assert deadlines.due_for("01-gradient-descent", "someone") == DUE
    assert deadlines.due_for("01-gradient-descent", "some-student") == DUE + timedelta(hours=48)
    assert deadlines.due_for("02-backpropagation", "someone") is None, (
        "no due date: nothing is late"
    )
    override = datetime(2027, 3, 1, tzinfo=UTC)
    assert deadlines.due_for(
        "01-gradient-descent", "some-student", override=override
    ) == override + timedelta(hours=48)


def test_a_cohorts_file_wins(tmp_path):
    write(tmp_path, ISSUE_EXAMPLE)
    write(
        tmp_path,
        '[due]\n"01-gradient-descent" = 2027-06-01T12:00:00Z\n',
        "deadlines-2027-summer.toml",
    )
    summer = load_deadlines(tmp_path, assignments=A, cohort="2027-summer")
    assert summer.due["01-gradient-descent"] == datetime(2027, 6, 1, 12, tzinfo=UTC)
    assert load_deadlines(tmp_path, assignments=A, cohort="other").due["01-gradient-descent"] == DUE
    assert load_deadlines(tmp_path / "nowhere", assignments=A).due == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ('[due]\n"01-gradient-descent" = 2027-02-12T23:59:00\n', "has no time zone"),
        ('[due]\n"01-gradient-descent" = 2027-02-12\n', "no time of day"),
        ('[due]\n"01-gradient-descent" = "tomorrow"\n', "not an ISO 8601"),
        ('[due]\n"09-nonexistent" = 2027-02-12T23:59:00Z\n', "unknown assignment '09-nonexistent'"),
        ('[extensions."09-x"]\nsomeone = "1d"\n', "unknown assignment '09-x'"),
        ('[extensions."01-gradient-descent"]\nsomeone = "two days"\n', "not a duration"),
        ("[late]\npenalty_per_day = 10\n", "between 0 and 1"),
        ("[late]\nmax_day = 5\n", "unknown key(s) max_day"),
        ("[deadline]\n", "unknown section(s) deadline"),
        ("[due\n", "not valid TOML"),
    ],
)
def test_mistakes_in_the_file_get_a_clear_message(tmp_path, text, message):
    with pytest.raises(
        DeadlineError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as info:
        load_deadlines(write(tmp_path, text), assignments=A)
    assert "deadlines.toml" in str(info.value), "the message names the file"


def test_an_extension_for_an_unknown_student_is_an_error(tmp_path):
    deadlines = load_deadlines(write(tmp_path, ISSUE_EXAMPLE), assignments=A)
    with pytest.raises(DeadlineError, match="unknown student.*some-student"):
        deadlines.check_students("01-gradient-descent", {"alice", "bob"})
    deadlines.check_students("01-gradient-descent", {"some-student"})
    deadlines.check_students("02-backpropagation", set())


def test_grade_due_option_needs_a_time_zone():
    assert parse_due("2027-02-12T23:59:00+01:00") == DUE
    assert parse_due("2027-02-12T22:59:00Z") == DUE
    with pytest.raises(DeadlineError, match="no time zone"):
        parse_due("2027-02-12T23:59")


def result(score=18.0, max_score=20.0, student="s"):
    tests = (
        RubricLine(
            name="x",
            number="1",
            item="x",
            score=score,
            max_score=max_score,
            status="passed",
            output="",
        ),
    )
    return SubmissionResult(
        student=student,
        assignment="01-gradient-descent",
        score=score,
        max_score=max_score,
        execution_time=1.0,
        status="graded",
        error=None,
        tests=tests,
    )


PLUGIN = None


def plugin():
    global PLUGIN
    PLUGIN = PLUGIN or policy_plugin(LatePolicy(penalty_per_day=0.10, max_days=5), max_score=20.0)
    return PLUGIN


@pytest.mark.parametrize(
    "late, penalty, note",
    [
        (timedelta(0), 0.0, False),  # on time to the second
        (timedelta(seconds=-3600), 0.0, False),  # early
        (timedelta(seconds=1), 2.0, True),  # one second late: a started day
        (timedelta(days=1), 2.0, True),  # exactly one day
        (timedelta(days=1, seconds=1), 4.0, True),  # a second day started
        (timedelta(days=5), 10.0, True),  # the last day that still counts
        (timedelta(days=5, seconds=1), 18.0, True),  # beyond max_days: score 0
    ],
)
def test_penalty_arithmetic_at_the_edges(late, penalty, note):
    graded = apply_late(result(), submitted_at=DUE + late, due_at=DUE, plugin=plugin())
    assert graded.penalty == penalty
    assert graded.score == 18.0 - penalty and graded.raw_score == 18.0
    assert graded.seconds_late == max(0.0, late.total_seconds())
    assert any(n.startswith("Late: ") for n in graded.notes) == note


def test_penalty_never_exceeds_the_score_and_reapplying_starts_from_the_raw_score():
    low = apply_late(
        result(score=1.0), submitted_at=DUE + timedelta(days=3), due_at=DUE, plugin=plugin()
    )
    assert (low.penalty, low.score) == (1.0, 0.0), "6 points off a score of 1: 0, not negative"
    late = apply_late(result(), submitted_at=DUE + timedelta(hours=30), due_at=DUE, plugin=plugin())
    again = apply_late(late, submitted_at=DUE + timedelta(hours=30), due_at=DUE, plugin=plugin())
    assert again == late, "applying the policy twice changes nothing"
    moved = apply_late(
        late,
        submitted_at=DUE + timedelta(hours=30),
        due_at=DUE + timedelta(days=2),
        plugin=plugin(),
    )
    assert (moved.score, moved.penalty, moved.seconds_late) == (18.0, 0.0, 0.0)
    assert not any(n.startswith("Late: ") for n in moved.notes), "the old late note goes with it"
    untimed = apply_late(result(), submitted_at=None, due_at=DUE, plugin=plugin())
    assert (untimed.score, untimed.seconds_late, untimed.submitted_at) == (18.0, None, None)
    undated = apply_late(result(), submitted_at=DUE, due_at=None, plugin=plugin())
    assert (undated.score, undated.seconds_late, undated.due_at) == (18.0, None, None)
    assert undated.penalty is None and undated.raw_score is None, "no deadline: no lateness fields"
    assert undated.submitted_at == "2027-02-12T22:59:00+00:00", "the submission time is still known"
    assert apply_late(late, submitted_at=None, due_at=None, plugin=plugin()).score == 18.0


def test_a_course_can_plug_in_its_own_policy(tmp_path, monkeypatch):
    (tmp_path / "halfoff.py").write_text(
        "from nbgrader.plugins import LateSubmissionPlugin\n"
        "class HalfOff(LateSubmissionPlugin):\n"
        "    def late_submission_penalty(self, student_id, score, total_seconds_late):\n"
        "        return score / 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    own = policy_plugin(LatePolicy(plugin="halfoff:HalfOff"), max_score=20.0)
    graded = apply_late(result(), submitted_at=DUE + timedelta(seconds=5), due_at=DUE, plugin=own)
    assert (graded.score, graded.penalty) == (9.0, 9.0)
    with pytest.raises(DeadlineError, match="not a LateSubmissionPlugin"):
        policy_plugin(LatePolicy(plugin="datetime:datetime"), max_score=20.0)
    with pytest.raises(DeadlineError, match="cannot be imported"):
        policy_plugin(LatePolicy(plugin="no_such_module_here:X"), max_score=20.0)


def test_timestamp_txt_in_nbgraders_formats(tmp_path):
    for text, expected in [
        ("2027-02-13 09:00:00.000000 UTC", datetime(2027, 2, 13, 9, tzinfo=UTC)),
        ("2027-02-13T10:00:00+01:00", datetime(2027, 2, 13, 9, tzinfo=UTC)),
        ("2027-02-13 09:00:00", datetime(2027, 2, 13, 9, tzinfo=UTC)),
    ]:
        (tmp_path / "timestamp.txt").write_text(text)
        assert read_timestamp(tmp_path) == (expected, None), text
    (tmp_path / "timestamp.txt").write_text("yesterday-ish")
    moment, problem = read_timestamp(tmp_path)
    assert moment is None and "timestamp.txt" in problem
    (tmp_path / "timestamp.txt").unlink()
    assert read_timestamp(tmp_path) == (None, None)


def test_submissions_without_a_time_are_listed_with_the_lms_late_flag(tmp_path):
    from nncourse.deadlines import parse_deadlines
    from nncourse.late import BatchLateness

    for student, flag in (("bob", True), ("ann", False)):
        folder = tmp_path / student / "01-gradient-descent"
        folder.mkdir(parents=True)
        (folder / ".nncourse-collect.json").write_text(f'{{"lms_late": {str(flag).lower()}}}')
    deadlines = parse_deadlines({"due": {"01-gradient-descent": DUE}}, source=None, assignments=A)
    late = BatchLateness(
        submitted=tmp_path, assignment="01-gradient-descent", deadlines=deadlines, max_score=20.0
    )
    for student in ("bob", "ann"):
        graded = late(result(student=student))
        assert graded.score == 18.0 and graded.seconds_late is None and graded.penalty == 0.0
    assert late.untimed == {"bob (the LMS flagged it late)", "ann"}
