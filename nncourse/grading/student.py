"""The `student` fixture: a hidden test's view of the student's notebook.

Every attribute access or call crosses to the sandboxed worker; results come back as plain data
(numbers, strings, lists, dicts, numpy arrays, torch tensors rebuilt from ``.npy`` bytes) or as
:class:`Remote` handles for objects that stay in the worker (a ``Linear`` layer, a trained module),
whose attributes and methods work the same way::

    layer = student.Linear(3, 2)
    layer.weights = w                     # set from the test
    out = layer.forward(x)                # ndarray back
    with student.forbid_torch():          # numpy-only items
        grad = student.mse_gradient(params, X, y)
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from nncourse.grading.hangs import NOT_CALLED_AGAIN, HangLog, NotCalledAgain, valid_name
from nncourse.grading.results import NAME_CHARS, clip
from nncourse.sandbox.client import CallTimeout, Session, WorkerDied, WorkerLost
from nncourse.sandbox.worker import wire


class StudentError(Exception):
    """The student's code raised an exception; carries its type, message and cell line."""

    def __init__(self, label: str, error: dict):
        self.label = label
        self.type = clip(error.get("type", "Exception"), NAME_CHARS)
        self.message = clip(error.get("message", ""), 500)
        self.where = clip(error["where"], NAME_CHARS) if error.get("where") else None
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f" ({self.where})" if self.where else ""
        if self.type == "NotImplementedError":
            return f"{self.label} is not implemented yet (it raised NotImplementedError{where})"
        if self.type in ("ForbiddenOperation", "ResultTooLarge"):
            return f"{self.label}: {self.message}"
        return f"{self.label} raised {self.type}{where}: {self.message}"


