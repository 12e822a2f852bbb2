# ruff: noqa: N999  (the file name is the assignment id, as the catalog convention asks)
"""Catalog for 01-gradient-descent: correct-but-unusual solutions and realistic mistakes.

Each entry replaces ONE solution cell (the cell whose nbgrader grade_id is ``item``) of the source
notebook with ``source``. ``tests/test_catalog_01.py`` grades a notebook per entry: every correct entry
must get full marks; every mistake strictly less, with the test named in ``caught_by`` failed.
"""

CORRECT = [
    {
        "name": "predict_row_loop_returning_list",
        "item": "predict",
        "source": """
def predict(params, X):
    a, b, c, d = (float(p) for p in params)
    out = []
    for row in X:
        out.append(a + b * row[0] + c * row[1] + d * row[2])
    return out
""",
    },
    {
        "name": "predict_einsum_augmented",
        "item": "predict",
        "source": """
def predict(params, X):
    X_tilde = np.hstack([np.ones((len(X), 1)), np.asarray(X)])
    return np.einsum("ij,j->i", X_tilde, np.asarray(params, dtype=float))
""",
    },
    {
        "name": "mse_loss_dot_product",
        "item": "mse_loss",
        "source": """
def mse_loss(params, X, y):
    r = predict(params, X) - y
    return r @ r / (2 * len(y))
""",
    },
    {
        "name": "mse_loss_float32",
        "item": "mse_loss",
        "source": """
def mse_loss(params, X, y):
    r = (np.asarray(predict(params, X), dtype=np.float32) - np.asarray(y, dtype=np.float32))
    return np.float32(0.5) * np.square(r).sum() / np.float32(len(r))
""",
    },
    {
        "name": "mse_gradient_float32",
        "item": "mse_gradient",
        "source": """
def mse_gradient(params, X, y):
    X32 = np.asarray(X, dtype=np.float32)
    p = np.asarray(params, dtype=np.float32)
    r = p[0] + X32 @ p[1:] - np.asarray(y, dtype=np.float32)
    return np.concatenate([[r.mean()], (X32 * r[:, None]).mean(axis=0)]).astype(np.float32)
""",
    },
    {
        "name": "mse_gradient_sample_loops",
        "item": "mse_gradient",
        "source": """
def mse_gradient(params, X, y):
    n = len(y)
    g = [0.0, 0.0, 0.0, 0.0]
    for i in range(n):
        r = params[0] + params[1] * X[i][0] + params[2] * X[i][1] + params[3] * X[i][2] - y[i]
        g[0] += r / n
        for j in range(3):
            g[j + 1] += r * X[i][j] / n
    return np.array(g)
""",
    },
    {
        "name": "mse_gradient_augmented_einsum",
        "item": "mse_gradient",
        "source": """
def mse_gradient(params, X, y):
    Xt = np.c_[np.ones(len(X)), X]
    return np.einsum("ij,i->j", Xt, Xt @ params - y) / len(y)
""",
    },
    {
        "name": "gradient_descent_lecture_scalars",
        "item": "gradient_descent",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    am, bm, cm, dm = (float(v) for v in params0)
    losses = []
    for _ in range(n_epochs):
        losses.append(mse_loss(np.array([am, bm, cm, dm]), X, y))
        ga, gb, gc, gd = mse_gradient(np.array([am, bm, cm, dm]), X, y)
        am -= lr * ga
        bm -= lr * gb
        cm -= lr * gc
        dm -= lr * gd
    return np.array([am, bm, cm, dm]), losses
""",
    },
    {
        "name": "gradient_descent_inplace_on_copy",
        "item": "gradient_descent",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    p = params0.copy()
    losses = []
    for epoch in range(n_epochs):
        losses.append(float(mse_loss(p, X, y)))
        p -= lr * mse_gradient(p, X, y)
    return p, np.array(losses)
""",
    },
    {
        "name": "gradient_descent_while_loop_list",
        "item": "gradient_descent",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    theta = np.asarray(params0, dtype=float) + 0.0  # a new array
    losses = []
    epoch = 0
    while epoch < n_epochs:
        losses.append(mse_loss(theta, X, y))
        theta = theta - lr * mse_gradient(theta, X, y)
        epoch += 1
    return theta, losses
""",
    },
    {
        "name": "fit_autograd_while_loop_grad_none",
        "item": "fit_autograd",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.float64)
    p = torch.tensor(np.array(params0, dtype=np.float64), requires_grad=True)
    remaining = n_epochs
    while remaining > 0:
        loss = 0.5 * ((p[0] + Xt @ p[1:] - yt) ** 2).mean()
        p.grad = None
        loss.backward()
        with torch.no_grad():
            p.copy_(p - lr * p.grad)
        remaining -= 1
    return p.detach().clone()
""",
    },
    {
        "name": "fit_autograd_four_scalar_tensors",
        "item": "fit_autograd",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    import torch.nn.functional as F
    Xt = torch.tensor(np.asarray(X, dtype=np.float64))
    yt = torch.tensor(np.asarray(y, dtype=np.float64))
    a, b, c, d = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in params0]
    for _ in range(n_epochs):
        y_hat = a + b * Xt[:, 0] + c * Xt[:, 1] + d * Xt[:, 2]
        loss = F.mse_loss(y_hat, yt) / 2
        loss.backward()
        for p in (a, b, c, d):
            p.data -= lr * p.grad
            p.grad.zero_()
    return torch.stack([a, b, c, d]).detach()
""",
    },
    {
        "name": "fit_autograd_autograd_backward_function",
        "item": "fit_autograd",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    ones = torch.ones(len(Xt), 1, dtype=torch.float64)
    X_tilde = torch.cat([ones, Xt], dim=1)
    yt = torch.as_tensor(y, dtype=torch.float64)
    w = torch.from_numpy(np.array(params0, dtype=np.float64)).requires_grad_()
    for _ in range(n_epochs):
        w.grad = None
        loss = ((X_tilde @ w - yt) ** 2).sum() / (2 * len(yt))
        torch.autograd.backward(loss)
        with torch.no_grad():
            w.sub_(lr * w.grad)
    return w.detach()
""",
    },
    {
        "name": "fit_autograd_column_shapes_not_detached",
        "item": "fit_autograd",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    X_tilde = torch.cat([torch.ones(len(X), 1, dtype=torch.float64), torch.as_tensor(X).double()], dim=1)
    y_col = torch.as_tensor(y).double().reshape(-1, 1)
    w = torch.tensor(np.asarray(params0, dtype=np.float64).reshape(4, 1), requires_grad=True)
    for _ in range(n_epochs):
        loss = torch.mean((X_tilde @ w - y_col) ** 2) * 0.5
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            w.grad.zero_()
    return w.view(4)  # still attached to the graph: allowed
""",
    },
    {
        "name": "fit_nn_lecture_sequential_flatten",
        "item": "fit_nn",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    import torch.nn.functional as F
    Xt = torch.from_numpy(np.asarray(X)).float()
    yt = torch.from_numpy(np.asarray(y)).float()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(n_epochs):
        loss = F.mse_loss(model(Xt), yt, reduction="sum") / (2 * len(yt))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
    return model
""",
    },
    {
        "name": "fit_nn_steps_counted_in_a_while_loop",
        "item": "fit_nn",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    x_t, y_t = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    layer = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(layer.parameters(), lr=lr)
    steps = 0
    while steps < n_epochs:
        sgd.zero_grad()
        (torch.nn.functional.mse_loss(layer(x_t)[:, 0], y_t) / 2).backward()
        sgd.step()
        steps += 1
    return layer
""",
    },
    {
        "name": "fit_nn_float64_view",
        "item": "fit_nn",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1).double()
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr)
    for _ in range(n_epochs):
        opt.zero_grad()
        loss = ((model(Xt).view(-1) - yt) ** 2).mean() / 2
        loss.backward()
        opt.step()
    return model
""",
    },
    {
        "name": "fit_nn_custom_module",
        "item": "fit_nn",
        "source": """
class LinearModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x):
        return self.linear(x).squeeze(1)


def fit_nn(X, y, lr, n_epochs, seed=0):
    torch.manual_seed(seed)
    model = LinearModel()
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(params=model.parameters(), lr=lr)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = 0.5 * loss_fn(model(Xt), yt)
        loss.backward()
        optimizer.step()
    return model
""",
    },
]

