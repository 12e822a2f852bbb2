"""The HTML pages' templates: one stylesheet, lateness shown when a run knew a deadline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser

from test_report import A, parse, result, small_cohort, write

from nncourse.grading.feedback import render_feedback
from nncourse.grading.results import SubmissionResult
from nncourse.report import build_report
from nncourse.templating import TEMPLATES

LATE = {
    "submitted_at": "2027-03-02T10:30:00+01:00",
    "due_at": "2027-03-01T23:59:00+01:00",
    "seconds_late": 37860.0,
    "raw_score": 8.0,
    "penalty": 2.0,
}


@dataclass(frozen=True)
class LateResult(SubmissionResult):
    """A result with the shared contract's lateness fields, whether or not the engine has them."""

    submitted_at: str | None = None
    due_at: str | None = None
    seconds_late: float | None = None
    raw_score: float | None = None
    penalty: float | None = None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data):
        self.text.append(data)


def text_of(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.text).split())


def test_both_pages_inline_the_one_shared_stylesheet_and_forbid_scripts():
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    feedback = render_feedback(result("alice"))
    report = _empty_report()
    for page in (feedback, report):
        assert css in page and page.count("<style>") == 1
        assert "script-src 'none'" in page and "<link" not in page


def _empty_report() -> str:
    from nncourse.report.collect import Cohort
    from nncourse.report.page import PageData, render_page
    from nncourse.report.stats import summarise

    cohort = Cohort(assignment=A, submissions=())
    return render_page(
        PageData(
            cohort=cohort,
            summary=summarise(cohort, incidents=0),
            lines=[],
            failures=[],
            incidents=[],
            images={},
            generated="now",
            has_grades_csv=False,
        )
    )


def test_feedback_of_a_late_submission_shows_raw_score_lateness_penalty_and_final_score():
    base = result("bob", {"1.3": "mse_gradient: wrong value"})
    fields = {k: getattr(base, k) for k in SubmissionResult.__dataclass_fields__}
    late = LateResult(**{**fields, **LATE})
    text = text_of(render_feedback(late))
    assert "submitted 2027-03-02T10:30:00+01:00" in text and "due 2027-03-01T23:59:00+01:00" in text
    assert "lateness 10 h 31 min late" in text
    assert f"raw score 8 / {base.max_score:g}" in text and "late penalty −2" in text
    assert f"final score {base.score:g} / {base.max_score:g}" in text
    on_time = LateResult(**{**fields, **LATE, "seconds_late": 0.0, "penalty": 0.0})
    assert "lateness on time" in text_of(render_feedback(on_time))
    assert "late penalty none" in text_of(render_feedback(on_time))
    assert "Lateness" not in render_feedback(base), "no deadline known: no lateness section"


def test_report_shows_lateness_columns_only_when_results_carry_them(tmp_path):
    out = tmp_path / "graded"
    write(out, small_cohort())
    plain = parse(build_report(out, assignment=A).read_text(encoding="utf-8"))
    assert plain.rows["students"][0] == ["student", "score", "max", "status", "time (s)"]

    path = out / "bob" / A / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(LATE, score=6.0)
    path.write_text(json.dumps(data), encoding="utf-8")
    page = build_report(out, assignment=A).read_text(encoding="utf-8")
    rows = {row[0]: row for row in parse(page).rows["students"]}
    assert rows["student"][5:] == ["raw score", "late", "penalty"]
    assert rows["bob"][1] == "6" and rows["bob"][5:] == ["8", "10 h 31 min", "2"]
    assert rows["alice"][5:] == ["–", "–", "–"], "a result without lateness shows dashes"
    assert "1 submission came in late" in text_of(page)


def test_hostile_lateness_text_is_escaped(tmp_path):
    out = tmp_path / "graded"
    write(out, small_cohort())
    path = out / "bob" / A / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(LATE, submitted_at="<script>alert(1)</script>\x1b[2J")
    path.write_text(json.dumps(data), encoding="utf-8")
    page = build_report(out, assignment=A).read_text(encoding="utf-8")
    assert "<script" not in page and "\x1b" not in page
