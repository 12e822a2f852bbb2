"""Hidden tests of Linear (02-backpropagation, 7 points).

Row convention: x is (batch, n_in), weights (n_in, n_out), out = x @ weights + bias. The tests set
``weights`` and ``bias`` themselves, use batches of at least 4 and random upstream gradients (a batch
of 1 or a gradient of ones hides a mean-instead-of-sum or a missing transpose), plus a batch of one
as a boundary of its own (shapes stay (1, n_out) and (1, n_in): nothing is squeezed), and shapes that are
non-square both ways plus a square one (only the square one turns a missing transpose into wrong
numbers instead of a crash). A crash in computing dL/dx after grad_weights and grad_bias were set
costs only the dL/dx line: the other lines still grade the parameter gradients.
"""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_shape, load_helper
from nncourse.grading.student import StudentError


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


SHAPES = [
    (5, 7, 3),
    (6, 3, 7),
    (4, 4, 4),
    (1, 3, 2),
]  # (batch, n_in, n_out); the last: a batch of one
SET_HINT = (
    "tests set layer.weights and layer.bias before calling forward, so always read them from "
    "these attributes"
)


def _problem(rng, n, n_in, n_out):
    return (
        rng.normal(size=(n_in, n_out)),
        rng.normal(size=n_out),
        rng.normal(size=(n, n_in)),
        rng.normal(size=(n, n_out)),
    )


def _student_layer(student, weights, bias):
    layer = student.Linear(weights.shape[0], weights.shape[1])
    layer.weights = weights
    layer.bias = bias
    return layer


def _expected(reference_solution, weights, bias, x, grad_out):
    """(out, grad_in, grad_weights, grad_bias) of the reference layer."""
    ref = reference_solution.Linear(
        weights.shape[0], weights.shape[1], rng=np.random.default_rng(0)
    )
    ref.weights, ref.bias = weights.copy(), bias.copy()
    out = ref.forward(x)
    grad_in = ref.backward(grad_out)
    return out, grad_in, ref.grad_weights, ref.grad_bias


def _gradients_or_none(layer):
    try:
        return [layer.grad_weights, layer.grad_bias]
    except StudentError:
        return None


def _same(first, second) -> bool:
    if first is None or second is None:
        return first is second
    return all(
        (a is None and b is None)
        or (
            a is not None
            and b is not None
            and np.shape(a) == np.shape(b)
            and np.array_equal(a, b, equal_nan=True)
        )
        for a, b in zip(first, second)
    )


def _backward(student, layer, grad_out):
    """``layer.backward(grad_out)``; a crash AFTER grad_weights and grad_bias were set (typically in computing
    dL/dx) is left to the dL/dx line, so that the other lines still grade the parameter gradients."""
    before = _gradients_or_none(layer)
    try:
        with student.forbid_torch():
            return layer.backward(grad_out)
    except StudentError as exc:
        if exc.type in ("NotImplementedError", "ForbiddenOperation"):
            raise
        after = _gradients_or_none(layer)
        if after is None or _same(after, before):
            raise
        return None


def _run(student, weights, bias, x, grad_out):
    with student.forbid_torch():
        layer = _student_layer(student, weights, bias)
        layer.forward(x)
    return layer, _backward(student, layer, grad_out)


@pytest.mark.points(1)
def test_init(student, seed):
    """__init__ creates weights (n_in, n_out) and bias (n_out,) drawn from rng"""
    numpy_random = student.import_module("numpy.random")
    with student.forbid_torch():
        first = student.Linear(5, 3, numpy_random.default_rng(seed))
        second = student.Linear(5, 3, numpy_random.default_rng(seed))
    weights = as_array(first.weights, "Linear(5, 3).weights")
    if weights.shape == (3, 5):
        raise AssertionError(
            "Linear(5, 3).weights has shape (3, 5): in the row convention weights has shape "
            "(n_in, n_out) = (5, 3), so that x @ weights works (torch.nn.Linear stores the "
            "transpose)"
        )
    assert_shape(weights, (5, 3), "Linear(5, 3).weights")
    assert_shape(first.bias, (3,), "Linear(5, 3).bias", allow_squeeze=True)
    assert np.all(np.isfinite(weights)), "Linear(5, 3).weights contains NaN or infinite values"
    assert np.ptp(weights) > 0, (
        "Linear should initialize its weights randomly (all weights are equal, so all units would stay alike)"
    )
    assert np.array_equal(weights, as_array(second.weights, "Linear(5, 3).weights")), (
        "Linear should draw its initial weights from the rng argument: two layers built with generators "
        "of the same seed got different weights"
    )
    with student.forbid_torch():
        default = student.Linear(4, 2)
    assert_shape(default.weights, (4, 2), "Linear(4, 2) with rng=None: weights")


