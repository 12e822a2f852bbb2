"""Student versions through nbgrader's generate_assignment, in a scratch course folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from nncourse.layout import CourseLayout
from nncourse.nbgrader_env import load_nbgrader_config, nbgrader_tools_on_path
from nncourse.release.public_checks import add_otter_checks

GENERATED_BY = "nncourse release"
DEFAULT_COHORT = "main"


def course_id_for(cohort: str) -> str:
    """Each cohort is its own nbgrader course (and gradebook)."""
    return f"nn-pytorch-{cohort}"


def generate_student_version(
    layout: CourseLayout, assignment: str, *, scratch: Path, cohort: str
) -> Path:
    """Run nbgrader's generate_assignment for one assignment inside ``scratch``.

    Returns:
        The generated student notebook (inside ``scratch``), tagged with the cohort.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    shutil.copytree(
        layout.source / assignment,
        scratch / "source" / assignment,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    config = load_nbgrader_config(layout)
    config.CourseDirectory.root = str(scratch)
    config.CourseDirectory.course_id = course_id_for(cohort)
    config.CourseDirectory.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
    config.Application.log_level = "ERROR"
    coursedir = CourseDirectory(config=config)
    with nbgrader_tools_on_path():
        result = NbGraderAPI(coursedir=coursedir, config=config).generate_assignment(
            assignment, force=True, create=True
        )
    if not result.get("success"):
        raise RuntimeError(
            f"nbgrader generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}"
        )
    notebook = scratch / "release" / assignment / layout.notebook_name(assignment)
    add_otter_checks(notebook, layout.source_notebook(assignment))
    strip_ta_rubrics(notebook)
    tag_notebook(notebook, cohort=cohort, kind="student version", assignment=assignment)
    return notebook


def strip_ta_rubrics(path: Path) -> None:
    """Remove the TA rubric of each written answer cell (``metadata.nncourse.rubric``)."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        own = cell.metadata.get("nncourse")
        if isinstance(own, dict) and "rubric" in own:
            del own["rubric"]
    nbformat.write(notebook, path)


def tag_notebook(path: Path, *, cohort: str, kind: str, assignment: str) -> None:
    """Record provenance in the notebook metadata and write it in nbformat's canonical form."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.setdefault("nncourse", {}).update(
        {
            "generated_by": GENERATED_BY,
            "kind": kind,
            "assignment": assignment,
            "cohort": cohort,
            "course_id": course_id_for(cohort),
        }
    )
    nbformat.write(notebook, path)


def committed_cohort(layout: CourseLayout) -> str:
    """The cohort recorded in the committed release (so a plain re-release keeps it)."""
    for notebook in sorted(layout.release.glob("*/*.ipynb")):
        meta = (
            json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {}).get("nncourse", {})
        )
        if isinstance(meta.get("cohort"), str):
            return meta["cohort"]
    return DEFAULT_COHORT
