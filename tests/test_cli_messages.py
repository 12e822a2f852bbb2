"""What the `nncourse` commands say when they are given something wrong: one line, no traceback."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NNCOURSE = str(REPO / ".venv" / "bin" / "nncourse")
SPIRAL = "release/03-spiral/spiral.ipynb"


@pytest.mark.parametrize(
    "command",
    [
        ["grade-one", SPIRAL, "-a", "3-spiral"],
        ["grade", "release", "-a", "3-spiral", "-o", "{tmp}/out"],
        ["check", SPIRAL, "-a", "3-spiral"],
        ["gradescope", "3-spiral", "-o", "{tmp}/dist"],
        ["release", "3-spiral", "--check"],
    ],
    ids=lambda command: command[0],
)
def test_an_unknown_assignment_id_is_one_line_with_the_known_ids(command, tmp_path):
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    proc = subprocess.run([NNCOURSE, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        "unknown assignment '3-spiral' (known: 01-gradient-descent, 02-backpropagation, 03-spiral, "
        "04-tensorboard, 05-weight-init)"
    ], proc.stderr
