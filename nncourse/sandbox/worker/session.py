"""One hidden test's conversation with the student's code, inside a forked worker child.

Requests (JSON): ``global`` (read a notebook name), ``getattr``/``setattr`` on a handle, ``call`` a
handle (functions, classes, bound methods), ``callattr`` (look a method up and call it: one round
trip instead of two), ``import`` a module the test needs inside the sandbox,
``instrument`` (run one of the instruments in ``registry``), ``not_again`` (stand-ins for what
hung in earlier tests, ``hangs.py``), ``close``. Replies carry plain data or handles. A guard may
wrap a call (``no_torch``: any torch operation raises). A request's ``limit`` (seconds) arms the
watchdog that reports where a call is stuck before the grader ends it.
"""

import builtins
import sys

import hangs
import instruments  # noqa: F401  (every instrument registers itself)
import registry
import wire
from basics import seed_everything
from guard import guard

# The tensor encoding and decoding of the replies and requests (wire.Encoder, decode below).
registry.rely_on(
    "session",
    "torch.from_numpy",
    "torch.Tensor",
    "torch.Tensor.detach",
    "torch.Tensor.numpy",
    "torch.Tensor.cpu",
    "torch.Tensor.resolve_conj",
    "torch.Tensor.is_complex",
    "torch.Tensor.float",
    "torch.Tensor.requires_grad",
    "torch._C.DisableTorchFunction",
    "torch._C._DisableTorchDispatch",
)
_type_name = type.__dict__["__name__"].__get__  # a metaclass cannot answer with its own code

_BUILTINS = dict(builtins.__dict__)  # imported before any student cell runs


def _restore_builtins() -> None:
    """Undo built-ins replaced by the student's code during a call (the replies need the real ones)."""
    current = builtins.__dict__
    for name, value in _BUILTINS.items():
        if current.get(name) is not value:
            current[name] = value


class GraderTampering(RuntimeError):
    """The student's code replaced part of the grader inside the worker during a request."""


class Objects:
    """Objects that stay in the worker, addressed by integer handles."""

    def __init__(self):
        self._items: dict[int, object] = {}

    def put(self, value) -> dict:
        handle_id = len(self._items) + 1
        self._items[handle_id] = value
        return {"id": handle_id, "type": _type_name(type(value))}

    def get(self, handle_id):
        if handle_id not in self._items:
            raise LookupError(f"unknown handle {handle_id}")
        return self._items[handle_id]


def serve(sock, namespace: dict, seed: int, *, tripwire=None, retake=None) -> int:
    """Answer requests until ``close``; returns the process exit code.

    Args:
        sock: this test's end of the channel.
        namespace: the notebook's globals.
        seed: seeds random, numpy and torch before the first request.
        tripwire: puts back the grader's code and names what changed (``integrity``); after every
            request that ran student code, a change fails the request.
        retake: a new tripwire from the current state, taken after instruments that install hooks.

    Once a call asked for the no-torch guard, every later call, attribute read or write of this
    session runs under it too: a lazy result cannot do its torch work after the guarded call.
    """
    objects = Objects()
    sticky = None  # the no-torch guard, once asked for
    torch = sys.modules.get("torch")
    seed_everything(seed)
    watchdog = hangs.Watchdog(lambda message: wire.send_message(sock, message))

    def decode(node, blobs):
        def make_handle(handle_id, _type):
            return objects.get(handle_id)

        def make_tensor(array, info):
            tensor = torch.from_numpy(array.copy())
            return tensor.requires_grad_(True) if info.get("requires_grad") else tensor

        return wire.decode(node, blobs, make_handle, make_tensor)

    while True:
        try:
            request, blobs = wire.recv_message(sock)
        except wire.WireError:
            return 0
        op = request.get("op")
        if op == "close":
            return 0
        # an instrument that runs no student code installs hooks: they become the new baseline
        installs = op == "instrument" and not registry.calls_student(request.get("name"))
        spec = request.get("guard")
        if isinstance(spec, dict) and spec.get("no_torch"):
            sticky = {"no_torch": True}
        watchdog.begin(request.get("limit"))
        try:
            # nothing changed since the last check becomes the baseline
            if installs and tripwire is not None:
                _refuse(tripwire())
            try:
                value = _perform(
                    op, request, blobs, namespace, objects, decode, spec=sticky or spec
                )
            finally:
                watchdog.end()  # no report once the reply may be on its way
                _restore_builtins()
                tampered = tripwire() if tripwire is not None and not installs else []
            _refuse(tampered)
            if installs and retake is not None:
                # the instrument's hooks (no student code ran) are the new baseline
                tripwire = retake()
            encoder = wire.Encoder(objects.put, torch)
            reply = {"ok": True, "value": encoder.encode(value)}
            blobs_out = encoder.blobs
        except BaseException as exc:  # student exceptions (even SystemExit) become data
            reply, blobs_out = {"ok": False, "error": wire.describe_error(exc)}, []
        try:
            wire.send_message(sock, reply, blobs_out)
        except (OSError, ValueError) as exc:
            wire.send_message(
                sock,
                {
                    "ok": False,
                    "error": {"type": "ResultTooLarge", "message": str(exc)[:300], "where": None},
                },
            )


def _refuse(tampered: list) -> None:
    if tampered:
        raise GraderTampering(
            "your code changed the grader's own tools while it ran ("
            + ", ".join(tampered[:4])
            + "); this test cannot trust its result"
        )


def _perform(op, request, blobs, namespace, objects, decode, *, spec=None):
    """Carry out one request; ``spec`` (default: the request's own) guards code of the student."""
    spec = request.get("guard") if spec is None else spec
    if op == "global":
        name = request["name"]
        if name not in namespace:
            raise NameError(f"name '{name}' is not defined in the notebook")
        return namespace[name]
    if op == "getattr":  # a property is the student's code too
        target = objects.get(request["handle"])
        with guard(spec):
            return getattr(target, request["name"])
    if op == "setattr":
        target, value = objects.get(request["handle"]), decode(request["value"], blobs)
        with guard(spec):
            setattr(target, request["name"], value)
        return None
    if op in ("call", "callattr"):
        target = objects.get(request["handle"])
        args = decode(request.get("args", []), blobs)
        kwargs = decode(request.get("kwargs", {"dict": []}), blobs)
        with guard(spec):
            if op == "callattr":  # the lookup runs under the guard too: a property is student code
                target = getattr(target, request["name"])
            return target(*args, **kwargs)
    if op == "import":
        __import__(request["module"])
        return sys.modules[request["module"]]
    if op == "instrument":
        return registry.lookup(request["name"]).function(*decode(request.get("args", []), blobs))
    if op == "not_again":
        return hangs.disable(namespace, request.get("marks", []))
    raise ValueError(f"unknown request {op!r}")
