"""The guards a hidden test can put around a call into the student's code (today: no torch).

``guard(spec)`` wraps one call; ``{"no_torch": True}`` makes any torch operation raise
``ForbiddenOperation``, seen twice over: a torch-function mode and a profiler.
"""

import contextlib
import sys

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


class ForbiddenOperation(RuntimeError):
    """Raised inside the worker when the code under test uses something the item forbids."""


@contextlib.contextmanager
def guard(spec):
    """Run a call under the guards named in ``spec`` (a dict or None)."""
    spec = spec or {}
    with contextlib.ExitStack() as stack:
        if spec.get("no_torch") and "torch" in sys.modules:
            stack.enter_context(_no_torch_mode())
            stack.enter_context(_torch_watch())
        yield


@contextlib.contextmanager
def _torch_watch():
    """A second, independent no-torch check: a profiler that sees every call while the code runs.

    The TorchFunctionMode above can be stepped out of from inside the call (popping the mode, a
    thread, a child process); the profiler sees those moves and any torch function, Python or C.
    """
    import os

    import torch

    torch_dir = os.path.dirname(torch.__file__) + os.sep
    escapes = {
        sys.setprofile,
        sys.settrace,
        os.fork,
        os.system,
    }  # C functions: seen as "c_call" events
    for module, names in (
        ("_thread", ("start_new_thread", "start_joinable_thread")),
        ("_posixsubprocess", ("fork_exec",)),
        ("posix", ("posix_spawn", "posix_spawnp")),
    ):
        escapes.update(
            f for f in (getattr(sys.modules.get(module), n, None) for n in names) if f is not None
        )
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
                if any(arg is f for f in escapes):
                    seen.append(getattr(arg, "__name__", "a process or thread escape"))
                elif str(module).startswith("torch") or type(owner).__module__.startswith("torch"):
                    seen.append(f"torch's {getattr(arg, '__name__', arg)}")
        except Exception:
            seen.append("something the profiler could not inspect")

    sys.setprofile(profile)
    try:
        yield
    finally:
        active[0] = False
        sys.setprofile(None)
    if seen:
        raise ForbiddenOperation(f"torch is not allowed here (used {seen[0]})")


def _no_torch_mode():
    from torch.overrides import TorchFunctionMode

    class NoTorch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", str(func))
            raise ForbiddenOperation(f"torch is not allowed here (called torch's {name})")

    return NoTorch()
