"""Write the hostile set as a submitted folder in nbgrader's layout (SUBMITTED/<student>/01-toy/...)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hostile.cases import CONTROLS, CORRECT, Case

TOY = Path(__file__).resolve().parent.parent / "fixtures" / "toycourse"
TOY_NOTEBOOK = TOY / "source" / "01-toy" / "toy.ipynb"


def fill(text: str, context: dict) -> str:
    """Replace ``{{KEY}}`` placeholders with this run's values."""
    for key, value in context.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text


def toy_cells(
    *,
    body: str | None = None,
    cells: tuple[str, ...] = (),
    raw_cells: tuple[dict, ...] = (),
    comment: str = "",
) -> dict:
    """The toy source notebook with double's body replaced and cells inserted after the imports."""
    data = copy.deepcopy(json.loads(TOY_NOTEBOOK.read_text(encoding="utf-8")))
    data["cells"][1]["source"] = (
        "def double(x):\n" + (body if body is not None else CORRECT) + comment
    )
    new = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
        for src in cells
    ] + [copy.deepcopy(c) for c in raw_cells]
    data["cells"] = data["cells"][:1] + new + data["cells"][1:]
    for index, cell in enumerate(data["cells"]):
        cell["id"] = f"c{index}"
    return data


def write_case(case: Case, submitted: Path, context: dict) -> Path:
    """Write one case's files; returns the student's assignment folder."""
    context = dict(context, STUDENT=case.student)
    folder = submitted / case.student / "01-toy"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / case.filename
    if case.symlink_to is not None:
        target.symlink_to(fill(case.symlink_to, context))
    elif case.raw is not None:
        target.write_bytes(case.raw)
    else:
        data = toy_cells(
            body=None if case.body is None else fill(case.body, context),
            cells=tuple(fill(c, context) for c in case.cells),
            raw_cells=case.raw_cells,
        )
        target.write_text(json.dumps(data), encoding="utf-8")
    for name, content in case.extra_files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(fill(content, context), encoding="utf-8")
    return folder


def write_control(student: str, submitted: Path, marker: str) -> Path:
    """A correct submission carrying a private marker that must never show up in anyone's output."""
    folder = submitted / student / "01-toy"
    folder.mkdir(parents=True, exist_ok=True)
    data = toy_cells(comment=f"    # {marker}\n")
    (folder / "toy.ipynb").write_text(json.dumps(data), encoding="utf-8")
    return folder


def write_submissions(
    cases: tuple[Case, ...], submitted: Path, context: dict, token: str
) -> dict[str, str]:
    """The whole set plus the controls; returns each control's private marker."""
    for case in cases:
        write_case(case, submitted, context)
    markers = {}
    for student in CONTROLS:
        markers[student] = f"PRIVATE-{token}-{student}"
        write_control(student, submitted, markers[student])
    return markers
