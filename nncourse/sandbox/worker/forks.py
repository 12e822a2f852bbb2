"""The worker's processes: a job per submission, forked by the slot server, and a child per hidden
test, forked by the job; waiting for them and reporting how they ended.

Bound at import, before any student code runs (``integrity`` puts this module back after every cell).
"""

import os
import select
import signal
import socket
from collections.abc import Callable
from types import ModuleType
from typing import NamedTuple

import slot

_exit, _fork = os._exit, os.fork


def wait_job(pid: int, control, wire) -> dict:
    """Wait until the job's main process ends or the grader ends the job; report how it ended."""
    return _wait_child(
        pid, control, wire, stop="end", kill=lambda job: os.kill(job, signal.SIGKILL)
    )


class Sessions(NamedTuple):
    """What every test session of a job is served with (a tuple: it cannot be changed in place).

    Attributes:
        namespace: the notebook's globals after its cells ran.
        wire: the wire module (imported after the limits are applied, hence passed).
        serve: ``session.serve``, which answers one test's requests.
        tripwire: puts back the grader's code and names what changed (``integrity``), or None.
        retake: makes a new tripwire from the current state, or None.
    """

    namespace: dict
    wire: ModuleType
    serve: Callable[..., int]
    tripwire: Callable[[], list] | None = None
    retake: Callable[[], Callable[[], list]] | None = None


def serve_sessions(control, sessions: Sessions) -> None:
    """Fork one child per session; report how it ended; kill it when the grader asks.

    The next session's child is forked while the current one runs (the job process is idle then), so a
    test does not wait for a fork; it waits for its seed before it serves.
    """
    wire = sessions.wire
    waiting = None  # (pid, our end of its socket): the child forked for the next session
    while True:
        if waiting is None:
            waiting = _fork_session(control, sessions)
        try:
            message, _ = wire.recv_message(control)
        except Exception:
            _exit(0)  # grader gone or channel broken: nothing left to serve
        if message.get("type") == "kill":
            continue  # a late kill for a session that already ended on its own
        if message.get("type") != "session":
            _exit(0)
        (pid, ours), waiting = waiting, None
        # the child forked ahead was killed meanwhile (by an earlier test's code): fork anew
        if _reaped(pid):
            ours.close()
            pid, ours = _fork_session(control, sessions)
        try:
            wire.send_message(ours, {"seed": message.get("seed", 0)})
        except OSError:
            pass  # the child is gone: the grader sees a closed channel and is told how it ended
        socket.send_fds(control, [b"S"], [ours.fileno()])  # exactly the one byte the grader reads
        ours.close()
        waiting = _fork_session(control, sessions)  # while this test runs
        status = _wait_session(pid, control, wire)
        wire.send_message(control, {"type": "session_ended", **status})


def _reaped(pid: int) -> bool:
    """Whether the child ``pid`` has ended (it is reaped if so)."""
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def _fork_session(control, sessions: Sessions) -> tuple:
    """A child of the job that serves one session once it has read its seed; returns (pid, our end)."""

    def serve(sock) -> int:
        try:
            first, _ = sessions.wire.recv_message(sock)
            seed = int(first.get("seed", 0))
        except Exception:
            return 0  # the job ended before this session was asked for
        return sessions.serve(
            sock, sessions.namespace, seed, tripwire=sessions.tripwire, retake=sessions.retake
        )

    return fork_child(control, serve)


def fork_child(control, body) -> tuple:
    """Fork a child in a process group of its own that runs ``body(its end of a new socket)`` and exits
    with what it returns; returns (pid, our end)."""
    ours, theirs = socket.socketpair()
    pid = _fork()
    if pid == 0:
        code = 70
        try:
            control.close()
            ours.close()
            os.setpgid(0, 0)
            code = body(theirs) or 0
        finally:
            _exit(code)  # never back into the parent's loop, whatever happened
    theirs.close()
    return pid, ours


def _wait_session(pid: int, control, wire) -> dict:
    """Wait until the session's child ends or the grader kills it; its own children die with it."""
    status = _wait_child(pid, control, wire, stop="kill", kill=slot.kill_group)
    slot.kill_group(pid)
    return status


def _wait_child(pid: int, control, wire, *, stop: str, kill) -> dict:
    """Wait until the child ``pid`` ends, or the grader sends a ``stop`` message (then ``kill(pid)``);
    reap it and report how it ended. A broken channel means the grader is gone: kill and leave."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([pidfd, control], [], [])
            if pidfd in ready:
                break
            try:
                message, _ = wire.recv_message(control)
            except Exception:
                kill(pid)
                _exit(0)
            if message.get("type") == stop:
                kill(pid)
                break
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(pidfd)
    return _ended(status)


def _ended(status: int) -> dict:
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exit_code": os.WEXITSTATUS(status)}
