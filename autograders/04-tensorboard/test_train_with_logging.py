"""Hidden tests for train_with_logging(model, x_train, y_train, x_valid, y_valid, logdir, n_epochs, ...).

Most runs train on copies of ONE point (with one label): then every mini-batch has the same loss
function whatever the shuffling, so the losses, weights and gradients of a correct run do not depend
on how the student shuffles (torch.randperm, DataLoader, numpy, ...), and they can be compared with
the reference solution run on the same initial weights. The parameters still change from batch to
batch, so the mean of the batch losses, the last batch's loss and the first batch's gradients all differ.
The validation points are spiral points of both classes.

What the student logs is recorded inside the worker (instrument ``record_writer``) while the real
SummaryWriter still writes; the reference runs in the grader with a recording stand-in for
SummaryWriter (nothing is written here). The forward calls are spied on (``spy_forward``) to see the
train/eval mode and the grad mode, told apart by batch size.

Several rubric lines check one run, made once per submission (the ``shared`` fixture): one recorded
3-epoch run for the loss, history and histogram lines, one spied run on spiral points, and two runs
for the images, whose second one's event files are also read back for the disk line.
"""

from collections import Counter

import numpy as np
import pytest

from nncourse.grading.asserts import as_array, load_helper

runs = load_helper(__file__, "_logging_runs")


# ------------------------------------------------------------------------------------------ tests
@pytest.mark.points(1)
def test_scalar_tags_and_steps(student, shared, reference_solution):
    """scalars loss/train and loss/valid, once per epoch at step = epoch"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records = run["setup"], run["records"]
    n_epochs = setup["kwargs"]["n_epochs"]
    scalars = [r for r in records if r.get("method") == "add_scalar"]
    if not scalars and any(r.get("method") == "add_scalars" for r in records):
        raise AssertionError(
            "train_with_logging: log the losses with add_scalar('loss/train', ...) and "
            "add_scalar('loss/valid', ...); add_scalars writes separate runs with other tags"
        )
    tags = sorted({str(r.get("tag")) for r in scalars})
    expected_tags = ["loss/train", "loss/valid"]
    assert tags == expected_tags, (
        f"train_with_logging: the scalar tags should be exactly {expected_tags}, found {tags[:8]}"
    )
    for tag in expected_tags:
        steps = [r.get("step") for r in scalars if r.get("tag") == tag]
        if any(step is None for step in steps):
            raise AssertionError(
                f"train_with_logging: '{tag}' was logged without a step; pass the epoch as "
                "global_step: add_scalar(tag, value, epoch)"
            )
        if steps == list(range(n_epochs)):
            continue
        if steps == list(range(1, n_epochs + 1)):
            raise AssertionError(
                f"train_with_logging: the steps of '{tag}' start at 1; step = epoch counts from 0"
            )
        if len(steps) > n_epochs:
            raise AssertionError(
                f"train_with_logging: '{tag}' was logged more than once per epoch (inside the "
                "batch loop?); log the epoch's value once, after the epoch"
            )
        raise AssertionError(
            f"train_with_logging: '{tag}' should be logged once per epoch at steps 0, 1, 2, ... "
            "(step = epoch)"
        )


@pytest.mark.points(2)
def test_train_loss_values(student, shared, reference_solution):
    """loss/train is the mean of the epoch's batch losses (Adam, BCE on logits, the given lr)"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records = run["setup"], run["records"]
    n_epochs = setup["kwargs"]["n_epochs"]
    expected_history, _, _ = runs.reference_of(shared, reference_solution, run)
    got = runs.scalar_values(records, "loss/train", n_epochs)
    if runs.close(got, expected_history["train_loss"]):
        return
    if runs.close(got, expected_history["valid_loss"]):
        raise AssertionError(
            "train_with_logging: loss/train holds the validation loss; are the tags swapped?"
        )
    if runs.close(got, batch_count(setup) * np.asarray(expected_history["train_loss"])):
        raise AssertionError(
            "train_with_logging: loss/train is the sum of the batch losses; log their mean"
        )
    raise AssertionError(
        "train_with_logging: wrong loss/train values; it is the mean of the epoch's batch losses, "
        "each F.binary_cross_entropy_with_logits(model(xb), yb) (mean over the batch) of a "
        "training step with torch.optim.Adam(model.parameters(), lr=lr) (created once, before the "
        "epoch loop), zero_grad at the start of every step"
    )


