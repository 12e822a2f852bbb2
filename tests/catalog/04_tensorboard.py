"""Catalog for 04-tensorboard: correct-but-unusual solutions and realistic mistakes.

Each entry replaces ONE solution cell (the cell whose nbgrader grade_id is ``item``) of the source
notebook with ``source`` (a full def). ``tests/test_catalog_04.py`` grades a notebook per entry: every
correct entry must get full marks; every mistake strictly less, with the test named in ``caught_by``
(in ``test_<item>.py``) failed.

The mistakes are the ones students make with this exercise (content.md section 4.4 and the lecture's own
helper): uint8 arithmetic that wraps, channels last or reshaped instead of transposed, RGBA or BGR,
flipped rows, meshgrid with the wrong indexing, logits instead of probabilities, predictions in train mode
with a graph, the model's mode not restored; in the training loop: the last batch's loss as the epoch's,
swapped tags, no global_step, steps from 1, add_scalars, validation under autograd in train mode,
zero_grad at the end of the step (zeros or None gradients), histograms inside the batch loop or of the
wrong tensor, the image channels last, images only at multiples of image_every, the writer never closed,
the last partial batch dropped, model.train() forgotten, SGD or a fixed lr, sum reduction, no zero_grad, no
shuffling (or the same order every epoch), Adam re-created every epoch, an image of one colour.
"""

# ------------------------------------------------------------------------------------------------
# The reference train_with_logging (as in the source notebook); most mistakes are one edit of it.
TWL = """
def train_with_logging(model, x_train, y_train, x_valid, y_valid, logdir, n_epochs, lr=1e-2, batch_size=512,
                       image_every=10):
    x_train = torch.as_tensor(x_train, dtype=torch.float32)
    y_train = torch.as_tensor(y_train, dtype=torch.float32)
    x_valid = torch.as_tensor(x_valid, dtype=torch.float32)
    y_valid = torch.as_tensor(y_valid, dtype=torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train_loss": [], "valid_loss": []}
    n = len(x_train)

    with SummaryWriter(logdir) as writer:
        for epoch in range(n_epochs):
            model.train()
            order = torch.randperm(n)
            batch_losses = []
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                optimizer.zero_grad()
                loss = F.binary_cross_entropy_with_logits(model(x_train[idx]), y_train[idx])
                loss.backward()
                optimizer.step()
                batch_losses.append(loss.item())
            train_loss = float(np.mean(batch_losses))

            model.eval()
            with torch.no_grad():
                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()
            model.train()

            history["train_loss"].append(train_loss)
            history["valid_loss"].append(valid_loss)
            writer.add_scalar("loss/train", train_loss, epoch)
            writer.add_scalar("loss/valid", valid_loss, epoch)
            for name, param in model.named_parameters():
                writer.add_histogram(f"weights/{name}", param.detach(), epoch)
                if param.grad is not None:
                    writer.add_histogram(f"grads/{name}", param.grad, epoch)

            if epoch % image_every == 0 or epoch == n_epochs - 1:
                probs = decision_boundary(model)
                rgb = plt.cm.coolwarm(probs[::-1])[:, :, :3]
                image = np.round(255 * rgb).astype(np.uint8).transpose(2, 0, 1)
                writer.add_image("decision_boundary", image, epoch)
    return history
"""


def _edit(source: str, *pairs: tuple[str, str]) -> str:
    """``source`` with each (old, new) replaced exactly once (fails loudly if the text is not there)."""
    for old, new in pairs:
        assert source.count(old) == 1, f"catalog edit not found exactly once: {old!r}"
        source = source.replace(old, new)
    return source


