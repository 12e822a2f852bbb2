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
        yield


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
    """Record batch size, train/eval mode and grad mode of every forward call of ``module``."""
    import torch

    recorder = Recorder()
    original = module.forward

    def spied(*args, **kwargs):
        first = args[0] if args else None
        batch = int(first.shape[0]) if hasattr(first, "shape") and len(first.shape) else None
        recorder.records.append({"batch": batch, "training": bool(module.training),
                                 "grad_enabled": bool(torch.is_grad_enabled()),
                                 "inference_mode": bool(torch.is_inference_mode_enabled())})
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
