"""Throwaway unprivileged users for tests that run the real commands as a TA who is not root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("runuser")),
    reason="creating test users needs root and useradd",
)


@contextmanager
def system_users(count: int) -> Iterator[list[str]]:
    """``count`` fresh system users without a home or a login shell, removed afterwards."""
    names = [f"nnct{uuid.uuid4().hex[:8]}" for _ in range(count)]
    created = []
    try:
        for name in names:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                check=True,
                capture_output=True,
            )
            created.append(name)
        yield names
    finally:
        for name in created:
            uid = int(subprocess.run(["id", "-u", name], capture_output=True, text=True).stdout)
            subprocess.run(["userdel", name], capture_output=True)
            shutil.rmtree(f"/tmp/nncourse-slots-{uid}", ignore_errors=True)


@contextmanager
def shared_folder(prefix: str) -> Iterator[Path]:
    """A folder every user can reach (pytest's own tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def give(path: Path, user: str) -> None:
    """Make ``user`` own ``path`` and everything under it (symbolic links left alone)."""
    shutil.chown(path, user)
    for child in path.rglob("*"):
        if not child.is_symlink():
            shutil.chown(child, user)


def nncourse_as(
    user: str,
    args: list[str],
    home: Path,
    *,
    cwd: Path = REPO,
    timeout: float = 600,
    **extra: str,
) -> subprocess.CompletedProcess:
    """Run ``nncourse ARGS`` as ``user`` with a minimal environment, in ``cwd`` (a course)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [
            shutil.which("runuser"),
            "-m",  # keep HOME: the test user has no home of its own
            "-u",
            user,
            "--",
            str(REPO / ".venv" / "bin" / "nncourse"),
            *args,
        ],
        cwd=cwd,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
