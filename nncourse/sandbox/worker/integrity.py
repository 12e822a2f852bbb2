"""Keep the worker's own code and the torch hooks its instruments rely on as they were; say who changed them.

The student's code runs in the same process as the worker's protocol and instruments, so a notebook can
replace ``guard.guard`` (``sys.modules["guard"]``), swap an instrument in ``registry.INSTRUMENTS``, give a
recorder's class a lying property, or put back ``torch.optim.Optimizer.__init__`` while the optimizer ban
is on. What is watched comes from the registry: the modules that define instruments and the torch
attributes each instrument (or the guard, or the wire) declares it relies on. A ``Baseline``
is taken before anything of the student runs; ``restore()`` puts back every watched attribute, function
body, default and closure cell that differs and returns their names. The worker calls it after each
cell (the notebook's changes are undone and noted) and after each call into the student's code during
a test (the test fails: the call ran with the grader's tools changed). Expected values never live in
this process, so what this protects is the spies (no torch, no optimizer, backward() used, inputs
unchanged, eval mode, what was logged), not the comparison of numbers.

It is a tripwire for Python-level changes, not a wall: code that edits memory through ``ctypes`` can
get past it, which is why the grader flags such notebooks for a TA's review (``grading/review.py``).
"""

import sys
import types

import registry

# The worker's own modules: every name in them, every class's attributes, every function's code (and
# the modules that define instruments, read from the registry when a baseline is taken).
OWN_MODULES = (
    "registry",
    "guard",
    "instruments",
    "session",
    "wire",
    "integrity",
    "slot",
    "forks",
    "hangs",
    "__main__",
)
# The registry's tables, watched by their contents: a cell cannot add, drop or swap an instrument.
REGISTRY_TABLES = ("INSTRUMENTS", "RELIANCES")
_MISSING = object()


_OWNERS: dict = {}  # dotted path -> module or class, as first found (before any student code ran)


def _resolve(path: str):
    """The module or class at a dotted path, or None (torch or tensorboard not imported)."""
    if path not in _OWNERS:
        found = _find(path)
        if found is not None:
            _OWNERS[path] = found
    return _OWNERS.get(path)


def _find(path: str):
    if path in sys.modules:  # a submodule its package does not expose (torch.optim.optimizer)
        return sys.modules[path]
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
        own = OWN_MODULES + tuple(m for m in registry.modules() if m not in OWN_MODULES)
        self.modules = {name: sys.modules.get(name) for name in own}
        self.namespaces = []  # (label, owner, saved attributes, whether names it did not have are removed)
        self.functions = []  # (label, function, code, defaults, kwdefaults, closure contents)
        for name, module in self.modules.items():
            if module is None:
                continue
            self._watch(name, module, dict(vars(module)), exact=True)
            for key, value in list(vars(module).items()):
                if isinstance(value, type) and value.__module__ == module.__name__:
                    self._watch(f"{name}.{key}", value, dict(vars(value)), exact=True)
        self.containers = [
            (f"registry.{name}", table, dict(table))
            for name, table in ((n, getattr(registry, n)) for n in REGISTRY_TABLES)
        ]
        for path, names in registry.torch_attributes():
            owner = _resolve(path)
            if owner is None:
                continue
            saved = {n: vars(owner).get(n, _MISSING) for n in names}
            self._watch(path, owner, saved, exact=False)
            # a dict the instruments rely on (torch's global optimizer hooks) is watched by its contents
            self.containers += [
                (f"{path}.{n}", value, dict(value))
                for n, value in saved.items()
                if isinstance(value, dict)
            ]
        self.containers.append(("integrity._OWNERS", _OWNERS, dict(_OWNERS)))

    def _watch(self, label, owner, saved, *, exact):
        self.namespaces.append((label, owner, saved, exact))
        for key, value in saved.items():
            function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if isinstance(function, types.FunctionType):
                closure = tuple(_cell(c) for c in function.__closure__ or ())
                self.functions.append(
                    (
                        f"{label}.{key}",
                        function,
                        function.__code__,
                        function.__defaults__,
                        function.__kwdefaults__,
                        closure,
                    )
                )

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
            if (
                function.__code__ is not code
                or function.__defaults__ is not defaults
                or function.__kwdefaults__ is not kwdefaults
            ):
                changed.append(f"{label} (its code)")
                function.__code__, function.__defaults__, function.__kwdefaults__ = (
                    code,
                    defaults,
                    kwdefaults,
                )
            for cell, value in zip(function.__closure__ or (), closure):
                if _cell(cell) is not value:
                    changed.append(f"{label} (its closure)")
                    cell.cell_contents = value
        for label, container, saved in self.containers:
            if container.keys() != saved.keys() or any(
                container[k] is not v for k, v in saved.items()
            ):
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
