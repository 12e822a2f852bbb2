"""Hidden tests of kaiming_normal (05-weight-init, 4 points): the rubric lines shared with
kaiming_uniform, in ``_sampling.kaiming_tests``."""

from nncourse.grading.asserts import load_helper

HINT = (
    "Kaiming normal draws from N(0, std²) with std = gain / sqrt(fan), "
    "gain = calculate_gain(nonlinearity, a) and fan = fan_in (mode='fan_in') or fan_out (mode='fan_out'); "
    "rows are inputs: the matrix has shape (fan_in, fan_out)"
)

globals().update(load_helper(__file__, "_sampling").kaiming_tests("kaiming_normal", "normal", HINT))
