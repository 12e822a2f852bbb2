"""Hostile and broken submissions for the toy course, with the outcome each must have (issue 5)."""
