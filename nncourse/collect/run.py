"""`nncourse collect`: decide which attempt of each student is collected, and write it safely.

Per student the latest attempt wins: the latest time in the name (Blackboard) or given by
``--times``, then the highest ``-N`` resubmission number and submission id (Canvas), then the
entry's modification time. What was collected before (``.nncourse-collect.json`` next to it) is
replaced only by a later attempt, so rerunning with the same or an older download changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nncourse.collect.archive import CollectError, Member, Refused, read_download
from nncourse.collect.patterns import BLACKBOARD_TIME, collector
from nncourse.collect.roster import Roster
from nncourse.collect.store import write_attempt
from nncourse.config import CollectLimits
from nncourse.grading.results import visible


@dataclass(frozen=True)
class Attempt:
    """One matched notebook of one student."""

    member: Member
    lms_id: str
    student: str
    file_id: str
    time: datetime | None
    attempt: int
    submission_id: int
    lms_late: bool

    def key(self) -> list:
        """Order of attempts (JSON-comparable, stored in the marker)."""
        return [
            self.time.astimezone(UTC).isoformat() if self.time else "",
            self.attempt,
            self.submission_id,
            self.member.mtime.isoformat() if self.member.mtime else "",
        ]


@dataclass
class CollectReport:
    """What happened to every entry of the download."""

    collected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Refused] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"collected  {line}" for line in self.collected]
        out += [f"unchanged  {line}" for line in self.unchanged]
        out += [f"skipped    {visible(r.name)}: {r.reason}" for r in self.skipped]
        out.append(
            f"{len(self.collected)} collected, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped"
        )
        return out


def collect(
    download: Path,
    *,
    assignment: str,
    notebook_name: str,
    lms: str,
    submitted: Path,
    roster: Roster | None = None,
    times: dict[str, datetime] | None = None,
    timezone: str = "UTC",
    limits: CollectLimits = CollectLimits(),
) -> CollectReport:
    """Turn an LMS download into ``SUBMITTED/<student>/<assignment>/<notebook_name>``.

    Args:
        download: the zip, or the folder it was unpacked into.
        assignment: the assignment id.
        notebook_name: the released notebook's file name, e.g. ``spiral.ipynb``.
        lms: ``canvas``, ``moodle`` or ``blackboard``.
        submitted: nbgrader's submitted folder (created when missing).
        roster: LMS id -> student id (without one, the LMS id is the student id).
        times: submission times by LMS id, for names without a time (Canvas, Moodle).
        timezone: the zone of times written in file names (Blackboard), an IANA name.

    Raises:
        CollectError: the download cannot be read at all (nothing was written), or its notebooks
            exceed ``limits.total_bytes`` (the students before that one were collected).
    """
    plugin = collector(lms)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CollectError(
            f"unknown time zone {timezone!r} (an IANA name such as Europe/Berlin)"
        ) from None
    members, refused = read_download(download, limits=limits)
    report = CollectReport(skipped=list(refused))
    by_student: dict[str, list[Attempt]] = {}
    for member in members:
        info = plugin.collect("/" + member.name)
        if not info:
            report.skipped.append(
                Refused(member.name, f"does not match {lms}'s file names: not collected")
            )
            continue
        lms_id = info["student_id"]
        student = roster.students.get(lms_id) if roster else lms_id
        if student is None:
            report.skipped.append(
                Refused(member.name, f"LMS id {lms_id} is not in the roster: not collected")
            )
            continue
        problem = _student_problem(student)
        if problem:
            report.skipped.append(Refused(member.name, problem))
            continue
        # a time in the name orders one student's attempts; --times fills in where names have none
        moment = _name_time(info.get("timestamp"), zone) or (times or {}).get(lms_id)
        by_student.setdefault(student, []).append(
            Attempt(
                member=member,
                lms_id=lms_id,
                student=student,
                file_id=info["file_id"],
                time=moment,
                attempt=int(info.get("attempt") or 0),
                submission_id=int(info.get("submission_id") or 0),
                lms_late=bool(info.get("late")),
            )
        )
    stem = PurePosixPath(notebook_name).stem
    total = [0]
    for student, attempts in sorted(by_student.items()):
        right = [a for a in attempts if a.file_id == stem]
        pool = right or attempts
        for wrong in [a for a in attempts if a.file_id != stem] if right else ():
            report.skipped.append(
                Refused(
                    wrong.member.name,
                    f"wrong name (expected {notebook_name}); "
                    f"not collected: {student} also submitted {notebook_name}",
                )
            )
        pool.sort(key=Attempt.key)
        latest = pool[-1]
        if len(pool) > 1 and pool[-2].key() == latest.key():
            for a in pool:
                report.skipped.append(
                    Refused(
                        a.member.name,
                        f"{student} has several attempts with "
                        "nothing to order them: none collected, pick one by hand",
                    )
                )
            continue
        for older in pool[:-1]:
            report.skipped.append(
                Refused(
                    older.member.name,
                    f"an older attempt of {student}; collected the latest, {latest.member.name}",
                )
            )
        write_attempt(
            latest,
            assignment=assignment,
            notebook_name=notebook_name,
            lms=lms,
            submitted=submitted,
            report=report,
            limits=limits,
            total=total,
            renamed=latest.file_id != stem,
        )
    return report


def _name_time(text: str | None, zone: ZoneInfo) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, BLACKBOARD_TIME).replace(tzinfo=zone)
    except ValueError:
        return None


def _student_problem(student: str) -> str | None:
    from nncourse.grading.batch import name_problem

    problem = name_problem(student)
    if problem is None and ("/" in student or student in (".", "..")):
        problem = f"the student id '{visible(student)}' is not a safe folder name"
    return problem and f"{problem}: not collected"
