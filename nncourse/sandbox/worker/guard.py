"""The guards a hidden test can put around a call into the student's code (today: no torch).

``guard(spec)`` wraps one call; ``{"no_torch": True}`` makes any torch operation raise
``ForbiddenOperation``, seen twice over: a torch-function mode and a profiler.
"""

import contextlib
import os
import sys

import hangs
import registry

registry.rely_on(
    "guard",
    "torch.Tensor.__torch_function__",
    "torch.overrides.TorchFunctionMode",
    "torch.overrides._push_mode",
    "torch.overrides._pop_mode",
    "torch.overrides._pop_mode_temporarily",
    "torch.overrides.TorchFunctionMode.__enter__",
    "torch.overrides.TorchFunctionMode.__exit__",
    "torch.overrides.TorchFunctionMode.__init__",
    "torch.overrides.TorchFunctionMode.push",
    "torch._C._push_on_torch_function_stack",
    "torch._C._pop_torch_function_stack",
    "torch._C._len_torch_function_stack",
    "torch._C._get_function_stack_at",
    "torch._C._is_torch_function_mode_enabled",
)


# Bound before any student code runs: a cell may replace the ``sys`` functions, not these names.
_current_frames, _getprofile, _setprofile = sys._current_frames, sys.getprofile, sys.setprofile
_ESCAPES = (
    sys.setprofile,
    sys.settrace,
    os.fork,
    os.system,
)  # C functions: seen as "c_call" events


class ForbiddenOperation(RuntimeError):
    """Raised inside the worker when the code under test uses something the item forbids."""


@contextlib.contextmanager
def guard(spec):
    """Run a call under the guards named in ``spec`` (a dict or None)."""
    spec = spec or {}
    with contextlib.ExitStack() as stack:
        if spec.get("no_torch") and "torch" in sys.modules:
            _refuse_other_threads()
            stack.enter_context(_no_torch_mode())
            stack.enter_context(_torch_watch())
        yield


_WATCHDOG_CODE = hangs.Watchdog._run.__code__  # the worker's own hang watchdog (grader code)


def _is_watchdog(frame) -> bool:
    """Whether this thread's stack runs the worker's hang watchdog (not a thread of the student's)."""
    while frame is not None:
        if frame.f_code is _WATCHDOG_CODE:
            return True
        frame = frame.f_back
    return False


def _refuse_other_threads() -> None:
    """The mode and the profiler watch the calling thread only: no other Python thread may run.

    A test's process starts with one thread (it is forked); a second one was started by the
    student's code, e.g. from an ``os.register_at_fork`` hook, and could do the torch work unseen.
    Native threads that never run Python (a BLAS pool) have no frame and do not count.
    """
    others = sum(1 for frame in _current_frames().values() if not _is_watchdog(frame)) - 1
    if others > 0:
        raise ForbiddenOperation(
            "torch is not allowed here, and this numpy-only call cannot be watched while other "
            f"threads of your code are running ({others} started, e.g. at fork or in an earlier call)"
        )


def _escapes() -> frozenset:
    """The C functions that leave the watched thread or process: ``_ESCAPES`` and the thread, fork
    and spawn functions of ``_thread``, ``_posixsubprocess`` and ``posix``, imported here (found
    once at import, the set must not depend on whether something imported them already)."""
    escapes = set(_ESCAPES)
    for module, names in (
        ("_thread", ("start_new_thread", "start_joinable_thread")),
        ("_posixsubprocess", ("fork_exec",)),
        ("posix", ("posix_spawn", "posix_spawnp")),
    ):
        try:
            found = __import__(module)
        except ImportError:  # not on this platform
            continue
        escapes.update(f for f in (getattr(found, n, None) for n in names) if f is not None)
    return frozenset(escapes)


@contextlib.contextmanager
def _torch_watch():
    """A second, independent no-torch check: a profiler that sees every call while the code runs.

    The TorchFunctionMode above can be stepped out of from inside the call (popping the mode, a
    thread, a child process); the profiler sees those moves and any torch function, Python or C.
    """
    if _TORCH_DIR is not None:
        torch_dir, escapes = _TORCH_DIR, _ESCAPE_SET
    else:  # torch was imported after this module (not in the worker): looked up now
        import torch

        torch_dir, escapes = os.path.dirname(torch.__file__) + os.sep, _escapes()
    seen, active = [], [True]

    def profile(frame, event, arg):
        if not active[0] or seen:
            return
        try:
            if event == "call" and frame.f_code.co_filename.startswith(torch_dir):
                seen.append(f"torch's {frame.f_code.co_name}")
            elif event == "c_call":
                owner = getattr(arg, "__self__", None)
                module = getattr(arg, "__module__", None) or getattr(owner, "__name__", "") or ""
                if arg in escapes:  # C functions compare by identity (their own __eq__)
                    seen.append(getattr(arg, "__name__", "a process or thread escape"))
                elif str(module).startswith("torch") or type(owner).__module__.startswith("torch"):
                    seen.append(f"torch's {getattr(arg, '__name__', arg)}")
        except Exception:
            seen.append("something the profiler could not inspect")

    previous = _getprofile()  # an outer guard's profiler (a checked call inside a guarded session)
    _setprofile(profile)
    try:
        yield
    finally:
        active[0] = False
        _setprofile(previous)
    if seen:
        raise ForbiddenOperation(f"torch is not allowed here (used {seen[0]})")


def _no_torch_class():
    from torch.overrides import TorchFunctionMode

    class NoTorch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", str(func))
            raise ForbiddenOperation(f"torch is not allowed here (called torch's {name})")

    return NoTorch


def _no_torch_mode():
    return (_NO_TORCH or _no_torch_class())()


# Found once, at import: the worker imports torch first, and every request of a test that asked for
# the guard enters it (building them per call cost about 20 µs a request). Bound before any student
# code runs, so a cell cannot change what the guard compares with (torch.__file__, _thread's
# functions); integrity watches these names like the rest of this module.
if "torch" in sys.modules:
    _TORCH_DIR = os.path.dirname(sys.modules["torch"].__file__) + os.sep
    _ESCAPE_SET = _escapes()
    _NO_TORCH = _no_torch_class()
else:
    _TORCH_DIR = _ESCAPE_SET = _NO_TORCH = None
