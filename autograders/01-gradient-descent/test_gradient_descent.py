"""gradient_descent(X, y, lr, n_epochs, params0) -> (params, losses): full-batch descent in numpy.

Trajectories start from grader-chosen params0 and run >= 2 steps (a missing detail often shows only
from the second step on); the expected path is the reference solution's on the same inputs.
"""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_close, load_helper

TRAJECTORY_HINT = (
    "each epoch moves all four parameters at once: params <- params - lr * mse_gradient(params, X, y), "
    "with the gradient taken at the old params (no closed-form solution, no extra factors)"
)


_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw
_call_watching_inputs = _data.call_watching_inputs
_setup = _data.descent_setup


def _result(value, n_epochs):
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise AssertionError("gradient_descent should return a pair (params, losses)")
    params = as_array(value[0], "gradient_descent: params")
    assert params.shape == (4,), (
        f"gradient_descent: params should have shape (4,), got {params.shape}"
    )
    return params, value[1]


@pytest.mark.points(2)
def test_follows_the_descent_trajectory(student, rng, reference_solution):
    """params after 2 and 25 epochs from a given start follow full-batch gradient descent"""
    X, y, lr, params0 = _setup(rng)
    for n_epochs in (2, 25):
        got, _ = _result(student.gradient_descent(X, y, lr, n_epochs, params0.copy()), n_epochs)
        expected, _ = reference_solution.gradient_descent(X, y, lr, n_epochs, params0)
        assert_close(
            got,
            expected,
            f"gradient_descent: params after {n_epochs} epochs",
            rtol=1e-4,
            atol=1e-5 * max(1.0, np.abs(expected).max()),
            hint=TRAJECTORY_HINT,
        )


@pytest.mark.points(1)
def test_records_the_loss_before_each_update(student, rng, reference_solution):
    """losses[k] is the loss at the start of epoch k: len n_epochs (none for 0), losses[0] = mse_loss(params0)"""
    X, y, lr, params0 = _setup(rng)
    n_epochs = 12
    _, losses = _result(student.gradient_descent(X, y, lr, n_epochs, params0.copy()), n_epochs)
    losses = as_array(losses, "gradient_descent: losses")
    assert losses.shape == (n_epochs,), (
        f"gradient_descent: losses should hold one loss per epoch, shape ({n_epochs},) for n_epochs = {n_epochs}, "
        f"got shape {losses.shape}"
    )
    _, expected = reference_solution.gradient_descent(X, y, lr, n_epochs, params0)
    assert_close(
        losses[0],
        expected[0],
        "gradient_descent: losses[0]",
        rtol=1e-5,
        atol=1e-10,
        hint="losses[0] must be mse_loss(params0, X, y), recorded before the first update",
    )
    assert_close(
        losses,
        expected,
        "gradient_descent: losses",
        rtol=1e-4,
        atol=1e-10,
        hint="record mse_loss(params, X, y) at the start of each epoch, before that epoch's update",
    )
    # the boundary n_epochs = 0: no update, no loss (the notebook: len(losses) == n_epochs)
    params, losses = _result(student.gradient_descent(X, y, lr, 0, params0.copy()), 0)
    losses = as_array(losses, "gradient_descent: losses for n_epochs = 0")
    assert losses.size == 0 and np.allclose(params, params0, rtol=0, atol=1e-12), (
        "gradient_descent with n_epochs = 0 should return params0 unchanged and no losses (an empty array): every "
        "update and every recorded loss belongs to one epoch inside the loop, none comes before it"
    )


@pytest.mark.points(1)
def test_does_not_modify_params0(student, rng):
    """leaves the caller's params0 (and X, y) unchanged"""
    X, y, lr, params0 = _setup(rng)
    _, changed = _call_watching_inputs(student, "gradient_descent", X, y, lr, 3, params0)
    assert not changed[4], (
        "gradient_descent changed the caller's params0 in place: start from a copy, "
        "e.g. params = np.array(params0, dtype=float) (p = params0; p -= ... modifies params0)"
    )
    assert not (changed[0] or changed[1]), "gradient_descent must not modify X or y"
