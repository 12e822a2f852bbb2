"""The one list of instruments: each declares itself with ``@instrument``; the rest reads it.

An instrument is a helper a hidden test runs inside the worker (``student.instrument(name, ...)``).
Its declaration says three things that used to be kept in three lists by hand:

* its ``name``, by which the session dispatches a request to it;
* whether it ``calls_student`` code (reads or calls the student's objects): such a request is
  checked for tampering like a call; any other instrument only installs hooks, which become the
  new integrity baseline;
* which torch attributes it ``relies_on`` (dotted paths, e.g. ``"torch.Tensor.backward"``): the
  integrity check puts them back when the student's code replaces them (a dict among them, such as
  torch's global optimizer hooks, is watched by its contents too).

Parts of the worker that are no instrument but rely on torch attributes (the no-torch guard, the
wire's tensor encoding) declare them with :func:`rely_on`. Both tables are watched by
``integrity``: a cell that adds, removes or replaces an entry is undone and named.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Instrument(NamedTuple):
    """One registered instrument (a tuple: its fields cannot be changed in place)."""

    name: str
    function: Callable
    calls_student: bool
    relies_on: tuple[str, ...]


INSTRUMENTS: dict[str, Instrument] = {}
RELIANCES: dict[
    str, tuple[str, ...]
] = {}  # a part of the worker that is no instrument -> torch paths


def instrument(name: str, *, calls_student: bool = False, relies_on: tuple[str, ...] = ()):
    """Register the decorated function as the instrument ``name``.

    Args:
        name: what a hidden test passes to ``student.instrument``.
        calls_student: whether it reads or calls the student's objects (checked like a call).
        relies_on: dotted paths of the torch attributes it uses or replaces.
    """

    def register(function: Callable) -> Callable:
        if name in INSTRUMENTS:
            raise ValueError(f"instrument {name!r} is declared twice")
        INSTRUMENTS[name] = Instrument(name, function, bool(calls_student), tuple(relies_on))
        return function

    return register


def rely_on(part: str, *paths: str) -> None:
    """Declare torch attributes that a part of the worker other than an instrument relies on."""
    RELIANCES[part] = tuple(paths)


def lookup(name: str) -> Instrument:
    """The instrument called ``name``; LookupError when there is none."""
    entry = INSTRUMENTS.get(name) if isinstance(name, str) else None
    if entry is None:
        raise LookupError(f"unknown instrument {str(name)[:80]!r}")
    return entry


def calls_student(name: str) -> bool:
    """Whether the instrument ``name`` runs the student's code (False for an unknown name)."""
    entry = INSTRUMENTS.get(name) if isinstance(name, str) else None
    return entry is not None and entry.calls_student


def torch_attributes() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every declared torch attribute as ``(owner path, attribute names)``, owners in order."""
    grouped: dict[str, list[str]] = {}
    declared = [p for entry in INSTRUMENTS.values() for p in entry.relies_on]
    for path in declared + [p for paths in RELIANCES.values() for p in paths]:
        owner, _, attribute = path.rpartition(".")
        names = grouped.setdefault(owner, [])
        if attribute not in names:
            names.append(attribute)
    return tuple((owner, tuple(names)) for owner, names in grouped.items())


def modules() -> tuple[str, ...]:
    """The worker modules that define instruments (integrity watches their code)."""
    return tuple(dict.fromkeys(entry.function.__module__ for entry in INSTRUMENTS.values()))


class Recorder:
    """What many instruments return: a list of records plus a counter, read back as plain data."""

    def __init__(self):
        self.records = []
        self.count = 0
