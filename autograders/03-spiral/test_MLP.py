"""Hidden tests of MLP (03-spiral, 5 points).

``MLP(n_features, hidden)`` is the chain Linear(n_features, hidden[0]) -> ReLU -> ... -> Linear(hidden[-1], 1)
and ``forward`` returns the logits. The layers are found among ``model.modules()`` by their
``(in_features, out_features)``, so attribute names, containers (ModuleList, Sequential, setattr) and the
order of registration are free. To compare forward passes the grader draws weights, loads them into the
student's and the reference's Linear layers (matched by shape: the widths drawn here make every layer
shape unique) and compares the logits.

Output shape, decided here: the contract says logits of shape ``(batch,)``. The values line accepts
``(batch, 1)`` too (it checks the arithmetic), and a separate 1-point line requires ``(batch,)``, for a batch
of one sample as well: ``(batch, 1)`` logits break ``BCEWithLogitsLoss`` against labels of shape
``(batch,)``, and ``squeeze()`` turns a batch of one into a 0-d tensor.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import as_array
from nncourse.grading.student import StudentError

RTOL, ATOL = 1e-5, 1e-5


def _linear_layers(student, model, label):
    """[(in_features, out_features, handle)] of every torch.nn.Linear inside the student's model."""
    builtins, nn = student.import_module("builtins"), student.import_module("torch.nn")
    if not builtins.isinstance(model, nn.Module):
        raise AssertionError(
            f"{label} should be a torch.nn.Module: class MLP(torch.nn.Module) "
            "whose __init__ calls super().__init__() first"
        )
    layers = [m for m in builtins.list(model.modules()) if builtins.isinstance(m, nn.Linear)]
    if not layers:
        raise AssertionError(
            f"{label} has no registered torch.nn.Linear layers: keep the layers as attributes or "
            "in a torch.nn.ModuleList / torch.nn.Sequential (layers in a plain Python list are "
            "invisible to model.parameters(), so the optimizer would never train them)"
        )
    return [(int(m.in_features), int(m.out_features), m) for m in layers]


def _expected_shapes(n_features, hidden):
    widths = [n_features, *hidden, 1]
    return list(zip(widths[:-1], widths[1:]))


def _diagnose_layers(found, n_features, hidden, label):
    """Fail with a message that says what is off in the layer shapes (never the hidden widths)."""
    expected = _expected_shapes(n_features, hidden)
    if sorted(found) == sorted(expected):
        return
    default = _expected_shapes(2, (20, 15, 10, 5))
    if sorted(found) == sorted(_expected_shapes(n_features, (20, 15, 10, 5))) or sorted(
        found
    ) == sorted(default):
        raise AssertionError(
            f"{label} built the default widths (20, 15, 10, 5): build one Linear layer per entry "
            "of the hidden argument, not fixed widths"
        )
    if len(found) != len(expected):
        raise AssertionError(
            f"{label} should have len(hidden) + 1 = {len(expected)} Linear layers (one per hidden "
            f"width and the output layer), found {len(found)}"
        )
    if not any(o == 1 for _, o in found):
        raise AssertionError(
            f"{label} has no output layer with one unit: the last layer is Linear(hidden[-1], 1)"
        )
    if n_features not in [i for i, _ in found]:
        raise AssertionError(
            f"{label}: the first layer should take n_features inputs, Linear(n_features, hidden[0])"
        )
    raise AssertionError(
        f"{label}: the Linear layers do not follow n_features -> hidden[0] -> ... -> hidden[-1] -> 1 "
        "(each layer's in_features is the previous layer's out_features)"
    )


