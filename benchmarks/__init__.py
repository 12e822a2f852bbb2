"""`make bench`: grading speed of `nncourse grade` against stock `nbgrader autograde` (see scripts/bench.py).

Not part of the installed package: ``scripts/bench.py`` puts the repository on ``sys.path``.
"""
