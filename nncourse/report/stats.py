"""The numbers of the report: summary, pass rate per rubric line, common failures, timeouts and crashes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from nncourse.report.collect import Cohort, SubmissionRow, number_key

TIMEOUT_MARKERS = ("did not return within", "took too long", "did not finish within")
CRASH_MARKERS = ("ended the process", "killed by")


@dataclass(frozen=True)
class Summary:
    """Headline numbers of one cohort."""

    students: int
    graded: int
    errors: int
    max_score: float
    mean: float | None
    median: float | None
    low: float | None
    high: float | None
    full_marks: int
    incidents: int


@dataclass(frozen=True)
class RubricLine:
    """How one rubric line (a hidden test) went across the cohort."""

    number: str
    name: str
    passed: int
    total: int
    points: float  # the line's max_score

    @property
    def rate(self) -> float:
        """Share of submissions (with test results) that passed, 0..1."""
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class Failure:
    """One failure message of one rubric line, with how many submissions got exactly that message."""

    number: str
    name: str
    message: str
    count: int
    students: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    """A submission that hit a timeout, a crash, or could not be graded at all."""

    student: str
    kind: str  # "error" | "timeout" | "crash"
    reasons: tuple[str, ...]
    feedback: str


def summarise(cohort: Cohort, incidents: int = 0) -> Summary:
    """Count students and describe the score distribution (graded and error submissions alike)."""
    rows = cohort.submissions
    scores = [r.score for r in rows]
    top = max((r.max_score for r in rows), default=0.0)
    return Summary(
        students=len(rows),
        graded=sum(r.status == "graded" for r in rows),
        errors=sum(r.status == "error" for r in rows),
        max_score=top,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        low=min(scores, default=None),
        high=max(scores, default=None),
        full_marks=sum(r.max_score > 0 and r.score >= r.max_score for r in rows),
        incidents=incidents,
    )


def rubric_lines(cohort: Cohort) -> list[RubricLine]:
    """One entry per rubric line (number, name), ordered by number; counts only submissions that have it."""
    lines: dict[tuple[str, str], list] = {}
    for row in cohort.submissions:
        for test in row.tests:
            entry = lines.setdefault((test.number, test.name), [0, 0, 0.0])
            entry[0] += test.passed
            entry[1] += 1
            entry[2] = max(entry[2], test.max_score)
    ordered = sorted(lines.items(), key=lambda item: (number_key(item[0][0]), item[0][1]))
    return [
        RubricLine(number=n, name=name, passed=p, total=t, points=pts)
        for (n, name), (p, t, pts) in ordered
    ]


def common_failures(cohort: Cohort, *, limit: int = 25) -> list[Failure]:
    """Identical failure messages of the same rubric line, grouped; most frequent first."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for row in cohort.submissions:
        for test in row.tests:
            if not test.passed:
                groups.setdefault((test.number, test.name, test.output.strip()), []).append(
                    row.student
                )
    ordered = sorted(
        groups.items(),
        key=lambda item: (-len(item[1]), number_key(item[0][0]), item[0][1], item[0][2]),
    )
    return [
        Failure(number=n, name=name, message=msg, count=len(who), students=tuple(who))
        for (n, name, msg), who in ordered[:limit]
    ]


def _kind(text: str) -> str | None:
    lowered = text.lower()
    if any(marker in lowered for marker in TIMEOUT_MARKERS):
        return "timeout"
    if any(marker in lowered for marker in CRASH_MARKERS):
        return "crash"
    return None


def incident(row: SubmissionRow) -> Incident | None:
    """Why this submission belongs in the timeouts-and-crashes table, or None when it does not."""
    kinds: list[str] = []
    reasons: list[str] = []
    if row.status == "error":
        kinds.append("error")
        reasons.append(row.error or "could not be graded (no reason recorded)")
    for cell_error in row.cell_errors:
        if "did not finish within" in cell_error.lower():
            kinds.append("timeout")
            reasons.append(cell_error)
    for test in row.tests:
        kind = _kind(test.output) if not test.passed else None
        if kind:
            kinds.append(kind)
            reasons.append(f"{test.number} {test.name}: {test.output}".strip())
    if not kinds:
        return None
    kind = next(k for k in ("error", "timeout", "crash") if k in kinds)
    return Incident(
        student=row.student, kind=kind, reasons=tuple(dict.fromkeys(reasons)), feedback=row.feedback
    )


def incidents(cohort: Cohort) -> list[Incident]:
    """Every submission that could not be graded, timed out or crashed, by student."""
    return [found for row in cohort.submissions if (found := incident(row)) is not None]
