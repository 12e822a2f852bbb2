"""nbgrader_config.py must load without error: nbgrader would only log an error and use defaults."""

from nncourse.nbgrader_env import load_nbgrader_config


def test_nbgrader_config_loads_and_sets_the_course_layout(course):
    config = load_nbgrader_config(course)
    assert config.CourseDirectory.course_id.startswith("nn-pytorch-")
    assert config.CourseDirectory.db_url.startswith("sqlite:///")
    assert config.CourseDirectory.source_directory == "source"
    assert config.Execute.kernel_name == "python3"
    assert config.Execute.timeout >= 60
    assert "nbgrader.preprocessors.ClearHiddenTests" in config.GenerateFeedback.preprocessors
    assert config.IgnorePattern.enabled is True
