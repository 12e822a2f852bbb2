"""Catalog of 01-gradient-descent (tests/catalog/01_gradient_descent.py) graded through the real engine.

The regrade subject: the expensive items stubbed and a loss mistake.
"""

from catalog.harness import CatalogSuite


class TestGradientDescent(CatalogSuite):
    ASSIGNMENT = "01-gradient-descent"
    REGRADE_MISTAKE = "mse_loss_sum_not_mean"
    REGRADE_STUBS = ("gradient_descent", "fit_autograd", "fit_nn")
