"""Hidden tests of xavier_normal (05-weight-init, 2 points): the rubric lines shared with
xavier_uniform, in ``_sampling.xavier_tests``."""

from nncourse.grading.asserts import load_helper

HINT = "Xavier normal draws from N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))"

globals().update(load_helper(__file__, "_sampling").xavier_tests("xavier_normal", "normal", HINT))
