"""Student folder names that would forge a row or pass for another student are refused.

Refused: Unicode categories Cc, Cf, Cs, Zl and Zp, and any space other than U+0020. Names that read
the
same after NFKC normalisation and case folding are both recorded as errors with the reason.
"""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from conftest import toy_notebook

from nncourse.grading.batch import find_submissions, name_problem
from nncourse.grading.names import escaped, identity

FORGED = "mallory\nalice                 3 of 3 graded"  # a newline forges a row of the score table
ZERO_WIDTH = "ali\u200bce"  # looks exactly like alice
ANGSTROM, A_RING = "\u212bngstr\u00f6m", "\u00c5ngstr\u00f6m"  # the same name after NFKC


@pytest.mark.parametrize(
    "name",
    [
        FORGED,
        ZERO_WIDTH,
        "bob\u00a0smith",
        "eve\u2028",
        "eve\u2029x",
        "\u202eevil",
        "soft\u00adhyphen",
        "ideo\u3000space",
        "tab\there",
        "bom\ufeff",
    ],
)
def test_a_name_with_an_invisible_or_control_character_or_an_unusual_space_is_refused(name):
    problem = name_problem(name)
    assert problem is not None, f"{name!r} was accepted"
    assert "\n" not in problem and "\u200b" not in problem and "\u2028" not in problem


@pytest.mark.parametrize(
    "name", ["alice", "Bob Smith", "m\u00fcller", "\u674e\u96f7", "o'neil", "anna-lena_2"]
)
def test_ordinary_names_with_letters_digits_punctuation_and_plain_spaces_are_accepted(name):
    assert name_problem(name) is None


def test_names_that_differ_only_by_case_or_unicode_form_read_the_same():
    assert identity("ALICE") == identity("alice") == identity("\uff41lice")  # fullwidth a
    assert identity(ANGSTROM) == identity(A_RING)
    assert identity("alice") != identity("alicia")
    assert escaped(FORGED) == "mallory\\nalice                 3 of 3 graded"


def test_colliding_names_are_both_errors_with_the_reason_and_refused_names_are_not_students(
    tmp_path,
):
    sub = tmp_path / "submitted"
    for name in ("alice", "Carol", "carol", ANGSTROM, A_RING, FORGED, ZERO_WIDTH):
        toy_notebook(sub / name / "01-toy" / "toy.ipynb")
    found = {s.student: s for s in find_submissions(sub, "01-toy", "toy.ipynb")}
    assert found["alice"].notebook is not None and found["alice"].note == ""
    for name, other in (
        ("Carol", "carol"),
        ("carol", "Carol"),
        (ANGSTROM, A_RING),
        (A_RING, ANGSTROM),
    ):
        assert found[name].notebook is None, f"{name} was graded although it collides with {other}"
        assert (
            f"reads the same as '{other}'" in found[name].note
            and "neither is graded" in found[name].note
        )
    for raw in (FORGED, ZERO_WIDTH):
        entry = found[escaped(raw)]
        assert entry.notebook is None and not entry.recordable
    assert all("\n" not in s.student and "\u200b" not in s.student for s in found.values())


def test_a_batch_records_forged_and_look_alike_names_as_errors_without_forging_any_row(tmp_path):
    import shutil

    from conftest import REPO, TOY

    from nncourse.api import grade
    from nncourse.grading.console import score_table
    from nncourse.layout import CourseLayout
    from nncourse.sandbox.launcher import check_sandbox

    root = tmp_path / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    layout = CourseLayout(root)
    check_sandbox(layout.venv)
    sub, out = tmp_path / "submitted", tmp_path / "out"
    toy_notebook(sub / "alice" / "01-toy" / "toy.ipynb", body="    raise NotImplementedError()\n")
    for name in (FORGED, ZERO_WIDTH, "Dave", "dave"):
        toy_notebook(sub / name / "01-toy" / "toy.ipynb")
    lines: list[str] = []
    db = tmp_path / "gradebook.db"
    summary = grade(
        sub,
        layout=layout,
        assignment="01-toy",
        out=out,
        jobs=1,
        db_url=f"sqlite:///{db}",
        progress=lines.append,
    )
    table = [line for line in score_table(summary.results).splitlines() if line.startswith("alice")]
    assert len(table) == 1 and "0/3" in table[0], table
    assert not any(line.startswith("alice") for text in lines for line in text.splitlines()), lines
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert [r["student"] for r in rows if r["student"] == "alice"] == ["alice"]
    assert {r["student"]: r["score"] for r in rows}["alice"] == "0"
    by_name = {r["student"]: r for r in rows}
    assert (
        by_name[escaped(ZERO_WIDTH)]["status"] == "error"
        and "U+200B" in by_name[escaped(ZERO_WIDTH)]["error"]
    )
    assert (
        by_name[escaped(FORGED)]["status"] == "error"
        and "U+000A" in by_name[escaped(FORGED)]["error"]
    )
    for name in ("Dave", "dave"):
        assert by_name[name]["status"] == "error" and "reads the same as" in by_name[name]["error"]
    with sqlite3.connect(db) as connection:
        students = sorted(row[0] for row in connection.execute("select id from student"))
    assert students == ["Dave", "alice", "dave"], "no forged or look-alike student in the gradebook"
    journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    assert sorted(r["student"] for r in journal) == sorted(
        ["alice", "Dave", "dave", escaped(FORGED), escaped(ZERO_WIDTH)]
    )
