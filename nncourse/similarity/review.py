"""``nncourse similarity OUT``: which submissions look copied (a review aid, never a penalty).

Writes ``OUT/similarity.csv`` (every pair that shares code, most similar first), one side-by-side
page per pair above the threshold (``OUT/report/similar/<rank>.html``) and the data of report.html's
"Similar submissions" section (``OUT/report/similarity.json``, plain JSON).
"""

from __future__ import annotations

import csv
import datetime
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from nncourse.config import GradingLimits, SimilaritySettings
from nncourse.layout import CourseLayout
from nncourse.similarity.compare import Cohort, Match, similarities
from nncourse.similarity.extract import Document, Skipped, document, given_code
from nncourse.similarity.pages import write_pair_pages
from nncourse.similarity.record import DATA, Pair, SimilarityReview, load_review_any

CSV_NAME = "similarity.csv"
PAGES = "report/similar"


def _documents(
    submitted: Path, layout: CourseLayout, assignment: str, settings: SimilaritySettings
) -> tuple[list[Document], dict[str, list[str]], str]:
    """Each submission's compared code, or why it is left out; and the given code."""
    from nncourse.grading.batch import find_submissions

    max_bytes = GradingLimits().notebook_bytes
    given = given_code(layout.release_notebook(assignment), max_bytes=max_bytes)
    documents, left_out = [], {"stub": [], "empty": [], "unreadable": [], "no notebook": []}
    for submission in find_submissions(submitted, assignment, layout.notebook_name(assignment)):
        if submission.notebook is None or not submission.recordable:
            left_out["no notebook"].append(submission.student)
            continue
        try:
            found = document(
                submission.student,
                submission.notebook,
                given=given,
                max_bytes=max_bytes,
                max_chars=settings.max_chars,
            )
        except Exception as exc:  # one student's odd text never stops the others' comparison
            found = Skipped(submission.student, "unreadable", f"{type(exc).__name__}: {exc}")
        if isinstance(found, Skipped):
            left_out[found.reason].append(submission.student)
        else:
            documents.append(found)
    return documents, left_out, given.code


def _write_csv(path: Path, matches: list[Match]) -> None:
    from nncourse.grading.grades_csv import csv_text

    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["student_a", "student_b", "similarity_a", "similarity_b", "tokens", "items"]
        )
        for m in matches:
            writer.writerow(
                [
                    csv_text(m.a.student),
                    csv_text(m.b.student),
                    f"{m.similarity_a:.3f}",
                    f"{m.similarity_b:.3f}",
                    m.overlap,
                    csv_text(" ".join(m.items)),
                ]
            )
    tmp.replace(path)


def flagged(matches: list[Match], settings: SimilaritySettings) -> list[Match]:
    """The pairs a TA should look at: above the threshold, with enough matching code."""
    return [
        m
        for m in matches
        if m.similarity >= settings.threshold and m.overlap >= settings.min_tokens
    ][: settings.pairs_shown]


def review_similarity(
    out: Path,
    *,
    submitted: Path,
    layout: CourseLayout,
    assignment: str,
    settings: SimilaritySettings = SimilaritySettings(),
    progress: Callable[[str], None] | None = None,
) -> SimilarityReview:
    """Compare the students' code of one assignment and write the CSV, the pages and the data.

    Args:
        out: The grading output folder.
        submitted: ``SUBMITTED/<student>/<assignment>/*.ipynb`` (the notebooks are only read).
        layout: The course (its release notebook's code is the boilerplate).
        assignment: The assignment id.
        settings: Tokens, window, threshold.
        progress: Where one summary line goes.

    Returns:
        What the report shows; also written to ``OUT/report/similarity.json``.
    """
    started = time.monotonic()
    release = layout.release_notebook(assignment)
    if not release.is_file():
        raise ValueError(
            f"no student version of {assignment} at {release} (run `nncourse release`): "
            "the given code must be known to leave it out"
        )
    documents, left_out, given = _documents(submitted, layout, assignment, settings)
    cohort = Cohort(documents, given=given, k=settings.noise_tokens, window=settings.window)
    matches = similarities(cohort)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / CSV_NAME, matches)
    shown = flagged(matches, settings)
    pages = write_pair_pages(out / PAGES, cohort, shown, assignment=assignment)
    pairs = [
        Pair(
            rank=rank,
            a=m.a.student,
            b=m.b.student,
            similarity_a=round(m.similarity_a, 4),
            similarity_b=round(m.similarity_b, 4),
            tokens=m.overlap,
            items=list(m.items),
            page=f"{PAGES}/{page}",
        )
        for rank, (m, page) in enumerate(zip(shown, pages), 1)
    ]
    review = SimilarityReview(
        assignment=assignment,
        submitted=str(submitted.resolve()),
        generated=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        compared=len(documents),
        left_out=left_out,
        pairs_sharing_code=len(matches),
        threshold=settings.threshold,
        min_tokens=settings.min_tokens,
        pairs=pairs,
        seconds=round(time.monotonic() - started, 2),
    )
    data = out / DATA
    data.parent.mkdir(parents=True, exist_ok=True)
    tmp = data.with_name(f".{data.name}.tmp")
    tmp.write_text(json.dumps(asdict(review), indent=1), encoding="utf-8")
    tmp.replace(data)
    if progress:
        skipped = ", ".join(f"{len(v)} {k}" for k, v in left_out.items() if v) or "none"
        progress(
            f"similarity: {len(documents)} notebooks compared in {review.seconds:.1f} s "
            f"(left out: {skipped}); {len(pairs)} pair(s) above {settings.threshold:g}"
        )
    return review


def review_cohort(
    out: Path,
    *,
    layout: CourseLayout,
    submitted: Path | None = None,
    assignment: str | None = None,
    settings: SimilaritySettings = SimilaritySettings(),
    progress: Callable[[str], None] | None = None,
) -> SimilarityReview:
    """`nncourse similarity OUT`: review again, by default with the last review's inputs.

    Raises:
        ValueError: no earlier review in OUT names the submissions or the assignment, and they were
            not given; or the assignment is unknown.
    """
    previous = load_review_any(out)
    assignment = assignment or (previous.assignment if previous else None)
    if assignment is None:
        raise ValueError(
            f"no earlier similarity review in {out}: pass --assignment and --submitted"
        )
    layout.check_assignment(assignment)
    if submitted is None:
        if previous is None or previous.assignment != assignment:
            raise ValueError(
                f"which submissions? pass --submitted (no earlier review of {assignment} in {out})"
            )
        submitted = Path(previous.submitted)
    if not submitted.is_dir():
        raise ValueError(f"no submissions folder at {submitted}")
    return review_similarity(
        out,
        submitted=submitted,
        layout=layout,
        assignment=assignment,
        settings=settings,
        progress=progress,
    )


def review_after_batch(
    out: Path,
    *,
    submitted: Path,
    layout: CourseLayout,
    assignment: str,
    progress: Callable[[str], None],
) -> SimilarityReview | None:
    """The review at the end of `nncourse grade`; a failure is reported, never fatal."""
    try:
        return review_similarity(
            out, submitted=submitted, layout=layout, assignment=assignment, progress=progress
        )
    except Exception as exc:  # the grades are written already; the review is an aid on top
        progress(f"similarity review not written: {type(exc).__name__}: {exc}")
        return None
