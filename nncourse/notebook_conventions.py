"""The course's notebook conventions, written once (as nbgrader's ``utils.py`` does for its own).

A source notebook's code cells carry nbgrader metadata (``schema_version`` 3); the ``grade_id``
says what a cell is (``docs/authoring.md``):

=================  ==================  ===========================================================
grade_id           kind                role
=================  ==================  ===========================================================
``setup_<name>``   ``setup``           given code (imports, helpers); runs when grading
``<item>``         ``solution``        one graded item; its body between the solution markers
``test_<item>``    ``check``           public checks of ``<item>``; ``points`` = the item's points
``demo_<name>``    ``demo``            plots, training runs; not run when grading
``written_<name>`` ``written``         a markdown answer a TA grades (``points``; never run)
(none)             ``student``         a student's own cell; runs when grading
=================  ==================  ===========================================================

A written answer cell is nbgrader's "manually graded answer": markdown, ``grade: true``,
``solution: true``, ``task: false``, ``locked: false``, with ``points``. Its whole source is the model
answer (the release replaces it with "YOUR ANSWER HERE"); its TA rubric is a list of lines in the
cell's ``metadata.nncourse.rubric``, which the release strips.

Every helper here reads untrusted JSON safely: a missing or malformed field is "absent", never
an exception.
"""

from __future__ import annotations

import ast
import copy
import re

SCHEMA_VERSION = 3
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError()"
DEMO, CHECK, SETUP, WRITTEN = "demo_", "test_", "setup_", "written_"
ANSWER_STUB = "YOUR ANSWER HERE"  # nbgrader's text stub (nbgrader_config.py)
NOT_GRADED = (
    "demo",
    "check",
    "written",
)  # kinds the grader does not run (the hidden tests decide instead)

# one region: the BEGIN line (with its indentation), the body, the END line (without its newline)
_REGION = re.compile(
    rf"^(?P<indent>[ \t]*){BEGIN_SOLUTION}[^\n]*\n(?P<body>.*?)"
    rf"^[ \t]*{END_SOLUTION}[^\n]*$",
    re.S | re.M,
)


# ---------------------------------------------------------------------------------- cell metadata
def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def nbgrader(cell: object) -> dict:
    """A cell's nbgrader metadata ({} when absent or malformed)."""
    return _dict(_dict(_dict(cell).get("metadata")).get("nbgrader"))


