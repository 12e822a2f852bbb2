"""A TA who is not root grades with the sandbox, not with --insecure (user namespaces).

The test creates an unprivileged user and runs the real `nncourse grade` as that user on the toy
course, with a control and students whose code attacks what matters without root: `kill(-1)` (a
process of the same user runs next to the grader and must survive), a fork bomb, a memory bomb,
the network, a file of the TA's that the sandbox must not see, and writes outside the sandbox.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import threading

import pytest
from conftest import TOY, toy_notebook
from unprivileged import REPO, give, needs_root, nncourse_as, shared_folder, system_users

from nncourse.sandbox.launcher import ROOTLESS_NOTE

pytestmark = needs_root
A = "01-toy"
SECRET_TEXT = "CANARY-the-TA-private-file"
CORRECT = "    return 2 * np.asarray(x, dtype=float)\n"


def _listener() -> tuple[socket.socket, list]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    accepted: list = []

    def accept() -> None:
        while server.fileno() >= 0:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                if server.fileno() < 0:
                    return

    threading.Thread(target=accept, daemon=True).start()
    return server, accepted


@pytest.fixture(scope="module")
def graded():
    """Grade the cohort as a fresh unprivileged user; yields what the test needs to check."""
    server, accepted = _listener()
    port = server.getsockname()[1]
    with system_users(1) as (user,), shared_folder("nncourse-rootless-") as home:
        course = home / "course"
        shutil.copytree(TOY, course)
        (course / ".venv").symlink_to(REPO / ".venv")
        (home / "private.txt").write_text(SECRET_TEXT)
        hidden = course / "autograders" / A / "test_double.py"
        outside = [home / "written-by-a-student", REPO / "written-by-a-student"]
        bodies = {
            "control": CORRECT,
            "kill-all": f"    import os, signal\n    os.kill(-1, signal.SIGKILL)\n{CORRECT}",
            "fork-bomb": "    import os\n    while True:\n        os.fork()\n",
            "memory-bomb": "    hog = []\n    while True:\n        hog.append(b'x' * 10**8)\n",
            "network": (
                "    import socket\n"
                f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n{CORRECT}"
            ),
            "reader": (
                f"    for path in ({str(home / 'private.txt')!r}, {str(hidden)!r}):\n"
                "        try:\n            print(open(path).read())\n"
                "        except OSError:\n            pass\n"
                f"{CORRECT}"
            ),
            "writer": (
                f"    for path in {[str(p) for p in outside] + ['/tmp/written-by-a-student']!r}:\n"
                "        try:\n            open(path, 'w').write('x')\n"
                "        except OSError:\n            pass\n"
                f"{CORRECT}"
            ),
        }
        for student, body in bodies.items():
            toy_notebook(home / "submitted" / student / A / "toy.ipynb", body=body)
        give(home, user)
        # a process of the same user outside the sandbox: kill(-1) must not reach it
        bystander = subprocess.Popen(["runuser", "-u", user, "--", "sleep", "600"])
        try:
            args = ["grade", str(home / "submitted"), "-a", A, "-o", str(home / "out")]
            args += ["--db", f"sqlite:///{home / 'gradebook.db'}", "--jobs", "2"]
            proc = nncourse_as(
                user, args, home, cwd=course, NNCOURSE_SECRET="rootless", timeout=900
            )
            with open(f"/proc/{bystander.pid}/status") as handle:
                bystander_state = handle.read()
            yield {
                "proc": proc,
                "home": home,
                "outside": outside,
                "bystander_alive": bystander.poll() is None and "State:\tZ" not in bystander_state,
                "connections": len(accepted),
                "course": course,
            }
        finally:
            bystander.kill()
            bystander.wait(timeout=10)
            server.close()
            for path in outside[1:]:
                path.unlink(missing_ok=True)


def test_a_ta_without_root_grades_in_the_sandbox_without_insecure(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ROOTLESS_NOTE in proc.stderr + proc.stdout
    rows = {
        r["student"]: r
        for r in csv.DictReader((graded["home"] / "out" / "grades.csv").read_text().splitlines())
    }
    assert float(rows["control"]["score"]) == 3.0, rows["control"]
    for student in ("kill-all", "network", "reader", "writer"):
        # the attack fails inside the sandbox; what is left of the code is right
        assert rows[student]["status"] == "graded", rows[student]


def test_kill_all_reaches_nothing_outside_the_sandbox(graded):
    result = json.loads((graded["home"] / "out" / "kill-all" / A / "results.json").read_text())
    # kill(-1) ran: it ended the sandbox's own processes (a fresh sandbox was started) ...
    assert any("a fresh one was started" in e for e in result["cell_errors"]), result
    # ... and nothing of the TA's, whose uid the sandbox shares
    assert graded["bystander_alive"], "kill(-1) in a submission killed a process of the TA's uid"


def test_fork_and_memory_bombs_cost_their_points_and_nothing_else(graded):
    out = graded["home"] / "out"
    for student, error in (("fork-bomb", "BlockingIOError"), ("memory-bomb", "MemoryError")):
        result = json.loads((out / student / A / "results.json").read_text())
        assert result["status"] == "graded" and result["score"] == 0.0, result
        assert all(f"double raised {error}" in t["output"] for t in result["tests"]), result
    control = json.loads((out / "control" / A / "results.json").read_text())
    assert control["score"] == 3.0


def test_no_network_no_private_files_no_writes_outside(graded):
    assert graded["connections"] == 0, "a submission reached a port on the host's loopback"
    out = graded["home"] / "out"
    texts = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    assert SECRET_TEXT not in texts, "a submission read a file of the TA's"
    assert "def test_scalar" not in texts, "a submission read the hidden tests"
    for path in graded["outside"]:
        assert not path.exists(), f"a submission wrote {path}"
    assert not (graded["home"] / "tmp-written-by-a-student").exists()
