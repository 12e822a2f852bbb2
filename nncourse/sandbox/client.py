"""The grader's side of the sandbox: a slot server per parallel slot, one job per submission.

The slot server (bubblewrap + slot uid + rlimits + seccomp) imports numpy and torch once. Each
submission runs in a fresh process it forks; when the job ends the server kills every other process
of the slot uid and wipes /tmp and SysV IPC, and reports how many processes resisted and whether
/tmp is proven empty (otherwise the grader tears the whole sandbox down, and the next submission
gets a new one with a new tmpfs).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from nncourse.sandbox import cgroups
from nncourse.sandbox.launcher import (
    SandboxSpec,
    processes_of,
    reap_uid,
    slot_folder_prefix,
    worker_command,
)
from nncourse.sandbox.worker import wire

SIGNAL_NAMES = {
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGKILL: "SIGKILL (killed)",
    signal.SIGXCPU: "the CPU time limit",
    signal.SIGABRT: "an abort",
    signal.SIGBUS: "a bus error",
    signal.SIGFPE: "a floating-point exception",
}


class WorkerDied(RuntimeError):
    """The process running the student's code ended or stopped answering."""


class CallTimeout(WorkerDied):
    """A call into the student's code did not return in time; ``stuck_in`` is the notebook function
    or method the worker reported it was stuck in (None without a report)."""

    def __init__(self, message: str, stuck_in: str | None = None):
        super().__init__(message)
        self.stuck_in = stuck_in


class WorkerLost(WorkerDied):
    """A call ended not only its test's process but the whole worker (e.g. ``os.kill(-1, 9)``)."""


def describe_exit(status: dict) -> str:
    """Student-facing words for how a process running student code ended."""
    if "signal" in status:
        number = status["signal"]
        try:
            name = SIGNAL_NAMES.get(number) or signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"the process running your code was killed by {name}"
    code = status.get("exit_code")
    if code is None:
        return "the process running your code stopped answering"
    return f"your code ended the process (exit code {code}, e.g. sys.exit or os._exit)"


@dataclass
class CellRun:
    """What happened while the notebook's cells ran."""

    cells: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replaced_builtins: list[str] = field(default_factory=list)
    # the grader's own code, put back (integrity.py)
    replaced_grader: list[str] = field(default_factory=list)
    timed_out_cell: int | None = None
    died: str | None = None
    died_in_cell: int | None = None
    seconds: float = 0.0


def _recv(sock: socket.socket, deadline: float) -> dict:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError()
    sock.settimeout(remaining)
    message, _ = wire.recv_message(sock)
    return message


