"""Shared pieces of the train_with_logging autograder (04-tensorboard): set-ups, runs, records.

Loaded by ``test_train_with_logging.py`` with ``load_helper``. A set-up is plain data (initial weights,
arguments, seed) that both the student's run in the worker and the reference run in the grader
start from; records are the plain dicts the worker's ``record_writer`` instrument sends back.
"""

import numpy as np
import torch

from nncourse.grading.student import StudentError

HIDDEN = (6,)
N_VALID = 6  # smaller than every training batch size used here, and different from them


# ---------------------------------------------------------------------------------------- set-ups
def _spiral(reference_solution, rng, n):
    """n spiral points of both classes (float32) from the notebook's generator, with a hidden seed."""
    X, y = reference_solution.make_spiral(n=max(n, 8), seed=int(rng.integers(1, 2**31 - 1)))
    return np.ascontiguousarray(X[:n]), np.ascontiguousarray(y[:n])


def _initial_state(reference_solution, rng):
    torch.manual_seed(int(rng.integers(1, 2**31 - 1)))
    model = reference_solution.MLP(hidden=HIDDEN)
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def setup_one_point(reference_solution, rng, *, n_epochs=3, image_every=100):
    """32 copies of one spiral point, batches of 8 (4 equal batches), validation on spiral points."""
    X, y = _spiral(reference_solution, rng, 40)
    point, label = X[int(rng.integers(0, 40))], float(rng.integers(0, 2))
    x_valid, y_valid = _spiral(reference_solution, rng, N_VALID)
    return {
        "state": _initial_state(reference_solution, rng),
        "args": (
            np.tile(point, (32, 1)).astype(np.float32),
            np.full(32, label, dtype=np.float32),
            x_valid,
            y_valid,
        ),
        "kwargs": {
            "n_epochs": n_epochs,
            "lr": float(rng.uniform(0.02, 0.05)),
            "batch_size": 8,
            "image_every": image_every,
        },
        "seed": int(rng.integers(1, 2**31 - 1)),
    }


def setup_spiral(reference_solution, rng):
    """29 spiral points in batches of 8 (the last one has 5), 2 epochs."""
    x_train, y_train = _spiral(reference_solution, rng, 29)
    x_valid, y_valid = _spiral(reference_solution, rng, N_VALID)
    return {
        "state": _initial_state(reference_solution, rng),
        "args": (x_train, y_train, x_valid, y_valid),
        "kwargs": {"n_epochs": 2, "lr": 0.01, "batch_size": 8, "image_every": 100},
        "seed": int(rng.integers(1, 2**31 - 1)),
    }


# ------------------------------------------------------------------------------------------- runs
_INPUT_SEPARATOR = "\x1e"


def input_recorder(student, model):
    """A forward pre-hook on ``model`` (built from worker objects: print into a StringIO) that writes the
    text of every input batch; returns the buffer. Only compared with itself, never sent to the student."""
    buffer = student.import_module("io").StringIO()
    hook = student.import_module("functools").partial(
        student.import_module("builtins").print, file=buffer, end=_INPUT_SEPARATOR
    )
    model.register_forward_pre_hook(hook)
    return buffer


def with_inputs(records, buffer):
    """The spy's forward records, each with the text of its input batch ("input") when the pre-hook saw
    exactly the same calls (model(x)); otherwise the records unchanged (model.forward(x) skips hooks)."""
    texts = str(buffer.getvalue()).split(_INPUT_SEPARATOR)[:-1]
    if len(texts) != len(records):
        return records
    return [dict(r, input=t) for r, t in zip(records, texts)]


def student_run(student, setup, *, record=False, spy=False):
    """Run the student's train_with_logging in the worker; returns (history, records, forwards, logdir).

    With ``spy``, the forward records carry the text of their input batch ("input") where it could be seen.
    """
    model = student.MLP(hidden=HIDDEN)
    model.load_state_dict(setup["state"])
    recorder = student.instrument("record_writer") if record else None
    spied = student.instrument("spy_forward", model) if spy else None
    inputs = input_recorder(student, model) if spy else None
    logdir = student.instrument("tempdir")
    student.instrument("seed", setup["seed"])
    history = student.train_with_logging(model, *setup["args"], logdir, **setup["kwargs"])
    return (
        history,
        recorder.records if record else None,
        with_inputs(spied.records, inputs) if spy else None,
        logdir,
    )


