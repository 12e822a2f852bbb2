"""Intake does not trust what students can edit: given cells are recognised by their content."""

import copy
import json

import pytest

from nncourse import notebook_conventions as conventions
from nncourse.given_cells import GivenCells
from nncourse.grading.grader import Grader
from nncourse.grading.rubric import rubric_points
from nncourse.intake import IntakeError, read_notebook
from nncourse.sandbox.launcher import acquire_slot, check_sandbox

ASSIGNMENT = "01-gradient-descent"


def _answered(course, assignment, items=None) -> dict:
    release, source = (
        json.loads(p.read_text())
        for p in (course.release_notebook(assignment), course.source_notebook(assignment))
    )
    return conventions.answered(release, source, items)


def _stripped(notebook: dict) -> dict:
    """As a copy into a fresh notebook (or some editors' re-save) leaves it: no metadata at all."""
    data = copy.deepcopy(notebook)
    data["metadata"] = {}
    for cell in data["cells"]:
        cell["metadata"] = {}
    return data


def _rewritten(notebook: dict) -> dict:
    """Every grade_id moved to another code cell (a solution cell now claims to be a demo, ...)."""
    data = copy.deepcopy(notebook)
    code = conventions.code_cells(data)
    metadata = [cell["metadata"] for cell in code]
    for cell, meta in zip(code, metadata[1:] + metadata[:1]):
        cell["metadata"] = meta
    data["metadata"]["nncourse"]["assignment"] = "03-spiral"
    return data


def _write(tmp_path, name, data) -> object:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _kinds(path, given):
    return [(c.index, c.kind) for c in read_notebook(path, max_bytes=2**24, given=given).cells]


def test_stripped_or_rewritten_metadata_gives_every_cell_its_original_kind(course, tmp_path):
    given = GivenCells.load(course, ASSIGNMENT)
    original = _answered(course, ASSIGNMENT)
    expected = _kinds(_write(tmp_path, "original.ipynb", original), given)
    assert {kind for _, kind in expected} == {"setup", "demo", "solution", "check"}
    for name, data in (("stripped", _stripped(original)), ("rewritten", _rewritten(original))):
        got = _kinds(_write(tmp_path, f"{name}.ipynb", data), given)
        runs = [index for index, kind in got if conventions.runs_when_grading(kind)]
        assert runs == [index for index, kind in expected if conventions.runs_when_grading(kind)], (
            name
        )
        assert [kind for _, kind in got if kind in ("demo", "check")] == [
            kind for _, kind in expected if kind in ("demo", "check")
        ], name


def test_an_edited_demo_cell_is_the_students_own_cell_and_runs(course, tmp_path):
    given = GivenCells.load(course, ASSIGNMENT)
    data = _answered(course, ASSIGNMENT)
    demo = next(c for c in data["cells"] if conventions.grade_id(c) == "demo_gd_fit")
    demo["source"] = "print('my own experiment')\n"
    cells = read_notebook(
        _write(tmp_path, "edited.ipynb", data), max_bytes=2**24, given=given
    ).cells
    edited = next(c for c in cells if "my own experiment" in c.source)
    assert edited.kind == "student"


def test_a_notebook_of_another_assignment_is_named_in_the_error(course, tmp_path):
    given = GivenCells.load(course, ASSIGNMENT)
    for name, data in (
        ("spiral", _answered(course, "03-spiral")),
        ("spiral-stripped", _stripped(_answered(course, "03-spiral"))),
    ):
        with pytest.raises(
            IntakeError,
            match=r"notebook of 03-spiral, not of 01-gradient-descent \(its given cells",
        ):
            read_notebook(_write(tmp_path, f"{name}.ipynb", data), max_bytes=2**24, given=given)


def test_only_metadata_names_the_assignment_when_no_given_cell_is_left(course, tmp_path):
    given = GivenCells.load(course, ASSIGNMENT)
    own_code = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": "def predict(params, X):\n    return X @ params[1:] + params[0]\n",
    }
    data = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [own_code],
        "metadata": {"nncourse": {"assignment": "03-spiral"}},
    }
    with pytest.raises(
        IntakeError,
        match=r"notebook of 03-spiral, not of 01-gradient-descent \(its metadata says 03-spiral\)",
    ):
        read_notebook(_write(tmp_path, "meta.ipynb", data), max_bytes=2**24, given=given)
    data["metadata"] = {}
    cells = read_notebook(_write(tmp_path, "bare.ipynb", data), max_bytes=2**24, given=given).cells
    assert [c.kind for c in cells] == ["student"]


def test_a_stripped_or_rewritten_notebook_grades_exactly_as_the_original_in_notebook_order(
    course, tmp_path
):
    check_sandbox(course.venv)
    original = _answered(course, ASSIGNMENT)
    mse = next(c for c in original["cells"] if conventions.grade_id(c) == "mse_loss")
    mse["source"] = conventions.source_text(mse).replace("0.5 * ", "")  # a mistake: partial credit
    paths = {
        name: _write(tmp_path, f"{name}.ipynb", data)
        for name, data in (
            ("original", original),
            ("stripped", _stripped(original)),
            ("rewritten", _rewritten(original)),
            ("spiral", _answered(course, "03-spiral")),
        )
    }
    slot, lock = acquire_slot()
    grader = Grader(layout=course, assignment=ASSIGNMENT, secret=b"given", slot=slot)
    try:
        results = {name: grader.grade(path, student="same") for name, path in paths.items()}
    finally:
        grader.close()
        lock.close()
    first = results["original"]
    assert first.status == "graded" and 0 < first.score < first.max_score, first
    items = list(dict.fromkeys(t.item for t in first.tests))
    assert items == list(rubric_points(course.source_notebook(ASSIGNMENT))), "the notebook's order"
    assert [t.number for t in first.tests if t.item == "predict"][0] == "1.1"
    for name in ("stripped", "rewritten"):
        result = results[name]
        assert (result.score, result.cell_errors, result.notes) == (
            first.score,
            first.cell_errors,
            first.notes,
        ), name
        # the inputs are seeded by the file's hash, so messages may quote other numbers
        assert [(t.name, t.status) for t in result.tests] == [
            (t.name, t.status) for t in first.tests
        ], name
    spiral = results["spiral"]
    assert (
        spiral.status == "error"
        and "notebook of 03-spiral, not of 01-gradient-descent" in spiral.error
    )
