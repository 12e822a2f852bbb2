"""Headless Chromium for tests that must see a page the way a browser does (offline, no network).

``ensure_chromium()`` finds Debian's ``chromium`` or installs it (as root, with apt-get); when it
cannot, the calling test fails with a clear message — a browser check is never silently skipped.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)  # offline: any host lookup fails
LOCK = Path("/tmp/nncourse-apt-chromium.lock")


def _find() -> str | None:
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        ["apt-get", *args], check=False, capture_output=True, text=True, env=env, timeout=timeout
    )


def ensure_chromium() -> str:
    """Path of a working ``chromium``; installs Debian's package when missing (root only).

    Fails the calling test (``pytest.fail``) when the browser is missing and cannot be installed.
    """
    found = _find()
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail(
            "chromium is not installed and this test is not running as root, so it cannot install "
            "it: run `sudo apt-get install -y chromium` (Debian) and re-run the tests"
        )
    if shutil.which("apt-get") is None:
        pytest.fail(
            "chromium is not installed and there is no apt-get to install it with; install Chromium "
            "so that `chromium` is on PATH"
        )
    with open(LOCK, "w") as lock:  # parallel test processes must not fight over dpkg's lock
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _find() is None:
            done = _apt("install", "-y", "chromium")
            if done.returncode != 0:  # stale or missing package lists
                update = _apt("update")
                done = _apt("install", "-y", "chromium") if update.returncode == 0 else update
            if done.returncode != 0:
                pytest.fail(
                    f"could not install chromium with apt-get (exit {done.returncode}):\n"
                    f"{(done.stderr or done.stdout)[-2000:]}"
                )
    found = _find()
    if found is None:
        pytest.fail("apt-get installed chromium but no `chromium` is on PATH")
    return found


def run_chromium(
    browser: str, *args: str, profile: Path, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run headless Chromium with a throw-away profile and the network-quiet flags."""
    profile.mkdir(parents=True, exist_ok=True)
    command = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(
            command,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "HOME": str(profile)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {timeout:g} s: {' '.join(command)}")


def dump_dom(browser: str, page: Path, *, profile: Path, budget_ms: int = 5000) -> str:
    """The page's DOM after load (scripts ran, virtual time advanced by ``budget_ms``)."""
    done = run_chromium(
        browser,
        f"--virtual-time-budget={budget_ms}",
        "--dump-dom",
        page.resolve().as_uri(),
        profile=profile,
    )
    if done.returncode != 0 or "<html" not in done.stdout:
        pytest.fail(f"chromium --dump-dom failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def screenshot(
    browser: str,
    page: Path,
    png: Path,
    *,
    profile: Path,
    size: tuple[int, int] = (1200, 2000),
    budget_ms: int = 5000,
) -> Path:
    """Save a PNG screenshot of ``page`` at window ``size`` (width, height)."""
    done = run_chromium(
        browser,
        f"--virtual-time-budget={budget_ms}",
        f"--screenshot={png.resolve()}",
        f"--window-size={size[0]},{size[1]}",
        page.resolve().as_uri(),
        profile=profile,
    )
    if done.returncode != 0 or not png.is_file():
        pytest.fail(
            f"chromium --screenshot failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    return png
