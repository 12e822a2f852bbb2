"""Checked calls of the student's functions and grader-controlled stand-ins to pass them.

Numpy-only items (02-backpropagation) call under the no-torch guard and report warnings and in-place
changes; 01-gradient-descent watches its inputs (numpy or torch); 05-weight-init hands out weights.
"""

from guard import guard
from registry import Recorder, instrument


@instrument("checked_call", calls_student=True)
def instrument_checked_call(function, *args):
    """Call ``function(*args)`` under the no-torch guard; report the warnings it emitted (numpy's
    overflow/invalid/divide included, underflow ignored) and which array arguments it changed in
    place.

    Returns ``{"value": result, "warnings": [str, ...], "changed": [bool per argument]}``.
    """
    import warnings

    import numpy as np

    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with (
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
            guard({"no_torch": True}),
        ):
            value = function(*args)
    changed = [
        b is not None and not (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
        for a, b in zip(args, before)
    ]
    messages = [f"{w.category.__name__}: {w.message}"[:200] for w in caught[:20]]
    return {"value": value, "warnings": messages, "changed": changed}


class _StandinLayer:
    """A layer-shaped affine map that records its calls on a tape (to test a container on its own).

    ``forward`` is ``x @ forward_map + shift`` and ``backward`` is ``grad @ backward_map``, where
    ``backward_map`` is unrelated to ``forward_map``: it shows how a container wires its layers
    without being the backward rule of any real layer (the student's process must not hold an
    answer key).
    """

    def __init__(self, tape, index, forward_map, shift, backward_map):
        self.tape, self.index = tape, index
        self.forward_map, self.shift, self.backward_map = forward_map, shift, backward_map

    def forward(self, x):
        import numpy as np

        self.tape.records.append(["forward", self.index])
        return np.array(x, dtype=np.float64) @ self.forward_map + self.shift

    def backward(self, grad_out):
        import numpy as np

        self.tape.records.append(["backward", self.index])
        return np.array(grad_out, dtype=np.float64) @ self.backward_map


@instrument("standin_layers")
def instrument_standin_layers(specs):
    """Stand-in layers from ``specs``.

    Each spec is ``[forward_map (n_in, n_out), shift (n_out,), backward_map (n_out, n_in)]``.

    Returns a recorder whose ``layers`` are the layer objects and whose ``records`` list every
    ``["forward" | "backward", layer index]`` call in order.
    """
    import numpy as np

    tape = Recorder()
    tape.layers = [
        _StandinLayer(tape, i, *(np.array(a, dtype=np.float64) for a in spec))
        for i, spec in enumerate(specs)
    ]
    return tape


@instrument(
    "call_watching_inputs",
    calls_student=True,
    relies_on=("torch.Tensor.detach", "torch.Tensor.cpu", "torch.Tensor.numpy"),
)
def instrument_call_watching_inputs(function, *args):
    """Call ``function(*args)`` without any guard; report which arguments (numpy arrays or torch
    tensors) it changed in place, e.g. through ``torch.as_tensor(params0)`` sharing its memory.

    Returns ``{"value": result, "changed": [bool per argument]}``.
    """
    import numpy as np

    def snapshot(value):
        if isinstance(value, np.ndarray):
            return np.array(value, copy=True)
        if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
            return np.array(value.detach().cpu().numpy(), copy=True)
        return None

    def same(now, before):
        if not isinstance(now, np.ndarray):
            now = now.detach().cpu().numpy()
        return now.shape == before.shape and np.array_equal(now, before, equal_nan=True)

    before = [snapshot(a) for a in args]
    value = function(*args)
    changed = [b is not None and not same(a, b) for a, b in zip(args, before)]
    return {"value": value, "changed": changed}


class SequenceInit(Recorder):
    """A weight initializer ``init(fan_in, fan_out)`` that hands out given matrices in order.

    ``records`` lists every call as ``[[args...], {kwargs}]``; ``count`` counts them.
    """

    def __init__(self, matrices):
        super().__init__()
        self.matrices = list(matrices)

    def __call__(self, *args, **kwargs):
        def plain(value):
            try:
                return int(value) if int(value) == value else float(value)
            except (TypeError, ValueError, OverflowError):
                return type(value).__name__

        self.records.append(
            [[plain(a) for a in args], {str(k): plain(v) for k, v in kwargs.items()}]
        )
        self.count += 1
        if self.count > len(self.matrices):
            raise RuntimeError(
                "init was called more often than the network has layers (once per layer)"
            )
        return self.matrices[self.count - 1].copy()


@instrument("sequence_init")
def instrument_sequence_init(matrices):
    """A grader-controlled, deterministic ``init`` (05-weight-init ``activation_stats``)."""
    return SequenceInit(matrices)
