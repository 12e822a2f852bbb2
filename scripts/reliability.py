"""`make reliability`: the hostile set and the batch faults, as figures.

Prints one row per hostile case, then::

    attacks contained N/N
    faults survived K/K
    p95 wall per hostile job X s

and one ``FAIL`` line per violated invariant (exit status 1 if there is any). Needs bubblewrap:
hostile notebooks only ever run inside the sandbox (the harness checks it first). Run as root, it
then grades the hostile set again as a throwaway unprivileged user, in the rootless sandbox
(``attacks contained (rootless) N/N``); ``--hostile-only`` is that second pass.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]


def hostile_only() -> int:
    """The hostile set alone (the rootless pass runs this as an unprivileged user)."""
    from hostile.harness import run_hostile

    with tempfile.TemporaryDirectory(prefix="nncourse-reliability-") as tmp:
        report = run_hostile(Path(tmp) / "hostile")
    print(report.table())
    print(f"attacks contained {report.contained()}/{len(report.cases)}")
    print(f"p95 wall per hostile job {report.p95():.2f} s; host connections {report.connections}")
    for line in report.all_violations():
        print(f"FAIL {line}")
    return 1 if report.all_violations() else 0


def rootless_pass() -> tuple[str, list[str]]:
    """Grade the hostile set as a fresh unprivileged user; (its summary line, its failures)."""
    from unprivileged import give, shared_folder, system_users

    with system_users(1) as (user,), shared_folder("nncourse-reliability-rootless-") as home:
        give(home, user)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
        proc = subprocess.run(
            [
                shutil.which("runuser") or "/usr/sbin/runuser",
                "-m",  # keep HOME: the test user has no home of its own
                "-u",
                user,
                "--",
                sys.executable,
                __file__,
                "--hostile-only",
            ],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    lines = proc.stdout.splitlines()
    contained = next((ln for ln in lines if ln.startswith("attacks contained")), None)
    failures = [f"rootless: {ln.removeprefix('FAIL ')}" for ln in lines if ln.startswith("FAIL ")]
    if contained is None or (proc.returncode != 0 and not failures):
        failures.append(f"rootless: the pass did not finish ({proc.stderr.strip()[-500:]})")
    summary = (contained or "attacks contained ?/?").replace("contained ", "contained (rootless) ")
    return summary, failures


def main() -> int:
    from hostile import faults
    from hostile.harness import run_hostile

    started = time.monotonic()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nncourse-reliability-") as tmp:
        work = Path(tmp)
        print("grading the hostile set in one batch (2 parallel jobs)...", flush=True)
        report = run_hostile(work / "hostile")
        print(report.table())
        failures += report.all_violations()
        walls = [w for w in report.walls().values() if not math.isnan(w)]

        print("\nbatch faults...", flush=True)
        cohort = faults.Cohort.create(work / "faults")
        reference, run = faults.reference_run(cohort, work / "faults")
        print(f"run without faults: {len(reference)} students in {run.seconds:.1f} s")
        outcomes = [
            faults.scenario_sigkill(cohort, work / "faults", reference, kills=5),
            faults.scenario_full_disk(cohort, work / "faults", reference),
            faults.scenario_grader_error(cohort, work / "faults", reference),
        ]
        for outcome in outcomes:
            for line in outcome.details:
                print(f"  {outcome.name}: {line}")
            failures += [f"{outcome.name}: {v}" for v in outcome.violations]

    rootless = None
    if os.geteuid() == 0:
        print("\nthe hostile set again, as an unprivileged user (rootless sandbox)...", flush=True)
        rootless, rootless_failures = rootless_pass()
        failures += rootless_failures
    injected = sum(o.faults for o in outcomes)
    print()
    print(f"attacks contained {report.contained()}/{len(report.cases)}")
    if rootless:
        print(rootless)
    print(f"faults survived {sum(o.survived for o in outcomes)}/{injected}")
    print(
        f"p95 wall per hostile job {report.p95():.2f} s (p50 {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s; hostile batch {report.seconds:.1f} s)"
    )
    print(
        f"sandbox processes at once (max) {report.max_processes}; host connections {report.connections}"
    )
    print(f"total {time.monotonic() - started:.0f} s")
    for line in failures:
        print(f"FAIL {line}")
    return 1 if failures else 0


if __name__ == "__main__":  # the batch uses spawned processes: keep the guard
    sys.exit(hostile_only() if sys.argv[1:] == ["--hostile-only"] else main())
