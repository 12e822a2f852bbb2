"""Notebooks that reach into the grader's spies inside the sandbox never score more than without it.

The spies (no torch in numpy-only items, no torch.optim in fit_autograd, params0 unchanged, stand-in
layers) run in the student's process; these notebooks patch them from a cell, step out of them during a
call, or use them as an answer key. Graded through the real engine, each scores at most what the same
code without the attack earns, and the notebook is flagged for a TA's review.
"""

from __future__ import annotations

import json

import pytest
from catalog.harness import Catalog, describe

from nncourse.grading.grader import Grader
from nncourse.grading.review import to_look_at
from nncourse.sandbox.launcher import acquire_slot, check_sandbox

TORCH_GRADIENT = """
    theta = torch.tensor(np.asarray(params, dtype=np.float64), requires_grad=True)
    Xt, yt = torch.as_tensor(np.asarray(X, dtype=np.float64)), torch.as_tensor(np.asarray(y, dtype=np.float64))
    (0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)).backward()
    return theta.grad.numpy().copy()
"""
PARAMS0_IN_PLACE = """
def gradient_descent(X, y, lr, n_epochs, params0):
    params, losses = params0, []  # the mistake: params0 is updated in place
    for _ in range(n_epochs):
        losses.append(mse_loss(params, X, y))
        params -= lr * mse_gradient(params, X, y)
    return params, losses
"""
LIE_ABOUT_INPUTS = """
import sys
_instruments = sys.modules["calls"]
_watch = _instruments.instrument_call_watching_inputs
def _lying_watch(function, *args):
    reply = _watch(function, *args)
    reply["changed"] = [False] * len(args)
    return reply
_instruments.instrument_call_watching_inputs = _lying_watch
"""
SWAP_REGISTRY_ENTRY = """
import sys
_registry = sys.modules["registry"]
_entry = _registry.INSTRUMENTS["call_watching_inputs"]
def _lying_watch(function, *args):
    reply = _entry.function(function, *args)
    reply["changed"] = [False] * len(args)
    return reply
_registry.INSTRUMENTS["call_watching_inputs"] = _entry._replace(function=_lying_watch)
"""
NOTEBOOKS_01 = {
    "mse_gradient_steps_out_of_the_no_torch_mode": {
        "mse_gradient": """
import contextlib
from torch._C import _len_torch_function_stack
from torch.overrides import _pop_mode_temporarily
def mse_gradient(params, X, y):
    with contextlib.ExitStack() as stack:
        while _len_torch_function_stack() > 0:
            stack.enter_context(_pop_mode_temporarily())
"""
        + TORCH_GRADIENT.replace("\n    ", "\n        ")
    },
    "mse_gradient_uses_torch_in_a_thread": {
        "mse_gradient": """
import threading
def mse_gradient(params, X, y):
    box = {}
    def work():
        box["grad"] = _torch_gradient(params, X, y)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box["grad"]
def _torch_gradient(params, X, y):"""
        + TORCH_GRADIENT
    },
    "params0_in_place": {"gradient_descent": PARAMS0_IN_PLACE},
    "params0_in_place_hidden_by_a_patched_spy": {
        "gradient_descent": PARAMS0_IN_PLACE + LIE_ABOUT_INPUTS
    },
    "params0_in_place_hidden_by_a_swapped_registry_entry": {
        "gradient_descent": PARAMS0_IN_PLACE + SWAP_REGISTRY_ENTRY
    },
}
STANDIN_KEY = """
import sys
_Standin = sys.modules["calls"]._StandinLayer
class {name}:
    def __init__(self, *args, **kwargs):
        self.weights = self.bias = None
    forward = _Standin.forward
    backward = _Standin.backward
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """name -> result for the 01 and 02 notebooks above and their solutions."""
    folder = tmp_path_factory.mktemp("tampering")
    results = {}
    for assignment, notebooks in (
        ("01-gradient-descent", NOTEBOOKS_01),
        (
            "02-backpropagation",
            {"standin_as_answer_key": {"Linear": STANDIN_KEY.format(name="Linear")}},
        ),
    ):
        catalog = Catalog(assignment, regrade_mistake="")
        check_sandbox(catalog.layout.venv)
        paths = {f"{assignment}/solution": catalog.source}
        for name, replacements in notebooks.items():
            paths[f"{assignment}/{name}"] = folder / f"{name}.ipynb"
            paths[f"{assignment}/{name}"].write_text(
                json.dumps(catalog.notebook_with(replacements))
            )
        slot, lock = acquire_slot()
        grader = Grader(
            layout=catalog.layout, assignment=assignment, secret=b"tampering", slot=slot
        )
        try:
            results.update(
                {
                    name: grader.grade(path, student=name.split("/")[1])
                    for name, path in paths.items()
                }
            )
        finally:
            grader.close()
            lock.close()
    return results


def _line(result, prefix):
    return [t for t in result.tests if t.name.startswith(prefix)]


@pytest.mark.parametrize(
    "name", ["mse_gradient_steps_out_of_the_no_torch_mode", "mse_gradient_uses_torch_in_a_thread"]
)
def test_torch_in_a_numpy_only_item_is_caught_however_it_is_hidden(graded, name):
    result = graded[f"01-gradient-descent/{name}"]
    lines = [t for t in _line(result, "mse_gradient:") if "numpy only" in t.name]
    assert lines and all(
        t.status == "failed" and "torch is not allowed" in t.output for t in lines
    ), describe(result)
    assert result.score <= graded["01-gradient-descent/solution"].score - 4, describe(result)


def test_a_spy_patched_from_a_cell_is_put_back_and_the_notebook_flagged(graded):
    plain = graded["01-gradient-descent/params0_in_place"]
    patched = graded["01-gradient-descent/params0_in_place_hidden_by_a_patched_spy"]
    assert plain.score < plain.max_score, describe(plain)
    assert patched.score <= plain.score, f"the patch raised the score\n{describe(patched)}"
    notes = " ".join(patched.notes)
    assert (
        "changed the grader's own tools" in notes
        and "calls.instrument_call_watching_inputs" in notes
    )
    assert "flagged for a TA's review" in notes and "sys.modules" in notes
    assert not any("flagged" in n for n in plain.notes), "an honest notebook is not flagged"
    assert to_look_at(patched.notes) and not to_look_at(plain.notes), "grades.csv's review column"


def test_an_instrument_swapped_in_the_registry_is_put_back_and_the_notebook_flagged(graded):
    plain = graded["01-gradient-descent/params0_in_place"]
    swapped = graded["01-gradient-descent/params0_in_place_hidden_by_a_swapped_registry_entry"]
    assert swapped.score <= plain.score, (
        f"the swapped instrument raised the score\n{describe(swapped)}"
    )
    notes = " ".join(swapped.notes)
    assert "changed the grader's own tools" in notes and "registry.INSTRUMENTS" in notes, notes
    assert "flagged for a TA's review" in notes


def test_the_stand_in_layers_are_no_answer_key(graded):
    result = graded["02-backpropagation/standin_as_answer_key"]
    linear = _line(result, "Linear:")
    # at most the shape line of __init__
    assert linear and sum(t.score for t in linear) <= 1, describe(result)
    assert any("flagged for a TA's review" in n for n in result.notes)


def test_the_solutions_keep_full_marks_under_the_tripwire(graded):
    for assignment in ("01-gradient-descent", "02-backpropagation"):
        result = graded[f"{assignment}/solution"]
        assert result.score == result.max_score == 20, describe(result)
        assert not result.notes, result.notes


def test_the_grader_knows_which_instruments_call_the_students_function():
    """The grader's own list (it must not learn it from the sandbox) matches the registry's."""
    import subprocess
    import sys

    from nncourse.grading.student import _CALLING_INSTRUMENTS
    from nncourse.sandbox.launcher import WORKER_DIR

    # in a process of its own: importing the spies hooks torch in the importing process
    script = (
        "import inspect, sys\n"
        f"sys.path.insert(0, {str(WORKER_DIR)!r})\n"
        "import registry, basics, calls, torch_spies, tensorboard_spies\n"
        "print(sorted(n for n, e in registry.INSTRUMENTS.items() if e.calls_student\n"
        "    and list(inspect.signature(e.function).parameters)[:1] == ['function']))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert found.stdout.strip() == str(sorted(_CALLING_INSTRUMENTS)), found.stdout
