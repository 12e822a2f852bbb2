"""Notebook intake: every unusable file gets a specific reason; magics are neutralised and listed."""

import json

import pytest

from nncourse.intake import IntakeError, neutralise_magics, read_notebook


def _write(tmp_path, content, name="nb.ipynb"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _nb(cells):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "not valid JSON"),
        (b'{"cells": ["\xe9"]}', "not valid UTF-8"),
        ("[" * 100000 + "]" * 100000, "not valid JSON"),
        ("[1, 2, 3]", "not a Jupyter notebook"),
        (json.dumps({"nbformat": 3, "cells": []}), "unsupported notebook format"),
        (_nb([{"cell_type": "markdown", "source": "hi", "metadata": {}}]), "no code cells"),
        (_nb([{"cell_type": "code", "source": 42, "metadata": {}}]), "source is not text"),
    ],
)
def test_unusable_notebooks_are_rejected_with_a_specific_reason(tmp_path, content, reason):
    with pytest.raises(IntakeError, match=reason):
        read_notebook(_write(tmp_path, content), max_bytes=1 << 20)


def test_a_notebook_over_the_size_cap_is_rejected_before_it_is_read(tmp_path):
    path = _write(tmp_path, _nb([{"cell_type": "code", "source": "x" * 5000, "metadata": {}}]))
    with pytest.raises(IntakeError, match="limit.*clear all outputs"):
        read_notebook(path, max_bytes=1000)


def test_outputs_are_ignored_and_cell_kinds_come_from_nbgrader_grade_ids(tmp_path):
    cells = [
        {
            "cell_type": "code",
            "source": ["import numpy\n"],
            "outputs": [{"output_type": "error"}],
            "metadata": {"nbgrader": {"grade_id": "setup_imports"}},
        },
        {
            "cell_type": "code",
            "source": "def f(): pass",
            "metadata": {"nbgrader": {"grade_id": "f"}},
        },
        {
            "cell_type": "code",
            "source": "assert f() is None",
            "metadata": {"nbgrader": {"grade_id": "test_f"}},
        },
        {
            "cell_type": "code",
            "source": "plot()",
            "metadata": {"nbgrader": {"grade_id": "demo_plot"}},
        },
        {"cell_type": "code", "source": "helper = 1", "metadata": {}},
    ]
    notebook = read_notebook(_write(tmp_path, _nb(cells)), max_bytes=1 << 20)
    assert [c.kind for c in notebook.cells] == ["setup", "solution", "check", "demo", "student"]
    assert [c.index for c in notebook.runnable()] == [0, 1, 4]
    assert [c.index for c in notebook.runnable(include_checks=True)] == [0, 1, 2, 4]


def test_magics_and_shell_escapes_are_replaced_by_pass_and_reported():
    source, removed = neutralise_magics(
        "%matplotlib inline\nimport os\nfiles = !ls\nif True:\n    !rm -rf /\nx = 1 != 2"
    )
    assert source.splitlines() == [
        "pass",
        "import os",
        "pass",
        "if True:",
        "    pass",
        "x = 1 != 2",
    ]
    assert removed == ["%matplotlib inline", "files = !ls", "    !rm -rf /"]
    compile(source, "<cell>", "exec")


def test_a_cell_magic_removes_the_whole_cell():
    source, removed = neutralise_magics("%%bash\nrm -rf /\necho hi")
    assert source == "pass\n" and "whole cell" in removed[0]
