"""Which submissions a rerun grades again, and the old results a regrade keeps.

A submission is graded again when its notebook or the grading fingerprint changed (or on request).
Before a graded student's results.json is replaced, it is kept as ``results.previous.json`` and the
student is listed in ``OUT/regrades.json``: the report's "changed scores" table compares the two, so
a TA can answer "why did my grade change?". Those old results stay until the next regrade round (a
new fingerprint, or ``--regrade``), which removes them first.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

NEW = "new"
NOTEBOOK_CHANGED = "notebook changed"
AUTOGRADER_CHANGED = "autograder changed"
REQUESTED = "regrade requested"
RETRY = "retry after a grader error"

MANIFEST = "regrades.json"
PREVIOUS = "results.previous.json"


def why_grade(record: dict | None, *, sha256: str, fingerprint: str, regrade: bool) -> str | None:
    """Why a submission must be graded, given its journal record; None when it is up to date.

    Args:
        record: the student's latest journal record (None: never graded).
        sha256: the notebook's hash now ("" when there is no notebook).
        fingerprint: the grading fingerprint now.
        regrade: every submission is graded again (``--regrade``).
    """
    if record is None:
        return NEW
    if record.get("sha256") != sha256:
        return NOTEBOOK_CHANGED
    if record.get("fingerprint") != fingerprint:  # also a record from before fingerprints existed
        return AUTOGRADER_CHANGED
    if str(record.get("result", {}).get("error") or "").startswith("grader error"):
        return RETRY
    return REQUESTED if regrade else None


@dataclass
class RegradeRound:
    """The students regraded since the fingerprint last changed (or since the last ``--regrade``).

    Stored in ``OUT/regrades.json``: ``{"fingerprint", "started", "forced", "complete", "students":
    {name: [reasons]}}``. Only the driver process writes it.
    """

    out: Path
    assignment: str
    fingerprint: str
    started: str = ""
    forced: bool = False
    complete: bool = False
    students: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def open(cls, out: Path, assignment: str, *, fingerprint: str, forced: bool) -> RegradeRound:
        """Continue the round of this fingerprint, or start a new one (removing the old results)."""
        old = read_manifest(out)
        continuing = (
            old.get("fingerprint") == fingerprint
            and old.get("assignment") == assignment
            and not (forced and old.get("complete", True))
        )
        if continuing:
            return cls(
                out,
                assignment,
                fingerprint,
                old.get("started", ""),
                bool(old.get("forced")),
                False,
                {str(k): list(v) for k, v in old.get("students", {}).items()},
            )
        for student in old.get("students", {}):
            previous = out / str(student) / str(old.get("assignment", assignment)) / PREVIOUS
            if previous.is_file() and not previous.is_symlink():
                previous.unlink()
        return cls(
            out, assignment, fingerprint, datetime.now(UTC).isoformat(timespec="seconds"), forced
        )

    def keep_previous(self, student: str, reason: str) -> None:
        """Before a graded student's results are replaced: keep the old ones (once per round)."""
        folder = self.out / student / self.assignment
        current = folder / "results.json"
        if student not in self.students and current.is_file() and not current.is_symlink():
            tmp = folder / f".{PREVIOUS}.tmp"
            shutil.copyfile(current, tmp)
            tmp.replace(folder / PREVIOUS)
        if student in self.students or (folder / PREVIOUS).is_file():
            self.students.setdefault(student, [])
            if reason not in self.students[student]:
                self.students[student].append(reason)
            self.save()

    def save(self, *, complete: bool = False) -> None:
        """Write the manifest atomically (a killed run leaves the old or the new one)."""
        self.complete = complete
        data = {
            "assignment": self.assignment,
            "fingerprint": self.fingerprint,
            "started": self.started,
            "forced": self.forced,
            "complete": complete,
            "students": self.students,
        }
        tmp = self.out / f".{MANIFEST}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.out / MANIFEST)


def read_manifest(out: Path) -> dict:
    """``OUT/regrades.json``, or {} when there is none (or it is unreadable)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
