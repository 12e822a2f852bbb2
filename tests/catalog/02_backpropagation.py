"""Catalog for 02-backpropagation: correct-but-unusual solutions and realistic mistakes.

Each entry replaces ONE solution cell (the cell whose nbgrader grade_id is ``item``) of the source
notebook with ``source``. ``tests/test_catalog_02.py`` grades a notebook per entry: every correct entry
must get full marks; every mistake strictly less, with the test named in ``caught_by`` failed. That
test lives in ``test_<caught_in>.py`` (default: the entry's own item). ``only=True`` also asks that no
other rubric line fails (e.g. a textbook sigmoid loses only the stability line).

The mistakes are the ones students make in this exercise (content.md section 4.2): bias gradient
averaged or taken from one row, missing transposes, updating the weights inside backward, stale or
accumulated state, in-place ReLU, unstable sigmoids, loss/gradient reductions and signs, and the
order of the backward pass.
"""

CORRECT = [
    # ------------------------------------------------------------------------------------ Linear
    dict(
        name="Linear_lecture_dot_keepdims",
        item="Linear",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        if rng is None:
            rng = np.random.default_rng()
        self.weights = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        self.bias = np.zeros(n_out)
        self.grad_weights = None
        self.grad_bias = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.weights) + self.bias

    def backward(self, grad_out):
        self.grad_weights = np.dot(self.x.T, grad_out)
        self.grad_bias = np.sum(grad_out, axis=0, keepdims=True)
        return np.dot(grad_out, self.weights.T)
""",
    ),
    dict(
        name="Linear_sample_loops_float32",
        item="Linear",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = rng or np.random.default_rng()
        bound = 1.0 / np.sqrt(n_in)
        self.weights = rng.uniform(-bound, bound, size=(n_in, n_out))
        self.bias = rng.uniform(-bound, bound, size=(n_out,))
        self._cache = None

    def forward(self, x):
        x32 = np.asarray(x, dtype=np.float32)
        self._cache = x32
        return x32 @ self.weights.astype(np.float32) + self.bias.astype(np.float32)

    def backward(self, grad_out):
        g = np.asarray(grad_out, dtype=np.float32)
        x = self._cache
        gw = np.zeros(np.shape(self.weights), dtype=np.float32)
        gb = np.zeros(np.shape(self.bias), dtype=np.float32)
        for n in range(x.shape[0]):
            gw += np.outer(x[n], g[n])
            gb += g[n]
        self.grad_weights = gw
        self.grad_bias = gb
        return g @ self.weights.T.astype(np.float32)
""",
    ),
    dict(
        name="Linear_einsum_tuple_cache_row_bias",
        item="Linear",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        self.bias = rng.normal(0.0, 0.01, size=(1, n_out))
        self.cache = ()

    def forward(self, x):
        x = np.array(x, dtype=float)
        self.cache = (x, x.shape[0])
        return np.matmul(x, self.weights) + np.reshape(self.bias, (1, -1))

    def backward(self, grad_out):
        x, _ = self.cache
        self.grad_weights = np.einsum("ni,nj->ij", x, grad_out)
        self.grad_bias = np.einsum("nj->j", grad_out)
        return np.einsum("nj,ij->ni", grad_out, self.weights)
""",
    ),
    dict(
        name="Linear_atleast_2d_reshape_rows",
        item="Linear",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.uniform(-1, 1, size=(n_in, n_out)) * np.sqrt(3.0 / n_in)
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = np.atleast_2d(np.asarray(x, dtype=float))
        return (self.x @ self.weights + self.bias).reshape(len(self.x), -1)

    def backward(self, grad_out):
        g = np.reshape(grad_out, (len(self.x), -1))
        self.grad_weights = self.x.T @ g
        self.grad_bias = g.sum(axis=0).reshape(1, -1)
        return (g @ self.weights.T).reshape(self.x.shape)
""",
    ),
    # -------------------------------------------------------------------------------------- ReLU
    dict(
        name="ReLU_where_gt_float32",
        item="ReLU",
        source="""
class ReLU:
    def forward(self, x):
        self.x = np.array(x, dtype=np.float32)
        return np.where(self.x > 0, self.x, 0)

    def backward(self, grad_out):
        return np.where(self.x > 0, grad_out, 0)
""",
    ),
    dict(
        name="ReLU_times_gt_mask_of_the_output",
        item="ReLU",
        source="""
class ReLU:
    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, grad_out):
        return grad_out * (self.out > 0)
""",
    ),
    dict(
        name="ReLU_heaviside_zero_at_zero",
        item="ReLU",
        source="""
class ReLU:
    def forward(self, x):
        self._x = x
        return (x > 0) * x

    def backward(self, grad_out):
        return grad_out * np.heaviside(self._x, 0.0)
""",
    ),
    dict(
        name="ReLU_copy_then_inplace_cs231n",
        item="ReLU",
        source="""
class ReLU:
    def __init__(self):
        self.cache = None

    def forward(self, x):
        out = np.array(x, dtype=float, copy=True)
        out[out < 0] = 0
        self.cache = x
        return out

    def backward(self, grad_out):
        dx = np.array(grad_out, dtype=float, copy=True)
        dx[self.cache <= 0] = 0
        return dx
""",
    ),
    # ----------------------------------------------------------------------------------- Sigmoid
    dict(
        name="Sigmoid_scipy_expit_input_cache",
        item="Sigmoid",
        source="""
from scipy.special import expit


class Sigmoid:
    def forward(self, x):
        self.x = np.asarray(x)
        return expit(self.x)

    def backward(self, grad_out):
        s = expit(self.x)
        return grad_out * s * (1 - s)
""",
    ),
    dict(
        name="Sigmoid_tanh_form",
        item="Sigmoid",
        source="""
class Sigmoid:
    def forward(self, x):
        self.out = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1.0 - self.out)
""",
    ),
    dict(
        name="Sigmoid_boolean_masks",
        item="Sigmoid",
        source="""
class Sigmoid:
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        ez = np.exp(x[~pos])
        out[~pos] = ez / (1.0 + ez)
        self.s = out
        return out

    def backward(self, grad_out):
        return grad_out * self.s * (1.0 - self.s)
""",
    ),
    dict(
        name="Sigmoid_derivative_from_abs_input",
        item="Sigmoid",
        source="""
class Sigmoid:
    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        z = np.exp(-np.abs(self.x))
        return np.where(self.x >= 0, 1 / (1 + z), z / (1 + z))

    def backward(self, grad_out):
        z = np.exp(-np.abs(self.x))  # s (1 - s) = z / (1 + z)^2 for both signs of x
        return grad_out * z / (1 + z) ** 2
""",
    ),
    dict(
        name="Sigmoid_clipped_textbook",
        item="Sigmoid",
        source="""
class Sigmoid:
    def forward(self, x):
        self.s = 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1.0 - self.s)
""",
    ),
    dict(
        name="Sigmoid_textbook_with_errstate",
        item="Sigmoid",
        source="""
class Sigmoid:
    def forward(self, x):
        with np.errstate(over="ignore"):
            self.s = 1.0 / (1.0 + np.exp(-x))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1.0 - self.s)
""",
    ),
    # ---------------------------------------------------------------------------------------- BCE
    dict(
        name="bce_loss_ravel_where_machine_eps",
        item="bce_loss",
        source="""
def bce_loss(probs, y):
    eps = np.finfo(float).eps
    p = np.clip(np.ravel(probs), eps, 1 - eps)
    y = np.ravel(y)
    return np.mean(np.where(y == 1, -np.log(p), -np.log1p(-p)))
""",
    ),
    dict(
        name="bce_loss_torch_style_log_clamp",
        item="bce_loss",
        source="""
def bce_loss(probs, y):
    p = np.asarray(probs, dtype=float)
    y = np.asarray(y, dtype=float).reshape(p.shape)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_q = np.maximum(np.log(1.0 - p), -100.0)
    return float(-np.mean(y * log_p + (1.0 - y) * log_q))
""",
    ),
    dict(
        name="bce_grad_torch_formula",
        item="bce_grad",
        source="""
def bce_grad(probs, y):
    p = np.asarray(probs, dtype=float)
    y = np.reshape(y, p.shape)
    return (p - y) / np.maximum(p * (1.0 - p), 1e-12) / p.size
""",
    ),
    dict(
        name="bce_grad_where_eps7",
        item="bce_grad",
        source="""
def bce_grad(probs, y):
    p = np.clip(np.asarray(probs, dtype=float), 1e-7, 1 - 1e-7)
    y = np.asarray(y).reshape(p.shape)
    return np.where(y == 1, -1.0 / p, 1.0 / (1.0 - p)) / p.size
""",
    ),
    # ------------------------------------------------------------------------------------ Network
    dict(
        name="Network_reduce_and_slicing",
        item="Network",
        source="""
from functools import reduce


class Network:
    def __init__(self, layers):
        self.layers = tuple(layers)

    def forward(self, x):
        return reduce(lambda h, layer: layer.forward(h), self.layers, x)

    def backward(self, grad):
        return reduce(lambda g, layer: layer.backward(g), self.layers[::-1], grad)
""",
    ),
    dict(
        name="Network_index_loop",
        item="Network",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        i = 0
        while i < len(self.layers):
            x = self.layers[i].forward(x)
            i += 1
        return x

    def backward(self, grad):
        for i in range(len(self.layers) - 1, -1, -1):
            grad = self.layers[i].backward(grad)
        return grad
""",
    ),
]

MISTAKES = [
    # ------------------------------------------------------------------------------------ Linear
    dict(
        name="Linear_forward_squeezes_a_batch_of_one",
        item="Linear",
        caught_by="test_forward",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return np.squeeze(x @ self.weights + self.bias)

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_bias_grad_mean",
        item="Linear",
        caught_by="test_backward_grad_bias",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.mean(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_bias_grad_first_row",
        item="Linear",
        caught_by="test_backward_grad_bias",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out[0]
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_input_grad_missing_transpose",
        item="Linear",
        caught_by="test_backward_input_gradient",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights
""",
    ),
    dict(
        name="Linear_grad_weights_transposed",
        item="Linear",
        caught_by="test_backward_grad_weights",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = grad_out.T @ self.x
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_sgd_step_inside_backward",
        item="Linear",
        caught_by="test_backward_keeps_weights",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None, lr=0.1):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)
        self.lr = lr

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        self.weights -= self.lr * self.grad_weights
        self.bias -= self.lr * self.grad_bias
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_keeps_first_input",
        item="Linear",
        caught_by="test_backward_uses_latest_forward_input",
        only=True,
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)
        self.x = None

    def forward(self, x):
        if self.x is None:
            self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_accumulates_gradients",
        item="Linear",
        caught_by="test_backward_uses_latest_forward_input",
        only=True,
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)
        self.grad_weights = np.zeros((n_in, n_out))
        self.grad_bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.grad_weights + self.x.T @ grad_out
        self.grad_bias = self.grad_bias + grad_out.sum(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_reads_private_weight_copy",
        item="Linear",
        caught_by="test_forward",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.W = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.weights, self.bias = self.W, self.b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.W.T
""",
    ),
    dict(
        name="Linear_backward_with_torch_autograd",
        item="Linear",
        caught_by="test_backward_grad_weights",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        return self.x @ self.weights + self.bias

    def backward(self, grad_out):
        x = torch.tensor(self.x, requires_grad=True)
        w = torch.tensor(self.weights, requires_grad=True)
        b = torch.tensor(self.bias, requires_grad=True)
        (x @ w + b).backward(torch.tensor(np.asarray(grad_out, dtype=np.float64)))
        self.grad_weights = w.grad.numpy()
        self.grad_bias = b.grad.numpy()
        return x.grad.numpy()
""",
    ),
    dict(
        name="Linear_ignores_rng",
        item="Linear",
        caught_by="test_init",
        only=True,
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        self.weights = np.random.randn(n_in, n_out) * np.sqrt(2 / n_in)
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad_out):
        self.grad_weights = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights.T
