"""Inside Gradescope's container: grade the one submitted notebook, write results.json."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from nncourse.grading.results import SubmissionResult

CONFIG = "nncourse-autograder.json"


def _fallback(message: str) -> dict:
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": message,
        "tests": [],
        "stdout_visibility": "hidden",
    }


def run_autograder(root: Path, *, venv: Path | None = None) -> dict:
    """Grade ``root/submission/*.ipynb`` with the course in ``root/source``; returns results.json's content."""
    from nncourse.config import GradingLimits
    from nncourse.gradescope.metadata import FILE as METADATA
    from nncourse.gradescope.metadata import gradescope_lateness
    from nncourse.grading.digest import grading_fingerprint
    from nncourse.grading.entry import choose_notebook, open_grader
    from nncourse.layout import CourseLayout
    from nncourse.sandbox.launcher import SandboxUnavailable, check_sandbox
    from nncourse.secret import load_secret

    layout = CourseLayout(root / "source")
    config = json.loads((layout.root / CONFIG).read_text())
    assignment = config["assignment"]
    venv = venv or Path(os.environ.get("NNCOURSE_VENV", root / "venv"))
    notebooks = sorted((root / "submission").glob("*.ipynb"))
    expected = layout.notebook_name(assignment)
    choice = choose_notebook(notebooks, expected, folder="your submission")
    if choice.notebook is None:
        names = ", ".join(n.name for n in notebooks) or "none"
        return _fallback(f"Submit exactly one notebook ({expected}); found: {names}.")
    notes = [choice.note] if choice.note else []
    try:
        check_sandbox(venv)
        insecure = False
    except SandboxUnavailable as exc:
        # Gradescope runs each submission in its own container: that container is the outer boundary;
        # inside it we still drop to an unprivileged uid with rlimits and keep the tests unreadable.
        insecure = True
        os.chmod(layout.root, 0o700)
        notes.append(f"sandbox: unprivileged uid and rlimits only ({exc})")
    secret = load_secret(layout.secret_file)
    with open_grader(layout, assignment, secret=secret, insecure=insecure, venv=venv) as grader:
        student, late, late_notes = gradescope_lateness(
            root / METADATA, layout=layout, assignment=assignment, max_score=grader.max_score
        )
        result = late(grader.grade(choice.notebook, student=student))
    notes += late_notes
    if notes:
        result = SubmissionResult.from_json({**result.to_json(), "notes": [*notes, *result.notes]})
    data = result.to_json()
    # the same digest as a local `nncourse grade`: both graded with the same autograder
    data["fingerprint"] = grading_fingerprint(
        layout, assignment, secret=secret, limits=GradingLimits()
    )
    data["output"] = data["output"] or f"{result.score:g} / {result.max_score:g} points"
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    results = args.root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = run_autograder(args.root)
    except BaseException:  # never leave Gradescope without a results.json
        traceback.print_exc(file=sys.stderr)
        data = _fallback(
            "The autograder failed while grading this submission; the course staff can see why "
            "in the autograder log. Your notebook was not graded."
        )
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