@pytest.mark.points(1)
def test_forward(student, rng, reference_solution, bp):
    """forward returns x @ weights + bias, shape (batch, n_out), also for a batch of one"""
    for n, n_in, n_out in SHAPES:
        weights, bias, x, _ = _problem(rng, n, n_in, n_out)
        with student.forbid_torch():
            out = _student_layer(student, weights, bias).forward(x)
        expected = _expected(reference_solution, weights, bias, x, np.zeros((n, n_out)))[0]
        bp.close(
            out,
            expected,
            "Linear.forward's output",
            hint="it should be x @ weights + bias; " + SET_HINT,
            mistakes=[
                (
                    x @ weights,
                    "Linear.forward: the bias is missing, it should return x @ weights + bias",
                )
            ],
        )


@pytest.mark.points(1)
def test_backward_input_gradient(student, rng, reference_solution, bp):
    """backward returns dL/dx = grad_out @ weights.T, shape (batch, n_in)"""
    for n, n_in, n_out in SHAPES:
        weights, bias, x, grad_out = _problem(rng, n, n_in, n_out)
        with student.forbid_torch():
            layer = _student_layer(student, weights, bias)
            layer.forward(x)
            grad_in = layer.backward(grad_out)
        expected = _expected(reference_solution, weights, bias, x, grad_out)[1]
        assert grad_in is not None, (
            "Linear.backward should return dL/dx, the gradient w.r.t. its input"
        )
        bp.close(
            grad_in,
            expected,
            "Linear.backward's returned dL/dx",
            hint="dL/dx = grad_out @ weights.T, of shape (batch, n_in)",
            mistakes=[
                (
                    grad_out @ weights,
                    "Linear.backward: dL/dx = grad_out @ weights.T (the transpose is missing)",
                )
            ]
            if n_in == n_out
            else [],
        )


@pytest.mark.points(1)
def test_backward_grad_weights(student, rng, reference_solution, bp):
    """backward sets grad_weights = x.T @ grad_out, shape (n_in, n_out)"""
    for n, n_in, n_out in SHAPES:
        weights, bias, x, grad_out = _problem(rng, n, n_in, n_out)
        layer, _ = _run(student, weights, bias, x, grad_out)
        expected = _expected(reference_solution, weights, bias, x, grad_out)[2]
        got = as_array(layer.grad_weights, "Linear.grad_weights")
        if got.shape == (n_out, n_in) and n_in != n_out:
            raise AssertionError(
                "Linear.grad_weights must have the shape of weights, (n_in, n_out): use "
                "x.T @ grad_out (yours is transposed)"
            )
        bp.close(
            got,
            expected,
            "Linear.grad_weights",
            hint="dL/dW = x.T @ grad_out, with x the input of the latest forward call",
            mistakes=[
                (
                    expected / n,
                    "Linear.grad_weights: the gradient is a SUM over the batch: do not divide by the batch "
                    "size (the 1/N of the mean loss is already inside grad_out)",
                ),
                (
                    expected.T,
                    "Linear.grad_weights is transposed: use x.T @ grad_out, of shape (n_in, n_out)",
                ),
            ],
        )


