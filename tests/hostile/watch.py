"""What a hostile batch does outside the grader's files: connections it makes and processes it leaves.

``Listener`` counts connections to a loopback port the attacks aim at; ``ProcessWatch`` samples the
sandbox processes that descend from the grading process (ours, not another batch's): as root, those
of the slot uids; without root (the sandbox runs as the grader's own uid), those in another pid
namespace than the grader's.
"""

from __future__ import annotations

import os
import socket
import threading
import time

from nncourse.config import FIRST_SLOT_UID

SLOT_UIDS = range(FIRST_SLOT_UID, FIRST_SLOT_UID + 64)


# ------------------------------------------------------------------------------------ listener
class Listener:
    """Loopback TCP listener (IPv4 and, if possible, IPv6 on the same port) counting connections."""

    def __init__(self):
        self.connections: list[str] = []
        self._sockets = [socket.create_server(("127.0.0.1", 0))]
        self.port = self._sockets[0].getsockname()[1]
        try:
            self._sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        except OSError:
            pass
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self._sockets
        ]
        for thread in self._threads:
            thread.start()

    def _serve(self, server: socket.socket) -> None:
        server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(str(address))
            conn.close()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for server in self._sockets:
            server.close()


# ------------------------------------------------------------------------------- process watch
def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, starttime) of a process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode(errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def _pid_namespace(pid: int | str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _inner_pid(pid: int) -> int | None:
    """The process's pid in its own (innermost) pid namespace."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return None


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


class ProcessWatch:
    """Samples the sandbox uids' processes that descend from this process (our batch's, not others')."""

    def __init__(self, interval: float = 0.1, root_pid: int | None = None):
        self.interval = interval
        self.uids: set[int] = set()
        self.seen: dict[tuple[int, int], dict] = {}  # (pid, starttime) -> first, last, uid, server
        self.max_count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me = root_pid or os.getpid()
        self._rootless = os.geteuid() != 0
        self._own_namespace = _pid_namespace("self")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _ours(self, pid: int) -> bool:
        for _ in range(64):
            info = _stat(pid)
            if info is None:
                return False
            pid = info[0]
            if pid == self._me:
                return True
            if pid <= 1:
                return False
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> None:
        now, count = time.monotonic(), 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            uid = _uid(pid)
            if self._rootless:
                if uid != os.geteuid() or _pid_namespace(pid) in (None, self._own_namespace):
                    continue
            elif uid not in SLOT_UIDS:
                continue
            info = _stat(pid)
            if info is None:
                continue
            key = (pid, info[1])
            record = self.seen.get(key)
            if record is None:
                if not self._ours(pid):
                    continue
                # the slot server's parent is bubblewrap's init (root; without root: the
                # namespace's pid 1, the server being pid 2); everything else is a job's
                server = _inner_pid(pid) in (1, 2) if self._rootless else _uid(info[0]) == 0
                record = {"first": now, "uid": uid, "server": server}
                self.seen[key] = record
                self.uids.add(uid)
            record["last"] = now
            count += 1
        self.max_count = max(self.max_count, count)

    def alive(self) -> list[int]:
        """Pids of processes this watch saw (ours) that still exist: not others' that reuse a slot uid."""
        return sorted(
            pid
            for (pid, start), _ in list(self.seen.items())
            if (_stat(pid) or (0, None))[1] == start
        )

    def lifetimes(self) -> list[tuple[int, float]]:
        """(pid, seconds) of processes other than slot servers."""
        return [
            (pid, r["last"] - r["first"])
            for (pid, _), r in list(self.seen.items())
            if not r["server"]
        ]
