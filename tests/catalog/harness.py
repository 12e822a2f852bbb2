"""The catalog harness: grade every entry of ``tests/catalog/<nn>_<name>.py`` through the real engine.

Each ``tests/test_catalog_<nn>.py`` subclasses :class:`CatalogSuite` for its assignment and gets the
whole test set: unusual-but-correct solutions get full marks, realistic mistakes lose points on the
rubric line meant to catch them (and, where an entry says ``only``, on no other line), the solution
gets full marks, the release stub 0 with "not implemented" messages, and one notebook regraded
10 times gets the same result every time.

A catalog entry replaces ONE solution cell (grade_id ``item``) of the source notebook with ``source``;
a mistake names the test that must catch it (``caught_by``, in ``test_<caught_in>.py``, default: the
entry's own item). All notebooks of one assignment are graded by ONE Grader (one sandbox slot) in a
class-scoped fixture, so the file costs one slot start-up.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from nncourse import notebook_conventions as conventions
from nncourse.grading.entry import open_grader
from nncourse.grading.rubric import rubric_points
from nncourse.layout import CourseLayout
from nncourse.sandbox.launcher import check_sandbox

REPO = Path(__file__).resolve().parent.parent.parent
REGRADES = 10


def load_module(path: Path, name: str):
    """Import a file that is not on sys.path (catalog files and autograders have non-identifier names)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def describe(result) -> str:
    """A graded result as the lines a failing catalog test prints."""
    lines = [
        f"status={result.status} score={result.score}/{result.max_score} "
        f"execution_time={result.execution_time} error={result.error}"
    ]
    lines += [f"  FAILED {t.name}: {t.output}" for t in result.tests if t.status != "passed"]
    lines += [f"  cell error: {e}" for e in result.cell_errors]
    return "\n".join(lines)


class Catalog:
    """One assignment's catalog, its notebooks and its rubric (the source notebook's check cells).

    Args:
        assignment: the assignment id, e.g. ``02-backpropagation``.
        regrade_stubs: items stubbed in the regrade subject (the expensive ones, to keep it quick).
        regrade_mistake: the catalog mistake in the regrade subject (so its score is partial).
    """

    def __init__(
        self, assignment: str, *, regrade_mistake: str, regrade_stubs: tuple[str, ...] = ()
    ):
        self.assignment = assignment
        self.layout = CourseLayout(REPO)
        self.source = self.layout.source_notebook(assignment)
        self.release = self.layout.release_notebook(assignment)
        self.autograders = self.layout.autograder_dir(assignment)
        self.rubric = rubric_points(self.source)
        self.regrade_mistake, self.regrade_stubs = regrade_mistake, regrade_stubs
        number, name = assignment.split("-", 1)
        self.module = load_module(
            REPO / "tests" / "catalog" / f"{number}_{name.replace('-', '_')}.py",
            f"catalog_{number}",
        )
        self.correct = [e for e in self.module.ENTRIES if e["kind"] == "correct"]
        self.mistakes = [e for e in self.module.ENTRIES if e["kind"] == "mistake"]

    # ----------------------------------------------------------------------------------- rubric
    def test_functions(self, item: str) -> dict[str, tuple[list, str | None]]:
        """test name -> (points markers, rubric title) of the tests ``test_<item>.py`` defines."""
        module = load_module(
            self.autograders / f"test_{item}.py", f"catalog_autograder_{self.assignment}_{item}"
        )
        found = {}
        for name, function in vars(module).items():
            if name.startswith("test_") and callable(function):
                points = [
                    m.args[0] for m in getattr(function, "pytestmark", []) if m.name == "points"
                ]
                doc = (function.__doc__ or "").strip().splitlines()
                found[name] = (points, f"{item}: {doc[0].strip()}" if doc else None)
        return found

    def rubric_title(self, entry: dict) -> str:
        """The rubric line (as results report it) of the test that must catch ``entry``."""
        item = entry.get("caught_in", entry["item"])
        functions = self.test_functions(item)
        assert entry["caught_by"] in functions, (
            f"catalog error: no {entry['caught_by']} in test_{item}.py"
        )
        return functions[entry["caught_by"]][1]

    # -------------------------------------------------------------------------------- notebooks
    def notebook_with(self, replacements: dict[str, str]) -> dict:
        """The source notebook with the solution cells named by grade_id replaced by new source."""
        data = copy.deepcopy(json.loads(self.source.read_text(encoding="utf-8")))
        found = set()
        for cell in data["cells"]:
            grade_id = conventions.grade_id(cell)
            if grade_id in replacements:
                assert conventions.is_solution(cell), f"{grade_id} is not a solution cell"
                cell["source"] = replacements[grade_id].strip("\n") + "\n"
                found.add(grade_id)
        assert found == set(replacements), f"solution cells not found: {set(replacements) - found}"
        return data

    def regrade_subject(self) -> dict:
        cells = conventions.by_grade_id(json.loads(self.source.read_text(encoding="utf-8")))
        replacements = {
            item: conventions.stubbed(conventions.source_text(cells[item]))
            for item in self.regrade_stubs
        }
        mistake = next(e for e in self.mistakes if e["name"] == self.regrade_mistake)
        replacements[mistake["item"]] = mistake["source"]
        return self.notebook_with(replacements)

    def grade_all(self, folder: Path) -> dict:
        """name -> result for every entry, ``@solution``, ``@stub``; ``@regrades`` -> list of results."""
        check_sandbox(self.layout.venv)
        notebooks = {
            e["name"]: self.notebook_with({e["item"]: e["source"]}) for e in self.module.ENTRIES
        }
        notebooks["@stub"] = json.loads(self.release.read_text(encoding="utf-8"))
        notebooks["@regrade"] = self.regrade_subject()
        paths = {"@solution": self.source}
        for name, data in notebooks.items():
            paths[name] = folder / f"{name}.ipynb"
            paths[name].write_text(json.dumps(data), encoding="utf-8")
        with open_grader(self.layout, self.assignment, secret=b"catalog") as grader:
            results = {name: grader.grade(path, student=name) for name, path in paths.items()}
            results["@regrades"] = [results.pop("@regrade")]
            results["@regrades"] += [
                grader.grade(paths["@regrade"], student="again") for _ in range(REGRADES - 1)
            ]
        return results


