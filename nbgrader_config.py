"""nbgrader configuration of the course (authoring, release and the gradebook).

Grading itself is done by `nncourse grade` in a sandbox; nbgrader's gradebook receives the scores.
`tests/test_config.py` loads this file and fails on any error, because nbgrader only logs errors here.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# One gradebook per cohort: nbgrader assignment names are unique per database.
c.CourseDirectory.course_id = os.environ.get("NNCOURSE_COURSE_ID", "nn-pytorch")
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
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
