"""The code a student wrote, as one document per notebook, normalised for comparison.

Only text is handled here: a notebook is read with the grader's intake (size cap, strict UTF-8,
JSON with a recursion guard) and its cells are parsed with :mod:`ast`, which never runs them.
Kept: each graded item's solution cell and the student's own cells (no nbgrader metadata); left
out: given setup, demo and check cells. Normalised: comments and docstrings dropped, layout
rewritten by ``ast.unparse``, and the functions and classes of each part (and the methods of each
class) sorted by their shape with names blanked, so reordering or renaming them changes nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.grading.results import visible
from nncourse.intake import Cell, IntakeError, read_notebook

OWN_CELLS = "own cells"  # the part holding every cell the student added
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Part:
    """One compared part of a document: a graded item or the student's own cells."""

    name: str
    start: int  # character offsets in the document's text
    end: int


@dataclass(frozen=True)
class Document:
    """A student's compared code: the text (control characters made visible) and its parts."""

    student: str
    text: str
    parts: tuple[Part, ...]

    def parts_in(self, slices: list[tuple[int, int]]) -> list[str]:
        """Names of the parts that any of ``slices`` (start, end) overlaps, in document order."""
        return [p.name for p in self.parts if any(s < p.end and e > p.start for s, e in slices)]


@dataclass(frozen=True)
class Skipped:
    """A notebook left out of the comparison, and why: ``stub``, ``empty`` or ``unreadable``."""

    student: str
    reason: str
    detail: str = ""


def _shape(node: ast.AST) -> str:
    """A sort key that ignores every name and string: the node types and numbers only."""
    return " ".join(
        type(n).__name__
        + (repr(n.value) if isinstance(n, ast.Constant) and not isinstance(n.value, str) else "")
        for n in ast.walk(node)
    )


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:] or [ast.Pass()]
    return body


def _sorted_body(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements in order, then the definitions sorted by shape (classes' methods likewise)."""
    body = _strip_docstring(body)
    for node in body:
        if isinstance(node, _DEFS):
            node.body = (
                _sorted_body(node.body)
                if isinstance(node, ast.ClassDef)
                else _strip_docstring(node.body)
            )
    others = [node for node in body if not isinstance(node, _DEFS)]
    defs = sorted((node for node in body if isinstance(node, _DEFS)), key=_shape)
    return others + defs


def normalise(*sources: str) -> str:
    """Comparable code of one part: no comments or docstrings, canonical layout, definitions sorted.

    The sources (the part's cells) are merged before sorting, so moving a function to another cell
    changes nothing. A cell that does not parse (a syntax error, nesting too deep for the parser) is
    kept as it is, after the rest; the tokeniser drops its comments and layout all the same.
    """
    body: list[ast.stmt] = []
    raw: list[str] = []
    for source in sources:
        try:
            body += ast.parse(source).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raw.append(source.strip())
    try:
        code = ast.unparse(ast.Module(body=_sorted_body(body), type_ignores=[])).strip()
    except (ValueError, RecursionError, MemoryError):
        code, raw = "", [*sources]
    return "\n\n".join(part for part in [code, *raw] if part)


def _squash(source: str) -> str:
    return " ".join(source.split())


@dataclass(frozen=True)
class Given:
    """What the release notebook gives: its code (the boilerplate), each graded item's stub
    (normalised) and the grade_ids of its cells."""

    code: str
    stubs: dict[str, str]
    grade_ids: frozenset[str]


def given_code(release_notebook: Path, *, max_bytes: int) -> Given:
    """The release notebook's given code, stubs and cell ids."""
    cells = read_notebook(release_notebook, max_bytes=max_bytes).cells
    stubs = {c.grade_id: normalise(c.source) for c in cells if c.kind == "solution" and c.grade_id}
    return Given(
        code="\n\n".join(normalise(c.source) for c in cells),
        stubs=stubs,
        grade_ids=frozenset(c.grade_id for c in cells if c.grade_id),
    )


def _part(cell: Cell, given: Given) -> str | None:
    """The part a cell's code belongs to: its graded item, the own cells, or None (not compared).

    Given cells (a grade_id of the release) and cells the grader does not run (demos, checks) are
    not compared; a cell with any other grade_id is the student's own, whatever it claims to be.
    """
    if cell.kind == "solution" and cell.grade_id in given.stubs:
        return cell.grade_id
    if cell.grade_id in given.grade_ids or not conventions.runs_when_grading(cell.kind):
        return None
    return OWN_CELLS


def document(
    student: str, notebook: Path, *, given: Given, max_bytes: int, max_chars: int
) -> Document | Skipped:
    """The student's compared code, or why the notebook is left out.

    Items still equal to their stub are dropped; a notebook with nothing else is ``stub`` (or
    ``empty`` when no compared cell holds code at all).
    """
    try:
        cells = read_notebook(notebook, max_bytes=max_bytes).cells
    except IntakeError as exc:
        reason = "empty" if "no code cells" in str(exc) else "unreadable"
        return Skipped(student, reason, str(exc))
    sources: dict[str, list[str]] = {}
    budget = max_chars  # a huge notebook costs no more than a large one: the rest is not compared
    for cell in cells:
        name = _part(cell, given)
        if name is not None and cell.source.strip() and budget > 0:
            sources.setdefault(name, []).append(cell.source[:budget])
            budget -= len(cell.source)
    if not sources:
        return Skipped(student, "empty")
    chunks = {}
    for name, cell_sources in sources.items():
        code = normalise(*cell_sources)
        if code and not (name in given.stubs and _squash(code) == _squash(given.stubs[name])):
            chunks[name] = code  # an untouched stub is not the student's code
    if not chunks:
        return Skipped(student, "stub")
    return _assemble(student, chunks, max_chars=max_chars)


def _assemble(student: str, chunks: dict[str, str], *, max_chars: int) -> Document:
    """One text, a part per item (in notebook order) and the own cells last; control characters
    made visible so that the text can be shown as it was compared."""
    ordered = [name for name in chunks if name != OWN_CELLS] + (
        [OWN_CELLS] if OWN_CELLS in chunks else []
    )
    text, parts = "", []
    for name in ordered:
        code = visible(chunks[name])
        header = f"# ---- {visible(name)}\n"
        start = len(text) + len(header)
        text += header + code + "\n\n"
        parts.append(Part(name=visible(name), start=start, end=start + len(code)))
        if len(text) > max_chars:
            text = text[:max_chars]
            break
    return Document(student=student, text=text, parts=tuple(parts))
