"""What the terminal shows: one graded submission, a batch's score table, progress lines."""

from __future__ import annotations

import sys

from nncourse.grading.results import SubmissionResult


def format_result(result: SubmissionResult) -> str:
    """A readable plain-text report of one graded submission.

    A result's texts come with control characters escaped (``SubmissionResult``); continuation
    lines of a message are marked with ``|`` here, so a message cannot pass for a rubric line.
    """
    lines = [
        f"{result.assignment} — {result.student}: {result.score:g} / "
        f"{result.max_score:g} points ({result.status}, {result.execution_time:.1f} s)"
    ]
    if result.error:
        lines += _block("  error: ", result.error)
    for test in result.tests:
        mark = "PASS" if test.status == "passed" else "FAIL"
        lines += _block(f"  {mark} {test.score:g}/{test.max_score:g}  ", test.name)
        if test.output:
            lines += _block("         ", test.output)
    for answer in result.written:  # graded by a TA in formgrader, after `nncourse grade`
        state = {"pending": "answered, a TA grades it", "empty": "left empty"}.get(
            answer.status, answer.status
        )
        lines.append(
            f"  WRITTEN {answer.max_score:g} points  {answer.question or answer.id}: {state}"
        )
    for line in result.cell_errors:
        lines += _block("  notebook: ", line)
    for line in result.notes:
        lines += _block("  note: ", line)
    return "\n".join(lines)


def _block(prefix: str, text: str) -> list[str]:
    """``text`` after ``prefix``; its further lines indented and marked ``|`` as part of it."""
    first, *rest = text.split("\n")
    return [prefix + first] + [" " * len(prefix) + "| " + line for line in rest]


def score_table(results: list[SubmissionResult]) -> str:
    """The batch's scores, one line per student."""
    width = max([len(r.student) for r in results] + [7])
    lines = [f"{'student':<{width}}  score   status"]
    for r in sorted(results, key=lambda r: r.student):
        error = " ".join((r.error or "").split())
        lines.append(
            f"{r.student:<{width}}  {r.score:5g}/{r.max_score:<4g} {r.status}"
            + (f"  ({error[:100]})" if error else "")
        )
    return "\n".join(lines)


def eprint(line: str) -> None:
    """Print a progress line to stderr at once."""
    print(line, file=sys.stderr, flush=True)
