"""Batch faults: the `nncourse grade` CLI killed with SIGKILL at random points, a torn journal record,
a full output disk. After a rerun every student must be recorded exactly once (journal, grades.csv,
gradebook) with the same scores as a run without faults.

The CLI runs as a subprocess in its own process group; only that group is ever killed. Its
sandboxes (bubblewrap, started in sessions of their own) die with their parent (--die-with-parent).
"""

from __future__ import annotations

import csv
import glob
import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from hostile.build import toy_cells
from hostile.cases import CORRECT, FORK_BOMB_FN, PATCH_NUMPY, WRONG
from hostile.harness import REPO, make_course
from hostile.watch import ProcessWatch
from nncourse.config import FIRST_SLOT_UID
from nncourse.grading.batch import JOURNAL

NNCOURSE = REPO / ".venv" / "bin" / "nncourse"

# ~10 submissions: correct, wrong, stub, hostile but quick, broken; mixed so kills land everywhere
COHORT = {
    "s01-correct": {"body": CORRECT},
    "s02-wrong": {"body": "    return x + 2\n"},
    "s03-stub": {"body": "    raise NotImplementedError()\n"},
    "s04-correct": {"body": CORRECT},
    "s05-os-exit-top": {"cells": ("import os\nos._exit(0)\n",)},
    "s06-patch-numpy": {"cells": (PATCH_NUMPY,), "body": WRONG},
    "s07-segfault": {"body": "    import ctypes\n    return ctypes.string_at(0)\n"},
    "s08-kill-all-top": {"cells": ("import os, signal\nos.kill(-1, signal.SIGKILL)\n",)},
    "s09-malformed": {"raw": b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = 1"'},
    "s10-correct": {"body": CORRECT},
}
# a function that never returns would make every run take call_seconds (20 s by default): kept out
assert FORK_BOMB_FN


def write_cohort(submitted: Path) -> list[str]:
    for student, spec in COHORT.items():
        folder = submitted / student / "01-toy"
        folder.mkdir(parents=True, exist_ok=True)
        if "raw" in spec:
            (folder / "toy.ipynb").write_bytes(spec["raw"])
        else:
            data = toy_cells(body=spec.get("body"), cells=spec.get("cells", ()))
            (folder / "toy.ipynb").write_text(json.dumps(data), encoding="utf-8")
    return sorted(COHORT)


@dataclass
class Cohort:
    """A toy course copy and a submitted folder, shared by the scenarios."""

    root: Path
    submitted: Path
    students: list[str]

    @classmethod
    def create(cls, workdir: Path) -> Cohort:
        layout = make_course(workdir, os.urandom(6).hex())
        submitted = workdir / "submitted"
        return cls(root=layout.root, submitted=submitted, students=write_cohort(submitted))


@dataclass
class Run:
    returncode: int | None  # None: killed by us
    seconds: float
    stdout: str
    stderr: str
    uids: set[int] = field(default_factory=set)
    watch: ProcessWatch | None = None


def _journal_lines(out: Path) -> int:
    try:
        return (out / JOURNAL).read_bytes().count(b"\n")
    except OSError:
        return 0


def run_cli(
    cohort: Cohort,
    out: Path,
    db_url: str,
    *,
    kill_after: float | None = None,
    kill_after_record: float | None = None,
    timeout: float = 300,
) -> Run:
    """`nncourse grade` in its own process group.

    Args:
        kill_after: SIGKILL the group this many seconds after the start.
        kill_after_record: SIGKILL it this many seconds after the next journal record is written.
    """
    env = {k: v for k, v in os.environ.items() if k != "NNCOURSE_SECRET"}
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    command = [
        str(NNCOURSE),
        "grade",
        str(cohort.submitted),
        "-a",
        "01-toy",
        "-o",
        str(out),
        "-j",
        "2",
        "--db",
        db_url,
    ]
    started = time.monotonic()
    lines, trigger = _journal_lines(out), None
    if kill_after is not None:
        trigger = started + kill_after
    killed = False
    logs = out.parent / f"{out.name}-logs"
    logs.mkdir(exist_ok=True)
    number = len(list(logs.glob("*.stderr"))) + 1
    with (
        open(logs / f"{number}.stdout", "w+") as stdout,
        open(logs / f"{number}.stderr", "w+") as stderr,
    ):
        process = subprocess.Popen(
            command,
            cwd=cohort.root,
            env=env,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        with ProcessWatch(root_pid=process.pid) as watch:
            while process.poll() is None:
                now = time.monotonic()
                if (
                    trigger is None
                    and kill_after_record is not None
                    and _journal_lines(out) > lines
                ):
                    trigger = now + kill_after_record
                if (trigger is not None and now >= trigger) or now > started + timeout:
                    # the CLI's own group: it and its pool workers
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
                    killed = True
                    break
                time.sleep(0.02)
        if killed and now > started + timeout:
            raise TimeoutError(f"nncourse grade did not finish within {timeout:g} s")
        stdout.seek(0)
        stderr.seek(0)
        return Run(
            returncode=None if killed else process.returncode,
            seconds=time.monotonic() - started,
            stdout=stdout.read(),
            stderr=stderr.read(),
            uids=set(watch.uids),
            watch=watch,
        )


# ----------------------------------------------------------------------------------- recorded state
def journal_records(out: Path) -> tuple[dict[str, list[dict]], int]:
    """Complete records per student, and the number of unparsable (torn) lines."""
    records: dict[str, list[dict]] = {}
    torn = 0
    path = out / JOURNAL
    if not path.is_file():
        return records, 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            records.setdefault(record["student"], []).append(record)
        except (ValueError, KeyError, TypeError):
            torn += 1
    return records, torn


def recorded_scores(out: Path, db_url: str) -> dict[str, dict]:
    """What each of the three records says: journal (latest), grades.csv and the gradebook."""
    from nncourse.grading.gradebook import open_gradebook

    records, _ = journal_records(out)
    journal = {
        s: (r[-1]["score"], tuple(t["status"] for t in r[-1]["result"]["tests"]))
        for s, r in records.items()
    }
    rows: dict[str, list[float]] = {}
    if (out / "grades.csv").is_file():
        for row in csv.DictReader((out / "grades.csv").read_text().splitlines()):
            rows.setdefault(row["student"], []).append(float(row["score"]))
    book: dict[str, list[float]] = {}
    with open_gradebook(db_url, course_id="toy") as gradebook:
        for submission in gradebook.assignment_submissions("01-toy"):
            book.setdefault(submission.student.id, []).append(float(submission.score))
    return {"journal": journal, "csv": rows, "gradebook": book}


def check_recorded(
    out: Path, db_url: str, students: list[str], reference: dict[str, tuple]
) -> list[str]:
    """Every student exactly once in journal, grades.csv and gradebook, with the reference scores."""
    problems = []
    records, _ = journal_records(out)
    for student in students:
        final = [r for r in records.get(student, []) if not _grader_error(r)]
        if len(final) != 1:
            problems.append(
                f"journal: {student} has {len(final)} complete records that are not grader errors "
                "(expected exactly 1)"
            )
        elif records[student][-1] is not final[0]:
            problems.append(
                f"journal: {student}'s latest record is a grader error after a real result"
            )
    extra = set(records) - set(students)
    if extra:
        problems.append(f"journal: unknown students {sorted(extra)}")
    state = recorded_scores(out, db_url)
    for student in students:
        expected_score, expected_tests = reference[student]
        got = state["journal"].get(student)
        if got != (expected_score, expected_tests):
            problems.append(
                f"journal: {student} is {got}, the run without faults gave {reference[student]}"
            )
        rows = state["csv"].get(student, [])
        if rows != [expected_score]:
            problems.append(f"grades.csv: {student} rows {rows}, expected [{expected_score:g}]")
        book = state["gradebook"].get(student, [])
        if book != [expected_score]:
            problems.append(
                f"gradebook: {student} submissions scored {book}, expected one with {expected_score:g}"
            )
    if set(state["csv"]) - set(students):
        problems.append(f"grades.csv: unknown students {sorted(set(state['csv']) - set(students))}")
    return problems


def _grader_error(record: dict) -> bool:
    return str(record.get("result", {}).get("error") or "").startswith("grader error")


def reference_scores(out: Path) -> dict[str, tuple]:
    records, _ = journal_records(out)
    return {
        s: (r[-1]["score"], tuple(t["status"] for t in r[-1]["result"]["tests"]))
        for s, r in records.items()
    }


def _slot_dirs(slots: set[int] | None = None) -> set[str]:
    """Slot folders in /tmp (of the given slot numbers only: others may be graders running next to us)."""
    found = set(glob.glob("/tmp/nncourse-slot*-*"))
    if slots is None:
        return found
    return {
        d
        for d in found
        if d.split("nncourse-slot", 1)[1].split("-", 1)[0] in {str(s) for s in slots}
    }


def _wait_no_processes(run: Run, timeout: float = 5.0) -> list[int]:
    """Processes the run's watch saw (its sandboxes') still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.watch.alive():
            return []
        time.sleep(0.1)
    return run.watch.alive()


# ----------------------------------------------------------------------------------------- scenarios
@dataclass
class FaultOutcome:
    name: str
    faults: int  # faults injected
    violations: list[str]
    details: list[str] = field(default_factory=list)

    @property
    def survived(self) -> int:
        return 0 if self.violations else self.faults


def reference_run(cohort: Cohort, workdir: Path) -> tuple[dict[str, tuple], Run]:
    out, db = workdir / "reference", f"sqlite:///{workdir / 'reference.db'}"
    run = run_cli(cohort, out, db)
    if run.returncode != 0:
        raise RuntimeError(
            f"the run without faults failed ({run.returncode}): {run.stderr[-2000:]}"
        )
    reference = reference_scores(out)
    problems = check_recorded(out, db, cohort.students, reference)
    if problems or sorted(reference) != cohort.students:
        raise RuntimeError(f"the run without faults is itself inconsistent: {problems}")
    return reference, run


def scenario_sigkill(
    cohort: Cohort, workdir: Path, reference: dict[str, tuple], *, kills: int = 5, seed: int = 5
) -> FaultOutcome:
    """SIGKILL the grader ``kills`` times at random points, a torn record after the second, then finish.

    Kills alternate between a random moment of start-up (slots importing torch, the gradebook being
    opened) and a random moment shortly after a journal record (other submissions mid-run in their
    sandboxes, results being written).
    """
    rng = random.Random(seed)
    out, db = workdir / "killed", f"sqlite:///{workdir / 'killed.db'}"
    outcome = FaultOutcome("sigkill", faults=0, violations=[])
    before_dirs, stale_dirs, interrupted = _slot_dirs(), set(), 0
    for number in range(1, kills + 1):
        done, _ = journal_records(out)
        if set(done) >= set(cohort.students):  # nothing left for a kill to interrupt
            outcome.details.append(f"every student recorded before kill {number}: no more kills")
            break
        if number % 2:
            delay = rng.uniform(0.5, 6.0)
            run, when = run_cli(cohort, out, db, kill_after=delay), f"{delay:.1f} s after the start"
        else:
            delay = rng.uniform(0.0, 0.3)  # grading 10 toy submissions on 2 slots takes ~2 s
            run, when = (
                run_cli(cohort, out, db, kill_after_record=delay),
                f"{delay:.2f} s after a record",
            )
        records, _ = journal_records(out)
        if run.returncode is not None:
            outcome.violations.append(
                f"kill {number} never landed: the run ended first (exit {run.returncode})"
            )
            break
        outcome.faults += 1
        recorded = sum(len(r) for r in records.values())
        interrupted += recorded < len(cohort.students)
        outcome.details.append(f"kill {number} {when}: {recorded} student(s) recorded")
        stale_dirs |= _slot_dirs({uid - FIRST_SLOT_UID for uid in run.uids}) - before_dirs
        left = _wait_no_processes(run)
        if left:
            outcome.violations.append(
                f"after kill {number}: its sandbox processes still alive {left}"
            )
        if number == 2:  # a torn last record: half a JSON line, no newline
            with open(out / JOURNAL, "a", encoding="utf-8") as handle:
                handle.write('{"student": "s01-correct", "sha256": "0000", "sc')
            outcome.faults += 1
            outcome.details.append("torn half record appended to the journal")
    if interrupted < 2:
        outcome.violations.append(
            f"only {interrupted} kill(s) landed before every student was graded (wanted 2+)"
        )
    final = run_cli(cohort, out, db)
    if final.returncode != 0:
        outcome.violations.append(
            f"the rerun after the kills failed ({final.returncode}): {final.stderr[-1000:]}"
        )
    outcome.details.append(f"rerun to completion took {final.seconds:.1f} s")
    outcome.violations += check_recorded(out, db, cohort.students, reference)
    records, torn = journal_records(out)
    retried = sorted(s for s, r in records.items() if any(_grader_error(x) for x in r))
    if retried:
        outcome.details.append(
            f"grader errors recorded by killed runs, regraded by the rerun: {retried}"
        )
    if torn > 1:
        outcome.violations.append(
            f"journal has {torn} unparsable lines (only the injected torn one may remain)"
        )
    left = _wait_no_processes(final)
    if left:
        outcome.violations.append(f"after the rerun: its sandbox processes still alive {left}")
    remaining = sorted(d for d in stale_dirs if os.path.exists(d))
    if remaining:
        outcome.violations.append(
            f"slot folders of killed runs (holding students' code) left in /tmp: {remaining}"
        )
    return outcome


def scenario_full_disk(
    cohort: Cohort, workdir: Path, reference: dict[str, tuple], *, size: str = "256k"
) -> FaultOutcome:
    """OUT on a tiny tmpfs filled to the brim: the grader must fail loudly; after freeing space a
    rerun completes with every student exactly once."""
    out, db = workdir / "full-out", f"sqlite:///{workdir / 'full.db'}"
    out.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(out)], check=True
    )
    outcome = FaultOutcome("full-disk", faults=1, violations=[])
    try:
        filler = out / "filler"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        run = run_cli(cohort, out, db, timeout=300)
        outcome.details.append(f"full disk: exit {run.returncode} after {run.seconds:.1f} s")
        if run.returncode == 0:
            outcome.violations.append("the grader exited 0 although OUT was full")
        if "No space left on device" not in run.stderr and "ENOSPC" not in run.stderr:
            outcome.violations.append(
                f"the grader did not say the disk is full: {run.stderr[-800:]!r}"
            )
        left = _wait_no_processes(run)
        if left:
            outcome.violations.append(
                f"after the full-disk failure: its sandbox processes still alive {left}"
            )
        filler.unlink()
        final = run_cli(cohort, out, db)
        outcome.details.append(
            f"after freeing space: exit {final.returncode} after {final.seconds:.1f} s"
        )
        if final.returncode != 0:
            outcome.violations.append(
                f"the rerun after freeing space failed ({final.returncode}): {final.stderr[-800:]}"
            )
        outcome.violations += check_recorded(out, db, cohort.students, reference)
    finally:
        subprocess.run(["umount", "-l", str(out)], check=False)
    return outcome


def scenario_grader_error(
    cohort: Cohort, workdir: Path, reference: dict[str, tuple]
) -> FaultOutcome:
    """A transient failure of the grader itself (not the student's) is journaled as a grader error;
    the next run must grade that student again instead of keeping the 0."""
    import hashlib
    import shutil

    out, db = workdir / "retry", f"sqlite:///{workdir / 'retry.db'}"
    shutil.copytree(workdir / "reference", out, ignore=shutil.ignore_patterns("*.tmp"))
    shutil.copy(workdir / "reference.db", workdir / "retry.db")
    student = "s01-correct"
    sha = hashlib.sha256(
        (cohort.submitted / student / "01-toy" / "toy.ipynb").read_bytes()
    ).hexdigest()
    failed = {
        "student": student,
        "assignment": "01-toy",
        "score": 0.0,
        "max_score": 3.0,
        "execution_time": 0.0,
        "status": "error",
        "error": "grader error: the sandbox did not start the job",
        "tests": [],
        "cell_errors": [],
        "notes": [],
        "sha256": sha,
    }
    lines = [
        line
        for line in (out / JOURNAL).read_text().splitlines()
        if f'"student": "{student}"' not in line
    ]
    lines.append(json.dumps({"student": student, "sha256": sha, "score": 0.0, "result": failed}))
    # as if the grader had failed on this student
    (out / JOURNAL).write_text("\n".join(lines) + "\n")
    outcome = FaultOutcome("grader-error", faults=1, violations=[])
    run = run_cli(cohort, out, db)
    outcome.details.append(
        f"rerun after a journaled grader error: exit {run.returncode} in {run.seconds:.1f} s"
    )
    if run.returncode != 0:
        outcome.violations.append(f"the rerun failed ({run.returncode}): {run.stderr[-800:]}")
    if "1 to grade" not in run.stderr:
        outcome.violations.append(
            f"the rerun did not regrade exactly the failed student: {run.stderr[:300]!r}"
        )
    outcome.violations += check_recorded(out, db, cohort.students, reference)
    return outcome
