"""The reference solution, taken from the instructor's source notebook (trusted side only)."""

from __future__ import annotations

import json
import types
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.intake import neutralise_magics


def load_reference(notebook: Path, *, name: str) -> types.ModuleType:
    """Execute the setup and solution cells of a source notebook into a fresh module.

    The solution markers are comments, so the instructor's cells run as they are; demo and check
    cells are left out. The module is what hidden tests compare against.
    """
    data = json.loads(notebook.read_text(encoding="utf-8"))
    module = types.ModuleType(name)
    module.__dict__["display"] = lambda *args, **kwargs: None
    for index, cell in enumerate(data["cells"]):
        if not conventions.is_code(cell) or not conventions.runs_when_grading(
            conventions.cell_kind(cell)
        ):
            continue
        source, _ = neutralise_magics(conventions.source_text(cell))
        exec(compile(source, f"<reference {notebook.name} cell {index}>", "exec"), module.__dict__)
    return module
