"""The grading engine on the toy course: grades, messages, isolation between tests, determinism."""

import json

import pytest
from conftest import toy_notebook

from nncourse.config import GradingLimits
from nncourse.grading.grader import Grader
from nncourse.sandbox.launcher import acquire_slot, check_sandbox

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)


@pytest.fixture
def grader(toy):
    check_sandbox(toy.venv)
    slot, lock = acquire_slot()
    grader = Grader(layout=toy, assignment="01-toy", secret=b"s", slot=slot, limits=FAST)
    yield grader
    grader.close()
    lock.close()


def test_a_correct_notebook_gets_full_marks(grader, tmp_path):
    result = grader.grade(toy_notebook(tmp_path / "a.ipynb"), student="alice")
    assert (result.status, result.score, result.max_score) == ("graded", 3.0, 3.0)
    assert [t.status for t in result.tests] == ["passed", "passed"]


def test_a_stub_scores_zero_with_not_implemented_messages(grader, tmp_path):
    result = grader.grade(
        toy_notebook(tmp_path / "s.ipynb", body="    raise NotImplementedError()"), student="s"
    )
    assert result.score == 0
    assert all("not implemented yet" in t.output for t in result.tests)


def test_a_wrong_answer_loses_only_the_failing_rubric_line(grader, tmp_path):
    result = grader.grade(toy_notebook(tmp_path / "w.ipynb", body="    return x + 2"), student="w")
    assert result.score == 1.0
    failed = [t for t in result.tests if t.status == "failed"]
    assert [t.output for t in failed] == ["double: wrong values"]


def test_a_top_level_endless_loop_is_skipped_and_named_and_the_rest_is_graded(grader, tmp_path):
    path = toy_notebook(tmp_path / "l.ipynb", extra_cells=["while True:\n    pass"])
    result = grader.grade(path, student="l")
    assert result.score == 3.0
    assert any("cell 2" in e and "did not finish within 8 s" in e for e in result.cell_errors)
    assert result.execution_time < FAST.cells_seconds * 2 + 10


def test_a_crash_in_one_test_does_not_affect_the_next_one(grader, tmp_path):
    body = "    import os\n    if np.ndim(x) == 0:\n        os._exit(3)\n    return 2 * np.asarray(x, dtype=float)"
    result = grader.grade(toy_notebook(tmp_path / "c.ipynb", body=body), student="c")
    scalar, array = result.tests
    assert scalar.status == "failed" and "exit code 3" in scalar.output
    assert array.status == "passed"


def test_a_hanging_call_fails_with_a_timeout_message(grader, tmp_path):
    result = grader.grade(
        toy_notebook(tmp_path / "h.ipynb", body="    while True:\n        pass"), student="h"
    )
    assert result.score == 0
    assert all("did not return within 3 s" in t.output for t in result.tests)


def test_cell_errors_name_the_cell_and_line(grader, tmp_path):
    result = grader.grade(
        toy_notebook(tmp_path / "e.ipynb", extra_cells=["x = 1\nundefined_name"]), student="e"
    )
    assert result.score == 3.0
    assert result.cell_errors == (
        "cell 2: NameError at line 2: name 'undefined_name' is not defined",
    )


def test_a_cell_error_raised_in_a_function_of_another_cell_names_that_cell_and_line(
    grader, tmp_path
):
    helper = "def helper():\n    x = 1\n    return undefined_name"
    path = toy_notebook(tmp_path / "f.ipynb", extra_cells=[helper, "helper()"])
    result = grader.grade(path, student="f")
    assert result.cell_errors == (
        "cell 3: NameError in cell 2, line 3: name 'undefined_name' is not defined",
    )


def test_the_same_submission_gets_the_same_result_every_time(grader, tmp_path):
    path = toy_notebook(
        tmp_path / "d.ipynb", body="    return 2 * np.asarray(x, dtype=float) + (np.size(x) > 3)"
    )
    first = grader.grade(path, student="d").to_json()
    second = grader.grade(path, student="d").to_json()
    for data in (first, second):
        data.pop("execution_time")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


SHARED_TESTS = '''
import pytest

RUNS = []  # how often the shared run was made in this submission (test_first starts the count)


def _run(student, shared):
    def compute(rng):
        RUNS.append(1)
        return {"value": float(student.double(3.0)), "draw": int(rng.integers(1 << 30))}
    return shared("double of three", compute)


@pytest.mark.points(1)
def test_first(student, shared):
    """double(3) is 6"""
    RUNS.clear()
    assert _run(student, shared)["value"] == 6, "double(3) should be 6"


@pytest.mark.points(1)
def test_second(student, shared):
    """double(3) is still 6"""
    result = _run(student, shared)
    assert len(RUNS) == 1, "the shared run should have been made once"
    assert result["value"] == 6, "double(3) should be 6"
'''


def test_one_shared_run_serves_several_rubric_lines_and_so_does_its_failure(toy, tmp_path):
    (toy.autograder_dir("01-toy") / "test_shared.py").write_text(SHARED_TESTS)
    check_sandbox(toy.venv)
    slot, lock = acquire_slot()
    grader = Grader(layout=toy, assignment="01-toy", secret=b"s", slot=slot, limits=FAST)
    try:
        good = grader.grade(toy_notebook(tmp_path / "a.ipynb"), student="a")
        stub = grader.grade(
            toy_notebook(tmp_path / "s.ipynb", body="    raise NotImplementedError()"), student="s"
        )
    finally:
        grader.close()
        lock.close()
    lines = {t.name: t for t in good.tests}
    assert (
        lines["shared: double(3) is 6"].status
        == lines["shared: double(3) is still 6"].status
        == "passed"
    )
    failed = [t for t in stub.tests if t.item == "shared"]
    assert [t.status for t in failed] == ["failed", "failed"]
    assert failed[0].output == failed[1].output and "not implemented yet" in failed[0].output, (
        "a failed shared run fails every line that checks it, with the student's own message"
    )
