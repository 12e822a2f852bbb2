"""``nncourse worker SCHEDULER``: this node's grading worker, a Dask worker started for the course.

Each of its ``--nworkers`` processes runs one task at a time (``--nthreads 1``) and holds one
sandbox slot (:mod:`nncourse.cluster.task`); Dask's nanny restarts a process that dies. The
command replaces itself with ``python -m dask worker`` (same pid: stop it with SIGTERM).
"""

from __future__ import annotations

import os
import sys

from nncourse.cluster.address import TlsFiles, check_cluster, is_loopback, scheduler_address
from nncourse.cluster.task import COURSE_ENV
from nncourse.layout import CourseLayout


def worker_command(
    scheduler: str, *, layout: CourseLayout, nworkers: int = 1, tls: TlsFiles | None = None
) -> tuple[list[str], dict[str, str]]:
    """The ``dask worker`` command line and environment for this node.

    Raises:
        ClusterRefused: the scheduler is remote without tls:// and certificates.
    """
    address = scheduler_address(scheduler)
    check_cluster(address, tls=tls)
    argv = [sys.executable, "-m", "dask", "worker"]
    argv += ["--scheduler-file", scheduler] if address != scheduler else [address]
    argv += [
        "--nworkers",
        str(nworkers),
        "--nthreads",
        "1",
        "--no-dashboard",
        # the sandbox bounds each submission's memory; the nanny must not restart a grader for it
        "--memory-limit",
        "0",
    ]
    if is_loopback(address):
        argv += ["--host", "127.0.0.1"]  # a cluster on this machine listens on loopback only
    if tls is not None:
        argv += ["--tls-ca-file", str(tls.ca), "--tls-cert", str(tls.cert)]
        argv += ["--tls-key", str(tls.key), "--protocol", "tls"]
    return argv, {**os.environ, COURSE_ENV: str(layout.root)}


def run_worker(
    scheduler: str, *, layout: CourseLayout, nworkers: int = 1, tls: TlsFiles | None = None
) -> None:
    """Become this node's grading worker (never returns)."""
    argv, env = worker_command(scheduler, layout=layout, nworkers=nworkers, tls=tls)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
