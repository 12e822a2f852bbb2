"""fit_autograd(X, y, lr, n_epochs, params0) -> torch.Tensor (4,): gradient descent with autograd.

Every test forbids torch.optim (the update is written by hand); the expected path is the reference
numpy gradient descent (float64) from the same params0.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import as_array, assert_close, load_helper

HINT = (
    "each epoch: loss = mean((y_hat - y)^2) / 2 in torch, loss.backward(), then under torch.no_grad() "
    "params -= lr * params.grad, and reset params.grad (backward() adds to it)"
)


_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw
_call_watching_inputs = _data.call_watching_inputs
_setup = _data.descent_setup


def _params(value, what="fit_autograd"):
    got = as_array(value, what)
    assert got.size == 4, (
        f"{what} should return the 4 parameters [a, b, c, d], got shape {got.shape}"
    )
    return got.reshape(4)


@pytest.mark.points(2)
def test_follows_the_descent_trajectory(student, rng, reference_solution):
    """after 2 and 25 epochs matches gradient descent from the same start (no torch.optim)"""
    student.instrument("forbid_optimizers")
    X, y, lr, params0 = _setup(rng)
    for n_epochs in (2, 25):
        got = _params(student.fit_autograd(X, y, lr, n_epochs, params0.copy()))
        expected, _ = reference_solution.gradient_descent(X, y, lr, n_epochs, params0)
        assert_close(
            got,
            expected,
            f"fit_autograd: params after {n_epochs} epochs",
            rtol=1e-4,
            atol=1e-5 * max(1.0, np.abs(expected).max()),
            hint=HINT,
        )


@pytest.mark.points(1)
def test_gradients_come_from_backward(student, rng):
    """computes the gradient with loss.backward() in every epoch"""
    student.instrument("forbid_optimizers")
    counter = student.instrument("count_backward")
    X, y, lr, params0 = _setup(rng)
    n_epochs = 7
    student.fit_autograd(X, y, lr, n_epochs, params0)
    count = counter.count
    assert count >= n_epochs, (
        f"fit_autograd called backward() {count} times in {n_epochs} epochs: the gradient of each epoch must "
        "come from loss.backward() (autograd), not from mse_gradient or a formula"
    )


@pytest.mark.points(1)
def test_float64_tensor_for_numpy_or_torch_inputs(student, rng, reference_solution):
    """returns a float64 torch.Tensor (4,) for numpy or torch inputs, keeps params0 (returned for n_epochs = 0)"""
    student.instrument("forbid_optimizers")
    X, y, lr, params0 = _setup(rng)
    value, changed = _call_watching_inputs(student, "fit_autograd", X, y, lr, 3, params0)
    assert isinstance(value, torch.Tensor), (
        f"fit_autograd should return a torch.Tensor, got {type(value).__name__}"
    )
    assert tuple(value.shape) == (4,), (
        f"fit_autograd should return shape (4,), got {tuple(value.shape)}"
    )
    assert value.dtype == torch.float64, (
        f"fit_autograd should compute in float64 (torch.float64), got {str(value.dtype).removeprefix('torch.')}"
    )
    assert not changed[4], (
        "fit_autograd changed the caller's params0 in place: torch.as_tensor(params0) and "
        "torch.from_numpy share its memory; start from a copy (torch.tensor(params0, ...) or .clone())"
    )
    assert not (changed[0] or changed[1]), "fit_autograd must not modify X or y"
    expected, _ = reference_solution.gradient_descent(X, y, lr, 3, params0)
    tolerance = dict(rtol=1e-4, atol=1e-5 * max(1.0, np.abs(expected).max()))
    # wrong values with numpy inputs too: the descent itself is off, not the handling of torch inputs
    assert_close(
        _params(value),
        expected,
        "fit_autograd: params after 3 epochs (numpy inputs)",
        **tolerance,
        hint="the values are wrong whatever the type of X and y (see the descent trajectory line); "
        + HINT,
    )
    got = _params(
        student.fit_autograd(torch.from_numpy(X), torch.from_numpy(y), lr, 3, params0.copy()),
        "fit_autograd with torch tensors as X and y",
    )
    assert_close(
        got,
        expected,
        "fit_autograd with torch tensors as X and y",
        **tolerance,
        hint="with numpy arrays the values are right; X and y may be numpy arrays or torch tensors: "
        "torch.as_tensor(X, dtype=torch.float64) takes both",
    )
    got = _params(
        student.fit_autograd(X, y, lr, 0, params0.copy()), "fit_autograd with n_epochs = 0"
    )
    assert np.allclose(got, params0, rtol=0, atol=1e-12), (
        "fit_autograd with n_epochs = 0 should return params0 unchanged (as a float64 tensor): every update belongs "
        "to one epoch inside the loop, none comes before it"
    )
