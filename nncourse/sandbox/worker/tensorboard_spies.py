"""TensorBoard instruments (04-tensorboard): what a SummaryWriter logged, what event files hold."""

from registry import Recorder, instrument


def _summary(value):
    """Plain-data summary of a logged value (scalars as floats, arrays by shape/dtype/stats)."""
    import numpy as np

    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        array = np.asarray(value)
        if array.size == 1:
            return {"value": float(array.reshape(-1)[0]), "shape": list(array.shape)}
        numeric = array.astype(np.float64)
        return {
            "shape": list(array.shape),
            "dtype": str(array.dtype),
            "mean": float(numeric.mean()),
            "std": float(numeric.std()),
            "min": float(numeric.min()),
            "max": float(numeric.max()),
            "sum": float(numeric.sum()),
        }
    except Exception as exc:
        return {"error": type(exc).__name__}


# the SummaryWriter methods record_writer records (and the benchmark's baseline puts back)
RECORDED_METHODS = (
    "add_scalar",
    "add_scalars",
    "add_histogram",
    "add_image",
    "add_figure",
    "flush",
    "close",
)


@instrument(
    "record_writer",
    relies_on=tuple(
        f"torch.utils.tensorboard.SummaryWriter.{name}"
        for name in ("__init__", "add_images", *RECORDED_METHODS)
    ),
)
def instrument_record_writer():
    """Record every SummaryWriter add_*/flush/close call (tag, step, summary); still writes."""
    from torch.utils.tensorboard import SummaryWriter

    recorder = Recorder()
    for method in RECORDED_METHODS:
        original = getattr(SummaryWriter, method)

        def recorded(self, *args, _method=method, _original=original, **kwargs):
            entry = {"method": _method}
            if args or "tag" in kwargs or "main_tag" in kwargs:
                entry["tag"] = kwargs.get("tag", kwargs.get("main_tag", args[0] if args else None))
            if _method.startswith("add_"):
                names = ("scalar_value", "tag_scalar_dict", "values", "img_tensor", "figure")
                payload = next(
                    (kwargs[n] for n in names if n in kwargs), args[1] if len(args) > 1 else None
                )
                step = kwargs.get("global_step", args[2] if len(args) > 2 else None)
                entry["step"] = None if step is None else int(step)
                entry["dataformats"] = kwargs.get(
                    "dataformats", args[4] if _method == "add_image" and len(args) > 4 else "CHW"
                )
                if isinstance(payload, dict):
                    entry["value"] = {k: _summary(v) for k, v in payload.items()}
                elif _method != "add_figure":
                    entry["value"] = _summary(payload)
            recorder.records.append(entry)
            return _original(self, *args, **kwargs)

        setattr(SummaryWriter, method, recorded)
    return recorder


@instrument("read_events")
def instrument_read_events(logdir):
    """Read TensorBoard event files back: scalars, histogram steps and image sizes by tag."""
    from tensorboard.backend.event_processing import event_accumulator as ea

    accumulator = ea.EventAccumulator(
        str(logdir), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    return {
        "scalars": {
            t: [[e.step, float(e.value)] for e in accumulator.Scalars(t)]
            for t in tags.get("scalars", [])
        },
        "histograms": {
            t: [
                [e.step, float(e.histogram_value.num), float(e.histogram_value.sum)]
                for e in accumulator.Histograms(t)
            ]
            for t in tags.get("histograms", [])
        },
        "images": {
            t: [[e.step, e.height, e.width] for e in accumulator.Images(t)]
            for t in tags.get("images", [])
        },
    }
