"""Grading on a Dask cluster: the driver keeps journal, reports and gradebook; workers hold slots."""
