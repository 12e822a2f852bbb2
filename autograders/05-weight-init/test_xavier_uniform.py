"""Hidden tests of xavier_uniform (05-weight-init, 2 points): the rubric lines shared with
xavier_normal, in ``_sampling.xavier_tests``."""

from nncourse.grading.asserts import load_helper

HINT = (
    "Xavier uniform draws from U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)), "
    "i.e. standard deviation gain * sqrt(2 / (fan_in + fan_out)) and b = sqrt(3) * std"
)

globals().update(load_helper(__file__, "_sampling").xavier_tests("xavier_uniform", "uniform", HINT))
