"""Where submissions are graded: slot processes, each holding one sandbox slot and its Grader.

``--jobs N`` runs N spawned processes on this machine (:func:`local_slots`); a Dask cluster's worker
processes run the same two functions (:mod:`nncourse.cluster.task`). Either way a result comes back
as ``results.json``'s plain data, never a pickled object.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nncourse.config import GradingLimits
from nncourse.grading.entry import open_grader
from nncourse.grading.results import SubmissionResult

if TYPE_CHECKING:
    from nncourse.grading.batch import Submission

_SLOT: dict = {}  # per slot process: its Grader and what releases it (set once)


def init_slot(
    root: str,
    assignment: str,
    secret: bytes,
    limits: GradingLimits,
    insecure: bool,
    cohort: str | None = None,
    key: object = None,
) -> None:
    """Lock a sandbox slot and start its Grader for the rest of this process (or until closed).

    ``cohort``: the cohort graded (a notebook released to another one gets a note); ``key``: what
    the slot was opened for (:func:`slot_assignment` returns it).
    """
    import atexit

    from nncourse.layout import CourseLayout

    _SLOT["stack"] = stack = ExitStack()  # the slot's lock and sandbox last as long as this process
    _SLOT["grader"] = stack.enter_context(
        open_grader(
            CourseLayout(Path(root)),
            assignment,
            secret=secret,
            limits=limits,
            insecure=insecure,
            cohort=cohort,
        )
    )
    _SLOT["key"] = key
    atexit.register(stack.close)


def grade_in_slot(student: str, notebook: str, note: str) -> dict:
    """Grade one notebook on this process's slot; ``results.json``'s data (``note`` added)."""
    result = _SLOT["grader"].grade(Path(notebook), student=student)
    if note:
        result = SubmissionResult.from_json({**result.to_json(), "notes": [note, *result.notes]})
    return result.to_json()


def slot_assignment() -> object:
    """What this process's slot was opened for (None: no slot yet)."""
    return _SLOT.get("key")


def close_slot() -> None:
    """Release this process's slot and Grader (a cluster worker moving on to another batch)."""
    _SLOT.pop("grader", None)
    _SLOT.pop("key", None)
    stack = _SLOT.pop("stack", None)
    if stack is not None:
        stack.close()


class SlotsLost(RuntimeError):
    """The pool itself is gone (a cluster's scheduler lost): the batch stops, recording nothing
    more; what was recorded is kept and the next run grades the rest."""


class SlotPool(Protocol):
    """Where submissions are graded: each ``submit`` returns a future of ``results.json``'s data
    (or of :class:`SlotsLost`; any other exception is that one student's grader error)."""

    def submit(self, submission: Submission) -> Future: ...

    def window(self) -> int:
        """How many submissions to keep in flight (the rest wait on the driver)."""
        ...


class SlotPoolFactory(Protocol):
    def __call__(
        self,
        *,
        root: Path,
        assignment: str,
        secret: bytes,
        limits: GradingLimits,
        insecure: bool,
        jobs: int,
        fingerprint: str,
        cohort: str | None = None,
    ) -> AbstractContextManager[SlotPool]: ...


@dataclass
class _LocalPool:
    pool: ProcessPoolExecutor
    jobs: int

    def submit(self, submission: Submission) -> Future:
        return self.pool.submit(
            grade_in_slot, submission.student, str(submission.notebook), submission.note
        )

    def window(self) -> int:
        return 1 << 30  # paths only: submit everything at once


@contextmanager
def local_slots(
    *,
    root: Path,
    assignment: str,
    secret: bytes,
    limits: GradingLimits,
    insecure: bool,
    jobs: int,
    fingerprint: str = "",
    cohort: str | None = None,
) -> Iterator[SlotPool]:
    """``--jobs N``: N spawned processes on this machine, each holding one sandbox slot."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=init_slot,
        initargs=(str(root), assignment, secret, limits, insecure, cohort),
    ) as pool:
        try:
            yield _LocalPool(pool, jobs)
        # e.g. OUT is full: stop at once instead of grading the rest for nothing
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
