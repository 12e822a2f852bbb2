"""`nncourse gradescope ASSIGNMENT --out DIST`: DIST/<id>-autograder.zip to Gradescope's specification."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

from nncourse.gradescope.autograder import CONFIG
from nncourse.layout import CourseLayout
from nncourse.secret import load_secret

TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGE = Path(__file__).resolve().parent.parent
_PACKAGE_SKIP = ("__pycache__", ".pyc")


def _add(archive: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    # fixed: the same input, the same zip
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_autograder_zip(layout: CourseLayout, assignment: str, *, out: Path) -> Path:
    """Zip what grading one assignment needs, and nothing of the other assignments.

    Contents: ``setup.sh`` and ``run_autograder`` (Gradescope's entry points), the ``nncourse``
    package and its ``pyproject.toml``, this assignment's source notebook (the reference solution)
    and hidden tests, ``nbgrader_config.py``, the course secret (so Gradescope reproduces local
    grades) and ``nncourse-autograder.json`` naming the assignment.
    """
    layout.check_assignment(assignment)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{assignment}-autograder.zip"
    package = PACKAGE  # the engine that grades here is the engine that grades there
    with zipfile.ZipFile(path, "w") as archive:
        _add(archive, "setup.sh", (TEMPLATES / "setup.sh").read_bytes(), executable=True)
        _add(
            archive, "run_autograder", (TEMPLATES / "run_autograder").read_bytes(), executable=True
        )
        _add(archive, "pyproject.toml", (PACKAGE.parent / "pyproject.toml").read_bytes())
        _add(
            archive,
            "README.md",
            b"Gradescope autograder for " + assignment.encode() + b" (nncourse).\n",
        )
        _add(archive, "nbgrader_config.py", (layout.root / "nbgrader_config.py").read_bytes())
        if (layout.root / "deadlines.toml").is_file():  # its [late] policy applies there too
            _add(archive, "deadlines.toml", (layout.root / "deadlines.toml").read_bytes())
        _add(archive, CONFIG, json.dumps({"assignment": assignment}).encode())
        _add(archive, ".nncourse-secret", load_secret(layout.secret_file))
        for file in sorted(package.rglob("*")):
            if file.is_file() and not any(part in str(file) for part in _PACKAGE_SKIP):
                _add(archive, str(file.relative_to(PACKAGE.parent)), file.read_bytes())
        source = layout.source_notebook(assignment)
        _add(archive, str(source.relative_to(layout.root)), source.read_bytes())
        _add(archive, "autograders/pytest.ini", (layout.autograders / "pytest.ini").read_bytes())
        for file in sorted(layout.autograder_dir(assignment).rglob("*")):
            if file.is_file() and not any(part in str(file) for part in _PACKAGE_SKIP):
                _add(archive, str(file.relative_to(layout.root)), file.read_bytes())
    return path
