"""A function or method that hangs costs its time limit once per submission, not once per test.

The toy course gets a second assignment, ``02-hang``: ``step`` (which students make loop
forever), ``descend`` (calls ``step``), a class ``Model`` (``fit`` and ``predict``) and an unrelated
``double``.
Rubric lines are numbered in notebook order (step 1.1-1.3, descend 2.1-2.2, Model 3.1-3.3,
double 4.1); the hidden test files run in name order (Model, descend, double, step).
"""

import json
import sys
import textwrap
import time

import pytest

from nncourse.config import GradingLimits
from nncourse.grading.grader import Grader
from nncourse.sandbox.launcher import WORKER_DIR, acquire_slot, check_sandbox

CALL = 2.0
LIMITS = GradingLimits(cells_seconds=3, call_seconds=CALL, test_seconds=20, job_seconds=60)

SOLUTIONS = {
    "step": "def step(x):\n    return 2 * np.asarray(x, dtype=float)\n",
    "descend": "def descend(x):\n    return step(x) + 1\n",
    "Model": (
        "class Model:\n    def fit(self, x):\n        self.scale = 3.0\n        return self\n\n"
        "    def predict(self, x):\n        return 3.0 * np.asarray(x, dtype=float)\n"
    ),
    "double": "def double(x):\n    return 2 * np.asarray(x, dtype=float)\n",
}
POINTS = {"descend": 2, "double": 1, "Model": 3, "step": 3}
TESTS = {
    "descend": """
        @pytest.mark.points(1)
        def test_descend_scalar(student):
            '''descends from a scalar'''
            assert np.allclose(student.descend(1.0), 3.0), "descend(1) should be 3"

        @pytest.mark.points(1)
        def test_descend_array(student):
            '''descends from an array'''
            assert np.allclose(student.descend(np.ones(3)), 3.0), "descend: wrong values"
        """,
    "double": """
        @pytest.mark.points(1)
        def test_double(student):
            '''doubles'''
            assert np.allclose(student.double(2.0), 4.0), "double(2) should be 4"
        """,
    "Model": """
        @pytest.mark.points(1)
        def test_fit(student):
            '''fit returns the model'''
            model = student.Model()
            model.fit(1.0)

        @pytest.mark.points(1)
        def test_predict(student):
            '''predict triples'''
            assert np.allclose(student.Model().predict(2.0), 6.0), "Model.predict(2) should be 6"

        @pytest.mark.points(1)
        def test_fit_then_predict(student):
            '''fit, then predict'''
            model = student.Model()
            model.fit(1.0)
            assert np.allclose(model.predict(1.0), 3.0), "Model.predict(1) should be 3"
        """,
    "step": """
        @pytest.mark.points(1)
        def test_step_scalar(student):
            '''steps a scalar'''
            assert np.allclose(student.step(1.0), 2.0), "step(1) should be 2"

        @pytest.mark.points(1)
        def test_step_array(student):
            '''steps an array'''
            assert np.allclose(student.step(np.ones(2)), 2.0), "step: wrong values"

        @pytest.mark.points(1)
        def test_step_negative(student):
            '''steps a negative number'''
            assert np.allclose(student.step(-1.0), -2.0), "step(-1) should be -2"
        """,
}
LOOP = "    while True:\n        pass\n"


def _cell(source: str, grade_id: str | None = None, **flags) -> dict:
    meta = (
        {
            "nbgrader": {
                "grade_id": grade_id,
                "schema_version": 3,
                "grade": False,
                "solution": False,
                "locked": True,
                "task": False,
                **flags,
            }
        }
        if grade_id
        else {}
    )
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": meta,
        "outputs": [],
        "source": source,
    }


def _notebook(answers: dict[str, str], extra_cells: tuple[str, ...] = ()) -> dict:
    cells = [_cell("import numpy as np\n", "setup_imports"), *(_cell(c) for c in extra_cells)]
    for item, source in answers.items():
        cells.append(_cell(source, item, solution=True, locked=False))
        cells.append(_cell("pass\n", f"test_{item}", grade=True, points=POINTS[item]))
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


@pytest.fixture
def grader(toy, request):
    """The toy course with the assignment 02-hang (the hidden tests of the items in
    ``request.param``, all by default)."""
    (toy.source / "02-hang").mkdir()
    toy.source_notebook("02-hang").write_text(json.dumps(_notebook(SOLUTIONS)))
    folder = toy.autograder_dir("02-hang")
    folder.mkdir()
    for item in getattr(request, "param", TESTS):
        (folder / f"test_{item}.py").write_text(
            "import numpy as np\nimport pytest\n" + textwrap.dedent(TESTS[item])
        )
    check_sandbox(toy.venv)
    slot, lock = acquire_slot()
    grader = Grader(layout=toy, assignment="02-hang", secret=b"s", slot=slot, limits=LIMITS)
    yield grader
    grader.close()
    lock.close()


def _submit(tmp_path, name: str, extra_cells: tuple[str, ...] = (), **answers: str):
    path = tmp_path / name / "hang.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_notebook({**SOLUTIONS, **answers}, extra_cells)))
    return path


def _outputs(result) -> dict[str, str]:
    return {t.number: t.output for t in result.tests}


def test_the_solution_gets_full_marks(grader, tmp_path):
    result = grader.grade(_submit(tmp_path, "solution"), student="s")
    assert (result.score, result.max_score) == (9.0, 9.0), _outputs(result)


