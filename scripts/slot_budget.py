"""Measure what the per-slot cgroup changes for a neighbour: 56 setsid spinners in one slot, a
victim in the other (issue 23, item 3). Needs root and bubblewrap; runs two sandboxes at once
(about 2 min).

    .venv/bin/python scripts/slot_budget.py [--runs 5]

For each mode (cgroups on, off) it times the victim's job alone, then again while the attacker's
spinners run in the other slot, and prints the medians and the slowdown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from nncourse.config import GradingLimits
from nncourse.sandbox.client import SlotServer
from nncourse.sandbox.launcher import SandboxSpec, acquire_slot, check_sandbox

REPO = Path(__file__).resolve().parents[1]
VICTIM = "_t = 0\nfor _i in range(6_000_000):\n    _t += _i\n"  # about 0.5 s of one core
SPINNERS = """
import os
for _ in range(56):
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
"""


def _victim_seconds(server: SlotServer, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        job = server.start_job([{"index": 0, "source": VICTIM}])
        run = job.run_cells(timeout=300)
        job.close()
        assert run.cells and run.cells[0]["status"] == "ok", run
        times.append(run.cells[0]["seconds"])
    return times


def measure(*, cgroup: bool, runs: int) -> tuple[float, float]:
    """(median victim seconds alone, median while the other slot spins)."""
    limits = GradingLimits(slot_cgroup=cgroup)
    (victim_slot, victim_lock), (attack_slot, attack_lock) = acquire_slot(), acquire_slot()
    victim = SlotServer(SandboxSpec(venv=REPO / ".venv", slot=victim_slot, limits=limits))
    attacker = SlotServer(SandboxSpec(venv=REPO / ".venv", slot=attack_slot, limits=limits))
    try:
        alone = _victim_seconds(victim, runs)
        job = attacker.start_job([{"index": 0, "source": SPINNERS}])
        job.run_cells(timeout=60)
        try:
            attacked = _victim_seconds(victim, runs)
        finally:
            job.close()
    finally:
        victim.close()
        attacker.close()
        victim_lock.close()
        attack_lock.close()
    return statistics.median(alone), statistics.median(attacked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    check_sandbox(REPO / ".venv")
    for cgroup in (True, False):
        alone, attacked = measure(cgroup=cgroup, runs=args.runs)
        print(
            f"cgroups {'on ' if cgroup else 'off'}: victim {alone:.2f} s alone, "
            f"{attacked:.2f} s next to 56 "
            f"spinners ({attacked / alone:.1f}x)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
