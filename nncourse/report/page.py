"""Render the report as one self-contained HTML page (inline CSS, local images, no scripts).

Student names, test outputs and errors are untrusted text: every value goes through ``html.escape``
(and links through ``urllib.parse.quote``); a Content-Security-Policy forbids scripts besides.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote

from nncourse.report.changes import Regrade
from nncourse.report.collect import Cohort
from nncourse.report.stats import Failure, Incident, RubricLine, Summary

MESSAGE_CHARS = 600
STUDENTS_SHOWN = 6

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;
 max-width:72rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:2px solid #e5e5e5;
 padding-bottom:.2rem}.meta{color:#666;font-size:.9rem;margin:0 0 1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(7.8rem,1fr));gap:.6rem}
.card{border:1px solid #e1e1e1;border-radius:6px;padding:.5rem .7rem;background:#fafafa}
.card b{display:block;font-size:1.5rem;font-variant-numeric:tabular-nums}.card span{color:#555;font-size:.85rem}
.card.bad b{color:#a11}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #e3e3e3;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}tbody tr:nth-child(even){background:#fbfbfb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.passed,.graded{color:#176317}.failed,.error,.timeout,.crash{color:#a11;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:.85rem/1.35 ui-monospace,SFMono-Regular,Menlo,
 Consolas,monospace;background:#f6f6f6;padding:.3rem .4rem;border-radius:4px}
.note{background:#fff6e0;border:1px solid #f0d890;border-radius:6px;padding:.5rem .8rem}
.empty{color:#666;font-style:italic}img{max-width:100%;height:auto;display:block;margin:.4rem 0}
.track{display:inline-block;width:80px;height:.7rem;background:#e8e8e8;vertical-align:middle;margin-right:.5rem}
.bar{display:block;height:100%;background:#4c78a8}
a{color:#1a5fb4}small{color:#666}
"""
_CSP = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'"


@dataclass(frozen=True)
class PageData:
    """Everything the page shows; ``images`` maps a chart id to its path relative to OUT."""

    cohort: Cohort
    summary: Summary
    lines: list[RubricLine]
    failures: list[Failure]
    incidents: list[Incident]
    images: dict[str, str]
    generated: str
    has_grades_csv: bool
    regrade: Regrade | None = None


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{round(value, digits):g}"


def _href(path: str) -> str:
    return _e(quote(path, safe="/"))


def _message(text: str) -> str:
    shown = text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + f"… ({len(text)} characters)"
    return f"<pre>{_e(shown) if shown else '(no message)'}</pre>"


