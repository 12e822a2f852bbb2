"""Hidden tests of accuracy(probs, y, threshold=0.5) -> float (03-spiral, 2 points).

Class 1 is predicted where probs > threshold, as the notebook states: a probability equal to the
threshold predicts class 0. The random cases keep every probability at least 1e-3 away from the threshold;
the boundary cases put probabilities exactly at it (generated with hypothesis, ``nncourse.grading.edges``:
the explicit examples first, then mixtures of exact-threshold, 0, 1 and other probabilities), with
thresholds that float32 represents exactly (so a float32 tensor compares the same numbers). The random
cases are drawn so that a wrong threshold, a count instead of a share or the complement give other values
than the right answer.
"""

import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncourse.grading.asserts import assert_scalar
from nncourse.grading.edges import draw
from nncourse.grading.student import StudentError

EXACT_THRESHOLDS = (0.5, 0.25, 0.75, 0.125)  # exact in float32 and float64


def _threshold(rng, low, high):
    """A threshold at a distance in [low, high] from 0.5, so that ignoring it changes some predictions."""
    return float(0.5 + rng.choice([-1.0, 1.0]) * rng.uniform(low, high))


def _case(rng, threshold):
    """(probs, y, expected) with labels that agree with the prediction about 70 % of the time."""
    for _ in range(10_000):
        n = int(rng.integers(25, 60))
        probs = rng.uniform(0.0, 1.0, n)
        probs = np.where(np.abs(probs - threshold) < 1e-3, threshold + 0.01, probs)
        predicted = probs > threshold
        y = np.where(rng.uniform(size=n) < 0.7, predicted, ~predicted).astype(np.float64)
        expected = float(np.mean(predicted == (y > 0.5)))
        wrong = [1.0 - expected, 0.5]
        if abs(threshold - 0.5) > 1e-9:  # a threshold ignored must give another value
            wrong.append(float(np.mean((probs > 0.5) == (y > 0.5))))
        if all(abs(expected - w) > 1e-3 for w in wrong) and expected * n > 1.5:
            return probs, y, expected
    # a bug in this file, not the student's
    raise RuntimeError(f"grader: no test case found for threshold {threshold}")


def _check(student, label, probs, y, expected, **kwargs):
    try:
        value = student.accuracy(probs, y, **kwargs)
    except StudentError as exc:
        if exc.type == "NotImplementedError":
            raise
        raise AssertionError(f"{exc.describe()}; accuracy({label}) should work"[:600]) from None
    got = assert_scalar(value, f"accuracy({label})")
    if abs(got - expected) <= 1e-6:
        return value
    cut = kwargs.get("threshold", 0.5)
    p, labels = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.any(p == cut) and abs(got - float(np.mean((p >= cut) == (labels > 0.5)))) <= 1e-6:
        raise AssertionError(
            f"accuracy({label}): a probability equal to the threshold must predict class 0, "
            "as the notebook says: class 1 only where probs > threshold (yours predicts class 1 "
            "where probs >= threshold)"
        )
    n = len(y)
    if abs(got - expected * n) <= 1e-6:
        raise AssertionError(
            f"accuracy({label}) returns the number of correct predictions; return their share "
            "(divide by the number of samples)"
        )
    if abs(got - (1.0 - expected)) <= 1e-6:
        raise AssertionError(
            f"accuracy({label}) returns the error rate; return the share of correct predictions"
        )
    threshold = kwargs.get("threshold")
    p, labels = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if threshold is not None and abs(got - float(np.mean((p > 0.5) == (labels > 0.5)))) <= 1e-6:
        raise AssertionError(
            f"accuracy({label}) ignores the threshold argument: predict class 1 where "
            "probs > threshold"
        )
    raise AssertionError(
        f"accuracy({label}): wrong value; it is the share of samples where (probs > threshold) "
        "equals the label"
    )


def _boundary_cases() -> list[tuple]:
    """(probs, threshold) with probabilities exactly at the threshold: explicit ones, then generated."""

    def with_threshold(t):
        # exactly at the threshold, or clearly away from it: float32 rounding never moves a probability across
        away = st.floats(0.0, 1.0).filter(lambda v: abs(v - t) > 1e-3)
        values = st.one_of(st.just(t), st.sampled_from([0.0, 1.0]), away)
        return hnp.arrays(np.float64, st.integers(1, 12), elements=values).map(
            lambda p: (np.append(p, t), t)
        )

    examples = [
        (np.array([0.5]), 0.5),
        (np.array([0.25, 0.25, 0.9, 0.1]), 0.25),
        (np.array([0.75, 0.2, 0.75, 0.75]), 0.75),
    ]
    return draw(
        "03-accuracy-at-threshold",
        st.sampled_from(EXACT_THRESHOLDS).flatmap(with_threshold),
        examples=examples,
        count=3,
    )


