"""fit_nn(X, y, lr, n_epochs, seed=0) -> torch.nn.Module: Linear(3, 1), SGD and MSE / 2.

The convergence test does not depend on the initial weights: its learning rate is 1.5 / lambda_max of
the data's curvature, so a correct descent converges fast, while a loss without the / 2 (twice the step)
or summed over the batch diverges, and (n, 1)-vs-(n,) broadcasting converges to the wrong point.
The trajectory test relies on the documented start `torch.manual_seed(seed); torch.nn.Linear(3, 1)`.
"""

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, assert_close, load_helper
from nncourse.grading.student import Remote

HINT = (
    "train torch.nn.Linear(3, 1) with torch.optim.SGD(model.parameters(), lr) on "
    "mean((y_hat - y)^2) / 2, with y_hat flattened to shape (n,) (an (n, 1) output broadcasts against y), "
    "and zero the gradients before each backward()"
)


_data = load_helper(__file__, "_data")  # shared data helpers of this assignment
_draw = _data.draw


def _fitted_params(student, model) -> np.ndarray:
    """[a, b, c, d] from the returned module's only torch.nn.Linear(3, 1)."""
    builtins, nn = student.import_module("builtins"), student.import_module("torch.nn")
    if not (isinstance(model, Remote) and builtins.isinstance(model, nn.Module)):
        raise AssertionError(
            "fit_nn should return the trained torch.nn.Module (the model), "
            f"got {getattr(model, 'type_name', type(model).__name__)}"
        )
    linears = [m for m in builtins.list(model.modules()) if builtins.isinstance(m, nn.Linear)]
    assert len(linears) == 1, (
        f"fit_nn should return a module holding one torch.nn.Linear(3, 1), found {len(linears)}"
    )
    weight = as_array(linears[0].weight, "fit_nn: Linear weight")
    bias = linears[0].bias
    assert weight.shape == (1, 3) and bias is not None, (
        "fit_nn: the layer should be torch.nn.Linear(3, 1) with a bias (weight (1, 3), bias (1,))"
    )
    return np.concatenate([as_array(bias, "fit_nn: Linear bias").reshape(-1), weight.reshape(-1)])


@pytest.mark.points(2)
def test_converges_to_least_squares(student, rng):
    """converges to the least-squares fit at a learning rate close to the stability limit"""
    n = 80
    X, y = _draw(
        rng, n, means=rng.uniform(-0.3, 0.3, 3), scales=rng.uniform(0.7, 1.3, 3), sigma=0.5
    )
    X_tilde = np.column_stack([np.ones(n), X])
    eigenvalues = np.linalg.eigvalsh(X_tilde.T @ X_tilde / n)
    lr = float(1.5 / eigenvalues[-1])
    factor = float(np.max(np.abs(1.0 - lr * eigenvalues)))  # error shrinks by this per epoch
    n_epochs = int(min(400, np.ceil(np.log(1e-9) / np.log(factor))))
    ols = np.linalg.lstsq(X_tilde, y, rcond=None)[0]
    got = _fitted_params(student, student.fit_nn(X, y, lr, n_epochs, seed=int(rng.integers(1000))))
    assert_close(got, ols, "fit_nn: [bias, weight] after training", rtol=1e-3, atol=1e-3, hint=HINT)


@pytest.mark.points(1)
def test_follows_sgd_from_the_seeded_layer(student, rng, reference_solution):
    """starts from torch.manual_seed(seed); Linear(3, 1) (as is for n_epochs = 0), then follows SGD for 4 epochs"""
    X, y = _draw(rng, 60)
    seed = int(rng.integers(10_000))
    lr = float(rng.uniform(0.02, 0.05))
    start = _fitted_params(student, student.fit_nn(X, y, lr, 0, seed=seed))
    initial = reference_solution.fit_nn(X, y, lr, 0, seed=seed)
    assert_close(
        start,
        np.concatenate(
            [
                initial.bias.detach().numpy().astype(np.float64),
                initial.weight.detach().numpy().reshape(-1).astype(np.float64),
            ]
        ),
        "fit_nn with n_epochs = 0: [bias, weight]",
        rtol=1e-6,
        atol=1e-7,
        hint="with n_epochs = 0 the layer is untrained, as torch.manual_seed(seed); torch.nn.Linear(3, 1) "
        "created it: seed right before creating the layer, and make every step inside the epoch loop",
    )
    got = _fitted_params(student, student.fit_nn(X, y, lr, 4, seed=seed))
    reference = reference_solution.fit_nn(X, y, lr, 4, seed=seed)
    expected = np.concatenate(
        [
            reference.bias.detach().numpy().astype(np.float64),
            reference.weight.detach().numpy().reshape(-1).astype(np.float64),
        ]
    )
    assert_close(
        got,
        expected,
        "fit_nn: [bias, weight] after 4 epochs",
        rtol=1e-4,
        atol=1e-5,
        hint="call torch.manual_seed(seed) right before creating torch.nn.Linear(3, 1); then each epoch: "
        "zero_grad(), forward, loss = MSE / 2 on y_hat of shape (n,), backward(), step()",
    )
