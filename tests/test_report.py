"""The instructors' report (``nncourse report OUT``): content, escaping, charts, and a real browser.

The README screenshot comes from the same synthetic cohort:
``cd tests && ../.venv/bin/python -c "import test_report; test_report.save_readme_screenshot()"``.
"""

from __future__ import annotations

import random
import re
import shutil
import struct
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import dump_dom, ensure_chromium, screenshot

from nncourse.grading.feedback import render_feedback
from nncourse.grading.results import SubmissionResult, error_result
from nncourse.grading.results import TestResult as RubricResult  # not a pytest class
from nncourse.report import build_report
from nncourse.report.collect import collect
from nncourse.report.stats import common_failures

A = "01-gradient-descent"
RUBRIC = [
    ("1.1", "mse_loss: value on a batch", 1.0),
    ("1.2", "mse_gradient: shape", 1.0),
    ("1.3", "mse_gradient: value", 2.0),
    ("1.10", "mse_gradient: no torch inside", 1.0),
    ("2.1", "train: loss decreases", 2.0),
    ("2.2", "train: calls model.eval() before validating", 1.0),
]
MAX = sum(points for _, _, points in RUBRIC)
INTERCEPT = "mse_gradient: wrong value for the intercept term"
HOSTILE = "mse_gradient: the result could not be checked (ValueError: <script>alert('x')</script>)"
TIMEOUT = "train: your code did not return within 30 s"
CRASH = "the process running your code was killed by SIGKILL (memory limit?)"
CELL_TIMEOUT = "cell 7: did not finish within 60 s (an endless loop?); it was skipped so the rest could be graded"


def result(
    student: str,
    failures: dict[str, str] | None = None,
    *,
    assignment: str = A,
    seconds: float = 4.0,
    cell_errors: tuple[str, ...] = (),
) -> SubmissionResult:
    """A graded submission failing the rubric lines (by number) in ``failures`` with those messages."""
    failures = failures or {}
    tests = tuple(
        RubricResult(
            name=name,
            number=number,
            item=name.split(":")[0],
            max_score=points,
            score=0.0 if number in failures else points,
            status="failed" if number in failures else "passed",
            output=failures.get(number, ""),
            visibility="visible",
        )
        for number, name, points in RUBRIC
    )
    return SubmissionResult(
        student=student,
        assignment=assignment,
        score=sum(t.score for t in tests),
        max_score=MAX,
        execution_time=seconds,
        status="graded",
        error=None,
        tests=tests,
        cell_errors=cell_errors,
        sha256="0" * 64,
    )


def write(out: Path, results: list[SubmissionResult], *, feedback: bool = True) -> None:
    """Lay results out as ``nncourse grade`` does: results.json, feedback.html, grades.csv."""
    for r in results:
        folder = out / r.student / r.assignment
        r.write(folder / "results.json")
        if feedback:
            (folder / "feedback.html").write_text(render_feedback(r), encoding="utf-8")
    (out / "grades.csv").write_text(
        "student,assignment,score\n"
        + "".join(f"{r.student},{r.assignment},{r.score:g}\n" for r in results),
        encoding="utf-8",
    )


def small_cohort() -> list[SubmissionResult]:
    return [
        result("alice", seconds=3.1),
        result("bob", {"1.3": INTERCEPT}, seconds=4.2),
        result(
            "carol", {"1.3": INTERCEPT, "2.2": "train: model.eval() was never called"}, seconds=5.0
        ),
        result("d'arcy & co", {"1.3": HOSTILE}, seconds=2.5),
        error_result(
            student="erin", assignment=A, max_score=MAX, error=f"not graded: no notebook in {A}/"
        ),
        result("frank", {"2.1": TIMEOUT}, seconds=61.0, cell_errors=(CELL_TIMEOUT,)),
        result("grace", {"2.1": CRASH, "2.2": CRASH}, seconds=9.0),
    ]


