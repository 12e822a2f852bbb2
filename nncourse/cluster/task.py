"""What a Dask worker process runs for one submission: the notebook's bytes in, JSON text out.

The worker grades with its own course checkout (``NNCOURSE_COURSE``, set by ``nncourse worker``)
and its own copy of the course secret (``NNCOURSE_SECRET`` or the secret file), on a sandbox slot
it holds for as long as the batch's assignment stays the same. Before the first submission it
checks that its grading fingerprint (hidden tests, reference, rubric, secret, engine, limits) is
the driver's: a worker with another checkout or secret would grade differently, so it refuses.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from nncourse.cluster.address import is_loopback
from nncourse.config import GradingLimits
from nncourse.grading import slots

COURSE_ENV = "NNCOURSE_COURSE"


class WorkerMismatch(RuntimeError):
    """This worker's course checkout or secret differs from the driver's."""


def request(
    *,
    assignment: str,
    fingerprint: str,
    limits: GradingLimits,
    insecure: bool,
    cohort: str | None = None,
) -> str:
    """The batch's part of every task, as JSON text."""
    return json.dumps(
        {
            "assignment": assignment,
            "fingerprint": fingerprint,
            "limits": asdict(limits),
            "insecure": insecure,
            "cohort": cohort,
        },
        sort_keys=True,
    )


def _open_slot(batch: str) -> None:
    from nncourse.grading.digest import grading_fingerprint
    from nncourse.layout import CourseLayout
    from nncourse.sandbox.launcher import check_sandbox
    from nncourse.secret import load_secret

    wanted = json.loads(batch)
    if COURSE_ENV not in os.environ:
        raise WorkerMismatch(f"{COURSE_ENV} is not set: start workers with `nncourse worker`")
    layout = CourseLayout(Path(os.environ[COURSE_ENV]))
    assignment = layout.check_assignment(wanted["assignment"])
    secret = load_secret(layout.secret_file)
    limits = GradingLimits(**wanted["limits"])
    mine = grading_fingerprint(layout, assignment, secret=secret, limits=limits)
    if mine != wanted["fingerprint"]:
        raise WorkerMismatch(
            f"the worker's course checkout {layout.root} grades {assignment} differently from the "
            "driver (hidden tests, reference, rubric, course secret or engine version differ): "
            "update its checkout and secret, then restart it"
        )
    if wanted["insecure"]:
        from distributed import get_worker

        if not is_loopback(get_worker().scheduler.address):
            raise WorkerMismatch("--insecure is refused with a remote cluster")
    else:
        check_sandbox(layout.venv)
    slots.close_slot()
    slots.init_slot(
        str(layout.root),
        assignment,
        secret,
        limits,
        wanted["insecure"],
        cohort=wanted.get("cohort"),
        key=batch,
    )


def grade_submission(batch: str, student: str, name: str, notebook: bytes, note: str) -> str:
    """Grade one notebook (its file name and bytes); ``results.json``'s data as JSON text.

    Raises:
        WorkerMismatch: this worker would not grade as the driver does.
    """
    if slots.slot_assignment() != batch:
        _open_slot(batch)
    with tempfile.TemporaryDirectory(prefix="nncourse-task-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(notebook)
        return json.dumps(slots.grade_in_slot(student, str(path), note))