def _at_threshold(student, rng):
    """Probabilities exactly at the threshold predict class 0, for arrays and float32 tensors."""
    for case, (probs, threshold) in enumerate(_boundary_cases()):
        at = probs == threshold
        y = rng.integers(0, 2, size=len(probs)).astype(np.float64)
        y[at] = float(case % 2)  # one label at the threshold: >= and > always give different shares
        expected = float(np.mean((probs > threshold) == (y > 0.5)))
        kwargs = {} if threshold == 0.5 and case % 2 == 0 else {"threshold": threshold}
        shown = "" if not kwargs else ", threshold"
        if case % 3 == 2:
            _check(
                student,
                f"probs, y{shown}) with some probabilities equal to the threshold (float32 tensors",
                torch.tensor(probs, dtype=torch.float32),
                torch.tensor(y, dtype=torch.float32),
                expected,
                **kwargs,
            )
        else:
            _check(
                student,
                f"probs, y{shown}) with some probabilities equal to the threshold (numpy arrays",
                probs,
                y,
                expected,
                **kwargs,
            )


@pytest.mark.points(1)
def test_numpy_arrays_and_lists(student, rng):
    """share of correct predictions for arrays and lists, at the default and other thresholds; probs == threshold predicts class 0"""
    probs, y, expected = _case(rng, 0.5)
    _check(student, "probs, y) with float64 arrays (default threshold", probs, y, expected)
    threshold = _threshold(rng, 0.15, 0.35)
    probs, y, expected = _case(rng, threshold)
    _check(
        student,
        "probs, y, threshold) with float32 probabilities and integer labels",
        probs.astype(np.float32),
        y.astype(np.int64),
        expected,
        threshold=threshold,
    )
    threshold = _threshold(rng, 0.1, 0.3)
    probs, y, expected = _case(rng, threshold)
    _check(
        student,
        "probs, y, threshold) with Python lists",
        [float(p) for p in probs],
        [float(v) for v in y],
        expected,
        threshold=threshold,
    )
    _at_threshold(student, rng)


def _python_float(value, label):
    """The contract (and the notebook's own check) says -> float: a 0-d tensor or array is not one."""
    if isinstance(value, float):  # np.float64 is a float too
        return
    kind = "a torch tensor" if hasattr(value, "detach") else f"a {type(value).__name__}"
    raise AssertionError(
        f"accuracy should return a Python float, got {kind} (called with {label.split(') ', 1)[-1]}); "
        "convert the result with .item() (a tensor) or float(...)"
    )


@pytest.mark.points(1)
def test_torch_tensors(student, rng):
    """works on tensors (also ones that require grad), and on a tensor of probabilities with array labels; returns a float"""
    threshold = _threshold(rng, 0.1, 0.2)
    probs, y, expected = _case(rng, threshold)
    calls = [
        (
            "probs, y, threshold) with float32 tensors",
            (torch.tensor(probs, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)),
            {"threshold": threshold},
        )
    ]
    probs, y, expected_grad = _case(rng, 0.5)
    calls.append(
        (
            "probs, y) with probs a tensor that requires grad",
            (
                torch.tensor(probs, dtype=torch.float32, requires_grad=True),
                torch.tensor(y, dtype=torch.float32),
            ),
            {},
        )
    )
    probs, y, expected_mixed = _case(rng, 0.5)
    calls.append(
        (
            "probs, y) with probs a tensor (as predict_proba returns) and y a numpy array",
            (torch.tensor(probs, dtype=torch.float32), y.astype(np.float32)),
            {},
        )
    )
    probs, y, expected_numpy = _case(rng, 0.5)
    calls.append(("probs, y) with numpy arrays", (probs, y), {}))
    for (label, args, kwargs), want in zip(
        calls, (expected, expected_grad, expected_mixed, expected_numpy)
    ):
        _python_float(_check(student, label, *args, want, **kwargs), label)
