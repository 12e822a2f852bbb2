"""Cohorts are explicit: `grade --cohort ID` picks that cohort's gradebook, and grading says which."""

import os
import subprocess
from pathlib import Path

from nncourse.grading.gradebook import GradebookTarget

REPO = Path(__file__).resolve().parent.parent


def test_a_cohort_names_its_course_id_and_gradebook_and_the_default_is_the_released_one(course):
    before = os.environ.get("NNCOURSE_COHORT")
    spring = GradebookTarget.from_config(course, cohort="2027-spring")
    assert (spring.cohort, spring.course_id) == ("2027-spring", "nn-pytorch-2027-spring")
    assert spring.db_url == f"sqlite:///{REPO / 'gradebook-2027-spring.db'}"
    released = (REPO / "release" / "cohort.txt").read_text().strip()
    assert GradebookTarget.from_config(course).cohort == released
    assert os.environ.get("NNCOURSE_COHORT") == before, "the cohort is not left in the environment"


def test_grade_prints_the_cohort_and_the_gradebook_it_writes(tmp_path):
    (tmp_path / "submitted").mkdir()
    db = f"sqlite:///{tmp_path / 'spring.db'}"
    proc = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "nncourse"),
            "grade",
            str(tmp_path / "submitted"),
            "-a",
            "01-gradient-descent",
            "-o",
            str(tmp_path / "out"),
            "--cohort",
            "2027-spring",
            "--db",
            db,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"cohort 2027-spring: scores go to the gradebook {db}" in proc.stderr.splitlines()
