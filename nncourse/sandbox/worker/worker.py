"""The sandboxed worker: runs a submission's cells, then serves calls from the trusted grader.

Runs inside bubblewrap as an unprivileged slot uid (see ``nncourse.sandbox.launcher``). It is a plain
Python process, not a Jupyter kernel. Life cycle:

1. bind the builtins it relies on, apply rlimits and the seccomp filter, import numpy/torch;
2. execute the code cells in order, continuing past failing cells, reporting each to the grader;
3. serve "session" requests: fork a child per hidden test; the child answers that test's calls on a
   fresh socket whose other end is passed to the grader, so a crash or hang in one test never
   affects the next one, and ``import torch`` is paid once per submission.

Everything that comes back to the grader is plain data (see ``wire.py``). Expected values never
enter this process.
"""

import builtins
import errno
import json
import os
import resource
import signal
import socket
import sys
import time

# Run with -I, which leaves the worker's own folder off sys.path; its modules sit next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import forks  # noqa: E402
import integrity  # noqa: E402
import slot  # noqa: E402

# Bound before student code runs: a notebook that replaces builtins cannot break these references.
_ORIGINAL_BUILTINS = {name: getattr(builtins, name) for name in dir(builtins)}
_exit, _print = os._exit, print
_getppid, _sorted = os.getppid, sorted
_PRIVATE_SOCKET_FD = None


def apply_limits(limits: dict) -> None:
    """Apply rlimits; the grader's wall clock remains the real boundary."""
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "address_space_bytes": resource.RLIMIT_AS,
        "processes": resource.RLIMIT_NPROC,
        "file_size_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
    }
    for key, which in pairs.items():
        if limits.get(key):
            resource.setrlimit(which, (limits[key], limits[key]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)  # the grader's own memory cap is not ours
    resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes become OSError, not death


def apply_seccomp() -> str:
    """Deny new namespaces, tracing and network sockets. Returns a note for the grader."""
    import ctypes.util

    find_library = ctypes.util.find_library
    # find_library shells out to ldconfig, which the sandbox's PATH and limits may not allow;
    # the soname resolves through /etc/ld.so.cache all the same.
    ctypes.util.find_library = lambda name: (
        "libseccomp.so.2" if name == "seccomp" else find_library(name)
    )
    try:
        import pyseccomp as sc
    except Exception as exc:  # reported to the grader, which decides whether that is acceptable
        return f"seccomp unavailable: {type(exc).__name__}: {exc}"
    filt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in (
        "unshare",
        "setns",
        "mount",
        "umount2",
        "pivot_root",
        "ptrace",
        "bpf",
        "keyctl",
        "add_key",
        "request_key",
        "userfaultfd",
        "perf_event_open",
        "inotify_add_watch",
        "fanotify_init",
        "process_vm_readv",
        "process_vm_writev",
        "kexec_load",
        "init_module",
        "finit_module",
        "chroot",
        "swapon",
        "reboot",
        "settimeofday",
        "mq_open",
    ):  # a POSIX message queue would outlive the job in the slot's ipc namespace
        filt.add_rule(sc.ERRNO(errno.EPERM), name)
    clone_newuser = 0x10000000
    filt.add_rule(
        sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, clone_newuser, clone_newuser)
    )
    # glibc falls back to clone, which we can inspect
    filt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_PACKET, socket.AF_NETLINK):
        filt.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, family))
    filt.load()
    ctypes.util.find_library = find_library
    return "seccomp on"


class _Display:
    """Stand-ins for notebook-only names, so plotting and display calls in solution cells run."""

    @staticmethod
    def display(*args, **kwargs):
        return None


