"""A synthetic cohort for the benchmark, made from the course's own notebooks.

Every submission is the committed student version (``release/<id>/``) with answers pasted in the
way ``make demo`` does it (:func:`nncourse.notebook_conventions.answered`). A cycle of ten students repeats:

=====  ==================  ==========================================================
index  kind                what the student did
=====  ==================  ==========================================================
0      correct             every item answered with the instructor's solution
1      stub                one item left as the stub (``raise NotImplementedError()``)
2      correct
3      bug                 one item with a simple, realistic bug (``BUGS``)
4      correct
5      slow                correct, plus an own cell that sleeps 1.5 s (odd cycles: a
                           pure-Python loop of about a second)
6      correct
7      two-stubs           two items left as stubs
8      correct
9      correct
=====  ==================  ==========================================================

so any multiple of ten students has the same mix (60 % correct, 30 % wrong, 10 % slow). Which item
is stubbed or bugged rotates with the cycle.

Problem notebooks (:func:`build_problems`) are graded apart, so the figures above stay comparable:
correct answers except one graded function or method (``PROBLEMS``) that never returns (``loop``: a
``while`` whose condition never changes) or crashes the interpreter (``crash``: a recursion with no
base case through ``functools.lru_cache``, after ``sys.setrecursionlimit(10**6)``, overflows the C
stack). The kind alternates by assignment.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.layout import CourseLayout

CYCLE = (
    "correct",
    "stub",
    "correct",
    "bug",
    "correct",
    "slow",
    "correct",
    "two-stubs",
    "correct",
    "correct",
)

# assignment -> [(item, regex in its solution, replacement, what the student got wrong)]
BUGS: dict[str, list[tuple[str, str, str, str]]] = {
    "01-gradient-descent": [
        (
            "mse_gradient",
            r"grad_bcd = X\.T @ residual / n",
            "grad_bcd = X.T @ residual",
            "slopes' gradient not divided by n",
        ),
        (
            "fit_autograd",
            r"theta\.grad = None[^\n]*",
            "pass",
            "gradient never reset between epochs",
        ),
    ],
    "02-backpropagation": [
        (
            "Linear",
            r"self\.grad_bias = grad_out\.sum\(axis=0\)",
            "self.grad_bias = grad_out.mean(axis=0)",
            "bias gradient averaged instead of summed",
        ),
        ("bce_grad", r"\) / p\.size", ")", "gradient not divided by the batch size"),
    ],
    "03-spiral": [
        ("Trainer", r"self\.optimizer\.zero_grad\(\)", "pass", "gradients never zeroed"),
        ("polar_features", r"psi = phi \+ r", "psi = phi", "angle not unwound by the radius"),
    ],
    "04-tensorboard": [
        (
            "decision_boundary",
            r"torch\.sigmoid\(model\(grid\)\)",
            "model(grid)",
            "returns logits, not probabilities",
        ),
        (
            "train_with_logging",
            r'writer\.add_scalar\("loss/valid", valid_loss, epoch\)',
            'writer.add_scalar("loss/valid", train_loss, epoch)',
            "logs the training loss as validation loss",
        ),
    ],
    "05-weight-init": [
        (
            "xavier_uniform",
            r"math\.sqrt\(3\.0\) \* std",
            "std",
            "uses the std as the uniform bound",
        ),
        ("calculate_gain", r"return 5\.0 / 3\.0", "return 1.0", "tanh gain of 1"),
    ],
}

SLOW_CELLS = (
    "# my own check, left in by mistake\nimport time\ntime.sleep(1.5)\n",
    "# my own experiment: a slow pure-Python loop\ntotal = 0\nfor i in range(4_000_000):\n    total += i * i\n",
)


PROBLEM_KINDS = ("loop", "crash")
# assignment -> the function or method (qualified name in its solution cell) the problem goes into
PROBLEMS: dict[str, str] = {
    "01-gradient-descent": "mse_gradient",
    "02-backpropagation": "Linear.backward",
    "03-spiral": "Trainer.fit",
    "04-tensorboard": "decision_boundary",
    "05-weight-init": "calculate_gain",
}
PROBLEM_CODE = {
    "loop": (
        "converged, step = False, 0\n"
        "while not converged:  # never set to True: an endless loop\n"
        "    step += 1\n"
    ),
    "crash": (
        "import functools\n"
        "import sys\n"
        "sys.setrecursionlimit(10**6)  # raised to get past a RecursionError\n"
        "\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def _depth(k):  # no base case\n"
        "    return _depth(k + 1) + 1\n"
        "\n"
        "_depth(0)\n"
    ),
}


@dataclass(frozen=True)
class Student:
    name: str
    kind: str
    detail: str


def _stub(notebook: dict, release: dict, items: set[str]) -> None:
    """Put the release's stub back into the given items."""
    stubs = {conventions.grade_id(c): c["source"] for c in conventions.solution_cells(release)}
    for cell in conventions.solution_cells(notebook):
        if conventions.grade_id(cell) in items:
            cell["source"] = stubs[conventions.grade_id(cell)]


