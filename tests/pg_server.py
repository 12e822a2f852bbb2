"""A throwaway PostgreSQL server for tests: a temporary cluster on a Unix socket, no TCP at all.

``initdb`` and ``pg_ctl`` refuse to run as root, so under root they run as the ``postgres`` user (the
Debian package creates it) through ``runuser``. The server listens only on a socket in its own
temporary folder (a random port number names the socket), with fsync off, and is stopped by
``pg_ctl stop`` (its postmaster pid killed if that fails) when the test session ends.
"""

from __future__ import annotations

import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL is not installed: `make setup` as root installs the Debian package "
    "(apt-get install postgresql); the gradebook tests need a real server"
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries (initdb, pg_ctl) on this machine."""


def server_bin() -> Path:
    """The folder of initdb and pg_ctl: the newest Debian /usr/lib/postgresql/N/bin, else PATH's."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    raise PostgresMissing(INSTALL_HINT)


class ThrowawayPostgres:
    """One PostgreSQL server in a temporary folder; ``url(db)`` after ``createdb(db)``."""

    def __init__(self, *, timeout: float = 60.0) -> None:
        self.bin = server_bin()
        self.timeout = timeout
        self.port = random.randint(20000, 60000)  # names the socket file only: no TCP listener
        self.dir = Path(tempfile.mkdtemp(prefix="nncourse-pg-"))  # short: a socket path is <108 B
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.dir, 0o700 if self.owner is None else 0o755)

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        done = subprocess.run(
            [*prefix, *argv],
            capture_output=True,
            text=True,
            timeout=self.timeout,
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.is_file() else ""
            raise RuntimeError(
                f"{' '.join(argv[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{log}"
            )
        return done

    def start(self) -> ThrowawayPostgres:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
        )
        options = (
            f"-c listen_addresses='' -k {self.dir} -p {self.port} -c fsync=off "
            "-c log_connections=on"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(int(self.timeout)),
            "-o",
            options,
            "start",
        )
        return self

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (first line of postmaster.pid), None when it is not running."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m immediate``; SIGKILL its pid if that fails) and remove it."""
        pid = self.pid
        try:
            if pid is not None:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
        except (RuntimeError, subprocess.TimeoutExpired):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            time.sleep(0.5)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def sql(self, statement: str, *, database: str = "postgres") -> list[tuple]:
        """Run one statement (autocommit) and return its rows."""
        import psycopg2

        connection = psycopg2.connect(
            dbname=database, user="postgres", host=str(self.dir), port=self.port
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def createdb(self, name: str) -> str:
        """Create database ``name``; its SQLAlchemy URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg2://postgres@/{name}?host={self.dir}&port={self.port}"

    def connections_to(self, name: str) -> int:
        """How many connections to database ``name`` the server has authorised so far (its log)."""
        text = self.log.read_text(errors="replace")
        pattern = rf"connection authorized: user=postgres database={re.escape(name)}(?:\s|$)"
        return len(re.findall(pattern, text, flags=re.MULTILINE))
