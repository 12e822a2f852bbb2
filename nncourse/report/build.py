"""Build ``OUT/report.html`` and its charts ``OUT/report/*.png`` from a grading output folder."""

from __future__ import annotations

import datetime
from pathlib import Path

from nncourse.report import plots
from nncourse.report.changes import regrade_changes
from nncourse.report.collect import collect
from nncourse.report.page import PageData, render_page
from nncourse.report.stats import common_failures, incidents, rubric_lines, summarise
from nncourse.similarity.record import load_review

CHARTS = {"scores": "scores.png", "passrate": "passrate.png", "times": "times.png"}
IMAGE_DIR = "report"


def build_report(out: Path, *, assignment: str | None = None, written: list | None = None) -> Path:
    """Write an offline HTML report of one graded assignment for instructors and TAs.

    Reads every ``OUT/<student>/<assignment>/results.json`` and writes ``OUT/report.html`` with the
    score distribution, the pass rate of each rubric line, the most common failure messages,
    timeouts and crashes, and a per-student table linking each ``<student>/<assignment>/feedback.html``.
    Charts go to ``OUT/report/*.png``; the page uses no network resources and no scripts. An empty
    folder or a cohort where nothing could be graded still gives a page that says so.

    Args:
        out: The grading output folder (``nncourse grade --out``).
        assignment: The assignment to report on; may be omitted when OUT holds only one.
        written: The assignment's written questions (``grading/written.py``), for their TA rubric.

    Returns:
        The path of the written ``report.html``.

    Raises:
        FileNotFoundError: ``out`` is not a folder.
        ValueError: ``assignment`` was omitted and OUT holds results of several assignments.
    """
    out = Path(out)
    if not out.is_dir():
        raise FileNotFoundError(f"no grading output folder at {out}")
    cohort = collect(out, assignment=assignment)
    found = incidents(cohort)
    summary = summarise(cohort, incidents=len(found))
    lines = rubric_lines(cohort)

    image_dir = out / IMAGE_DIR
    for name in CHARTS.values():  # charts of an earlier run must not outlive their data
        (image_dir / name).unlink(missing_ok=True)
    images: dict[str, str] = {}
    rows = cohort.submissions
    if rows:
        plots.score_histogram(
            [r.score for r in rows], summary.max_score, image_dir / CHARTS["scores"]
        )
        plots.time_histogram([r.execution_time for r in rows], image_dir / CHARTS["times"])
        images.update(
            scores=f"{IMAGE_DIR}/{CHARTS['scores']}", times=f"{IMAGE_DIR}/{CHARTS['times']}"
        )
    if lines:
        plots.pass_rate_chart(lines, image_dir / CHARTS["passrate"])
        images["passrate"] = f"{IMAGE_DIR}/{CHARTS['passrate']}"

    generated = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = render_page(
        PageData(
            cohort=cohort,
            summary=summary,
            lines=lines,
            failures=common_failures(cohort),
            incidents=found,
            images=images,
            generated=generated,
            has_grades_csv=(out / "grades.csv").is_file(),
            regrade=regrade_changes(out, cohort.assignment),
            similarity=load_review(out, cohort.assignment),
            written=tuple(written or ()),
        )
    )
    target = out / "report.html"
    tmp = target.with_name(".report.html.tmp")  # "." : never the name of a student's folder
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
