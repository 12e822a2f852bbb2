"""Hidden tests of ReLU (02-backpropagation, 3 points).

Inputs are kept at least 1e-2 away from the kink, except where the test puts exact zeros on purpose:
there any derivative in [0, 1] is accepted (PyTorch's 0, the lecture's 1 from ``x >= 0``, 1/2).
"""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_shape, load_helper


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


def _away_from_kink(rng, shape):
    x = rng.normal(size=shape)
    return x + np.where(x >= 0, 1e-2, -1e-2)


@pytest.mark.points(1)
def test_forward(student, rng, reference_solution, bp):
    """forward returns max(x, 0) element-wise, with the shape of x"""
    for shape in [(6, 5), (3, 8)]:
        x = _away_from_kink(rng, shape)
        with student.forbid_torch():
            out = student.ReLU().forward(x)
        expected = reference_solution.ReLU().forward(x)
        bp.close(out, expected, "ReLU.forward's output", rtol=1e-6, atol=0.0,
                 hint="it should be max(x, 0) element-wise (np.maximum(x, 0))",
                 mistakes=[(np.minimum(x, 0), "ReLU.forward should keep the positive entries and set the "
                                              "negative ones to 0, not the other way round")])


@pytest.mark.points(1)
def test_backward(student, rng, reference_solution):
    """backward returns grad_out * 1[x > 0] for the latest input (any derivative in [0, 1] at x = 0)"""
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
            raise AssertionError("ReLU.backward used the input of an earlier forward call: store the input "
                                 "(or the mask) on every forward call")
        if np.allclose(got[away], (x > 0)[away], rtol=1e-6, atol=1e-12):
            raise AssertionError("ReLU.backward should return grad_out times the derivative 1[x > 0], not the "
                                 "derivative alone")
        raise AssertionError("ReLU.backward: wrong values; it should pass grad_out through where the input of "
                             "the latest forward call was > 0 and return 0 where it was < 0")
    slope = got[zeros] / grad_out[zeros]
    assert np.all((slope >= -1e-9) & (slope <= 1 + 1e-9)), (
        "ReLU.backward at x = 0: the derivative may be any value in [0, 1] (PyTorch uses 0), times grad_out")


@pytest.mark.points(1)
def test_input_unchanged(student, rng, bp):
    """forward does not modify the caller's array"""
    x = _away_from_kink(rng, (6, 4))
    with student.forbid_torch():
        relu = student.ReLU()
    report = bp.checked_call("ReLU.forward", relu.forward, x)
    assert not report["changed"][0], (
        "ReLU.forward must not modify its input array (x[x < 0] = 0 changes the caller's array, e.g. the "
        "output that the layer before it may still need): use np.maximum(x, 0) or work on a copy")
    as_array(report["value"], "ReLU.forward's output")
