"""pytest plugin that runs the hidden tests of one submission against its sandboxed worker.

Provides the fixtures ``student`` (see :mod:`nncourse.grading.student`), ``seed``, ``rng``,
``reference_solution`` and ``shared`` (results several rubric lines check, computed once per
submission), the ``points`` marker, and turns every test's outcome into a rubric line whose
message is feedback for the student: explicit assertion messages only (pytest runs with
``--assert=plain``), never tracebacks, hidden inputs or expected values.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from nncourse.config import GradingLimits
from nncourse.grading.hangs import HangLog
from nncourse.grading.student import Student, StudentError
from nncourse.grading.visibility import VISIBILITIES
from nncourse.sandbox.client import WorkerDied


def pytest_arguments(target: str, autograders: Path, *, test_seconds: float) -> list[str]:
    """pytest's command line for the hidden tests at ``target`` (a folder or one test file).

    Plain assertions (the message is the feedback), no cache or random order, the course's
    ``autograders/pytest.ini`` and nothing from the TA's own configuration (``addopts=``).
    """
    return [
        target,
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--assert=plain",
        "--import-mode=importlib",
        "-o",
        "addopts=",
        "--rootdir",
        str(autograders),
        "-c",
        str(autograders / "pytest.ini"),
        f"--timeout={test_seconds:g}",
        "-W",
        "ignore",
    ]


@dataclass
class TestOutcome:
    nodeid: str
    item: str
    name: str
    number: str
    points: float
    visibility: str
    passed: bool = False
    message: str = "not run"


@dataclass(eq=False)
class GradingPlugin:
    """One submission's test run.

    Args:
        open_session: starts a fresh worker session (called lazily, once per test).
        reference: the reference solution module.
        secret: course secret for seeds; with ``sha256`` it makes regrades reproducible.
        sha256: hash of the submitted notebook.
        call_seconds: per-call timeout.
        deadline: monotonic time after which remaining tests fail without running.
        item_order: the graded items in the notebook's order; rubric lines are numbered and
            reported in it (the tests still run in pytest's order).
        reply_budget_bytes: data one test may receive from the student's code in all.
        hangs: what hung so far in this submission (``grading/hangs.py``): not called again.
    """

    open_session: Callable
    reference: object
    secret: bytes
    sha256: str
    call_seconds: float
    deadline: float
    item_order: tuple[str, ...] = ()
    reply_budget_bytes: int = GradingLimits.reply_budget_bytes
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    shared_results: dict[str, tuple[bool, object]] = field(default_factory=dict)
    hangs: HangLog = field(default_factory=HangLog)
    methods: set[tuple[str, str]] = field(default_factory=set)  # see Student's ``methods``

    def seed_for(self, nodeid: str) -> int:
        digest = hmac.new(self.secret, f"{self.sha256}:{nodeid}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF

    # ------------------------------------------------------------------------------------ fixtures
    @pytest.fixture
    def student(self, request):
        seed = self.seed_for(request.node.nodeid)
        outcome = self.outcomes.get(request.node.nodeid)
        client = Student(
            lambda: self.open_session(seed),
            call_seconds=self.call_seconds,
            budget_bytes=self.reply_budget_bytes,
            hangs=self.hangs,
            test=outcome.number if outcome else "?",
            methods=self.methods,
        )
        yield client
        client.close()

    @pytest.fixture
    def seed(self, request) -> int:
        return self.seed_for(request.node.nodeid + ":grader")

    @pytest.fixture
    def rng(self, seed) -> np.random.Generator:
        return np.random.default_rng(seed)

    @pytest.fixture
    def reference_solution(self):
        return self.reference

    @pytest.fixture
    def shared(self) -> Callable:
        """``shared(key, compute)``: ``compute(rng)`` the first time a test of this submission asks for
        ``key``, its result (or the exception it raised) for every later test.

        For one run of the student's code that several rubric lines check (each still one test); the
        result must be plain data, since the session it came from has ended. ``rng`` is seeded by
        ``key`` and the submission, not by the test, so the result does not depend on which test asked.
        """

        def get(key: str, compute: Callable):
            if key not in self.shared_results:
                rng = np.random.default_rng(self.seed_for(f"shared:{key}"))
                try:
                    self.shared_results[key] = (True, compute(rng))
                except Exception as exc:  # noqa: BLE001 - every test that checks this result fails alike
                    self.shared_results[key] = (False, exc)
            ok, value = self.shared_results[key]
            if not ok:
                raise value.with_traceback(None)
            return value

        return get

    # --------------------------------------------------------------------------------------- hooks
    def pytest_configure(self, config) -> None:
        config.addinivalue_line("markers", "points(n): points of this rubric line")
        config.addinivalue_line(
            "markers",
            "visibility(stage): when students see this line "
            "(visible, hidden, after_due_date, after_published)",
        )

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {str(report.longrepr)[-500:]}")

    def pytest_collection_modifyitems(self, items) -> None:
        files: dict[str, int] = {}
        counts: dict[str, int] = {}
        rank = {item: position for position, item in enumerate(self.item_order)}
        for item in sorted(
            items, key=lambda i: rank.get(Path(str(i.path)).stem.removeprefix("test_"), len(rank))
        ):
            path = Path(str(item.path))
            file_number = files.setdefault(path.name, len(files) + 1)
            counts[path.name] = counts.get(path.name, 0) + 1
            markers = list(item.iter_markers("points"))
            if len(markers) != 1:
                self.collection_errors.append(
                    f"{item.nodeid}: needs exactly one @pytest.mark.points(n)"
                )
                continue
            marker = item.get_closest_marker("visibility")
            visibility = marker.args[0] if marker and marker.args else "visible"
            if visibility not in VISIBILITIES:
                self.collection_errors.append(
                    f"{item.nodeid}: @pytest.mark.visibility must be one of "
                    f"{', '.join(VISIBILITIES)}, not {visibility!r}"
                )
                continue
            self.outcomes[item.nodeid] = TestOutcome(
                nodeid=item.nodeid,
                item=path.stem.removeprefix("test_"),
                name=_title(item),
                number=f"{file_number}.{counts[path.name]}",
                points=float(markers[0].args[0]),
                visibility=visibility,
            )

    def pytest_runtest_setup(self, item) -> None:
        if time.monotonic() > self.deadline:
            pytest.fail("not run: the time budget for this submission was used up by earlier tests")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        entry = self.outcomes.get(item.nodeid)
        if entry is None or report.when == "teardown":
            return
        if report.when == "setup" and report.passed:
            return
        entry.passed = report.passed
        entry.message = "" if report.passed else feedback_message(call.excinfo, entry.item)


def _title(item) -> str:
    """The rubric line's name: the item plus the test docstring's first line."""
    item_name = Path(str(item.path)).stem.removeprefix("test_")
    doc = (getattr(item.function, "__doc__", None) or "").strip().splitlines()
    text = doc[0].strip() if doc else item.name.removeprefix("test_").replace("_", " ")
    return f"{item_name}: {text}"


def feedback_message(excinfo, item: str) -> str:
    """Student-facing text for a failed test; never a traceback."""
    if excinfo is None:
        return "failed"
    exc = excinfo.value
    if isinstance(exc, StudentError):
        return exc.describe()
    if isinstance(exc, WorkerDied):
        return str(exc)
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip()[:2000]  # may quote the student's value
        return text or f"{item}: wrong result"
    if excinfo.typename == "Failed":  # pytest.fail(), pytest-timeout
        text = str(exc)
        if "Timeout" in text:
            return f"{item}: this check took too long (your code may be very slow or stuck)"
        return text[:500]
    if excinfo.typename == "Skipped":
        return str(exc)[:500]
    text = re.sub(r"\s+", " ", str(exc))[:200]
    return f"{item}: the result could not be checked ({type(exc).__name__}: {text})"