CORRECT = [
    # ------------------------------------------------------------------------------ figure_to_array
    dict(
        name="figure_png_roundtrip",
        item="figure_to_array",
        source="""
def figure_to_array(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    rgba = plt.imread(buffer, format="png")            # float32 in [0, 1], (H, W, 4)
    rgb = np.round(rgba[:, :, :3] * 255).astype(np.uint8)
    return np.transpose(rgb, (2, 0, 1)).copy()
""",
    ),
    dict(
        name="figure_print_to_buffer_moveaxis",
        item="figure_to_array",
        source="""
def figure_to_array(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    data, (width, height) = canvas.print_to_buffer()
    rgba = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4)
    return np.moveaxis(rgba, -1, 0)[:3]
""",
    ),
    dict(
        name="figure_stack_channels",
        item="figure_to_array",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    rgba = np.array(fig.canvas.renderer.buffer_rgba())
    red, green, blue = rgba[..., 0], rgba[..., 1], rgba[..., 2]
    return np.stack([red, green, blue], axis=0).astype("uint8")
""",
    ),
    # ---------------------------------------------------------------------------- decision_boundary
    dict(
        name="boundary_torch_meshgrid_inference_mode",
        item="decision_boundary",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    xs = torch.linspace(xlim[0], xlim[1], resolution)
    ys = torch.linspace(ylim[0], ylim[1], resolution)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([gx.flatten(), gy.flatten()], dim=1)
    mode = model.training
    model.eval()
    with torch.inference_mode():
        p = torch.sigmoid(model(points)).view(resolution, resolution)
    model.train(mode)
    return p.numpy()
""",
    ),
    dict(
        name="boundary_row_loop",
        item="decision_boundary",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    xs = np.linspace(xlim[0], xlim[1], resolution)
    ys = np.linspace(ylim[0], ylim[1], resolution)
    was_training = model.training
    model.eval()
    rows = []
    with torch.no_grad():
        for y in ys:
            batch = torch.tensor(np.column_stack([xs, np.full(resolution, y)]), dtype=torch.float32)
            rows.append(torch.sigmoid(model(batch)).numpy())
    if was_training:
        model.train()
    return np.array(rows)
""",
    ),
    dict(
        name="boundary_ij_grid_transposed_back",
        item="decision_boundary",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")        # gx[j, i] = xs[j]
    grid = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32))
    training = model.training
    try:
        model.eval()
        with torch.no_grad():
            logits = model(grid)
    finally:
        model.train(training)
    probs = 1.0 / (1.0 + np.exp(-logits.numpy().astype(np.float64)))
    return probs.reshape(resolution, resolution).T
""",
    ),
    # --------------------------------------------------------------------------- train_with_logging
    dict(
        name="train_dataloader_lecture_style",
        item="train_with_logging",
        source="""
def train_with_logging(model, x_train, y_train, x_valid, y_valid, logdir, n_epochs, lr=1e-2, batch_size=512,
                       image_every=10):
    from torch.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(torch.as_tensor(x_train).float(), torch.as_tensor(y_train).float()),
                        batch_size=batch_size, shuffle=True)
    xv, yv = torch.as_tensor(x_valid).float(), torch.as_tensor(y_valid).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    writer = SummaryWriter(log_dir=str(logdir))
    history = {"train_loss": [], "valid_loss": []}
    for epoch in range(n_epochs):
        model.train()
        losses = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        train_loss = torch.stack(losses).mean()
        with torch.no_grad():
            model.eval()
            valid_loss = loss_fn(model(xv), yv)
            model.train()
        writer.add_scalar("loss/train", train_loss, epoch)        # 0-d tensors, as in the lecture
        writer.add_scalar("loss/valid", valid_loss, epoch)
        for name, param in model.named_parameters():
            writer.add_histogram("weights/" + name, param, epoch)
            writer.add_histogram("grads/" + name, param.grad, epoch)
        if epoch % image_every == 0 or epoch + 1 == n_epochs:
            fig, ax = plt.subplots(figsize=(3, 3), dpi=40)
            ax.imshow(decision_boundary(model, resolution=40), origin="lower", cmap="coolwarm", vmin=0, vmax=1)
            ax.axis("off")
            writer.add_image("decision_boundary", figure_to_array(fig), epoch)
            plt.close(fig)
        writer.flush()
        history["train_loss"].append(train_loss.item())
        history["valid_loss"].append(valid_loss.item())
    writer.close()
    return history
""",
    ),
    dict(
        name="train_weighted_mean_inference_mode_hwc_float",
        item="train_with_logging",
        source="""
def train_with_logging(model, x_train, y_train, x_valid, y_valid, logdir, n_epochs, lr=1e-2, batch_size=512,
                       image_every=10):
    X = torch.tensor(np.asarray(x_train), dtype=torch.float32)
    Y = torch.tensor(np.asarray(y_train), dtype=torch.float32)
    XV = torch.tensor(np.asarray(x_valid), dtype=torch.float32)
    YV = torch.tensor(np.asarray(y_valid), dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr)
    train_hist, valid_hist = [], []
    with SummaryWriter(logdir) as w:
        for epoch in range(n_epochs):
            perm = np.random.permutation(len(X))
            total, count = 0.0, 0
            for batch in np.array_split(perm, range(batch_size, len(X), batch_size)):
                opt.zero_grad(set_to_none=True)
                logits = model(X[batch])
                loss = F.binary_cross_entropy(torch.sigmoid(logits), Y[batch])
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
                count += len(batch)
            was = model.training
            model.eval()
            with torch.inference_mode():
                v = F.binary_cross_entropy_with_logits(model(XV), YV).item()
            model.train(was)
            for name, p in model.named_parameters():
                w.add_histogram(tag="grads/" + name, values=p.grad.numpy().copy(), global_step=epoch)
                w.add_histogram(tag="weights/" + name, values=p.detach().numpy().copy(), global_step=epoch)
            w.add_scalar("loss/valid", v, global_step=epoch)
            w.add_scalar("loss/train", total / count, global_step=epoch)
            train_hist.append(total / count)
            valid_hist.append(v)
            if epoch == n_epochs - 1 or epoch % image_every == 0:
                probs = decision_boundary(model, resolution=50)
                hwc = plt.cm.viridis(np.flipud(probs))[:, :, :3].astype(np.float32)  # floats in [0, 1]
                w.add_image("decision_boundary", hwc, global_step=epoch, dataformats="HWC")
    return {"train_loss": train_hist, "valid_loss": valid_hist}
""",
    ),
    dict(
        name="train_flush_only_add_figure",
        item="train_with_logging",
        source=_edit(
            TWL,
            (
                "    with SummaryWriter(logdir) as writer:\n",
                "    writer = SummaryWriter(logdir)\n    if True:\n",
            ),
            (
                "                probs = decision_boundary(model)\n"
                "                rgb = plt.cm.coolwarm(probs[::-1])[:, :, :3]\n"
                "                image = np.round(255 * rgb).astype(np.uint8).transpose(2, 0, 1)\n"
                '                writer.add_image("decision_boundary", image, epoch)\n',
                "                fig, ax = plt.subplots(figsize=(2, 2), dpi=30)\n"
                "                ax.contourf(decision_boundary(model, resolution=30), levels=10)\n"
                '                writer.add_figure("decision_boundary", fig, epoch)  # closes the figure\n',
            ),
            ("    return history\n", "    writer.flush()\n    return history\n"),
        ),
    ),
    dict(
        name="train_add_images_batch_of_one",
        item="train_with_logging",
        source=_edit(
            TWL,
            (
                'writer.add_image("decision_boundary", image, epoch)',
                'writer.add_images("decision_boundary", image[None], epoch)  # NCHW, a batch of one',
            ),
        ),
    ),
    dict(
        name="train_numpy_permutation_of_a_seeded_generator",
        item="train_with_logging",
        source=_edit(
            TWL,
            (
                "    n = len(x_train)\n",
                "    n = len(x_train)\n    shuffler = np.random.default_rng(0)\n",
            ),
            ("order = torch.randperm(n)", "order = torch.from_numpy(shuffler.permutation(n))"),
        ),
    ),
]


