"""Shared pieces of the gradient-descent autograders (01-gradient-descent).

Loaded by each test file with ``load_helper`` (a ``conftest.py`` here would break the grading
plugin's collection), like 02's ``_helpers.py`` and 05's ``_sampling.py``.
"""

from __future__ import annotations

import numpy as np

from nncourse.grading.student import StudentError


def draw(rng, n, *, means=(2.0, 3.0, 1.0), scales=1.0, sigma=1.0):
    """A data set of the linear model with random true coefficients; the default inputs follow the
    notebook's make_data (x1 ~ N(2, 1), x2 ~ N(3, 1), x3 ~ N(1, 1))."""
    X = rng.normal(means, scales, size=(n, 3))
    coefs = rng.uniform(-3.0, 3.0, 4)
    y = coefs[0] + X @ coefs[1:] + rng.normal(0.0, sigma, n)
    return X, y


def descent_setup(rng, n=40):
    """Data, a stable learning rate (below 1 / lambda_max, so below 2 / lambda_max) and a start."""
    X, y = draw(rng, n)
    X_tilde = np.column_stack([np.ones(n), X])
    lam_max = np.linalg.eigvalsh(X_tilde.T @ X_tilde / n)[-1]
    lr = float(min(rng.uniform(0.02, 0.06), 1.0 / lam_max))
    return X, y, lr, rng.uniform(-1.0, 1.0, 4)


def call_watching_inputs(student, item, *args):
    """Call a student's function; also report which array/tensor arguments it modified in place.
    The student's own errors are reported under the item's name."""
    try:
        reply = student.instrument("call_watching_inputs", getattr(student, item), *args)
    except StudentError as exc:
        raise StudentError(
            item, {"type": exc.type, "message": exc.message, "where": exc.where}
        ) from None
    return reply["value"], reply["changed"]
