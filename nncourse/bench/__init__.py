"""`make bench`: grading speed of `nncourse grade` against stock `nbgrader autograde` (see scripts/bench.py)."""
