"""Where a call is stuck, and stand-ins for what hung in an earlier test (the grader's
``nncourse/grading/hangs.py`` keeps the list).

``Watchdog``: a thread of the test's process that, shortly before a request's time limit, names
the notebook function or method the main thread is stuck in: the innermost frame of code from a cell
that was already running at 40 % of the limit and still is at 70 % (the same frame object, so a
function called afresh many times by a looping caller is not blamed, the caller is). Its report goes
on the session's channel ahead of the reply; the grader reads it only if the reply comes too late.

``disable``: replaces the named functions and methods (code from a cell only) by stand-ins that
raise ``NotCalledAgain`` with the grader's message, so callers inside the notebook fail at once too.

Bound at import, before any student code runs (``integrity`` puts this module back after every
cell).
"""

import _thread
import sys
import time
from types import FunctionType

_current_frames, _monotonic, _get_ident = sys._current_frames, time.monotonic, _thread.get_ident
# the low-level thread: threading.Thread.start waits until the new thread runs (a scheduling delay
# at the first request of every test, under load)
_start_thread, _Lock, _sleep = _thread.start_new_thread, _thread.allocate_lock, time.sleep
SAMPLE, REPORT = 0.4, 0.7  # fractions of the limit: first look; second look and report
POLL = 0.1  # seconds between the watchdog's looks at the running request


class NotCalledAgain(RuntimeError):
    """Raised instead of running a function or method that hung in an earlier test."""


class Watchdog:
    """``begin(limit)`` before a request runs, ``end()`` before its reply is sent; ``send(message)``
    writes a report on the channel (only between the two, under the lock ``end`` takes).

    The thread is never woken by ``begin`` or ``end``: it looks every ``POLL`` seconds and sleeps
    until the sample times of the request it sees, so a request costs the main thread two plain
    assignments (waking the thread at both cost about 0.3 ms per request: 0.1 s per notebook of 02).
    """

    def __init__(self, send):
        self._send = send
        self._lock = _Lock()
        self._request = None  # (number, started, limit) of the running request
        self._count = 0
        self._main = _get_ident()
        self._thread = None

    def begin(self, limit) -> None:
        if not isinstance(limit, (int, float)) or not 0 < limit < 1e6:
            return
        if self._thread is False:
            return
        if self._thread is None:
            try:
                self._thread = _start_thread(self._run, ())
            except Exception:  # noqa: BLE001 - no thread (process limit): the call itself is blamed
                self._thread = False  # not tried again in this session
                return
        self._count += 1
        self._request = (self._count, _monotonic(), float(limit))

    def end(self) -> None:
        with self._lock:  # a report being sent goes out whole, before the reply
            self._request = None

    def _running(self, number: int, until: float) -> bool:
        """Sleep until ``until``; whether request ``number`` is still running then."""
        while True:
            request = self._request
            if request is None or request[0] != number:
                return False
            left = until - _monotonic()
            if left <= 0:
                return True
            _sleep(min(left, POLL))

    def _run(self) -> None:
        while True:
            request = self._request
            if request is None:
                _sleep(POLL)
                continue
            number, started, limit = request
            if not self._running(number, started + SAMPLE * limit):
                continue
            earlier = self._cell_frames()
            if self._running(number, started + REPORT * limit):
                name = stuck_in(earlier, self._cell_frames())
                earlier = None  # the student's frames are not kept alive
                with self._lock:
                    current = self._request
                    if name is not None and current is not None and current[0] == number:
                        try:
                            self._send({"hang": {"name": name}})
                        except Exception:  # noqa: BLE001 - the grader then blames the call itself
                            pass
                self._running(number, float("inf"))  # one look (and one report) per request
            earlier = None

    def _cell_frames(self) -> list:
        """The main thread's frames of code from the notebook's cells, innermost first."""
        frame, frames = _current_frames().get(self._main), []
        while frame is not None:
            if frame.f_code.co_filename.startswith("<cell"):
                frames.append(frame)
            frame = frame.f_back
        return frames


def stuck_in(earlier: list, later: list) -> str | None:
    """The qualified name of the innermost frame present in both looks that names a function or
    method reachable from the notebook's globals (not a lambda, comprehension or local function)."""
    for frame in later:
        if any(frame is other for other in earlier):
            name = frame.f_code.co_qualname
            if "<" not in name:
                return name
    return None


def disable(namespace: dict, marks: list) -> None:
    """Replace each marked function (``"f"``) or method (``"Class.m"``) by a raising stand-in."""
    for mark in marks:
        name, message = str(mark.get("name", "")), str(mark.get("message", ""))
        head, *path = name.split(".")
        stand_in = _stand_in(message)
        if not path:
            target = namespace.get(head)
            if _from_cell(target):
                for key, value in list(namespace.items()):
                    if value is target:  # aliases too
                        namespace[key] = stand_in
            continue
        owner = namespace.get(head)
        for part in path[:-1]:
            owner = vars(owner).get(part) if _is_class(owner) else None
        if not _is_class(owner):
            continue
        for klass in type.__dict__["__mro__"].__get__(owner):
            value = vars(klass).get(path[-1])
            if value is not None:
                if _from_cell(value):
                    type.__setattr__(klass, path[-1], _like(value, stand_in))
                break


def _stand_in(message: str):
    def not_called_again(*args, **kwargs):
        raise NotCalledAgain(message)

    return not_called_again


def _is_class(value) -> bool:
    return issubclass(type(value), type)  # never asks the object itself (no student code runs)


def _function_of(value):
    if type(value) in (staticmethod, classmethod):
        return value.__func__
    if type(value) is property:
        return value.fget
    return value


def _from_cell(value) -> bool:
    function = _function_of(value)
    return type(function) is FunctionType and function.__code__.co_filename.startswith("<cell")


def _like(value, stand_in):
    if type(value) is property:
        return property(stand_in)
    if type(value) in (staticmethod, classmethod):
        return type(value)(stand_in)
    return stand_in