MISTAKES = [
    # ---------------------------------------------------------------- predict
    {
        "name": "predict_without_intercept",
        "item": "predict",
        "caught_by": "test_matches_the_linear_model",
        "source": """
def predict(params, X):
    return X @ params[1:]
""",
    },
    {
        "name": "predict_intercept_last",
        "item": "predict",
        "caught_by": "test_matches_the_linear_model",
        "source": """
def predict(params, X):
    return X @ params[:3] + params[3]
""",
    },
    {
        "name": "predict_column_vector",
        "item": "predict",
        "caught_by": "test_returns_one_prediction_per_row",
        "source": """
def predict(params, X):
    X_tilde = np.column_stack([np.ones(len(X)), X])
    return X_tilde @ np.asarray(params).reshape(4, 1)
""",
    },
    # ---------------------------------------------------------------- mse_loss
    {
        "name": "mse_loss_without_half",
        "item": "mse_loss",
        "caught_by": "test_half_mean_squared_error",
        "source": """
def mse_loss(params, X, y):
    return float(np.mean((predict(params, X) - y) ** 2))
""",
    },
    {
        "name": "mse_loss_sum_not_mean",
        "item": "mse_loss",
        "caught_by": "test_half_mean_squared_error",
        "source": """
def mse_loss(params, X, y):
    return float(0.5 * np.sum((predict(params, X) - y) ** 2))
""",
    },
    {
        "name": "mse_loss_root_mean_square",
        "item": "mse_loss",
        "caught_by": "test_half_mean_squared_error",
        "source": """
def mse_loss(params, X, y):
    return float(np.sqrt(np.mean((predict(params, X) - y) ** 2)) / 2)
""",
    },
    # ---------------------------------------------------------------- mse_gradient
    {
        "name": "mse_gradient_factor_two",
        "item": "mse_gradient",
        "caught_by": "test_matches_finite_differences",
        "source": """
def mse_gradient(params, X, y):
    r = predict(params, X) - y
    return 2 * np.concatenate([[r.mean()], X.T @ r / len(y)])
""",
    },
    {
        "name": "mse_gradient_sum_not_mean",
        "item": "mse_gradient",
        "caught_by": "test_matches_finite_differences",
        "source": """
def mse_gradient(params, X, y):
    r = predict(params, X) - y
    return np.concatenate([[r.sum()], X.T @ r])
""",
    },
    {
        "name": "mse_gradient_sign_flipped",
        "item": "mse_gradient",
        "caught_by": "test_matches_finite_differences",
        "source": """
def mse_gradient(params, X, y):
    r = y - predict(params, X)
    return np.concatenate([[r.mean()], X.T @ r / len(y)])
""",
    },
    {
        "name": "mse_gradient_forgets_x1",
        "item": "mse_gradient",
        "caught_by": "test_matches_finite_differences",
        "source": """
def mse_gradient(params, X, y):
    r = predict(params, X) - y
    return np.array([r.mean(), r.mean(), np.mean(r * X[:, 1]), np.mean(r * X[:, 2])])
""",
    },
    {
        "name": "mse_gradient_with_torch_autograd",
        "item": "mse_gradient",
        "caught_by": "test_matches_finite_differences",
        "source": """
def mse_gradient(params, X, y):
    theta = torch.tensor(np.asarray(params, dtype=np.float64), requires_grad=True)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
    loss.backward()
    return theta.grad.numpy()
""",
    },
    {
        "name": "mse_gradient_column_vector",
        "item": "mse_gradient",
        "caught_by": "test_returns_a_flat_array",
        "source": """
def mse_gradient(params, X, y):
    X_tilde = np.column_stack([np.ones(len(X)), X])
    r = (X_tilde @ params - y).reshape(-1, 1)
    return X_tilde.T @ r / len(y)
""",
    },
    # ---------------------------------------------------------------- gradient_descent
    {
        "name": "gradient_descent_sequential_update",
        "item": "gradient_descent",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=float)
    losses = []
    for _ in range(n_epochs):
        losses.append(mse_loss(params, X, y))
        for j in range(4):  # one parameter at a time, each with the already updated others
            params[j] -= lr * mse_gradient(params, X, y)[j]
    return params, np.array(losses)
""",
    },
    {
        "name": "gradient_descent_closed_form",
        "item": "gradient_descent",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    X_tilde = np.column_stack([np.ones(len(X)), X])
    params = np.linalg.lstsq(X_tilde, y, rcond=None)[0]
    losses = np.array([mse_loss(params0, X, y)] + [mse_loss(params, X, y)] * (n_epochs - 1))
    return params, losses
""",
    },
    {
        "name": "gradient_descent_lr_divided_by_n",
        "item": "gradient_descent",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=float)
    losses = np.zeros(n_epochs)
    for k in range(n_epochs):
        losses[k] = mse_loss(params, X, y)
        params = params - lr / len(y) * mse_gradient(params, X, y)
    return params, losses
