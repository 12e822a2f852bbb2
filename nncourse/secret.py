"""The course secret behind the seeds of hidden tests (so students cannot predict the inputs)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class SecretUnreadable(ValueError):
    """The course secret exists but this user cannot read (or create) it."""


def load_secret(path: Path) -> bytes:
    """``NNCOURSE_SECRET`` if set, else the secret file (created once, mode 0600, never committed)."""
    if os.environ.get("NNCOURSE_SECRET"):
        return os.environ["NNCOURSE_SECRET"].encode()
    try:
        if not path.is_file():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
    except PermissionError:
        raise SecretUnreadable(
            f"cannot read the course secret {path} as this user: on a shared machine give the "
            "graders read access (a staff group and mode 0640) or set NNCOURSE_SECRET"
        ) from None
