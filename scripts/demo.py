"""`make demo`: release, build a small demo cohort, grade it into a SQLite gradebook, print the scores.

The cohort (``examples/submitted/<student>/<assignment>/``) is made from the course itself:
``solution`` (the instructor's answers), ``stub`` (the untouched student version), ``half-done``
(the first half of the items answered), ``syntax-error`` (one answer does not parse) and
``typical-mistake`` (one realistic bug per assignment, see ``MISTAKES``).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from nncourse import notebook_conventions as conventions
from nncourse.layout import CourseLayout

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


def answered(layout: CourseLayout, assignment: str, items: set[str] | None) -> dict:
    """The student version with the instructor's answers pasted into the chosen items (all if None)."""
    student = json.loads(layout.release_notebook(assignment).read_text(encoding="utf-8"))
    source = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
    return conventions.answered(student, source, items)


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
    students = ["solution", "stub", "half-done", "syntax-error", "typical-mistake"]
    for assignment in layout.assignments():
        items = conventions.graded_items(json.loads(layout.source_notebook(assignment).read_text()))
        notebooks = {
            "solution": answered(layout, assignment, None),
            "stub": json.loads(layout.release_notebook(assignment).read_text(encoding="utf-8")),
            "half-done": answered(layout, assignment, set(items[: len(items) // 2])),
        }
        broken = answered(layout, assignment, None)
        cell = conventions.solution_cells(broken)[-1]
        cell["source"] = conventions.source_text(cell).replace("):", ")", 1)  # a missing colon
        notebooks["syntax-error"] = broken
        mistake = answered(layout, assignment, None)
        if assignment in MISTAKES:
            item, pattern, replacement, _ = MISTAKES[assignment]
            for cell in conventions.solution_cells(mistake):
                if conventions.grade_id(cell) == item:
                    new = re.sub(pattern, replacement, conventions.source_text(cell), count=1)
                    if new == conventions.source_text(cell):
                        raise ValueError(
                            f"demo mistake for {assignment} no longer applies to {item}"
                        )
                    cell["source"] = new
        notebooks["typical-mistake"] = mistake
        source = json.loads(layout.source_notebook(assignment).read_text(encoding="utf-8"))
        for student, notebook in notebooks.items():
            notebook = with_written_answers(notebook, source, student)
            path = destination / student / assignment / layout.notebook_name(assignment)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return students


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
    eprint(
        f"== demo cohort in {submitted.relative_to(layout.root)}: solution, stub, half-done, "
        "syntax-error, typical-mistake"
    )
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
