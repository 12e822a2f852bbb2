"""OUT's grades.csv: one row per student, safe to open in a spreadsheet.

Rewritten whole after every batch and every refresh from the gradebook (``grading/refresh.py``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from nncourse.grading.results import SubmissionResult, visible
from nncourse.grading.review import to_look_at
from nncourse.grading.written_csv import written_cells, written_header, written_ids

# what a spreadsheet would run as a formula (with the full-width forms)
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    """One row per student: total, status, what a TA should look at (``review``: flags and a
    notebook of another cohort) and the points of each graded item.

    Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) get a
    leading apostrophe (OWASP's rule against CSV injection); numbers are written as they are.
    """
    items = sorted({item for r in results for item in r.item_scores()})
    written = written_ids(results)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                csv_text(h)
                for h in [
                    "student",
                    "assignment",
                    "score",
                    "max_score",
                    "status",
                    "error",
                    "review",
                    *LATE_COLUMNS,
                    *items,
                    *written_header(written),
                ]
            ]
        )
        for r in results:
            scores = r.item_scores()
            writer.writerow(
                [
                    csv_text(r.student),
                    csv_text(r.assignment),
                    f"{r.score:g}",
                    f"{r.max_score:g}",
                    csv_text(r.status),
                    csv_text(r.error or ""),
                    csv_text(" | ".join(to_look_at(r.notes))),
                    *late_cells(r),
                    *[f"{scores.get(i, 0):g}" for i in items],
                    *[csv_text(cell) for cell in written_cells(r, written)],
                ]
            )
    tmp.replace(path)


LATE_COLUMNS = ("raw_score", "penalty", "seconds_late", "submitted_at", "due_at")  # '' if unknown


def late_cells(result: SubmissionResult) -> list[str]:
    """grades.csv's lateness cells: numbers without exponents, ISO 8601 times, '' when unknown."""
    cells = []
    for name in LATE_COLUMNS:
        value = getattr(result, name)
        if isinstance(value, float | int):
            value = f"{value:.3f}".rstrip("0").rstrip(".")
        cells.append(csv_text(value) if isinstance(value, str) else "")
    return cells


def csv_text(text: str) -> str:
    """A text cell for grades.csv: visible, and never a formula to a spreadsheet."""
    text = visible(text)
    return "'" + text if text.lstrip(" ").startswith(_CSV_FORMULA) else text
