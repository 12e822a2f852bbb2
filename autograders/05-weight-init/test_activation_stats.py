"""Hidden tests of activation_stats (05-weight-init, 3 points).

The weights come from a grader-controlled ``init`` (given matrices handed out in order, inside the
worker), so the tests check the bookkeeping of the loop, not randomness; the reference solution runs
on the same matrices in the grader.
"""

import numpy as np
import pytest

from nncourse.grading.asserts import assert_close, assert_shape

RTOL = 1e-5  # float32 students welcome; np.std with ddof=1 differs by > 0.8 % here


class GraderInit:
    """The grader-side twin of the worker's SequenceInit."""

    def __init__(self, matrices):
        self.matrices = list(matrices)
        self.count = 0

    def __call__(self, fan_in, fan_out):
        self.count += 1
        return self.matrices[self.count - 1].copy()


def run(student, reference_solution, rng, *, batch, dim, n_layers, activation, scale):
    x = rng.standard_normal((batch, dim))
    matrices = [rng.standard_normal((dim, dim)) * scale / np.sqrt(dim) for _ in range(n_layers)]
    init = student.instrument("sequence_init", matrices)
    got = student.activation_stats(
        x, init, getattr(student.import_module("numpy"), activation), n_layers
    )
    expected = reference_solution.activation_stats(
        x, GraderInit(matrices), getattr(np, activation), n_layers
    )
    return got, expected, init


def check_stats(got, expected, n_layers, what):
    assert isinstance(got, (tuple, list)) and len(got) == 2, (
        f"activation_stats should return two arrays (means, stds), {what}"
    )
    means = assert_shape(got[0], (n_layers,), f"activation_stats: means ({what})")
    stds = assert_shape(got[1], (n_layers,), f"activation_stats: stds ({what})")
    scale = float(np.max(expected[1]))
    hint = (
        "entry l is the mean of all entries of layer l + 1's activations h = activation(h @ W), "
        "after the nonlinearity; the input x itself is not included"
    )
    assert_close(
        means,
        expected[0],
        f"activation_stats: means ({what})",
        rtol=RTOL,
        atol=RTOL * scale,
        hint=hint,
    )
    assert_close(
        stds,
        expected[1],
        f"activation_stats: stds ({what})",
        rtol=RTOL,
        atol=RTOL * scale,
        hint="use np.std of all entries of the layer's activations (ddof=0), after the nonlinearity",
    )


@pytest.mark.points(1)
def test_tanh_network(student, reference_solution, rng):
    """tanh network with given weights: the mean and std of every layer's activations"""
    got, expected, _ = run(
        student,
        reference_solution,
        rng,
        batch=5,
        dim=12,
        n_layers=6,
        activation="tanh",
        scale=5 / 3,
    )
    check_stats(got, expected, 6, "6 tanh layers")


@pytest.mark.points(1)
def test_other_activation_and_depths(student, reference_solution, rng):
    """another activation, 1 and 4 layers: one entry per layer, statistics after the nonlinearity"""
    for n_layers in (4, 1):
        got, expected, _ = run(
            student,
            reference_solution,
            rng,
            batch=9,
            dim=7,
            n_layers=n_layers,
            activation="abs",
            scale=1.0,
        )
        check_stats(
            got,
            expected,
            n_layers,
            f"{n_layers} layer{'s' if n_layers > 1 else ''} with activation abs",
        )


@pytest.mark.points(1)
def test_fresh_matrix_per_layer(student, reference_solution, rng):
    """a fresh init(D, D) matrix for every layer, D = number of columns of x"""
    batch, dim, n_layers = 4, 10, 5
    got, expected, init = run(
        student,
        reference_solution,
        rng,
        batch=batch,
        dim=dim,
        n_layers=n_layers,
        activation="tanh",
        scale=1.0,
    )
    calls = init.records
    sizes = [tuple(args) + tuple(kwargs.values()) for args, kwargs in calls]
    assert len(calls) == n_layers, (
        f"activation_stats(x, init, activation, n_layers) should call init once per layer "
        f"({'more' if len(calls) > n_layers else 'fewer'} calls than layers): every layer gets a fresh matrix"
    )
    assert all(size == (dim, dim) for size in sizes), (
        "activation_stats should call init(D, D) with D = x.shape[1], the width of every layer"
    )
    check_stats(got, expected, n_layers, f"{n_layers} tanh layers")
