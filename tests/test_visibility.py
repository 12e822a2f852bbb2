"""Visibility stages of rubric lines: what a student's page shows now; a clear error for a typo."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from nncourse.grading.feedback import render_feedback
from nncourse.grading.plugin import GradingPlugin
from nncourse.grading.results import SubmissionResult
from nncourse.grading.results import TestResult as Line
from nncourse.grading.visibility import page_result


def _result() -> SubmissionResult:
    def line(number: str, name: str, score: float, visibility: str) -> Line:
        return Line(
            name=name,
            number=number,
            item="double",
            score=score,
            max_score=2.0,
            status="passed" if score else "failed",
            output="" if score else f"{name}: wrong",
            visibility=visibility,
        )

    return SubmissionResult(
        student="bob",
        assignment="01-toy",
        score=4.0,
        max_score=8.0,
        execution_time=1.0,
        status="graded",
        error=None,
        tests=(
            line("1.1", "scalar", 2.0, "visible"),
            line("1.2", "array", 0.0, "after_due_date"),
            line("1.3", "dtype", 2.0, "after_published"),
            line("1.4", "secret", 0.0, "hidden"),
        ),
    )


def test_before_the_deadline_a_page_shows_only_visible_lines_and_says_so():
    page = page_result(_result(), before_deadline=True)
    assert [t.name for t in page.tests] == ["scalar"]
    assert (page.score, page.max_score) == (2.0, 2.0)
    assert "shows 1 of 4 rubric lines (2 of 8 points)" in page.notes[-1]
    assert "shown after the due date" in page.notes[-1]
    html = render_feedback(page)
    assert "array: wrong" not in html and "secret: wrong" not in html


def test_after_the_deadline_every_line_but_hidden_ones_is_shown():
    page = page_result(_result(), before_deadline=False)
    assert [t.name for t in page.tests] == ["scalar", "array", "dtype"]
    assert "only to the course staff" in page.notes[-1]
    full = SubmissionResult.from_json(
        {
            **_result().to_json(),
            "tests": [t for t in _result().to_json()["tests"] if t["visibility"] != "hidden"],
        }
    )
    assert page_result(full, before_deadline=False) is full, (
        "nothing held back: the page is the result"
    )


def test_an_unknown_visibility_stage_is_a_clear_collection_error(tmp_path):
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n\n@pytest.mark.points(1)\n@pytest.mark.visibility('after_deadline')\n"
        "def test_x(student):\n    '''a line'''\n"
    )
    plugin = GradingPlugin(
        open_session=lambda seed: None,
        reference=None,
        secret=b"",
        sha256="",
        call_seconds=1.0,
        deadline=0.0,
    )
    with redirect_stdout(io.StringIO()):
        pytest.main(
            [
                str(tmp_path),
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(tmp_path),
            ],
            plugins=[plugin],
        )
    assert len(plugin.collection_errors) == 1
    assert (
        "visibility must be one of visible, hidden, after_due_date, after_published, not "
        "'after_deadline'" in plugin.collection_errors[0]
    )
    assert not plugin.outcomes