class Student:
    """Entry point of the fixture; attributes are the notebook's global names.

    Args:
        open_session: starts this test's worker session.
        call_seconds: time limit of one request.
        budget_bytes: data this test may receive from the student's code in all.
        hangs: the submission's log of what hung (``grading/hangs.py``), shared by its tests.
        test: this test's rubric line number (``"3.1"``), named when something hangs.
        methods: ``(class name, attribute)`` pairs found to be bound methods so far, shared by the
            submission's tests (every test starts from the same state of the notebook): calling one
            on an instance takes one round trip (``_Method``).
    """

    def __init__(
        self,
        open_session,
        *,
        call_seconds: float,
        budget_bytes: int = 512 << 20,
        hangs: HangLog | None = None,
        test: str = "?",
        methods: set[tuple[str, str]] | None = None,
    ):
        self._open_session = open_session
        self._session: Session | None = None
        self._call_seconds = call_seconds
        self._guard: dict | None = None
        self._budget = budget_bytes  # what this test may still receive from the student's code
        self._hangs = hangs if hangs is not None else HangLog()
        self._test = test
        # the notebook's classes and functions by name, for this session (handles die with it)
        self._handles: dict[str, Remote] = {}
        self._methods = methods if methods is not None else set()

    # --------------------------------------------------------------------------------- plumbing
    def _request(
        self,
        header: dict,
        label: str,
        *,
        args: object = None,
        kwargs: object = None,
        target: str | None = None,
    ):
        """One request; ``target`` names the notebook function it calls (blamed if it hangs)."""
        hang = self._hangs.get(target)
        if hang is not None:
            raise NotCalledAgain(hang.message())
        if self._session is None:
            self._session = self._open_session()
            if self._hangs:  # this test's process replaces what hung in earlier tests
                self._send({"op": "not_again", "marks": self._hangs.for_worker()}, [], label)
        header["limit"] = self._call_seconds
        encoder = wire.Encoder(self._encode_object, torch)
        if args is not None:
            header["args"] = encoder.encode(list(args))
            header["kwargs"] = encoder.encode(dict(kwargs or {}))
        if header.get("op") in ("call", "callattr") and self._guard:
            header["guard"] = self._guard
        if "value" in header:
            header["value"] = encoder.encode(header["value"])
        if self._budget < 0:
            raise StudentError(label, {"type": "ResultTooLarge", "message": _OVER_BUDGET})
        reply, blobs = self._send(header, encoder.blobs, label, target)
        self._budget -= sum(len(blob) for blob in blobs)  # at most wire.MAX_MESSAGE_BYTES per reply
        if self._budget < 0:
            raise StudentError(label, {"type": "ResultTooLarge", "message": _OVER_BUDGET})
        if not reply.get("ok"):
            error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
            if error.get("type") == NOT_CALLED_AGAIN:  # a stand-in for what hung (grading/hangs.py)
                raise NotCalledAgain(str(error.get("message", ""))[:500])
            raise StudentError(label, error)
        try:
            return wire.decode(
                reply.get("value"), blobs, lambda i, t: Remote(self, i, t, label), _tensor_from
            )
        except wire.WireError as exc:
            raise StudentError(
                label, {"type": "InvalidResult", "message": f"its result could not be read ({exc})"}
            ) from None

    def _send(self, header: dict, blobs: list, label: str, target: str | None = None):
        try:
            return self._session.request(header, blobs, timeout=self._call_seconds)
        except CallTimeout as exc:
            name = valid_name(exc.stuck_in) or target
            if name is None:
                raise WorkerDied(f"{label}: {exc}") from None
            self._hangs.record(name, f"did not return within {self._call_seconds:g} s", self._test)
            where = "it" if name == label else name
            stuck = "" if name == label else f" (stuck in {name})"
            raise WorkerDied(
                f"{label}: {exc}{stuck}; later tests do not call {where} again"
            ) from None
        except WorkerLost as exc:
            if target is None:
                raise WorkerDied(f"{label}: {exc}") from None
            what = f"stopped the process running the notebook ({exc})"
            self._hangs.record(target, what, self._test)
            raise WorkerDied(f"{label}: {exc}; later tests do not call it again") from None
        except WorkerDied as exc:
            raise WorkerDied(f"{label}: {exc}") from None

    def _encode_object(self, value):
        if isinstance(value, _Method):  # sent as an object: it needs a handle of its own
            value = value._resolve()
        if isinstance(value, Remote):
            return {"id": value._id, "type": value._type}
        raise TypeError(f"cannot send {type(value).__name__} to the student's code")

    def close(self) -> None:
        self._handles.clear()
        if self._session is not None:
            self._session.close()
            self._session = None

    # ----------------------------------------------------------------------------------- for tests
    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        handle = self._handles.get(name)
        if handle is not None:  # a round trip saved: the same object the notebook defined
            return handle
        value = self._request({"op": "global", "name": name}, name)
        if isinstance(value, Remote):  # plain data is fetched afresh: a test may change its copy
            self._handles[name] = value
        return value

    def has(self, name: str) -> bool:
        """Whether the notebook defines ``name`` (without failing the test)."""
        try:
            self._request({"op": "global", "name": name}, name)
            return True
        except StudentError:
            return False

    def import_module(self, module: str) -> Remote:
        """A module imported inside the worker (e.g. ``torch.nn`` to build models there)."""
        return self._request({"op": "import", "module": module}, module)

    def instrument(self, name: str, *args):
        """Run ``instrument_<name>`` from the worker's instruments (spies, seeding, event reading)."""
        target = _target(args[0]) if name in _CALLING_INSTRUMENTS and args else None
        return self._request(
            {"op": "instrument", "name": name}, f"instrument {name}", args=args, target=target
        )

    @contextlib.contextmanager
    def forbid_torch(self):
        """Calls made inside this block fail if the student's code uses any torch operation."""
        previous, self._guard = self._guard, {"no_torch": True}
        try:
            yield self
        finally:
            self._guard = previous


_OVER_BUDGET = (
    "your code's results in this test add up to more data than a test accepts; "
    "return arrays of the size asked for"
)
# instruments that call their first argument (the student's function) with the rest. Kept on this
# side of the trust boundary on purpose: the worker's registry (sandbox/worker/registry.py) is in the
# process the student's code has run in, so the grader must not learn from it which calls to skip
# after a hang; tests/test_tampering.py checks the two agree.
_CALLING_INSTRUMENTS = frozenset({"checked_call", "call_watching_inputs"})