class SlotServer:
    """A long-lived sandbox for one parallel slot; runs one submission (job) at a time."""

    def __init__(self, spec: SandboxSpec, *, wait: bool = True):
        """Start the sandbox; with ``wait=False`` return at once (``wait_ready`` or the first job waits).

        Start it from the thread that keeps running (the main one): ``--die-with-parent`` is bound to
        the starting thread.
        """
        self.spec = spec
        self._dir = Path(tempfile.mkdtemp(prefix=slot_folder_prefix(spec.slot)))
        os.chmod(self._dir, 0o755)
        self._control, child_end = socket.socketpair()
        self.output = bytearray()
        self.notes: list[str] = []
        command = worker_command(spec, job_in=self._dir, fd=child_end.fileno())
        # the slot's budget: every process of this sandbox, from bubblewrap on, in one cgroup
        self.cgroup = None
        if spec.limits.slot_cgroup:
            self.cgroup = cgroups.create(
                spec.slot, memory_bytes=spec.limits.slot_memory_bytes, pids=spec.limits.slot_tasks
            )
        self._oom_kills = self.cgroup.oom_kills() if self.cgroup else 0
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=[child_end.fileno()],
            start_new_session=True,
            preexec_fn=self.cgroup.join if self.cgroup else None,
        )
        child_end.close()
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self._job: Job | None = None
        self.server_pid = None
        self._ready = False
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait for the sandbox's hello (torch and the warm-up imports done); raises WorkerDied if it fails."""
        if self._ready:
            return
        try:
            hello = _recv(self._control, time.monotonic() + 60)
            self.notes = [str(n)[:300] for n in hello.get("notes", [])][:10]
            self.server_pid = hello.get("pid")
        except (OSError, wire.WireError):
            self.close()
            raise WorkerDied(
                f"the sandbox did not start: {bytes(self.output[-2000:]).decode(errors='replace')}"
            ) from None
        self._ready = True

    def _drain_output(self) -> None:
        stream = self._process.stdout
        while True:
            chunk = stream.read1(1 << 16)
            if not chunk:
                return
            room = self.spec.limits.output_bytes - len(self.output)
            if room > 0:
                self.output += chunk[:room]

    def describe(self, status: dict) -> str:
        """Student-facing words for how a process of this sandbox ended: :func:`describe_exit`, or
        that the slot ran out of memory when its cgroup killed a process since the last call."""
        kills = self.cgroup.oom_kills() if self.cgroup else 0
        new, self._oom_kills = kills > self._oom_kills, kills
        if new and status.get("signal") == signal.SIGKILL:
            limit = self.spec.limits.slot_memory_bytes / 2**30
            return (
                f"your code used more memory than the sandbox allows ({limit:g} GiB for all its "
                "processes together) and was stopped (out of memory)"
            )
        return describe_exit(status)

    def alive(self) -> bool:
        return self._process.poll() is None

    def start_job(self, cells: list[dict]) -> Job:
        """Run a submission's cells in a fresh process of this slot."""
        self.wait_ready()
        name = f"{uuid.uuid4().hex}.json"
        path = self._dir / name
        path.write_text(json.dumps(cells), encoding="utf-8")
        os.chmod(path, 0o644)
        try:
            self._control.settimeout(10)
            wire.send_message(
                self._control,
                {"type": "job", "cells": f"/sub/{name}" if not self.spec.insecure else str(path)},
            )
            _, fds, _, _ = socket.recv_fds(self._control, 1, 1)
        except (OSError, wire.WireError):
            raise WorkerDied("the sandbox stopped answering") from None
        if not fds:
            raise WorkerDied("the sandbox did not start the job")
        self._job = Job(socket.socket(fileno=fds[0]), self, path)
        return self._job

    def end_job(self, *, timeout: float = 10.0) -> dict:
        """Kill the job's processes and clean the slot; returns how the job's main process ended."""
        try:
            self._control.settimeout(2.0)
            wire.send_message(self._control, {"type": "end"})
            message = _recv(self._control, time.monotonic() + timeout)
            while message.get("type") != "job_ended":
                message = _recv(self._control, time.monotonic() + timeout)
        except (OSError, wire.WireError):
            self.close()
            return {}
        # rootless: no slot uid to look at; the pid namespace holds every process of the job
        strays = (
            set() if self.spec.rootless else set(processes_of(self.spec.uid)) - self._server_pids()
        )
        if message.get("left") or message.get("unclean") or strays:
            self.close()  # a process resisted or /tmp is not proven empty: never reuse it
        return message

    def _server_pids(self) -> set[int]:
        pids = set()
        for pid in processes_of(self.spec.uid):
            try:
                with open(f"/proc/{pid}/status") as handle:
                    status = handle.read()
            except OSError:
                continue
            if f"NSpid:\t{pid}\t{self.server_pid}\n" in status or (
                self.spec.insecure and pid == self.server_pid
            ):
                pids.add(pid)
        return pids

    def close(self) -> None:
        """Kill the sandbox and everything in it; remove the slot folder (once: a sandbox torn down
        after a job is closed again with its grader)."""
        if not self._dir.exists():
            return
        try:
            self._control.close()
        except OSError:
            pass
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._drain.join(timeout=1.0)
        reap_uid(self.spec.uid)
        if self.cgroup is not None:
            for pid in self.cgroup.pids():  # only this sandbox's processes (bwrap included)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.cgroup.remove()
        if self._dir.is_dir():  # a second close (a job that ended badly closes it first) is a no-op
            for child in self._dir.iterdir():
                child.unlink()
            self._dir.rmdir()


