"""Several users on one machine: each one's `nncourse check` and `nncourse grade` work, whoever came first.

The test creates two unprivileged users (useradd), runs the real commands as each of them in turn,
and removes the users again.
"""

import json
import shutil

import pytest
from unprivileged import REPO, needs_root, nncourse_as, shared_folder, system_users

from nncourse import notebook_conventions as conventions

ASSIGNMENT = "01-gradient-descent"

pytestmark = needs_root


@pytest.fixture
def two_users():
    with system_users(2) as names:
        yield names


@pytest.fixture
def shared_tmp():
    with shared_folder("nncourse-two-users-") as folder:
        yield folder


_as = nncourse_as


def test_two_users_each_check_and_grade_on_one_machine(two_users, shared_tmp):
    tmp_path = shared_tmp
    release, source = (
        json.loads(p.read_text())
        for p in (
            REPO / "release" / ASSIGNMENT / "gradient-descent.ipynb",
            REPO / "source" / ASSIGNMENT / "gradient-descent.ipynb",
        )
    )
    for user in two_users:
        home = tmp_path / user
        submitted = home / "submitted" / "alice" / ASSIGNMENT
        submitted.mkdir(parents=True)
        (submitted / "gradient-descent.ipynb").write_text(
            json.dumps(conventions.answered(release, source, {"predict"}))
        )
        shutil.chown(home, user)
        for path in home.rglob("*"):
            shutil.chown(path, user)
    for user in two_users:  # the first user's lock folder must not lock the second one out
        home = tmp_path / user
        notebook = home / "submitted" / "alice" / ASSIGNMENT / "gradient-descent.ipynb"
        check = _as(user, ["check", str(notebook)], home)
        assert "PASS  predict" in check.stdout.splitlines(), f"{user}: {check.stdout}{check.stderr}"
        args = [
            "grade",
            str(home / "submitted"),
            "-a",
            ASSIGNMENT,
            "-o",
            str(home / "out"),
            "--db",
            f"sqlite:///{home / 'gradebook.db'}",
        ]
        # root's secret (mode 0600, or not creatable here) is not theirs
        refused = _as(user, args, home)
        assert refused.returncode == 2 and refused.stderr.splitlines()[-1].startswith(
            "cannot read the course secret"
        ), refused.stderr
        chosen = _as(
            user,
            [*args, "--feedback-dir", str(REPO / "feedback-of-root")],
            home,
            NNCOURSE_SECRET="shared-by-the-course-staff",
        )
        assert chosen.returncode == 2 and "cannot write feedback pages to" in chosen.stderr, (
            chosen.stderr
        )
        grade = _as(user, args, home, NNCOURSE_SECRET="shared-by-the-course-staff")
        assert grade.returncode == 0, f"{user}: {grade.stdout}{grade.stderr}"
        # the course's feedback/ belongs to root: this TA's pages stay in OUT, and it says so
        assert "feedback pages go to OUT only" in grade.stdout + grade.stderr
        assert (home / "out" / "alice" / ASSIGNMENT / "feedback.html").is_file()
        result = json.loads((home / "out" / "alice" / ASSIGNMENT / "results.json").read_text())
        assert result["status"] == "graded" and result["score"] > 0, result
