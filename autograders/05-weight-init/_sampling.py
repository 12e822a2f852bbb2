"""Shared checks of the weight-initialization autograders (05-weight-init).

Loaded by the test files with ``nncourse.grading.asserts.load_helper`` (the autograders are collected
with pytest's importlib mode, so nothing is on sys.path).

The samplers are tested statistically on large non-square matrices (300 x 1200 = 360 000 draws):
every check allows about 8 standard errors, so a correct sampler fails with a probability far below
1e-12 per check, while the usual mistakes (a wrong fan, a missing sqrt(3), a missing gain) are
dozens to hundreds of standard errors away. Calls are reproducible whatever random-number API the
student uses: the worker's global generators (random, numpy, torch) are seeded and a worker-side
``numpy.random.Generator`` is passed as ``rng``.
"""

from __future__ import annotations

import math

import numpy as np

from nncourse.grading.asserts import as_array
from nncourse.grading.student import StudentError

FAN_IN, FAN_OUT = 300, 1200  # non-square: fan_in / fan_out mix-ups and transposes show
TOLERANCE_SE = 8.0  # every statistical check allows this many standard errors
# asymptotic variance of the sample kurtosis times n: 24 for a normal, ~1.36 for a uniform (measured)
KURTOSIS_VARIANCE = {"normal": 24.0, "uniform": 1.5}
KURTOSIS = {"normal": 3.0, "uniform": 1.8}


def sample_problems(value, *, shape, dist: str, std: float) -> list[str]:
    """What is wrong with a sample of weights (empty list: looks like i.i.d. draws of ``dist``).

    Args:
        value: the student's result (array, tensor or nested lists).
        shape: the expected shape ``(fan_in, fan_out)``.
        dist: ``"normal"`` (N(0, std^2)) or ``"uniform"`` (U(-b, b) with b = sqrt(3) std).
        std: the standard deviation the weights should have.

    The messages say what is wrong without revealing the expected numbers.
    """
    try:
        weights = as_array(value, "the weights")
    except AssertionError as exc:
        return [str(exc)]
    got = tuple(weights.shape)
    if got != tuple(shape):
        if got == tuple(shape)[::-1]:
            return [
                (
                    "the matrix is transposed: it must have shape (fan_in, fan_out), one row per input "
                    "of the layer (as in h @ W)"
                )
            ]
        return [f"the result must have shape (fan_in, fan_out); got an array of shape {got}"]
    if not np.all(np.isfinite(weights)):
        return ["the weights contain NaN or infinite values"]
    w = weights.ravel()
    n = w.size
    problems = []
    if dist == "uniform":
        bound = math.sqrt(3.0) * std
        largest = float(np.max(np.abs(w)))
        if largest > bound * (1 + 1e-6):
            problems.append("some weights lie outside the interval [-b, b]")
        elif largest < 0.99 * bound:
            problems.append("the weights do not fill the whole interval [-b, b]")
    if np.unique(w).size < 0.9 * n:
        problems.append("many weights are repeated: every entry must be an independent draw")
    mean = float(np.mean(w))
    if abs(mean) > TOLERANCE_SE * std / math.sqrt(n):
        problems.append("the weights should have mean 0 (symmetric around 0)")
    squares = np.square(w - mean)  # x * x: numpy's x ** 4 calls pow(), ten times slower
    second = float(np.mean(squares))
    sample_std = math.sqrt(second)
    relative_se = math.sqrt((KURTOSIS[dist] - 1.0) / (4.0 * n))
    if abs(sample_std / std - 1.0) > TOLERANCE_SE * relative_se:
        direction = "too large" if sample_std > std else "too small"
        problems.append(f"the standard deviation of the weights is {direction}")
    if second > 0:
        kurtosis = float(np.mean(np.square(squares))) / second**2
        if abs(kurtosis - KURTOSIS[dist]) > TOLERANCE_SE * math.sqrt(KURTOSIS_VARIANCE[dist] / n):
            problems.append(
                f"the weights do not look {'normally' if dist == 'normal' else 'uniformly'} "
                "distributed (wrong shape of the histogram)"
            )
    return problems


