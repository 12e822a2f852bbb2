"""Write one collected attempt next to what was collected before, never over a later one.

``.nncourse-collect.json`` next to the notebook records the attempt (its source, order key, hash
and the LMS's late flag); the notebook, ``timestamp.txt`` (nbgrader's format) and the marker are
each replaced atomically, the marker last.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from nncourse.collect.archive import CollectError, Refused, TooLarge
from nncourse.config import CollectLimits

if TYPE_CHECKING:
    from nncourse.collect.run import Attempt, CollectReport

MARKER = ".nncourse-collect.json"
TIMESTAMP = "timestamp.txt"


def write_attempt(
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
