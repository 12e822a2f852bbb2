"""Catalog of 03-spiral (tests/catalog/03_spiral.py) graded through the real engine.

The regrade subject: Trainer stubbed, an MLP mistake, and the real polar_features, whose test
trains networks in the grader: its seeds must make regrades identical.
"""

from catalog.harness import CatalogSuite


class TestSpiral(CatalogSuite):
    ASSIGNMENT = "03-spiral"
    REGRADE_MISTAKE = "mlp_logits_batch_by_one"
    REGRADE_STUBS = ("Trainer",)