""",
    ),
    dict(
        name="Linear_torch_weight_layout",
        item="Linear",
        caught_by="test_init",
        source="""
class Linear:
    def __init__(self, n_in, n_out, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        self.weights = rng.normal(0, np.sqrt(2 / n_in), size=(n_out, n_in))
        self.bias = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.weights.T + self.bias

    def backward(self, grad_out):
        self.grad_weights = grad_out.T @ self.x
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weights
""",
    ),
    # -------------------------------------------------------------------------------------- ReLU
    # the notebook states the derivative 1[x > 0], 0 at x = 0 as in torch (issue 21)
    dict(
        name="ReLU_ge_mask_passes_gradient_at_zero",
        item="ReLU",
        caught_by="test_backward",
        only=True,
        source="""
class ReLU:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x >= 0)
        return x * self.mask

    def backward(self, grad_out):
        return grad_out * self.mask
""",
    ),
    dict(
        name="ReLU_heaviside_half_at_zero",
        item="ReLU",
        caught_by="test_backward",
        only=True,
        source="""
class ReLU:
    def forward(self, x):
        self._x = x
        return (x > 0) * x

    def backward(self, grad_out):
        return grad_out * np.heaviside(self._x, 0.5)
""",
    ),
    dict(
        name="ReLU_backward_returns_mask_only",
        item="ReLU",
        caught_by="test_backward",
        source="""
