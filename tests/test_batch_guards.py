"""`nncourse grade` on a cohort with hostile folder names, symlinks, control characters and a forged channel.

One real batch (sandboxed, toy course) is graded once for the module; each test checks one guarantee.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import REPO, TOY, toy_notebook

from nncourse.api import grade
from nncourse.config import GradingLimits
from nncourse.grading.batch import read_journal
from nncourse.grading.console import format_result
from nncourse.grading.grader import TAMPERED
from nncourse.grading.grades_csv import csv_text
from nncourse.grading.results import SubmissionResult
from nncourse.layout import CourseLayout
from nncourse.sandbox.launcher import check_sandbox

FAST = GradingLimits(cells_seconds=8, call_seconds=3, test_seconds=10, job_seconds=40)
ESC = "\x1b[2J\x1b[3J\x1b[H"
FAKE_REPORT = ESC + "01-toy — trudy: 3 / 3 points (graded, 0.1 s)\n  PASS 3/3  double: everything"
HYPERLINK = '=HYPERLINK("http:"&CHAR(47)&CHAR(47)&"evil.example","x")'
OWN_FILES = ("journal.jsonl", "grades.csv", "report", "report.html", "gradebook.db", ".hidden")
UNSAFE = ("bad\x1b[2Jname", "back\\slash")
# A cell that writes a forged "cells ran" report straight into the worker's socket to the grader.
FORGE = r"""
import json, os, socket, struct
for _fd in range(3, 64):
    try:
        _s = socket.socket(fileno=os.dup(_fd))
    except OSError:
        continue
    if _s.family == socket.AF_UNIX:
        _payload = json.dumps({"type": "ready", "cells": "junk", "blobs": 0}).encode()
        try:
            _s.sendall(struct.pack(">I", len(_payload)) + _payload)
        except OSError:
            pass
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The cohort, graded once: (out, db path, summary, the rerun's summary, progress lines)."""
    tmp = tmp_path_factory.mktemp("guards")
    root = tmp / "toycourse"
    shutil.copytree(TOY, root)
    (root / ".venv").symlink_to(REPO / ".venv")
    (root / ".nncourse-secret").write_text("toy-secret")
    layout = CourseLayout(root)
    check_sandbox(layout.venv)
    sub, outside = tmp / "submitted", tmp / "elsewhere" / "01-toy"
    toy_notebook(outside / "toy.ipynb")  # full marks, but not in anyone's folder
    toy_notebook(sub / "alice" / "01-toy" / "toy.ipynb")
    (sub / "eve").symlink_to(sub / "alice")
    (sub / "mallory").mkdir()
    (sub / "mallory" / "01-toy").symlink_to(outside)
    (sub / "nina" / "01-toy").mkdir(parents=True)
    (sub / "nina" / "01-toy" / "toy.ipynb").symlink_to(outside / "toy.ipynb")
    for name in (*OWN_FILES, *UNSAFE, HYPERLINK, "@SUM(1+1)"):
        toy_notebook(sub / name / "01-toy" / "toy.ipynb")
    toy_notebook(sub / "-2+3" / "01-toy" / "toy.ipynb", body="    raise NotImplementedError()")
    toy_notebook(
        sub / "trudy" / "01-toy" / "toy.ipynb", body=f"    raise ValueError({FAKE_REPORT!r})\n"
    )
    toy_notebook(sub / "oscar" / "01-toy" / "toy.ipynb", extra_cells=[FORGE])
    # the gradebook inside OUT, next to a student of that name
    out, db = (tmp / "out", tmp / "out" / "gradebook.db")
    lines: list[str] = []
    first, again = (
        grade(
            sub,
            layout=layout,
            assignment="01-toy",
            out=out,
            jobs=2,
            limits=FAST,
            db_url=f"sqlite:///{db}",
            progress=lines.append,
        )
        for _ in range(2)  # the second run finds everything graded
    )
    return out, db, first, again, lines


def _result(out: Path, student: str) -> dict:
    return json.loads((out / student / "01-toy" / "results.json").read_text())


def _csv(out: Path) -> dict[str, dict]:
    return {
        row["student"]: row for row in csv.DictReader((out / "grades.csv").read_text().splitlines())
    }


def test_a_symlinked_student_folder_assignment_folder_or_notebook_is_an_error_and_never_followed(
    graded,
):
    out, _, first, _, _ = graded
    assert _result(out, "alice")["score"] == 3.0
    for student in ("eve", "mallory"):
        result = _result(out, student)
        assert (result["status"], result["score"]) == ("error", 0.0)
        assert (
            result["error"]
            == "not graded: the submission folder is a symbolic link; submit the notebook itself"
        )
    nina = _result(out, "nina")
    assert (nina["status"], nina["score"]) == (
        "error",
        0.0,
    ) and "toy.ipynb is a symbolic link" in nina["error"]
    assert len(first.results) == 17, "the batch went on past every symlink"


def test_a_student_folder_named_like_one_of_outs_own_files_is_recorded_as_an_error_and_the_batch_goes_on(
    graded,
):
    out, db, first, again, lines = graded
    assert (
        (out / "journal.jsonl").is_file()
        and (out / "grades.csv").is_file()
        and (out / "report.html").is_file()
    )
    assert (
        db.is_file() and not (out / ".hidden").exists() and not (out / "report" / "01-toy").exists()
    )
    rows = _csv(out)
    for name in OWN_FILES:
        assert rows[name]["status"] == "error" and rows[name]["score"] == "0", name
        assert f"the folder name '{name}'" in rows[name]["error"]
        assert any(
            line.startswith("[") and f"] {name}: not graded: the folder name" in line
            for line in lines
        )
    assert "reserved for the grader's own files" in rows[".hidden"]["error"]
    assert (again.graded, again.skipped) == (0, 17), (
        "a rerun records nobody twice and fails on nothing"
    )
    with sqlite3.connect(db) as connection:
        students = {row[0] for row in connection.execute("select id from student")}
    assert not students & set(OWN_FILES), "names that cannot be students stay out of the gradebook"


def test_a_student_folder_name_that_is_not_a_safe_file_name_is_an_error_shown_escaped(graded):
    out, _, _, _, lines = graded
    rows = _csv(out)
    assert "not a safe file name" in rows["bad\\x1b[2Jname"]["error"]
    assert "not a safe file name" in rows["back\\slash"]["error"]
    assert not any(path.name.startswith(("bad", "back")) for path in out.iterdir())
    assert not any("\x1b" in line for line in lines)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_get_an_apostrophe_and_the_gradebook_keeps_the_id(
    graded,
):
    out, db, _, _, _ = graded
    rows = _csv(out)
    assert rows["'" + HYPERLINK]["score"] == "3" and rows["'@SUM(1+1)"]["score"] == "3"
    assert rows["'-2+3"]["score"] == "0" and rows["alice"]["score"] == "3", "numbers stay numbers"
    assert _result(out, HYPERLINK)["student"] == HYPERLINK
    with sqlite3.connect(db) as connection:
        students = {row[0] for row in connection.execute("select id from student")}
    assert {HYPERLINK, "@SUM(1+1)", "-2+3"} <= students
    assert [csv_text(t) for t in ("=1+1", "+1", "@x", "\tx", " =x", "\uff1dx", "a=b", "")] == [
        "'=1+1",
        "'+1",
        "'@x",
        "'\tx",
        "' =x",
        "'\uff1dx",
        "a=b",
        "",
    ]


def test_control_characters_from_student_code_never_reach_results_csv_html_or_the_terminal(graded):
    out, _, _, _, _ = graded
    for path in (
        out / "trudy" / "01-toy" / "results.json",
        out / "trudy" / "01-toy" / "feedback.html",
        out / "report.html",
        out / "grades.csv",
        out / "journal.jsonl",
    ):
        assert "\x1b" not in path.read_text() and "\\u001b" not in path.read_text(), path.name
    result = _result(out, "trudy")
    assert all(t["output"].count("\\x1b[2J") == 1 for t in result["tests"])
    report = format_result(SubmissionResult.from_json(result))
    assert "\x1b" not in report and report.startswith("01-toy — trudy: 0 / 3 points")
    forged = [line for line in report.splitlines() if "PASS 3/3" in line]
    assert forged and all(line.lstrip().startswith("| ") for line in forged), (
        "a forged rubric line is marked"
    )


def test_a_forged_reply_on_the_workers_channel_is_the_submissions_error_and_is_not_retried(graded):
    out, _, _, again, _ = graded
    result = _result(out, "oscar")
    assert (result["status"], result["score"], result["error"]) == ("error", 0.0, TAMPERED)
    assert read_journal(out)["oscar"]["result"]["error"] == TAMPERED
    assert (
        sum(1 for line in (out / "journal.jsonl").read_text().splitlines() if '"oscar"' in line)
        == 1
    )
    assert again.graded == 0
