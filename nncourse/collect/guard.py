"""Stop `nncourse grade` on a folder that is an LMS download, not nbgrader's layout."""

from __future__ import annotations

import os
from pathlib import Path

_LOOSE = (".ipynb", ".zip")


class NotCollected(ValueError):
    """SUBMITTED holds loose notebooks: it must go through `nncourse collect` first."""


def check_not_lms_download(submitted: Path, assignment: str) -> None:
    """Raise when SUBMITTED has notebooks or zips at its top level, or notebooks one level down
    while no folder has an ``<assignment>/`` subfolder (an unpacked download).

    Raises:
        NotCollected: with the command that turns the folder into nbgrader's layout.
    """
    entries = list(os.scandir(submitted))
    loose = [
        e.name
        for e in entries
        if e.is_file(follow_symlinks=False) and e.name.lower().endswith(_LOOSE)
    ]
    folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
    if (
        not loose
        and folders
        and not any(os.path.isdir(os.path.join(e.path, assignment)) for e in folders)
    ):
        loose = [
            f"{e.name}/{inner.name}"
            for e in folders
            for inner in os.scandir(e.path)
            if inner.is_file(follow_symlinks=False) and inner.name.lower().endswith(".ipynb")
        ]
    if loose:
        shown = ", ".join(sorted(loose)[:3]) + (
            f" and {len(loose) - 3} more" if len(loose) > 3 else ""
        )
        raise NotCollected(
            f"{submitted} is not in nbgrader's layout <student>/{assignment}/<notebook>.ipynb: "
            f"it holds {shown}. An LMS download goes through collect first, e.g.\n"
            f"  nncourse collect {submitted} --assignment {assignment} --lms canvas "
            "--submitted submitted\n"
            f"  nncourse grade submitted --assignment {assignment} --out ..."
        )
