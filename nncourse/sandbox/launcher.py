"""Build the sandbox command line, and tear a sandbox down completely.

Order (measured on this kind of machine, see the README's security section): bubblewrap started as
root builds new net/pid/ipc/uts namespaces and a minimal read-only filesystem; ``setpriv`` inside
drops to the slot's dedicated uid with no capabilities and no_new_privs; the worker then applies its
own rlimits and a seccomp filter before any student code runs.

Without root (a TA on a cluster or a laptop), bubblewrap builds the same namespaces inside a new
user namespace (``--unshare-user``): the sandbox runs as the TA's own uid, with no capabilities and
no_new_privs, so there is no dedicated uid per slot and no cgroup; the private pid namespace is what
confines ``kill(-1)`` and keeps every process of a submission inside the sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nncourse.config import FIRST_SLOT_UID, GradingLimits

WORKER_DIR = Path(__file__).resolve().parent / "worker"


class SandboxUnavailable(RuntimeError):
    """The secure sandbox cannot be built here; the message says why and what to do."""


@dataclass(frozen=True)
class SandboxSpec:
    """How to start a worker: which interpreter, which slot uid, which limits, how isolated."""

    venv: Path
    slot: int = 0
    limits: GradingLimits = GradingLimits()
    insecure: bool = False

    @property
    def uid(self) -> int:
        return FIRST_SLOT_UID + self.slot

    @property
    def rootless(self) -> bool:
        """Namespaces without root: a user namespace, the caller's own uid (see the module doc)."""
        return not self.insecure and os.geteuid() != 0


ROOTLESS_NOTE = (
    "sandbox: rootless (bubblewrap in a user namespace, as your own uid; no dedicated uid per slot "
    "and no cgroup budget: each process is bounded by rlimits)"
)