""",
    },
    {
        "name": "gradient_descent_mutates_params0",
        "item": "gradient_descent",
        "caught_by": "test_does_not_modify_params0",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = params0
    losses = []
    for _ in range(n_epochs):
        losses.append(mse_loss(params, X, y))
        params -= lr * mse_gradient(params, X, y)
    return params, np.array(losses)
""",
    },
    {
        "name": "gradient_descent_loss_after_update",
        "item": "gradient_descent",
        "caught_by": "test_records_the_loss_before_each_update",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=float)
    losses = []
    for _ in range(n_epochs):
        params = params - lr * mse_gradient(params, X, y)
        losses.append(mse_loss(params, X, y))
    return params, np.array(losses)
""",
    },
    {
        "name": "gradient_descent_one_loss_too_many",
        "item": "gradient_descent",
        "caught_by": "test_records_the_loss_before_each_update",
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=float)
    losses = [mse_loss(params, X, y)]
    for _ in range(n_epochs):
        params = params - lr * mse_gradient(params, X, y)
        losses.append(mse_loss(params, X, y))
    return params, np.array(losses)
""",
    },
    # ---------------------------------------------------------------- fit_autograd
    # n_epochs = 0 (issue 21): the first update made before the loop ("do, then while")
    {
        "name": "gradient_descent_first_update_before_the_loop",
        "item": "gradient_descent",
        "caught_by": "test_records_the_loss_before_each_update",
        "only": True,
        "source": """
def gradient_descent(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=float)
    losses = [mse_loss(params, X, y)]
    params = params - lr * mse_gradient(params, X, y)
    for _ in range(n_epochs - 1):
        losses.append(mse_loss(params, X, y))
        params = params - lr * mse_gradient(params, X, y)
    return params, np.array(losses)
""",
    },
    {
        "name": "fit_autograd_no_gradient_reset",
        "item": "fit_autograd",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    for _ in range(n_epochs):
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            theta -= lr * theta.grad
    return theta.detach()
""",
    },
    {
        "name": "fit_autograd_missing_half",
        "item": "fit_autograd",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    for _ in range(n_epochs):
        loss = torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)      # the 1/2 is missing
        loss.backward()
        with torch.no_grad():
            theta -= lr * theta.grad
        theta.grad.zero_()
    return theta.detach()
""",
    },
    {
        "name": "fit_autograd_torch_optim",
        "item": "fit_autograd",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=lr)
    for _ in range(n_epochs):
        optimizer.zero_grad()
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        optimizer.step()
    return theta.detach()
