"""`make reliability`: the hostile set and the batch faults, as figures.

Prints one row per hostile case, then::

    attacks contained N/N
    faults survived K/K
    p95 wall per hostile job X s

and one ``FAIL`` line per violated invariant (exit status 1 if there is any). Needs root and
bubblewrap: hostile notebooks only ever run inside the sandbox (the harness checks it first).
"""

from __future__ import annotations

import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]


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

    injected = sum(o.faults for o in outcomes)
    print()
    print(f"attacks contained {report.contained()}/{len(report.cases)}")
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
    sys.exit(main())
