"""What hung in a submission: functions and methods that later tests do not call again.

A call into the student's code that does not return within ``call_seconds`` is ended by the
grader. Shortly before that, the worker names the notebook function or method the call was stuck in
(the innermost one that was running at 40 % of the limit and still is at 70 %,
``sandbox/worker/hangs.py``); without that report, the called function itself is blamed. From then
on, within the same submission:

* a test that calls it directly fails at once, without reaching the worker;
* every new test process replaces it by a stand-in that raises at once, so code that calls it
  (``gradient_descent`` calling a looping ``mse_gradient``) fails at once too;
* tests that do not need it run normally.

The same holds for a call that took the whole worker down with it (``os.kill(-1, 9)``): the
worker is restarted for the other tests, but that call is not made again. A crash of one test's own
process (a segmentation fault, ``os._exit``) is not recorded: it costs no time, and it may depend on
the input. The log lives in the grading plugin, one per submission, so it outlives worker restarts;
the first hang happens at the same test every time, so regrades agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nncourse.sandbox.client import WorkerDied

NOT_CALLED_AGAIN = "NotCalledAgain"  # the exception type the worker's stand-ins raise
_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class NotCalledAgain(WorkerDied):
    """A call not made (or failed at once in the worker) because what it runs hung earlier; like a
    timeout, not a StudentError, so no test adds a hint about the student's code to it."""


@dataclass(frozen=True)
class Hang:
    """A function or method of the notebook (``"mse_gradient"``, ``"Trainer.fit"``) that hung."""

    name: str
    what: str  # "did not return within 20 s"
    test: str  # the rubric line where it happened first, e.g. "3.1"

    def message(self) -> str:
        return f"{self.name} {self.what} (first seen in test {self.test}); not called again"


class HangLog:
    """The hangs of one submission, in the order they happened."""

    def __init__(self) -> None:
        self._hangs: dict[str, Hang] = {}

    def record(self, name: str, what: str, test: str) -> Hang:
        """Note that ``name`` hung in ``test`` (the first record of a name wins)."""
        return self._hangs.setdefault(name, Hang(name=name, what=what, test=test))

    def get(self, name: str | None) -> Hang | None:
        return self._hangs.get(name) if name else None

    def for_worker(self) -> list[dict]:
        """What a new test process replaces: ``[{"name", "message"}]``."""
        return [{"name": h.name, "message": h.message()} for h in self._hangs.values()]

    def __bool__(self) -> bool:
        return bool(self._hangs)


def valid_name(name: object) -> str | None:
    """A dotted Python name as reported by the worker (untrusted), or None."""
    if isinstance(name, str) and len(name) <= 200 and _NAME.fullmatch(name):
        return name
    return None