""",
    },
    {
        "name": "fit_autograd_update_outside_no_grad",
        "item": "fit_autograd",
        "caught_by": "test_follows_the_descent_trajectory",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.tensor(params0, dtype=torch.float64, requires_grad=True)
    for _ in range(n_epochs):
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        theta = theta - lr * theta.grad
    return theta.detach()
""",
    },
    {
        "name": "fit_autograd_numpy_gradient",
        "item": "fit_autograd",
        "caught_by": "test_gradients_come_from_backward",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    params = np.array(params0, dtype=np.float64)
    for _ in range(n_epochs):
        params = params - lr * mse_gradient(params, np.asarray(X), np.asarray(y))
    return torch.tensor(params, dtype=torch.float64)
""",
    },
    {
        "name": "fit_autograd_float32",
        "item": "fit_autograd",
        "caught_by": "test_float64_tensor_for_numpy_or_torch_inputs",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    theta = torch.tensor(params0, dtype=torch.float32, requires_grad=True)
    for _ in range(n_epochs):
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            theta -= lr * theta.grad
        theta.grad = None
    return theta.detach()
""",
    },
    {
        "name": "fit_autograd_shares_params0_memory",
        "item": "fit_autograd",
        "caught_by": "test_float64_tensor_for_numpy_or_torch_inputs",
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.as_tensor(params0, dtype=torch.float64).requires_grad_(True)
    for _ in range(n_epochs):
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            theta -= lr * theta.grad
            theta.grad.zero_()
    return theta.detach().clone()
""",
    },
    # ---------------------------------------------------------------- fit_nn
    {
        "name": "fit_autograd_first_update_before_the_loop",
        "item": "fit_autograd",
        "caught_by": "test_float64_tensor_for_numpy_or_torch_inputs",
        "only": True,
        "source": """
def fit_autograd(X, y, lr, n_epochs, params0):
    Xt = torch.as_tensor(X, dtype=torch.float64)
    yt = torch.as_tensor(y, dtype=torch.float64)
    theta = torch.tensor(np.array(params0, dtype=np.float64), requires_grad=True)

    def step():
        loss = 0.5 * torch.mean((theta[0] + Xt @ theta[1:] - yt) ** 2)
        loss.backward()
        with torch.no_grad():
            theta.sub_(lr * theta.grad)
        theta.grad = None

    step()
    for _ in range(n_epochs - 1):
        step()
    return theta.detach()
""",
    },
    {
        "name": "fit_nn_zero_grad_between_backward_and_step",
        "item": "fit_nn",
        "caught_by": "test_converges_to_least_squares",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(n_epochs):
        loss = torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        sgd.zero_grad()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_broadcast_n_by_n",
        "item": "fit_nn",
        "caught_by": "test_converges_to_least_squares",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    for _ in range(n_epochs):
        sgd.zero_grad()
        loss = loss_fn(model(Xt), yt) / 2  # (n, 1) against (n,)
        loss.backward()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_without_half",
        "item": "fit_nn",
        "caught_by": "test_converges_to_least_squares",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    for _ in range(n_epochs):
        sgd.zero_grad()
        loss = loss_fn(model(Xt).squeeze(-1), yt)
        loss.backward()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_sum_reduction",
        "item": "fit_nn",
        "caught_by": "test_converges_to_least_squares",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for _ in range(n_epochs):
        sgd.zero_grad()
        loss = loss_fn(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_first_step_before_the_loop",
        "item": "fit_nn",
        "caught_by": "test_follows_sgd_from_the_seeded_layer",
        "only": True,
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    epoch = 0
    while True:  # do ... while epoch < n_epochs
        sgd.zero_grad()
        (torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2).backward()
        sgd.step()
        epoch += 1
        if epoch >= n_epochs:
            return model
""",
    },
    {
        "name": "fit_nn_no_zero_grad",
        "item": "fit_nn",
        "caught_by": "test_follows_sgd_from_the_seeded_layer",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(n_epochs):
        loss = torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_seed_after_layer",
        "item": "fit_nn",
        "caught_by": "test_follows_sgd_from_the_seeded_layer",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    model = torch.nn.Linear(3, 1)
    torch.manual_seed(seed)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    sgd = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(n_epochs):
        sgd.zero_grad()
        loss = torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        sgd.step()
    return model
""",
    },
    {
        "name": "fit_nn_adam",
        "item": "fit_nn",
        "caught_by": "test_follows_sgd_from_the_seeded_layer",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(n_epochs):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        opt.step()
    return model
""",
    },
    {
        "name": "fit_nn_only_weight_trained",
        "item": "fit_nn",
        "caught_by": "test_converges_to_least_squares",
        "source": """
def fit_nn(X, y, lr, n_epochs, seed=0):
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    sgd = torch.optim.SGD([model.weight], lr=lr)
    for _ in range(n_epochs):
        sgd.zero_grad()
        loss = torch.nn.functional.mse_loss(model(Xt).squeeze(-1), yt) / 2
        loss.backward()
        sgd.step()
    return model
""",
    },
]

ENTRIES = [dict(entry, kind="correct") for entry in CORRECT] + [
    dict(entry, kind="mistake") for entry in MISTAKES
]
