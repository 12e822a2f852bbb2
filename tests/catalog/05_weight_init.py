"""Catalog for 05-weight-init: correct-but-unusual solutions and realistic mistakes.

Each entry replaces ONE solution cell (the cell whose nbgrader grade_id is ``item``) of the source
notebook with ``source`` (a full ``def``, helpers allowed). ``tests/test_catalog_05.py`` grades a
notebook per entry: every correct entry must get full marks; every mistake strictly less, with the
test ``caught_by`` of ``test_<caught_in>.py`` (default: the entry's own item) failed.

Correct variants follow the contract's ground rules ("any random-number API", float32 or float64,
tensor or array): legacy ``np.random`` when rng is None, torch sampling and ``torch.nn.init`` on the
right layout with a torch generator seeded from rng, scipy.stats with random_state=rng,
variance-first formulas, lists as results. A given rng must be used (two generators seeded alike give
the same weights): ignoring it, or a wrapper that does not pass it on, is a mistake. The mistakes are those of content.md
section 4.5 (fans, gains, sqrt(3), layouts, re-seeding, pre-activation statistics) plus the classic
``param or 0.01`` and ``KeyError`` slips of ``calculate_gain``.
"""

CORRECT = [
    # --------------------------------------------------------------------------------- samplers
    dict(
        name="uniform_init_legacy_global_rand_when_none",
        item="uniform_init",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    # rng=None: the legacy global numpy generator; (2 u - 1) * b is U(-b, b)
    u = np.random.rand(fan_in, fan_out) if rng is None else rng.random((fan_in, fan_out))
    return (2.0 * u - 1.0) * bound
""",
    ),
    dict(
        name="uniform_init_float32_keywords",
        item="uniform_init",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    generator = np.random.default_rng(rng)   # None -> fresh generator, Generator -> itself
    return generator.uniform(low=-bound, high=bound, size=(fan_in, fan_out)).astype(np.float32)
""",
    ),
    dict(
        name="normal_init_torch_tensor_seeded_from_rng",
        item="normal_init",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    # a torch generator seeded from rng (torch's global one for rng=None), a float32 tensor in
    # nn.Linear layout, transposed back
    generator = None
    if rng is not None:
        generator = torch.Generator().manual_seed(int(rng.integers(0, 2**62)))
    return torch.randn(fan_out, fan_in, generator=generator).T * std
""",
    ),
    dict(
        name="xavier_uniform_rescaled_random_float32",
        item="xavier_uniform",
        source="""
def xavier_uniform(fan_in, fan_out, gain=1.0, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    b = gain * math.sqrt(6 / (fan_in + fan_out))
    return (rng.random((fan_in, fan_out)) * 2 * b - b).astype(np.float32)
""",
    ),
    dict(
        name="xavier_normal_variance_first",
        item="xavier_normal",
        source="""
def xavier_normal(fan_in, fan_out, gain=1.0, rng=None):
    variance = 2 * gain ** 2 / (fan_in + fan_out)
    return np.random.default_rng(rng).standard_normal((fan_in, fan_out)) * variance ** 0.5
""",
    ),
    dict(
        name="kaiming_normal_torch_init_transposed",
        item="kaiming_normal",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    # torch.nn.init on the (fan_out, fan_in) layout it expects, then back to (fan_in, fan_out);
    # torch's generator seeded from rng (the global one when rng is None)
    generator = None if rng is None else torch.Generator().manual_seed(int(rng.integers(0, 2**62)))
    weights = torch.empty(fan_out, fan_in)
    torch.nn.init.kaiming_normal_(weights, a=a, mode=mode, nonlinearity=nonlinearity, generator=generator)
    return weights.T
""",
    ),
    dict(
        name="kaiming_uniform_scipy_stats",
        item="kaiming_uniform",
        source="""
import scipy.stats


def _fan(fan_in, fan_out, mode):
    fans = {"fan_in": fan_in, "fan_out": fan_out}
    if mode not in fans:
        raise ValueError(f"unknown mode {mode}")
    return fans[mode]


def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    variance = calculate_gain(nonlinearity, a) ** 2 / _fan(fan_in, fan_out, mode)
    b = np.sqrt(3 * variance)
    return scipy.stats.uniform(loc=-b, scale=2 * b).rvs(size=(fan_in, fan_out), random_state=rng)
""",
    ),
    dict(
        name="kaiming_normal_own_gain_table_raising",
        item="kaiming_normal",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0),
             "leaky_relu": math.sqrt(2.0 / (1.0 + a * a))}
    if nonlinearity not in gains or mode not in ("fan_in", "fan_out"):
        raise ValueError(f"unsupported nonlinearity or mode: {nonlinearity!r}, {mode!r}")
    fan = {"fan_in": fan_in, "fan_out": fan_out}[mode]
    rng = np.random.default_rng() if rng is None else rng
    return rng.standard_normal((fan_in, fan_out)) * (gains[nonlinearity] / math.sqrt(fan))
""",
    ),
    dict(
        name="kaiming_normal_legacy_when_none",
        item="kaiming_normal",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode == "fan_in":
        fan = fan_in
    elif mode == "fan_out":
        fan = fan_out
    else:
        raise ValueError("mode must be 'fan_in' or 'fan_out'")
    std = calculate_gain(nonlinearity, a) / np.sqrt(fan)
    if rng is None:
        return np.random.normal(0.0, std, size=(fan_in, fan_out))
    return std * rng.standard_normal(size=(fan_in, fan_out))
""",
    ),
    # -------------------------------------------------------------------------------- gains
    dict(
        name="calculate_gain_validates_then_torch",
        item="calculate_gain",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity not in ("linear", "sigmoid", "tanh", "relu", "leaky_relu"):
        raise ValueError(f"unsupported nonlinearity {nonlinearity}")
    return torch.nn.init.calculate_gain(nonlinearity, param)
""",
    ),
    dict(
        name="calculate_gain_dict_numpy_float",
        item="calculate_gain",
        source="""
def calculate_gain(nonlinearity, param=None):
    fixed = {"linear": 1, "sigmoid": 1, "tanh": 5 / 3, "relu": np.sqrt(2.0)}
    if nonlinearity in fixed:
        return np.float64(fixed[nonlinearity])
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return np.sqrt(2.0 / (1 + slope * slope))
    raise ValueError(nonlinearity)
""",
    ),
    # ---------------------------------------------------------------------------- statistics
    dict(
        name="activation_stats_prebuilt_weights_lists",
        item="activation_stats",
        source="""
def activation_stats(x, init, activation, n_layers):
    width = np.shape(x)[1]
    weights = [init(width, width) for _ in range(n_layers)]
    outputs, h = [], x
    for W in weights:
        h = activation(np.matmul(h, W))
        outputs.append(h)
    means = [float(np.mean(o)) for o in outputs]
    stds = [float(np.var(o) ** 0.5) for o in outputs]
    return means, stds
""",
    ),
    dict(
        name="activation_stats_float32_methods",
        item="activation_stats",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float32)
    means, stds = np.zeros(n_layers, dtype=np.float32), np.zeros(n_layers, dtype=np.float32)
    for layer in range(n_layers):
        h = activation((h @ init(fan_in=h.shape[1], fan_out=h.shape[1])).astype(np.float32))
        means[layer], stds[layer] = h.mean(), h.std()
    return means, stds
""",
    ),
]


