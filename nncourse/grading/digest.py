"""Digests that decide whether something must be graded again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from nncourse import __version__
from nncourse import notebook_conventions as conventions
from nncourse.config import GradingLimits
from nncourse.layout import CourseLayout


def file_sha256(path: Path | None) -> str:
    """Hex SHA-256 of a file's bytes; empty when there is no such regular file."""
    if path is None or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grading_fingerprint(
    layout: CourseLayout, assignment: str, *, secret: bytes, limits: GradingLimits
) -> str:
    """Digest of everything but the notebook that decides a score.

    The assignment's hidden tests and helpers (every file of ``autograders/<id>/`` and
    ``autograders/pytest.ini``), the reference solution and the rubric (the source notebook's
    code cells and nbgrader metadata), the course secret's digest (never the secret), the engine's
    version and the limits. A different fingerprint means an earlier grade may be out of date.
    """
    digest = hashlib.sha256()

    def part(name: str, data: bytes) -> None:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)

    folder = layout.autograder_dir(assignment)
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not _generated(p)):
        part("autograders/" + path.relative_to(folder).as_posix(), path.read_bytes())
    ini = layout.autograders / "pytest.ini"
    part("pytest.ini", ini.read_bytes() if ini.is_file() else b"")
    part("reference", _reference_and_rubric(layout.source_notebook(assignment)))
    part("secret", hashlib.sha256(secret).hexdigest().encode())
    part("engine", __version__.encode())
    part("limits", json.dumps(asdict(limits), sort_keys=True).encode())
    return digest.hexdigest()


def _generated(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def _reference_and_rubric(source: Path) -> bytes:
    """The source notebook's code cells with their nbgrader metadata, and its rubric."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    code = [
        (conventions.source_text(c), conventions.nbgrader(c))
        for c in conventions.code_cells(notebook)
    ]
    parts = {"code": code, "rubric": conventions.rubric(notebook)}
    if conventions.written_rubric(notebook):  # results list the written answers: a new one regrades
        parts["written"] = conventions.written_rubric(notebook)
    return json.dumps(parts, sort_keys=True).encode()
