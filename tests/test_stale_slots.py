"""A grader killed mid-batch leaves students' cells in its slot folder; the next batch removes them,
even one that has nothing left to grade (it takes no slot)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.sandbox.launcher import slot_folder_prefix

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
A = "01-toy"


def test_a_rerun_with_nothing_to_grade_removes_a_killed_graders_slot_folder(toy, tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    toy_notebook(submitted / "alice" / A / "toy.ipynb")
    options = dict(
        layout=toy,
        assignment=A,
        out=out,
        jobs=1,
        limits=FAST,
        db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
        progress=lambda line: None,
    )
    grade(submitted, **options)
    # what a grader SIGKILLed on slot 63 (nobody holds it) leaves behind
    stale = Path(tempfile.mkdtemp(prefix=slot_folder_prefix(63)))
    (stale / "cells-of-a-student.json").write_text('{"source": "secret answer"}')
    summary = grade(submitted, **options)
    assert summary.graded == 0, "nothing left to grade"
    assert not stale.exists(), (
        "the killed grader's slot folder (a student's cells) is still in /tmp"
    )
