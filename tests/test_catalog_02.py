"""Catalog of 02-backpropagation (tests/catalog/02_backpropagation.py) graded through the real engine.

The regrade subject: a textbook sigmoid: exercises the warnings instrument.
"""

from catalog.harness import Catalog, catalog_tests

CATALOG = Catalog("02-backpropagation",
                  rubric={"Linear": 7, "ReLU": 3, "Sigmoid": 3, "bce_loss": 2, "bce_grad": 2, "Network": 3},
                  regrade_mistake="Sigmoid_textbook_overflows")
globals().update(catalog_tests(CATALOG))
