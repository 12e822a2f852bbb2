"""`nncourse check`: a student's public checks, run the way the grader runs the notebook."""

import json
import subprocess
from pathlib import Path

from nncourse.notebook_conventions import answered

REPO = Path(__file__).resolve().parent.parent


def test_check_reports_each_public_check_of_a_half_done_notebook(course, tmp_path):
    notebook = tmp_path / "gradient-descent.ipynb"
    release, source = (
        json.loads(path.read_text())
        for path in (
            course.release_notebook("01-gradient-descent"),
            course.source_notebook("01-gradient-descent"),
        )
    )
    notebook.write_text(json.dumps(answered(release, source, {"predict", "mse_loss"})))
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "nncourse"), "check", str(notebook)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = proc.stdout.splitlines()
    assert "PASS  predict" in lines and "PASS  mse_loss" in lines
    assert "FAIL  mse_gradient: not implemented yet" in lines
    assert "2 of 6 public checks pass. The hidden tests decide the grade." in lines
    assert proc.returncode == 1
