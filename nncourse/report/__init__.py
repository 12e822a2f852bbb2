"""The instructors' report of a graded assignment: ``build_report(OUT)`` writes ``OUT/report.html``."""

from nncourse.report.build import build_report

__all__ = ["build_report"]
