"""Feedback pages where TAs and students get them: OUT, and nbgrader's ``feedback/`` tree.

``OUT/<student>/<assignment>/feedback.html`` is the TA's copy. The same page goes to
``<feedback>/<student>/<assignment>/<notebook>.html`` (nbgrader's layout, by default the course's
``feedback/``) with the submission's ``timestamp.txt`` and ``submission_secret.txt``, which is what
``nbgrader release_feedback`` needs to put it in the exchange for ``nbgrader fetch_feedback``.
Pages show the rubric lines that are visible now (``visibility.page_result``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from nncourse.grading.feedback import render_feedback
from nncourse.grading.results import SubmissionResult
from nncourse.grading.visibility import page_result
from nncourse.layout import CourseLayout

# Written by `nbgrader submit` and copied by `nbgrader collect`; release_feedback reads both.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")
_EXCHANGE_FILE_BYTES = 4096


class FeedbackUnwritable(ValueError):
    """The feedback folder chosen with ``--feedback-dir`` cannot be written."""


@dataclass(frozen=True)
class FeedbackTarget:
    """Where feedback pages go besides OUT, and what they show.

    Attributes:
        folder: nbgrader's feedback folder (None: OUT only).
        before_deadline: show only the ``visible`` rubric lines' results.
    """

    folder: Path | None = None
    before_deadline: bool = False

    @classmethod
    def for_course(
        cls, layout: CourseLayout, folder: Path | None = None, *, before_deadline: bool = False
    ) -> FeedbackTarget:
        """``folder``, else the course's ``CourseDirectory.feedback_directory``."""
        if folder is None:
            from nncourse.nbgrader_env import load_nbgrader_config

            config = load_nbgrader_config(layout).CourseDirectory
            name = config.feedback_directory if "feedback_directory" in config else "feedback"
            folder = layout.root / name
        return cls(folder=folder, before_deadline=before_deadline)

    def writable(self, *, chosen: bool, progress: Callable[[str], None]) -> FeedbackTarget:
        """This target if its folder can be written, checked before any grading.

        Args:
            chosen: the folder was chosen with ``--feedback-dir`` (an unwritable one is an error);
                the course's default folder that this user cannot write (a TA who does not own the
                course on a shared server) is skipped with a warning: pages stay in OUT.
            progress: where the warning goes.

        Raises:
            FeedbackUnwritable: a chosen folder cannot be written.
        """
        if self.folder is None or _can_write(self.folder):
            return self
        if chosen:
            raise FeedbackUnwritable(
                f"cannot write feedback pages to {self.folder}: choose a folder "
                "you can write with --feedback-dir"
            )
        progress(
            f"warning: you cannot write the course's feedback folder {self.folder}: feedback "
            "pages go to OUT only (nbgrader release_feedback will not see them; "
            "pass --feedback-dir to choose a folder)"
        )
        return replace(self, folder=None)


def deliver(
    result: SubmissionResult,
    *,
    out: Path,
    target: FeedbackTarget,
    submission: Path | None,
    notebook_id: str,
) -> bool:
    """Write one student's page to OUT and to nbgrader's feedback tree.

    Args:
        result: the student's full result.
        out: the batch's output folder.
        target: nbgrader's feedback folder and the visibility mode.
        submission: the student's ``submitted/<student>/<assignment>/`` folder (None: unknown).
        notebook_id: the graded notebook's name without ``.ipynb`` (nbgrader's notebook id).

    Returns:
        Whether nbgrader's ``release_feedback`` can release it (the submission came with a
        ``submission_secret.txt``); True when there is no feedback folder.
    """
    page = render_feedback(page_result(result, before_deadline=target.before_deadline))
    _write(out / result.student / result.assignment / "feedback.html", page)
    if target.folder is None:
        return True
    folder = target.folder / result.student / result.assignment
    _write(folder / f"{notebook_id}.html", page)
    for stale in folder.glob("*.html"):  # a page of an earlier notebook name would be released too
        if stale.name != f"{notebook_id}.html" and not stale.is_symlink():
            stale.unlink()
    copied = {name: _copy_small(submission, folder, name) for name in EXCHANGE_FILES}
    return copied["submission_secret.txt"]


def _can_write(folder: Path) -> bool:
    """Whether ``folder`` exists and is writable, or its nearest existing parent is."""
    for existing in (folder, *folder.parents):
        if existing.exists():
            return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    return False


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    tmp.replace(path)


def _copy_small(submission: Path | None, folder: Path, name: str) -> bool:
    """Copy a small regular file (never through a symbolic link) from the submission."""
    if submission is None or submission.is_symlink() or submission.parent.is_symlink():
        return False
    source = submission / name
    if source.is_symlink() or not source.is_file() or source.stat().st_size > _EXCHANGE_FILE_BYTES:
        return False
    _write(folder / name, source.read_bytes())
    return True
