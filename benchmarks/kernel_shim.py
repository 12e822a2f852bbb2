"""The benchmark's stock-nbgrader baseline: a course's hidden pytest tests run *inside* the Jupyter kernel.

nbgrader has no notion of separate hidden test files; the closest stock set-up (the research notes'
"Option A") is a hidden block in each grade cell that runs the item's test file with pytest in the
kernel and returns the points earned as the cell's value (nbgrader's partial-credit channel)::

    ### BEGIN HIDDEN TESTS
    from benchmarks.kernel_shim import run_hidden_tests
    run_hidden_tests(".../autograders/<id>/test_<item>.py", globals(), source=".../<name>.ipynb", points=5)
    ### END HIDDEN TESTS

To make the two graders do the same work, this runs the *same* pytest invocation with the *same*
plugin (:class:`nncourse.grading.plugin.GradingPlugin`: fixtures ``student``, ``rng``, ``seed``,
``reference_solution``, the ``points`` marker) and the same ``student`` client
(:class:`nncourse.grading.student.Student`), whose requests are answered by the sandbox worker's own
request handler (``nncourse/sandbox/worker/session.py``) against the kernel's namespace, in this
process. What is missing is exactly what nbgrader lacks: no sandbox, no fork per test (tests share
the kernel's state; instrumentation patches are undone after each test), no per-call timeout (only
pytest-timeout).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import threading
import time
from pathlib import Path

import nncourse

_WORKER_DIR = Path(nncourse.__file__).resolve().parent / "sandbox" / "worker"
_REFERENCES: dict[str, object] = {}


def _worker_modules():
    if str(_WORKER_DIR) not in sys.path:
        sys.path.append(str(_WORKER_DIR))
    import guard
    import instruments  # noqa: F401  (the worker's modules, as the worker imports them)
    import session
    import wire

    if not getattr(guard, "_kernel_threads_left_out", False):
        # A Jupyter kernel always runs threads of its own (heartbeat, IOPub, control) that never
        # touch the student's code; the no-torch guard refuses a call while another thread runs.
        # The baseline leaves out the threads that exist when it is first used (nbgrader has no
        # such guard at all); the worker has no kernel threads, so it never needs this.
        kernel = set(sys._current_frames()) - {threading.get_ident()}
        frames = guard._current_frames
        guard._current_frames = lambda: {k: v for k, v in frames().items() if k not in kernel}
        guard._kernel_threads_left_out = True
    return session, wire


def _patch_targets() -> list[tuple[object, str]]:
    """Class attributes the worker's instruments replace (undone after each test here)."""
    targets = []
    torch = sys.modules.get("torch")
    if torch is not None:
        targets += [
            (torch.Tensor, "backward"),
            (torch.autograd, "backward"),
            (torch.optim.Optimizer, "__init__"),
        ]
    writer = sys.modules.get("torch.utils.tensorboard.writer")
    if writer is not None:
        import tensorboard_spies  # the worker's module (on sys.path: _worker_modules)

        targets += [(writer.SummaryWriter, m) for m in tensorboard_spies.RECORDED_METHODS]
    return targets


def _optimizer_hooks() -> list:
    """torch's global optimizer step hooks (dicts), which an instrument may add to."""
    optimizer = sys.modules.get("torch.optim.optimizer")
    names = ("_global_optimizer_pre_hooks", "_global_optimizer_post_hooks")
    return [
        getattr(optimizer, n)
        for n in names
        if optimizer is not None and isinstance(getattr(optimizer, n, None), dict)
    ]


class InProcessSession:
    """A test's session answered in this process by the worker's request handler (no socket, no fork)."""

    def __init__(self, namespace: dict, seed: int):
        self._session, self._wire = _worker_modules()
        self._namespace = namespace
        self._objects = self._session.Objects()
        self._saved = [(owner, name, owner.__dict__.get(name)) for owner, name in _patch_targets()]
        self._hooks = _optimizer_hooks()
        self._hooks_saved = [dict(hooks) for hooks in self._hooks]
        self._session.seed_everything(seed)
        self.ended = None

    def _decode(self, node, blobs):
        import torch

        def make_tensor(array, info):
            tensor = torch.from_numpy(array.copy())
            return tensor.requires_grad_(True) if info.get("requires_grad") else tensor

        return self._wire.decode(
            node, blobs, lambda handle_id, _type: self._objects.get(handle_id), make_tensor
        )

    def request(self, header: dict, blobs: list[bytes], *, timeout: float):
        header = json.loads(json.dumps(header))  # what the socket would carry
        try:
            try:
                value = self._session._perform(
                    header.get("op"), header, blobs, self._namespace, self._objects, self._decode
                )
            finally:
                self._session._restore_builtins()
            encoder = self._wire.Encoder(self._objects.put, sys.modules.get("torch"))
            reply, out = {"ok": True, "value": encoder.encode(value)}, encoder.blobs
        except BaseException as exc:  # the student's exceptions become data, as in the worker
            reply, out = {"ok": False, "error": self._wire.describe_error(exc)}, []
        return json.loads(json.dumps(reply, allow_nan=True)), out

    def close(self) -> None:
        # e.g. count_optimizer_steps' global hook
        for hooks, saved in zip(self._hooks, self._hooks_saved):
            hooks.clear()
            hooks.update(saved)
        for (
            owner,
            name,
            value,
        ) in self._saved:  # undo the instruments' patches (the worker forks instead)
            if value is None:
                if name in owner.__dict__:
                    delattr(owner, name)
            elif owner.__dict__.get(name) is not value:
                setattr(owner, name, value)


def run_hidden_tests(
    test_file: str,
    namespace: dict,
    *,
    source: str,
    points: float,
    timeout: float = 60.0,
    secret: bytes = b"nncourse-bench",
) -> float:
    """Run one hidden test file against the kernel's namespace; returns the points earned."""
    import pytest

    from nncourse.grading.plugin import GradingPlugin, pytest_arguments
    from nncourse.grading.reference import load_reference

    reference = _REFERENCES.get(source)
    if reference is None:
        reference = _REFERENCES[source] = load_reference(
            Path(source), name="nncourse_bench_reference"
        )
    autograders = Path(test_file).resolve().parent.parent
    sha = hashlib.sha256(os.getcwd().encode()).hexdigest()  # one set of inputs per student folder
    plugin = GradingPlugin(
        open_session=lambda seed: InProcessSession(namespace, seed),
        reference=reference,
        secret=secret,
        sha256=sha,
        call_seconds=timeout,
        deadline=time.monotonic() + 300,
    )
    # fd capture would take the kernel's own streams: capture Python's instead
    args = [*pytest_arguments(test_file, autograders, test_seconds=timeout), "--capture=sys"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main(args, plugins=[plugin])
    if plugin.collection_errors:
        print("hidden tests could not be collected: " + "; ".join(plugin.collection_errors)[:500])
        return 0.0
    earned = sum(o.points for o in plugin.outcomes.values() if o.passed)
    failed = [f"{o.name}: {o.message}" for o in plugin.outcomes.values() if not o.passed]
    if failed:
        print("\n".join(failed)[:2000])  # stdout, not stderr: stderr would zero the cell
    return float(min(max(earned, 0.0), points))
