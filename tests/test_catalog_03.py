"""Catalog of 03-spiral (tests/catalog/03_spiral.py) graded through the real engine.

The regrade subject: Trainer stubbed, an MLP mistake, and the real polar_features, whose test
trains networks in the grader: its seeds must make regrades identical.
"""

from catalog.harness import Catalog, catalog_tests

CATALOG = Catalog("03-spiral",
                  rubric={"MLP": 5, "Trainer": 8, "accuracy": 2, "polar_features": 5},
                  regrade_mistake="mlp_logits_batch_by_one",
                  regrade_stubs=("Trainer",))
globals().update(catalog_tests(CATALOG))
