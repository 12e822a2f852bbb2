"""What nbgrader needs from its environment when it is used as a library."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


@contextlib.contextmanager
def nbgrader_tools_on_path():
    """Put this interpreter's bin folder on PATH while nbgrader runs.

    nbgrader shells out to ``alembic`` when it creates a gradebook; without it on PATH it fails and
    leaves a half-initialised database behind.
    """
    bin_dir = str(Path(sys.executable).parent)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{old_path}"
    try:
        yield
    finally:
        os.environ["PATH"] = old_path