class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return (self.x > 0).astype(float)
""",
    ),
    dict(
        name="ReLU_inplace_with_ge_mask",
        item="ReLU",
        caught_by="test_backward",
        source="""
class ReLU:
    def forward(self, x):
        x[x < 0] = 0
        self.x = x
        return x

    def backward(self, grad_out):
        return grad_out * (self.x >= 0)
""",
    ),
    dict(
        name="ReLU_inplace_with_gt_mask",
        item="ReLU",
        caught_by="test_input_unchanged",
        only=True,
        source="""
class ReLU:
    def forward(self, x):
        x[x < 0] = 0
        self.x = x
        return x

    def backward(self, grad_out):
        return grad_out * (self.x > 0)
""",
    ),
    dict(
        name="ReLU_mask_from_upstream_gradient",
        item="ReLU",
        caught_by="test_backward",
        source="""
class ReLU:
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out * (grad_out > 0)
""",
    ),
    # ----------------------------------------------------------------------------------- Sigmoid
    dict(
        name="Sigmoid_textbook_overflows",
        item="Sigmoid",
        caught_by="test_extreme_inputs",
        only=True,
        source="""
class Sigmoid:
    def forward(self, x):
        self.s = 1 / (1 + np.exp(-x))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1 - self.s)
""",
    ),
    dict(
        name="Sigmoid_exp_ratio_nan",
        item="Sigmoid",
        caught_by="test_extreme_inputs",
        only=True,
        source="""
