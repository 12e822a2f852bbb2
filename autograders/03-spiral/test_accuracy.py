"""Hidden tests of accuracy(probs, y, threshold=0.5) -> float (03-spiral, 2 points).

Class 1 is predicted where probs > threshold. No probability lies within 1e-3 of the threshold, so ``>``
and ``>=`` are both accepted. The cases are drawn so that a wrong threshold, a count instead of a share
or the complement give other values than the right answer.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import assert_scalar
from nncourse.grading.student import StudentError


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
    raise RuntimeError(f"grader: no test case found for threshold {threshold}")  # a bug in this file, not the student's


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
    n = len(y)
    if abs(got - expected * n) <= 1e-6:
        raise AssertionError(f"accuracy({label}) returns the number of correct predictions; return their share "
                             "(divide by the number of samples)")
    if abs(got - (1.0 - expected)) <= 1e-6:
        raise AssertionError(f"accuracy({label}) returns the error rate; return the share of correct predictions")
    threshold = kwargs.get("threshold")
    p, labels = np.asarray(probs, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if threshold is not None and abs(got - float(np.mean((p > 0.5) == (labels > 0.5)))) <= 1e-6:
        raise AssertionError(f"accuracy({label}) ignores the threshold argument: predict class 1 where "
                             "probs > threshold")
    raise AssertionError(f"accuracy({label}): wrong value; it is the share of samples where (probs > threshold) "
                         "equals the label")


@pytest.mark.points(1)
def test_numpy_arrays_and_lists(student, rng):
    """share of correct predictions for numpy arrays and lists, at the default and at other thresholds"""
    probs, y, expected = _case(rng, 0.5)
    _check(student, "probs, y) with float64 arrays (default threshold", probs, y, expected)
    threshold = _threshold(rng, 0.15, 0.35)
    probs, y, expected = _case(rng, threshold)
    _check(student, "probs, y, threshold) with float32 probabilities and integer labels",
           probs.astype(np.float32), y.astype(np.int64), expected, threshold=threshold)
    threshold = _threshold(rng, 0.1, 0.3)
    probs, y, expected = _case(rng, threshold)
    _check(student, "probs, y, threshold) with Python lists", [float(p) for p in probs], [float(v) for v in y],
           expected, threshold=threshold)


def _python_float(value, label):
    """The contract (and the notebook's own check) says -> float: a 0-d tensor or array is not one."""
    if isinstance(value, float):  # np.float64 is a float too
        return
    kind = "a torch tensor" if hasattr(value, "detach") else f"a {type(value).__name__}"
    raise AssertionError(f"accuracy should return a Python float, got {kind} (called with {label.split(') ', 1)[-1]}); "
                         "convert the result with .item() (a tensor) or float(...)")


@pytest.mark.points(1)
def test_torch_tensors(student, rng):
    """works on tensors (also ones that require grad), and on a tensor of probabilities with array labels; returns a float"""
    threshold = _threshold(rng, 0.1, 0.2)
    probs, y, expected = _case(rng, threshold)
    calls = [("probs, y, threshold) with float32 tensors",
              (torch.tensor(probs, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)), {"threshold": threshold})]
    probs, y, expected_grad = _case(rng, 0.5)
    calls.append(("probs, y) with probs a tensor that requires grad",
                  (torch.tensor(probs, dtype=torch.float32, requires_grad=True), torch.tensor(y, dtype=torch.float32)),
                  {}))
    probs, y, expected_mixed = _case(rng, 0.5)
    calls.append(("probs, y) with probs a tensor (as predict_proba returns) and y a numpy array",
                  (torch.tensor(probs, dtype=torch.float32), y.astype(np.float32)), {}))
    probs, y, expected_numpy = _case(rng, 0.5)
    calls.append(("probs, y) with numpy arrays", (probs, y), {}))
    for (label, args, kwargs), want in zip(calls, (expected, expected_grad, expected_mixed, expected_numpy)):
        _python_float(_check(student, label, *args, want, **kwargs), label)
