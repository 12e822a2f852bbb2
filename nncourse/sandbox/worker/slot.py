"""Ending a job or a test without leftovers: kill the processes it left, wipe its files and IPC.

``clean_slot`` runs in the slot server (``worker.py``), which never executes student code, after each
job: that is the guarantee. ``kill_group`` also runs in a job's process after each hidden test, where
the student's cells ran before and may have patched it; there it only ends a test's children early.
"""

import os
import signal
import time


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a job or a test session and its children)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def clean_slot(job_pid: int, *, dedicated_uid: bool) -> int:
    """Kill every other process of this uid, reap them, wipe /tmp: the next submission starts clean.

    Args:
        job_pid: the job's main process (its process group is killed when the uid is not dedicated).
        dedicated_uid: whether we run as the slot's own uid; only then is ``kill(-1)`` safe, because it
            reaches every process of the uid (never run it as a real user).

    Returns:
        How many other processes were still alive afterwards (0 unless something resisted).
    """
    if not dedicated_uid:
        kill_group(job_pid)
        return 0
    for _ in range(50):
        try:
            os.kill(-1, signal.SIGKILL)  # as the slot uid: only this slot's processes
        except ProcessLookupError:
            pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())
                  and _owned_by_me(p)]
        if not others:
            break
        time.sleep(0.01)
    for folder in ("/tmp", "/dev/shm"):
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                path = os.path.join(folder, entry)
                try:
                    os.chmod(path, 0o700)
                except OSError:
                    pass
                if os.path.isdir(path) and not os.path.islink(path):
                    _remove_tree(path)
                else:
                    _unlink(path)
    _remove_sysv_ipc()
    return len(others)


def _remove_tree(path: str) -> None:
    """rmtree that first opens every folder: a job may leave folders it made unreadable (mode 0311)."""
    import shutil

    for root, dirs, _ in os.walk(path):  # top-down: each folder is opened before the walk enters it
        for name in dirs:
            child = os.path.join(root, name)
            if not os.path.islink(child):
                try:
                    os.chmod(child, 0o700)
                except OSError:
                    pass
    shutil.rmtree(path, ignore_errors=True)


def _owned_by_me(pid: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_sysv_ipc() -> None:
    """Shared memory, semaphores and message queues left by a submission (the ipc namespace is per slot)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, remove in (("shm", libc.shmctl), ("sem", libc.semctl), ("msg", libc.msgctl)):
        try:
            lines = open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1:
                remove(int(fields[1]), ipc_rmid, None) if kind != "sem" else remove(int(fields[1]), 0, ipc_rmid)