class Sigmoid:
    def forward(self, x):
        self.s = np.exp(x) / (1 + np.exp(x))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1 - self.s)
""",
    ),
    dict(
        name="Sigmoid_where_evaluates_both_branches",
        item="Sigmoid",
        caught_by="test_extreme_inputs",
        only=True,
        source="""
class Sigmoid:
    def forward(self, x):
        self.s = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
        return self.s

    def backward(self, grad_out):
        return grad_out * self.s * (1 - self.s)
""",
    ),
    dict(
        name="Sigmoid_backward_exp_formula_nan_when_saturated",
        item="Sigmoid",
        caught_by="test_backward",
        only=True,
        source="""
class Sigmoid:
    def forward(self, x):
        self.x = np.asarray(x, dtype=float)
        z = np.exp(-np.abs(self.x))
        return np.where(self.x >= 0, 1 / (1 + z), z / (1 + z))

    def backward(self, grad_out):
        e = np.exp(-self.x)  # inf for x < -709: inf / inf = nan
        return grad_out * e / (1 + e) ** 2
""",
    ),
    dict(
        name="Sigmoid_applied_twice_in_backward",
        item="Sigmoid",
        caught_by="test_backward",
        source="""
class Sigmoid:
    @staticmethod
    def _sigma(x):
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z))

    def forward(self, x):
        self.out = self._sigma(x)
        return self.out

    def backward(self, grad_out):
        s = self._sigma(self.out)
        return grad_out * s * (1 - s)