MISTAKES = [
    # --------------------------------------------------------------------------------- samplers
    dict(
        name="uniform_init_zero_to_bound",
        item="uniform_init",
        caught_by="test_uniform_samples",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    return rng.uniform(0, bound, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="uniform_init_bound_as_width",
        item="uniform_init",
        caught_by="test_uniform_samples",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    return rng.uniform(-bound / 2, bound / 2, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="uniform_init_rng_none_crashes",
        item="uniform_init",
        caught_by="test_uniform_samples",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="uniform_init_rng_ignored",
        item="uniform_init",
        caught_by="test_uniform_samples",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    rng = np.random.default_rng()          # the given generator is thrown away
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="uniform_init_global_rand_ignores_rng",
        item="uniform_init",
        caught_by="test_uniform_samples",
        source="""
def uniform_init(fan_in, fan_out, bound, rng=None):
    # the legacy global numpy generator even when rng is given
    return (2.0 * np.random.rand(fan_in, fan_out) - 1.0) * bound
""",
    ),
    dict(
        name="normal_init_rng_ignored",
        item="normal_init",
        caught_by="test_normal_samples",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    rng = np.random.default_rng()
    return rng.normal(0.0, std, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="normal_init_torch_global_ignores_rng",
        item="normal_init",
        caught_by="test_normal_samples",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    return torch.randn(fan_out, fan_in).T * std
""",
    ),
    dict(
        name="normal_init_variance_as_scale",
        item="normal_init",
        caught_by="test_normal_samples",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    return rng.normal(0.0, std ** 2, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="normal_init_reseeded_when_none",
        item="normal_init",
        caught_by="test_normal_samples",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    if rng is None:
        rng = np.random.default_rng(0)   # "reproducible"
    return rng.normal(0.0, std, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="normal_init_transposed",
        item="normal_init",
        caught_by="test_normal_samples",
        source="""
def normal_init(fan_in, fan_out, std, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    return rng.normal(0.0, std, size=(fan_out, fan_in))
""",
    ),
    # ---------------------------------------------------------------------------------- Xavier
    dict(
        name="xavier_uniform_sqrt3_missing",
        item="xavier_uniform",
        caught_by="test_default_gain",
        source="""
def xavier_uniform(fan_in, fan_out, gain=1.0, rng=None):
    return uniform_init(fan_in, fan_out, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)
""",
    ),
    dict(
        name="xavier_uniform_fixed_seed",
        item="xavier_uniform",
        caught_by="test_gain_and_fresh_samples",
        source="""
def xavier_uniform(fan_in, fan_out, gain=1.0, rng=None):
    rng = np.random.default_rng(42)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
""",
    ),
    dict(
        name="xavier_uniform_forgets_rng",
        item="xavier_uniform",
        caught_by="test_gain_and_fresh_samples",
        source="""
def xavier_uniform(fan_in, fan_out, gain=1.0, rng=None):
    return uniform_init(fan_in, fan_out, gain * math.sqrt(6.0 / (fan_in + fan_out)))
""",
    ),
    dict(
        name="xavier_normal_forgets_rng",
        item="xavier_normal",
        caught_by="test_gain_and_fresh_samples",
        source="""
def xavier_normal(fan_in, fan_out, gain=1.0, rng=None):
    return normal_init(fan_in, fan_out, gain * math.sqrt(2.0 / (fan_in + fan_out)))
""",
    ),
    dict(
        name="xavier_normal_fan_in_only",
        item="xavier_normal",
        caught_by="test_default_gain",
        source="""
def xavier_normal(fan_in, fan_out, gain=1.0, rng=None):
    return normal_init(fan_in, fan_out, gain * math.sqrt(1.0 / fan_in), rng=rng)
""",
    ),
    dict(
        name="xavier_normal_he_formula",
        item="xavier_normal",
        caught_by="test_default_gain",
        source="""
def xavier_normal(fan_in, fan_out, gain=1.0, rng=None):
    return normal_init(fan_in, fan_out, gain * math.sqrt(2.0 / fan_in), rng=rng)
""",
    ),
    dict(
        name="xavier_normal_gain_ignored",
        item="xavier_normal",
        caught_by="test_gain_and_fresh_samples",
        source="""
def xavier_normal(fan_in, fan_out, gain=1.0, rng=None):
    return normal_init(fan_in, fan_out, math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)
""",
    ),
    # ---------------------------------------------------------------------------------- Kaiming
    dict(
        name="kaiming_uniform_gain_missing",
        item="kaiming_uniform",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return uniform_init(fan_in, fan_out, math.sqrt(3.0 / fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_uniform_bound_is_std",
        item="kaiming_uniform",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return uniform_init(fan_in, fan_out, calculate_gain(nonlinearity, a) / math.sqrt(fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_uniform_normal_sampler",
        item="kaiming_uniform",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_init(fan_in, fan_out, calculate_gain(nonlinearity, a) / math.sqrt(fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_uniform_slope_ignored",
        item="kaiming_uniform",
        caught_by="test_slope_and_nonlinearity",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity)   # forgot a: always the default slope
    return uniform_init(fan_in, fan_out, gain * math.sqrt(3.0 / fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_uniform_mode_not_checked",
        item="kaiming_uniform",
        caught_by="test_fresh_samples_rng_none_and_bad_mode",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    return uniform_init(fan_in, fan_out, gain * math.sqrt(3.0 / fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_uniform_forgets_rng",
        item="kaiming_uniform",
        caught_by="test_fresh_samples_rng_none_and_bad_mode",
        source="""
def kaiming_uniform(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_init(fan_in, fan_out, math.sqrt(3.0) * std)
""",
    ),
    dict(
        name="kaiming_normal_forgets_rng",
        item="kaiming_normal",
        caught_by="test_fresh_samples_rng_none_and_bad_mode",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_init(fan_in, fan_out, calculate_gain(nonlinearity, a) / math.sqrt(fan))
""",
    ),
    dict(
        name="kaiming_normal_torch_init_ignores_rng",
        item="kaiming_normal",
        caught_by="test_fresh_samples_rng_none_and_bad_mode",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    weights = torch.empty(fan_out, fan_in)
    torch.nn.init.kaiming_normal_(weights, a=a, mode=mode, nonlinearity=nonlinearity)   # global generator
    return weights.T
""",
    ),
    # an unknown nonlinearity (issue 21): a gain table of its own with a silent default
    dict(
        name="kaiming_normal_unknown_nonlinearity_gain_one",
        item="kaiming_normal",
        caught_by="test_fresh_samples_rng_none_and_bad_mode",
        only=True,
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    if nonlinearity == "leaky_relu":
        gain = math.sqrt(2.0 / (1.0 + a ** 2))
    else:
        gain = {"relu": math.sqrt(2.0), "tanh": 5.0 / 3.0}.get(nonlinearity, 1.0)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_init(fan_in, fan_out, gain / math.sqrt(fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_normal_mode_ignored",
        item="kaiming_normal",
        caught_by="test_mode_fan_out",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    return normal_init(fan_in, fan_out, calculate_gain(nonlinearity, a) / math.sqrt(fan_in), rng=rng)
""",
    ),
    dict(
        name="kaiming_normal_variance_as_std",
        item="kaiming_normal",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_init(fan_in, fan_out, calculate_gain(nonlinearity, a) ** 2 / fan, rng=rng)
""",
    ),
    dict(
        name="kaiming_normal_transposed",
        item="kaiming_normal",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_init(fan_out, fan_in, calculate_gain(nonlinearity, a) / math.sqrt(fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_normal_torch_layout_trap",
        item="kaiming_normal",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    # torch reads fan_in = size(1): on a (fan_in, fan_out) tensor the fans are swapped
    weights = torch.empty(fan_in, fan_out, dtype=torch.float64)
    torch.nn.init.kaiming_normal_(weights, a=a, mode=mode, nonlinearity=nonlinearity)
    return weights.numpy()
""",
    ),
    dict(
        name="kaiming_normal_always_leaky_gain",
        item="kaiming_normal",
        caught_by="test_slope_and_nonlinearity",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = math.sqrt(2.0 / (1 + a ** 2))   # the nonlinearity argument is never used
    return normal_init(fan_in, fan_out, gain / math.sqrt(fan), rng=rng)
""",
    ),
    dict(
        name="kaiming_normal_fans_swapped",
        item="kaiming_normal",
        caught_by="test_defaults_he_init",
        source="""
def kaiming_normal(fan_in, fan_out, a=0.0, nonlinearity="leaky_relu", mode="fan_in", rng=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(mode)
    fan = fan_out if mode == "fan_in" else fan_in   # columns mistaken for inputs
    return normal_init(fan_in, fan_out, calculate_gain(nonlinearity, a) / math.sqrt(fan), rng=rng)
""",
    ),
    # -------------------------------------------------------------------------------- gains
    dict(
        name="calculate_gain_leaky_always_sqrt2",
        item="calculate_gain",
        caught_by="test_leaky_relu_slopes",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity in ("relu", "leaky_relu"):
        return math.sqrt(2.0)
    raise ValueError(nonlinearity)
""",
    ),
    dict(
        name="calculate_gain_leaky_slope_not_squared",
        item="calculate_gain",
        caught_by="test_leaky_relu_slopes",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope))
    raise ValueError(nonlinearity)
""",
    ),
    dict(
        name="calculate_gain_param_or_default",
        item="calculate_gain",
        caught_by="test_leaky_relu_slopes",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = param or 0.01   # param=0 becomes 0.01
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(nonlinearity)
""",
    ),
    dict(
        name="calculate_gain_default_slope_zero",
        item="calculate_gain",
        caught_by="test_leaky_relu_slopes",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.0 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(nonlinearity)
""",
    ),
    dict(
        name="calculate_gain_keyerror",
        item="calculate_gain",
        caught_by="test_unknown_nonlinearity",
        source="""
def calculate_gain(nonlinearity, param=None):
    slope = 0.01 if param is None else param
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0),
             "leaky_relu": math.sqrt(2.0 / (1 + slope ** 2))}
    return gains[nonlinearity]
""",
    ),
    dict(
        name="calculate_gain_param_used_for_relu",
        item="calculate_gain",
        caught_by="test_fixed_gains",
        source="""
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity in ("relu", "leaky_relu"):
        if param is None:
            param = 0.0 if nonlinearity == "relu" else 0.01
        return math.sqrt(2.0 / (1 + param ** 2))
    raise ValueError(nonlinearity)
""",
    ),
    # ---------------------------------------------------------------------------- statistics
    dict(
        name="activation_stats_pre_activations",
        item="activation_stats",
        caught_by="test_tanh_network",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        z = h @ init(h.shape[1], h.shape[1])
        means[layer], stds[layer] = z.mean(), z.std()   # before the nonlinearity
        h = activation(z)
    return means, stds
""",
    ),
    dict(
        name="activation_stats_same_matrix",
        item="activation_stats",
        caught_by="test_fresh_matrix_per_layer",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    W = init(h.shape[1], h.shape[1])   # one matrix for all layers
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        h = activation(h @ W)
        means[layer], stds[layer] = h.mean(), h.std()
    return means, stds
""",
    ),
    dict(
        name="activation_stats_ddof1",
        item="activation_stats",
        caught_by="test_tanh_network",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        h = activation(h @ init(h.shape[1], h.shape[1]))
        means[layer], stds[layer] = h.mean(), h.std(ddof=1)
    return means, stds
""",
    ),
    dict(
        name="activation_stats_includes_input",
        item="activation_stats",
        caught_by="test_other_activation_and_depths",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    means, stds = [h.mean()], [h.std()]
    for layer in range(n_layers):
        h = activation(h @ init(h.shape[1], h.shape[1]))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
""",
    ),
    dict(
        name="activation_stats_column_stds_averaged",
        item="activation_stats",
        caught_by="test_tanh_network",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        h = activation(h @ init(h.shape[1], h.shape[1]))
        means[layer] = h.mean(axis=0).mean()
        stds[layer] = h.std(axis=0).mean()   # average of per-unit stds
    return means, stds
""",
    ),
    dict(
        name="activation_stats_weights_on_the_left",
        item="activation_stats",
        caught_by="test_tanh_network",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64).T          # (D, batch)
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        h = activation(init(h.shape[0], h.shape[0]) @ h)
        means[layer], stds[layer] = h.mean(), h.std()
    return means, stds
""",
    ),
    dict(
        name="activation_stats_batch_as_width",
        item="activation_stats",
        caught_by="test_fresh_matrix_per_layer",
        source="""
def activation_stats(x, init, activation, n_layers):
    h = np.asarray(x, dtype=np.float64)
    means, stds = np.empty(n_layers), np.empty(n_layers)
    for layer in range(n_layers):
        W = init(len(h), h.shape[1])   # len(h) is the batch size, not the width
        h = activation(h @ W)
        means[layer], stds[layer] = h.mean(), h.std()
    return means, stds
""",
    ),
]

ENTRIES = [dict(entry, kind="correct") for entry in CORRECT] + [
    dict(entry, kind="mistake") for entry in MISTAKES
]