@pytest.mark.points(1)
def test_backward_grad_bias(student, rng, reference_solution, bp):
    """backward sets grad_bias = the sum of grad_out over the batch"""
    for n, n_in, n_out in SHAPES:
        weights, bias, x, grad_out = _problem(rng, n, n_in, n_out)
        layer, _ = _run(student, weights, bias, x, grad_out)
        expected = _expected(reference_solution, weights, bias, x, grad_out)[3]
        message = "Linear.backward: grad_bias must be the sum over the batch"
        got = as_array(layer.grad_bias, "Linear.grad_bias")
        if got.size != n_out:
            raise AssertionError(
                f"{message} (one number per output unit, shape (n_out,) or (1, n_out); got shape "
                f"{got.shape})"
            )
        bp.close(
            got,
            expected,
            "Linear.grad_bias",
            allow_squeeze=True,
            hint="it must be the sum of grad_out over the batch (axis 0)",
            mistakes=[
                (
                    expected / n,
                    message + ", not the mean (the 1/N of the mean loss is already inside "
                    "grad_out)",
                ),
                (grad_out[0], message + ", not a single row of grad_out"),
            ],
        )


@pytest.mark.points(1)
def test_backward_keeps_weights(student, rng):
    """backward does not change weights or bias"""
    for n, n_in, n_out in SHAPES[:2]:
        weights, bias, x, grad_out = _problem(rng, n, n_in, n_out)
        layer, _ = _run(student, weights, bias, x, grad_out)
        after_w = as_array(layer.weights, "Linear.weights")
        after_b = as_array(layer.bias, "Linear.bias")
        unchanged = (
            after_w.shape == weights.shape
            and np.allclose(after_w, weights, rtol=1e-6, atol=0)
            and after_b.size == bias.size
            and np.allclose(after_b.ravel(), bias, rtol=1e-6, atol=0)
        )
        assert unchanged, (
            "Linear.backward must not change weights or bias: it only computes the gradients; "
            "updating the parameters is the optimizer's job (the training loop does it)"
        )


@pytest.mark.points(1)
def test_backward_uses_latest_forward_input(student, rng):
    """backward uses the input of the latest forward call and overwrites the previous gradients"""
    n, n_in, n_out = 5, 4, 3
    weights, bias, x1, grad1 = _problem(rng, n, n_in, n_out)
    x2, x3, grad2 = (
        rng.normal(size=(n, n_in)),
        rng.normal(size=(n, n_in)),
        rng.normal(size=(n, n_out)),
    )

    def gradients(layer, what):
        got_w = as_array(layer.grad_weights, f"Linear.grad_weights {what}")
        got_b = as_array(layer.grad_bias, f"Linear.grad_bias {what}")
        assert np.all(np.isfinite(got_w)) and np.all(np.isfinite(got_b)), (
            f"Linear.backward should set grad_weights and grad_bias (finite numbers) {what}"
        )
        return got_w, got_b

    def same(a, b):  # the layer compared with itself: only the bookkeeping matters here
        return (
            a[0].shape == b[0].shape
            and a[1].shape == b[1].shape
            and np.allclose(a[0], b[0], rtol=1e-6, atol=1e-9)
            and np.allclose(a[1], b[1], rtol=1e-6, atol=1e-9)
        )

    def fresh(x, grad):  # a new layer: one forward, one backward
        with student.forbid_torch():
            layer = _student_layer(student, weights, bias)
            layer.forward(x)
        _backward(student, layer, grad)
        return gradients(layer, "after one forward and one backward call")

    with student.forbid_torch():
        layer = _student_layer(student, weights, bias)
        layer.forward(x1)
        layer.forward(x2)
    _backward(student, layer, grad1)
    first = gradients(layer, "after forward(x1), forward(x2), backward(g)")
    if not same(first, fresh(x2, grad1)):
        hint = (
            " (it used the input of an earlier forward call: store the input on every forward call)"
            if same(first, fresh(x1, grad1))
            else ""
        )
        raise AssertionError(
            "Linear.backward should compute the gradients from the input of the latest forward "
            "call" + hint
        )
    with student.forbid_torch():
        layer.forward(x3)
    _backward(student, layer, grad2)
    second = gradients(layer, "after a second forward/backward")
    assert same(second, fresh(x3, grad2)), (
        "Linear.backward should set (overwrite) grad_weights and grad_bias on every call: yours depend on the "
        "previous backward call (adding to the old gradients? our training loop has no zero_grad)"
    )
