"""Hidden tests of bce_loss (02-backpropagation, 2 points).

Values are compared with torch's ``binary_cross_entropy`` (float64) on probabilities in [0.02, 0.98],
where every correct clipping (1e-12, machine epsilon, torch's clamp of the log at -100) agrees.
Probabilities of exactly 0 or 1 are a separate line: the loss must stay finite there.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nncourse.grading.asserts import as_array

CLIP_HINT = "clip the probabilities to [eps, 1 - eps] with a small eps such as 1e-12 before taking logarithms"


def _torch_bce(probs, y):
    p = torch.from_numpy(np.asarray(probs, dtype=np.float64))
    return float(
        F.binary_cross_entropy(
            p, torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(p.shape))
        )
    )


def _labels(rng, n):
    y = rng.integers(0, 2, size=n).astype(np.float64)
    y[:2] = [0.0, 1.0]  # both classes present
    return rng.permutation(y)


def _number(value, what):
    array = as_array(value, what)
    if array.size != 1:
        raise AssertionError(
            f"{what} should be a single number (the mean), got shape {tuple(array.shape)}"
        )
    number = float(array.reshape(-1)[0])
    if not np.isfinite(number):
        raise AssertionError(f"{what} is NaN or infinite: {CLIP_HINT}")
    return number


def _check(value, expected, what, n, *, hint="", rows=None):
    got = _number(value, what)
    if np.isclose(got, expected, rtol=1e-6, atol=1e-9):
        return
    if (
        rows is not None
        and rows != n
        and np.isclose(got, expected * n / rows, rtol=1e-6, atol=1e-9)
    ):
        raise AssertionError(
            f"{what}: it should be the mean over ALL entries (any shape): divide by probs.size, "
            "not by len(probs), the number of rows"
        )
    if np.isclose(got, expected * n, rtol=1e-6, atol=1e-9):
        raise AssertionError(
            f"{what}: it should be the MEAN over the batch, not the sum (divide by N)"
        )
    if np.isclose(got, -expected, rtol=1e-6, atol=1e-9):
        raise AssertionError(
            f"{what}: the sign is wrong; the cross-entropy -mean(y log p + (1 - y) log(1 - p)) "
            "is positive"
        )
    raise AssertionError(
        f"{what}: wrong value; it should be -mean(y * log(p) + (1 - y) * log(1 - p))" + hint
    )


@pytest.mark.points(1)
def test_value(student, rng):
    """mean binary cross-entropy over all entries for probs and labels of shape (N, 1), (N,) or (N, k)"""
    n = 9
    for shape in [(n, 1), (n,)]:
        probs = rng.uniform(0.02, 0.98, size=shape)
        y = _labels(rng, n).reshape(shape)
        with student.forbid_torch():
            value = student.bce_loss(probs, y)
        _check(value, _torch_bce(probs, y), f"bce_loss for probs and labels of shape {shape}", n)
    probs = rng.uniform(0.02, 0.98, size=(n, 1))
    y = _labels(rng, n)
    with student.forbid_torch():
        value = student.bce_loss(probs, y)
    _check(
        value,
        _torch_bce(probs, y),
        "bce_loss for probs of shape (N, 1) and labels of shape (N,)",
        n,
        hint=" (reshape y to the shape of probs: (N, 1) - (N,) silently broadcasts to (N, N))",
    )
    rows, k = 5, int(rng.integers(2, 5))
    probs = rng.uniform(0.02, 0.98, size=(rows, k))
    y = _labels(rng, rows * k).reshape(rows, k)
    with student.forbid_torch():
        value = student.bce_loss(probs, y)
    _check(
        value,
        _torch_bce(probs, y),
        "bce_loss for probs and labels of shape (N, k) with k > 1",
        rows * k,
        rows=rows,
        hint=" (the mean over all N * k entries)",
    )


@pytest.mark.points(1)
def test_extreme_probabilities(student, rng):
    """finite for probabilities of exactly 0 or 1 (about 0 when right, large when wrong)"""
    n = 8
    y = _labels(rng, n).reshape(n, 1)
    with student.forbid_torch():
        right = student.bce_loss(y.copy(), y)
    right = _number(right, "bce_loss for probabilities of exactly 0 or 1")
    assert abs(right) < 1e-3, (
        "bce_loss should be (almost) 0 when every probability is exactly its label (0 or 1); "
        + CLIP_HINT
    )
    wrong = y.copy()
    wrong[0] = 1.0 - wrong[0]
    with student.forbid_torch():
        value = student.bce_loss(wrong, y)
    value = _number(value, "bce_loss with a confidently wrong probability of exactly 0 or 1")
    assert abs(value) > 5.0 / n, (
        "bce_loss should be large when a probability of exactly 0 or 1 is wrong; "
        "clip with a small eps (e.g. 1e-12), not a large one"
    )
    # some exact (right) extremes in a batch of ordinary probabilities: the loss is continuous there
    mixed = rng.uniform(0.02, 0.98, size=(n, 1))
    exact = rng.random(n) < 0.5
    exact[:2] = [True, False]
    mixed[exact] = y[exact]
    nudged = mixed.copy()
    nudged[exact] = np.abs(y[exact] - 1e-13)
    with student.forbid_torch():
        value = student.bce_loss(mixed, y)
        near = student.bce_loss(nudged, y)
    value = _number(value, "bce_loss with some probabilities of exactly 0 or 1")
    near = _number(near, "bce_loss with some probabilities within 1e-13 of 0 or 1")
    assert np.isclose(value, near, rtol=1e-6, atol=1e-5), (
        "bce_loss jumps where some probabilities are exactly 0 or 1 instead of within 1e-13 of them; "
        + CLIP_HINT
    )
