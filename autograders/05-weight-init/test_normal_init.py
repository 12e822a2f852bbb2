"""Hidden tests of normal_init (05-weight-init, 1 point)."""

import pytest

from nncourse.grading.asserts import load_helper

Sampling = load_helper(__file__, "_sampling").Sampling


@pytest.fixture
def sampling(student, seed):
    return Sampling(student, seed)


HINT = (
    "normal_init should draw every entry independently from N(0, std²), e.g. "
    "rng.normal(0.0, std, size=(fan_in, fan_out)); std is the standard deviation, not the variance"
)


@pytest.mark.points(1)
def test_normal_samples(sampling, rng):
    """N(0, std²) of shape (fan_in, fan_out), drawn from rng (same seed, same weights), new draws on every call, rng=None works"""
    # std² ≠ std
    std = float(rng.uniform(0.03, 0.5)) if rng.random() < 0.5 else float(rng.uniform(2.0, 5.0))
    params = {"std": std}
    sampling.check(
        "normal_init",
        "normal_init(fan_in, fan_out, std, rng)",
        params,
        dist="normal",
        std=std,
        hint=HINT,
    )
    sampling.check(
        "normal_init",
        "normal_init(fan_in, fan_out, std) with rng=None",
        params,
        dist="normal",
        std=std,
        hint=HINT,
        rng=None,
    )
    sampling.check_fresh("normal_init", "normal_init", params)
