"""Catalog of 04-tensorboard (tests/catalog/04_tensorboard.py) graded through the real engine.

The regrade subject: reads the event files of a writer that was never closed.
"""

from catalog.harness import Catalog, catalog_tests

CATALOG = Catalog("04-tensorboard",
                  rubric={"figure_to_array": 3, "decision_boundary": 5, "train_with_logging": 12},
                  regrade_mistake="train_writer_never_closed")
globals().update(catalog_tests(CATALOG))
