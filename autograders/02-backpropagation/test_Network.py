"""Hidden tests of Network (02-backpropagation, 3 points).

1. Network's own logic, with stand-in layers built inside the sandbox (plain numpy, recording their
   calls): independent of the student's Linear/ReLU/Sigmoid.
2. and 3. The student's own layers in the student's Network against torch autograd in float64: the
   lecture's 2-4-1 net (Linear, ReLU, Linear, Sigmoid) and a deeper one with a hidden sigmoid. The
   upstream gradient dL/dprobs comes from torch, so bce_grad is not involved.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nncourse.grading.asserts import as_array, assert_shape, load_helper
from nncourse.grading.student import StudentError


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


LAYER_HINT = (
    "if Network's line with stand-in layers passed, the mistake is in one of your layers: see the "
    "lines of Linear, ReLU and Sigmoid"
)


# ---------------------------------------------------------------------------- stand-in layers
def _standin_specs(rng, sizes):
    """Affine stand-ins ``[forward_map, shift, backward_map]``, one per size step and a square one between
    (five layers for four sizes, like linear, activation, linear, activation, linear)."""
    shapes = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            shapes.append((n_in, n_in))
        shapes.append((n_in, n_out))
    return [
        [rng.normal(size=(n_in, n_out)), rng.normal(size=n_out), rng.normal(size=(n_out, n_in))]
        for n_in, n_out in shapes
    ]


def _chain_forward(specs, x):
    for forward_map, shift, _ in specs:
        x = x @ forward_map + shift
    return x


def _chain_backward(specs, grad):
    for _, _, backward_map in reversed(specs):
        grad = grad @ backward_map
    return grad


def _forward_problem(records, count):
    """A message if the calls recorded during forward are not forward 0, 1, ..., count - 1."""
    if [tuple(r) for r in records] != [("forward", i) for i in range(count)]:
        return "Network.forward should call each layer's forward exactly once, in order (first layer first)"
    return None


def _backward_problem(records, count):
    """A message if the calls recorded during backward are not backward count - 1, ..., 1, 0."""
    calls = [tuple(r) for r in records]
    expected = [("backward", i) for i in reversed(range(count))]
    if calls == expected:
        return None
    if sorted(calls) == sorted(expected):
        return (
            "Network.backward should call the layers' backward in REVERSE order (last layer first)"
        )
    return (
        "Network.backward should call every layer's backward exactly once, in reverse order (the first "
        "layer's too: it returns dL/dx)"
    )


@pytest.mark.points(1)
def test_chains_layers(student, rng, bp):
    """forward chains the layers in order; backward in reverse order and returns dL/dx"""
    specs = _standin_specs(rng, [3, 5, 4, 2])
    tape = student.instrument("standin_layers", specs)
    with student.forbid_torch():
        net = student.Network(tape.layers)
    count = len(specs)
    for _ in range(2):  # twice: a Network that reverses its list in place fails the second round
        x = rng.normal(size=(6, 3))
        grad = rng.normal(size=(6, 2))
        start = len(tape.records)
        try:
            with student.forbid_torch():
                out = net.forward(x)
        except StudentError:
            problem = _forward_problem(tape.records[start:], count)
            if problem:
                raise AssertionError(problem) from None
            raise
        problem = _forward_problem(tape.records[start:], count)
        assert problem is None, problem
        bp.close(
            out,
            _chain_forward(specs, x),
            "Network.forward's output",
            hint="it should feed x through the layers in order and return the last layer's output",
        )
        start = len(tape.records)
        try:
            with student.forbid_torch():
                grad_in = net.backward(grad)
        except StudentError:
            problem = _backward_problem(tape.records[start:], count)
            if problem:
                raise AssertionError(problem) from None
            raise
        problem = _backward_problem(tape.records[start:], count)
        assert problem is None, problem
        expected_grad = _chain_backward(specs, grad)
        assert grad_in is not None, (
            "Network.backward should return dL/dx, the gradient w.r.t. the network input"
        )
        bp.close(
            grad_in,
            expected_grad,
            "Network.backward's returned dL/dx",
            hint="pass each layer's returned gradient to the layer before it, and return what the first "
            "layer's backward returns",
            mistakes=[
                (
                    grad,
                    "Network.backward should return the gradient that comes out of the first "
                    "layer's backward (grad = layer.backward(grad)), not the gradient it received",
                )
            ],
        )


# ------------------------------------------------------------------------- the student's own layers
def _student_net(student, specs):
    layers = []
    for spec in specs:
        if spec[0] == "linear":
            layer = student.Linear(*spec[1].shape)
            layer.weights = spec[1]
            layer.bias = spec[2]
        else:
            layer = student.ReLU() if spec[0] == "relu" else student.Sigmoid()
        layers.append(layer)
    return student.Network(layers), layers


def _torch_gradients(specs, x, y):
    """probs, dL/dprobs, dL/dx and [(dL/dW, dL/db)] per linear layer, by autograd in float64."""
    x_t = torch.from_numpy(x).requires_grad_(True)
    params, h = [], x_t
    for spec in specs:
        if spec[0] == "linear":
            w = torch.from_numpy(spec[1].copy()).requires_grad_(True)
            b = torch.from_numpy(spec[2].copy()).requires_grad_(True)
            params.append((w, b))
            h = h @ w + b
        else:
            h = torch.relu(h) if spec[0] == "relu" else torch.sigmoid(h)
    h.retain_grad()
    F.binary_cross_entropy(h, torch.from_numpy(y)).backward()
    return (
        h.detach().numpy(),
        h.grad.numpy(),
        x_t.grad.numpy(),
        [(w.grad.numpy(), b.grad.numpy()) for w, b in params],
    )


def _compare_with_torch(student, bp, specs, x, y, name):
    probs, grad_probs, grad_x, grads = _torch_gradients(specs, x, y)
    with student.forbid_torch():
        net, layers = _student_net(student, specs)
        out = net.forward(x)
    bp.close(
        out,
        probs,
        f"{name}: Network.forward's output (probabilities)",
        rtol=1e-5,
        atol=1e-7,
        hint=LAYER_HINT,
    )
    with student.forbid_torch():
        grad_in = net.backward(grad_probs)
    assert grad_in is not None, (
        "Network.backward should return dL/dx, the gradient w.r.t. the network input"
    )
    bp.close(
        grad_in,
        grad_x,
        f"{name}: Network.backward's returned dL/dx",
        rtol=1e-5,
        atol=1e-7,
        hint=LAYER_HINT,
    )
    linear = [layer for spec, layer in zip(specs, layers) if spec[0] == "linear"]
    for k, (layer, (grad_w, grad_b)) in enumerate(zip(linear, grads), start=1):
        got_w = assert_shape(
            layer.grad_weights, grad_w.shape, f"{name}: grad_weights of Linear layer {k}"
        )
        bp.close(
            got_w,
            grad_w,
            f"{name}: grad_weights (dL/dW{k}) of Linear layer {k}",
            rtol=1e-5,
            atol=1e-7,
            hint=LAYER_HINT,
        )
        bp.close(
            as_array(layer.grad_bias, f"{name}: grad_bias of Linear layer {k}"),
            grad_b,
            f"{name}: grad_bias (dL/db{k}) of Linear layer {k}",
            rtol=1e-5,
            atol=1e-7,
            allow_squeeze=True,
            hint=LAYER_HINT,
        )


@pytest.mark.points(1)
def test_lecture_net_matches_torch(student, rng, bp):
    """the 2-4-1 network of your layers matches torch autograd (float64)"""
    specs = [
        ["linear", rng.uniform(-1.2, 1.2, size=(2, 4)), rng.uniform(-0.7, 0.7, size=4)],
        ["relu"],
        ["linear", rng.uniform(-1.0, 1.0, size=(4, 1)), rng.uniform(-0.5, 0.5, size=1)],
        ["sigmoid"],
    ]
    x = rng.uniform(-1.0, 1.0, size=(8, 2))
    y = rng.integers(0, 2, size=(8, 1)).astype(np.float64)
    _compare_with_torch(student, bp, specs, x, y, "2-4-1 network")


@pytest.mark.points(1)
def test_deeper_net_matches_torch(student, rng, bp):
    """a deeper network of your layers (3-6-5-4-2, ReLU and sigmoid) matches torch autograd"""
    sizes = [3, 6, 5, 4, 2]
    specs = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        specs.append(
            ["linear", rng.normal(size=(n_in, n_out)) / np.sqrt(n_in), 0.3 * rng.normal(size=n_out)]
        )
        specs.append(["sigmoid"] if i in (1, 3) else ["relu"])
    x = rng.normal(size=(7, 3))
    y = rng.integers(0, 2, size=(7, 2)).astype(np.float64)
    _compare_with_torch(student, bp, specs, x, y, "3-6-5-4-2 network")
