"""Every text from a student is capped where it enters the grader, and again before any file.

A worker that ran student code can send anything (a 7 MB exception type, "where" or message); the
grader never lets more than a few KiB of it reach results.json, feedback.html or the journal.
"""

from __future__ import annotations

import json

from nncourse.grading.feedback import render_feedback
from nncourse.grading.grader import Grader
from nncourse.grading.plugin import feedback_message
from nncourse.grading.results import NAME_CHARS, TEXT_CHARS, SubmissionResult
from nncourse.grading.results import TestResult as RubricLine
from nncourse.grading.student import StudentError
from nncourse.sandbox.client import CellRun

HUGE = "w" * 7_000_000


def test_an_exception_from_the_students_code_is_described_in_a_few_hundred_characters():
    error = StudentError("double", {"type": HUGE, "message": HUGE, "where": "cell " + HUGE})
    text = error.describe()
    assert len(text) < 2 * NAME_CHARS + 600, len(text)
    assert text.startswith("double raised www") and "…" in text


def test_a_cells_error_report_is_capped_whatever_the_worker_sent():
    run = CellRun(
        cells=[
            {
                "index": 3,
                "status": "error",
                "error": {"type": HUGE, "message": HUGE, "where": "cell 3, line " + HUGE},
            }
        ]
    )
    lines = Grader._cell_errors(run, {})
    assert len(lines) == 1 and len(lines[0]) < 2 * NAME_CHARS + 400, len(lines[0])


def test_a_failed_assertion_that_quotes_a_students_value_is_capped():
    class Info:
        value = AssertionError("double: expected a number, got " + HUGE)
        typename = "AssertionError"

    assert len(feedback_message(Info(), "double")) <= TEXT_CHARS


def test_results_json_feedback_and_journal_record_stay_small_whatever_the_texts():
    tests = tuple(
        RubricLine(
            name=f"double: line {i}",
            number=f"1.{i}",
            item="double",
            score=0.0,
            max_score=1.0,
            status="failed",
            output=HUGE,
        )
        for i in range(3)
    )
    result = SubmissionResult(
        student="mallory",
        assignment="01-toy",
        score=0.0,
        max_score=3.0,
        execution_time=1.0,
        status="graded",
        error=HUGE,
        tests=tests,
        cell_errors=(HUGE,) * 5,
        notes=(HUGE,) * 5,
    )
    data = json.dumps(result.to_json())
    assert len(data) < 1_000_000, len(data)
    assert len(render_feedback(result)) < 1_000_000
    assert all(len(t.output) <= TEXT_CHARS for t in result.tests)
    again = SubmissionResult.from_json(json.loads(data))
    assert again.tests[0].output == result.tests[0].output and again.tests[0].output.endswith("…")
