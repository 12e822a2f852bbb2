"""Hidden tests of Trainer (03-spiral, 8 points).

The models are NOT the student's MLP (which has its own rubric lines): every test builds
``Sequential(Linear(2, 8), ReLU(), Linear(8, 1), Flatten(0))`` inside the worker (logits of shape (batch,))
and loads initial weights drawn by the grader, and the reference Trainer trains the same network in the
grader. Students may shuffle with any random-number API, so the tests are independent of the order of the
samples: trajectories are compared with one batch per epoch (batch_size >= n, so the shuffle only reorders
a sum), the epoch's loss as the mean of the batch losses with lr = 0 and equal batches, and the number of
mini-batches with spies (forward calls and optimizer steps). Validation forward passes are told
apart from training ones by their batch size.
"""

import numpy as np
import pytest
import torch

from nncourse.grading.asserts import as_array, assert_close, assert_scalar
from nncourse.grading.student import StudentError

HIDDEN = 8
TRAJECTORY = dict(rtol=1e-4, atol=1e-5)
LOSS = dict(rtol=1e-4, atol=1e-6)
ADAM_HINT = (
    "create torch.optim.Adam(model.parameters(), lr=lr) once in __init__; for every batch: "
    "zero_grad(), loss = BCEWithLogitsLoss()(model(xb), yb) (mean over the batch), backward(), step()"
)


# ------------------------------------------------------------------------------------------ helpers
def _state(rng, scale=1.0):
    """Initial weights of the 2 -> 8 -> 1 network as a state dict of float32 tensors."""

    def t(a):
        return torch.from_numpy(np.asarray(a, dtype=np.float32))

    return {
        "0.weight": t(scale * rng.normal(0.0, 1.0, (HIDDEN, 2))),
        "0.bias": t(scale * rng.normal(0.0, 0.5, HIDDEN)),
        "2.weight": t(scale * rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), (1, HIDDEN))),
        "2.bias": t(scale * rng.normal(0.0, 0.3, 1)),
    }


def _copy(state):
    return {k: v.clone() for k, v in state.items()}


def _student_model(student, state):
    nn = student.import_module("torch.nn")
    model = nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1), nn.Flatten(0))
    model.load_state_dict(_copy(state))
    return model


def _reference_model(state):
    model = torch.nn.Sequential(
        torch.nn.Linear(2, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1), torch.nn.Flatten(0)
    )
    model.load_state_dict(_copy(state))
    return model


def _student_params(student, model) -> dict:
    state = student.import_module("builtins").dict(model.state_dict())
    return {k: as_array(v, f"parameter {k}") for k, v in state.items()}


def _reference_params(model) -> dict:
    return {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}