@pytest.mark.points(2)
def test_layers_follow_hidden(student, rng):
    """Linear layers n_features -> hidden[0] -> ... -> hidden[-1] -> 1, for the defaults, other and equal widths"""
    one = int(rng.integers(3, 12))
    three = [int(w) for w in rng.choice(np.arange(3, 16), size=3, replace=True)]
    cases = [
        ("MLP() (the defaults)", (), {}, 2, (20, 15, 10, 5)),
        (
            "MLP(n_features, hidden) with a one-element tuple",
            (int(rng.integers(3, 6)), (one,)),
            {},
            None,
            None,
        ),
        (
            "MLP(n_features=..., hidden=[...]) with a list of three widths",
            (),
            {"n_features": int(rng.integers(2, 6)), "hidden": three},
            None,
            None,
        ),
        (
            "MLP(n_features, hidden) with equal widths",
            (int(rng.integers(2, 6)), (one,) * 3),
            {},
            None,
            None,
        ),
    ]
    for label, args, kwargs, n_features, hidden in cases:
        if n_features is None:
            n_features = args[0] if args else kwargs["n_features"]
            hidden = tuple(args[1] if args else kwargs["hidden"])
        model = student.MLP(*args, **kwargs)
        found = [(i, o) for i, o, _ in _linear_layers(student, model, label)]
        _diagnose_layers(found, n_features, hidden, label)


def _forward_configs(rng):
    """Two (n_features, hidden) with pairwise different widths, so that every layer shape is unique."""
    configs = []
    for length in (2, int(rng.integers(3, 5))):
        widths = [int(w) for w in rng.choice(np.arange(2, 18), size=length + 1, replace=False)]
        configs.append((widths[0], tuple(widths[1:])))
    return configs


def _draw_weights(rng, n_features, hidden):
    """{(in, out): (weight (out, in), bias (out,))} float32, sized so that many ReLUs are active and some not."""
    weights = {}
    for d_in, d_out in _expected_shapes(n_features, hidden):
        weight = rng.normal(0.0, 1.5 / np.sqrt(d_in), size=(d_out, d_in)).astype(np.float32)
        bias = rng.normal(0.0, 0.5, size=d_out).astype(np.float32)
        weights[(d_in, d_out)] = (weight, bias)
    return weights


def _load(layers, weights, *, student_side):
    for d_in, d_out, layer in layers:
        weight, bias = weights[(d_in, d_out)]
        state = {"weight": torch.from_numpy(weight.copy()), "bias": torch.from_numpy(bias.copy())}
        try:
            layer.load_state_dict(state)
        except StudentError:
            if student_side:
                raise AssertionError(
                    "MLP: every Linear layer needs its bias (torch.nn.Linear(d_in, d_out) has one "
                    "by default; do not pass bias=False)"
                ) from None
            raise


def _numpy_forward(weights, shapes, x, activation, hidden_mask):
    """Forward pass in float64 with ``activation`` after the hidden layers whose mask is True."""
    h = np.asarray(x, dtype=np.float64)
    for index, shape in enumerate(shapes):
        weight, bias = weights[shape]
        h = h @ weight.astype(np.float64).T + bias.astype(np.float64)
        if index < len(hidden_mask) and hidden_mask[index]:
            h = activation(h)
    return h.reshape(-1)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _relu(z):
    return np.maximum(z, 0.0)


def _matches(value, candidate):
    return value.shape == candidate.shape and np.allclose(value, candidate, rtol=1e-4, atol=1e-4)


def _diagnose_forward(student, model, got, expected, weights, shapes, x, rng):
    """Name the likely mistake when the logits differ from the reference (no values in messages)."""
    n_hidden = len(shapes) - 1
    if _matches(got, _relu(expected)):
        raise AssertionError(
            "MLP.forward: a ReLU after the output layer makes every logit >= 0; the last Linear "
            "layer's output is the logit, return it as it is"
        )
    if _matches(got, _sigmoid(expected)):
        raise AssertionError(
            "MLP.forward should return logits, not probabilities: no sigmoid in forward (the loss "
            "BCEWithLogitsLoss and predict_proba apply it)"
        )
    candidates = [
        (
            _numpy_forward(weights, shapes, x, _relu, [True] * (n_hidden - 1) + [False]),
            "MLP.forward: put a ReLU after every hidden Linear layer, including the last one before the output layer",
        ),
        (
            _numpy_forward(weights, shapes, x, _relu, [False] + [True] * (n_hidden - 1)),
            "MLP.forward: put a ReLU after every hidden Linear layer, including the first one",
        ),
        (
            _numpy_forward(weights, shapes, x, _sigmoid, [True] * n_hidden),
            "MLP.forward: the activation between the layers should be ReLU, not a sigmoid",
        ),
        (
            _numpy_forward(weights, shapes, x, np.tanh, [True] * n_hidden),
            "MLP.forward: the activation between the layers should be ReLU, not tanh",
        ),
    ]
    for candidate, message in candidates:
        if _matches(got, candidate):
            raise AssertionError(message)
    x1 = torch.from_numpy((3.0 * rng.normal(size=x.shape)).astype(np.float32))
    x2 = torch.from_numpy((3.0 * rng.normal(size=x.shape)).astype(np.float32))
    f1, f2, fm = (as_array(model(v), "MLP.forward").reshape(-1) for v in (x1, x2, (x1 + x2) / 2))
    if np.max(np.abs(fm - (f1 + f2) / 2)) < 1e-3 * (1.0 + np.max(np.abs(fm))):
        raise AssertionError(
            "MLP.forward: the network is affine in x (a stack of Linear layers is one Linear "
            "layer): put a ReLU after every hidden Linear layer"
        )
    raise AssertionError(
        "MLP.forward: wrong logits; with the given weights forward should compute "
        "Linear -> ReLU -> ... -> Linear -> ReLU -> Linear(hidden[-1], 1), applying the layers in "
        "the order n_features -> hidden[0] -> ... -> 1"
    )


