"""The roster (``lms_id,student``) and the optional submission times (``lms_id,submitted_at``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nncourse.collect.archive import CollectError


@dataclass(frozen=True)
class Roster:
    """LMS id -> student id, and each row's other columns (name, email, sis_id, section...)."""

    students: dict[str, str]
    rows: dict[str, dict[str, str]]


def read_roster(path: Path) -> Roster:
    """Read a roster CSV with at least the columns ``lms_id`` and ``student``.

    Raises:
        CollectError: a missing column, an empty cell, or one LMS id given two students.
    """
    students: dict[str, str] = {}
    rows: dict[str, dict[str, str]] = {}
    for line, row in _rows(path, ("lms_id", "student")):
        lms_id, student = row["lms_id"].strip(), row["student"].strip()
        if not lms_id or not student:
            raise CollectError(f"{path}, line {line}: empty lms_id or student")
        if students.get(lms_id, student) != student:
            raise CollectError(
                f"{path}, line {line}: LMS id {lms_id} is given twice, to "
                f"{students[lms_id]} and to {student}"
            )
        students[lms_id] = student
        rows[lms_id] = {k: (v or "").strip() for k, v in row.items() if k}
    return Roster(students=students, rows=rows)


def read_times(path: Path) -> dict[str, datetime]:
    """Submission times by LMS id (``lms_id,submitted_at``, ISO 8601 with a time zone).

    Canvas and Moodle downloads carry no time; their gradebooks and APIs do (Canvas: submitted_at).

    Raises:
        CollectError: a missing column or a time without a time zone.
    """
    times = {}
    for line, row in _rows(path, ("lms_id", "submitted_at")):
        text = (row["submitted_at"] or "").strip()
        if not text:
            continue  # no submission
        try:
            moment = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
        except ValueError:
            raise CollectError(f"{path}, line {line}: {text!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise CollectError(f"{path}, line {line}: {text!r} has no time zone (e.g. +01:00 or Z)")
        times[row["lms_id"].strip()] = moment
    return times


def _rows(path: Path, required: tuple[str, ...]):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectError(f"{path}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise CollectError(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(reader.fieldnames or []) or 'nothing'})"
        )
    yield from enumerate(reader, start=2)