def _target(value) -> str | None:
    """The notebook function or method a call of ``value`` runs: a function or bound method by its
    label, a class by its ``__init__``; None for anything else."""
    if not isinstance(value, Remote):
        return None
    if value._type in ("function", "method"):
        return value._label
    return f"{value._label}.__init__" if value._type == "type" else None


def _tensor_from(array: np.ndarray, info: dict) -> torch.Tensor:
    return torch.from_numpy(np.array(array, copy=True))


class Remote:
    """A handle on an object that lives in the worker (class, instance, bound method, module)."""

    __slots__ = ("_student", "_id", "_type", "_label")

    def __init__(self, student: Student, handle_id: int, type_name: str, label: str):
        object.__setattr__(self, "_student", student)
        object.__setattr__(self, "_id", handle_id)
        object.__setattr__(self, "_type", clip(type_name, NAME_CHARS))
        object.__setattr__(self, "_label", label)

    @property
    def type_name(self) -> str:
        """The class name of the remote object, e.g. ``'Linear'``."""
        return self._type

    def __call__(self, *args, **kwargs):
        return self._student._request(
            {"op": "call", "handle": self._id},
            self._label,
            args=args,
            kwargs=kwargs,
            target=_target(self),
        )

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        instance = self._type not in ("type", "function", "module")
        label = f"{self._type if instance else self._label}.{name}"
        methods = self._student._methods
        if instance and (self._type, name) in methods:
            return _Method(self, name, label)
        value = self._student._request({"op": "getattr", "handle": self._id, "name": name}, label)
        if instance and isinstance(value, Remote) and value._type == "method":
            methods.add((self._type, name))
        return value

    def __setattr__(self, name: str, value) -> None:
        self._student._request(
            {"op": "setattr", "handle": self._id, "name": name, "value": value},
            f"setting {self._type}.{name}",
        )

    def call_method(self, name: str, *args, **kwargs):
        """Call a method by name, including dunder methods (``__len__``, ``__getitem__``)."""
        return _Method(self, name, f"{self._type}.{name}")(*args, **kwargs)

    def __array__(self, dtype=None, copy=None):
        """Never converted here: numpy would pull it element by element, running the student's code
        unguarded; only plain data (arrays, tensors, lists of numbers) is compared."""
        raise AssertionError(not_numbers(self._label, self._type))

    def __len__(self) -> int:
        return int(self.call_method("__len__"))

    def __getitem__(self, key):
        return self.call_method("__getitem__", key)

    def __repr__(self) -> str:
        return f"<student {self._type} object>"


class _Method(Remote):
    """``instance.name`` known to be a method (by an earlier instance of the class), not looked up
    yet: calling it looks it up and calls it in one request (``callattr``), which
    halves the round trips of a test's method calls. Any other use looks it up first."""

    __slots__ = ("_owner", "_name")

    def __init__(self, owner: Remote, name: str, label: str):
        super().__init__(owner._student, -1, "method", label)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_name", name)

    def _resolve(self) -> Remote:
        return self._student._request(
            {"op": "getattr", "handle": self._owner._id, "name": self._name}, self._label
        )

    def __call__(self, *args, **kwargs):
        return self._student._request(
            {"op": "callattr", "handle": self._owner._id, "name": self._name},
            self._label,
            args=args,
            kwargs=kwargs,
            target=self._label,
        )

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._resolve(), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._resolve(), name, value)

    def call_method(self, name: str, *args, **kwargs):
        return self._resolve().call_method(name, *args, **kwargs)


def not_numbers(label: str, type_name: str) -> str:
    """The message for a result that is an object of the student's instead of numbers."""
    return (
        f"{label} returned a {type_name} object, not numbers (an array, tensor or list); "
        "it was not converted"
    )
