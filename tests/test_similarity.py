"""Similarity review (``nncourse similarity``): copies are found, independent work is not flagged.

The cohorts are made of the course's release notebooks with the catalogs' correct solutions pasted
in (``tests/catalog/``), so every notebook is one a student could hand in.
"""

from __future__ import annotations

import ast
import csv
import difflib
import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from catalog.disguise import disguise, paste
from catalog.disguise import solution_sources as _solutions
from catalog.harness import REPO, load_module
from click.testing import CliRunner
from copydetect import compare_files

from nncourse import notebook_conventions as conventions
from nncourse.cli import main
from nncourse.config import SimilaritySettings
from nncourse.layout import CourseLayout
from nncourse.report import build_report
from nncourse.similarity.compare import Cohort, similarities
from nncourse.similarity.extract import Skipped, document, given_code, normalise
from nncourse.similarity.review import flagged, review_similarity

LAYOUT = CourseLayout(REPO)
A = "02-backpropagation"
OWN_HELPERS = """
def helper(v):
    return [v * i for i in range(10) if i % 3]


def running_mean(values, width=3):
    out, window = [], []
    for value in values:
        window.append(value)
        if len(window) > width:
            window.pop(0)
        out.append(sum(window) / len(window))
    return out


def other(w):
    total = 0
    for k in w:
        total += k * k
    return total / max(len(w), 1)
"""


def catalog(assignment: str):
    number, name = assignment.split("-", 1)
    return load_module(
        REPO / "tests" / "catalog" / f"{number}_{name.replace('-', '_')}.py",
        f"similarity_catalog_{number}",
    )


def solution_sources(assignment: str) -> dict[str, str]:
    return _solutions(LAYOUT.source_notebook(assignment))


def notebook(
    path: Path, assignment: str, answers: dict[str, str], extra: tuple[str, ...] = ()
) -> Path:
    """The release notebook with ``answers`` (grade_id -> source) pasted in, and own cells added."""
    return paste(LAYOUT.release_notebook(assignment), answers, path, extra)


def answers_from(assignment: str, index: int) -> dict[str, str]:
    """The catalog's ``index``-th correct solution of every item (the instructor's where none)."""
    answers = solution_sources(assignment)
    for item in answers:
        variants = [e["source"] for e in catalog(assignment).CORRECT if e["item"] == item]
        if index < len(variants):
            answers[item] = variants[index]
    return answers


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """02's cohort: three independent students, a disguised copy of one, stubs, an empty notebook,
    a broken file, hostile text, and code that would leave a mark if anything ran it."""
    root = tmp_path_factory.mktemp("similarity")
    submitted = root / "submitted"
    ana = answers_from(A, 0)
    notebook(submitted / "ana" / A / "backpropagation.ipynb", A, ana)
    notebook(submitted / "ben" / A / "backpropagation.ipynb", A, answers_from(A, 1))
    notebook(submitted / "cleo" / A / "backpropagation.ipynb", A, solution_sources(A))
    notebook(
        submitted / "zed" / A / "backpropagation.ipynb",
        A,
        {item: disguise(source) for item, source in ana.items()},
    )
    for name in ("stu", "stan"):
        notebook(submitted / name / A / "backpropagation.ipynb", A, {})
    release = json.loads(LAYOUT.release_notebook(A).read_text(encoding="utf-8"))
    for cell in release["cells"]:
        cell["source"] = "" if cell["cell_type"] == "code" else cell["source"]
    (submitted / "emma" / A).mkdir(parents=True)
    (submitted / "emma" / A / "backpropagation.ipynb").write_text(json.dumps(release))
    (submitted / "bob" / A).mkdir(parents=True)
    (submitted / "bob" / A / "backpropagation.ipynb").write_text("{not json")
    marker = root / "ran"
    hostile = (
        "HOSTILE = '</pre></td><script>alert(1)</script>\x1b[2J\u202e'\n"
        f"open({str(marker)!r}, 'w').write('the review ran student code')\n"
        "raise SystemExit('never')\n"
    )
    for name in ("<img src=x onerror=alert(1)>", "mallory"):
        notebook(
            submitted / name / A / "backpropagation.ipynb", A, {}, extra=(hostile, OWN_HELPERS)
        )
    return submitted