# Several rubric lines check one run: each run is made once per submission (the ``shared`` fixture) and
# what the tests need from the worker (images, event files) is read back before its session ends.
IMAGE_RUNS = ((5, 3), (3, 2))  # (n_epochs, image_every) of the runs whose images are checked
EVENTS_RUN = IMAGE_RUNS[
    1
]  # the run whose event files are read back (about 45 ms: only where checked)


def recorded_run(shared, student, reference_solution, *, n_epochs=3, image_every=100) -> dict:
    """The student's recorded run on a one-point set-up (``setup_one_point``) with these epochs and image
    interval: ``{"setup", "history", "records", "disk_images", "events"}``.

    For the ``IMAGE_RUNS``, ``disk_images`` are the decision_boundary images found on disk
    (``disk_images``), read when no add_image call logged them; for the ``EVENTS_RUN``, ``events`` is
    what ``read_events`` found in the logdir, or the StudentError that reading raised. Otherwise None.
    """

    def run(rng):
        setup = setup_one_point(reference_solution, rng, n_epochs=n_epochs, image_every=image_every)
        history, records, _, logdir = student_run(student, setup, record=True)
        logged = any(
            r.get("method") == "add_image" and r.get("tag") == "decision_boundary" for r in records
        )
        images = None
        if (n_epochs, image_every) in IMAGE_RUNS and not logged:
            images = disk_images(student, logdir, "decision_boundary")
        events = None
        if (n_epochs, image_every) == EVENTS_RUN:
            try:
                events = student.instrument("read_events", logdir)
            except StudentError as exc:
                events = exc
        return {
            "setup": setup,
            "history": history,
            "records": records,
            "events": events,
            "disk_images": images,
        }

    return shared(f"recorded run: one point, {n_epochs} epochs, an image every {image_every}", run)


def reference_of(shared, reference_solution, run: dict):
    """``reference_run`` on the set-up of a ``recorded_run``, made once per submission."""
    key = f"reference run: {run['setup']['seed']}"
    return shared(key, lambda _rng: reference_run(reference_solution, run["setup"]))


def spied_run(shared, student, reference_solution):
    """(setup, forward records) of the student's run on spiral points (``setup_spiral``) with ``spy_forward``."""

    def run(rng):
        setup = setup_spiral(reference_solution, rng)
        _, _, forwards, _ = student_run(student, setup, spy=True)
        return setup, forwards

    return shared("spied run: spiral points", run)


def _summary(value):
    """The same plain summary the worker's record_writer makes of a logged tensor."""
    array = np.asarray(
        value.detach().cpu().numpy() if hasattr(value, "detach") else value, dtype=np.float64
    )
    if array.size == 1:
        return {"value": float(array.reshape(-1)[0])}
    return {
        "mean": float(array.mean()),
        "std": float(array.std()),
        "min": float(array.min()),
        "max": float(array.max()),
    }


def stats(summary):
    """[mean, std, min, max] of a summary (a one-element value counts as all four)."""
    if not isinstance(summary, dict):
        return None
    if "value" in summary:
        return np.array([summary["value"], 0.0, summary["value"], summary["value"]])
    if all(k in summary for k in ("mean", "std", "min", "max")):
        return np.array([summary["mean"], summary["std"], summary["min"], summary["max"]])
    return None


