"""Shared pieces of the backpropagation autograders (02-backpropagation).

Loaded by each test file with ``importlib`` (a ``conftest.py`` here would break the grading plugin's
collection, see the report of issue 4), reached in tests through the file's ``bp`` fixture.

Every item is numpy only: all calls into the student's code run under ``student.forbid_torch()``.
Expected values come from the reference solution or from torch autograd in float64, on inputs drawn
from ``rng``. Tolerances accept float32 internals (relative error ~1e-7) and every convention of the
contract (a bias gradient of shape (n_out,) or (1, n_out); ReLU'(0) is 0, as the notebook states); the mistakes these
tests look for are off by factors, transposes or signs.
"""

from __future__ import annotations

import numpy as np

from nncourse.grading.asserts import as_array, assert_close
from nncourse.grading.student import StudentError

RTOL, ATOL = 1e-5, 1e-6


class Helpers:
    """Test helpers for one test, reached through the ``bp`` fixture of each test file."""

    def __init__(self, student):
        self.student = student

    def checked_call(self, label: str, method, *args) -> dict:
        """Call ``method(*args)`` through ``instrument_checked_call``: returns the value, the warnings
        it emitted and which arguments it changed in place.

        The call is made once normally first, so that an exception in the student's code is reported
        under the method's own name (e.g. "Sigmoid.forward raised ...").
        """
        with self.student.forbid_torch():
            method(*args)
        try:
            return self.student.instrument("checked_call", method, *args)
        except StudentError as exc:  # failed only the second time: still the student's method
            raise AssertionError(f"{label} raised {exc.type}: {exc.message}"[:400]) from None

    @staticmethod
    def close(
        value, expected, what, *, rtol=RTOL, atol=ATOL, allow_squeeze=False, hint="", mistakes=()
    ):
        """``assert_close``, but first name a known mistake if the value matches one of ``mistakes``
        (``[(what the mistake would give, full message), ...]``); the messages never contain numbers."""
        array = as_array(value, what)
        for wrong, message in mistakes:
            wrong = np.asarray(wrong, dtype=np.float64)
            candidate = (
                array.reshape(wrong.shape) if allow_squeeze and array.size == wrong.size else array
            )
            if (
                candidate.shape == wrong.shape
                and np.all(np.isfinite(candidate))
                and np.allclose(candidate, wrong, rtol=rtol, atol=atol)
                and not np.allclose(wrong, expected, rtol=rtol, atol=atol)
            ):
                raise AssertionError(message)
        assert_close(
            value, expected, what, rtol=rtol, atol=atol, allow_squeeze=allow_squeeze, hint=hint
        )