class Job:
    """One submission running in a slot: its cells, then one forked session per test."""

    def __init__(self, sock: socket.socket, server: SlotServer, cells_file: Path):
        self._sock = sock
        self._server = server
        self._cells_file = cells_file
        self._session_open = False
        self.status: dict = {}

    def run_cells(self, *, timeout: float) -> CellRun:
        """Wait for every cell to run; on a hang or death, report which cell was running."""
        run, started = CellRun(notes=list(self._server.notes)), time.monotonic()
        deadline, current = started + timeout, None
        try:
            while True:
                message = _recv(self._sock, deadline)
                if message.get("type") == "cell_start":
                    current = message.get("index")
                elif message.get("type") == "ready":
                    run.cells = message.get("cells", [])
                    # names from a process that ran student code: capped like any student text
                    builtins = message.get("replaced_builtins", [])
                    grader = message.get("replaced_grader", [])
                    run.replaced_builtins = [str(n)[:100] for n in builtins][:50]
                    run.replaced_grader = [str(n)[:100] for n in grader][:20]
                    break
        except TimeoutError:
            run.timed_out_cell = current if isinstance(current, int) else -1
        except (OSError, wire.WireError):
            run.died = self._server.describe(self.close())
            run.died_in_cell = current if isinstance(current, int) else None
        run.seconds = time.monotonic() - started
        return run

    def alive(self) -> bool:
        return self._sock.fileno() >= 0 and self._server.alive()

    def open_session(self, *, seed: int, timeout: float = 10.0) -> Session:
        """A fresh child (state as right after the cells ran) to serve one test."""
        self.end_session(kill=False)  # the previous session, closed without waiting for it to end
        try:
            self._sock.settimeout(timeout)
            wire.send_message(self._sock, {"type": "session", "seed": int(seed)})
            _, fds, _, _ = socket.recv_fds(self._sock, 1, 1)
        except (OSError, wire.WireError):
            raise WorkerDied(self._server.describe(self.close())) from None
        if not fds:
            raise WorkerDied(self._server.describe(self.close()))
        self._session_open = True
        return Session(socket.socket(fileno=fds[0]), self)

    def end_session(self, *, kill: bool) -> dict:
        """Wait for the job to report how the current session ended (killing it if asked)."""
        if not self._session_open:
            return {}
        self._session_open = False
        try:
            if kill:
                self._sock.settimeout(2.0)
                wire.send_message(self._sock, {"type": "kill"})
            message = _recv(self._sock, time.monotonic() + 5.0)
            while message.get("type") != "session_ended":
                message = _recv(self._sock, time.monotonic() + 5.0)
            return message
        except (OSError, wire.WireError):
            return {"exit_code": None}

    def close(self) -> dict:
        """End the job: every process it started is killed and the slot is cleaned."""
        if self._sock.fileno() >= 0:
            self._sock.close()
            self.status = self._server.end_job() if self._server.alive() else {}
            try:
                self._cells_file.unlink()
            except FileNotFoundError:
                pass
        return self.status


class Session:
    """One test's channel to a forked child of the job."""

    def __init__(self, sock: socket.socket, job: Job):
        self._sock = sock
        self._job = job
        self.ended: str | None = None

    def request(
        self, header: dict, blobs: list[bytes], *, timeout: float
    ) -> tuple[dict, list[bytes]]:
        """Send a request; its reply, read within ``timeout`` seconds. The worker's report of
        where a call is stuck (``{"hang": {"name"}}``, sent ahead of the reply) goes into a
        CallTimeout."""
        if self.ended:
            raise WorkerDied(self.ended)
        deadline, stuck_in = time.monotonic() + timeout, None
        self._sock.settimeout(timeout)
        try:
            wire.send_message(self._sock, header, blobs)
            while True:
                self._sock.settimeout(max(deadline - time.monotonic(), 1e-3))
                reply, reply_blobs = wire.recv_message(self._sock)
                if "ok" in reply or not isinstance(reply.get("hang"), dict):
                    return reply, reply_blobs
                stuck_in = reply["hang"].get("name")
        except TimeoutError:
            self.ended = f"your code did not return within {timeout:g} s"
            if stuck_in is None:  # a report held up by load: a moment more for it (not the reply)
                stuck_in = self._late_report(time.monotonic() + min(1.0, 0.25 * timeout))
            self._job.end_session(kill=True)
            raise CallTimeout(self.ended, stuck_in if isinstance(stuck_in, str) else None) from None
        except (OSError, wire.WireError) as exc:
            status = self._job.end_session(kill=True)
            unreadable = isinstance(exc, wire.WireError) and str(exc) != "connection closed"
            self.ended = (
                f"your code's reply could not be read ({exc})"
                if unreadable
                else self._job._server.describe(status)
            )
            # no word from the job about its test's process: the job itself is gone
            lost = not unreadable and "signal" not in status and status.get("exit_code", 0) is None
            raise (WorkerLost if lost else WorkerDied)(self.ended) from None

    def _late_report(self, deadline: float) -> object:
        try:
            while (left := deadline - time.monotonic()) > 0:
                self._sock.settimeout(left)
                message, _ = wire.recv_message(self._sock)
                if "ok" in message:  # the reply, too late: the call still counts as hanging
                    return None
                if isinstance(message.get("hang"), dict):
                    return message["hang"].get("name")
        except (OSError, wire.WireError):
            pass
        return None

    def close(self) -> None:
        """Tell the child to end; the job reports how it ended before it serves the next session, so the
        child's exit overlaps the grader's own work between tests."""
        if self.ended is None:
            try:
                self._sock.settimeout(2.0)
                wire.send_message(self._sock, {"op": "close"})
            except OSError:
                pass
            self.ended = "session closed"
        self._sock.close()


class Worker:
    """A one-off sandbox running one submission (a slot server used for a single job)."""

    def __init__(self, cells: list[dict], spec: SandboxSpec):
        self.server = SlotServer(spec)
        self.job = self.server.start_job(cells)

    def run_cells(self, *, timeout: float) -> CellRun:
        return self.job.run_cells(timeout=timeout)

    def open_session(self, *, seed: int) -> Session:
        return self.job.open_session(seed=seed)

    def close(self) -> None:
        self.job.close()
        self.server.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
