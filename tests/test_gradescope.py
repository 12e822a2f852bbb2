"""The Gradescope autograder zip, run in a simulated /autograder tree (no network: the existing venv)."""

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import toy_notebook

from nncourse.config import GradingLimits
from nncourse.gradescope.build import build_autograder_zip
from nncourse.grading.digest import grading_fingerprint
from nncourse.grading.results import RESULTS_SCHEMA
from nncourse.secret import load_secret

REPO = Path(__file__).resolve().parent.parent


def _validate(data, schema):
    """A small JSON-schema check (type, required, properties, enum, items) for results.json."""
    kinds = {"object": dict, "array": list, "number": (int, float), "string": str}
    if "type" in schema:
        assert isinstance(data, kinds[schema["type"]]), f"{data!r} is not {schema['type']}"
    if "enum" in schema:
        assert data in schema["enum"], f"{data!r} not in {schema['enum']}"
    for key in schema.get("required", []):
        assert key in data, f"missing {key}"
    for key, sub in schema.get("properties", {}).items():
        if isinstance(data, dict) and key in data:
            _validate(data[key], sub)
    if "items" in schema:
        for item in data:
            _validate(item, schema["items"])


GRADESCOPE_SCHEMA = {  # Gradescope's own fields (their autograder specification)
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "max_score", "score"],
                "properties": {
                    "name": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "output": {"type": "string"},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                },
            },
        },
    },
}


def _run(zip_path, notebook, tmp_path, name):
    root = tmp_path / name
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for script in ("run_autograder", "setup.sh"):
        os.chmod(root / "source" / script, 0o755)
    (root / "submission").mkdir()
    shutil.copy(notebook, root / "submission" / notebook.name)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), NNCOURSE_VENV=str(REPO / ".venv"))
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture
def autograder_zip(toy, tmp_path):
    return build_autograder_zip(toy, "01-toy", out=tmp_path / "dist")


def test_the_zip_holds_what_grading_needs_and_nothing_else(autograder_zip):
    names = zipfile.ZipFile(autograder_zip).namelist()
    for required in (
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "nncourse/gradescope/autograder.py",
        "autograders/01-toy/test_double.py",
        "source/01-toy/toy.ipynb",
        "nncourse-autograder.json",
    ):
        assert required in names
    assert not any(
        "__pycache__" in n or n.startswith(("tests/", "release/", "solutions/")) for n in names
    )
    assert zipfile.ZipFile(autograder_zip).getinfo("run_autograder").external_attr >> 16 & 0o111


def test_simulated_gradescope_run_grades_solution_stub_and_hostile(autograder_zip, toy, tmp_path):
    solution = toy_notebook(tmp_path / "subs" / "toy.ipynb")
    stub = toy_notebook(tmp_path / "stub" / "toy.ipynb", body="    raise NotImplementedError()")
    hostile = toy_notebook(
        tmp_path / "hostile" / "toy.ipynb",
        extra_cells=[
            "import os, signal\nopen('/autograder/results/results.json', 'w').write('{\"score\": 999}')\n"
            "os.kill(-1, signal.SIGKILL)"
        ],
        body="    return 999",
    )
    results = {
        name: _run(autograder_zip, path, tmp_path, name)
        for name, path in (("solution", solution), ("stub", stub), ("hostile", hostile))
    }
    for data in results.values():
        _validate(data, GRADESCOPE_SCHEMA)
        _validate(data, RESULTS_SCHEMA)
    assert results["solution"]["score"] == 3.0
    assert results["stub"]["score"] == 0.0
    assert all("not implemented yet" in t["output"] for t in results["stub"]["tests"])
    assert results["hostile"]["score"] == 0.0 and results["hostile"]["status"] == "graded"
    local = grading_fingerprint(
        toy, "01-toy", secret=load_secret(toy.secret_file), limits=GradingLimits()
    )
    assert results["solution"]["fingerprint"] == local, "Gradescope grades with the same autograder"


def test_a_crash_of_the_engine_still_leaves_a_results_file(autograder_zip, tmp_path):
    root = tmp_path / "broken"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), NNCOURSE_VENV=str(tmp_path / "no-such-venv"))
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "could not grade" in data["output"]