class Sampling:
    """Calls a student's sampler reproducibly and checks its samples.

    Args:
        student: the ``student`` fixture.
        seed: the test's seed.
    """

    FAN_IN, FAN_OUT = FAN_IN, FAN_OUT

    def __init__(self, student, seed: int):
        self.student = student
        self.seed = seed
        student.instrument("seed", seed)  # global random / numpy / torch generators: reproducible
        self._numpy_random = student.import_module("numpy.random")
        self._count = 0

    def generator(self):
        """A fresh worker-side ``numpy.random.Generator`` (a different stream on every call)."""
        self._count += 1
        return self._numpy_random.default_rng([self.seed, self._count])

    def draw(self, name: str, fan_in: int, fan_out: int, params: dict, rng="new"):
        """``student.<name>(fan_in, fan_out, **params, rng=...)``; ``rng="new"`` passes a fresh Generator,
        ``rng=None`` leaves the argument out (its default is ``None``)."""
        kwargs = dict(params)
        if isinstance(rng, str):
            rng = self.generator()
        if rng is not None:
            kwargs["rng"] = rng
        return getattr(self.student, name)(fan_in, fan_out, **kwargs)

    def check(
        self,
        name: str,
        call: str,
        params: dict,
        *,
        dist: str,
        std: float,
        shape=(FAN_IN, FAN_OUT),
        hint: str = "",
        rng="new",
    ):
        """Draw one sample and assert that it has the right shape and distribution (N(0, std²) or
        U(-b, b) with b = sqrt(3) std); returns it as an array."""
        try:
            value = self.draw(name, shape[0], shape[1], params, rng=rng)
        except StudentError as exc:
            if rng is not None or exc.type == "NotImplementedError":
                raise
            raise AssertionError(
                f"{call} failed ({exc}); rng=None means np.random.default_rng()"
            ) from None
        problems = sample_problems(value, shape=shape, dist=dist, std=std)
        assert not problems, f"{call}: " + "; ".join(problems) + (f". {hint}" if hint else "")
        return as_array(value, name)

    def seeded_generator(self, stream: int):
        """A worker-side ``numpy.random.Generator`` seeded with (test seed, ``stream``): equal streams give
        identically seeded generators."""
        return self._numpy_random.default_rng([self.seed, 1000 + int(stream)])

    def check_uses_rng(self, name: str, call: str, params: dict):
        """Two generators seeded alike must give the same weights, differently seeded ones different weights
        (whatever the way of drawing from the given generator)."""
        first = as_array(self.draw(name, 7, 5, params, rng=self.seeded_generator(1)), name)
        again = as_array(self.draw(name, 7, 5, params, rng=self.seeded_generator(1)), name)
        other = as_array(self.draw(name, 7, 5, params, rng=self.seeded_generator(2)), name)
        assert first.shape == again.shape == other.shape == (7, 5), (
            f"{call}: the result must have shape (fan_in, fan_out)"
        )
        assert np.array_equal(first, again), (
            f"{call}: two calls with generators seeded the same way returned different weights, so the given "
            "rng is not used; draw every number from rng (e.g. rng.uniform / rng.normal / rng.standard_normal), "
            "do not create another generator or use np.random.* when rng is given, and pass rng=rng on to any "
            "helper init you call"
        )
        assert not np.array_equal(first, other), (
            f"{call}: generators with different seeds returned the same weights; draw the numbers from the "
            "given rng"
        )

    def check_fresh(self, name: str, call: str, params: dict):
        """The weights come from the given generator (same seed, same weights), two calls with the same
        generator, and two with ``rng=None``, give different weights."""
        self.check_uses_rng(name, call, params)
        generator = self.generator()
        first = as_array(self.draw(name, 7, 5, params, rng=generator), name)
        second = as_array(self.draw(name, 7, 5, params, rng=generator), name)
        assert first.shape == second.shape == (7, 5), (
            f"{call}: the result must have shape (fan_in, fan_out)"
        )
        assert not np.array_equal(first, second), (
            f"{call}: two calls with the same generator rng returned the same weights; draw the numbers "
            "from rng (it moves on after each draw) and do not create a seeded generator inside the function"
        )
        try:
            first = as_array(self.draw(name, 7, 5, params, rng=None), name)
            second = as_array(self.draw(name, 7, 5, params, rng=None), name)
        except StudentError as exc:
            raise AssertionError(
                f"{call} with rng=None failed ({exc}); rng=None means np.random.default_rng()"
            ) from None
        assert first.shape == second.shape == (7, 5), (
            f"{call} with rng=None: the result must have shape (fan_in, fan_out)"
        )
        assert not np.array_equal(first, second), (
            f"{call}: two calls with rng=None returned the same weights; rng=None means a fresh, unseeded "
            "np.random.default_rng(), so every call gives new weights"
        )


