"""predict(params, X) -> ndarray (n,): a + b x1 + c x2 + d x3 for every row of X."""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_close, load_helper

_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw


@pytest.mark.points(1)
def test_matches_the_linear_model(student, rng, reference_solution):
    """matches a + b x1 + c x2 + d x3 on random data"""
    X, _ = _draw(rng, 37)
    params = rng.uniform(-3.0, 3.0, 4)
    expected = reference_solution.predict(params, X)
    got = student.predict(params, X)
    assert_close(
        got,
        expected,
        "predict",
        rtol=1e-5,
        atol=1e-5 * max(1.0, np.abs(expected).max()),
        allow_squeeze=True,
        hint="params is [a, b, c, d] with the intercept a first: y_hat = a + b x1 + c x2 + d x3",
    )


@pytest.mark.points(1)
def test_returns_one_prediction_per_row(student, rng):
    """returns a flat array of shape (n,), also for n = 1"""
    for n in (1, 6):
        X, _ = _draw(rng, n)
        got = as_array(student.predict(rng.uniform(-3.0, 3.0, 4), X), "predict")
        assert got.shape == (n,), (
            f"predict should return one number per row of X, shape (n,) = ({n},), got shape {got.shape}; "
            "a column (n, 1) broadcasts against y of shape (n,) later on"
        )
