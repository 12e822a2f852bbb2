"""Each LMS's file names, matched by nbgrader's FileNameCollectorPlugin (zip_collect's collector).

Groups: ``student_id`` (the LMS's id) and ``file_id`` (the student's file name, without a trailing
``-N`` resubmission number) as nbgrader requires; ``timestamp`` where the LMS writes a time;
``late`` (Canvas's ``_LATE``), ``attempt`` (``-N``) and ``submission_id`` where the LMS has them.
The pattern is applied to ``/<path inside the download>``; nested folders are allowed.
"""

from __future__ import annotations

import logging
import re

PATTERNS = {
    # <lastnamefirstname>[_LATE]_<user id>_<submission id>_<file>[-N].ipynb
    "canvas": r".*/(?P<name>[^/_]+?)(?P<late>_LATE)?_(?P<student_id>\d+)_(?P<submission_id>\d+)_"
    r"(?P<file_id>[^/]+?)(?:-(?P<attempt>\d+))?\.ipynb$",
    # <Full Name>_<participant id>_assignsubmission_file_[/<folders>/]<file>.ipynb
    "moodle": r".*/(?P<name>[^/]+?)_(?P<student_id>\d+)_assignsubmission_file_?(?:/(?:[^/]+/)*)?"
    r"(?P<file_id>[^/]+?)(?:-(?P<attempt>\d+))?\.ipynb$",
    # <assignment>_<user>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>.ipynb (nbgrader's documented example)
    "blackboard": r".*/(?P<name>[^/]*?)_(?P<student_id>[^/_]+)_attempt_"
    r"(?P<timestamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)_(?P<file_id>[^/]+?)(?:-(?P<attempt>\d+))?"
    r"\.ipynb$",
}
BLACKBOARD_TIME = "%Y-%m-%d-%H-%M-%S"


def collector(lms: str):
    """nbgrader's FileNameCollectorPlugin with the LMS's preset pattern (its warnings silenced)."""
    from nbgrader.plugins import FileNameCollectorPlugin

    if lms not in PATTERNS:
        raise ValueError(f"unknown LMS {lms!r} (known: {', '.join(PATTERNS)})")
    quiet = logging.getLogger("nncourse.collect.nbgrader")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return FileNameCollectorPlugin(named_regexp=PATTERNS[lms], valid_ext=[".ipynb"], log=quiet)


def attempt_number(file_name: str, notebook_name: str) -> int | None:
    """``spiral.ipynb`` -> 0, ``spiral-2.ipynb`` -> 2 (a resubmission), any other name -> None."""
    stem = notebook_name.removesuffix(".ipynb")
    match = re.fullmatch(re.escape(stem) + r"(?:-(\d+))?\.ipynb", file_name)
    return None if match is None else int(match.group(1) or 0)
