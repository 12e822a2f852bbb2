"""What a release changes in a student notebook: cells added, removed and changed, by cell id."""

from __future__ import annotations

import json
from pathlib import Path

from nncourse import notebook_conventions as conventions


def _cells(path: Path) -> dict[str, tuple[str, str]]:
    """cell id (else grade_id, else position) -> (cell type, source), in the notebook's order."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    keyed = {}
    for position, cell in enumerate(cells):
        key = cell.get("id") or conventions.grade_id(cell) or f"#{position}"
        keyed[str(key)] = (str(cell.get("cell_type")), conventions.source_text(cell))
    return keyed


def notebook_changes(committed: Path, built: Path) -> str:
    """One line: how the built notebook differs from the committed one ("new", "unchanged", or
    "1 cell added (demo-x); 2 cells changed (predict, md-03)")."""
    if not committed.is_file():
        return "new"
    old, new = _cells(committed), _cells(built)
    groups = (
        ("added", [k for k in new if k not in old]),
        ("changed", [k for k in new if k in old and old[k] != new[k]]),
        ("removed", [k for k in old if k not in new]),
    )
    parts = []
    for verb, keys in groups:
        if keys:
            shown = ", ".join(keys[:6]) + (f", … {len(keys) - 6} more" if len(keys) > 6 else "")
            parts.append(f"{len(keys)} {'cell' if len(keys) == 1 else 'cells'} {verb} ({shown})")
    if parts:
        return "; ".join(parts)
    same_bytes = committed.read_bytes() == built.read_bytes()
    return "unchanged" if same_bytes else "cells unchanged; metadata changed (cohort or format)"
