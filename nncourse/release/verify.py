"""Proof that a release is sound: no solution or hidden-test text, every graded item a stub."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from nncourse import notebook_conventions as conventions

FORBIDDEN_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


_text = conventions.source_text


def _grade_id(cell: dict) -> str:
    return conventions.grade_id(cell) or ""


def solution_only_lines(source: Path) -> set[str]:
    """Lines of solution regions that appear nowhere else in the source notebook."""
    inside, outside = set(), set()
    for cell in _cells(source):
        text = _text(cell)
        for region in conventions.solution_regions(text):
            inside.update(line.strip() for line in region.splitlines())
        outside.update(line.strip() for line in conventions.without_solutions(text).splitlines())
    meaningful = {line for line in inside if len(line) >= 6 and not line.startswith("#")}
    return meaningful - outside


def graded_items(source: Path) -> list[str]:
    """grade_ids of the solution cells of a source notebook, in order."""
    return conventions.graded_items({"cells": _cells(source)})


def verify_student_version(source: Path, release: Path) -> list[str]:
    """Problems with one student notebook (empty list = sound)."""
    problems = []
    cells = _cells(release)
    text = "\n".join(_text(c) for c in cells)
    for marker in FORBIDDEN_MARKERS:
        if marker in text:
            problems.append(f"{release.name}: contains the marker {marker!r}")
    released_lines = {line.strip() for line in text.splitlines()}
    for line in sorted(solution_only_lines(source) & released_lines):
        problems.append(f"{release.name}: solution line leaked: {line[:60]!r}")
    by_id = {_grade_id(c): c for c in cells if _grade_id(c)}
    for item in graded_items(source):
        cell = by_id.get(item)
        if cell is None:
            problems.append(f"{release.name}: graded item {item!r} has no solution cell")
            continue
        problems += [f"{release.name}: {item}: {p}" for p in _stub_problems(_text(cell), item)]
    problems += _written_problems(source, cells, release.name)
    for cell in cells:
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            problems.append(f"{release.name}: cell {_grade_id(cell) or '?'} has stored outputs")
    return problems


def _written_problems(source: Path, cells: list[dict], name: str) -> list[str]:
    """Each written answer is released as nbgrader's stub, and no TA rubric is released."""
    problems = []
    by_id = {_grade_id(c): c for c in cells if _grade_id(c)}
    for cell in conventions.written_cells({"cells": _cells(source)}):
        item = _grade_id(cell)
        released = by_id.get(item)
        if released is None or not conventions.is_written(released):
            problems.append(f"{name}: written answer {item!r} has no answer cell")
        elif _text(released).strip() != conventions.ANSWER_STUB:
            problems.append(
                f"{name}: written answer {item!r} is not the stub (model answer leaked?)"
            )
    for cell in cells:
        if conventions.ta_rubric(cell):
            problems.append(f"{name}: cell {_grade_id(cell) or '?'} carries a TA rubric")
    return problems


def _stub_problems(code: str, item: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"stub is not valid Python ({exc.msg})"]
    defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    if item not in [n.name for n in defined]:
        return [f"the cell does not define {item}"]
    problems = []
    for node in defined:
        functions = (
            [node]
            if isinstance(node, ast.FunctionDef)
            else [f for f in node.body if isinstance(f, ast.FunctionDef)]
        )
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) is None:
            problems.append(f"{node.name} lost its docstring")
        for function in functions:
            if not conventions.is_stub_body(function.body):
                problems.append(
                    f"{node.name}.{function.name} is not a NotImplementedError stub"
                    if function is not node
                    else f"{node.name} is not a NotImplementedError stub"
                )
    return problems


def verify_release_folder(folder: Path, notebook_name: str) -> list[str]:
    """Only the notebook (and generated public checks) may be released."""
    allowed = {notebook_name, "checks"}
    return [
        f"{folder.name}: unexpected released file {p.name}"
        for p in folder.iterdir()
        if p.name not in allowed
    ]


def verify_solution(path: Path) -> list[str]:
    """A solution notebook has outputs and no error outputs."""
    cells = [c for c in _cells(path) if c.get("cell_type") == "code"]
    problems = []
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{path.name}: cell {_grade_id(cell) or '?'} has an error output")
    if cells and not any(c.get("outputs") for c in cells):
        problems.append(f"{path.name}: no outputs (was it executed?)")
    return problems
