"""A notebook released to another cohort (a student retaking the course, an old download) is graded
as the cohort being graded, with a warning in the TA's progress line, grades.csv's review column and
the report's "For a TA's look", and a note on the student's page."""

from __future__ import annotations

import csv
import json

from conftest import toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.intake import OTHER_COHORT, read_notebook
from nncourse.report import build_report

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
A = "01-toy"


def _released_to(path, cohort: str | None):
    data = json.loads(path.read_text())
    data["metadata"]["nncourse"] = {"assignment": A, "cohort": cohort}
    path.write_text(json.dumps(data))
    return path


def test_intake_notes_a_notebook_of_another_cohort_and_only_that(tmp_path):
    old = _released_to(toy_notebook(tmp_path / "old" / "toy.ipynb"), "2025-fall")
    notes = read_notebook(old, max_bytes=2**20, cohort="2026-spring").notes
    assert notes[0] == (
        f"{OTHER_COHORT} (cohort '2025-fall'); it was graded with the tests and points of this run "
        "(cohort '2026-spring'). Ask your TA if you expected otherwise."
    )
    same = _released_to(toy_notebook(tmp_path / "same" / "toy.ipynb"), "2026-spring")
    unknown = _released_to(toy_notebook(tmp_path / "unknown" / "toy.ipynb"), None)
    for path in (same, unknown, old):
        cohort = None if path is old else "2026-spring"  # no cohort given: nothing to compare
        notes = read_notebook(path, max_bytes=2**20, cohort=cohort).notes
        assert not any(n.startswith(OTHER_COHORT) for n in notes), (path, notes)


def test_a_notebook_of_another_cohort_is_graded_with_a_warning_and_a_note(toy, tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    toy_notebook(submitted / "alice" / A / "toy.ipynb")
    _released_to(toy_notebook(submitted / "bob" / A / "toy.ipynb"), "last-year\x1b[2J")
    lines: list[str] = []
    summary = grade(
        submitted,
        layout=toy,
        assignment=A,
        out=out,
        jobs=1,
        limits=FAST,
        db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
        progress=lines.append,
    )
    scores = {r.student: r.score for r in summary.results}
    assert scores["alice"] == scores["bob"] > 0, (
        "the other cohort's notebook is graded all the same"
    )
    bob = next(line for line in lines if "] bob: " in line)
    assert bob.endswith(f"; warning: {OTHER_COHORT} (cohort 'last-year?[2J')")
    assert "warning" not in next(line for line in lines if "] alice: " in line)
    page = (out / "bob" / A / "feedback.html").read_text()
    assert "This notebook was released for another run of the course" in page
    assert "\x1b" not in page
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(newline=""))}
    assert rows["bob"]["review"].startswith(f"{OTHER_COHORT} (cohort 'last-year?[2J')"), rows["bob"]
    assert rows["alice"]["review"] == ""
    report = build_report(out, assignment=A).read_text(encoding="utf-8")
    looked_at = report.split("<h2 id=review>")[1].split("<h2")[0]
    assert "bob" in looked_at and "alice" not in looked_at and "last-year?[2J" in looked_at


def test_a_cohort_never_released_here_is_graded_with_a_warning(course, tmp_path):
    from nncourse.api import _warn_unknown_cohort
    from nncourse.grading.gradebook import GradebookTarget

    lines: list[str] = []
    typo = GradebookTarget(
        f"sqlite:///{tmp_path / 'gradebook-2026-sprnig.db'}", "nn-pytorch-2026-sprnig"
    )
    _warn_unknown_cohort(course, typo, progress=lines.append)
    assert lines == [
        "warning: cohort 2026-sprnig is not the released one (main, release/cohort.txt) and has no "
        "gradebook yet: gradebook-2026-sprnig.db is created (check --cohort's spelling)"
    ]
    (tmp_path / "gradebook-2026-sprnig.db").touch()  # graded before: a real earlier cohort
    released = GradebookTarget(f"sqlite:///{tmp_path / 'new.db'}", "nn-pytorch-main")
    for target in (typo, released):
        _warn_unknown_cohort(course, target, progress=lines.append)
    assert len(lines) == 1
