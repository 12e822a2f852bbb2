"""mse_gradient(params, X, y) -> ndarray (4,): the analytic gradient of mse_loss, numpy only.

Every call runs under ``student.forbid_torch()``: autograd or any other torch operation fails.
Expected values come from central finite differences of the reference loss in float64 and from torch
autograd in float64, both computed here in the grader.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import as_array, assert_close, load_helper

HINT = (
    "the gradient is (1/n) X~^T (X~ params - y) with X~ = [1, X]: dL/da = mean(r), dL/db = mean(r x1), ... "
    "where r = y_hat - y (the 1/2 of the loss cancels the 2 of the square)"
)


_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw


def _finite_differences(loss, params, h=1e-6):
    grad = np.zeros(4)
    for j in range(4):
        step = np.zeros(4)
        step[j] = h
        grad[j] = (loss(params + step) - loss(params - step)) / (2 * h)
    return grad


def _autograd(params, X, y):
    theta = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    Xt, yt = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    (0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)).backward()
    return theta.grad.numpy()


def _scale(params, X, y):
    """Typical size of the summed terms (|r_i| + |y_i| + sum_j |x~_ij params_j|) |x~_ij|: float32 rounding of
    the residuals is relative to the terms they are computed from, not to the (possibly tiny) residuals."""
    X_tilde = np.column_stack([np.ones(len(X)), X])
    terms = np.abs(X_tilde @ params - y) + np.abs(y) + np.abs(X_tilde) @ np.abs(params)
    return float(np.mean(terms[:, None] * np.abs(X_tilde)))


@pytest.mark.points(2)
def test_matches_finite_differences(student, rng, reference_solution):
    """matches finite differences of the loss on a random batch (numpy only)"""
    X, y = _draw(rng, 50)
    params = rng.uniform(-3.0, 3.0, 4)
    expected = _finite_differences(lambda p: reference_solution.mse_loss(p, X, y), params)
    with student.forbid_torch():
        got = student.mse_gradient(params, X, y)
    assert_close(
        got,
        expected,
        "mse_gradient",
        rtol=1e-5,
        atol=1e-5 * _scale(params, X, y),
        allow_squeeze=True,
        hint=HINT,
    )


@pytest.mark.points(2)
def test_matches_autograd_for_other_batch_sizes(student, rng):
    """matches torch autograd for n = 1, 2 and 400 observations (numpy only)"""
    for n, means, scales in (
        (1, (2.0, 3.0, 1.0), 1.0),
        (2, (0.0, -1.0, 4.0), 2.0),
        (400, (2.0, 3.0, 1.0), 1.0),
    ):
        X, y = _draw(rng, n, means=means, scales=scales)
        params = rng.uniform(-3.0, 3.0, 4)
        with student.forbid_torch():
            got = student.mse_gradient(params, X, y)
        assert_close(
            got,
            _autograd(params, X, y),
            f"mse_gradient with n = {n} observation{'s' * (n > 1)}",
            rtol=1e-5,
            atol=1e-5 * _scale(params, X, y),
            allow_squeeze=True,
            hint=HINT,
        )


@pytest.mark.points(1)
def test_returns_a_flat_array(student, rng):
    """returns a flat array of shape (4,)"""
    X, y = _draw(rng, 8)
    with student.forbid_torch():
        got = as_array(student.mse_gradient(rng.uniform(-3.0, 3.0, 4), X, y), "mse_gradient")
    assert got.shape == (4,), (
        f"mse_gradient should return shape (4,) like params, got {got.shape}: "
        "params - lr * gradient with a (4, 1) gradient broadcasts to a (4, 4) matrix"
    )
    assert np.all(np.isfinite(got)), "mse_gradient contains NaN or infinite values"
