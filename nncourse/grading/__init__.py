"""Grading: the `student` fixture, the pytest plugin, one-submission jobs and batches."""
