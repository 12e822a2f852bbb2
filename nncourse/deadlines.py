"""Due dates, per-student extensions and the late policy, from ``deadlines.toml`` (course root).

The file (a cohort's ``deadlines-<cohort>.toml`` wins when present)::

    [late]
    penalty_per_day = 0.10   # fraction of the maximum score per started day late
    max_days = 5             # later than this: score 0
    # plugin = "mycourse.late:Policy"   # optional: a LateSubmissionPlugin subclass of your own
    [due]
    "01-gradient-descent" = 2027-02-12T23:59:00+01:00
    [extensions."01-gradient-descent"]
    some-student = "48h"

Every mistake (a date without a time zone, an unknown assignment or key, a malformed extension)
stops with a message naming the file and the entry; nothing is guessed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

FILE = "deadlines.toml"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhm])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_LATE_KEYS = {"penalty_per_day", "max_days", "plugin"}


class DeadlineError(ValueError):
    """deadlines.toml (or a --due value) is not usable; the message names the entry and the fix."""


@dataclass(frozen=True)
class LatePolicy:
    """``[late]``: ``penalty_per_day`` of the maximum score per started day; 0 after max_days."""

    penalty_per_day: float = 0.0
    max_days: float | None = None
    plugin: str | None = None  # "module:Class", a subclass of nbgrader's LateSubmissionPlugin


@dataclass(frozen=True)
class Deadlines:
    """The parsed file: due dates (time-zone aware), extensions and the policy."""

    source: Path | None = None
    late: LatePolicy = LatePolicy()
    due: dict[str, datetime] = field(default_factory=dict)
    extensions: dict[str, dict[str, timedelta]] = field(default_factory=dict)

    def due_date(self, assignment: str, *, override: datetime | None = None) -> datetime | None:
        """The assignment's due date for everyone (``override``: ``grade --due``)."""
        return override if override is not None else self.due.get(assignment)

    def extension(self, assignment: str, student: str) -> timedelta | None:
        return self.extensions.get(assignment, {}).get(student)

    def due_for(
        self, assignment: str, student: str, *, override: datetime | None = None
    ) -> datetime | None:
        """One student's due date: the assignment's plus the student's extension."""
        due = self.due_date(assignment, override=override)
        extension = self.extension(assignment, student)
        return due + extension if due is not None and extension is not None else due

    def check_students(self, assignment: str, known: set[str]) -> None:
        """Fail on an extension for a student who has no submission folder and no earlier grade.

        Raises:
            DeadlineError: naming the students (most likely a typo in the file).
        """
        unknown = sorted(set(self.extensions.get(assignment, {})) - known)
        if unknown:
            raise DeadlineError(
                f'{self._name()}: [extensions."{assignment}"] names unknown student(s) '
                f"{', '.join(unknown)}: no such folder in the submissions and not graded before "
                "(a typo? student ids are the folder names under submitted/)"
            )

    def _name(self) -> str:
        return str(self.source) if self.source else FILE


def deadlines_file(root: Path, cohort: str | None = None) -> Path | None:
    """``deadlines-<cohort>.toml`` if it exists, else ``deadlines.toml`` if it exists, else None."""
    candidates = ([root / f"deadlines-{cohort}.toml"] if cohort else []) + [root / FILE]
    return next((path for path in candidates if path.is_file()), None)


def load_deadlines(root: Path, *, assignments: list[str], cohort: str | None = None) -> Deadlines:
    """Read the course's deadlines (an empty set when there is no file: nothing is late).

    Raises:
        DeadlineError: the file is not valid TOML or an entry is wrong (the message says which).
    """
    path = deadlines_file(root, cohort)
    if path is None:
        return Deadlines()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeadlineError(f"{path}: not valid TOML: {exc}") from None
    return parse_deadlines(data, source=path, assignments=assignments)