def kaiming_tests(name: str, dist: str, hint: str) -> dict:
    """The four rubric lines (1 point each) shared by kaiming_uniform and kaiming_normal."""
    import pytest
    import torch

    def kaiming_std(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in"):
        fan = fan_in if mode == "fan_in" else fan_out
        return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)

    def check(sampling, shape, params, rng="new"):
        call = f"{name}(fan_in, fan_out" + "".join(f", {k}={v!r}" for k, v in params.items()) + ")"
        if rng is None:
            call += " with rng=None"
        sampling.check(
            name,
            call,
            params,
            shape=shape,
            dist=dist,
            std=kaiming_std(*shape, **params),
            hint=hint,
            rng=rng,
        )

    @pytest.fixture
    def sampling(student, seed):
        return Sampling(student, seed)

    @pytest.mark.points(1)
    def test_defaults_he_init(sampling):
        """the defaults (a=0, 'leaky_relu', 'fan_in') give He's std sqrt(2 / fan_in) on a non-square layer"""
        check(sampling, (FAN_IN, FAN_OUT), {})

    @pytest.mark.points(1)
    def test_mode_fan_out(sampling):
        """mode='fan_out' uses the number of outputs (columns)"""
        check(sampling, (FAN_IN, FAN_OUT), {"nonlinearity": "relu", "mode": "fan_out"})
        check(sampling, (FAN_OUT, FAN_IN), {"a": 0.2, "mode": "fan_out"})

    @pytest.mark.points(1)
    def test_slope_and_nonlinearity(sampling):
        """the gain follows the LeakyReLU slope a and the nonlinearity (a is ignored unless 'leaky_relu')"""
        check(sampling, (FAN_OUT, FAN_IN), {"a": 0.5, "nonlinearity": "leaky_relu"})
        check(sampling, (FAN_IN, FAN_OUT), {"a": 0.5, "nonlinearity": "relu"})
        check(sampling, (FAN_IN, FAN_OUT), {"a": 0.3, "nonlinearity": "tanh"})

    @pytest.mark.points(1)
    def test_fresh_samples_rng_none_and_bad_mode(sampling):
        """drawn from rng (same seed, same weights), new draws on every call, rng=None works, ValueError for an unknown mode or nonlinearity"""
        check(sampling, (FAN_IN, FAN_OUT), {"nonlinearity": "relu"}, rng=None)
        sampling.check_fresh(name, name, {"nonlinearity": "relu"})
        for params, what in (
            ({"mode": "fan_avg"}, "a mode other than 'fan_in' or 'fan_out'"),
            ({"nonlinearity": "gelu"}, "a nonlinearity that calculate_gain does not know"),
        ):
            try:
                sampling.draw(name, 5, 7, params)
            except StudentError as exc:
                if exc.type != "ValueError" and "nonlinearity" in params:
                    try:  # the same error as calculate_gain's costs points on calculate_gain's line only
                        sampling.student.calculate_gain(params["nonlinearity"])
                    except StudentError as gain_exc:
                        if gain_exc.type == exc.type:
                            continue
                assert exc.type == "ValueError", (
                    f"{name} with {what} should raise a ValueError, it raised {exc.type}"
                )
            else:
                raise AssertionError(
                    f"{name} should raise a ValueError for {what} (take the gain from "
                    "calculate_gain, which raises it)"
                )

    return {k: v for k, v in locals().items() if k.startswith("test_") or k == "sampling"}


XAVIER_DOCS = {
    "normal": (
        "gain 1: N(0, std²) with std = sqrt(2 / (fan_in + fan_out)) on a non-square layer",
        "the gain scales the standard deviation",
    ),
    "uniform": (
        "gain 1: U(-b, b) with b = sqrt(6 / (fan_in + fan_out)) on a non-square layer",
        "the gain scales the bound",
    ),
}


def xavier_tests(name: str, dist: str, hint: str) -> dict:
    """The two rubric lines (1 point each) shared by xavier_normal and xavier_uniform."""
    import pytest

    def xavier_std(fan_in, fan_out, gain):
        return gain * math.sqrt(2.0 / (fan_in + fan_out))

    @pytest.fixture
    def sampling(student, seed):
        return Sampling(student, seed)

    @pytest.mark.points(1)
    def test_default_gain(sampling):
        sampling.check(
            name,
            f"{name}(fan_in, fan_out)",
            {},
            dist=dist,
            std=xavier_std(FAN_IN, FAN_OUT, 1.0),
            hint=hint,
        )

    @pytest.mark.points(1)
    def test_gain_and_fresh_samples(sampling):
        fan_in, fan_out = FAN_OUT, FAN_IN
        sampling.check(
            name,
            f"{name}(fan_in, fan_out, gain=2.5)",
            {"gain": 2.5},
            shape=(fan_in, fan_out),
            dist=dist,
            std=xavier_std(fan_in, fan_out, 2.5),
            hint=hint,
        )
        sampling.check(
            name,
            f"{name}(fan_in, fan_out, gain=5/3) with rng=None",
            {"gain": 5 / 3},
            dist=dist,
            std=xavier_std(FAN_IN, FAN_OUT, 5 / 3),
            hint=hint,
            rng=None,
        )
        sampling.check_fresh(name, name, {"gain": 1.0})

    default_doc, gain_doc = XAVIER_DOCS[dist]
    test_default_gain.__doc__ = default_doc
    test_gain_and_fresh_samples.__doc__ = (
        f"{gain_doc}; drawn from rng (same seed, same weights), new draws on every call; "
        "rng=None works"
    )
    return {k: v for k, v in locals().items() if k.startswith("test_") or k == "sampling"}
