"""Catalog of 02-backpropagation (tests/catalog/02_backpropagation.py) graded through the real engine.

The regrade subject: a textbook sigmoid: exercises the warnings instrument.
"""

from catalog.harness import CatalogSuite


class TestBackpropagation(CatalogSuite):
    ASSIGNMENT = "02-backpropagation"
    REGRADE_MISTAKE = "Sigmoid_textbook_overflows"
