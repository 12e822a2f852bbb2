"""What nbgrader needs from its environment when it is used as a library."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from nncourse.layout import CourseLayout


def load_nbgrader_config(layout: CourseLayout, *, cohort: str | None = None):
    """The course's nbgrader_config.py as a traitlets Config; raises on any error in it.

    nbgrader itself only logs errors in this file and carries on with defaults, which once let a
    broken config grade everyone with full marks; we refuse instead. (traitlets alone: importing
    nbgrader or nbformat costs seconds.)

    Args:
        layout: the course checkout.
        cohort: the cohort whose course id and gradebook the file should give (its
            ``NNCOURSE_COHORT``); default: the released one (``release/cohort.txt``).
    """
    from traitlets.config.loader import PyFileConfigLoader

    loader = PyFileConfigLoader("nbgrader_config.py", path=str(layout.root))
    if cohort is None:
        return loader.load_config()
    saved = os.environ.get("NNCOURSE_COHORT")
    os.environ["NNCOURSE_COHORT"] = cohort  # the file's own knob, set only while it is read
    try:
        return loader.load_config()
    finally:
        if saved is None:
            os.environ.pop("NNCOURSE_COHORT", None)
        else:
            os.environ["NNCOURSE_COHORT"] = saved


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