def run_cells(cells: list, namespace: dict, channel, wire, tripwire=None) -> list:
    """Execute cells in order; every failure is recorded and the next cell still runs.

    ``tripwire`` (see ``integrity``) puts back the grader's code after each cell and names what a cell changed.
    """
    results, server = [], _getppid()
    send, describe = wire.send_message, wire.describe_error  # bound before any cell runs
    for cell in cells:
        index = cell["index"]
        send(channel, {"type": "cell_start", "index": index})
        started = time.monotonic()
        entry, error = {"index": index, "status": "ok"}, None
        try:
            # named as the grader's messages name cells: from 1 (notebook_conventions.cell_name)
            code = compile(cell["source"], f"<cell {index + 1}>", "exec")
            exec(code, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are cell errors too
            error = exc
        broken = replaced_builtins()
        if broken:  # the worker's own protocol code needs the real ones
            entry["replaced_builtins"] = broken
            for name in broken:
                builtins.__dict__[name] = _ORIGINAL_BUILTINS[name]
        tampered = tripwire() if tripwire is not None else []
        if tampered:
            entry["replaced_grader"] = tampered[:20]
        # e.g. kill(-1) or kill(getppid()): end the job in this very cell
        if _server_killed(server):
            _exit(70)
        if error is not None:
            entry.update(status="error", error=describe(error))
        entry["seconds"] = round(time.monotonic() - started, 4)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        results.append(entry)
    return results


def _server_killed(server: int) -> bool:
    """Whether the slot server is gone or dying (so the grader learns which cell killed it).

    kill() queues SIGKILL before it returns, so a pending SIGKILL or an exiting server is seen at once.
    """
    if _getppid() != server:
        return True
    try:
        with open(f"/proc/{server}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{server}/status", "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return True
    pending = 0
    for line in lines:
        if line.startswith((b"SigPnd:", b"ShdPnd:")):
            pending |= int(line.split()[1], 16)
    pf_exiting = 0x4
    return (
        fields[0] in (b"Z", b"X")
        or bool(int(fields[6]) & pf_exiting)
        or bool(pending & (1 << (signal.SIGKILL - 1)))
    )


def replaced_builtins() -> list:
    # no built-in function here: the notebook may have replaced any of them
    current = builtins.__dict__
    return _sorted(
        name for name, value in _ORIGINAL_BUILTINS.items() if current.get(name) is not value
    )


def main() -> None:
    """The slot server: set up once, then run each submission in a fresh forked process tree."""
    args = json.loads(sys.argv[1])
    control = socket.socket(fileno=args["fd"])
    apply_limits(args["limits"])
    notes = [apply_seccomp()] if args.get("seccomp", True) else ["seccomp off"]
    _harden()
    # the new tmpfs, before anything wrote to it: what each job must leave behind
    fresh = slot.usage("/tmp") if args.get("private_tmp") else None
    os.environ.setdefault("MPLBACKEND", "Agg")
    import numpy  # noqa: F401  (paid once per slot, before any student code)
    import wire

    try:
        import torch

        torch.set_num_threads(1)
    except Exception as exc:
        notes.append(f"torch unavailable: {type(exc).__name__}")
    notes += _warm_up()
    wire.send_message(control, {"type": "hello", "notes": notes, "pid": os.getpid()})
    while True:
        try:
            message, _ = wire.recv_message(control)
        except Exception:
            _exit(0)
        if message.get("type") != "job":
            continue
        pid, ours = forks.fork_child(
            control, lambda sock, cells=message["cells"]: run_job(sock, cells, wire)
        )
        socket.send_fds(control, [b"J"], [ours.fileno()])  # exactly the one byte the grader reads
        ours.close()
        status = forks.wait_job(pid, control, wire)
        dedicated = os.getuid() == args.get("slot_uid")
        ended = slot.clean_slot(pid, dedicated_uid=dedicated, baseline=fresh)
        wire.send_message(control, {"type": "job_ended", **ended, **status})


# Imports and first calls that the course's notebooks make and that cost seconds every time (pyplot
# and its font cache; the first torch optimizer, which loads torch._dynamo; TensorBoard's writer): paid
# once per slot here, under the same limits and seccomp filter, so every forked submission starts with
# them done (measured by `make bench`: about 5 s less per submission). The first seeding of numpy's and
# torch's generators in a process costs about 2 ms more than a reseed, which every hidden test's
# process does; it also starts every submission's cells from the same random state.
_WARM_UP = (
    "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot",
    "import torch; torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)",
    "import torch.utils.tensorboard",
    "import random, numpy.random, torch; random.seed(0); numpy.random.seed(0); torch.manual_seed(0)",
)


def _warm_up() -> list:
    """Run the warm-up statements; returns notes for those that failed (grading goes on without them)."""
    notes = []
    for statement in _WARM_UP:
        try:
            exec(statement, {})
        except Exception as exc:
            notes.append(f"warm-up skipped ({statement[:40]}): {type(exc).__name__}")
    return notes


def _harden() -> None:
    """No core dumps or /proc/<pid>/mem access between processes of the slot uid; reap orphans here."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_dumpable, pr_set_child_subreaper = 4, 36
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)
    libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def run_job(control, cells_path: str, wire) -> None:
    """One submission: execute its cells in order, then serve one forked session per hidden test."""
    import session as session_module

    torch = sys.modules.get("torch")
    with open(cells_path, encoding="utf-8") as handle:
        cells = json.load(handle)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _Display.display}
    # bound before any student code runs
    make_tripwire, serve, sessions = _tripwire, forks.serve_sessions, forks.Sessions
    serve_one = session_module.serve
    tripwire = make_tripwire(integrity.Baseline())
    results = run_cells(cells, namespace, control, wire, tripwire)
    broken = sorted({name for cell in results for name in cell.get("replaced_builtins", [])})
    replaced = sorted({name for cell in results for name in cell.get("replaced_grader", [])})
    if torch is not None:
        try:
            torch.set_num_threads(1)
        except Exception:
            pass
    wire.send_message(
        control,
        {
            "type": "ready",
            "cells": results,
            "replaced_builtins": broken,
            "replaced_grader": replaced[:20],
        },
    )
    retake = lambda: make_tripwire(integrity.Baseline())  # noqa: E731
    serve(control, sessions(namespace, wire, serve_one, tripwire, retake))


def _tripwire(baseline):
    """``baseline.restore`` bound now: a later change to ``integrity.Baseline`` cannot disarm it."""
    function = type(baseline).restore
    code = function.__code__

    def check() -> list:
        function.__code__ = code
        return function(baseline)

    return check


if __name__ == "__main__":
    main()
