"""Hidden tests of calculate_gain (05-weight-init, 3 points)."""

import pytest
import torch

from nncourse.grading.asserts import assert_scalar
from nncourse.grading.student import StudentError

RTOL = 1e-6  # exact formulas; leaves room for float32 arithmetic, far below the 5e-5 of slope 0 vs 0.01


def check_gain(student, nonlinearity, param, hint, shown_param=None):
    args = (nonlinearity,) if param == "omitted" else (nonlinearity, param)
    shown_param = shown_param or repr(param)
    shown = (
        f"calculate_gain({nonlinearity!r}"
        + ("" if param == "omitted" else f", {shown_param}")
        + ")"
    )
    expected = torch.nn.init.calculate_gain(nonlinearity, None if param == "omitted" else param)
    got = assert_scalar(student.calculate_gain(*args), shown)
    assert abs(got - expected) <= RTOL * abs(expected), f"{shown}: wrong gain; {hint}"


@pytest.mark.points(1)
def test_fixed_gains(student, rng):
    """'linear', 'sigmoid', 'tanh', 'relu': the gains of torch.nn.init.calculate_gain (param ignored)"""
    hint = "the gains are 1 ('linear', 'sigmoid'), 5/3 ('tanh') and sqrt(2) ('relu'); param only matters for 'leaky_relu'"
    for nonlinearity in ("linear", "sigmoid", "tanh", "relu"):
        check_gain(student, nonlinearity, "omitted", hint)
        check_gain(student, nonlinearity, None, hint)
        check_gain(student, nonlinearity, float(rng.uniform(0.1, 0.9)), hint, shown_param="param")


@pytest.mark.points(1)
def test_leaky_relu_slopes(student, rng):
    """'leaky_relu': sqrt(2 / (1 + slope²)), slope 0.01 when param is None, param=0 is a slope of 0"""
    hint = (
        "the LeakyReLU gain is sqrt(2 / (1 + slope**2)) with slope = param; only param=None means the "
        "default slope 0.01 (param=0 is a valid slope: test 'param is None', not 'not param')"
    )
    for slope in ("omitted", None, 0, 0.0, 0.2, 0.5):
        check_gain(student, "leaky_relu", slope, hint)
    check_gain(student, "leaky_relu", float(rng.uniform(1.0, 3.0)), hint, shown_param="slope")


@pytest.mark.points(1)
def test_unknown_nonlinearity(student):
    """an unknown nonlinearity raises a ValueError"""
    for name in ("gelu", "softmax", "elu"):
        try:
            student.calculate_gain(name)
        except StudentError as exc:
            if exc.type == "NotImplementedError":
                raise
            assert exc.type == "ValueError", (
                f"calculate_gain with an unknown nonlinearity should raise a ValueError, it raised {exc.type} "
                "(e.g. a KeyError from a dict lookup: check the name first and raise ValueError yourself)"
            )
        else:
            raise AssertionError(
                "calculate_gain with an unknown nonlinearity should raise a ValueError, "
                "it returned a value"
            )
