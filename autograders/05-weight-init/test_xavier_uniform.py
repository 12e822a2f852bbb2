"""Hidden tests of xavier_uniform (05-weight-init, 2 points)."""

import math

import pytest

from nncourse.grading.asserts import load_helper

Sampling = load_helper(__file__, "_sampling").Sampling


@pytest.fixture
def sampling(student, seed):
    return Sampling(student, seed)


HINT = (
    "Xavier uniform draws from U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)), "
    "i.e. standard deviation gain * sqrt(2 / (fan_in + fan_out)) and b = sqrt(3) * std"
)


def xavier_std(fan_in, fan_out, gain):
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


@pytest.mark.points(1)
def test_default_gain(sampling):
    """gain 1: U(-b, b) with b = sqrt(6 / (fan_in + fan_out)) on a non-square layer"""
    fan_in, fan_out = sampling.FAN_IN, sampling.FAN_OUT
    sampling.check(
        "xavier_uniform",
        "xavier_uniform(fan_in, fan_out)",
        {},
        dist="uniform",
        std=xavier_std(fan_in, fan_out, 1.0),
        hint=HINT,
    )


@pytest.mark.points(1)
def test_gain_and_fresh_samples(sampling):
    """the gain scales the bound; drawn from rng (same seed, same weights), new draws on every call; rng=None works"""
    fan_in, fan_out = sampling.FAN_OUT, sampling.FAN_IN
    sampling.check(
        "xavier_uniform",
        "xavier_uniform(fan_in, fan_out, gain=2.5)",
        {"gain": 2.5},
        shape=(fan_in, fan_out),
        dist="uniform",
        std=xavier_std(fan_in, fan_out, 2.5),
        hint=HINT,
    )
    sampling.check(
        "xavier_uniform",
        "xavier_uniform(fan_in, fan_out, gain=5/3) with rng=None",
        {"gain": 5 / 3},
        dist="uniform",
        std=xavier_std(sampling.FAN_IN, sampling.FAN_OUT, 5 / 3),
        hint=HINT,
        rng=None,
    )
    sampling.check_fresh("xavier_uniform", "xavier_uniform", {"gain": 1.0})
