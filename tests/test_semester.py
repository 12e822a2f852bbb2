"""The README's "From the LMS and back" loop, run as written on the toy course: a Canvas and a
Blackboard download -> collect -> grade (a deadline, one extension) -> export; then a new due date
moves penalties without grading anyone again."""

import csv
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

from conftest import toy_notebook

from nncourse.grading.batch import find_submissions

REPO = Path(__file__).resolve().parent.parent
NNCOURSE = REPO / ".venv" / "bin" / "nncourse"
DEADLINES = """[late]
penalty_per_day = 0.10
max_days = 5
[due]
"01-toy" = 2027-02-12T23:59:00+01:00
[extensions."01-toy"]
carol = "48h"
"""


def readme_loop() -> list[str]:
    """The commands of the README's "From the LMS and back" block, for the toy assignment."""
    text = (REPO / "README.md").read_text()
    section = text.split("### From the LMS and back", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    return [c.replace("03-spiral", "01-toy") for c in commands if c.startswith("nncourse ")]


def nncourse(root: Path, command: str, check: bool = True) -> subprocess.CompletedProcess:
    args = command.split()[1:]
    proc = subprocess.run(
        [str(NNCOURSE), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    assert not check or proc.returncode == 0, f"{command} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def nb(tmp_path: Path, name: str, body: str | None = None) -> bytes:
    return toy_notebook(tmp_path / "nbs" / name / "toy.ipynb", body=body).read_bytes()


def zip_of(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_from_the_lms_and_back_as_the_readme_says(toy, tmp_path):
    root = toy.root
    (root / "deadlines.toml").write_text(DEADLINES)
    right, wrong = nb(tmp_path, "right"), nb(tmp_path, "wrong", body="    return x + 2")
    zip_of(
        root / "submissions.zip",
        {
            "aliceal_1001_501_toy.ipynb": right,
            "bobbo_LATE_1002_502_toy.ipynb": right,
            "carolca_LATE_1003_503_toy.ipynb": right,
            "dandan_1004_504_toy.ipynb": wrong,
            "dandan_1004_505_toy-1.ipynb": right,  # the resubmission wins
            "dandan_1004_505_notes.pdf": b"%PDF",
        },
    )
    (root / "roster.csv").write_text(
        "lms_id,student,name\n1001,alice,Alice A\n1002,bob,Bob B\n"
        "1003,carol,Carol C\n1004,dan,Dan D\n1005,eve,Eve E\n"
    )
    (root / "times.csv").write_text(
        "lms_id,submitted_at\n1001,2027-02-12T20:00:00Z\n"
        "1002,2027-02-13T23:59:00Z\n1003,2027-02-13T23:59:00Z\n"
        "1004,2027-02-12T21:00:00Z\n"
    )
    commands = readme_loop()
    assert [c.split()[1] for c in commands] == ["collect", "collect", "grade", "export", "grade"], (
        commands
    )
    collect_canvas, collect_bb, grade, export, regrade = commands
    blackboard = zip_of(
        root / "blackboard.zip",
        {
            "Toy_frank_attempt_2027-02-12-20-00-00_toy.ipynb": wrong,
            "Toy_frank_attempt_2027-02-12-23-00-00_toy.ipynb": right,  # 22:00 UTC: on time
            "Toy_frank_attempt_2027-02-12-23-00-00.txt": b"Date Submitted: ...",
        },
    )
    assert blackboard.name in collect_bb

    out = nncourse(root, collect_canvas).stdout
    assert "6 collected" not in out and "4 collected, 0 unchanged, 2 skipped" in out, out
    assert "dandan_1004_504_toy.ipynb: an older attempt of dan" in out
    assert "notes.pdf: not a notebook" in out
    assert "0 collected, 4 unchanged, 2 skipped" in nncourse(root, collect_canvas).stdout, (
        "a rerun changes nothing"
    )
    assert "1 collected" in nncourse(root, collect_bb).stdout

    nncourse(root, grade)
    grades_dir = root / re.search(r"--out (\S+)", grade).group(1)
    rows = {r["student"]: r for r in csv.DictReader((grades_dir / "grades.csv").open(newline=""))}
    assert {s: (r["score"], r["penalty"]) for s, r in rows.items()} == {
        "alice": ("3", "0"),
        "bob": ("2.4", "0.6"),
        "carol": ("3", "0"),
        "dan": ("3", "0"),
        "frank": ("3", "0"),
    }, "only bob is penalised: 25 h late is 2 started days x 10% x 3 points"
    assert rows["bob"]["raw_score"] == "3" and rows["bob"]["seconds_late"] == "90000"
    assert rows["carol"]["due_at"] == "2027-02-14T22:59:00+00:00", "carol's 48 h extension"
    bob = json.loads((grades_dir / "bob" / "01-toy" / "results.json").read_text())
    assert (bob["score"], bob["raw_score"], bob["penalty"]) == (2.4, 3.0, 0.6)
    assert (
        bob["submitted_at"] == "2027-02-13T23:59:00+00:00"
        and bob["due_at"] == "2027-02-12T22:59:00+00:00"
    )
    feedback = (grades_dir / "bob" / "01-toy" / "feedback.html").read_text()
    assert "2.4 / 3" in feedback and "Late: submitted 2027-02-13 23:59:00 UTC" in feedback
    assert "0.6 points taken off" in feedback
    assert "1 d 1 h late" in feedback and "\u22120.6" in feedback, "the lateness table"
    report = (grades_dir / "report.html").read_text()
    assert "1 submission came in late" in report
    bob_row = next(r for r in report.split("<tr>") if ">bob</a>" in r)
    assert "1 d 1 h" in bob_row and ">0.6<" in bob_row and ">2.4<" in bob_row, bob_row
    alice = (grades_dir / "alice" / "01-toy" / "feedback.html").read_text()
    assert "Late:" not in alice

    nncourse(root, export)
    export_file = root / re.search(r"--out (\S+)", export).group(1)
    canvas = {r["ID"]: r["01-toy"] for r in csv.DictReader(export_file.open(newline=""))}
    assert canvas == {"1001": "3", "1002": "2.4", "1003": "3", "1004": "3", "1005": ""}, (
        "eve never submitted: an empty cell, not 0"
    )

    before = {
        s: json.loads((grades_dir / s / "01-toy" / "results.json").read_text())["execution_time"]
        for s in rows
    }
    proc = nncourse(root, regrade)
    assert "graded 0, already graded 5" in proc.stdout, proc.stdout + proc.stderr
    assert "bob: lateness updated, 2.4 -> 3" in proc.stderr
    rows = {r["student"]: r for r in csv.DictReader((grades_dir / "grades.csv").open(newline=""))}
    assert rows["bob"]["score"] == "3" and rows["bob"]["penalty"] == "0"
    after = {
        s: json.loads((grades_dir / s / "01-toy" / "results.json").read_text())["execution_time"]
        for s in rows
    }
    assert after == before, "a new due date moves penalties only: nobody's code ran again"
    nncourse(root, export)
    assert {r["ID"]: r["01-toy"] for r in csv.DictReader(export_file.open())}["1002"] == "3"


def test_grade_on_an_lms_download_points_to_collect(toy, tmp_path):
    download = tmp_path / "download"
    download.mkdir()
    (download / "aliceal_1001_501_toy.ipynb").write_bytes(nb(tmp_path, "a"))
    proc = nncourse(
        toy.root,
        f"nncourse grade {download} --assignment 01-toy --out {tmp_path / 'o'}",
        check=False,
    )
    assert proc.returncode != 0 and "nncourse collect" in proc.stderr
    assert not (tmp_path / "o" / "journal.jsonl").exists()


def test_a_student_folder_with_resubmissions_is_graded_on_the_latest(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "03-spiral"
    folder.mkdir(parents=True)
    for name in ("spiral.ipynb", "spiral-1.ipynb", "spiral-2.ipynb", "scratch.ipynb"):
        (folder / name).write_text("{}")
    (submission,) = find_submissions(tmp_path / "submitted", "03-spiral", "spiral.ipynb")
    assert submission.notebook.name == "spiral-2.ipynb"
    assert "latest of 3 attempts" in submission.note and "not graded: " in submission.note
    assert "scratch.ipynb" in submission.note


def test_gradescope_metadata_gives_student_time_and_due_date(toy, tmp_path):
    from nncourse.gradescope.metadata import gradescope_lateness
    from nncourse.grading.results import error_result

    (toy.root / "deadlines.toml").write_text("[late]\npenalty_per_day = 0.5\n")
    metadata = tmp_path / "submission_metadata.json"
    metadata.write_text(
        json.dumps(
            {
                "created_at": "2027-02-13T10:00:00.000000-08:00",
                "assignment": {
                    "due_date": "2027-02-12T23:00:00.000000-08:00",
                    "late_due_date": None,
                },
                "users": [
                    {
                        "email": "jane@uni.example",
                        "name": "Jane",
                        "assignment": {"due_date": "2027-02-13T23:00:00.000000-08:00"},
                    }
                ],
            }
        )
    )
    student, late, notes = gradescope_lateness(
        metadata, layout=toy, assignment="01-toy", max_score=3.0
    )
    assert student == "jane@uni.example" and notes == []
    result = late(error_result(student=student, assignment="01-toy", max_score=3.0, error="x"))
    assert result.seconds_late == 0.0 and result.due_at == "2027-02-14T07:00:00+00:00", (
        "the user's own due date (an extension) wins over the assignment's"
    )
    data = json.loads(metadata.read_text())
    del data["users"][0]["assignment"]
    metadata.write_text(json.dumps(data))
    _, late, _ = gradescope_lateness(metadata, layout=toy, assignment="01-toy", max_score=3.0)
    from dataclasses import replace

    graded = late(replace(result, score=3.0, raw_score=None, status="graded"))
    assert graded.seconds_late == 11 * 3600 and graded.penalty == 1.5 and graded.score == 1.5


def test_a_new_due_date_rewrites_penalties_without_grading_again(tmp_path):
    """The journal already holds bob's graded result for this very notebook: nothing is graded (no
    sandbox starts), yet results.json, grades.csv and the gradebook hook see the new penalty."""
    import hashlib
    from datetime import UTC, datetime

    from nncourse.deadlines import parse_deadlines
    from nncourse.grading.batch import grade_batch
    from nncourse.grading.results import SubmissionResult
    from nncourse.grading.results import TestResult as RubricLine
    from nncourse.late import BatchLateness

    submitted, out = tmp_path / "submitted", tmp_path / "out"
    folder = submitted / "bob" / "01-toy"
    notebook = toy_notebook(folder / "toy.ipynb")
    (folder / "timestamp.txt").write_text("2027-02-13 23:59:00.000000 UTC")
    sha = hashlib.sha256(notebook.read_bytes()).hexdigest()
    line = RubricLine(
        name="d", number="1", item="double", score=3.0, max_score=3.0, status="passed", output=""
    )
    result = SubmissionResult(
        student="bob",
        assignment="01-toy",
        score=3.0,
        max_score=3.0,
        execution_time=1.25,
        status="graded",
        error=None,
        tests=(line,),
        sha256=sha,
    )
    out.mkdir()
    (out / "journal.jsonl").write_text(
        json.dumps(
            {
                "student": "bob",
                "sha256": sha,
                "fingerprint": "",
                "score": 3.0,
                "result": result.to_json(),
            }
        )
        + "\n"
    )
    recorded = []

    def run(due):
        deadlines = parse_deadlines(
            {"late": {"penalty_per_day": 0.1}, "due": {"01-toy": due}},
            source=None,
            assignments=["01-toy"],
        )
        late = BatchLateness(
            submitted=submitted, assignment="01-toy", deadlines=deadlines, max_score=3.0
        )
        return grade_batch(
            root=tmp_path,
            submitted=submitted,
            assignment="01-toy",
            notebook_name="toy.ipynb",
            out=out,
            secret=b"s",
            max_score=3.0,
            on_result=recorded.append,
            progress=lambda _: None,
            late=late,
        )

    summary = run(datetime(2027, 2, 12, 22, 59, tzinfo=UTC))
    assert (summary.graded, summary.skipped) == (0, 1), "bob is not graded again"
    saved = json.loads((out / "bob" / "01-toy" / "results.json").read_text())
    assert (saved["score"], saved["penalty"], saved["execution_time"]) == (2.4, 0.6, 1.25)
    assert [r.score for r in recorded] == [2.4], "the gradebook gets the new penalty"
    rows = list(csv.DictReader((out / "grades.csv").open(newline="")))
    assert (rows[0]["score"], rows[0]["penalty"]) == ("2.4", "0.6")
    run(datetime(2027, 2, 12, 22, 59, tzinfo=UTC))
    assert len(recorded) == 1, "the same deadline again: nothing to rewrite"
    run(datetime(2027, 2, 20, 0, 0, tzinfo=UTC))
    assert [r.score for r in recorded] == [2.4, 3.0]
    assert next(csv.DictReader((out / "grades.csv").open(newline="")))["score"] == "3"


def test_the_gradescope_zip_carries_the_late_policy(toy, tmp_path):
    from nncourse.gradescope.build import build_autograder_zip

    (toy.root / "deadlines.toml").write_text(DEADLINES)
    names = zipfile.ZipFile(build_autograder_zip(toy, "01-toy", out=tmp_path / "dist")).namelist()
    assert "deadlines.toml" in names