class _Parser(HTMLParser):
    """Tags with attributes, and the text of each table row below each ``<h2 id=...>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._section, self._row, self._cell = "", None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "h2":
            self._section = attrs.get("id", "")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._section, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> _Parser:
    parser = _Parser()
    parser.feed(page)
    return parser


def assert_png(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 50 and height > 50
    return width, height


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "graded"
    write(folder, small_cohort())
    return folder


def test_report_lists_every_student_rubric_line_failure_and_incident(out):
    page_path = build_report(out, assignment=A)
    assert page_path == out / "report.html"
    page = page_path.read_text(encoding="utf-8")
    doc = parse(page)

    links = {attrs.get("href") for tag, attrs in doc.tags if tag == "a"}
    student_rows = doc.rows["students"][1:]
    assert [row[0] for row in student_rows] == sorted(r.student for r in small_cohort())
    for r in small_cohort():
        assert f"{quote(r.student)}/{A}/feedback.html" in links
        assert (out / r.student / A / "feedback.html").is_file()
    assert student_rows[4][:4] == ["erin", "0", f"{MAX:g}", "error"]

    rubric = doc.rows["rubric"][1:]
    assert [(row[0], row[1]) for row in rubric] == [
        (n, name) for n, name, _ in RUBRIC
    ]  # 1.10 after 1.3
    assert rubric[2][3:5] == ["3", "6"]  # 1.3 passed by alice, frank, grace out of 6 with tests

    failures = {(row[1], row[2]): int(row[0]) for row in doc.rows["failures"][1:]}
    assert failures[("1.3 mse_gradient: value", INTERCEPT)] == 2
    assert failures[("1.3 mse_gradient: value", HOSTILE)] == 1
    assert failures[("2.2 train: calls model.eval() before validating", CRASH)] == 1
    assert doc.rows["failures"][1][0] == "2"  # most frequent first

    incidents = {row[0]: (row[1], row[2]) for row in doc.rows["incidents"][1:]}
    assert set(incidents) == {"erin", "frank", "grace"}
    assert incidents["erin"][0] == "error" and "no notebook" in incidents["erin"][1]
    assert (
        incidents["frank"][0] == "timeout" and "did not finish within 60 s" in incidents["frank"][1]
    )
    assert incidents["grace"][0] == "crash" and "killed by SIGKILL" in incidents["grace"][1]

    summary = " ".join(page.split())
    assert "<b>7</b><span>students</span>" in summary and "<b>6</b><span>graded</span>" in summary
    assert "<b>1</b><span>could not be graded</span>" in summary


def test_untrusted_text_is_escaped_and_nothing_is_remote(out):
    page = build_report(out, assignment=A).read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "d&#x27;arcy &amp; co" in page and "d'arcy &" not in page
    refs = [
        value
        for tag, attrs in parse(page).tags
        for key, value in attrs.items()
        if key in ("src", "href")
    ]
    assert refs and not [
        r for r in refs if re.match(r"^\s*(https?:|//|data:|javascript:)", r or "", re.IGNORECASE)
    ]
    assert not re.search(r"@import|url\(|<link|<iframe|<object", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page


def test_control_characters_in_a_results_json_are_shown_as_visible_escapes_never_raw(out):
    import json

    raw = result(
        "mallet", {"1.3": "mse_gradient raised ValueError: \x1b[2J\x1b[HPASS\u202e 20/20"}
    ).to_json()
    # as an older run (or a hand edit) left it
    raw.update(error="\x9b31m", cell_errors=["cell 3: \x07\x00"])
    (out / "mallet" / A / "results.json").parent.mkdir(parents=True)
    (out / "mallet" / A / "results.json").write_text(json.dumps(raw), encoding="utf-8")
    page = build_report(out, assignment=A).read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", page)
    assert "\\x1b[2J\\x1b[HPASS\\u202e 20/20" in page
    feedback = render_feedback(SubmissionResult.from_json(raw))
    assert "\x1b" not in feedback and "\\x1b[2J" in feedback and "\\x07\\x00" in feedback


def test_charts_are_valid_pngs_referenced_relatively(out):
    # one assignment in OUT: no need to name it
    page = build_report(out).read_text(encoding="utf-8")
    images = [attrs["src"] for tag, attrs in parse(page).tags if tag == "img"]
    assert images == ["report/scores.png", "report/passrate.png", "report/times.png"]
    for src in images:
        assert_png(out / src)


def test_stats_group_identical_messages_per_rubric_line(out):
    failures = common_failures(collect(out, assignment=A))
    assert (failures[0].number, failures[0].message, failures[0].count) == ("1.3", INTERCEPT, 2)
    assert failures[0].students == ("bob", "carol")
    assert sum(f.count for f in failures) == 7


def test_empty_folder_still_renders(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "passrate.png").write_bytes(b"stale")
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "No graded submissions were found" in page and "<img" not in page
    assert not (tmp_path / "report" / "passrate.png").exists()


def test_all_error_cohort_still_renders(tmp_path):
    write(
        tmp_path,
        [
            error_result(
                student=s, assignment=A, max_score=MAX, error="not graded: notebook is not JSON"
            )
            for s in ("ann", "ben")
        ],
        feedback=False,
    )
    page = build_report(tmp_path, assignment=A).read_text(encoding="utf-8")
    assert "None of the 2 submissions could be graded" in page
    assert "No submission produced test results" in page
    assert_png(tmp_path / "report" / "scores.png")
    assert not (tmp_path / "report" / "passrate.png").exists()
    assert "ann/01-gradient-descent/feedback.html" in page  # linked even before feedback exists


def test_several_assignments_and_unreadable_files(out):
    result("alice", assignment="02-mlp").write(out / "alice" / "02-mlp" / "results.json")
    (out / "zed" / A).mkdir(parents=True)
    (out / "zed" / A / "results.json").write_text("{torn", encoding="utf-8")
    with pytest.raises(ValueError, match="several assignments"):
        build_report(out)
    page = build_report(out, assignment=A).read_text(encoding="utf-8")
    assert "zed/01-gradient-descent/results.json: JSONDecodeError" in page
    assert "also holds results of 02-mlp" in page
    from click.testing import CliRunner

    from nncourse.cli import main

    run = CliRunner().invoke(main, ["report", str(out)])
    assert (
        run.exit_code == 2 and "several assignments" in run.output and "Traceback" not in run.output
    )


CHECK = (
    "<script>window.addEventListener('load', () => {const all = [...document.images];"
    "document.body.dataset.loaded = all.filter(i => i.complete && i.naturalWidth > 0).length;"
    "document.body.dataset.total = all.length;});</script>"
)


def _with_script(page: str, *, keep_csp: bool) -> str:
    if not keep_csp:
        page = re.sub(r"<meta http-equiv='Content-Security-Policy'[^>]*>", "", page)
    return page.replace("</body>", CHECK + "</body>")


def test_report_renders_offline_in_headless_chromium(out, tmp_path):
    browser = ensure_chromium()
    started = time.monotonic()
    page = build_report(out, assignment=A)
    text = page.read_text(encoding="utf-8")
    expected = len(re.findall(r"<img\b", text))
    assert expected == 3

    check = out / "report-check.html"  # next to report.html, so relative image paths resolve alike
    check.write_text(_with_script(text, keep_csp=False), encoding="utf-8")
    dom = dump_dom(browser, check, profile=tmp_path / "profile")
    loaded = re.search(r'data-loaded="(\d+)"', dom)
    total = re.search(r'data-total="(\d+)"', dom)
    assert loaded and total, "the image check did not run in chromium"
    assert (int(loaded.group(1)), int(total.group(1))) == (expected, expected), (
        "an <img> did not load"
    )

    # the page's CSP stops scripts
    check.write_text(_with_script(text, keep_csp=True), encoding="utf-8")
    assert "data-loaded" not in dump_dom(browser, check, profile=tmp_path / "profile")

    shot = screenshot(
        browser, page, tmp_path / "report.png", profile=tmp_path / "profile", size=(1200, 2000)
    )
    assert assert_png(shot) == (1200, 2000)
    assert time.monotonic() - started < 30


def big_cohort(out: Path, *, size: int = 28, seed: int = 8) -> None:
    """A plausible cohort for the screenshot: common mistakes, a timeout, a crash, two ungradable."""
    rng = random.Random(seed)
    names = [
        "ada",
        "ben",
        "chloe",
        "dmitri",
        "eva",
        "farid",
        "gwen",
        "hiro",
        "ines",
        "jonas",
        "kemal",
        "lena",
        "mateo",
        "nadia",
        "oskar",
        "priya",
        "quinn",
        "rosa",
        "sami",
        "tara",
        "ugo",
        "vera",
        "wen",
        "xavi",
        "yusuf",
        "zoe",
        "aiko",
        "bram",
    ]
    mistakes = {
        "1.1": ["mse_loss: returned the sum of squared errors, not the mean"],
        "1.3": [INTERCEPT, "mse_gradient: the gradient has the wrong sign"],
        "1.10": ["mse_gradient: used torch inside a numpy-only function"],
        "2.1": ["train: the loss did not decrease over 20 steps (learning rate too large?)"],
        "2.2": ["train: model.eval() was never called"],
    }
    rates = {"1.1": 0.15, "1.2": 0.0, "1.3": 0.45, "1.10": 0.2, "2.1": 0.35, "2.2": 0.5}
    results = []
    for i, name in enumerate(names[:size]):
        if i in (3, 17):
            results.append(
                error_result(
                    student=name,
                    assignment=A,
                    max_score=MAX,
                    error="not graded: the notebook is not valid JSON (line 1, column 1)",
                )
            )
            continue
        failures = {
            n: rng.choice(mistakes[n]) for n in rates if n in mistakes and rng.random() < rates[n]
        }
        cells: tuple[str, ...] = ()
        if i == 9:
            failures["2.1"], cells = TIMEOUT, (CELL_TIMEOUT,)
        if i == 21:
            failures["2.1"] = CRASH
        results.append(
            result(
                name,
                failures,
                seconds=round(rng.uniform(2.5, 9.0), 1) + (55 if i == 9 else 0),
                cell_errors=cells,
            )
        )
    write(out, results)


README_SHOT = Path(__file__).resolve().parent.parent / "docs" / "report-screenshot.png"


def save_readme_screenshot(
    target: Path = README_SHOT, *, size: tuple[int, int] = (1200, 1600)
) -> Path:
    """Regenerate ``docs/report-screenshot.png`` from ``big_cohort`` (not a test)."""
    import tempfile

    browser = ensure_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "graded"
        big_cohort(out)
        page = build_report(out, assignment=A)
        shot = screenshot(
            browser, page, Path(tmp) / "shot.png", profile=Path(tmp) / "profile", size=size
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
    return target