@pytest.mark.points(2)
def test_forward_matches_reference(student, rng, reference_solution):
    """forward computes Linear -> ReLU -> ... -> Linear(., 1) logits, checked with weights set by the grader"""
    for n_features, hidden in _forward_configs(rng):
        label = "MLP(n_features, hidden)"
        model = student.MLP(n_features, hidden)
        layers = _linear_layers(student, model, label)
        if sorted((i, o) for i, o, _ in layers) != sorted(_expected_shapes(n_features, hidden)):
            raise AssertionError(
                "MLP: the Linear layers do not follow n_features -> hidden -> 1 (see the line on "
                "the layers), so the forward pass could not be compared"
            )
        weights = _draw_weights(rng, n_features, hidden)
        _load(layers, weights, student_side=True)
        reference = reference_solution.MLP(n_features, hidden)
        _load(
            [
                (m.in_features, m.out_features, m)
                for m in reference.modules()
                if isinstance(m, torch.nn.Linear)
            ],
            weights,
            student_side=False,
        )
        batch = int(rng.integers(30, 60))
        x = (2.0 * rng.normal(size=(batch, n_features))).astype(np.float32)
        got = as_array(model(torch.from_numpy(x)), "MLP.forward")
        if got.size != batch:
            raise AssertionError(
                f"MLP.forward should return one logit per sample, shape (batch,); got shape "
                f"{tuple(got.shape)} for a batch of {batch}"
            )
        got = got.reshape(-1)
        if not np.all(np.isfinite(got)):
            raise AssertionError("MLP.forward returned NaN or infinite values")
        with torch.no_grad():
            expected = reference(torch.from_numpy(x)).numpy().astype(np.float64).reshape(-1)
        if not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
            _diagnose_forward(
                student, model, got, expected, weights, _expected_shapes(n_features, hidden), x, rng
            )


@pytest.mark.points(1)
def test_logits_have_shape_batch(student, rng):
    """forward returns a tensor of shape (batch,), also for a batch of one sample"""
    n_features = int(rng.integers(2, 6))
    model = student.MLP(n_features, (int(rng.integers(3, 9)), int(rng.integers(3, 9))))
    for batch in (int(rng.integers(5, 40)), 1):
        x = torch.from_numpy(rng.normal(size=(batch, n_features)).astype(np.float32))
        out = model(x)
        if not isinstance(out, torch.Tensor):
            raise AssertionError(
                f"MLP.forward should return a torch tensor, got {type(out).__name__}"
            )
        shape = tuple(out.shape)
        if shape == (batch,):
            continue
        if shape == (batch, 1):
            raise AssertionError(
                "MLP.forward returns shape (batch, 1): squeeze the last axis (.squeeze(-1)) so the "
                "logits have shape (batch,) like the labels"
            )
        if batch == 1 and shape == ():
            raise AssertionError(
                "MLP.forward returns a 0-d tensor for a batch of one sample: .squeeze() also drops "
                "the batch axis; use .squeeze(-1) or .view(-1)"
            )
        raise AssertionError(f"MLP.forward should return shape (batch,) = ({batch},), got {shape}")