def batch_count(setup):
    n = len(setup["args"][0])
    size = setup["kwargs"]["batch_size"]
    return -(-n // size)


@pytest.mark.points(1)
def test_valid_loss_values(student, shared, reference_solution):
    """loss/valid is the loss on the validation data after the epoch"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records = run["setup"], run["records"]
    n_epochs = setup["kwargs"]["n_epochs"]
    expected_history, _, _ = runs.reference_of(shared, reference_solution, run)
    got = runs.scalar_values(records, "loss/valid", n_epochs)
    expected = np.asarray(expected_history["valid_loss"])
    if runs.close(got, expected):
        return
    if runs.close(got, expected_history["train_loss"]):
        raise AssertionError(
            "train_with_logging: loss/valid holds the training loss; are the tags swapped?"
        )
    raise AssertionError(
        "train_with_logging: wrong loss/valid values; it is the mean binary cross-entropy (on the "
        "logits) of the whole validation set, computed after the epoch's last training step"
    )


@pytest.mark.points(1)
def test_history(student, shared, reference_solution):
    """returns {"train_loss": [...], "valid_loss": [...]} with the logged values"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records, history = run["setup"], run["records"], run["history"]
    n_epochs = setup["kwargs"]["n_epochs"]
    assert isinstance(history, dict), (
        f"train_with_logging should return a dict {{'train_loss': [...], 'valid_loss': [...]}}, got {type(history).__name__}"
    )
    expected_history = None
    for key, tag in (("train_loss", "loss/train"), ("valid_loss", "loss/valid")):
        assert key in history, f"train_with_logging: the returned history has no key '{key}'"
        values = as_array(history[key], f"train_with_logging: history['{key}']")
        assert values.shape == (n_epochs,), (
            f"train_with_logging: history['{key}'] should hold one number per epoch, got shape {values.shape}"
        )
        try:
            logged = runs.scalar_values(records, tag, n_epochs)
        except AssertionError:
            logged = None
        if logged is not None and runs.close(values, logged, rtol=1e-5, atol=1e-7):
            continue  # the same values as the logged ones (whether those are right is checked elsewhere)
        if expected_history is None:
            expected_history, _, _ = runs.reference_of(shared, reference_solution, run)
        assert runs.close(values, expected_history[key]), (
            f"train_with_logging: history['{key}'] should hold the epoch's "
            f"{'training' if key == 'train_loss' else 'validation'} losses, the values logged under {tag}"
        )


@pytest.mark.points(1)
def test_histogram_tags_and_steps(student, shared, reference_solution):
    """histograms weights/<name> and grads/<name> of every parameter, once per epoch"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records = run["setup"], run["records"]
    n_epochs = setup["kwargs"]["n_epochs"]
    names = runs.parameter_names(reference_solution)
    expected = {f"weights/{n}" for n in names} | {f"grads/{n}" for n in names}
    histograms = [r for r in records if r.get("method") == "add_histogram"]
    assert histograms, "train_with_logging: no histograms were logged (add_histogram)"
    tags = {str(r.get("tag")) for r in histograms}
    missing, extra = sorted(expected - tags), sorted(tags - expected)
    if missing and all(t.startswith("grads/") for t in missing):
        raise AssertionError(
            f"train_with_logging: the gradient histograms are missing ({missing[0]}, ...); log "
            "p.grad after the batch loop, and zero the gradients at the START of each step "
            "(zero_grad sets them to None)"
        )
    if missing or extra:
        shown = (["missing: " + ", ".join(missing[:3])] if missing else []) + (
            ["unexpected: " + ", ".join(extra[:3])] if extra else []
        )
        raise AssertionError(
            "train_with_logging: the histogram tags should be weights/<name> and grads/<name> for "
            "every (name, p) in model.named_parameters(); " + "; ".join(shown)
        )
    if any(r.get("step") is None for r in histograms):
        raise AssertionError(
            "train_with_logging: histograms were logged without a step; pass the epoch as global_step"
        )
    counts = Counter((r["tag"], r["step"]) for r in histograms)
    wanted = Counter((tag, step) for tag in expected for step in range(n_epochs))
    if counts == wanted:
        return
    if any(c > 1 for c in counts.values()):
        raise AssertionError(
            "train_with_logging: a histogram was logged more than once in an epoch (inside the batch "
            "loop?); log each one once per epoch, after the batch loop"
        )
    raise AssertionError(
        "train_with_logging: every histogram should be logged once per epoch at steps 0, 1, 2, ... "
        "(step = epoch)"
    )


def _per_epoch(records, tag, n_epochs):
    """The student's summaries for ``tag``, one per epoch (last one of each step), or None."""
    entries = [r for r in records if r.get("method") == "add_histogram" and r.get("tag") == tag]
    by_step = {}
    for entry in entries:
        by_step.setdefault(entry.get("step"), []).append(entry)
    if set(by_step) == set(range(n_epochs)):
        return [runs.stats(by_step[step][-1].get("value")) for step in range(n_epochs)]
    if len(entries) == n_epochs:
        return [runs.stats(entry.get("value")) for entry in entries]
    return None


@pytest.mark.points(2)
def test_histogram_values(student, shared, reference_solution):
    """weights after the epoch (or before it) and gradients of the epoch's last batch"""
    run = runs.recorded_run(shared, student, reference_solution)
    setup, records = run["setup"], run["records"]
    n_epochs = setup["kwargs"]["n_epochs"]
    expected_history, reference, initial = runs.reference_of(shared, reference_solution, run)
    try:
        training_off = not runs.close(
            runs.scalar_values(records, "loss/train", n_epochs), expected_history["train_loss"]
        )
    except AssertionError:
        training_off = False
    off = (
        (
            "the logged values differ from those of a correct training run, and so does loss/train: the training "
            "itself is off (see the loss/train line: one torch.optim.Adam(model.parameters(), lr=lr) created before "
            "the epoch loop, zero_grad, backward and step for every batch); "
        )
        if training_off
        else ""
    )

    def expected(tag):
        return [
            runs.stats(r["value"])
            for r in reference
            if r["method"] == "add_histogram" and r["tag"] == tag
        ]

    def matches(got, want):
        return got is not None and want is not None and np.allclose(got, want, rtol=1e-4, atol=1e-6)

    for name in runs.parameter_names(reference_solution):
        weights = _per_epoch(records, f"weights/{name}", n_epochs)
        assert weights is not None, (
            f"train_with_logging: weights/{name} should be logged once per epoch; its values could not be checked"
        )
        after = expected(f"weights/{name}")
        before = [runs.stats(initial[name])] + after[:-1]
        for e in range(n_epochs):
            if not (matches(weights[e], after[e]) or matches(weights[e], before[e])):
                raise AssertionError(
                    f"train_with_logging: wrong values in weights/{name}; {off}log the parameter "
                    "itself (p or p.detach()) once per epoch, after the epoch's training steps"
                )
        grads = _per_epoch(records, f"grads/{name}", n_epochs)
        assert grads is not None, (
            f"train_with_logging: grads/{name} should be logged once per epoch; its values could not be checked"
        )
        want = expected(f"grads/{name}")
        for e in range(n_epochs):
            if matches(grads[e], want[e]):
                continue
            if grads[e] is not None and np.all(grads[e] == 0) and not np.all(want[e] == 0):
                raise AssertionError(
                    f"train_with_logging: grads/{name} is all zeros; the gradients were zeroed before "
                    "they were logged (zero_grad belongs at the start of a step)"
                )
            if matches(grads[e], after[e]) or matches(grads[e], before[e]):
                raise AssertionError(
                    f"train_with_logging: grads/{name} holds the weights; log p.grad"
                )
            raise AssertionError(
                f"train_with_logging: wrong values in grads/{name}; {off}log p.grad after the batch "
                "loop (the gradient of the epoch's last batch)"
            )


def _spied_run(student, reference_solution, shared):
    setup, forwards = runs.spied_run(shared, student, reference_solution)
    assert forwards, "train_with_logging never called the model"
    return setup, forwards


@pytest.mark.points(1)
def test_validation_in_eval_mode_without_gradients(student, shared, reference_solution):
    """validation after each epoch in eval mode under torch.no_grad()"""
    setup, forwards = _spied_run(student, reference_solution, shared)
    valid = [r for r in forwards if r["batch"] == runs.N_VALID]
    assert len(valid) >= setup["kwargs"]["n_epochs"], (
        "train_with_logging: no forward pass over the whole validation set after each epoch was found"
    )
    assert all(not r["training"] for r in valid), (
        "train_with_logging: compute the validation loss in eval mode (model.eval() before, model.train() after)"
    )
    assert all(not r["grad_enabled"] or r["inference_mode"] for r in valid), (
        "train_with_logging: compute the validation loss under torch.no_grad() (no graph is needed)"
    )


@pytest.mark.points(1)
def test_minibatches_in_train_mode(student, shared, reference_solution):
    """each epoch walks once through the training data, shuffled anew, in mini-batches, in train mode"""
    setup, forwards = _spied_run(student, reference_solution, shared)
    n_epochs, size = setup["kwargs"]["n_epochs"], setup["kwargs"]["batch_size"]
    n = len(setup["args"][0])
    # training steps: forward passes with gradients on at most n points (the image's grid is larger)
    steps = [
        r
        for r in forwards
        if r["grad_enabled"]
        and not r["inference_mode"]
        and r["batch"] != runs.N_VALID
        and r["batch"] is not None
        and r["batch"] <= n
    ]
    assert steps, "train_with_logging: no training forward pass (with gradients) was found"
    assert all(r["training"] for r in steps), (
        "train_with_logging: some training batches ran in eval mode; call model.train() after the validation "
        "(and after anything else that switches to eval mode)"
    )
    expected = (
        Counter({size: n_epochs * (n // size), n % size: n_epochs})
        if n % size
        else Counter({size: n_epochs * n // size})
    )
    got = Counter(r["batch"] for r in steps)
    if got == expected:
        per_epoch = -(-n // size)
        epochs = [
            [r.get("input") for r in steps[e * per_epoch : (e + 1) * per_epoch]]
            for e in range(n_epochs)
        ]
        if all(None not in epoch for epoch in epochs) and all(
            epoch == epochs[0] for epoch in epochs[1:]
        ):
            raise AssertionError(
                "train_with_logging: the training samples come in the same order in every epoch; "
                "shuffle them anew each epoch (order = torch.randperm(n), or a DataLoader with "
                "shuffle=True)"
            )
        return
    if sum(k * v for k, v in got.items()) < n * n_epochs and n % size not in got:
        raise AssertionError(
            "train_with_logging: the last, smaller mini-batch is missing; every epoch uses all "
            "training points (range(0, n, batch_size))"
        )
    raise AssertionError(
        "train_with_logging: every epoch should pass once over all training points in mini-batches "
        "of batch_size (the last one may be smaller), one forward pass per training step"
    )


def _image_problem(record):
    """Why a logged image is not a (3, H, W) RGB picture (uint8, or float in [0, 1]); None if it is."""
    value = record.get("value") or {}
    shape, formats = value.get("shape"), str(record.get("dataformats") or "CHW").upper()
    if formats == "NCHW" and shape and len(shape) == 4 and shape[0] == 1:  # a batch of one image
        shape, formats = shape[1:], "CHW"
    if not shape or len(shape) != 3:
        return "the image should be a (3, H, W) array (channels first)"
    channels = {"CHW": shape[0], "HWC": shape[2]}.get(formats)
    if channels is None:
        return "the image should be a (3, H, W) array (channels first)"
    if channels != 3:
        if formats == "CHW" and shape[2] in (3, 4):
            return "the image was logged channels last (H, W, 3) but add_image expects (3, H, W); transpose(2, 0, 1)"
        return "the image should have 3 channels (red, green, blue), channels first"
    dtype = str(value.get("dtype", ""))
    if dtype == "uint8":
        return None
    if dtype.startswith("float") and value.get("min", -1) >= 0 and value.get("max", 2) <= 1:
        return None
    return "the image should be uint8 pixels in 0..255"


def _one_colour(record):
    """Whether a recorded image has one single value everywhere (None: not known)."""
    value = record.get("value") or {}
    if "min" in value and "max" in value:
        return value["min"] == value["max"]
    return None


def _logged_images(run):
    """(steps, one-colour flags) of the decision_boundary images of a ``recorded_run``: from the add_image calls,
    or else (add_images, a summary written by hand) from the event files on disk."""
    images = [r for r in run["records"] if r.get("method") == "add_image"]
    ours = [r for r in images if r.get("tag") == "decision_boundary"]
    if ours:
        for record in ours:
            problem = _image_problem(record)
            assert problem is None, f"train_with_logging: {problem}"
        return [r.get("step") for r in ours], [_one_colour(r) for r in ours]
    on_disk = run["disk_images"]
    if on_disk:
        return (
            [step for step, _ in on_disk],
            [
                bool(pixels.size) and bool(np.all(pixels == pixels.reshape(-1)[0]))
                for _, pixels in on_disk
            ],
        )
    assert not images, "train_with_logging: log the image with the tag 'decision_boundary'"
    raise AssertionError(
        "train_with_logging: no image was logged (add_image) under the tag 'decision_boundary'"
    )


@pytest.mark.points(1)
def test_images(student, shared, reference_solution):
    """image decision_boundary (3, H, W) at epochs 0, image_every, 2 * image_every, ... and the last"""
    one_colour = []
    for n_epochs, every in runs.IMAGE_RUNS:
        run = runs.recorded_run(
            shared, student, reference_solution, n_epochs=n_epochs, image_every=every
        )
        steps, flags = _logged_images(run)
        one_colour += flags
        wanted = sorted(set(range(0, n_epochs, every)) | {n_epochs - 1})
        if steps == wanted:
            continue
        if sorted(s for s in steps if s is not None) == wanted:
            continue
        if len(set(steps)) < len(steps):
            raise AssertionError(
                "train_with_logging: an image was logged twice for one epoch; when the last epoch is "
                "a multiple of image_every, log it once"
            )
        raise AssertionError(
            "train_with_logging: the image should be logged at the epochs 0, image_every, "
            "2 * image_every, ... and at the last epoch (step = epoch)"
        )
    if one_colour and all(flag is True for flag in one_colour):
        raise AssertionError(
            "train_with_logging: every decision_boundary image is one single colour; log a picture "
            "of the model's decision boundary, e.g. a colour map of decision_boundary(model) as uint8 "
            "(3, H, W), or figure_to_array of a plot of it"
        )


@pytest.mark.points(1)
def test_events_on_disk(student, shared, reference_solution):
    """all logged events are in the event file when it returns (the writer is closed)"""
    n_epochs, every = runs.EVENTS_RUN
    run = runs.recorded_run(
        shared, student, reference_solution, n_epochs=n_epochs, image_every=every
    )
    records = run["records"]
    logged = [
        r
        for r in records
        if r.get("method") in ("add_scalar", "add_histogram", "add_image")
        and r.get("tag") is not None
        and r.get("step") is not None
    ]
    assert logged, (
        "train_with_logging: nothing was logged with add_scalar, add_histogram or add_image"
    )
    last_add = max(i for i, r in enumerate(records) if str(r.get("method", "")).startswith("add_"))
    assert any(r.get("method") in ("close", "flush") for r in records[last_add + 1 :]), (
        "train_with_logging: the writer is not closed (or flushed) after the last event, so some events may still "
        "be in memory when the function returns; call writer.close() at the end, or use "
        "`with SummaryWriter(logdir) as writer:`"
    )
    events = run["events"]
    if isinstance(events, Exception):
        raise events
    kinds = {"add_scalar": "scalars", "add_histogram": "histograms", "add_image": "images"}
    found = {
        (kind, tag, int(entry[0]))
        for kind, by_tag in events.items()
        for tag, entries in by_tag.items()
        for entry in entries
    }
    missing = [r for r in logged if (kinds[r["method"]], r["tag"], int(r["step"])) not in found]
    assert not missing, (
        "train_with_logging: some logged events are not in the event file in logdir when the function returns; "
        "write with one SummaryWriter(logdir) into logdir itself (not into a sub-directory) and close it at the end"
    )
