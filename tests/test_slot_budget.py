"""A budget per slot: one cgroup per sandbox bounds the memory, tasks and CPU share of a slot.

rlimits bound each process only (64 processes x 4 GiB of address space); the cgroup bounds them all
together, /tmp included, and gives every slot the same CPU weight however many processes it runs.
scripts/slot_budget.py measures the CPU side (a neighbour's 56 spinners); these tests check the
limits.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO

from nncourse.config import GradingLimits
from nncourse.sandbox import cgroups
from nncourse.sandbox.client import SlotServer
from nncourse.sandbox.launcher import SandboxSpec, acquire_slot, check_sandbox

pytestmark = pytest.mark.skipif(
    not os.access("/sys/fs/cgroup/memory", os.W_OK) or os.geteuid() != 0,
    reason="needs root and a writable cgroup v1 memory hierarchy",
)

ALLOCATE = """
import mmap
_block = mmap.mmap(-1, 640 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
"""


def _server(limits: GradingLimits):
    check_sandbox(REPO / ".venv")
    slot, lock = acquire_slot()
    return SlotServer(SandboxSpec(venv=REPO / ".venv", slot=slot, limits=limits)), lock


def _read(folders, name: str) -> str:
    return next((f / name).read_text().strip() for f in folders if (f / name).exists())


def test_every_process_of_a_slot_is_in_its_cgroup_with_limits_and_the_cgroup_goes_with_it():
    server, lock = _server(GradingLimits())
    try:
        folders = server.cgroup.folders
        names = {f.name for f in folders}
        assert len(names) == 1 and names.pop().startswith(f"{cgroups.PREFIX}{server.spec.slot}-")
        assert _read(folders, "memory.limit_in_bytes") == str(3 << 30)
        assert _read(folders, "pids.max") == "128" and _read(folders, "cpu.shares") == "1024"
        assert server.server_pid is not None and server._process.pid in server.cgroup.pids()
        assert len(server.cgroup.pids()) >= 3, "bubblewrap, its init and the slot server"
    finally:
        server.close()
        lock.close()
    assert not any(f.exists() for f in folders), "the cgroup is removed with the sandbox"


def test_a_slot_cannot_use_more_memory_than_its_budget_whatever_its_rlimits_allow():
    server, lock = _server(GradingLimits(slot_memory_bytes=512 << 20))
    try:
        folders = server.cgroup.folders
        job = server.start_job([{"index": 0, "source": ALLOCATE}, {"index": 1, "source": "x = 1"}])
        run = job.run_cells(timeout=60)
        job.close()
        assert int(_read(folders, "memory.max_usage_in_bytes")) <= 512 << 20
        assert "oom_kill 0" not in _read(folders, "memory.oom_control"), (
            "the kernel ended the allocation"
        )
        assert run.died == (
            "your code used more memory than the sandbox allows (0.5 GiB for all its processes "
            "together) and was stopped (out of memory)"
        ), (run.cells, run.died)
    finally:
        server.close()
        lock.close()


def test_the_cgroup_of_a_killed_grader_is_removed_when_its_slot_is_acquired_again():
    slot, lock = acquire_slot()
    lock.close()  # as if its grader had been killed: the slot is free, its cgroup is still there
    _, parents = cgroups._parents()
    stale = [parent / f"{cgroups.PREFIX}{slot}-1-0" for parent in parents]
    for folder in stale:
        folder.mkdir(exist_ok=True)
    again, lock = acquire_slot()
    try:
        assert not any(folder.exists() for folder in stale)
    finally:
        lock.close()


def test_without_a_writable_cgroup_hierarchy_grading_goes_on_with_rlimits_and_says_so_once(
    monkeypatch, capsys
):
    monkeypatch.setattr(cgroups, "ROOT", Path("/nonexistent-cgroup-root"))
    monkeypatch.setattr(cgroups, "_warned", [])
    assert cgroups.create(63, memory_bytes=1 << 30, pids=10) is None
    assert cgroups.create(63, memory_bytes=1 << 30, pids=10) is None
    assert capsys.readouterr().err.count("WARNING: no cgroup budget per sandbox slot") == 1
