"""Comparison helpers for hidden tests: messages name the quantity, never the expected values.

They accept every correct convention of the course contract: float32 or float64, numpy arrays,
torch tensors or lists, and shapes that differ only by size-1 axes (``(n,)`` vs ``(1, n)``) where a
test allows it. They never broadcast.
"""

from __future__ import annotations

import numpy as np
import torch

from nncourse.grading.student import Remote, not_numbers


def as_array(value, what: str) -> np.ndarray:
    """Convert a student's result to a float64 array, or fail with a clear message.

    Only plain data is converted (it came back from the worker as numbers): a ``Remote`` handle on an
    object of the student's is refused without a single call into it.
    """
    if isinstance(value, Remote):
        raise AssertionError(not_numbers(what, value.type_name))
    if isinstance(value, torch.Tensor):  # rebuilt from bytes by the student fixture: plain data
        value = value.detach().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{what} must be numbers (an array, tensor or list), got {type(value).__name__}"
        ) from None
    return array


def assert_shape(value, shape: tuple, what: str, *, allow_squeeze: bool = False) -> np.ndarray:
    """Check the shape of a result (optionally ignoring size-1 axes); returns it as float64."""
    array = as_array(value, what)
    got = tuple(array.shape)
    if got == tuple(shape):
        return array
    if allow_squeeze and tuple(d for d in got if d != 1) == tuple(d for d in shape if d != 1):
        return array.reshape(shape)
    raise AssertionError(f"{what} should have shape {tuple(shape)}, got {got}")


def assert_close(
    value,
    expected,
    what: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    allow_squeeze: bool = False,
    hint: str = "",
) -> None:
    """Compare a student's result with the grader's expectation without revealing it.

    Args:
        value: the student's result (array, tensor, list, number).
        expected: the reference result computed by the grader.
        what: the quantity's name in the message, e.g. ``"Linear.backward: grad_bias"``.
        rtol, atol: tolerances (``|value - expected| <= atol + rtol * |expected|``).
        allow_squeeze: accept shapes that differ only by size-1 axes.
        hint: a teaching hint appended to the failure message.
    """
    expected = np.asarray(expected, dtype=np.float64)
    array = assert_shape(value, expected.shape, what, allow_squeeze=allow_squeeze)
    if not np.all(np.isfinite(array)):
        raise AssertionError(
            f"{what} contains NaN or infinite values" + (f"; {hint}" if hint else "")
        )
    if not np.allclose(array, expected, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(array - expected) / (atol + rtol * np.abs(expected))))
        size = "slightly" if worst < 100 else "clearly"
        raise AssertionError(f"{what}: {size} wrong values" + (f"; {hint}" if hint else ""))


def assert_scalar(value, what: str) -> float:
    """A single number (float, 0-d array or tensor, or 1-element result); returns it as a float."""
    array = as_array(value, what)
    if array.size != 1:
        raise AssertionError(f"{what} should be a single number, got shape {tuple(array.shape)}")
    number = float(array.reshape(-1)[0])
    if not np.isfinite(number):
        raise AssertionError(f"{what} is NaN or infinite")
    return number


def load_helper(test_file: str, name: str):
    """The helper module ``name``.py next to a hidden test file, imported once per grader process.

    The autograders are collected with ``--import-mode=importlib`` (nothing on sys.path), so a test
    file imports its assignment's shared helpers (``_sampling.py``, ``_helpers.py``) with this.
    """
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(test_file).with_name(f"{name}.py")
    key = f"nncourse_autograder_{path.parent.name.replace('-', '_')}_{name.lstrip('_')}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
