"""Shared fixtures: the real course checkout, and a tiny toy course for fast engine tests."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from nncourse.layout import CourseLayout

REPO = Path(__file__).resolve().parent.parent
TOY = Path(__file__).resolve().parent / "fixtures" / "toycourse"


@pytest.fixture(scope="session")
def course() -> CourseLayout:
    """The repository itself."""
    return CourseLayout(REPO)


@pytest.fixture
def toy(tmp_path) -> CourseLayout:
    """A copy of the toy course (one assignment, one item ``double``) using the repository's venv."""
    root = tmp_path / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    return CourseLayout(root)


def toy_notebook(
    path: Path, *, body: str | None = None, extra_cells: list[str] = (), before: bool = True
) -> Path:
    """Write a toy submission: the source notebook with ``double``'s body replaced and extra cells."""
    data = json.loads((TOY / "source" / "01-toy" / "toy.ipynb").read_text())
    data = copy.deepcopy(data)
    if body is not None:
        data["cells"][1]["source"] = "def double(x):\n" + body
    new = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
        for src in extra_cells
    ]
    data["cells"] = data["cells"][:1] + new + data["cells"][1:] if before else data["cells"] + new
    for index, cell in enumerate(data["cells"]):
        cell["id"] = f"c{index}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path