def parse_deadlines(data: dict, *, source: Path | None, assignments: list[str]) -> Deadlines:
    """Validate the TOML document ``data`` (see the module docstring for the keys)."""
    name = str(source) if source else FILE
    unknown = sorted(set(data) - {"late", "due", "extensions"})
    if unknown:
        raise DeadlineError(
            f"{name}: unknown section(s) {', '.join(unknown)} "
            '(expected [late], [due], [extensions."<assignment>"])'
        )
    late = _late(data.get("late", {}), name)
    due = {}
    for assignment, value in _table(data.get("due", {}), "[due]", name).items():
        _known(assignment, assignments, f'[due] "{assignment}"', name)
        due[assignment] = parse_due(value, where=f'{name}: [due] "{assignment}"')
    extensions: dict[str, dict[str, timedelta]] = {}
    for assignment, table in _table(data.get("extensions", {}), "[extensions]", name).items():
        where = f'[extensions."{assignment}"]'
        _known(assignment, assignments, where, name)
        extensions[assignment] = {
            student: parse_duration(value, where=f"{name}: {where} {student}")
            for student, value in _table(table, where, name).items()
        }
    return Deadlines(source=source, late=late, due=due, extensions=extensions)


def parse_due(value: object, *, where: str = "--due") -> datetime:
    """A due date with its time zone, as TOML's datetime or an ISO 8601 string.

    Raises:
        DeadlineError: a date without a time of day or without a time zone.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DeadlineError(
                f"{where}: {value!r} is not an ISO 8601 date and time "
                "(e.g. 2027-02-12T23:59:00+01:00)"
            ) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise DeadlineError(
            f"{where}: {value} has no time of day and no time zone; write e.g. "
            f"{value}T23:59:00+01:00"
        )
    if not isinstance(value, datetime):
        raise DeadlineError(
            f"{where}: expected a date and time such as 2027-02-12T23:59:00+01:00, got {value!r}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise DeadlineError(
            f"{where}: {value.isoformat()} has no time zone; write it with its offset, "
            f"e.g. {value.isoformat()}+01:00 or {value.isoformat()}Z (UTC)"
        )
    return value


def parse_duration(value: object, *, where: str) -> timedelta:
    """``"48h"``, ``"2d"``, ``"1d12h"``, ``"90m"``, ``"1w"`` (or a number of hours).

    Raises:
        DeadlineError: anything else, or a negative duration.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return timedelta(hours=value)
    text = value.strip().lower() if isinstance(value, str) else ""
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise DeadlineError(
            f'{where}: {value!r} is not a duration; write e.g. "48h", "2d", "1d12h" or "90m"'
        )
    return sum((float(number) * _UNITS[unit] for number, unit in parts), timedelta())


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC (``2027-02-12T22:59:00+00:00``), as results.json stores times."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _late(table: object, name: str) -> LatePolicy:
    table = _table(table, "[late]", name)
    unknown = sorted(set(table) - _LATE_KEYS)
    if unknown:
        raise DeadlineError(
            f"{name}: [late] has unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_LATE_KEYS))})"
        )
    per_day = table.get("penalty_per_day", 0.0)
    if isinstance(per_day, bool) or not isinstance(per_day, (int, float)) or not 0 <= per_day <= 1:
        raise DeadlineError(
            f"{name}: [late] penalty_per_day must be a fraction between 0 and 1 "
            f"(0.10 = 10% of the maximum score per started day), got {per_day!r}"
        )
    max_days = table.get("max_days")
    if max_days is not None and (
        isinstance(max_days, bool) or not isinstance(max_days, (int, float)) or max_days < 0
    ):
        raise DeadlineError(
            f"{name}: [late] max_days must be a number of days >= 0, got {max_days!r}"
        )
    plugin = table.get("plugin")
    if plugin is not None and (not isinstance(plugin, str) or ":" not in plugin):
        raise DeadlineError(f'{name}: [late] plugin must be "module:Class", got {plugin!r}')
    return LatePolicy(penalty_per_day=float(per_day), max_days=max_days, plugin=plugin)


def _table(value: object, where: str, name: str) -> dict:
    if not isinstance(value, dict):
        raise DeadlineError(f"{name}: {where} must be a table, got {value!r}")
    return value


def _known(assignment: str, assignments: list[str], where: str, name: str) -> None:
    if assignment not in assignments:
        raise DeadlineError(
            f"{name}: {where}: unknown assignment {assignment!r} "
            f"(known: {', '.join(assignments) or 'none'})"
        )
