"""Catalog of 01-gradient-descent (tests/catalog/01_gradient_descent.py) graded through the real engine.

The regrade subject: the expensive items stubbed and a loss mistake.
"""

from catalog.harness import Catalog, catalog_tests

CATALOG = Catalog("01-gradient-descent",
                  rubric={"predict": 2, "mse_loss": 2, "mse_gradient": 5, "gradient_descent": 4, "fit_autograd": 4, "fit_nn": 3},
                  regrade_mistake="mse_loss_sum_not_mean",
                  regrade_stubs=("gradient_descent", "fit_autograd", "fit_nn"))
globals().update(catalog_tests(CATALOG))
