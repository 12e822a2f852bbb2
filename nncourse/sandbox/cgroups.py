"""A budget per sandbox: one cgroup per slot with a memory limit, a pids limit, an equal CPU weight.

rlimits bound each process of a submission (RLIMIT_AS x RLIMIT_NPROC can still exceed the host's
memory) and nothing bounds its CPU share: 56 ``setsid`` spinners made the other slot's students
25-30x slower. A cgroup bounds the slot as a whole. cgroup v2 is used where ``/sys/fs/cgroup`` is a
cgroup2 mount with the controllers enabled, v1 (``memory``, ``pids``, ``cpu`` hierarchies)
otherwise. Each slot's cgroup is created next to the grader's own (a child of the cgroup this
process is in, in every hierarchy) when its sandbox starts, and removed when the sandbox is closed;
a killed grader's leftovers are removed when the slot is acquired again
(``launcher._remove_stale_slot_folders`` with :func:`slot_folders`).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "nncourse-slot-"
V1_CONTROLLERS = ("memory", "pids", "cpu")
_warned: list[str] = []
# with the pid: a fresh name per sandbox (nncourse-slot-<slot>-<pid>-<n>)
_serial = itertools.count()


@dataclass(frozen=True)
class SlotCgroup:
    """The folders of one slot's cgroup (one per v1 hierarchy, or one v2 folder)."""

    folders: tuple[Path, ...]

    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def join(self) -> None:
        """Move the calling process into the cgroup (the sandbox's first process, before exec)."""
        for path in self.procs_files():
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.procs_files():
            try:
                found |= {int(line) for line in Path(path).read_text().split()}
            except OSError:
                continue
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed in this cgroup for want of memory so far (v2's
        ``memory.events``, v1's ``memory.oom_control``; 0 where neither can be read)."""
        total = 0
        for folder in self.folders:
            for name in ("memory.events", "memory.oom_control"):
                try:
                    lines = (folder / name).read_text().splitlines()
                except OSError:
                    continue
                total += sum(int(line.split()[1]) for line in lines if line.startswith("oom_kill "))
        return total

    def remove(self, *, timeout: float = 2.0) -> bool:
        """Remove the folders once no process is left in them (waiting up to ``timeout`` for the
        last ones to exit); True when all are gone."""
        deadline = time.monotonic() + timeout
        for folder in self.folders:
            while folder.exists():
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
        return not any(folder.exists() for folder in self.folders)


def _own_path(hierarchy: str) -> str:
    """This process's cgroup in a v1 hierarchy (``memory``) or in v2 (``""``)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if (hierarchy and hierarchy in controllers.split(",")) or (
            not hierarchy and controllers == ""
        ):
            return path.lstrip("/")
    raise LookupError(f"not in a {hierarchy or 'v2'} cgroup")


def _parents() -> tuple[str, list[Path]]:
    """("v1" | "v2", the folders under which slot cgroups are made)."""
    if (ROOT / "cgroup.controllers").is_file():  # the unified hierarchy is mounted at the top
        return "v2", [ROOT / _own_path("")]
    return "v1", [ROOT / name / _own_path(name) for name in V1_CONTROLLERS]


def create(slot: int, *, memory_bytes: int, pids: int) -> SlotCgroup | None:
    """The slot's cgroup with its limits, or None (said once, loudly, on stderr) where it cannot be
    made.

    Args:
        slot: the parallel slot (names the cgroup ``nncourse-slot-<slot>-<pid>-<n>``).
        memory_bytes: memory (and memory + swap) of all the slot's processes, tmpfs included.
        pids: processes and threads of the slot together.
    """
    if os.geteuid() != 0:
        return None  # rootless or --insecure: cgroups need root; rlimits bound each process
    try:
        version, parents = _parents()
        folders, name = [], f"{PREFIX}{slot}-{os.getpid()}-{next(_serial)}"
        for parent in parents:
            # a previous sandbox of this slot that died without being closed: gone if it is empty, else
            # left for the next acquire_slot; never waited for (its processes may still be exiting)
            for old in parent.glob(f"{PREFIX}{slot}-*"):
                SlotCgroup((old,)).remove(timeout=0)
            folder = parent / name
            folder.mkdir()
            folders.append(folder)
        cgroup = SlotCgroup(tuple(folders))
        if version == "v2":
            _write(parents[0] / "cgroup.subtree_control", "+memory +pids +cpu")
            values = {
                "memory.max": memory_bytes,
                "memory.swap.max": 0,
                "pids.max": pids,
                "cpu.weight": 100,
            }
        else:
            values = {
                "memory.limit_in_bytes": memory_bytes,
                "memory.memsw.limit_in_bytes": memory_bytes,
                "pids.max": pids,
                "cpu.shares": 1024,
            }
        for name, value in values.items():
            targets = [f / name for f in folders if (f / name).exists()]
            if not targets and name not in ("memory.memsw.limit_in_bytes", "memory.swap.max"):
                raise OSError(f"{name} is missing")
            for target in targets:
                _write(target, str(value))
        return cgroup
    except (OSError, LookupError, ValueError) as exc:
        for folder in locals().get("folders", []):
            SlotCgroup((folder,)).remove(timeout=0.2)
        _warn_once(f"{type(exc).__name__}: {exc}")
        return None


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _warn_once(reason: str) -> None:
    if not _warned:
        _warned.append(reason)
        print(
            f"WARNING: no cgroup budget per sandbox slot ({reason}); grading goes on with rlimits "
            "only: "
            "each process is bounded, the slot as a whole is not (memory, processes, CPU share)",
            file=sys.stderr,
            flush=True,
        )


def slot_folders() -> dict[int, list[Path]]:
    """Every slot cgroup folder next to this process's cgroups, by slot (finds killed graders')."""
    if os.geteuid() != 0:
        return {}
    try:
        _, parents = _parents()
    except (OSError, LookupError):
        return {}
    found: dict[int, list[Path]] = {}
    for parent in parents:
        for folder in parent.glob(f"{PREFIX}*"):
            number = folder.name.removeprefix(PREFIX).split("-")[0]
            if number.isdigit():
                found.setdefault(int(number), []).append(folder)
    return found
