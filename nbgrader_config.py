"""nbgrader configuration of the course (authoring, release and the gradebook).

Grading itself is done by `nncourse grade` in a sandbox; nbgrader's gradebook receives the scores.
`tests/test_config.py` loads this file and fails on any error, because nbgrader only logs errors here.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

_root = os.path.dirname(os.path.abspath(__file__))
_cohort_file = os.path.join(_root, "release", "cohort.txt")
_cohort = os.environ.get("NNCOURSE_COHORT") or (
    open(_cohort_file, encoding="utf-8").read().strip() if os.path.isfile(_cohort_file) else "main"
)

# One course id and one gradebook per cohort (`nncourse release --cohort ID` records the cohort):
# nbgrader assignment names are unique per database.
c.CourseDirectory.course_id = f"nn-pytorch-{_cohort}"
c.CourseDirectory.root = _root
c.CourseDirectory.db_url = f"sqlite:///{os.path.join(_root, f'gradebook-{_cohort}.db')}"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.solution_directory = "solutions"
# Nothing but the notebook is released; hidden tests live in autograders/, outside source/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".OTTER_LOG"]

# Stubs that name what to do.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# If nbgrader ever executes a notebook (validate, autograde): the standard kernel, a timeout that
# suits training cells, and library warnings on stderr not scored as failures.
c.Execute.kernel_name = "python3"
c.Execute.timeout = 120
c.ExecutePreprocessor.kernel_name = "python3"
c.ExecutePreprocessor.timeout = 120
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r".*(Warning|warn).*"

# Hidden tests never appear in feedback.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.OverwriteCells.add_missing_cells = True
