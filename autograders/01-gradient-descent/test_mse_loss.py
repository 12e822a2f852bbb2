"""mse_loss(params, X, y) -> float: mean((y_hat - y) ** 2) / 2."""

import numpy as np
import pytest

from nncourse.grading.asserts import assert_close, assert_scalar, load_helper


def _slack(params, X, y):
    """Absolute tolerance for float32 students: rounding of each residual is relative to the terms it
    is computed from (|y| + sum |x~ params|), so the loss may be off by about |r| times that."""
    X_tilde = np.column_stack([np.ones(len(X)), X])
    residual = X_tilde @ params - y
    return (
        1e-5 * float(np.mean(np.abs(residual) * (np.abs(y) + np.abs(X_tilde) @ np.abs(params))))
        + 1e-12
    )


_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw


@pytest.mark.points(1)
def test_half_mean_squared_error(student, rng, reference_solution):
    """equals mean((y_hat - y) ** 2) / 2 on a random batch"""
    X, y = _draw(rng, 45)
    params = rng.uniform(-3.0, 3.0, 4)
    got = assert_scalar(student.mse_loss(params, X, y), "mse_loss")
    assert_close(
        got,
        reference_solution.mse_loss(params, X, y),
        "mse_loss",
        rtol=1e-5,
        atol=_slack(params, X, y),
        hint="the loss is the mean over the observations of (y_hat - y)^2, then halved",
    )


@pytest.mark.points(1)
def test_single_observation_and_perfect_fit(student, rng, reference_solution):
    """is one number: (y_hat - y)^2 / 2 for n = 1, and 0 at a perfect fit"""
    X, y = _draw(rng, 1)
    params = rng.uniform(-3.0, 3.0, 4)
    got = assert_scalar(student.mse_loss(params, X, y), "mse_loss")
    assert_close(
        got,
        reference_solution.mse_loss(params, X, y),
        "mse_loss for a single observation",
        rtol=1e-5,
        atol=_slack(params, X, y),
        hint="for n = 1 the loss is (y_hat - y)^2 / 2",
    )
    X, _ = _draw(rng, 9)
    exact = reference_solution.predict(params, X)
    got = assert_scalar(student.mse_loss(params, X, exact), "mse_loss")
    assert abs(got) <= 1e-6 * max(1.0, float(np.mean(exact**2))), (
        "mse_loss should be 0 when y equals the model's predictions"
    )
