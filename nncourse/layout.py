"""Where everything lives in the course repository; every path comes from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ASSIGNMENT_ID = re.compile(r"^\d\d-[a-z0-9]+(-[a-z0-9]+)*$")


class UnknownAssignment(ValueError):
    """An assignment id that is not in ``source/``; the message lists the known ones."""


@dataclass(frozen=True)
class CourseLayout:
    """Paths of one course checkout (the folder that holds ``nbgrader_config.py``)."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> CourseLayout:
        """The layout of the course containing ``start`` (default: the installed package's checkout)."""
        here = (start or Path(__file__).resolve().parent.parent).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "nbgrader_config.py").is_file() and (
                (candidate / "source").is_dir() or (candidate / "release").is_dir()
            ):
                return cls(candidate)  # a student's copy may hold release/ only
        raise FileNotFoundError(
            f"no course (nbgrader_config.py + source/ or release/) at or above {here}"
        )

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def autograders(self) -> Path:
        return self.root / "autograders"

    @property
    def venv(self) -> Path:
        return self.root / ".venv"

    @property
    def secret_file(self) -> Path:
        return self.root / ".nncourse-secret"

    @property
    def default_db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def assignments(self) -> list[str]:
        """Assignment ids present in ``source/`` (in ``release/`` for a student's copy), sorted."""
        folder = self.source if self.source.is_dir() else self.release
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_dir() and ASSIGNMENT_ID.match(p.name)
        )

    def check_assignment(self, assignment: str) -> str:
        if assignment not in self.assignments():
            known = ", ".join(self.assignments()) or "none"
            raise UnknownAssignment(f"unknown assignment {assignment!r} (known: {known})")
        return assignment

    @staticmethod
    def notebook_name(assignment: str) -> str:
        """``02-backpropagation`` -> ``backpropagation.ipynb``."""
        return assignment.split("-", 1)[1] + ".ipynb"

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / self.notebook_name(assignment)

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / self.notebook_name(assignment)

    def solution_notebook(self, assignment: str) -> Path:
        return self.solutions / assignment / self.notebook_name(assignment)

    def autograder_dir(self, assignment: str) -> Path:
        return self.autograders / assignment
