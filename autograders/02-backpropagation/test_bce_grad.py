"""Hidden tests of bce_grad (02-backpropagation, 2 points).

The gradient is compared with torch autograd through ``binary_cross_entropy`` (float64, mean
reduction, so it includes 1/N) on probabilities in [0.02, 0.98]. At probabilities of exactly 0 or 1
correct clippings disagree on the size of the gradient (torch's formula gives 0 where p == y, the
clipped analytic one -1/N), so there the line asks for finite values whose sign agrees with the
student's own gradient right next to 0 or 1 (a wrong formula loses the first line only).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nncourse.grading.asserts import as_array, load_helper


@pytest.fixture
def bp(student):
    return load_helper(__file__, "_helpers").Helpers(student)


CLIP_HINT = (
    "clip the probabilities to [eps, 1 - eps] with a small eps such as 1e-12, as in bce_loss"
)


def _torch_grad(probs, y):
    p = torch.from_numpy(np.asarray(probs, dtype=np.float64)).requires_grad_(True)
    F.binary_cross_entropy(
        p, torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(p.shape))
    ).backward()
    return p.grad.numpy()


def _labels(rng, n):
    y = rng.integers(0, 2, size=n).astype(np.float64)
    y[:2] = [0.0, 1.0]
    return rng.permutation(y)


def _gradient(student, probs, y, what):
    with student.forbid_torch():
        value = student.bce_grad(probs, y)
    assert value is not None, f"{what}: bce_grad should return an array"
    got = as_array(value, what)
    assert got.shape == probs.shape, (
        f"{what} should have the shape of probs, {probs.shape}, got {got.shape}"
        + (
            " (reshape y to the shape of probs: (N, 1) and (N,) broadcast to (N, N))"
            if got.ndim == 2 and got.shape[0] == got.shape[1] > 1
            else ""
        )
    )
    return got


@pytest.mark.points(1)
def test_value(student, rng, bp):
    """dL/dprobs with the factor 1/N (N = number of entries), shape of probs, also (N, k)"""
    n = 9
    k = int(rng.integers(2, 5))
    cases = [((n, 1), (n, 1)), ((n,), (n,)), ((n, 1), (n,)), ((5, k), (5, k))]
    for p_shape, y_shape in cases:
        probs = rng.uniform(0.02, 0.98, size=p_shape)
        size = probs.size
        y = _labels(rng, size).reshape(y_shape)
        what = f"bce_grad for probs of shape {p_shape} and labels of shape {y_shape}"
        got = _gradient(student, probs, y, what)
        expected = _torch_grad(probs, y)
        y_as_p = y.reshape(p_shape)
        mistakes = [
            (expected * size, f"{what}: the factor 1/N of the mean is missing (divide by N)")
        ]
        if len(probs) != size:
            mistakes.append(
                (
                    expected * size / len(probs),
                    f"{what}: the loss is the mean over ALL entries, so divide by probs.size, not by "
                    "len(probs), the number of rows",
                )
            )
        mistakes += [
            (-expected, f"{what}: the sign is wrong; dL/dp = (-y / p + (1 - y) / (1 - p)) / N"),
            (
                (probs - y_as_p) / size,
                f"{what}: (p - y) / N is the gradient w.r.t. the logits (after "
                "the Sigmoid's backward), not w.r.t. the probabilities",
            ),
        ]
        bp.close(
            got,
            expected,
            what,
            rtol=1e-6,
            atol=1e-9,
            hint="it should be (-y / p + (1 - y) / (1 - p)) / N with N = probs.size",
            mistakes=mistakes,
        )


@pytest.mark.points(1)
def test_extreme_probabilities(student, rng):
    """finite for probabilities of exactly 0 or 1, with the sign it has next to them"""
    n = 10
    y = _labels(rng, n).reshape(n, 1)
    probs = rng.uniform(0.02, 0.98, size=(n, 1))
    exact = np.zeros(n, dtype=bool)
    exact[rng.permutation(n)[:6]] = True
    flips = rng.random(n) < 0.5
    # right and wrong extremes
    probs[exact] = np.where(flips[exact, None], 1.0 - y[exact], y[exact])
    nudged = probs.copy()
    nudged[exact] = np.clip(probs[exact], 1e-9, 1 - 1e-9)
    what = "bce_grad with some probabilities of exactly 0 or 1"
    got = _gradient(student, probs, y, what)
    assert np.all(np.isfinite(got)), f"{what} returns NaN or infinite values: {CLIP_HINT}"
    near = _gradient(student, nudged, y, "bce_grad with some probabilities within 1e-9 of 0 or 1")
    assert np.all(got * near >= 0), (
        f"{what}: at p = 0 or 1 the gradient has the opposite sign of the gradient "
        "next to it (dL/dp is <= 0 where y = 1 and >= 0 where y = 0); " + CLIP_HINT
    )
    assert np.allclose(got[~exact], near[~exact], rtol=1e-9, atol=0), (
        f"{what}: the other entries of the batch should not change (the gradient is element-wise)"
    )