MISTAKES = [
    # ------------------------------------------------------------------------------ figure_to_array
    dict(
        name="figure_rgba_four_channels",
        item="figure_to_array",
        caught_by="test_shape_and_dtype",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).transpose(2, 0, 1).copy()
""",
    ),
    dict(
        name="figure_channels_last",
        item="figure_to_array",
        caught_by="test_shape_and_dtype",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
""",
    ),
    dict(
        name="figure_float_pixels",
        item="figure_to_array",
        caught_by="test_shape_and_dtype",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return rgba[:, :, :3].transpose(2, 0, 1) / 255.0
""",
    ),
    dict(
        name="figure_reshape_not_transpose",
        item="figure_to_array",
        caught_by="test_rgb_channel_order",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    height, width = rgba.shape[:2]
    return rgba[:, :, :3].copy().reshape(3, height, width)
""",
    ),
    dict(
        name="figure_lecture_times_two",
        item="figure_to_array",
        caught_by="test_rgb_channel_order",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].transpose(2, 0, 1)
    return image * 2
""",
    ),
    dict(
        name="figure_imread_times_256_overflows",
        item="figure_to_array",
        caught_by="test_rgb_channel_order",
        source="""
def figure_to_array(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    rgb = plt.imread(buffer)[..., :3]
    return (rgb * 256).astype(np.uint8).transpose(2, 0, 1)   # 1.0 * 256 wraps to 0
""",
    ),
    dict(
        name="figure_bgr",
        item="figure_to_array",
        caught_by="test_rgb_channel_order",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.stack([rgba[..., 2], rgba[..., 1], rgba[..., 0]])
""",
    ),
    dict(
        name="figure_flipped_upside_down",
        item="figure_to_array",
        caught_by="test_orientation",
        source="""
def figure_to_array(fig):
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    return np.ascontiguousarray(np.flipud(rgba)[:, :, :3].transpose(2, 0, 1))
""",
    ),
    # ---------------------------------------------------------------------------- decision_boundary
    dict(
        name="boundary_logits",
        item="decision_boundary",
        caught_by="test_probabilities_on_the_grid",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(grid).reshape(resolution, resolution)
    model.train(was_training)
    return logits.numpy()
""",
    ),
    dict(
        name="boundary_ij_indexing",
        item="decision_boundary",
        caught_by="test_probabilities_on_the_grid",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution), indexing="ij")
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    model.train(was_training)
    return probs.numpy()
""",
    ),
    dict(
        name="boundary_rows_from_the_top",
        item="decision_boundary",
        caught_by="test_probabilities_on_the_grid",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(ylim[1], ylim[0], resolution)     # image-style: top row first
    gx, gy = np.meshgrid(xs, ys)
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    model.train(was_training)
    return probs.numpy()
""",
    ),
    dict(
        name="boundary_hard_coded_limits",
        item="decision_boundary",
        caught_by="test_probabilities_on_the_grid",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    xs = np.linspace(-20, 20, resolution)
    gx, gy = np.meshgrid(xs, xs)
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    model.train(was_training)
    return probs.numpy()
""",
    ),
    dict(
        name="boundary_default_resolution_50",
        item="decision_boundary",
        caught_by="test_default_arguments",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=50):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    model.train(was_training)
    return probs.numpy()
