"""Instrumentation that hidden tests need inside the worker (never expected values).

Each ``instrument_<name>`` is reachable from a test as ``student.instrument("<name>", ...)``.
Recorders come back to the grader as handles whose attributes (plain lists and numbers) can be read.
"""

import contextlib
import sys
import tempfile


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
    escapes = {sys.setprofile, sys.settrace, os.fork, os.system}  # C functions: seen as "c_call" events
    for module, names in (("_thread", ("start_new_thread", "start_joinable_thread")),
                          ("_posixsubprocess", ("fork_exec",)), ("posix", ("posix_spawn", "posix_spawnp"))):
        escapes.update(f for f in (getattr(sys.modules.get(module), n, None) for n in names) if f is not None)
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


class Recorder:
    """A list of records plus counters, read back by the grader as plain data."""

    def __init__(self):
        self.records = []
        self.count = 0


def instrument_seed(seed):
    from session import seed_everything

    seed_everything(int(seed))


def instrument_tempdir():
    return tempfile.mkdtemp(prefix="nncourse-")


def instrument_count_backward():
    """Count calls of ``Tensor.backward`` and ``torch.autograd.backward``."""
    import torch

    recorder = Recorder()
    original_method, original_function = torch.Tensor.backward, torch.autograd.backward

    def counted_method(self, *args, **kwargs):
        recorder.count += 1
        return original_method(self, *args, **kwargs)

    def counted_function(*args, **kwargs):
        recorder.count += 1
        return original_function(*args, **kwargs)

    torch.Tensor.backward = counted_method
    torch.autograd.backward = counted_function
    return recorder


def instrument_forbid_optimizers():
    import torch

    def refuse(self, *args, **kwargs):
        raise ForbiddenOperation("torch.optim is not allowed here: update the parameters by hand")

    torch.optim.Optimizer.__init__ = refuse


def instrument_spy_forward(module):
    """Record batch size, train/eval mode, grad mode and a digest of the input of every forward call of
    ``module`` (the digest tells batches apart, e.g. whether epochs are shuffled anew)."""
    import hashlib

    import numpy as np
    import torch

    recorder = Recorder()
    original = module.forward

    def digest(value):
        try:
            if hasattr(value, "detach"):
                value = value.detach().cpu().numpy()
            return hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=8).hexdigest()
        except Exception:
            return None

    def spied(*args, **kwargs):
        first = args[0] if args else None
        batch = int(first.shape[0]) if hasattr(first, "shape") and len(first.shape) else None
        recorder.records.append({"batch": batch, "training": bool(module.training),
                                 "grad_enabled": bool(torch.is_grad_enabled()),
                                 "inference_mode": bool(torch.is_inference_mode_enabled()),
                                 "input": digest(first)})
        return original(*args, **kwargs)

    module.forward = spied
    return recorder


def _summary(value):
    """Plain-data summary of a logged value (scalars as floats, arrays by shape/dtype/stats)."""
    import numpy as np

    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.asarray(value)
        if array.size == 1:
            return {"value": float(array.reshape(-1)[0]), "shape": list(array.shape)}
        numeric = array.astype(np.float64)
        return {"shape": list(array.shape), "dtype": str(array.dtype), "mean": float(numeric.mean()),
                "std": float(numeric.std()), "min": float(numeric.min()), "max": float(numeric.max()),
                "sum": float(numeric.sum())}
    except Exception as exc:
        return {"error": type(exc).__name__}


def instrument_record_writer():
    """Record every SummaryWriter add_*/flush/close call (tag, step, summary) while still writing."""
    from torch.utils.tensorboard import SummaryWriter

    recorder = Recorder()
    for method in ("add_scalar", "add_scalars", "add_histogram", "add_image", "add_figure", "flush", "close"):
        original = getattr(SummaryWriter, method)

        def recorded(self, *args, _method=method, _original=original, **kwargs):
            entry = {"method": _method}
            if args or "tag" in kwargs or "main_tag" in kwargs:
                entry["tag"] = kwargs.get("tag", kwargs.get("main_tag", args[0] if args else None))
            if _method.startswith("add_"):
                names = ("scalar_value", "tag_scalar_dict", "values", "img_tensor", "figure")
                payload = next((kwargs[n] for n in names if n in kwargs), args[1] if len(args) > 1 else None)
                step = kwargs.get("global_step", args[2] if len(args) > 2 else None)
                entry["step"] = None if step is None else int(step)
                entry["dataformats"] = kwargs.get("dataformats", args[4] if _method == "add_image" and len(args) > 4 else "CHW")
                if isinstance(payload, dict):
                    entry["value"] = {k: _summary(v) for k, v in payload.items()}
                elif _method != "add_figure":
                    entry["value"] = _summary(payload)
            recorder.records.append(entry)
            return _original(self, *args, **kwargs)

        setattr(SummaryWriter, method, recorded)
    return recorder


