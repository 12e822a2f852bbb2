"""The scores a regrade changed: old and new results of each regraded student, side by side.

Reads ``OUT/regrades.json`` (who was regraded in the current round, and why) and, for each of those
students, ``results.previous.json`` (kept by the regrade) next to ``results.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nncourse.grading.regrade import PREVIOUS, read_manifest
from nncourse.grading.results import visible


@dataclass(frozen=True)
class LineChange:
    """One rubric line whose points differ (None: the line did not exist on that side)."""

    name: str
    old: float | None
    new: float | None


@dataclass(frozen=True)
class ScoreChange:
    """One regraded student whose score or rubric lines changed."""

    student: str
    old: float
    new: float
    max_score: float
    reasons: tuple[str, ...]
    lines: tuple[LineChange, ...]


@dataclass(frozen=True)
class Regrade:
    """The current regrade round: when it started, how many were regraded, whose scores changed."""

    started: str
    regraded: int
    changes: tuple[ScoreChange, ...]


def regrade_changes(out: Path, assignment: str) -> Regrade | None:
    """The round recorded in OUT for ``assignment``; None when OUT has no regrade."""
    manifest = read_manifest(out)
    if manifest.get("assignment") != assignment or not manifest.get("students"):
        return None
    changes = []
    for student, reasons in sorted(manifest["students"].items()):
        folder = out / student / assignment
        old, new = _read(folder / PREVIOUS), _read(folder / "results.json")
        if old is None or new is None:
            continue
        lines = _line_changes(old, new)
        if lines or old.get("score") != new.get("score"):
            changes.append(
                ScoreChange(
                    student=visible(student),
                    old=float(old.get("score", 0)),
                    new=float(new.get("score", 0)),
                    max_score=float(new.get("max_score", 0)),
                    reasons=tuple(visible(str(r)) for r in reasons),
                    lines=lines,
                )
            )
    return Regrade(
        started=visible(str(manifest.get("started", ""))),
        regraded=len(manifest["students"]),
        changes=tuple(changes),
    )


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _line_changes(old: dict, new: dict) -> tuple[LineChange, ...]:
    """Rubric lines (by title) whose points differ between two results."""

    def points(result: dict) -> dict[str, float]:
        return {
            visible(str(t.get("name", ""))): float(t.get("score", 0))
            for t in result.get("tests", [])
            if isinstance(t, dict)
        }

    before, after = points(old), points(new)
    names = list(after) + [name for name in before if name not in after]
    return tuple(
        LineChange(name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    )
