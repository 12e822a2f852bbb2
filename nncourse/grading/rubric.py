"""An assignment's rubric, as its source notebook declares it (no torch, no pytest: the CLI reads it)."""

from __future__ import annotations

import json
from pathlib import Path


def rubric_points(notebook: Path) -> dict[str, float]:
    """Points of each graded item, from the grade cells (``test_<item>``) of a source notebook."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    points = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id", "").startswith("test_"):
            points[meta["grade_id"].removeprefix("test_")] = float(meta.get("points", 0))
    return points