def reference_run(reference_solution, setup):
    """The reference solution on the same initial weights and data, with a recording stand-in writer.

    Returns (history, records, initial) where records are dicts like the worker's record_writer gives and
    initial maps parameter names to the summaries of the initial weights.
    """
    records = []

    class RecordingWriter:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def add_scalar(self, tag, value, global_step=None, *args, **kwargs):
            records.append(
                {
                    "method": "add_scalar",
                    "tag": tag,
                    "step": int(global_step),
                    "value": _summary(value),
                }
            )

        def add_histogram(self, tag, values, global_step=None, *args, **kwargs):
            records.append(
                {
                    "method": "add_histogram",
                    "tag": tag,
                    "step": int(global_step),
                    "value": _summary(values),
                }
            )

        def add_image(self, tag, image, global_step=None, *args, **kwargs):
            records.append({"method": "add_image", "tag": tag, "step": int(global_step)})

        def flush(self):
            pass

        def close(self):
            pass

    model = reference_solution.MLP(hidden=HIDDEN)
    model.load_state_dict(setup["state"])
    initial = {name: _summary(p) for name, p in model.named_parameters()}
    saved = reference_solution.SummaryWriter
    reference_solution.SummaryWriter = RecordingWriter
    try:
        torch.manual_seed(setup["seed"])
        history = reference_solution.train_with_logging(
            model, *setup["args"], "unused", **setup["kwargs"]
        )
    finally:
        reference_solution.SummaryWriter = saved
    return history, records, initial


def parameter_names(reference_solution):
    return [name for name, _ in reference_solution.MLP(hidden=HIDDEN).named_parameters()]


def disk_images(student, logdir, tag):
    """The images logged under ``tag`` as found in the event files of ``logdir`` (whatever wrote them:
    add_image, add_images, add_figure or a hand-made summary): a list of (step, pixels uint8 (H, W, C)),
    decoded inside the worker; None when they cannot be read."""
    try:
        accumulator_module = student.import_module(
            "tensorboard.backend.event_processing.event_accumulator"
        )
        accumulator = accumulator_module.EventAccumulator(str(logdir), size_guidance={"images": 0})
        accumulator.Reload()
        if tag not in list(accumulator.Tags()["images"]):
            return []
        io, image_module = student.import_module("io"), student.import_module("PIL.Image")
        numpy = student.import_module("numpy")
        found = []
        for event in accumulator.Images(tag):
            pixels = numpy.asarray(image_module.open(io.BytesIO(event.encoded_image_string)))
            found.append((int(event.step), np.asarray(pixels)))
        return found
    except Exception:  # noqa: BLE001 - an unreadable file counts as no image (the disk test says more)
        return None


# --------------------------------------------------------------------------------- record helpers
def scalar_values(records, tag, n_epochs):
    """The values the student logged under ``tag``, one per epoch (by step if possible, else in order)."""
    entries = [r for r in records if r.get("method") == "add_scalar" and r.get("tag") == tag]
    if not entries:
        # add_scalars("loss", {"train": ...}) is penalised by the tag test; its values are still checked here
        main, _, key = tag.partition("/")
        entries = [
            dict(r, value=r["value"][key])
            for r in records
            if r.get("method") == "add_scalars"
            and r.get("tag") == main
            and isinstance(r.get("value"), dict)
            and key in r["value"]
        ]
    if not entries:
        raise AssertionError(
            f"train_with_logging: no scalar with the tag '{tag}' was logged (add_scalar)"
        )
    by_step = {}
    for entry in entries:
        by_step.setdefault(entry.get("step"), []).append(entry)
    if sorted(by_step, key=str) == sorted(range(n_epochs), key=str):
        chosen = [by_step[step][-1] for step in range(n_epochs)]
    elif len(entries) == n_epochs:
        chosen = entries
    else:
        raise AssertionError(
            f"train_with_logging: '{tag}' should be logged once per epoch (at step = epoch); "
            "its values could not be matched with the epochs"
        )
    values = []
    for entry in chosen:
        value = entry.get("value") or {}
        if "value" not in value:
            raise AssertionError(
                f"train_with_logging: the value logged under '{tag}' should be one number "
                "(loss.item() or a float)"
            )
        values.append(value["value"])
    return np.array(values)


def close(got, expected, rtol=1e-4, atol=1e-6):
    return np.shape(got) == np.shape(expected) and np.allclose(got, expected, rtol=rtol, atol=atol)