def _table(head: list[str], rows: list[list[str]], numeric: Collection[int] = ()) -> str:
    """A table from already-escaped cells; columns in ``numeric`` are right-aligned."""
    th = "".join(f"<th{' class=num' if i in numeric else ''}>{h}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _img(data: PageData, key: str, alt: str) -> str:
    path = data.images.get(key)
    return f"<img src='{_href(path)}' alt='{_e(alt)}'>" if path else ""


def _cards(s: Summary) -> str:
    cards = [(s.students, "students", False), (s.graded, "graded", False),
             (s.errors, "could not be graded", s.errors > 0),
             (f"{_num(s.mean)} / {s.max_score:g}", "mean score", False), (_num(s.median), "median", False),
             (f"{_num(s.low)} – {_num(s.high)}", "min – max", False), (s.full_marks, "full marks", False),
             (s.incidents, "timeouts, crashes, errors", s.incidents > 0)]
    return "<div class=cards>" + "".join(
        f"<div class='card{' bad' if bad else ''}'><b>{_e(value)}</b><span>{_e(label)}</span></div>"
        for value, label, bad in cards) + "</div>"


def _notes(data: PageData) -> str:
    notes = []
    if not data.summary.students:
        notes.append("No graded submissions were found (no <code>&lt;student&gt;/&lt;assignment&gt;/results.json"
                     "</code> in this folder), so there is nothing to plot yet.")
    elif not data.summary.graded:
        notes.append(f"None of the {data.summary.students} submissions could be graded: see "
                     "<a href='#incidents'>timeouts, crashes and errors</a>.")
    if data.cohort.unreadable:
        items = "".join(f"<li>{_e(line)}</li>" for line in data.cohort.unreadable)
        notes.append(f"{len(data.cohort.unreadable)} results.json could not be read and are left out:<ul>{items}</ul>")
    if data.cohort.other_assignments:
        notes.append("This folder also holds results of " + ", ".join(_e(a) for a in data.cohort.other_assignments)
                     + "; they are not part of this report.")
    return "".join(f"<div class=note>{note}</div>" for note in notes)


def _pass_rates(data: PageData) -> str:
    if not data.lines:
        return "<p class=empty>No submission produced test results.</p>"
    rows = [[_e(line.number), _e(line.name), f"{line.points:g}", str(line.passed), str(line.total),
             (f"<span class=track><span class=bar style='width:{100 * line.rate:.0f}%'></span></span>"
              f"{100 * line.rate:.0f}%")]
            for line in data.lines]
    return (_img(data, "passrate", "pass rate of each rubric line") +
            _table(["#", "rubric line", "points", "passed", "of", "pass rate"], rows, {2, 3, 4}))


def _failures(data: PageData) -> str:
    if not data.failures:
        return "<p class=empty>No failed rubric lines.</p>"
    rows = []
    for f in data.failures:
        who = ", ".join(_e(s) for s in f.students[:STUDENTS_SHOWN])
        if len(f.students) > STUDENTS_SHOWN:
            who += f" and {len(f.students) - STUDENTS_SHOWN} more"
        rows.append([str(f.count), f"{_e(f.number)} {_e(f.name)}", _message(f.message), who])
    return (f"<p><small>Identical messages of the same rubric line are grouped; the {len(data.failures)} "
            "most frequent are shown.</small></p>" +
            _table(["count", "rubric line", "message", "students"], rows, {0}))


def _incidents(data: PageData) -> str:
    if not data.incidents:
        return "<p class=empty>No timeouts, crashes or ungradable submissions.</p>"
    rows = [[f"<a href='{_href(i.feedback)}'>{_e(i.student)}</a>", f"<span class={_e(i.kind)}>{_e(i.kind)}</span>",
             "".join(_message(reason) for reason in i.reasons)] for i in data.incidents]
    return _table(["student", "kind", "reason"], rows)


def _students(data: PageData) -> str:
    if not data.cohort.submissions:
        return "<p class=empty>No submissions.</p>"
    rows = [[f"<a href='{_href(r.feedback)}'>{_e(r.student)}</a>", f"{r.score:g}", f"{r.max_score:g}",
             f"<span class={_e(r.status)}>{_e(r.status)}</span>", f"{r.execution_time:.1f}"]
            for r in data.cohort.submissions]
    return _table(["student", "score", "max", "status", "time (s)"], rows, {1, 2, 4})


def _changes(data: PageData) -> str:
    """The last regrade round: whose scores changed, from what to what, on which rubric lines."""
    regrade = data.regrade
    if regrade is None:
        return ""
    head = (f"<h2 id=changes>Changed scores</h2><p>{regrade.regraded} already graded submission(s) "
            f"regraded since {_e(regrade.started)}; {len(regrade.changes)} score(s) changed. The old "
            "results are kept next to the new ones as <code>results.previous.json</code>.</p>")
    if not regrade.changes:
        return head
    rows = [[f"<a href='{_href(f'{c.student}/{data.cohort.assignment}/feedback.html')}'>{_e(c.student)}</a>",
             f"{c.old:g}", f"{c.new:g}", f"{c.new - c.old:+g}",
             "<br>".join(f"{_e(line.name)}: {_num(line.old)} → {_num(line.new)}" for line in c.lines),
             _e(", ".join(c.reasons))] for c in regrade.changes]
    return head + _table(["student", "old", "new", "change", "rubric lines changed", "why"], rows, {1, 2, 3})


def _times(data: PageData) -> str:
    times = sorted(r.execution_time for r in data.cohort.submissions)
    if not times:
        return "<p class=empty>No submissions.</p>"
    return (f"<p>median {statistics.median(times):.1f} s, slowest {times[-1]:.1f} s, total {sum(times):.0f} s.</p>"
            + _img(data, "times", "grading time per submission"))


def render_page(data: PageData) -> str:
    """The whole report page as a string.

    Args:
        data: The collected cohort, its statistics and the chart paths (relative to OUT).

    Returns:
        A complete HTML document without scripts or external resources.
    """
    title = f"Grading report: {data.cohort.assignment or 'no results'}"
    csv = " · <a href='grades.csv'>grades.csv</a>" if data.has_grades_csv else ""
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class=meta>{data.summary.students} submissions · generated {_e(data.generated)}{csv}</p>",
        _cards(data.summary), _notes(data), _changes(data),
        "<h2 id=scores>Score distribution</h2>",
        _img(data, "scores", "histogram of total scores") or "<p class=empty>No scores.</p>",
        "<h2 id=rubric>Pass rate per rubric line</h2>", _pass_rates(data),
        "<h2 id=failures>Most common failure messages</h2>", _failures(data),
        "<h2 id=incidents>Timeouts, crashes and errors</h2>", _incidents(data),
        "<h2 id=students>Students</h2>", _students(data),
        "<h2 id=times>Grading time</h2>", _times(data),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
