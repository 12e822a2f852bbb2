"""Another student's /tmp: a slot's sandbox is reused, so every job must leave /tmp as it found it.

The attack (issue 23): folders nested deeper than PATH_MAX under /tmp, the last one ``chmod 0`` and
holding files that fill the 256 MiB tmpfs. A wipe by path names cannot reach them; the next students
in that slot found a full /tmp, and 04-tensorboard writes its event files there.
"""

from __future__ import annotations

import json
import os

from conftest import REPO
from hostile.cases import DEEP_FILL


def _tree(top: str, levels: int) -> None:
    fd = os.open(top, os.O_RDONLY)
    for level in range(levels):
        name = chr(97 + level % 26) * 250
        os.mkdir(name, dir_fd=fd)
        fd = os.open(name, os.O_RDONLY, dir_fd=fd)
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "wb") as handle:
            handle.write(b"x" * 10)
        os.symlink("/etc/passwd", "link", dir_fd=fd)
    os.chmod(".", 0, dir_fd=fd)


def test_the_wipe_empties_a_tree_deeper_than_path_max_with_unreadable_folders(tmp_path):
    import time

    from nncourse.sandbox.worker.slot import wipe

    top = tmp_path / "tmp"
    top.mkdir()
    _tree(str(top), 40)  # 40 x 251 characters
    (top / "plain.txt").write_text("x")
    assert wipe(str(top), deadline=time.monotonic() + 30) is None
    assert os.listdir(top) == [] and os.path.exists("/etc/passwd")


def test_after_the_attack_the_next_students_in_that_slot_get_full_marks_on_04_tensorboard(tmp_path):
    from nncourse.grading.grader import Grader
    from nncourse.layout import CourseLayout
    from nncourse.sandbox.launcher import acquire_slot, check_sandbox

    layout = CourseLayout(REPO)
    check_sandbox(layout.venv)
    solution = json.loads((REPO / "solutions" / "04-tensorboard" / "tensorboard.ipynb").read_text())
    for cell in solution["cells"]:
        cell["outputs"] = [] if cell["cell_type"] == "code" else cell.get("outputs")
        if cell["cell_type"] != "code":
            cell.pop("outputs", None)
    attack = json.loads(json.dumps(solution))
    attack["cells"].insert(
        1,
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": DEEP_FILL,
            "id": "deepfill",
        },
    )
    paths = {}
    for name, data in (("mallory", attack), ("alice", solution)):
        paths[name] = tmp_path / f"{name}.ipynb"
        paths[name].write_text(json.dumps(data))
    slot, lock = acquire_slot()
    grader = Grader(layout=layout, assignment="04-tensorboard", secret=b"tmp-test", slot=slot)
    try:
        grader.grade(paths["mallory"], student="mallory")
        after = [grader.grade(paths["alice"], student=f"student{i}") for i in range(2)]
    finally:
        grader.close()
        lock.close()
    for result in after:
        lost = [f"{t.name}: {t.output}" for t in result.tests if t.status != "passed"]
        assert (result.status, result.score) == ("graded", 20.0), (
            result.error,
            result.cell_errors,
            lost,
        )


def test_a_tmp_with_an_entry_or_other_usage_than_the_fresh_one_is_not_proven_clean(tmp_path):
    from nncourse.sandbox.worker.slot import _leftover, usage

    (tmp_path / "left.txt").write_text("x")
    assert "1 entries left" in _leftover(str(tmp_path), usage(str(tmp_path)))
    (tmp_path / "left.txt").unlink()
    blocks, inodes = usage(str(tmp_path))
    assert "still uses" in _leftover(str(tmp_path), (blocks, inodes + 1))
    assert _leftover(str(tmp_path), None) is None
