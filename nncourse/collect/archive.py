"""Read an LMS download (a zip, or a folder already unpacked) safely, without extracting it.

Nothing is written here: entries are listed with their name inside the download, and a notebook's
bytes are read only when it is collected, never more than the cap (a zip may lie about its sizes).
Entries that leave the download (``../``, absolute paths), symbolic links, archives inside students'
uploads and files that are not notebooks are refused with a reason; more entries than the cap stop
the whole collection before anything is written.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from nncourse.config import CollectLimits

ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar")
# Files an LMS or an OS adds next to the submissions; listed as ignored, never collected.
_LMS_EXTRAS = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class CollectError(ValueError):
    """The download cannot be collected at all (not a zip, too many entries, too large)."""


class TooLarge(ValueError):
    """One notebook is larger than the cap once uncompressed."""


@dataclass(frozen=True)
class Member:
    """A notebook inside the download: its path there (``/``-separated) and how to read it."""

    name: str
    size: int  # as declared (a zip can lie; reading enforces the cap)
    mtime: datetime | None  # the zip's or file system's modification time, naive
    reader: Callable[[int], bytes]  # reads at most n bytes

    def read(self, limit: int) -> bytes:
        """The bytes, or TooLarge when there are more than ``limit``."""
        if self.size > limit:
            raise TooLarge(
                f"{self.size / 2**20:.1f} MiB uncompressed (limit {limit / 2**20:.0f} MiB)"
            )
        data = self.reader(limit + 1)
        if len(data) > limit:
            raise TooLarge(
                f"more than {limit / 2**20:.0f} MiB uncompressed (the archive understates its size)"
            )
        return data


@dataclass(frozen=True)
class Refused:
    """An entry that is not collected, and why."""

    name: str
    reason: str


def read_download(
    path: Path, *, limits: CollectLimits = CollectLimits()
) -> tuple[list[Member], list[Refused]]:
    """The notebooks of a zip or folder, and every other entry with the reason it is not collected.

    Raises:
        CollectError: not a zip or a folder, a broken zip, or more entries than ``limits.files``.
    """
    if path.is_dir() and not path.is_symlink():
        return _from_folder(path, limits)
    if not path.is_file():
        raise CollectError(f"{path}: no such zip file or folder")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CollectError(
            f"{path} is not a zip file ({exc}); pass the LMS's download as it is, "
            "or the folder it was unpacked into"
        ) from None
    infos = archive.infolist()
    if len(infos) > limits.files:
        raise _too_many(path, f"{len(infos)} entries", limits.files)
    members, refused = [], []
    for info in infos:
        name = info.filename.replace("\\", "/")
        mode = info.external_attr >> 16
        if info.is_dir():
            continue
        problem = _name_problem(name) or (
            "a symbolic link: not followed" if stat.S_ISLNK(mode) else None
        )
        problem = problem or ("encrypted: cannot be read" if info.flag_bits & 0x1 else None)
        _sort(
            members,
            refused,
            problem,
            Member(
                name=name,
                size=info.file_size,
                mtime=datetime(*info.date_time),
                reader=lambda n, info=info: _read_zip(archive, info, n),
            ),
        )
    return members, refused


def _sort(members: list, refused: list, problem: str | None, member: Member) -> None:
    """Collect ``member``, or refuse it for ``problem`` or for its kind (not a notebook...)."""
    problem = problem or _kind_problem(member.name)
    if problem:
        refused.append(Refused(member.name, problem))
    else:
        members.append(member)


def _too_many(where: Path, count: str, limit: int) -> CollectError:
    return CollectError(
        f"{where} has {count} (limit {limit}): not an LMS download of one assignment? "
        "Nothing was collected."
    )


def _read_zip(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as handle:
            return handle.read(limit)
    except (
        zipfile.BadZipFile,
        OSError,
        RuntimeError,
        EOFError,
        ValueError,
    ) as exc:  # corrupt entry
        raise TooLarge(f"cannot be read from the zip ({type(exc).__name__}: {exc})") from None


def _from_folder(root: Path, limits: CollectLimits) -> tuple[list[Member], list[Refused]]:
    members, refused, count = [], [], 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        for entry in list(dirs):
            if os.path.islink(os.path.join(folder, entry)):
                dirs.remove(entry)
                refused.append(Refused(_rel(root, folder, entry), "a symbolic link: not followed"))
        for entry in files:
            count += 1
            if count > limits.files:
                raise _too_many(root, f"more than {limits.files} files", limits.files)
            full, name = os.path.join(folder, entry), _rel(root, folder, entry)
            info = os.lstat(full)
            problem = (
                "a symbolic link: not followed"
                if stat.S_ISLNK(info.st_mode)
                else None
                if stat.S_ISREG(info.st_mode)
                else "not a regular file"
            )
            _sort(
                members,
                refused,
                problem,
                Member(
                    name=name,
                    size=info.st_size,
                    mtime=datetime.fromtimestamp(info.st_mtime),
                    reader=lambda n, full=full: _read_file(full, n),
                ),
            )
    return members, refused


def _read_file(path: str, limit: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit)


def _rel(root: Path, folder: str, entry: str) -> str:
    return PurePosixPath(Path(os.path.relpath(os.path.join(folder, entry), root))).as_posix()


def _name_problem(name: str) -> str | None:
    parts = name.split("/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return "its path leaves the download (absolute or ../): not extracted"
    if any(ord(ch) < 32 for ch in name):
        return "its name has control characters: not extracted"
    return None


def _kind_problem(name: str) -> str | None:
    lower = name.lower()
    if any(part in name for part in _LMS_EXTRAS):
        return "ignored: a file the LMS or the operating system adds"
    if lower.endswith(ARCHIVE_SUFFIXES):
        return (
            "an archive inside a student's upload: not opened; the student should upload the "
            "notebook itself"
        )
    if not lower.endswith(".ipynb"):
        suffix = PurePosixPath(lower).suffix or "no extension"
        return f"not a notebook ({suffix}): not collected"
    return None