def _bug(notebook: dict, assignment: str, cycle: int) -> tuple[str, str] | None:
    """Apply one of the assignment's bugs; None when none applies (the solution changed)."""
    bugs = BUGS.get(assignment, [])
    for offset in range(len(bugs)):
        item, pattern, replacement, what = bugs[(cycle + offset) % len(bugs)]
        for cell in conventions.solution_cells(notebook):
            if conventions.grade_id(cell) == item:
                new = re.sub(pattern, replacement, conventions.source_text(cell), count=1)
                if new != conventions.source_text(cell):
                    cell["source"] = new
                    return item, what
    return None


def _student_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def build(
    layout: CourseLayout, assignment: str, count: int, submitted: Path
) -> tuple[list[Student], list[str]]:
    """Write ``count`` submissions to ``SUBMITTED/<student>/<assignment>/<notebook>``.

    Returns:
        The students (in order) and notes about bugs that no longer apply.
    """
    release = json.loads(layout.release_notebook(assignment).read_text(encoding="utf-8"))
    instructor = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
    items = conventions.graded_items(instructor)
    students, notes = [], []
    for index in range(count):
        kind, cycle = CYCLE[index % len(CYCLE)], index // len(CYCLE)
        notebook = conventions.answered(release, instructor, None)
        detail = ""
        if kind == "stub":
            item = items[cycle % len(items)]
            _stub(notebook, release, {item})
            detail = f"{item} left as stub"
        elif kind == "two-stubs":
            chosen = {items[(cycle + 1) % len(items)], items[(cycle + 2) % len(items)]}
            _stub(notebook, release, chosen)
            detail = " and ".join(sorted(chosen)) + " left as stubs"
        elif kind == "bug":
            applied = _bug(notebook, assignment, cycle)
            if applied is None:
                item = items[-1 - cycle % len(items)]
                _stub(notebook, release, {item})
                notes.append(
                    f"{assignment}: no bug of BUGS applies any more; student {index} has {item} as a stub"
                )
                detail = f"{item} left as stub (no bug applies)"
            else:
                detail = f"{applied[0]}: {applied[1]}"
        elif kind == "slow":
            source = SLOW_CELLS[cycle % len(SLOW_CELLS)]
            notebook["cells"].append(_student_cell(source))
            detail = (
                "sleeps 1.5 s in an own cell"
                if "sleep" in source
                else "slow pure-Python loop in an own cell"
            )
        name = f"s{index:03d}-{kind}"
        path = submitted / name / assignment / layout.notebook_name(assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
        students.append(Student(name, kind, detail))
    return students, notes


def insert_into(source: str, qualname: str, code: str) -> str | None:
    """``source`` with ``code`` put at the start of the body of function or method ``qualname``
    (after its docstring); None when the cell has no such function."""
    node, body = ast.parse(source), None
    for part in qualname.split("."):
        scope = body if body is not None else node.body
        found = [
            n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part
        ]
        if not found:
            return None
        body = found[0].body
    first = (
        body[1]
        if len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(getattr(body[0], "value", None), ast.Constant)
        else body[0]
    )
    lines = source.splitlines(keepends=True)
    indent = " " * first.col_offset
    block = "".join(
        indent + line if line.strip() else line for line in code.splitlines(keepends=True)
    )
    return "".join(lines[: first.lineno - 1]) + block + "".join(lines[first.lineno - 1 :])


def problem_kind(layout: CourseLayout, assignment: str) -> str:
    """The kind of problem notebook an assignment gets: it alternates in the course's order."""
    return PROBLEM_KINDS[layout.assignments().index(assignment) % len(PROBLEM_KINDS)]


def build_problems(
    layout: CourseLayout, assignment: str, count: int, submitted: Path, *, kind: str | None = None
) -> list[Student]:
    """Write ``count`` problem notebooks (students ``p<index>-<kind>``); none when ``PROBLEMS``
    names no target for the assignment or the target is gone from its solution."""
    kind = kind or problem_kind(layout, assignment)
    target = PROBLEMS.get(assignment)
    release = json.loads(layout.release_notebook(assignment).read_text(encoding="utf-8"))
    instructor = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
    students = []
    for index in range(count if target else 0):
        notebook = conventions.answered(release, instructor, None)
        for cell in conventions.solution_cells(notebook):
            changed = insert_into(conventions.source_text(cell), target, PROBLEM_CODE[kind])
            if changed is not None:
                cell["source"] = changed
                break
        else:
            return []
        name = f"p{index:03d}-{kind}"
        path = submitted / name / assignment / layout.notebook_name(assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
        what = (
            "never returns (endless loop)"
            if kind == "loop"
            else "crashes the interpreter (C-stack overflow)"
        )
        students.append(Student(name, kind, f"{target} {what}"))
    return students


def copy_subset(
    submitted: Path,
    assignment: str,
    students: list[Student],
    destination: Path,
    *,
    timestamp: str = "2026-01-15 12:00:00.000000 UTC",
) -> None:
    """Copy the given students' submissions into an nbgrader ``submitted/`` folder (with timestamp.txt)."""
    for student in students:
        source = submitted / student.name / assignment
        target = destination / student.name / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        (target / "timestamp.txt").write_text(timestamp, encoding="utf-8")
