"""Ending a job or a test without leftovers: kill the processes it left, wipe its files and IPC.

``clean_slot`` runs in the slot server (``worker.py``), which never executes student code, after each
job: that is the guarantee. ``kill_group`` also runs in a job's process after each hidden test, where
the student's cells ran before and may have patched it; there it only ends a test's children early.
"""

import os
import signal
import stat
import time


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a job or a test session and its children)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def clean_slot(job_pid: int, *, dedicated_uid: bool, baseline=None) -> dict:
    """Kill every other process of this uid, reap them, wipe /tmp: the next submission starts clean.

    Args:
        job_pid: the job's main process (its process group is killed when the uid is not dedicated).
        dedicated_uid: whether we run as the slot's own uid; only then is ``kill(-1)`` safe, because it
            reaches every process of the uid (never run it as a real user).
        baseline: ``usage()`` of the sandbox's private /tmp when the slot started; /tmp must be back
            to it. None when /tmp is the host's (no namespaces).

    Returns:
        ``left``: how many other processes were still alive afterwards (0 unless something
        resisted); ``unclean``: why /tmp could not be proven empty. Either makes the grader tear the
        sandbox down         and start a fresh one (a new tmpfs) before the next submission.
    """
    if not dedicated_uid:
        kill_group(job_pid)
        return {"left": 0}
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
        others = [
            p
            for p in os.listdir("/proc")
            if p.isdigit() and int(p) not in (1, os.getpid()) and _owned_by_me(p)
        ]
        if not others:
            break
        time.sleep(0.01)
    if others:  # something resisted: the grader tears this sandbox down, no point in wiping
        return {"left": len(others)}
    _remove_sysv_ipc()
    if baseline is None:  # /tmp is the host's (no namespaces): remove only what this uid made there
        _remove_own("/tmp")
        return {"left": 0}
    problem = None
    for folder in ("/tmp", "/dev/shm"):
        if os.path.isdir(folder) and os.access(folder, os.W_OK):
            problem = problem or wipe(folder, deadline=time.monotonic() + WIPE_SECONDS)
    problem = problem or _leftover("/tmp", baseline)
    return {"left": 0, "unclean": problem} if problem else {"left": 0}


def _remove_own(folder: str) -> None:
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            info = os.lstat(path)
            if info.st_uid != os.getuid():
                continue
            if stat.S_ISDIR(info.st_mode):
                os.chmod(path, 0o700)
                wipe(path, deadline=time.monotonic() + WIPE_SECONDS)
                os.rmdir(path)
            else:
                os.unlink(path)
        except OSError:
            continue


WIPE_SECONDS = 5.0  # a /tmp that takes longer to empty is dropped with its sandbox instead


def usage(folder: str = "/tmp") -> tuple[int, int]:
    """(blocks, inodes) in use on the file system of ``folder``: what a clean slot returns to."""
    stat = os.statvfs(folder)
    return stat.f_blocks - stat.f_bfree, stat.f_files - stat.f_ffree


def _leftover(folder: str, baseline) -> str | None:
    """Why ``folder`` is not proven empty (None when it is: no entry, and blocks and inodes in use
    are back to what a fresh tmpfs had when the slot started)."""
    try:
        entries = os.listdir(folder)
        now = usage(folder)
    except OSError as exc:
        return f"{folder} cannot be checked ({exc.strerror})"
    if entries:
        return f"{len(entries)} entries left in {folder}"
    if baseline is not None and tuple(now) != tuple(baseline):
        return (
            f"{folder} still uses {now[0]} blocks and {now[1]} inodes "
            f"(fresh: {baseline[0]}, {baseline[1]})"
        )
    return None


def wipe(top: str, *, deadline: float) -> str | None:
    """Remove everything below ``top`` through file descriptors; returns why it failed, or None.

    Never builds a path: it walks down by ``openat`` and back up by ``..``, so any depth (beyond
    PATH_MAX) and any number of levels work with two descriptors. A folder is made 0700 before it is
    opened, so a job's ``chmod 0`` cannot hide its contents. Runs as the slot uid after every
    process     of the job is gone, so nothing renames or moves the tree meanwhile.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(top, flags)
    except OSError as exc:
        return f"{top} cannot be opened ({exc.strerror})"
    names: list[str] = []  # the folders between ``top`` and ``fd``
    try:
        while True:
            if time.monotonic() > deadline:
                return f"emptying {top} took more than {WIPE_SECONDS:g} s"
            folders = []
            for name in os.listdir(fd):
                if stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    folders.append(name)
                else:
                    os.unlink(name, dir_fd=fd)
            if folders:
                os.chmod(folders[0], 0o700, dir_fd=fd)  # a real folder (lstat above), not a link
                child = os.open(folders[0], flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(folders[0])
            elif names:
                parent = os.open("..", flags, dir_fd=fd)
                os.close(fd)
                fd = parent
                os.rmdir(names.pop(), dir_fd=fd)
            else:
                return None
    except OSError as exc:
        return f"emptying {top} failed at depth {len(names)} ({exc.strerror})"
    finally:
        os.close(fd)


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
                remove(int(fields[1]), ipc_rmid, None) if kind != "sem" else remove(
                    int(fields[1]), 0, ipc_rmid
                )