def test_a_hanging_function_costs_one_time_limit_and_unrelated_points_are_kept(grader, tmp_path):
    looping_fit = SOLUTIONS["Model"].replace(
        "        self.scale = 3.0\n", "        while True:\n            pass\n"
    )
    path = _submit(tmp_path, "loops", step="def step(x):\n" + LOOP, Model=looping_fit)
    result = grader.grade(path, student="loops")
    out = _outputs(result)
    # the first hang is attributed to the function that loops, not to its caller
    assert out["2.1"] == (
        f"descend: your code did not return within {CALL:g} s (stuck in step); "
        "later tests do not call step again"
    )
    first_seen = f"step did not return within {CALL:g} s (first seen in test 2.1); not called again"
    assert [out[n] for n in ("2.2", "1.1", "1.2", "1.3")] == [first_seen] * 4
    # a method that hangs marks that method of that class, not the class or its other methods
    assert (
        out["3.1"] == f"Model.fit: your code did not return within {CALL:g} s; "
        "later tests do not call it again"
    )
    assert out["3.2"] == ""
    assert (
        out["3.3"]
        == f"Model.fit did not return within {CALL:g} s (first seen in test 3.1); not called again"
    )
    assert out["4.1"] == ""
    assert result.score == 2.0  # double (1) and Model.predict (1): every point earned is kept
    timeouts = [n for n, text in out.items() if "your code did not return" in text]
    assert sorted(timeouts) == ["2.1", "3.1"]
    # two time limits (step, Model.fit), not seven; the rest is the toy's normal time
    assert result.execution_time < 2 * CALL + 8, result.execution_time


def test_a_restarted_worker_keeps_what_hung_and_a_hung_cell_runs_once(grader, tmp_path):
    """double kills the worker (its test's parent process): the tests after it run in a new worker,
    which neither runs the hanging cell again nor calls step again."""
    killer = (
        "def double(x):\n    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    return 2 * np.asarray(x, dtype=float)\n"
    )
    path = _submit(
        tmp_path,
        "restart",
        extra_cells=("while True:\n    pass\n",),
        step="def step(x):\n" + LOOP,
        double=killer,
    )
    result = grader.grade(path, student="restart")
    out = _outputs(result)
    assert any("a fresh one was started" in e or "died" in e for e in result.cell_errors), (
        result.cell_errors
    )
    assert sum("did not finish within" in e for e in result.cell_errors) == 1, result.cell_errors
    assert [out[n] for n in ("1.1", "1.2", "1.3")] == [
        f"step did not return within {CALL:g} s (first seen in test 2.1); not called again"
    ] * 3
    assert out["3.1"] == out["3.2"] == out["3.3"] == out["4.1"] == ""
    assert [n for n, text in out.items() if "your code did not return" in text] == ["2.1"]
    assert result.execution_time < LIMITS.cells_seconds + CALL + 10, result.execution_time


@pytest.mark.parametrize("grader", [("descend", "step")], indirect=True)  # 5 tests: quick
def test_ten_regrades_of_a_hanging_notebook_agree(grader, tmp_path):
    path = _submit(tmp_path, "det", step="def step(x):\n" + LOOP)
    results = []
    for _ in range(10):
        data = grader.grade(path, student="det").to_json()
        data.pop("execution_time")
        results.append(json.dumps(data, sort_keys=True))
    assert len(set(results)) == 1
    assert "first seen in test 2.1" in results[0]  # descend (2.x) runs before step (1.x)


# ------------------------------------------------------------ the worker's side, in this process
@pytest.fixture
def worker_hangs():
    sys.path.insert(0, str(WORKER_DIR))
    try:
        import hangs

        yield hangs
    finally:
        sys.path.remove(str(WORKER_DIR))


def _cells(source: str) -> dict:
    namespace: dict = {}
    exec(compile(textwrap.dedent(source), "<cell 4>", "exec"), namespace)
    return namespace


def test_disable_replaces_only_the_notebooks_own_functions_and_methods(worker_hangs):
    namespace = _cells("""
        import math
        def step(x):
            return x
        alias = step
        class Base:
            def fit(self):
                return 1
            def predict(self):
                return 2
        class Model(Base):
            pass
        """)
    marks = [
        {"name": n, "message": f"{n} hung"} for n in ("step", "Model.fit", "math", "Model.missing")
    ]
    worker_hangs.disable(namespace, marks)
    for call in (lambda: namespace["step"](1), lambda: namespace["alias"](1)):
        with pytest.raises(worker_hangs.NotCalledAgain, match="step hung"):
            call()
    with pytest.raises(worker_hangs.NotCalledAgain, match="Model.fit hung"):
        namespace["Model"]().fit()
    assert namespace["Model"]().predict() == 2
    assert namespace["math"].sqrt(4.0) == 2.0  # not from a cell: left alone


def test_the_watchdog_names_the_innermost_function_that_kept_running(worker_hangs):
    namespace = _cells("""
        import time
        def inner(until):
            while time.monotonic() < until:
                pass
        def quick():
            return 1
        def outer(seconds):
            until = time.monotonic() + seconds
            inner(until)
        def busy(seconds):
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                quick()
        """)
    reports = []
    watchdog = worker_hangs.Watchdog(reports.append)
    for function in ("outer", "busy"):
        watchdog.begin(1.0)
        namespace[function](1.0)
        watchdog.end()
    time.sleep(0.05)
    # busy calls quick afresh all the time: the caller that kept running is named
    assert reports == [{"hang": {"name": "inner"}}, {"hang": {"name": "busy"}}]