def check_sandbox(venv: Path) -> None:
    """Raise SandboxUnavailable unless bubblewrap (with setpriv as root, with user namespaces
    without root) and a system-interpreter venv are usable."""
    rootless = os.geteuid() != 0
    for tool in ("bwrap",) if rootless else ("bwrap", "setpriv"):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(
                f"'{tool}' is missing: run 'make setup' as root (installs Debian's "
                "bubblewrap) or pass --insecure to grade without isolation"
            )
    probe = subprocess.run(
        [
            "bwrap",
            *(["--unshare-user"] if rootless else []),
            "--unshare-pid",
            "--unshare-net",
            "--ro-bind",
            "/usr",
            "/usr",
            *_root_links(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "true",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0 and rootless:
        raise SandboxUnavailable(
            "without root the sandbox needs unprivileged user namespaces, and bubblewrap cannot "
            f"create one here ({probe.stderr.strip()[:200]}); run as root, ask for "
            "user.max_user_namespaces > 0 (kernel.unprivileged_userns_clone = 1 on older Debian "
            "and Ubuntu kernels), or pass --insecure to grade without isolation"
        )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create namespaces here ({probe.stderr.strip()[:200]}); "
            "pass --insecure to grade without isolation"
        )
    python = venv / "bin" / "python"
    if not python.exists():
        raise SandboxUnavailable(f"no interpreter at {python}: run 'make setup'")
    real = python.resolve()
    if not str(real).startswith("/usr/"):
        raise SandboxUnavailable(
            f"{python} resolves to {real}, outside /usr: the sandbox uid cannot read it; "
            "rebuild .venv from /usr/bin/python3 ('rm -rf .venv && make setup')"
        )


def _root_links() -> list[str]:
    args: list[str] = []
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def worker_command(spec: SandboxSpec, *, job_in: Path, fd: int) -> list[str]:
    """The full command that runs the worker for one submission.

    Args:
        spec: interpreter, slot and limits.
        job_in: the slot's folder for submissions' cells; mounted read-only at /sub.
        fd: number of the control socket inherited by the worker.
    """
    worker_args = json.dumps(
        {
            "fd": fd,
            "limits": spec.limits.worker_rlimits(),
            "seccomp": not spec.insecure,
            # rootless: the caller's uid is the sandbox's; the slot server's kill(-1) is still
            # confined, by the private pid namespace that every sandbox command below has
            "slot_uid": os.geteuid() if spec.rootless else spec.uid,
            "private_tmp": True,
        }
    )
    if spec.insecure:
        return _insecure_command(spec, job_in=job_in, fd=fd)
    env = {
        "HOME": "/tmp",
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    command = [
        "bwrap",
        *(["--unshare-user"] if spec.rootless else []),
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
        *_root_links(),
    ]
    for etc in ("/etc/ld.so.cache", "/etc/fonts", "/etc/alternatives", "/etc/localtime"):
        if os.path.exists(etc):
            command += ["--ro-bind", etc, etc]
    command += [
        "--perms",
        "0755",
        "--dir",
        "/opt",
        "--ro-bind",
        str(spec.venv),
        "/opt/venv",
        "--ro-bind",
        str(WORKER_DIR),
        "/opt/worker",
        "--ro-bind",
        str(job_in),
        "/sub",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(spec.limits.tmp_bytes),
        "--tmpfs",
        "/tmp",
        "--chdir",
        "/tmp",
    ]
    for key, value in env.items():
        command += ["--setenv", key, value]
    worker = ["/opt/venv/bin/python", "-I", "/opt/worker/worker.py", worker_args]
    if spec.rootless:  # bubblewrap already gave no capabilities and no_new_privs; no uid to drop to
        return [*command, "--", *worker]
    return [*command, "--", *_as_slot_uid(spec.uid), *worker]


def _as_slot_uid(uid: int) -> list[str]:
    """``setpriv`` to the slot's uid: no groups, no capabilities, no_new_privs (needs root)."""
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


def _insecure_command(spec: SandboxSpec, *, job_in: Path, fd: int) -> list[str]:
    """No namespaces (bubblewrap missing); still drops to the slot uid when running as root."""
    worker_args = json.dumps(
        {"fd": fd, "limits": spec.limits.worker_rlimits(), "seccomp": False, "slot_uid": spec.uid}
    )
    command = [str(spec.venv / "bin" / "python"), "-I", str(WORKER_DIR / "worker.py"), worker_args]
    return [*_as_slot_uid(spec.uid), *command] if os.geteuid() == 0 else command


def processes_of(uid: int) -> list[int]:
    """Pids currently owned by ``uid`` (read from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except FileNotFoundError:
                continue
    return pids


def reap_uid(uid: int, *, timeout: float = 5.0) -> int:
    """Kill every process of a sandbox uid and wait until it owns none; returns how many were left.

    ``kill(-1)`` runs *as that uid*, so it can only reach that uid's processes. Zombies still count
    against RLIMIT_NPROC, which is why we wait for the count to reach zero before reusing the uid.
    """
    if uid < FIRST_SLOT_UID:  # never, ever run kill -1 as a real user, let alone root
        raise ValueError(f"refusing to reap uid {uid}: not a sandbox slot uid")
    if os.geteuid() != 0 or not processes_of(uid):
        return 0
    deadline = time.monotonic() + timeout
    while processes_of(uid) and time.monotonic() < deadline:
        subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-9", "-1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        time.sleep(0.05)
    return len(processes_of(uid))


def acquire_slot(*, first: int = 0, count: int = 64):
    """Lock a free sandbox slot (and so its uid) for this process; returns (slot, lock file).

    Two grading runs on one machine never share a uid, so one run's teardown (``kill -1`` as the
    slot uid) can never touch the other's sandboxes. The lock lasts while the file stays open.
    """
    import fcntl

    lock_dir = slot_lock_dir()
    for slot in range(first, first + count):
        handle = open(lock_dir / f"slot-{slot}.lock", "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        reap_uid(FIRST_SLOT_UID + slot)  # leftovers of a grader that was killed
        _remove_stale_slot_folders(lock_dir, own=slot)
        return slot, handle
    raise SandboxUnavailable(f"all {count} sandbox slots are busy")


def slot_lock_dir() -> Path:
    """This user's folder of slot locks, private to it (created on first use).

    Root's slots select sandbox uids, so every root grader shares ``/tmp/nncourse-slots``; any
    other user's worker runs as that user, so each user locks slots in a folder of its own
    (``/tmp/nncourse-slots-<uid>``) that no other user can read, replace or fill with symlinks.
    """
    uid = os.geteuid()
    folder = Path(tempfile.gettempdir()) / (
        "nncourse-slots" if uid == 0 else f"nncourse-slots-{uid}"
    )
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        raise SandboxUnavailable(
            f"{folder} is not a private folder of this user (uid {uid}): "
            "remove it and run the command again"
        )
    return folder


def _slot_folder_base() -> str:
    """Scratch folders are ``<base><slot>-<random>`` in /tmp: root's and each user's apart."""
    uid = os.geteuid()
    return "nncourse-slot" if uid == 0 else f"nncourse-u{uid}-slot"


def slot_folder_prefix(slot: int) -> str:
    """The prefix of a slot's scratch folder in /tmp (``tempfile.mkdtemp(prefix=...)``)."""
    return f"{_slot_folder_base()}{slot}-"


def remove_stale_slot_folders() -> None:
    """Remove what killed graders of this user left (students' cells in slot folders, slot
    cgroups) for every slot nobody holds: at the start of every batch, since a rerun that has
    nothing left to grade takes no slot."""
    _remove_stale_slot_folders(slot_lock_dir(), own=-1)


def _remove_stale_slot_folders(lock_dir: Path, *, own: int) -> None:
    """Remove the slot folders (students' cells) and slot cgroups that killed graders of this user
    left: those of our new slot and of every slot nobody holds (checked, and removed, while holding
    its lock; another user's folders are never touched)."""
    import fcntl

    from nncourse.sandbox import cgroups

    stale: dict[int, list[Path]] = {}
    base = _slot_folder_base()
    for folder in Path(tempfile.gettempdir()).glob(f"{base}*-*"):
        number = folder.name.removeprefix(base).split("-")[0]
        if not number.isdigit() or folder.is_symlink() or folder.lstat().st_uid != os.geteuid():
            continue
        stale.setdefault(int(number), []).append(folder)
    for number, folders in cgroups.slot_folders().items():
        stale.setdefault(number, []).extend(folders)
    for number, folders in stale.items():
        if number == own:
            _remove_folders(folders)
            continue
        with open(lock_dir / f"slot-{number}.lock", "w") as probe:
            try:
                # fails while a grader (even this one) holds it
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            _remove_folders(folders)


def _remove_folders(folders: list[Path]) -> None:
    from nncourse.sandbox.cgroups import SlotCgroup

    for folder in folders:
        if str(folder).startswith("/sys/fs/cgroup/"):
            if not SlotCgroup((folder,)).remove(timeout=0.5):
                print(
                    f"WARNING: the cgroup {folder} of a killed grader still holds processes",
                    file=sys.stderr,
                )
        else:
            shutil.rmtree(folder, ignore_errors=True)
