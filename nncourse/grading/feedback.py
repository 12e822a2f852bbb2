"""Per-student feedback page: each rubric line with its points and message, and the notebook's errors."""

from __future__ import annotations

import html

from nncourse.grading.results import SubmissionResult

_STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;
padding:.4rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}.passed{color:#176317}
.failed{color:#a11}.score{font-size:1.6rem;font-weight:600}code,pre{background:#f6f6f6;padding:.1rem .3rem}
pre{white-space:pre-wrap;padding:.6rem}"""


def render_feedback(result: SubmissionResult) -> str:
    """The HTML page for one submission. Everything from the submission is escaped."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{e(t.number)}</td><td>{e(t.name)}</td><td class='{e(t.status)}'>{e(t.status)}</td>"
        f"<td>{t.score:g} / {t.max_score:g}</td><td>{e(t.output)}</td></tr>" for t in result.tests)
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Feedback: {e(result.student)}, "
             f"{e(result.assignment)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{e(result.assignment)}</h1><p>Student: <b>{e(result.student)}</b></p>",
             f"<p class='score'>{result.score:g} / {result.max_score:g} points</p>"]
    if result.status == "error":
        parts.append(f"<p class='failed'><b>Your notebook could not be graded:</b> {e(result.error or '')}</p>")
    if result.tests:
        parts.append("<h2>Rubric</h2><table><tr><th>#</th><th>Check</th><th>Result</th><th>Points</th>"
                     f"<th>Feedback</th></tr>{rows}</table>")
    if result.cell_errors:
        items = "".join(f"<li><code>{e(line)}</code></li>" for line in result.cell_errors)
        parts.append(f"<h2>Errors while your notebook ran</h2><ul>{items}</ul>")
    if result.notes:
        items = "".join(f"<li>{e(line)}</li>" for line in result.notes)
        parts.append(f"<h2>Notes</h2><ul>{items}</ul>")
    parts.append(f"<p><small>Graded in {result.execution_time:.1f} s. Checks run on inputs you have not seen; "
                 "the messages say what to fix.</small></p></body></html>")
    return "\n".join(parts)