class CatalogSuite:
    """The catalog tests of one assignment; a ``Test...`` subclass per assignment sets the class data.

    Attributes:
        ASSIGNMENT: the assignment id.
        REGRADE_MISTAKE, REGRADE_STUBS: the regrade subject (see :class:`Catalog`).
    """

    ASSIGNMENT: str
    REGRADE_MISTAKE: str
    REGRADE_STUBS: tuple[str, ...] = ()
    catalog: Catalog

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.catalog = Catalog(
            cls.ASSIGNMENT, regrade_mistake=cls.REGRADE_MISTAKE, regrade_stubs=cls.REGRADE_STUBS
        )

    def pytest_generate_tests(self, metafunc):
        entries = {
            "test_correct_variant_gets_full_marks": self.catalog.correct,
            "test_mistake_loses_points_on_its_rubric_line": self.catalog.mistakes,
        }
        if metafunc.function.__name__ in entries:
            chosen = entries[metafunc.function.__name__]
            metafunc.parametrize("entry", chosen, ids=[e["name"] for e in chosen])

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        return cls.catalog.grade_all(tmp_path_factory.mktemp(f"catalog-{cls.ASSIGNMENT}"))

    def test_catalog_and_rubric_are_consistent(self):
        catalog = self.catalog
        assert len(catalog.correct) >= 6 and len(catalog.mistakes) >= 12
        names = [e["name"] for e in catalog.module.ENTRIES]
        assert len(names) == len(set(names)), "catalog names must be unique"
        assert all(e["item"] in catalog.rubric for e in catalog.module.ENTRIES)
        for entry in catalog.mistakes:
            catalog.rubric_title(entry)  # every named test exists
        files = {p.stem.removeprefix("test_") for p in catalog.autograders.glob("test_*.py")}
        assert files == set(catalog.rubric), "one hidden test file per graded item"
        for item, points in catalog.rubric.items():
            functions = catalog.test_functions(item)
            assert all(len(p) == 1 for p, _ in functions.values()), (
                f"test_{item}.py: one points marker per test"
            )
            assert all(title for _, title in functions.values()), (
                f"test_{item}.py: every test needs a docstring"
            )
            assert sum(p[0] for p, _ in functions.values()) == points, (
                f"test_{item}.py must add up to {points}"
            )

    def test_solution_gets_full_marks_within_the_time_budget(self, graded):
        result = graded["@solution"]
        assert result.status == "graded" and result.score == result.max_score == 20, describe(
            result
        )
        # the grader and the single-threaded worker take turns, so this wall time bounds the suite's CPU
        assert result.execution_time <= 10, (
            f"the hidden suite took {result.execution_time:.1f} s (budget 10 s)"
        )

    def test_correct_variant_gets_full_marks(self, graded, entry):
        result = graded[entry["name"]]
        assert result.status == "graded" and result.score == result.max_score, describe(result)

    def test_mistake_loses_points_on_its_rubric_line(self, graded, entry):
        result = graded[entry["name"]]
        assert result.status == "graded", describe(result)
        assert result.score < result.max_score, describe(result)
        title = self.catalog.rubric_title(entry)
        line = [t for t in result.tests if t.name == title]
        assert len(line) == 1, f"no rubric line {title!r}\n{describe(result)}"
        assert line[0].status == "failed", f"{title!r} passed\n{describe(result)}"
        assert line[0].output, "a failed line needs feedback"
        if entry.get("only"):
            others = [t.name for t in result.tests if t.status != "passed" and t.name != title]
            assert not others, f"only {title!r} should fail\n{describe(result)}"

    def test_release_stub_scores_zero_with_not_implemented_messages(self, graded):
        result = graded["@stub"]
        assert result.status == "graded" and result.score == 0, describe(result)
        assert all("not implemented" in t.output for t in result.tests), describe(result)

    def test_regrading_gives_the_same_result(self, graded):
        first, *others = graded["@regrades"]
        assert len(others) == REGRADES - 1
        assert first.status == "graded" and 0 < first.score < first.max_score, describe(first)
        for run in others:
            assert run.score == first.score, describe(run)
            assert [(t.name, t.status, t.output) for t in run.tests] == [
                (t.name, t.status, t.output) for t in first.tests
            ], describe(run)
