"""`make bench`'s cluster line: the same cohort through a two-worker Dask cluster on this machine
versus ``nncourse grade --jobs 2``; the overhead is the ratio of their wall times (target <= 1.15).

The scheduler and workers start once before the timed runs (on a real cluster they are long-lived);
each timed run still pays its own CLI start-up, connection and the workers' slot start for the
assignment, as ``--jobs 2`` pays its start-up and slot start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the session this module started (pid = leader)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@contextmanager
def local_cluster(layout, env: dict, *, workers: int = 2) -> Iterator[Path]:
    """A scheduler on 127.0.0.1 and ``workers`` single-process `nncourse worker`s; its file."""
    from distributed import Client

    folder = Path(tempfile.mkdtemp(prefix="nncourse-bench-cluster-"))
    scheduler_file = folder / "scheduler.json"
    started: list[subprocess.Popen] = []

    def start(argv: list[str], cwd: Path, log: str) -> None:
        with open(folder / log, "wb") as sink:
            started.append(
                subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            )

    try:
        start(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0"]
            + ["--no-dashboard", "--scheduler-file", str(scheduler_file)],
            folder,
            "scheduler.log",
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        nncourse = str(layout.venv / "bin" / "nncourse")
        for n in range(workers):
            start([nncourse, "worker", str(scheduler_file)], layout.root, f"worker{n}.log")
        with Client(scheduler_file=str(scheduler_file), timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)
        yield scheduler_file
    finally:
        for process in reversed(started):
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def compare(
    layout, assignments: list[str], submitted: Path, work: Path, env: dict, local: dict, grade
) -> float:
    """Grade every assignment through the cluster; print per-assignment and total walls and the
    ratio to the local runs (``local[assignment]["wall"]``). ``grade``: scripts/bench.py's
    grade_ours. Returns the ratio."""
    walls: dict[str, float] = {}
    with local_cluster(layout, env) as scheduler_file:
        for assignment in assignments:
            run = grade(
                layout,
                assignment,
                submitted,
                work / "cluster" / assignment,
                work / "cluster" / "gradebook.db",
                2,
                env,
                options=("--cluster", str(scheduler_file)),
            )
            walls[assignment] = run["wall"]
            same = all(
                json.dumps(r["tests"], sort_keys=True)
                == json.dumps(local[assignment]["results"][s]["tests"], sort_keys=True)
                for s, r in run["results"].items()
            ) and set(run["results"]) == set(local[assignment]["results"])
            print(
                f"  {assignment:<22} cluster {run['wall']:6.1f} s vs --jobs 2 "
                f"{local[assignment]['wall']:6.1f} s; "
                + ("same rubric lines" if same else "RESULTS DIFFER from --jobs 2"),
                flush=True,
            )
    ratio = sum(walls.values()) / sum(local[a]["wall"] for a in assignments)
    print(
        f"  cluster_overhead={ratio:.2f} (two-worker cluster on 127.0.0.1 vs --jobs 2, "
        "target <= 1.15)",
        flush=True,
    )
    return ratio