""",
    ),
    dict(
        name="boundary_train_mode_with_graph",
        item="decision_boundary",
        caught_by="test_eval_mode_without_gradients",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    return probs.detach().numpy()
""",
    ),
    dict(
        name="boundary_leaves_eval_mode",
        item="decision_boundary",
        caught_by="test_restores_the_mode",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    return probs.numpy()
""",
    ),
    dict(
        name="boundary_always_back_to_train",
        item="decision_boundary",
        caught_by="test_restores_the_mode",
        source="""
def decision_boundary(model, xlim=(-20, 20), ylim=(-20, 20), resolution=100):
    gx, gy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    grid = torch.as_tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(grid)).reshape(resolution, resolution)
    model.train()
    return probs.numpy()
""",
    ),
    # --------------------------------------------------------------------------- train_with_logging
    dict(
        name="train_last_batch_loss",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL, ("train_loss = float(np.mean(batch_losses))", "train_loss = batch_losses[-1]")
        ),
    ),
    dict(
        name="train_sum_of_batch_losses",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL,
            (
                "train_loss = float(np.mean(batch_losses))",
                "train_loss = float(np.sum(batch_losses))",
            ),
        ),
    ),
    dict(
        name="train_tags_swapped",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL,
            (
                'writer.add_scalar("loss/train", train_loss, epoch)',
                'writer.add_scalar("loss/train", valid_loss, epoch)',
            ),
            (
                'writer.add_scalar("loss/valid", valid_loss, epoch)',
                'writer.add_scalar("loss/valid", train_loss, epoch)',
            ),
        ),
    ),
    dict(
        name="train_no_zero_grad",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(TWL, ("                optimizer.zero_grad()\n", "")),
    ),
    dict(
        name="train_sgd",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL,
            (
                "torch.optim.Adam(model.parameters(), lr=lr)",
                "torch.optim.SGD(model.parameters(), lr=lr)",
            ),
        ),
    ),
    dict(
        name="train_lr_ignored",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL,
            ("torch.optim.Adam(model.parameters(), lr=lr)", "torch.optim.Adam(model.parameters())"),
        ),
    ),
    dict(
        name="train_validation_before_the_epoch",
        item="train_with_logging",
        caught_by="test_valid_loss_values",
        source=_edit(
            TWL,
            (
                "            model.train()\n            order = torch.randperm(n)\n",
                "            model.eval()\n            with torch.no_grad():\n"
                "                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n"
                "            model.train()\n            order = torch.randperm(n)\n",
            ),
            (
                "            model.eval()\n            with torch.no_grad():\n"
                "                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n"
                "            model.train()\n\n",
                "\n",
            ),
        ),
    ),
    dict(
        name="train_history_other_keys",
        item="train_with_logging",
        caught_by="test_history",
        source=_edit(
            TWL,
            (
                "    return history\n",
                '    return {"train": history["train_loss"], "valid": history["valid_loss"]}\n',
            ),
        ),
    ),
    dict(
        name="train_no_global_step",
        item="train_with_logging",
        caught_by="test_scalar_tags_and_steps",
        source=_edit(
            TWL,
            (
                'writer.add_scalar("loss/train", train_loss, epoch)',
                'writer.add_scalar("loss/train", train_loss)',
            ),
            (
                'writer.add_scalar("loss/valid", valid_loss, epoch)',
                'writer.add_scalar("loss/valid", valid_loss)',
            ),
        ),
    ),
    dict(
        name="train_steps_from_one",
        item="train_with_logging",
        caught_by="test_scalar_tags_and_steps",
        source=_edit(
            TWL,
            (
                'writer.add_scalar("loss/train", train_loss, epoch)',
                'writer.add_scalar("loss/train", train_loss, epoch + 1)',
            ),
            (
                'writer.add_scalar("loss/valid", valid_loss, epoch)',
                'writer.add_scalar("loss/valid", valid_loss, epoch + 1)',
            ),
        ),
    ),
    dict(
        name="train_add_scalars",
        item="train_with_logging",
        caught_by="test_scalar_tags_and_steps",
        source=_edit(
            TWL,
            (
                '            writer.add_scalar("loss/train", train_loss, epoch)\n'
                '            writer.add_scalar("loss/valid", valid_loss, epoch)\n',
                '            writer.add_scalars("loss", {"train": train_loss, "valid": valid_loss}, epoch)\n',
            ),
        ),
    ),
    dict(
        name="train_validation_in_train_mode_with_grad",
        item="train_with_logging",
        caught_by="test_validation_in_eval_mode_without_gradients",
        source=_edit(
            TWL,
            (
                "            model.eval()\n            with torch.no_grad():\n"
                "                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n",
                "            valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n",
            ),
        ),
    ),
    dict(
        name="train_zero_grad_at_the_end_keeps_zeros",
        item="train_with_logging",
        caught_by="test_histogram_values",
        source=_edit(
            TWL,
            ("                optimizer.zero_grad()\n", ""),
            (
                "                optimizer.step()\n",
                "                optimizer.step()\n                optimizer.zero_grad(set_to_none=False)\n",
            ),
        ),
    ),
    dict(
        name="train_zero_grad_at_the_end_none",
        item="train_with_logging",
        caught_by="test_histogram_tags_and_steps",
        source=_edit(
            TWL,
            ("                optimizer.zero_grad()\n", ""),
            (
                "                optimizer.step()\n",
                "                optimizer.step()\n                optimizer.zero_grad()\n",
            ),
        ),
    ),
    dict(
        name="train_weights_logged_as_grads",
        item="train_with_logging",
        caught_by="test_histogram_values",
        source=_edit(
            TWL,
            (
                'writer.add_histogram(f"grads/{name}", param.grad, epoch)',
                'writer.add_histogram(f"grads/{name}", param, epoch)',
            ),
        ),
    ),
    dict(
        name="train_histograms_inside_batch_loop",
        item="train_with_logging",
        caught_by="test_histogram_tags_and_steps",
        source=_edit(
            TWL,
            (
                "                batch_losses.append(loss.item())\n",
                "                batch_losses.append(loss.item())\n"
                "                for name, param in model.named_parameters():\n"
                '                    writer.add_histogram(f"weights/{name}", param.detach(), epoch)\n'
                '                    writer.add_histogram(f"grads/{name}", param.grad, epoch)\n',
            ),
            (
                "            for name, param in model.named_parameters():\n"
                '                writer.add_histogram(f"weights/{name}", param.detach(), epoch)\n'
                "                if param.grad is not None:\n"
                '                    writer.add_histogram(f"grads/{name}", param.grad, epoch)\n',
                "",
            ),
        ),
    ),
    dict(
        name="train_first_batch_gradients",
        item="train_with_logging",
        caught_by="test_histogram_values",
        source=_edit(
            TWL,
            (
                "                batch_losses.append(loss.item())\n",
                "                batch_losses.append(loss.item())\n"
                "                if start == 0:\n"
                "                    first = {name: p.grad.clone() for name, p in model.named_parameters()}\n",
            ),
            (
                'writer.add_histogram(f"grads/{name}", param.grad, epoch)',
                'writer.add_histogram(f"grads/{name}", first[name], epoch)',
            ),
        ),
    ),
    dict(
        name="train_image_channels_last",
        item="train_with_logging",
        caught_by="test_images",
        source=_edit(
            TWL,
            (
                "image = np.round(255 * rgb).astype(np.uint8).transpose(2, 0, 1)",
                "image = np.round(255 * rgb).astype(np.uint8)",
            ),
        ),
    ),
    dict(
        name="train_image_floats_0_255",
        item="train_with_logging",
        caught_by="test_images",
        source=_edit(
            TWL,
            (
                "image = np.round(255 * rgb).astype(np.uint8).transpose(2, 0, 1)",
                "image = (255 * rgb).transpose(2, 0, 1)",
            ),
        ),
    ),
    dict(
        name="train_validation_on_training_data",
        item="train_with_logging",
        caught_by="test_valid_loss_values",
        source=_edit(
            TWL,
            (
                "F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()",
                "F.binary_cross_entropy_with_logits(model(x_train), y_train).item()",
            ),
        ),
    ),
    dict(
        name="train_image_not_at_the_last_epoch",
        item="train_with_logging",
        caught_by="test_images",
        source=_edit(
            TWL,
            (
                "if epoch % image_every == 0 or epoch == n_epochs - 1:",
                "if epoch % image_every == 0:",
            ),
        ),
    ),
    dict(
        name="train_writer_never_closed",
        item="train_with_logging",
        caught_by="test_events_on_disk",
        source=_edit(
            TWL,
            (
                "    with SummaryWriter(logdir) as writer:\n",
                "    writer = SummaryWriter(logdir)\n    if True:\n",
            ),
        ),
    ),
    dict(
        name="train_drops_the_last_partial_batch",
        item="train_with_logging",
        caught_by="test_minibatches_in_train_mode",
        source=_edit(
            TWL,
            (
                "for start in range(0, n, batch_size):",
                "for start in range(0, n - batch_size + 1, batch_size):",
            ),
        ),
    ),
    dict(
        name="train_no_shuffle",
        item="train_with_logging",
        caught_by="test_minibatches_in_train_mode",
        only=True,
        source=_edit(TWL, ("order = torch.randperm(n)", "order = torch.arange(n)")),
    ),
    dict(
        name="train_same_shuffle_every_epoch",
        item="train_with_logging",
        caught_by="test_minibatches_in_train_mode",
        only=True,
        source=_edit(
            TWL,
            (
                "order = torch.randperm(n)",
                "order = torch.randperm(n, generator=torch.Generator().manual_seed(0))",
            ),
        ),
    ),
    dict(
        name="train_black_image",
        item="train_with_logging",
        caught_by="test_images",
        only=True,
        source=_edit(
            TWL,
            (
                'writer.add_image("decision_boundary", image, epoch)',
                'writer.add_image("decision_boundary", np.zeros_like(image), epoch)',
            ),
        ),
    ),
    dict(
        name="train_adam_recreated_every_epoch",
        item="train_with_logging",
        caught_by="test_train_loss_values",
        source=_edit(
            TWL,
            ("    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n", ""),
            (
                "            order = torch.randperm(n)\n",
                "            order = torch.randperm(n)\n"
                "            optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n",
            ),
        ),
    ),
    dict(
        name="train_model_train_forgotten",
        item="train_with_logging",
        caught_by="test_minibatches_in_train_mode",
        source=_edit(
            TWL,
            (
                "            model.train()\n            order = torch.randperm(n)\n",
                "            order = torch.randperm(n)\n",
            ),
            (
                "                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n"
                "            model.train()\n",
                "                valid_loss = F.binary_cross_entropy_with_logits(model(x_valid), y_valid).item()\n",
            ),
        ),
    ),
]

ENTRIES = [dict(entry, kind="correct") for entry in CORRECT] + [
    dict(entry, kind="mistake") for entry in MISTAKES
]
