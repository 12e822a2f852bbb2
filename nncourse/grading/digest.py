"""Digests that decide whether something must be graded again."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path | None) -> str:
    """Hex SHA-256 of a file's bytes; empty when there is no such regular file."""
    if path is None or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()