def instrument_read_events(logdir):
    """Read TensorBoard event files back: scalars, histogram steps and image sizes by tag."""
    from tensorboard.backend.event_processing import event_accumulator as ea

    accumulator = ea.EventAccumulator(str(logdir), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    return {
        "scalars": {t: [[e.step, float(e.value)] for e in accumulator.Scalars(t)] for t in tags.get("scalars", [])},
        "histograms": {t: [[e.step, float(e.histogram_value.num), float(e.histogram_value.sum)]
                           for e in accumulator.Histograms(t)] for t in tags.get("histograms", [])},
        "images": {t: [[e.step, e.height, e.width] for e in accumulator.Images(t)] for t in tags.get("images", [])},
    }


# ------------------------------------------------------------------------------------------------
# Checked calls and stand-in layers (02-backpropagation; usable by any numpy-only item).

def instrument_checked_call(function, *args):
    """Call ``function(*args)`` under the no-torch guard; report the warnings it emitted (numpy's
    overflow/invalid/divide included, underflow ignored) and which array arguments it changed in place.

    Returns ``{"value": result, "warnings": [str, ...], "changed": [bool per argument]}``.
    """
    import warnings

    import numpy as np

    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"), guard({"no_torch": True}):
            value = function(*args)
    changed = [b is not None and not (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))
               for a, b in zip(args, before)]
    messages = [f"{w.category.__name__}: {w.message}"[:200] for w in caught[:20]]
    return {"value": value, "warnings": messages, "changed": changed}


class _StandinLayer:
    """A layer-shaped affine map that records its calls on a shared tape (to test a container on its own).

    ``forward`` is ``x @ forward_map + shift`` and ``backward`` is ``grad @ backward_map``, where
    ``backward_map`` is unrelated to ``forward_map``: it shows how a container wires its layers without
    being the backward rule of any real layer (the student's process must not hold an answer key).
    """

    def __init__(self, tape, index, forward_map, shift, backward_map):
        self.tape, self.index = tape, index
        self.forward_map, self.shift, self.backward_map = forward_map, shift, backward_map

    def forward(self, x):
        import numpy as np

        self.tape.records.append(["forward", self.index])
        return np.array(x, dtype=np.float64) @ self.forward_map + self.shift

    def backward(self, grad_out):
        import numpy as np

        self.tape.records.append(["backward", self.index])
        return np.array(grad_out, dtype=np.float64) @ self.backward_map


def instrument_standin_layers(specs):
    """Stand-in layers from ``specs``: ``[forward_map (n_in, n_out), shift (n_out,), backward_map (n_out, n_in)]``.

    Returns a recorder whose ``layers`` are the layer objects and whose ``records`` list every
    ``["forward" | "backward", layer index]`` call in order.
    """
    import numpy as np

    tape = Recorder()
    tape.layers = [_StandinLayer(tape, i, *(np.array(a, dtype=np.float64) for a in spec)) for i, spec in enumerate(specs)]
    return tape


# ------------------------------------------------------------------------------------------------
# Calls that may use torch (01-gradient-descent: params0 must not be modified, numpy or torch).

def instrument_call_watching_inputs(function, *args):
    """Call ``function(*args)`` without any guard; report which arguments (numpy arrays or torch
    tensors) it changed in place, e.g. through ``torch.as_tensor(params0)`` sharing its memory.

    Returns ``{"value": result, "changed": [bool per argument]}``.
    """
    import numpy as np

    def snapshot(value):
        if isinstance(value, np.ndarray):
            return np.array(value, copy=True)
        if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
            return np.array(value.detach().cpu().numpy(), copy=True)
        return None

    def same(now, before):
        if not isinstance(now, np.ndarray):
            now = now.detach().cpu().numpy()
        return now.shape == before.shape and np.array_equal(now, before, equal_nan=True)

    before = [snapshot(a) for a in args]
    value = function(*args)
    changed = [b is not None and not same(a, b) for a, b in zip(args, before)]
    return {"value": value, "changed": changed}


class SequenceInit(Recorder):
    """A weight initializer ``init(fan_in, fan_out)`` that hands out given matrices in order.

    ``records`` lists every call as ``[[args...], {kwargs}]``; ``count`` counts them.
    """

    def __init__(self, matrices):
        super().__init__()
        self.matrices = list(matrices)

    def __call__(self, *args, **kwargs):
        def plain(value):
            try:
                return int(value) if int(value) == value else float(value)
            except (TypeError, ValueError, OverflowError):
                return type(value).__name__

        self.records.append([[plain(a) for a in args], {str(k): plain(v) for k, v in kwargs.items()}])
        self.count += 1
        if self.count > len(self.matrices):
            raise RuntimeError("init was called more often than the network has layers (once per layer)")
        return self.matrices[self.count - 1].copy()


def instrument_sequence_init(matrices):
    """A grader-controlled, deterministic ``init`` callable (05-weight-init ``activation_stats``)."""
    return SequenceInit(matrices)


# ------------------------------------------------------------------------------------------------
# Optimizer steps (03-spiral Trainer: one step per mini-batch).

def instrument_count_optimizer_steps():
    """Count ``step()`` calls of every torch optimizer (a global step post-hook); read ``count``."""
    from torch.optim.optimizer import register_optimizer_step_post_hook

    recorder = Recorder()

    def counted(optimizer, args, kwargs):
        recorder.count += 1

    register_optimizer_step_post_hook(counted)
    return recorder
