"""An assignment's rubric, as its source notebook declares it (no torch, no pytest: the CLI reads it)."""

from __future__ import annotations

import json
from pathlib import Path

from nncourse import notebook_conventions as conventions


def rubric_points(notebook: Path) -> dict[str, float]:
    """Points of each graded item, from the grade cells (``test_<item>``) of a source notebook."""
    return conventions.rubric(json.loads(notebook.read_text(encoding="utf-8")))


def written_rubric(notebook: Path) -> dict[str, float]:
    """Points of each written answer a TA grades (``written_<name>`` cells) of a source notebook."""
    return conventions.written_rubric(json.loads(notebook.read_text(encoding="utf-8")))
