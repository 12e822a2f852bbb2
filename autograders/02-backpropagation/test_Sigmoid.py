"""Hidden tests of Sigmoid (02-backpropagation, 3 points).

Values are compared with absolute tolerances only in the tails (a correct sigmoid need not be
relatively accurate at 1e-300; ``0.5 * (1 + tanh(x / 2))`` is fine). The stability line asks for
finite, warning-free output up to |x| = 1000, as the contract says; underflow is never an error, and
a textbook ``1 / (1 + exp(-x))`` that overflows (with a warning) loses only that line.
The derivative is checked against finite differences of the reference sigmoid in float64.
"""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_shape, load_helper


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


EXTREME = np.array(
    [
        -1000.0,
        -800.0,
        -745.0,
        -710.0,
        -100.0,
        -40.0,
        -20.0,
        0.0,
        20.0,
        40.0,
        100.0,
        710.0,
        745.0,
        800.0,
        1000.0,
    ]
)


def _sigmoid(reference_solution, x):
    return reference_solution.Sigmoid().forward(np.asarray(x, dtype=np.float64))


@pytest.mark.points(1)
def test_forward(student, rng, reference_solution, bp):
    """forward returns 1 / (1 + exp(-x)) element-wise, with the shape of x"""
    for shape in [(5, 4), (8, 1)]:
        x = 3.0 * rng.normal(size=shape)
        with student.forbid_torch():
            out = student.Sigmoid().forward(x)
        bp.close(
            out,
            _sigmoid(reference_solution, x),
            "Sigmoid.forward's output",
            rtol=1e-5,
            atol=1e-7,
            hint="it should be 1 / (1 + exp(-x)) element-wise",
            mistakes=[
                (
                    _sigmoid(reference_solution, -x),
                    "Sigmoid.forward computes 1 / (1 + exp(x)): the sign in the exponent is wrong",
                )
            ],
        )


@pytest.mark.points(1)
def test_extreme_inputs(student, rng, reference_solution, bp):
    """forward is finite, in [0, 1] and warning-free for |x| up to 1000 (numerically stable)"""
    x = rng.permutation(EXTREME).reshape(3, 5)
    with student.forbid_torch():
        sig = student.Sigmoid()
    report = bp.checked_call("Sigmoid.forward", sig.forward, x)
    out = assert_shape(report["value"], x.shape, "Sigmoid.forward's output")
    assert np.all(np.isfinite(out)), (
        "Sigmoid.forward returns NaN or inf for large |x| (exp(x) / (1 + exp(x)) is inf / inf for x > 709): "
        "use a numerically stable formulation"
    )
    assert np.all((out >= 0) & (out <= 1)), (
        "Sigmoid.forward returns values outside [0, 1] for large |x|"
    )
    expected = _sigmoid(reference_solution, x)
    assert np.allclose(out, expected, rtol=1e-6, atol=1e-7), (
        "Sigmoid.forward: wrong values for large |x| (it should tend to 0 for x -> -inf and to 1 for x -> +inf)"
    )
    problems = sorted(
        {w for w in report["warnings"] if "overflow" in w or "invalid" in w or "divide" in w}
    )
    assert not problems, (
        "Sigmoid.forward is not warning-free for |x| up to 1000 ("
        + "; ".join(problems)[:200]
        + "): compute "
        "z = exp(-|x|), which never overflows, and use 1 / (1 + z) for x >= 0 and z / (1 + z) for x < 0 "
        "(np.where evaluates both branches on all elements, so the textbook formula inside np.where still "
        "overflows)"
    )


@pytest.mark.points(1)
def test_backward(student, rng, reference_solution, bp):
    """backward matches finite differences: grad_out * s * (1 - s) for the latest input; about 0 where it saturates"""
    shape = (6, 3)
    earlier = 3.0 * rng.normal(size=shape)
    x = 3.0 * rng.normal(size=shape)
    grad_out = rng.normal(size=shape)
    with student.forbid_torch():
        sig = student.Sigmoid()
        sig.forward(earlier)
        sig.forward(x)
        grad_in = sig.backward(grad_out)
    assert grad_in is not None, (
        "Sigmoid.backward should return dL/dx, the gradient w.r.t. its input"
    )
    h = 1e-6
    derivative = (_sigmoid(reference_solution, x + h) - _sigmoid(reference_solution, x - h)) / (
        2 * h
    )
    s = _sigmoid(reference_solution, x)
    s_of_s = _sigmoid(reference_solution, s)
    s_earlier = _sigmoid(reference_solution, earlier)
    bp.close(
        as_array(grad_in, "Sigmoid.backward's returned dL/dx"),
        grad_out * derivative,
        "Sigmoid.backward's returned dL/dx",
        rtol=1e-5,
        atol=1e-7,
        hint="it should be grad_out * s * (1 - s) with s = sigmoid(x) of the latest forward input",
        mistakes=[
            (
                derivative,
                "Sigmoid.backward should return grad_out times the derivative s * (1 - s), "
                "not the derivative alone",
            ),
            (
                grad_out * s_of_s * (1 - s_of_s),
                "Sigmoid.backward applies the sigmoid twice: if you "
                "stored the output s, the derivative is s * (1 - s), "
                "not sigmoid(s) * (1 - sigmoid(s))",
            ),
            (
                grad_out * s_earlier * (1 - s_earlier),
                "Sigmoid.backward used an earlier forward call: "
                "store the input or output on every forward "
                "call",
            ),
        ],
    )
    # saturation: s * (1 - s) is about 0 for |x| >= 40; exp(-x) / (1 + exp(-x))**2 is inf / inf = nan at -1000
    x = rng.permutation(EXTREME).reshape(3, 5)
    grad_out = rng.normal(size=x.shape) + 1.0
    with student.forbid_torch():
        sig = student.Sigmoid()
        out = sig.forward(x)
        grad_in = sig.backward(grad_out)
    got = assert_shape(grad_in, x.shape, "Sigmoid.backward's returned dL/dx for |x| up to 1000")
    # judged against the student's own forward output, so that an unstable forward costs only its own line
    s = np.asarray(as_array(out, "Sigmoid.forward's output"), dtype=np.float64).reshape(x.shape)
    ok = np.isfinite(s)
    assert np.all(np.isfinite(got[ok])) and np.allclose(
        got[ok], (grad_out * s * (1 - s))[ok], rtol=1e-5, atol=1e-12
    ), (
        "Sigmoid.backward where the sigmoid saturates (|x| up to 1000) must give about 0 (s * (1 - s) is about 0 "
        "there), never NaN: compute the derivative from the output s, not from exp(-x) (inf / inf = nan)"
    )
