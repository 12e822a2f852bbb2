"""The grader's side of a sandboxed worker: start it, run the cells, open per-test sessions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nncourse.sandbox.launcher import SandboxSpec, reap_uid, worker_command
from nncourse.sandbox.worker import wire

SIGNAL_NAMES = {signal.SIGSEGV: "a segmentation fault", signal.SIGKILL: "SIGKILL (killed)",
                signal.SIGXCPU: "the CPU time limit", signal.SIGABRT: "an abort",
                signal.SIGBUS: "a bus error", signal.SIGFPE: "a floating-point exception"}


class WorkerDied(RuntimeError):
    """The process running the student's code ended or stopped answering."""


class CallTimeout(WorkerDied):
    """A call into the student's code did not return in time."""


def describe_exit(status: dict) -> str:
    """Student-facing words for how a worker process ended."""
    if "signal" in status:
        number = status["signal"]
        name = SIGNAL_NAMES.get(number, signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number))
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
    timed_out_cell: int | None = None
    died: str | None = None
    seconds: float = 0.0


class Session:
    """One test's channel to a forked child of the worker."""

    def __init__(self, sock: socket.socket, worker: "Worker"):
        self._sock = sock
        self._worker = worker
        self.ended: str | None = None

    def request(self, header: dict, blobs: list[bytes], *, timeout: float) -> tuple[dict, list[bytes]]:
        if self.ended:
            raise WorkerDied(self.ended)
        self._sock.settimeout(timeout)
        try:
            wire.send_message(self._sock, header, blobs)
            return wire.recv_message(self._sock)
        except (socket.timeout, TimeoutError):
            self.ended = f"your code did not return within {timeout:g} s"
            self._worker.end_session(kill=True)
            raise CallTimeout(self.ended) from None
        except (OSError, wire.WireError):
            status = self._worker.end_session(kill=True)
            self.ended = describe_exit(status)
            raise WorkerDied(self.ended) from None

    def close(self) -> None:
        if self.ended is None:
            try:
                self._sock.settimeout(2.0)
                wire.send_message(self._sock, {"op": "close"})
            except OSError:
                pass
            self._worker.end_session(kill=False)
            self.ended = "session closed"
        self._sock.close()


class Worker:
    """A sandboxed worker process for one submission.

    Args:
        cells: ``[{"index": int, "source": str}, ...]`` in execution order.
        spec: the sandbox spec (interpreter, slot uid, limits, isolation).
    """

    def __init__(self, cells: list[dict], spec: SandboxSpec):
        self.spec = spec
        self._dir = Path(tempfile.mkdtemp(prefix="nncourse-job-"))
        os.chmod(self._dir, 0o755)
        (self._dir / "cells.json").write_text(json.dumps(cells), encoding="utf-8")
        os.chmod(self._dir / "cells.json", 0o644)
        self._control, child_end = socket.socketpair()
        self.output = bytearray()
        command = worker_command(spec, job_in=self._dir, fd=child_end.fileno())
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, pass_fds=[child_end.fileno()],
                                         start_new_session=True)
        child_end.close()
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self._session_open = False

    def _drain_output(self) -> None:
        stream = self._process.stdout
        while True:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not chunk:
                return
            room = self.spec.limits.output_bytes - len(self.output)
            if room > 0:
                self.output += chunk[:room]

    def _recv(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self._control.settimeout(remaining)
        message, _ = wire.recv_message(self._control)
        return message

    def run_cells(self, *, timeout: float) -> CellRun:
        """Wait for the worker to execute every cell; on a hang, report which cell was running."""
        run, started = CellRun(), time.monotonic()
        deadline, current = started + timeout, None
        try:
            while True:
                message = self._recv(deadline)
                kind = message.get("type")
                if kind == "hello":
                    run.notes = [str(n) for n in message.get("notes", [])][:10]
                elif kind == "cell_start":
                    current = message.get("index")
                elif kind == "ready":
                    run.cells = message.get("cells", [])
                    run.replaced_builtins = [str(n) for n in message.get("replaced_builtins", [])][:50]
                    break
        except (socket.timeout, TimeoutError):
            run.timed_out_cell = current if isinstance(current, int) else -1
        except (OSError, wire.WireError):
            run.died = describe_exit(self._exit_status(wait=2.0))
            run.timed_out_cell = None
            run.cells_running = current  # type: ignore[attr-defined]
            run.died_in_cell = current if isinstance(current, int) else None  # type: ignore[attr-defined]
        run.seconds = time.monotonic() - started
        return run

    def open_session(self, *, seed: int, timeout: float = 10.0) -> Session:
        """Fork a fresh child (state as right after the cells ran) to serve one test."""
        try:
            self._control.settimeout(timeout)
            wire.send_message(self._control, {"type": "session", "seed": int(seed)})
            _, fds, _, _ = socket.recv_fds(self._control, 1, 1)
        except (OSError, wire.WireError):
            raise WorkerDied(describe_exit(self._exit_status(wait=1.0))) from None
        if not fds:
            raise WorkerDied("the worker did not open a session")
        self._session_open = True
        return Session(socket.socket(fileno=fds[0]), self)

    def end_session(self, *, kill: bool) -> dict:
        """Wait for the zygote to report how the current session ended (killing it if asked)."""
        if not self._session_open:
            return {}
        self._session_open = False
        try:
            if kill:
                self._control.settimeout(2.0)
                wire.send_message(self._control, {"type": "kill"})
            message = self._recv(time.monotonic() + 5.0)
            while message.get("type") != "session_ended":
                message = self._recv(time.monotonic() + 5.0)
            return message
        except (OSError, wire.WireError):
            return self._exit_status(wait=0.5) or {"exit_code": None}

    def alive(self) -> bool:
        return self._process.poll() is None

    def _exit_status(self, *, wait: float) -> dict:
        try:
            code = self._process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return {}
        # bwrap reports a killed child as 128+signal
        if code < 0:
            return {"signal": -code}
        if code > 128 and code - 128 in signal.Signals._value2member_map_:
            return {"signal": code - 128}
        return {"exit_code": code}

    def close(self) -> None:
        """Kill the sandbox and everything in it; remove the job folder."""
        try:
            self._control.close()
        finally:
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
            for child in self._dir.iterdir():
                child.unlink()
            self._dir.rmdir()

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
