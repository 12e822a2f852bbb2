"""Hidden tests of ReLU (02-backpropagation, 3 points).

Inputs are kept at least 1e-2 away from the kink, except where the tests put exact zeros on purpose.
The notebook states the derivative 1[x > 0] (PyTorch's choice), so at x = 0 (and -0.0) backward must
give 0. The inputs with exact zeros are generated with hypothesis (``nncourse.grading.edges``): the
boundaries themselves as explicit examples (a batch of one at 0, a row of signed zeros, a column of
zeros), then arrays that mix exact zeros with values at least 1e-3 away from 0 (float32-safe).
"""

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncourse.grading.asserts import as_array, assert_shape, load_helper
from nncourse.grading.edges import draw


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


def _away_from_kink(rng, shape):
    x = rng.normal(size=shape)
    return x + np.where(x >= 0, 1e-2, -1e-2)


def _inputs_with_zeros() -> list[np.ndarray]:
    """Arrays with exact zeros: the explicit boundaries first, then generated ones."""
    values = st.one_of(st.sampled_from([0.0, -0.0]), st.floats(1e-3, 10.0), st.floats(-10.0, -1e-3))
    shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6)
    examples = [np.zeros((1, 1)), np.array([[-0.0, 0.0, 1.5, -1.5, 0.0]]), np.zeros((4, 1))]
    return draw(
        "02-ReLU-zeros", hnp.arrays(np.float64, shapes, elements=values), examples=examples, count=4
    )


def _upstream(rng, shape):
    """A random upstream gradient without zeros (a gradient passed through at x = 0 shows)."""
    g = rng.normal(size=shape)
    return g + np.where(g >= 0, 0.1, -0.1)


@pytest.mark.points(1)
def test_forward(student, rng, reference_solution, bp):
    """forward returns max(x, 0) element-wise, with the shape of x, also for a batch of one and at x = 0"""
    with student.forbid_torch():
        forward = student.ReLU().forward  # one layer for every input (fewer round trips)
    for x in [
        _away_from_kink(rng, (6, 5)),
        _away_from_kink(rng, (3, 8)),
        *_inputs_with_zeros()[:3],
    ]:
        with student.forbid_torch():
            out = forward(x)
        expected = reference_solution.ReLU().forward(x)
        bp.close(
            out,
            expected,
            "ReLU.forward's output",
            rtol=1e-6,
            atol=0.0,
            hint="it should be max(x, 0) element-wise (np.maximum(x, 0))",
            mistakes=[
                (
                    np.minimum(x, 0),
                    "ReLU.forward should keep the positive entries and set the "
                    "negative ones to 0, not the other way round",
                )
            ],
        )


@pytest.mark.points(1)
def test_backward(student, rng, reference_solution):
    """backward returns grad_out * 1[x > 0] for the latest input: 0 at x = 0, as torch"""
    shape = (7, 5)
    earlier = _away_from_kink(rng, shape)
    x = _away_from_kink(rng, shape)
    zeros = rng.random(shape) < 0.15
    x[zeros] = 0.0
    x[zeros & (rng.random(shape) < 0.5)] = -0.0
    grad_out = rng.normal(size=shape)
    with student.forbid_torch():
        relu = student.ReLU()
        relu.forward(earlier)
        relu.forward(x)
        grad_in = relu.backward(grad_out)
    ref = reference_solution.ReLU()
    ref.forward(x)
    expected = ref.backward(grad_out)
    assert grad_in is not None, "ReLU.backward should return dL/dx, the gradient w.r.t. its input"
    got = assert_shape(grad_in, shape, "ReLU.backward's returned dL/dx")
    assert np.all(np.isfinite(got)), "ReLU.backward returns NaN or infinite values"
    away = ~zeros
    if not np.allclose(got[away], expected[away], rtol=1e-6, atol=1e-12):
        stale = reference_solution.ReLU()
        stale.forward(earlier)
        if np.allclose(got, stale.backward(grad_out), rtol=1e-6, atol=1e-12):
            raise AssertionError(
                "ReLU.backward used the input of an earlier forward call: store the input "
                "(or the mask) on every forward call"
            )
        if np.allclose(got[away], (x > 0)[away], rtol=1e-6, atol=1e-12):
            raise AssertionError(
                "ReLU.backward should return grad_out times the derivative 1[x > 0], not the "
                "derivative alone"
            )
        raise AssertionError(
            "ReLU.backward: wrong values; it should pass grad_out through where the input of "
            "the latest forward call was > 0 and return 0 where it was < 0"
        )
    _check_zeros(got, grad_out, zeros)
    forward, backward = relu.forward, relu.backward  # one layer, used again (fewer round trips)
    for x in _inputs_with_zeros():
        grad_out = _upstream(rng, x.shape)
        with student.forbid_torch():
            forward(x.copy())
            grad_in = backward(grad_out)
        assert grad_in is not None, (
            "ReLU.backward should return dL/dx, the gradient w.r.t. its input"
        )
        got = assert_shape(grad_in, x.shape, "ReLU.backward's returned dL/dx")
        zeros = x == 0
        _check_zeros(got, grad_out, zeros)
        assert np.allclose(got[~zeros], (grad_out * (x > 0))[~zeros], rtol=1e-6, atol=1e-12), (
            "ReLU.backward: wrong values; it should pass grad_out through where the input of the latest forward "
            "call was > 0 and return 0 where it was < 0"
        )


def _check_zeros(got, grad_out, zeros):
    """The rule at the kink: the derivative 1[x > 0] is 0 at x = 0 (and at -0.0)."""
    if not np.any(zeros) or np.allclose(got[zeros], 0.0, rtol=0, atol=1e-12):
        return
    slope = got[zeros] / grad_out[zeros]
    if np.allclose(slope, 1.0, rtol=1e-6):
        detail = "yours passes grad_out through there (a mask x >= 0 instead of x > 0)"
    elif np.allclose(slope, 0.5, rtol=1e-6):
        detail = "yours uses 1/2 there"
    else:
        detail = "yours does not give 0 there"
    raise AssertionError(
        "ReLU.backward at x = 0 must give 0, as torch does: the derivative is 1[x > 0] "
        f"(also for x = -0.0); {detail}"
    )


@pytest.mark.points(1)
def test_input_unchanged(student, rng, bp):
    """forward does not modify the caller's array"""
    x = _away_from_kink(rng, (6, 4))
    with student.forbid_torch():
        relu = student.ReLU()
    report = bp.checked_call("ReLU.forward", relu.forward, x)
    assert not report["changed"][0], (
        "ReLU.forward must not modify its input array (x[x < 0] = 0 changes the caller's array, e.g. the "
        "output that the layer before it may still need): use np.maximum(x, 0) or work on a copy"
    )
    as_array(report["value"], "ReLU.forward's output")