""",
    ),
    dict(
        name="Sigmoid_backward_derivative_only",
        item="Sigmoid",
        caught_by="test_backward",
        source="""
class Sigmoid:
    def forward(self, x):
        z = np.exp(-np.abs(x))
        self.s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        return self.s

    def backward(self, grad_out):
        return self.s * (1 - self.s)
""",
    ),
    # ---------------------------------------------------------------------------------------- BCE
    dict(
        name="bce_loss_sum_not_mean",
        item="bce_loss",
        caught_by="test_value",
        source="""
def bce_loss(probs, y):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    y = np.reshape(y, np.shape(p))
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
""",
    ),
    dict(
        name="bce_loss_without_clipping",
        item="bce_loss",
        caught_by="test_extreme_probabilities",
        only=True,
        source="""
def bce_loss(probs, y):
    p = np.asarray(probs, dtype=float)
    y = np.reshape(y, p.shape)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
""",
    ),
    dict(
        name="bce_loss_labels_broadcast",
        item="bce_loss",
        caught_by="test_value",
        only=True,
        source="""
def bce_loss(probs, y):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
""",
    ),
    dict(
        name="bce_loss_missing_minus",
        item="bce_loss",
        caught_by="test_value",
        source="""
def bce_loss(probs, y):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    y = np.reshape(y, np.shape(p))
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
""",
    ),
    dict(
        name="bce_loss_divides_by_len",
        item="bce_loss",
        caught_by="test_value",
        only=True,
        source="""
def bce_loss(probs, y):
    p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1 - 1e-12)
    y = np.reshape(y, p.shape)
    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / len(p))   # rows, not entries
""",
    ),
    dict(
        name="bce_grad_divides_by_len",
        item="bce_grad",
        caught_by="test_value",
        only=True,
        source="""
def bce_grad(probs, y):
    p = np.clip(np.asarray(probs, dtype=float), 1e-12, 1 - 1e-12)
    y = np.reshape(y, p.shape)
    return (-y / p + (1 - y) / (1 - p)) / len(p)
""",
    ),
    dict(
        name="bce_grad_without_1_over_N",
        item="bce_grad",
        caught_by="test_value",
        source="""
def bce_grad(probs, y):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    y = np.reshape(y, np.shape(p))
    return -y / p + (1 - y) / (1 - p)
""",
    ),
    dict(
        name="bce_grad_sign_flipped",
        item="bce_grad",
        caught_by="test_value",
        source="""
def bce_grad(probs, y):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    y = np.reshape(y, np.shape(p))
    return (y / p - (1 - y) / (1 - p)) / p.size
""",
    ),
    dict(
        name="bce_grad_logit_shortcut",
        item="bce_grad",
        caught_by="test_value",
        source="""
def bce_grad(probs, y):
    p = np.asarray(probs, dtype=float)
    return (p - np.reshape(y, p.shape)) / p.size
""",
    ),
    dict(
        name="bce_grad_without_clipping",
        item="bce_grad",
        caught_by="test_extreme_probabilities",
        only=True,
        source="""
def bce_grad(probs, y):
    p = np.asarray(probs, dtype=float)
    y = np.reshape(y, p.shape)
    return (-y / p + (1 - y) / (1 - p)) / p.size
""",
    ),
    # ------------------------------------------------------------------------------------ Network
    dict(
        name="Network_backward_in_forward_order",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in self.layers:
            grad = layer.backward(grad)
        return grad
""",
    ),
    dict(
        name="Network_backward_not_chained",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            layer.backward(grad)
        return grad
""",
    ),
    dict(
        name="Network_reverses_layers_in_place",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        self.layers.reverse()
        for layer in self.layers:
            grad = layer.backward(grad)
        return grad
""",
    ),
    dict(
        name="Network_skips_first_layer_backward",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        return grad
""",
    ),
    dict(
        name="Network_backward_returns_nothing",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
""",
    ),
    dict(
        name="Network_forward_skips_last_layer",
        item="Network",
        caught_by="test_chains_layers",
        source="""
class Network:
    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad
""",
    ),
]

ENTRIES = [dict(entry, kind="correct") for entry in CORRECT] + [
    dict(entry, kind="mistake") for entry in MISTAKES
]
