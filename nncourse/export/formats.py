"""Write scores as Canvas's gradebook CSV, Moodle's grade import CSV, or a plain CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from nncourse.collect.roster import Roster
from nncourse.export.scores import Score
from nncourse.grading.grades_csv import csv_text

FORMATS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def write_export(
    path: Path,
    scores: list[Score],
    *,
    fmt: str,
    column: str,
    roster: Roster | None = None,
    missing_zero: bool = False,
) -> list[str]:
    """Write the file; returns warnings (students that cannot be matched in the LMS).

    Students in the roster but not in the gradebook get a row too; a student without a submission
    gets an empty cell (0 with ``missing_zero``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    by_student = {s.student: s for s in scores}
    lms_ids = {student: lms_id for lms_id, student in (roster.students.items() if roster else ())}
    for student in lms_ids:
        by_student.setdefault(
            student,
            Score(student=student, score=None, max_score=scores[0].max_score if scores else 0.0),
        )
    warnings, rows = [], []
    # Moodle's import matches users by a field: the roster's email column when every row has one
    use_email = bool(roster and roster.rows and all(r.get("email") for r in roster.rows.values()))
    for student in sorted(by_student):
        score = by_student[student]
        cell = "" if score.score is None else f"{score.score:g}"
        cell = "0" if score.score is None and missing_zero else cell
        lms_id = lms_ids.get(student) if roster else student
        if lms_id is None and fmt != "csv":
            warnings.append(
                f"{student} is in the gradebook but not in the roster: left out of the "
                f"{fmt} file (score {cell or 'none'})"
            )
            continue
        extra = roster.rows.get(lms_id, {}) if roster and lms_id else {}
        if fmt == "canvas":
            rows.append(
                [
                    extra.get("name") or student,
                    lms_id,
                    extra.get("sis_id", ""),
                    extra.get("sis_login_id", ""),
                    extra.get("section", ""),
                    cell,
                ]
            )
        elif fmt == "moodle":
            rows.append([extra["email"] if use_email else lms_id, cell])
        else:
            rows.append(
                [
                    student,
                    lms_id or "",
                    cell,
                    f"{score.max_score:g}",
                    _num(score.raw_score),
                    _num(score.penalty),
                    score.submitted_at or "",
                    score.due_at or "",
                    _num(score.seconds_late),
                ]
            )
    if fmt == "canvas":
        header = [*CANVAS_COLUMNS, column]
    elif fmt == "moodle":
        header = ["Email address" if use_email else "lms_id", column]
    else:
        header = [
            "student",
            "lms_id",
            "score",
            "max_score",
            "raw_score",
            "penalty",
            "submitted_at",
            "due_at",
            "seconds_late",
        ]
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_text(h) for h in header])
        writer.writerows([[csv_text(str(c)) for c in row] for row in rows])
    tmp.replace(path)
    return warnings


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")
