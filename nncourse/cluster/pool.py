"""The driver's side of a Dask cluster: a slot pool whose tasks carry notebooks' bytes.

``grade_batch`` drives it like the local process pool (``concurrent.futures`` futures, the same
``wait(FIRST_COMPLETED)`` loop), so journal, resume, reports and the gradebook stay in the driver.
A worker that dies mid-task costs time only: the scheduler runs the task again elsewhere (up to
``distributed.scheduler.allowed-failures`` times, then it is a "grader error" the next run retries).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nncourse.cluster.address import TlsFiles, check_cluster, scheduler_address, security
from nncourse.cluster.task import grade_submission, request
from nncourse.config import GradingLimits
from nncourse.grading.batch import Submission
from nncourse.grading.slots import SlotPool, SlotsLost

CONNECT_SECONDS = 60  # for the scheduler to answer and a first worker to join


class ClusterUnavailable(RuntimeError):
    """The scheduler cannot be reached, or no worker joined it in time."""


# where a connection closed under a callback is logged, with a traceback (a lost scheduler)
CLOSED_CONNECTION_LOGGERS = ("tornado.application", "asyncio")


def quiet_closed_connections() -> None:
    """Keep those loggers quiet for the rest of the process (a CLI stopping: they log at exit)."""
    for name in CLOSED_CONNECTION_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextlib.contextmanager
def _dask_logs_off() -> Iterator[None]:
    """Dask's own log lines off for the block (restored after; Dask sets some loggers' levels).

    tornado's and asyncio's loggers too (CLOSED_CONNECTION_LOGGERS).
    """
    names = ("distributed", "distributed.client", *CLOSED_CONNECTION_LOGGERS)
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)


@dataclass
class _ClusterPool:
    client: object  # distributed.Client
    executor: object  # its ClientExecutor
    batch: str
    address: str = ""
    _threads: int = 0
    _asked: float = float("-inf")

    def submit(self, submission: Submission) -> Future:
        # the notebook travels as bytes; the result comes back as JSON text, parsed here
        parsed: Future = Future()
        try:
            notebook = submission.notebook.read_bytes()
        except OSError as exc:  # gone or unreadable since the batch was planned: this student's
            parsed.set_exception(exc)
            return parsed
        future = self.executor.submit(
            grade_submission,
            self.batch,
            submission.student,
            submission.notebook.name,
            notebook,
            submission.note,
        )

        def parse(done: Future) -> None:
            if done.cancelled():  # by the client when the scheduler is gone (or by our shutdown)
                parsed.set_exception(
                    SlotsLost(
                        f"the Dask scheduler {self.address} was lost (or cancelled the task of "
                        f"{submission.student})"
                    )
                )
                return
            try:
                parsed.set_result(json.loads(done.result()))
            except BaseException as exc:  # noqa: BLE001 - handed to the batch as this student's error
                parsed.set_exception(exc)

        future.add_done_callback(parse)
        return parsed

    def window(self) -> int:
        # two per worker thread: workers that join later get work, the other bytes wait here;
        # the scheduler is asked at most every 2 s, not once per result
        now = time.monotonic()
        if now - self._asked > 2:
            self._threads, self._asked = sum(self.client.nthreads().values()), now
        return max(4, 2 * self._threads)


@dataclass(frozen=True)
class Cluster:
    """A Dask scheduler (address or scheduler file) and this client's TLS files."""

    scheduler: str
    tls: TlsFiles | None = None

    @property
    def address(self) -> str:
        return scheduler_address(self.scheduler)

    def check(self, *, insecure: bool) -> None:
        """Raises ClusterRefused for an unsafe address or incomplete TLS (before connecting)."""
        check_cluster(self.address, tls=self.tls, insecure=insecure)

    @contextmanager
    def slots(
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
    ) -> Iterator[SlotPool]:
        """A pool on the cluster's workers (``secret`` stays here: workers read their own)."""
        from distributed import Client

        self.check(insecure=insecure)
        batch = request(
            assignment=assignment,
            fingerprint=fingerprint,
            limits=limits,
            insecure=insecure,
            cohort=cohort,
        )
        try:
            client = Client(self.address, security=security(self.tls), timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailable(f"cannot reach the scheduler {self.address}: {exc}") from None
        closing = contextlib.ExitStack()
        with closing, client:  # the client closes first, then ``closing`` restores Dask's logs
            try:
                client.wait_for_workers(1, timeout=CONNECT_SECONDS)
            except TimeoutError:
                raise ClusterUnavailable(
                    f"no worker joined {self.address} in {CONNECT_SECONDS} s: start some with "
                    f"`nncourse worker {self.scheduler}`"
                ) from None
            executor = client.get_executor(pure=False)
            try:
                yield _ClusterPool(client, executor, batch, self.address)
            except BaseException as exc:
                if isinstance(exc, SlotsLost):  # Dask logs its given-up reconnect as a traceback
                    closing.enter_context(_dask_logs_off())
                with contextlib.suppress(Exception):  # the client may be closed already
                    executor.shutdown(wait=False)  # cancels what is still queued
                raise
            executor.shutdown(wait=True)
