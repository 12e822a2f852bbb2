"""Hidden tests of uniform_init (05-weight-init, 1 point)."""

import math

import pytest

from nncourse.grading.asserts import load_helper

Sampling = load_helper(__file__, "_sampling").Sampling


@pytest.fixture
def sampling(student, seed):
    return Sampling(student, seed)


HINT = (
    "uniform_init should draw every entry independently from U(-bound, bound), "
    "e.g. rng.uniform(-bound, bound, size=(fan_in, fan_out))"
)


@pytest.mark.points(1)
def test_uniform_samples(sampling, rng):
    """U(-bound, bound) of shape (fan_in, fan_out), drawn from rng (same seed, same weights), new draws on every call, rng=None works"""
    params = {"bound": float(rng.uniform(0.2, 3.0))}
    std = params["bound"] / math.sqrt(3.0)
    sampling.check(
        "uniform_init",
        "uniform_init(fan_in, fan_out, bound, rng)",
        params,
        dist="uniform",
        std=std,
        hint=HINT,
    )
    sampling.check(
        "uniform_init",
        "uniform_init(fan_in, fan_out, bound) with rng=None",
        params,
        dist="uniform",
        std=std,
        hint=HINT,
        rng=None,
    )
    sampling.check_fresh("uniform_init", "uniform_init", params)