def _data(rng, n):
    """float32 inputs (n, 2) and 0/1 labels (n,) of a non-linear rule with some label noise."""
    x = rng.normal(0.0, 1.5, size=(n, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(np.float32)
    return x, y


def _t(a):
    return torch.from_numpy(np.array(a, copy=True))


def _history(value, n_epochs, *, with_valid, call="Trainer.fit"):
    """(train_loss, valid_loss) as float lists, after checking the dict's form."""
    if not isinstance(value, dict) or not {"train_loss", "valid_loss"} <= set(value):
        raise AssertionError(
            f'{call} should return a dict with the keys "train_loss" and "valid_loss"'
        )
    train, valid = value["train_loss"], value["valid_loss"]
    for name, losses, length in (
        ("train_loss", train, n_epochs),
        ("valid_loss", valid, n_epochs if with_valid else 0),
    ):
        if not isinstance(losses, (list, tuple)):
            raise AssertionError(
                f'{call}: history["{name}"] should be a list with one float per epoch'
            )
        if len(losses) != length:
            if name == "valid_loss" and not with_valid:
                raise AssertionError(
                    f'{call} without validation data should leave history["valid_loss"] empty, '
                    f"got {len(losses)} values"
                )
            raise AssertionError(
                f"{call} with n_epochs={n_epochs} should return {length} values in "
                f'history["{name}"], got {len(losses)}'
            )
    return (
        [assert_scalar(v, f'{call}: history["train_loss"]') for v in train],
        [assert_scalar(v, f'{call}: history["valid_loss"]') for v in valid],
    )


def _reference_fit(reference_solution, state, seed, x, y, n_epochs, *fit_args, **trainer_kwargs):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _reference_model(state)
        history = reference_solution.Trainer(model, **trainer_kwargs).fit(
            _t(x), _t(y), n_epochs, *fit_args
        )
    return model, history


def _call(label, function, *args, hint=""):
    """Call into the student's code; an exception becomes feedback with a hint."""
    try:
        return function(*args)
    except StudentError as exc:
        if exc.type == "NotImplementedError" or not hint:
            raise
        raise AssertionError(f"{exc.describe()}; {hint}"[:700]) from None


def _bce(logits, y):
    z, y = np.asarray(logits, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _logits(state, x):
    with torch.no_grad():
        return _reference_model(state)(_t(x)).numpy().astype(np.float64)


# -------------------------------------------------------------------------------------------- tests
@pytest.mark.points(2)
def test_follows_adam_and_bce(student, rng, reference_solution):
    """follows Adam on the mean BCE-with-logits for 3 epochs (one batch per epoch): parameters and train_loss"""
    n, n_epochs = int(rng.integers(30, 50)), 3
    x, y = _data(rng, n)
    state, seed = _state(rng), int(rng.integers(2**31))
    lr = float(rng.uniform(0.02, 0.05))
    student.instrument("seed", seed)
    model = _student_model(student, state)
    trainer = student.Trainer(model, lr=lr, batch_size=64)
    train, _ = _history(trainer.fit(_t(x), _t(y), n_epochs), n_epochs, with_valid=False)
    reference, history = _reference_fit(
        reference_solution, state, seed, x, y, n_epochs, lr=lr, batch_size=64
    )

    first = _bce(_logits(state, x), y)
    if not np.isclose(train[0], first, **LOSS):
        if np.isclose(train[0], n * first, **LOSS):
            raise AssertionError(
                "Trainer: the loss is summed over the batch; use the mean (BCEWithLogitsLoss's "
                "default reduction)"
            )
        raise AssertionError(
            'Trainer: history["train_loss"][0] is not the binary cross-entropy on logits of the '
            "first epoch's batch: use torch.nn.BCEWithLogitsLoss() on the model's logits and the "
            "0/1 labels (no sigmoid before it, mean over the batch)"
        )
    assert_close(
        train,
        history["train_loss"],
        'Trainer: history["train_loss"] after the first epoch',
        **LOSS,
        hint="the later epochs depend on the updates: " + ADAM_HINT,
    )
    params = _student_params(student, model)
    for name, expected in _reference_params(reference).items():
        assert_close(
            params[name],
            expected,
            f"Trainer: the model's parameters after {n_epochs} epochs",
            **TRAJECTORY,
            hint=ADAM_HINT + " (with the lr passed to Trainer)",
        )


@pytest.mark.points(1)
def test_fit_again_continues(student, rng, reference_solution):
    """fit(x, y, 1) twice continues like fit(x, y, 2): one optimizer; defaults lr=1e-2, batch_size=512; numpy inputs; n_epochs=0"""
    n = int(rng.integers(30, 50))
    x, y = _data(rng, n)
    state, seed = _state(rng), int(rng.integers(2**31))
    hint = "fit should accept numpy arrays: convert with torch.as_tensor(x, dtype=torch.float32)"

    student.instrument("seed", seed)
    model = _student_model(student, state)
    trainer = student.Trainer(model)
    first, _ = _history(_call("Trainer.fit", trainer.fit, x, y, 1, hint=hint), 1, with_valid=False)
    after_one = _student_params(student, model)
    reference, _ = _reference_fit(reference_solution, state, seed, x, y, 1)
    for name, expected in _reference_params(reference).items():
        assert_close(
            after_one[name],
            expected,
            "Trainer(model) with the defaults: the parameters after one epoch",
            **TRAJECTORY,
            hint="the defaults are lr=1e-2 and batch_size=512; " + ADAM_HINT,
        )
    second, _ = _history(_call("Trainer.fit", trainer.fit, x, y, 1, hint=hint), 1, with_valid=False)
    twice = _student_params(student, model)

    student.instrument("seed", seed)
    fresh_model = _student_model(student, state)
    together, _ = _history(student.Trainer(fresh_model).fit(x, y, 2), 2, with_valid=False)
    once = _student_params(student, fresh_model)
    hint = (
        "the optimizer must be created once, in __init__: Adam's running averages and step count live in the "
        "optimizer, so a new Adam in every fit() restarts them"
    )
    for name in once:
        assert_close(
            twice[name],
            once[name],
            "Trainer: the parameters after fit(x, y, 1) twice, compared with "
            "fit(x, y, 2) on the same start",
            **TRAJECTORY,
            hint=hint,
        )
    assert_close(
        first + second,
        together,
        'Trainer: history["train_loss"] of fit(x, y, 1) twice, compared with fit(x, y, 2)',
        **LOSS,
        hint=hint,
    )
    # the boundary n_epochs = 0: no epoch, no step, empty histories
    untouched = _student_params(student, fresh_model)
    _history(
        _call("Trainer.fit", student.Trainer(fresh_model).fit, x, y, 0, x[:5], y[:5], hint=hint),
        0,
        with_valid=True,
    )
    for name, value in _student_params(student, fresh_model).items():
        assert np.array_equal(value, untouched[name]), (
            "Trainer.fit with n_epochs = 0 changed the model: every optimizer step belongs to an epoch inside the "
            "epoch loop, none comes before it"
        )


@pytest.mark.points(1)
def test_one_step_per_minibatch(student, rng):
    """an epoch is ceil(n / batch_size) batches covering all samples, shuffled anew, with one optimizer step each"""
    batch_size, n_epochs = 32, 2
    n = 3 * batch_size + int(rng.integers(3, 9))
    x, y = _data(rng, n)
    model = _student_model(student, _state(rng))
    spy = student.instrument("spy_forward", model)
    steps = student.instrument("count_optimizer_steps")
    trainer = student.Trainer(model, lr=1e-2, batch_size=batch_size)
    _history(trainer.fit(_t(x), _t(y), n_epochs), n_epochs, with_valid=False)

    sizes = sorted(r["batch"] for r in spy.records if r["grad_enabled"] and not r["inference_mode"])
    expected = sorted([batch_size] * 3 * n_epochs + [n - 3 * batch_size] * n_epochs)
    if sizes != expected:
        if sum(sizes) == n_epochs * 3 * batch_size:
            raise AssertionError(
                "Trainer.fit drops the last, smaller batch of each epoch: every sample should be "
                "used once per epoch (range(0, n, batch_size))"
            )
        if any(s > batch_size for s in sizes):
            raise AssertionError(
                "Trainer.fit feeds batches larger than batch_size to the model: cut each epoch's "
                "shuffled order into consecutive batches of batch_size samples"
            )
        raise AssertionError(
            f"Trainer.fit with n samples and batch_size should make ceil(n / batch_size) forward "
            f"passes per epoch covering all samples once; got {len(sizes)} training forward passes "
            f"in {n_epochs} epochs instead of {len(expected)}"
        )
    n_steps = int(steps.count)
    if n_steps != len(expected):
        raise AssertionError(
            f"Trainer.fit should call optimizer.step() once per batch ({len(expected)} times in "
            f"{n_epochs} epochs here), got {n_steps}"
        )
    train = [r.get("input") for r in spy.records if r["grad_enabled"] and not r["inference_mode"]]
    per_epoch = len(train) // n_epochs
    epochs = [train[e * per_epoch : (e + 1) * per_epoch] for e in range(n_epochs)]
    if None not in train and all(epoch == epochs[0] for epoch in epochs[1:]):
        raise AssertionError(
            "Trainer.fit feeds the samples in the same order in every epoch; shuffle them anew "
            "each epoch (perm = torch.randperm(n), or a DataLoader with shuffle=True)"
        )


@pytest.mark.points(1)
def test_train_loss_is_mean_of_batch_losses(student, rng):
    """train_loss of an epoch is the mean of its batch losses (checked with lr=0 and equal batches)"""
    batch_size, n_epochs = 32, 3
    n = 3 * batch_size
    x, y = _data(rng, n)
    # random labels: the batch losses differ a lot
    y = rng.integers(0, 2, size=n).astype(np.float32)
    state = _state(rng, scale=3.0)
    # logits within +-8: a correct BCELoss on torch.sigmoid(logits) in float32 saturates beyond that
    largest = float(np.abs(_logits(state, x)).max())
    if largest > 8.0:
        state = dict(state, **{k: state[k] * (8.0 / largest) for k in ("2.weight", "2.bias")})
    model = _student_model(student, state)
    trainer = student.Trainer(model, lr=0.0, batch_size=batch_size)
    train, _ = _history(trainer.fit(_t(x), _t(y), n_epochs), n_epochs, with_valid=False)
    params = _student_params(student, model)
    for name, value in state.items():
        if not np.allclose(params[name], value.numpy(), rtol=0, atol=1e-6):
            raise AssertionError(
                "Trainer: with lr=0 the parameters changed: pass lr to torch.optim.Adam"
            )
    expected = _bce(_logits(state, x), y)  # with lr=0 every batch sees the initial weights
    for loss in train:
        if not np.isclose(loss, expected, **LOSS):
            if np.isclose(loss, n * expected, rtol=1e-4) or np.isclose(
                loss, batch_size * expected, rtol=1e-3
            ):
                raise AssertionError(
                    'Trainer: history["train_loss"] is a sum, not a mean: the loss of a batch is the '
                    "mean over its samples, the epoch's loss the mean of the batch losses"
                )
            raise AssertionError(
                'Trainer: history["train_loss"] should hold, for each epoch, the mean of that '
                "epoch's batch losses (not the last batch's loss), as a float"
            )


@pytest.mark.points(1)
def test_valid_loss(student, rng):
    """valid_loss is the loss on the validation data after each epoch (empty without them) and does not train"""
    n, m, n_epochs = int(rng.integers(30, 50)), int(rng.integers(15, 25)), 2
    x, y = _data(rng, n)
    xv, yv = _data(rng, m)
    state, seed = _state(rng), int(rng.integers(2**31))

    student.instrument("seed", seed)
    plain_model = _student_model(student, state)
    _history(
        student.Trainer(plain_model, lr=0.03).fit(_t(x), _t(y), n_epochs),
        n_epochs,
        with_valid=False,
    )
    plain = _student_params(student, plain_model)

    student.instrument("seed", seed)
    model = _student_model(student, state)
    _, valid = _history(
        student.Trainer(model, lr=0.03).fit(_t(x), _t(y), n_epochs, _t(xv), _t(yv)),
        n_epochs,
        with_valid=True,
    )
    params = _student_params(student, model)
    for name in plain:
        assert_close(
            params[name],
            plain[name],
            "Trainer: the parameters after fit with validation data, compared "
            "with the same fit without them",
            **TRAJECTORY,
            hint="nothing is learned from the validation data: no backward() or step() on the validation "
            "loss",
        )
    final = {k: torch.from_numpy(v.astype(np.float32)) for k, v in params.items()}
    expected = _bce(_logits(final, xv), yv)
    if not np.isclose(valid[-1], expected, **LOSS):
        raise AssertionError(
            'Trainer: history["valid_loss"][-1] should be the mean BCE-with-logits of the whole '
            "validation set computed after the last epoch's updates"
        )


@pytest.mark.points(1)
def test_validation_in_eval_mode_without_grad(student, rng):
    """validation runs in eval() mode under torch.no_grad(); training batches in train() mode"""
    batch_size, m, n_epochs = 16, 21, 2
    x, y = _data(rng, 2 * batch_size)
    xv, yv = _data(rng, m)
    model = _student_model(student, _state(rng))
    spy = student.instrument("spy_forward", model)
    steps = student.instrument("count_optimizer_steps")
    trainer = student.Trainer(model, lr=1e-2, batch_size=batch_size)
    _history(trainer.fit(_t(x), _t(y), n_epochs, _t(xv), _t(yv)), n_epochs, with_valid=True)
    records = spy.records
    valid = [r for r in records if r["batch"] == m]
    train = [r for r in records if r["batch"] == batch_size]
    if not valid:
        raise AssertionError("Trainer.fit never passed the whole validation set through the model")
    if any(r["training"] for r in valid):
        raise AssertionError(
            "Trainer.fit: call model.eval() before the validation pass (dropout and batch norm "
            "behave differently in evaluation)"
        )
    if any(r["grad_enabled"] and not r["inference_mode"] for r in valid):
        raise AssertionError(
            "Trainer.fit: compute the validation loss under torch.no_grad() (no graph is needed)"
        )
    if any(not r["training"] for r in train):
        raise AssertionError(
            "Trainer.fit: the training batches ran in eval() mode; switch the model back with "
            "model.train() after the validation pass"
        )
    if any(not r["grad_enabled"] or r["inference_mode"] for r in train):
        raise AssertionError("Trainer.fit: the training batches must run with gradients enabled")
    if int(steps.count) != 2 * n_epochs:
        raise AssertionError(
            "Trainer.fit: make one optimizer step per training batch and none for the validation "
            "data (nothing is learned from them)"
        )
    if not bool(model.training):
        raise AssertionError(
            "Trainer.fit: the model should be back in train() mode when fit returns"
        )


@pytest.mark.points(1)
def test_predict_proba(student, rng):
    """predict_proba gives sigmoid(logits) of shape (batch,) without building a graph, for tensors and arrays, and leaves the train/eval mode as it was"""
    state = _state(rng, scale=2.0)
    model = _student_model(student, state)
    spy = student.instrument("spy_forward", model)
    trainer = student.Trainer(model)
    for as_tensor, mode in ((True, True), (False, False)):
        model.train(mode)
        m = int(rng.integers(10, 40))
        x = rng.normal(0.0, 2.0, size=(m, 2)).astype(np.float32)
        what = "Trainer.predict_proba" + ("" if as_tensor else " (of a numpy array)")
        probs = _call(
            what,
            trainer.predict_proba,
            _t(x) if as_tensor else x,
            hint="" if as_tensor else "convert inputs with torch.as_tensor(x, dtype=torch.float32)",
        )
        array = as_array(probs, what)
        if array.shape != (m,):
            raise AssertionError(
                f"{what} should return shape (batch,) = ({m},), got {tuple(array.shape)}"
            )
        if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
            raise AssertionError(
                f"{what} should return probabilities in [0, 1]: torch.sigmoid of the model's logits"
            )
        expected = 1.0 / (1.0 + np.exp(-_logits(state, x)))
        assert_close(
            array,
            expected,
            what,
            rtol=1e-5,
            atol=1e-6,
            hint="return torch.sigmoid(model(x)), the probability of class 1",
        )
        if bool(model.training) != mode:
            state_name = "training" if mode else "evaluation"
            raise AssertionError(
                f"Trainer.predict_proba: a model in {state_name} mode came back in the other mode; "
                "remember model.training before model.eval() and restore it afterwards "
                "(model.train(was_training))"
            )
    if not spy.records:
        raise AssertionError("Trainer.predict_proba never called the model")
    if any(r["grad_enabled"] and not r["inference_mode"] for r in spy.records):
        raise AssertionError(
            "Trainer.predict_proba: run the model under torch.no_grad(), so no autograd graph is "
            "built for predictions"
        )
