"""Keep the worker's own code and the torch hooks its instruments rely on as they were, and say who changed them.

The student's code runs in the same process as the worker's protocol and instruments, so a notebook can
replace ``instruments.guard`` (``sys.modules["instruments"]``), give a recorder's class a lying
property, or put back ``torch.optim.Optimizer.__init__`` while the optimizer ban is on. A ``Baseline``
is taken before anything of the student runs; ``restore()`` puts back every watched attribute, function
body, default and closure cell that differs and returns their names. The worker calls it after each
cell (the notebook's changes are undone and noted) and after each call into the student's code during
a test (the test fails: the call ran with the grader's tools changed). Expected values never live in
this process, so what this protects is the spies (no torch, no optimizer, backward() used, inputs
unchanged, eval mode, what was logged), not the comparison of numbers.

It is a tripwire for Python-level changes, not a wall: code that edits memory through ``ctypes`` can
get past it, which is why the grader also flags such notebooks for a TA's review (``job.py``).
"""

import sys
import types

# The worker's own modules: every name in them, every class's attributes, every function's code.
OWN_MODULES = ("instruments", "session", "wire", "integrity", "slot", "forks", "hangs", "__main__")
# Attributes the instruments use by name at call time (module or class path, attribute names).
TORCH_ATTRIBUTES = (
    ("torch", ("is_grad_enabled", "is_inference_mode_enabled", "no_grad", "from_numpy", "Tensor")),
    ("torch.Tensor", ("backward", "detach", "numpy", "cpu", "__torch_function__")),
    ("torch.autograd", ("backward", "grad")),
    ("torch.optim", ("Optimizer",)),
    ("torch.optim.Optimizer", ("__init__", "step", "zero_grad")),
    ("torch.optim.optimizer", ("register_optimizer_step_post_hook", "_global_optimizer_post_hooks")),
    ("torch.overrides", ("TorchFunctionMode", "_push_mode", "_pop_mode", "_pop_mode_temporarily")),
    ("torch.overrides.TorchFunctionMode", ("__enter__", "__exit__", "__init__", "push")),
    ("torch._C", ("_push_on_torch_function_stack", "_pop_torch_function_stack", "_len_torch_function_stack",
                  "_get_function_stack_at", "_is_torch_function_mode_enabled")),
    ("torch.nn.Module", ("__call__", "_call_impl", "train", "eval")),
    ("torch.utils.tensorboard.SummaryWriter", ("__init__", "add_scalar", "add_scalars", "add_histogram", "add_image",
                                               "add_images", "add_figure", "flush", "close")),
)
# Mutable containers whose contents the instruments rely on (global optimizer hooks).
TORCH_CONTAINERS = (("torch.optim.optimizer", "_global_optimizer_post_hooks"),)
_MISSING = object()


def _resolve(path: str):
    """The module or class at a dotted path, or None (torch or tensorboard not imported)."""
    head, *rest = path.split(".")
    node = sys.modules.get(head)
    for part in rest:
        try:
            node = getattr(node, part, None) if node is not None else None
        except Exception:  # a lazy module attribute that fails to import
            return None
    return node


class Baseline:
    """What the watched names, functions and containers were when the baseline was taken."""

    def __init__(self):
        self.modules = {name: sys.modules.get(name) for name in OWN_MODULES}
        self.namespaces = []  # (label, owner, saved attributes, whether names it did not have are removed)
        self.functions = []  # (label, function, code, defaults, kwdefaults, closure contents)
        for name, module in self.modules.items():
            if module is None:
                continue
            self._watch(name, module, dict(vars(module)), exact=True)
            for key, value in list(vars(module).items()):
                if isinstance(value, type) and value.__module__ == module.__name__:
                    self._watch(f"{name}.{key}", value, dict(vars(value)), exact=True)
        for path, names in TORCH_ATTRIBUTES:
            owner = _resolve(path)
            if owner is not None:
                self._watch(path, owner, {n: vars(owner).get(n, _MISSING) for n in names}, exact=False)
        self.containers = []
        for path, name in TORCH_CONTAINERS:
            owner = _resolve(path)
            container = getattr(owner, name, None) if owner is not None else None
            if isinstance(container, dict):
                self.containers.append((f"{path}.{name}", container, dict(container)))

    def _watch(self, label, owner, saved, *, exact):
        self.namespaces.append((label, owner, saved, exact))
        for key, value in saved.items():
            function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if isinstance(function, types.FunctionType):
                closure = tuple(_cell(c) for c in function.__closure__ or ())
                self.functions.append((f"{label}.{key}", function, function.__code__, function.__defaults__,
                                       function.__kwdefaults__, closure))

    def restore(self) -> list:
        """Put back everything that differs from the baseline; return what was changed (names)."""
        changed = []
        for name, module in self.modules.items():
            if module is not None and sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules['{name}']")
        for label, owner, saved, exact in self.namespaces:
            current = vars(owner)
            for key, value in saved.items():
                if current.get(key, _MISSING) is not value:
                    changed.append(f"{label}.{key}")
                    _put(owner, key, value)
            if exact:
                for key in [k for k in current if k not in saved]:
                    changed.append(f"{label}.{key}")
                    _put(owner, key, _MISSING)
        for label, function, code, defaults, kwdefaults, closure in self.functions:
            if function.__code__ is not code or function.__defaults__ is not defaults \
                    or function.__kwdefaults__ is not kwdefaults:
                changed.append(f"{label} (its code)")
                function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
            for cell, value in zip(function.__closure__ or (), closure):
                if _cell(cell) is not value:
                    changed.append(f"{label} (its closure)")
                    cell.cell_contents = value
        for label, container, saved in self.containers:
            if container.keys() != saved.keys() or any(container[k] is not v for k, v in saved.items()):
                changed.append(label)
                container.clear()
                container.update(saved)
        return changed


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _MISSING


def _put(owner, key, value) -> None:
    """Set (or, for _MISSING, delete) an attribute of a module or class."""
    try:
        if value is _MISSING:
            delattr(owner, key)
        else:
            setattr(owner, key, value)
    except (AttributeError, TypeError):
        pass
