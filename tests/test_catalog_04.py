"""Catalog of 04-tensorboard (tests/catalog/04_tensorboard.py) graded through the real engine.

The regrade subject: reads the event files of a writer that was never closed.
"""

from catalog.harness import CatalogSuite


class TestTensorboard(CatalogSuite):
    ASSIGNMENT = "04-tensorboard"
    REGRADE_MISTAKE = "train_writer_never_closed"
