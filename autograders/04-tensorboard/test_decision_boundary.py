"""Hidden tests for decision_boundary(model, xlim, ylim, resolution) -> probabilities (resolution, resolution).

The models are built inside the worker from torch.nn with weights chosen by the grader (a linear logit
a*x + b*y + c with a non-trivial slope in both coordinates), so that a transposed, flipped or un-squashed
grid is told apart from the right one. Expected grids come from the reference solution.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import as_array


def _coefficients(rng):
    """A linear logit with clearly different slopes in x and y (sign and size random)."""
    a, b = rng.uniform(0.4, 1.5, size=2) * rng.choice([-1.0, 1.0], size=2)
    if abs(abs(a) - abs(b)) < 0.3:
        b = np.sign(b) * (abs(a) + 0.5)
    return float(a), float(b), float(rng.uniform(-0.5, 0.5))


def _limits(rng):
    """Asymmetric, different ranges for x and y."""
    x0 = float(rng.uniform(-4.0, -1.0))
    y0 = float(rng.uniform(-3.0, 0.0))
    return (x0, x0 + float(rng.uniform(3.0, 6.0))), (y0, y0 + float(rng.uniform(1.5, 3.0)))


def _state(a, b, c):
    return {
        "0.weight": torch.tensor([[a, b]], dtype=torch.float32),
        "0.bias": torch.tensor([c], dtype=torch.float32),
    }


def _student_model(student, coefficients):
    """Sequential(Linear(2, 1), Flatten(0)) in the worker: logits of shape (batch,), as the MLP gives."""
    nn = student.import_module("torch.nn")
    model = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))
    model.load_state_dict(_state(*coefficients))
    return model


def _reference_grid(reference_solution, coefficients, **kwargs):
    model = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))
    model.load_state_dict(_state(*coefficients))
    return np.asarray(reference_solution.decision_boundary(model, **kwargs), dtype=np.float64)


def _grid(value, resolution, what=None):
    grid = as_array(value, "decision_boundary")
    what = what or f"decision_boundary with resolution={resolution}"
    assert grid.shape == (resolution, resolution), (
        f"{what} should return shape ({resolution}, {resolution}), got {grid.shape}"
    )
    assert np.all(np.isfinite(grid)), "decision_boundary returned NaN or infinite values"
    return grid


def _diagnose(grid, expected, what):
    """Fail with a message that says which convention is off (never the values)."""

    def close(candidate):
        return candidate.shape == grid.shape and np.allclose(grid, candidate, rtol=1e-4, atol=1e-5)

    if close(expected):
        return
    if grid.min() < -1e-6 or grid.max() > 1 + 1e-6:
        raise AssertionError(
            f"{what}: values outside [0, 1]: return probabilities, torch.sigmoid of the logits"
        )
    if close(expected.T):
        raise AssertionError(
            f"{what}: rows and columns are swapped; row i belongs to the i-th y value and column j "
            "to the j-th x value (gx, gy = np.meshgrid(xs, ys))"
        )
    if close(expected[::-1]):
        raise AssertionError(
            f"{what}: the rows are upside down; row 0 belongs to the smallest y value"
        )
    if close(expected[:, ::-1]):
        raise AssertionError(
            f"{what}: the columns are mirrored; column 0 belongs to the smallest x value"
        )
    raise AssertionError(
        f"{what}: wrong probabilities; entry [i, j] is sigmoid(model(x_j, y_i)) with "
        "x_j = np.linspace(*xlim, resolution)[j] and y_i = np.linspace(*ylim, resolution)[i]"
    )


@pytest.mark.points(2)
def test_probabilities_on_the_grid(student, rng, reference_solution):
    """probabilities with row i = y_i and column j = x_j, for other limits and resolutions"""
    for resolution in (int(rng.integers(5, 12)), int(rng.integers(20, 40))):
        coefficients = _coefficients(rng)
        xlim, ylim = _limits(rng)
        model = _student_model(student, coefficients)
        grid = _grid(
            student.decision_boundary(model, xlim=xlim, ylim=ylim, resolution=resolution),
            resolution,
        )
        expected = _reference_grid(
            reference_solution, coefficients, xlim=xlim, ylim=ylim, resolution=resolution
        )
        _diagnose(grid, expected, "decision_boundary")


@pytest.mark.points(1)
def test_default_arguments(student, rng, reference_solution):
    """the defaults: xlim = ylim = (-20, 20) and resolution 100"""
    # visible slopes over the default range
    coefficients = tuple(v / 10 for v in _coefficients(rng))
    grid = _grid(
        student.decision_boundary(_student_model(student, coefficients)),
        100,
        "decision_boundary without xlim, ylim and resolution (default resolution 100)",
    )
    expected = _reference_grid(reference_solution, coefficients)
    # only the defaults are graded here: a grid in another orientation or logits count in the other test
    a, b, c = coefficients
    gx, gy = np.meshgrid(np.linspace(-20, 20, 100), np.linspace(-20, 20, 100))
    for candidate in (expected, expected.T, expected[::-1], expected[:, ::-1], a * gx + b * gy + c):
        if np.allclose(grid, candidate, rtol=1e-4, atol=1e-4):
            return
    raise AssertionError(
        "decision_boundary: called without xlim, ylim and resolution it should use the defaults "
        "xlim=(-20, 20), ylim=(-20, 20), resolution=100"
    )


def _spied_model(student, rng):
    model = _student_model(student, _coefficients(rng))
    return model, student.instrument("spy_forward", model)


@pytest.mark.points(1)
def test_eval_mode_without_gradients(student, rng):
    """the model runs in eval mode under torch.no_grad()"""
    model, spy = _spied_model(student, rng)
    model.train()
    student.decision_boundary(model, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), resolution=8)
    records = spy.records
    assert records, "decision_boundary never called the model"
    assert all(not r["training"] for r in records), (
        "decision_boundary: call model.eval() before the forward pass (dropout and batch norm behave differently)"
    )
    assert all(not r["grad_enabled"] or r["inference_mode"] for r in records), (
        "decision_boundary: run the forward pass under torch.no_grad() (no graph is needed for predictions)"
    )


@pytest.mark.points(1)
def test_restores_the_mode(student, rng):
    """the model's train/eval mode is the same afterwards"""
    model, _ = _spied_model(student, rng)
    for mode in (True, False):
        model.train(mode)
        student.decision_boundary(model, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), resolution=6)
        after = bool(model.training)
        if after != mode:
            state = "training" if mode else "evaluation"
            raise AssertionError(
                f"decision_boundary: a model in {state} mode came back in the other mode; "
                "remember model.training and restore it afterwards (model.train(was_training))"
            )
