"""Spies on torch inside the worker: backward() and optimizer calls, forward calls of a module."""

import sys

from guard import ForbiddenOperation
from registry import Recorder, instrument


@instrument(
    "count_backward",
    relies_on=("torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad"),
)
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


# torch's optimizers; each one's step() is made to pass through torch's step hooks.
_OPTIMIZERS = (
    "Adafactor",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "ASGD",
    "LBFGS",
    "Muon",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "SparseAdam",
)


@instrument(
    "forbid_optimizers",
    relies_on=(
        "torch.optim.Optimizer",
        "torch.optim.Optimizer.__init__",
        "torch.optim.Optimizer.step",
        "torch.optim.Optimizer.zero_grad",
        "torch.optim.Optimizer.profile_hook_step",
        "torch.optim.optimizer.register_optimizer_step_pre_hook",
        "torch.optim.optimizer._global_optimizer_pre_hooks",
        *(f"torch.optim.{name}.step" for name in _OPTIMIZERS),
    ),
)
def instrument_forbid_optimizers():
    """torch.optim is refused: building an optimizer, and any step() of one however it was built
    (in an earlier cell, or with an ``__init__`` captured before the ban): a global step pre-hook
    that raises, watched by the integrity check like the rest."""
    import torch

    def refuse(*args, **kwargs):
        raise ForbiddenOperation("torch.optim is not allowed here: update the parameters by hand")

    optimizer_module = sys.modules["torch.optim.optimizer"]
    torch.optim.Optimizer.__init__ = refuse
    optimizer_module.register_optimizer_step_pre_hook(refuse)
    _hook_optimizer_steps(torch)


def _hook_optimizer_steps(torch) -> None:
    """Make every optimizer class's step() pass through torch's step hooks now.

    torch does this for a class when its first instance is built; done for all of them before the
    integrity baseline is taken, building an Adam during a test changes nothing that is watched,
    and an optimizer built any other way still meets the global step pre-hook of the ban.
    """
    classes, seen = [torch.optim.Optimizer], set()
    while classes:
        cls = classes.pop()
        seen.add(cls)
        classes += [c for c in cls.__subclasses__() if c not in seen]
        step = vars(cls).get("step")
        if (
            cls is not torch.optim.Optimizer
            and step is not None
            and not getattr(step, "hooked", False)
        ):
            cls.step = torch.optim.Optimizer.profile_hook_step(step)
            cls.step.hooked = True


if "torch" in sys.modules:  # imported by the job before any student code runs (and the baseline)
    _hook_optimizer_steps(sys.modules["torch"])


@instrument(
    "spy_forward",
    calls_student=True,
    relies_on=(
        "torch.is_grad_enabled",
        "torch.is_inference_mode_enabled",
        "torch.no_grad",
        "torch.nn.Module.__call__",
        "torch.nn.Module._call_impl",
        "torch.nn.Module.train",
        "torch.nn.Module.eval",
        "torch.Tensor.detach",
        "torch.Tensor.cpu",
        "torch.Tensor.numpy",
    ),
)
def instrument_spy_forward(module):
    """Record batch size, train/eval mode, grad mode and a digest of the input of every forward
    call of ``module`` (the digest tells batches apart, e.g. whether epochs are shuffled anew)."""
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
        recorder.records.append(
            {
                "batch": batch,
                "training": bool(module.training),
                "grad_enabled": bool(torch.is_grad_enabled()),
                "inference_mode": bool(torch.is_inference_mode_enabled()),
                "input": digest(first),
            }
        )
        return original(*args, **kwargs)

    module.forward = spied
    return recorder


@instrument(
    "count_optimizer_steps",
    relies_on=(
        "torch.optim.optimizer.register_optimizer_step_post_hook",
        "torch.optim.optimizer._global_optimizer_post_hooks",
        "torch.optim.Optimizer.step",
    ),
)
def instrument_count_optimizer_steps():
    """Count ``step()`` calls of every torch optimizer (a global step post-hook); read ``count``."""
    from torch.optim.optimizer import register_optimizer_step_post_hook

    recorder = Recorder()

    def counted(optimizer, args, kwargs):
        recorder.count += 1

    register_optimizer_step_post_hook(counted)
    return recorder
