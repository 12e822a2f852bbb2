"""`make demo`: release, build a small demo cohort, grade it into a SQLite gradebook, print the scores.

The cohort (``examples/submitted/<student>/<assignment>/``) is made of notebooks a student could
hand in, each written independently (the correct variants of ``tests/catalog/``, the instructor's
answer where a catalog has no other): ``solution`` (the instructor's answers), ``stub`` (the
untouched student version), ``half-done`` (the first half of the items answered), ``syntax-error``
(one answer does not parse), ``typical-mistake`` (one realistic bug per assignment, see
``MISTAKES``) and ``disguised-copy`` (typical-mistake's notebook with names changed, functions
reordered and comments added), which the report's "Similar submissions" lists first.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.layout import CourseLayout

# the demo runs from a checkout: its students' code is the catalog's (tests/catalog/, not installed)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from catalog.disguise import disguise, paste, solution_sources  # noqa: E402
from catalog.harness import load_module  # noqa: E402

STUDENTS = (
    "solution",
    "stub",
    "half-done",
    "syntax-error",
    "typical-mistake",
    "disguised-copy",
)

# assignment -> (graded item, regex to find in its solution, replacement, what a student did wrong)
MISTAKES: dict[str, tuple[str, str, str, str]] = {
    "01-gradient-descent": (
        "mse_gradient",
        r"grad_bcd = X\.T @ residual / n",
        "grad_bcd = X.T @ residual",
        "sum instead of mean for the slopes' gradient",
    ),
    "02-backpropagation": (
        "Linear",
        r"self\.grad_bias = grad_out\.sum\(axis=0\)",
        "self.grad_bias = grad_out.mean(axis=0)",
        "bias gradient averaged over the batch",
    ),
    "03-spiral": (
        "accuracy",
        r"probs\.reshape\(-1\) > threshold",
        "probs.reshape(-1) < threshold",
        "threshold comparison the wrong way round",
    ),
    "04-tensorboard": (
        "decision_boundary",
        r"gx, gy = np\.meshgrid\(xs, ys\)",
        "gy, gx = np.meshgrid(xs, ys)",
        "grid transposed (rows are x values)",
    ),
    "05-weight-init": (
        "kaiming_normal",
        r"fan = fan_in if mode == \"fan_in\" else fan_out",
        "fan = fan_in",
        "mode ignored: always fan_in",
    ),
}


def written_by(layout: CourseLayout, assignment: str, index: int) -> dict[str, str]:
    """grade_id -> source: the ``index``-th correct variant of each item in the assignment's catalog
    (cycling; the instructor's answer where the catalog has none)."""
    number, name = assignment.split("-", 1)
    catalog = load_module(
        layout.root / "tests" / "catalog" / f"{number}_{name.replace('-', '_')}.py",
        f"demo_catalog_{number}",
    )
    answers = solution_sources(layout.source_notebook(assignment))
    for item in answers:
        variants = [e["source"] for e in catalog.CORRECT if e["item"] == item]
        if variants:
            answers[item] = variants[index % len(variants)]
    return answers


def with_mistake(assignment: str, answers: dict[str, str], solution: dict[str, str]) -> None:
    """Put the assignment's typical mistake (``MISTAKES``) into ``answers``."""
    item, pattern, replacement, _ = MISTAKES[assignment]
    mistaken = re.sub(pattern, replacement, solution[item], count=1)
    if mistaken == solution[item]:
        raise ValueError(f"demo mistake for {assignment} no longer applies to {item}")
    answers[item] = mistaken


# each demo student's written answers (graded by a TA): the model answer, a short one, or left empty
WRITTEN = {
    "solution": None,  # the instructor's model answer
    "typical-mistake": "The network overfits the training data, so it needs more epochs and more "
    "features.",
    "syntax-error": "Outside the training region the network has seen no data, so its output there "
    "comes from the architecture alone.",
}


def with_written_answers(notebook: dict, source: dict, student: str) -> dict:
    """The notebook with ``student``'s written answers (none in WRITTEN: the released stub)."""
    models = {conventions.grade_id(c): c["source"] for c in conventions.written_cells(source)}
    for cell in conventions.written_cells(notebook):
        if student in WRITTEN:
            text = WRITTEN[student]
            cell["source"] = models[conventions.grade_id(cell)] if text is None else text
    return notebook


def build_cohort(layout: CourseLayout, destination: Path) -> list[str]:
    """Write the demo submissions; returns the student names."""
    if destination.exists():
        shutil.rmtree(destination)
    for assignment in layout.assignments():
        solution = solution_sources(layout.source_notebook(assignment))
        items = list(solution)
        half = written_by(layout, assignment, 0)
        broken = written_by(layout, assignment, 1)
        broken[items[-1]] = broken[items[-1]].replace("):", ")", 1)  # a missing colon
        mistake = written_by(layout, assignment, 2)
        with_mistake(assignment, mistake, solution)
        answers = {
            "solution": solution,
            "stub": {},
            "half-done": {item: half[item] for item in items[: len(items) // 2]},
            "syntax-error": broken,
            "typical-mistake": mistake,
            "disguised-copy": {item: disguise(source) for item, source in mistake.items()},
        }
        source = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
        for student in STUDENTS:
            path = destination / student / assignment / layout.notebook_name(assignment)
            paste(layout.release_notebook(assignment), answers[student], path)
            notebook = json.loads(path.read_text(encoding="utf-8"))
            notebook = with_written_answers(notebook, source, student)
            path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return list(STUDENTS)


def main() -> int:
    from nncourse.api import grade
    from nncourse.grading.console import eprint, score_table
    from nncourse.release.publish import release

    layout = CourseLayout.find()
    eprint("== releasing (nbgrader generate_assignment + executed solutions)")
    report = release(layout, progress=eprint)
    if not report.ok:
        for problem in report.problems:
            eprint(f"FAIL {problem}")
        return 1
    submitted = layout.root / "examples" / "submitted"
    graded = layout.root / "examples" / "graded"
    build_cohort(layout, submitted)
    eprint(f"== demo cohort in {submitted.relative_to(layout.root)}: {', '.join(STUDENTS)}")
    db_url = f"sqlite:///{graded / 'gradebook.db'}"
    graded.mkdir(parents=True, exist_ok=True)
    for assignment in layout.assignments():
        summary = grade(
            submitted,
            layout=layout,
            assignment=assignment,
            out=graded / assignment,
            jobs=2,
            db_url=db_url,
            progress=eprint,
        )
        print(f"\n{assignment}")
        print(score_table(summary.results))
    print(
        f"\nfeedback pages, grades.csv and report.html: {graded.relative_to(layout.root)}/<assignment>/; "
        f"gradebook: {graded.relative_to(layout.root)}/gradebook.db\n"
        "written answers (03, 05) wait for a TA: formgrader, or nbgrader's Gradebook API, then "
        f"nncourse report {graded.relative_to(layout.root)}/<assignment> (README: Written answers)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