@pytest.fixture(scope="module")
def reviewed(cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    review = review_similarity(out, submitted=cohort, layout=LAYOUT, assignment=A)
    return out, review, build_report(out, assignment=A).read_text(encoding="utf-8")


def _csv(out: Path) -> list[dict]:
    return list(csv.DictReader((out / "similarity.csv").read_text(encoding="utf-8").splitlines()))


def test_a_disguised_copy_is_the_top_pair_with_every_item_involved(reviewed):
    out, review, _ = reviewed
    rows = _csv(out)
    top = rows[0]
    assert {top["student_a"], top["student_b"]} == {"ana", "zed"}, rows[:3]
    assert float(top["similarity_a"]) > 0.9 and float(top["similarity_b"]) > 0.9
    assert set(top["items"].split()) == set(solution_sources(A))
    assert review.pairs[0].rank == 1 and {review.pairs[0].a, review.pairs[0].b} == {"ana", "zed"}
    honest = [r for r in rows if {r["student_a"], r["student_b"]} <= {"ana", "ben", "cleo"}]
    assert all(max(float(r["similarity_a"]), float(r["similarity_b"])) < 0.6 for r in honest), (
        honest
    )
    similarities = [max(float(r["similarity_a"]), float(r["similarity_b"])) for r in rows]
    assert similarities == sorted(similarities, reverse=True), "most similar first"


def test_stubs_empty_and_broken_notebooks_are_left_out_and_counted(reviewed):
    out, review, page = reviewed
    assert review.left_out["stub"] == ["stan", "stu"]
    assert review.left_out["empty"] == ["emma"] and review.left_out["unreadable"] == ["bob"]
    assert review.compared == 6
    named = {r["student_a"] for r in _csv(out)} | {r["student_b"] for r in _csv(out)}
    assert not named & {"stan", "stu", "emma", "bob"}, "stubs never pair"
    text = " ".join(page.split())
    assert "left out: 2 untouched stubs, 1 empty notebook, 1 unreadable notebook" in text


def test_the_report_lists_the_pair_first_and_links_its_side_by_side_page(reviewed):
    out, review, page = reviewed
    section = page[page.index("<h2 id=similar>") : page.index("<h2 id=students>")]
    first = re.search(r"<tr><td class=num>1</td><td>(.*?)</td><td>(.*?)</td>", section)
    assert first and {first.group(1), first.group(2)} == {"ana", "zed"}
    link = re.search(r"href='(report/similar/001\.html)'", section)
    assert link, section[:500]
    pair = (out / link.group(1)).read_text(encoding="utf-8")
    assert "script-src 'none'" in pair
    for side in re.findall(r"<pre>(.*?)</pre>", pair, re.S):
        marked = sum(len(m) for m in re.findall(r"<mark>(.*?)</mark>", side, re.S))
        assert marked > 0.8 * len(re.sub(r"</?mark>", "", side)), "the copied code is highlighted"
    assert "upstream" in pair and "grad_out" in pair, "both students' own names are shown"


def test_hostile_notebook_text_is_escaped_everywhere_and_never_run(reviewed, cohort):
    out, review, page = reviewed
    assert not (cohort.parent / "ran").exists(), "the review must only read students' code"
    hostile = next(p for p in review.pairs if "mallory" in (p.a, p.b))
    assert {hostile.a, hostile.b} == {"mallory", "<img src=x onerror=alert(1)>"}
    pair = (out / hostile.page).read_text(encoding="utf-8")
    for text in (page, pair):
        assert "<script" not in text and "<img src=x" not in text and "</pre></td>" not in text
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "\\x1b[2J" in pair

    class Structure(HTMLParser):
        tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

    Structure().feed(pair)
    assert Structure.tags.count("pre") == 2 and "script" not in Structure.tags


def test_the_cli_reviews_again_with_the_last_inputs_and_explains_what_is_missing(
    reviewed, tmp_path
):
    out, _, _ = reviewed
    (out / "similarity.csv").unlink()
    run = CliRunner().invoke(main, ["similarity", str(out)])
    assert run.exit_code == 0, run.output
    assert (out / "similarity.csv").is_file() and "Similar submissions" in (
        out / "report.html"
    ).read_text()
    run = CliRunner().invoke(main, ["similarity", str(tmp_path)])
    assert run.exit_code == 2 and "pass --assignment and --submitted" in run.output
    run = CliRunner().invoke(main, ["similarity", str(tmp_path), "-a", A])
    assert run.exit_code == 2 and "pass --submitted" in run.output


def test_normalising_ignores_comments_names_layout_and_order_but_keeps_unparsable_code():
    one = "def f(a):\n    '''doc'''\n    return a + 1\n\n\ndef g(b, c):\n    return b * c\n"
    two = "def mul(x, y):  # mine\n    return x*y\n\ndef inc(v):\n    return v+1\n"
    shape = lambda text: re.sub(r"\b[a-z]+\b", "N", normalise(text))  # noqa: E731
    assert shape(one) == shape(two)
    assert normalise("def broken(:\n  pass") == "def broken(:\n  pass"


def _text(source: str) -> str:
    """Source without comments, docstrings or layout, names and order kept."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def _derived(source: str, other: str) -> bool:
    """One text is a small edit of the other (the catalogs' ``_edit`` entries)."""
    return difflib.SequenceMatcher(None, _text(source), _text(other)).ratio() > 0.8


def same_as_copydetect(cohort: Cohort, matches: dict) -> int:
    """Every pair's figures equal ``copydetect.compare_files``'s; returns the pairs checked."""
    for a, b in itertools.combinations(range(len(cohort.documents)), 2):
        overlap, (sim_a, sim_b), _ = compare_files(cohort.prints[a], cohort.prints[b])
        key = frozenset((cohort.documents[a].student, cohort.documents[b].student))
        mine = matches.get(key)
        if not overlap:
            assert mine is None, key
            continue
        first = mine.a.student == cohort.documents[a].student
        assert (mine.similarity_a, mine.similarity_b) == pytest.approx(
            (sim_a, sim_b) if first else (sim_b, sim_a)
        ), key
        assert mine.overlap == (
            overlap if first else compare_files(cohort.prints[b], cohort.prints[a])[0]
        )
    return len(cohort.documents) * (len(cohort.documents) - 1) // 2


def test_the_catalogs_independent_correct_solutions_are_not_flagged_at_the_default_threshold(
    tmp_path,
):
    settings, measured, derived_pairs, checked = SimilaritySettings(), [], [], 0
    for assignment in LAYOUT.assignments():
        given = given_code(LAYOUT.release_notebook(assignment), max_bytes=1 << 30)
        solutions = solution_sources(assignment)
        for item in sorted({e["item"] for e in catalog(assignment).CORRECT}):
            variants = {
                e["name"]: e["source"] for e in catalog(assignment).CORRECT if e["item"] == item
            }
            variants["solution"] = solutions[item]
            docs = []
            for name, source in variants.items():
                path = notebook(tmp_path / assignment / f"{name}.ipynb", assignment, {item: source})
                docs.append(document(name, path, given=given, max_bytes=1 << 30, max_chars=200_000))
            assert not [d for d in docs if isinstance(d, Skipped)]
            cohort = Cohort(docs, given=given.code, k=settings.noise_tokens, window=settings.window)
            matches = {frozenset((m.a.student, m.b.student)): m for m in similarities(cohort)}
            checked += same_as_copydetect(cohort, matches)
            shown = {
                frozenset((m.a.student, m.b.student))
                for m in flagged(list(matches.values()), settings)
            }
            for a, b in itertools.combinations(variants, 2):
                key = frozenset((a, b))
                match = matches.get(key)
                row = (
                    match.similarity if match else 0.0,
                    match.overlap if match else 0,
                    assignment,
                    a,
                    b,
                )
                if _derived(variants[a], variants[b]):
                    long = min(len(_text(variants[a])), len(_text(variants[b]))) > 400
                    derived_pairs.append((key in shown or not long, row))
                else:
                    measured.append((key in shown, row))
    flagged_independent = [row for shown, row in measured if shown]
    assert not flagged_independent, flagged_independent
    assert len(measured) > 100 and checked == len(measured) + len(derived_pairs)
    top = max(row for _, row in measured)
    assert top[0] < settings.threshold or top[1] < settings.min_tokens
    assert len(derived_pairs) >= 3 and all(ok for ok, _ in derived_pairs), (
        "a long entry that is a small edit of another is found",
        derived_pairs,
    )
    print("independent pairs:", len(measured), "derived:", derived_pairs)
    print("highest independent pairs:", sorted((row for _, row in measured), reverse=True)[:5])


def test_grading_a_cohort_reviews_it_and_the_report_shows_the_copy_first(toy, tmp_path):
    from conftest import toy_notebook
    from test_batch import FAST

    from nncourse.api import grade

    data = json.loads(toy.source_notebook("01-toy").read_text(encoding="utf-8"))
    for cell in data["cells"]:
        cell["source"] = conventions.stubbed("".join(cell["source"]))
    toy.release_notebook("01-toy").parent.mkdir(parents=True)
    toy.release_notebook("01-toy").write_text(json.dumps(data), encoding="utf-8")
    root = tmp_path / "submitted"
    toy_notebook(root / "alice" / "01-toy" / "toy.ipynb", extra_cells=[OWN_HELPERS], before=False)
    toy_notebook(
        root / "zoe" / "01-toy" / "toy.ipynb", extra_cells=[disguise(OWN_HELPERS)], before=False
    )
    toy_notebook(root / "bob" / "01-toy" / "toy.ipynb", body="    return x + x\n")
    toy_notebook(root / "carol" / "01-toy" / "toy.ipynb", body="    raise NotImplementedError()\n")
    out, lines = tmp_path / "out", []
    grade(
        root,
        layout=toy,
        assignment="01-toy",
        out=out,
        limits=FAST,
        db_url=f"sqlite:///{tmp_path / 'g.db'}",
        progress=lines.append,
    )
    assert any(line.startswith("similarity: 3 notebooks compared") for line in lines), lines
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index("<h2 id=similar>") : page.index("<h2 id=students>")]
    first = re.search(r"<tr><td class=num>1</td><td>(.*?)</td><td>(.*?)</td>", section)
    assert first and {first.group(1), first.group(2)} == {"alice", "zoe"}, section
    assert "left out: 1 untouched stub." in " ".join(section.split())
    assert (out / "similarity.csv").is_file() and (
        out / "report" / "similar" / "001.html"
    ).is_file()


def test_the_figures_are_the_same_in_every_process(cohort, tmp_path):
    """Python salts its string hash per process; the figures must not depend on it."""
    import os
    import subprocess
    import sys

    tables = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        out.mkdir()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nncourse.cli",
                "similarity",
                str(out),
                "--submitted",
                str(cohort),
                "-a",
                A,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        tables.append((out / "similarity.csv").read_text(encoding="utf-8"))
    assert tables[0] == tables[1] and tables[0].count("\n") > 3


def test_the_pages_render_in_headless_chromium_and_hostile_code_stays_text(reviewed, tmp_path):
    from browser import dump_dom, ensure_chromium

    out, review, _ = reviewed
    browser = ensure_chromium()
    report = dump_dom(browser, out / "report.html", profile=tmp_path / "profile")
    assert "Similar submissions" in report and "report/similar/001.html" in report
    hostile = next(p for p in review.pairs if "mallory" in (p.a, p.b))
    dom = dump_dom(browser, out / hostile.page, profile=tmp_path / "profile")
    assert dom.count("<pre>") == 2 and "<script" not in dom and "<img" not in dom
    assert "&lt;/pre&gt;&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_a_cell_claiming_to_be_given_or_an_unknown_item_is_the_students_own(tmp_path):
    """Only the release's cells are given: a copy in a cell labelled ``setup_...`` still counts."""
    path = notebook(tmp_path / "sly.ipynb", A, {}, extra=(OWN_HELPERS, OWN_HELPERS))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cells"][-2]["metadata"] = {"nbgrader": {"grade_id": "setup_given_helpers"}}
    data["cells"][-1]["metadata"] = {"nbgrader": {"grade_id": "Linear2", "solution": True}}
    path.write_text(json.dumps(data), encoding="utf-8")
    given = given_code(LAYOUT.release_notebook(A), max_bytes=1 << 30)
    found = document("sly", path, given=given, max_bytes=1 << 30, max_chars=200_000)
    assert not isinstance(found, Skipped) and [p.name for p in found.parts] == ["own cells"]
    assert found.text.count("def running_mean") == 2
