"""The reference solution, taken from the instructor's source notebook (trusted side only)."""

from __future__ import annotations

import json
import types
from pathlib import Path

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
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] != "code" or grade_id.startswith(("demo_", "test_")):
            continue
        source, _ = neutralise_magics("".join(cell["source"]))
        exec(compile(source, f"<reference {notebook.name} cell {index}>", "exec"), module.__dict__)
    return module
