"""`nncourse collect`: decide which attempt of each student is collected, and write it safely.

Per student the latest attempt wins: the latest time in the name (Blackboard) or given by
``--times``, then the highest ``-N`` resubmission number and submission id (Canvas), then the
entry's modification time. What was collected before (``.nncourse-collect.json`` next to it) is
replaced only by a later attempt, so rerunning with the same or an older download changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nncourse.collect.archive import CollectError, Member, Refused, TooLarge, read_download
from nncourse.collect.patterns import BLACKBOARD_TIME, collector
from nncourse.collect.roster import Roster
from nncourse.config import CollectLimits
from nncourse.grading.results import visible

MARKER = ".nncourse-collect.json"
TIMESTAMP = "timestamp.txt"


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
        _write(
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


def _write(
    attempt: Attempt,
    *,
    assignment: str,
    notebook_name: str,
    lms: str,
    submitted: Path,
    report: CollectReport,
    limits: CollectLimits,
    total: list[int],
    renamed: bool,
) -> None:
    name, student = attempt.member.name, attempt.student
    folder = submitted / student / assignment
    target, marker_path = folder / notebook_name, folder / MARKER
    for path in (submitted / student, folder, target):
        if path.is_symlink():
            report.skipped.append(Refused(name, f"{path} is a symbolic link: not written"))
            return
    try:
        data = attempt.member.read(limits.notebook_bytes)
    except TooLarge as exc:
        report.skipped.append(Refused(name, f"{exc}: not collected (a zip bomb?)"))
        return
    total[0] += len(data)
    if total[0] > limits.total_bytes:
        raise CollectError(
            f"the notebooks add up to more than {limits.total_bytes / 2**30:.1f} GiB "
            f"uncompressed; stopped at {name} (students before it were collected)"
        )
    sha = hashlib.sha256(data).hexdigest()
    old = _marker(marker_path)
    label = f"{student}: {name}" + (f" (renamed to {notebook_name})" if renamed else "")
    label += " [LMS flag: late]" * attempt.lms_late
    stamp = (
        attempt.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC") if attempt.time else None
    )
    same = target.exists() and old.get("sha256") == sha
    if same and (stamp is None or _text(folder / TIMESTAMP) == stamp):
        report.unchanged.append(label)
        return
    if same:
        label += " (submission time updated)"
    elif old.get("unreadable"):
        report.skipped.append(
            Refused(
                name,
                f"{marker_path} cannot be read: kept what is there "
                "(delete the folder to collect again)",
            )
        )
        return
    elif target.exists() and not old:
        report.skipped.append(
            Refused(
                name,
                f"{target} exists and was not collected from an LMS "
                "download: kept (move it away to collect this one)",
            )
        )
        return
    elif old and attempt.key() <= (old.get("key") if isinstance(old.get("key"), list) else []):
        why = "the same attempt as" if attempt.key() == old.get("key") else "older than"
        report.skipped.append(
            Refused(
                name,
                f"{why} what was collected before for {student} "
                f"({old.get('source')}), which differs: kept that one",
            )
        )
        return
    folder.mkdir(parents=True, exist_ok=True)
    _atomic(target, data)
    if stamp is not None:  # nbgrader's format, as `nbgrader submit` writes it
        _atomic(folder / TIMESTAMP, stamp.encode())
    elif (folder / TIMESTAMP).is_file() and old:  # ours, for the attempt this one replaces
        (folder / TIMESTAMP).unlink()
    _atomic(
        marker_path,
        json.dumps(
            {
                "source": name,
                "lms": lms,
                "lms_id": attempt.lms_id,
                "key": attempt.key(),
                "sha256": sha,
                "lms_late": attempt.lms_late,
                "renamed_from": PurePosixPath(name).name if renamed else None,
            },
            indent=1,
        ).encode(),
    )
    replaced = f" (replaces {old.get('source')})" if old and not same else ""
    report.collected.append(label + replaced)


def _marker(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        return {"unreadable": True}
    return data if isinstance(data, dict) else {}


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8", errors="replace").strip() if path.is_file() else None


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