def grade_id(cell: object) -> str | None:
    """A cell's nbgrader grade_id, or None."""
    value = nbgrader(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_code(cell: object) -> bool:
    return _dict(cell).get("cell_type") == "code"


def is_solution(cell: object) -> bool:
    """A cell the student edits (nbgrader ``solution: true``)."""
    return nbgrader(cell).get("solution") is True


def is_grade(cell: object) -> bool:
    """An nbgrader grade cell (here: the public checks of one item)."""
    return nbgrader(cell).get("grade") is True


def is_locked(cell: object) -> bool:
    """A cell the student may not edit (given code, demos, checks)."""
    return nbgrader(cell).get("locked") is True


def source_text(cell: object) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = _dict(cell).get("source", "")
    if isinstance(source, list):  # a malformed list (a number in it) is absent, not an exception
        return "".join(source) if all(isinstance(s, str) for s in source) else ""
    return source if isinstance(source, str) else ""


def locked_metadata(cell_id: str) -> dict:
    """Metadata of a locked, ungraded cell that the release adds (e.g. otter's init cell)."""
    return {
        "deletable": False,
        "editable": False,
        "nbgrader": {
            "grade": False,
            "solution": False,
            "locked": True,
            "task": False,
            "grade_id": cell_id,
            "schema_version": SCHEMA_VERSION,
        },
    }


def cell_name(index: int) -> str:
    """How messages name a notebook cell: counted from 1 at the top of the notebook, markdown cells
    included, as a student counts them on the screen (``index`` is the position, from 0)."""
    return f"cell {index + 1}"


# ------------------------------------------------------------------------------------ cell kinds
def kind_of(cell_id: str | None) -> str:
    """The kind a grade_id names: student, demo, check, setup or solution."""
    if cell_id is None:
        return "student"
    if cell_id.startswith(DEMO):
        return "demo"
    if cell_id.startswith(CHECK):
        return "check"
    if cell_id.startswith(SETUP):
        return "setup"
    if cell_id.startswith(WRITTEN):
        return "written"
    return "solution"


def cell_kind(cell: object) -> str:
    """The kind of a notebook cell, by its grade_id."""
    return kind_of(grade_id(cell))


def runs_when_grading(kind: str) -> bool:
    """Whether the grader runs a cell of this kind (demos and public checks it does not)."""
    return kind not in NOT_GRADED


def check_id(item: str) -> str:
    """The grade_id of an item's public-check cell."""
    return CHECK + item


def checked_item(cell_id: str | None) -> str | None:
    """The item a check cell's grade_id names (``test_Linear`` -> ``Linear``), else None."""
    return cell_id.removeprefix(CHECK) if cell_id and cell_id.startswith(CHECK) else None


# ------------------------------------------------------------------------------------- notebooks
def course_metadata(notebook: dict) -> dict:
    """The release's provenance in a notebook's metadata (``nncourse``: assignment, cohort, ...)."""
    return _dict(_dict(_dict(notebook).get("metadata")).get("nncourse"))


def code_cells(notebook: dict) -> list[dict]:
    return [c for c in _dict(notebook).get("cells", []) if is_code(c)]


def solution_cells(notebook: dict) -> list[dict]:
    """The code cells a student edits (one graded item each), in order; written answers aside."""
    return [c for c in _dict(notebook).get("cells", []) if is_solution(c) and is_code(c)]


def is_written(cell: object) -> bool:
    """A written answer cell: markdown, graded by a TA (grade and solution, ``written_<name>``)."""
    return (
        _dict(cell).get("cell_type") == "markdown"
        and is_grade(cell)
        and is_solution(cell)
        and kind_of(grade_id(cell)) == "written"
    )


def written_cells(notebook: dict) -> list[dict]:
    """The written answer cells, in order."""
    return [c for c in _dict(notebook).get("cells", []) if is_written(c)]


def written_rubric(notebook: dict) -> dict[str, float]:
    """Points of each written answer (graded by a TA), in the notebook's order."""
    return {grade_id(c): float(nbgrader(c).get("points", 0)) for c in written_cells(notebook)}


def ta_rubric(cell: object) -> list[str]:
    """The TA's rubric lines of a written answer cell (``metadata.nncourse.rubric``)."""
    lines = _dict(_dict(_dict(cell).get("metadata")).get("nncourse")).get("rubric")
    return [line for line in lines if isinstance(line, str)] if isinstance(lines, list) else []


def is_unanswered(text: str) -> bool:
    """A written answer left as released (the stub) or blank."""
    return text.replace(ANSWER_STUB, "").strip() == ""


def graded_items(notebook: dict) -> list[str]:
    """The graded items (grade_ids of the solution cells), in the notebook's order."""
    return [grade_id(c) for c in solution_cells(notebook) if grade_id(c)]


def rubric(notebook: dict) -> dict[str, float]:
    """Points of each graded item, from the check cells (``test_<item>``, ``points``), in order."""
    points = {}
    for cell in _dict(notebook).get("cells", []):
        item = checked_item(grade_id(cell))
        if is_grade(cell) and item:
            points[item] = float(nbgrader(cell).get("points", 0))
    return points


def public_checks(notebook: dict) -> dict[str, str]:
    """grade_id (``test_<item>``) -> the source of each public-check cell of a source notebook."""
    return {
        grade_id(c): source_text(c)
        for c in _dict(notebook).get("cells", [])
        if is_grade(c) and checked_item(grade_id(c))
    }


def by_grade_id(notebook: dict) -> dict[str, dict]:
    """grade_id -> cell, for the cells that have one."""
    return {grade_id(c): c for c in _dict(notebook).get("cells", []) if grade_id(c)}


# ------------------------------------------------------------------------------ solution regions
def solution_regions(source: str) -> list[str]:
    """The bodies between the solution markers of a cell's source."""
    return [match.group("body") for match in _REGION.finditer(source)]


def without_solutions(source: str) -> str:
    """The source with every solution region (markers included) removed."""
    return _REGION.sub("", source)


def unmarked(source: str) -> str:
    """The instructor's answer as a student would write it: markers gone, bodies kept."""
    return _REGION.sub(lambda m: m.group("body").removesuffix("\n"), source)


def stubbed(source: str) -> str:
    """The source with every solution region replaced by the release's ``raise NotImplementedError()``."""
    return _REGION.sub(lambda m: f"{m.group('indent')}{STUB}", source)


def is_stub_body(body: list[ast.stmt]) -> bool:
    """A function body that (besides its docstring) only raises NotImplementedError."""
    statements = [
        s
        for s in body
        if not (
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Constant)
            and isinstance(s.value.value, str)
        )
    ]
    if len(statements) != 1 or not isinstance(statements[0], ast.Raise):
        return False
    exc = statements[0].exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def answered(student: dict, source: dict, items: set[str] | None = None) -> dict:
    """A copy of a student notebook with the source's answers (unmarked) in the chosen items.

    Args:
        student: the released notebook.
        source: the instructor's notebook.
        items: graded items to answer; None answers all.
    """
    result = copy.deepcopy(student)
    answers = {grade_id(c): source_text(c) for c in solution_cells(source)}
    for cell in solution_cells(result):
        item = grade_id(cell)
        if items is None or item in items:
            cell["source"] = unmarked(answers[item])
    return result
