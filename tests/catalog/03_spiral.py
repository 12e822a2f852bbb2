"""Catalog for 03-spiral: correct-but-unusual solutions and realistic mistakes.

Each entry replaces ONE solution cell (the cell whose nbgrader grade_id is ``item``) of the source
notebook with ``source``. ``tests/test_catalog_03.py`` grades a notebook per entry: every correct entry
must get full marks; every mistake strictly less, with the test named in ``caught_by`` failed.
"""

CORRECT = [
    # ------------------------------------------------------------------------------------------ MLP
    dict(
        name="mlp_sequential_with_flatten",
        item="MLP",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        layers = []
        d_in = n_features
        for d_out in hidden:
            layers += [torch.nn.Linear(d_in, d_out), torch.nn.ReLU()]
            d_in = d_out
        layers += [torch.nn.Linear(d_in, 1), torch.nn.Flatten(0)]
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
""",
    ),
    dict(
        name="mlp_output_registered_first_add_module",
        item="MLP",
        source="""
import torch.nn.functional as F

class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        self.head = torch.nn.Linear(hidden[-1], 1)
        self.n_hidden = len(hidden)
        sizes = (n_features,) + tuple(hidden)
        for i in range(len(hidden)):
            self.add_module(f"fc{i}", torch.nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        for i in range(self.n_hidden):
            x = F.relu(getattr(self, f"fc{i}")(x))
        return self.head(x)[:, 0]
""",
    ),
    dict(
        name="mlp_modulelist_with_output_reshape",
        item="MLP",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        sizes = [n_features] + list(hidden) + [1]
        self.layers = torch.nn.ModuleList([torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.act = torch.nn.ReLU()

    def forward(self, x):
        *body, last = self.layers
        for layer in body:
            x = self.act(layer(x))
        return last(x).reshape(-1)
""",
    ),
    # -------------------------------------------------------------------------------------- Trainer
    dict(
        name="mlp_setattr_layers_equal_widths_welcome",
        item="MLP",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        self.n_hidden = len(hidden)
        for i, (d_in, d_out) in enumerate(zip((n_features, *hidden), hidden)):
            setattr(self, f"fc{i}", torch.nn.Linear(d_in, d_out))
        self.head = torch.nn.Linear(hidden[-1], 1)

    def forward(self, x):
        for i in range(self.n_hidden):
            x = getattr(self, f"fc{i}")(x).clamp(min=0)
        return self.head(x).view(-1)
""",
    ),
    dict(
        name="trainer_dataloader_bceloss_on_sigmoid",
        item="Trainer",
        source="""
from torch.utils.data import DataLoader, TensorDataset

class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model = model
        self.batch_size = batch_size
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.criterion = torch.nn.BCELoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        loader = DataLoader(TensorDataset(x, y), batch_size=self.batch_size, shuffle=True)
        history = {"train_loss": [], "valid_loss": []}
        for epoch in range(n_epochs):
            self.model.train()
            total, count = 0.0, 0
            for xb, yb in loader:
                self.opt.zero_grad()
                loss = self.criterion(torch.sigmoid(self.model(xb)), yb)
                loss.backward()
                self.opt.step()
                total += loss.item() * len(xb)
                count += len(xb)
            history["train_loss"].append(total / count)
            if x_valid is not None:
                self.model.eval()
                with torch.inference_mode():
                    xv = torch.as_tensor(x_valid, dtype=torch.float32)
                    yv = torch.as_tensor(y_valid, dtype=torch.float32)
                    history["valid_loss"].append(self.criterion(torch.sigmoid(self.model(xv)), yv).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        mode = self.model.training
        self.model.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
        self.model.train(mode)
        return p.numpy()
""",
    ),
    dict(
        name="trainer_numpy_shuffle_lazy_optimizer",
        item="Trainer",
        source="""
import torch.nn.functional as F

class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.lr, self.batch_size = model, lr, batch_size
        self._optimizer = None

    @property
    def optimizer(self):
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        return self._optimizer

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x_train = torch.as_tensor(np.asarray(x_train), dtype=torch.float32)
        y_train = torch.as_tensor(np.asarray(y_train), dtype=torch.float32)
        n = len(x_train)
        train_losses, valid_losses = [], []
        for epoch in range(n_epochs):
            order = torch.from_numpy(np.random.permutation(n))
            losses = []
            for i in range(0, n, self.batch_size):
                batch = order[i:i + self.batch_size]
                loss = F.binary_cross_entropy_with_logits(self.model(x_train[batch]), y_train[batch])
                loss.backward()
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=False)
                losses.append(float(loss))
            train_losses.append(sum(losses) / len(losses))
            if x_valid is not None and y_valid is not None:
                self.model.train(mode=False)
                with torch.no_grad():
                    z = self.model(torch.as_tensor(np.asarray(x_valid), dtype=torch.float32))
                    valid_losses.append(float(F.binary_cross_entropy_with_logits(
                        z, torch.as_tensor(np.asarray(y_valid), dtype=torch.float32))))
                self.model.train(mode=True)
        return dict(train_loss=train_losses, valid_loss=valid_losses)

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.special.expit(self.model(torch.as_tensor(np.asarray(x), dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_logsigmoid_loss_split_batches",
        item="Trainer",
        source="""
def _bce_logits(z, y):
    return -(y * torch.nn.functional.logsigmoid(z) + (1 - y) * torch.nn.functional.logsigmoid(-z)).mean()


class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model = model
        self.batch_size = int(batch_size)
        self.params = list(model.parameters())
        self.optimizer = torch.optim.Adam(self.params, lr=lr)

    @staticmethod
    def _tensor(a):
        if isinstance(a, torch.Tensor):
            return a.detach().float()
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x, y = self._tensor(x_train), self._tensor(y_train).reshape(-1)
        has_valid = x_valid is not None
        if has_valid:
            xv, yv = self._tensor(x_valid), self._tensor(y_valid).reshape(-1)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            batch_losses = []
            for idx in torch.split(torch.randperm(len(x)), self.batch_size):
                for p in self.params:
                    p.grad = None
                loss = _bce_logits(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                batch_losses.append(loss.detach())
            history["train_loss"].append(torch.stack(batch_losses).mean().item())
            if has_valid:
                was = self.model.training
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(_bce_logits(self.model(xv), yv).item())
                self.model.train(was)
        return history

    @torch.no_grad()
    def predict_proba(self, x):
        return torch.sigmoid(self.model(self._tensor(x)))
""",
    ),
    # ------------------------------------------------------------------------------------- accuracy
    dict(
        name="accuracy_in_torch",
        item="accuracy",
        source="""
def accuracy(probs, y, threshold=0.5):
    p = torch.as_tensor(probs.detach() if torch.is_tensor(probs) else np.asarray(probs)).reshape(-1)
    t = torch.as_tensor(y.detach() if torch.is_tensor(y) else np.asarray(y)).reshape(-1)
    return ((p > threshold).float() == t.float()).float().mean().item()
""",
    ),
    dict(
        name="accuracy_python_loop",
        item="accuracy",
        source="""
def accuracy(probs, y, threshold=0.5):
    probs = probs.tolist() if hasattr(probs, "tolist") else list(probs)
    y = y.tolist() if hasattr(y, "tolist") else list(y)
    correct = 0
    for p, label in zip(probs, y):
        correct += int((1 if p > threshold else 0) == int(round(label)))
    return correct / len(y)
""",
    ),
    dict(
        name="accuracy_not_at_or_below_threshold",
        item="accuracy",
        source="""
def accuracy(probs, y, threshold=0.5):
    if torch.is_tensor(probs):
        probs = probs.detach().cpu().numpy()
    if torch.is_tensor(y):
        y = y.detach().cpu().numpy()
    predicted = ~(np.ravel(probs) <= threshold)
    return np.count_nonzero(predicted == (np.ravel(y) == 1)) / np.size(y)
""",
    ),
    # ------------------------------------------------------------------------------- polar_features
    dict(
        name="polar_features_unit_scale",
        item="polar_features",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    psi = np.arctan2(X[:, 1], X[:, 0]) + np.hypot(X[:, 0], X[:, 1])
    return np.stack([np.cos(psi), np.sin(psi)], axis=1).astype(np.float32)
""",
    ),
    dict(
        name="polar_features_in_torch_returning_tensor",
        item="polar_features",
        source="""
def polar_features(X):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    r = torch.linalg.norm(X, dim=1)
    phase = torch.atan2(X[:, 1], X[:, 0]) + r
    return (8.0 * torch.stack([torch.cos(phase), torch.sin(phase)], dim=1)).float()
""",
    ),
    dict(
        name="polar_features_complex_phase_four_features",
        item="polar_features",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    z = X[:, 0] + 1j * X[:, 1]
    w = np.exp(1j * (np.angle(z) + np.abs(z)))    # e^{i (phi + r)}: one value per spiral arm
    return 10 * np.column_stack([w.real, w.imag, (w ** 2).real, (w ** 2).imag]).astype(np.float32)
""",
    ),
]

_TRAINER_NO_SHUFFLE = """
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model = model
        self.batch_size = batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x_train = torch.as_tensor(x_train, dtype=torch.float32)
        y_train = torch.as_tensor(y_train, dtype=torch.float32)
        has_valid = x_valid is not None and y_valid is not None
        if has_valid:
            x_valid = torch.as_tensor(x_valid, dtype=torch.float32)
            y_valid = torch.as_tensor(y_valid, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        n = len(x_train)
        for epoch in range(n_epochs):
            self.model.train()
            perm = torch.arange(n)
            batch_losses = []
            for start in range(0, n, self.batch_size):
                idx = perm[start:start + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x_train[idx]), y_train[idx])
                loss.backward()
                self.optimizer.step()
                batch_losses.append(loss.item())
            history["train_loss"].append(float(np.mean(batch_losses)))
            if has_valid:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(self.model(x_valid), y_valid).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
        self.model.train(was_training)
        return p
"""

MISTAKES = [
    # ------------------------------------------------------------------------------------------ MLP
    dict(
        name="mlp_without_nonlinearity",
        item="MLP",
        caught_by="test_forward_matches_reference",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        sizes = [n_features, *hidden, 1]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x.squeeze(-1)
""",
    ),
    dict(
        name="mlp_relu_after_output",
        item="MLP",
        caught_by="test_forward_matches_reference",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        sizes = [n_features, *hidden, 1]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x.squeeze(-1)
""",
    ),
    dict(
        name="mlp_sigmoid_in_forward",
        item="MLP",
        caught_by="test_forward_matches_reference",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        layers, d = [], n_features
        for h in hidden:
            layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
            d = h
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(d, 1), torch.nn.Sigmoid())

    def forward(self, x):
        return self.net(x).squeeze(-1)
""",
    ),
    dict(
        name="mlp_no_relu_before_output",
        item="MLP",
        caught_by="test_forward_matches_reference",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        sizes = [n_features, *hidden]
        self.hidden = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = torch.nn.Linear(hidden[-1], 1)

    def forward(self, x):
        for i, layer in enumerate(self.hidden):
            x = layer(x)
            if i < len(self.hidden) - 1:   # ReLU only between hidden layers
                x = torch.relu(x)
        return self.out(x).squeeze(-1)
""",
    ),
    dict(
        name="mlp_ignores_hidden_argument",
        item="MLP",
        caught_by="test_layers_follow_hidden",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 20), torch.nn.ReLU(),
            torch.nn.Linear(20, 15), torch.nn.ReLU(),
            torch.nn.Linear(15, 10), torch.nn.ReLU(),
            torch.nn.Linear(10, 5), torch.nn.ReLU(),
            torch.nn.Linear(5, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)
""",
    ),
    # equal widths (issue 21): layers keyed by their width collapse into one
    dict(
        name="mlp_layers_keyed_by_width",
        item="MLP",
        caught_by="test_layers_follow_hidden",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        self.layers = torch.nn.ModuleDict()
        d_in = n_features
        for width in hidden:
            self.layers[f"hidden_{width}"] = torch.nn.Linear(d_in, width)
            d_in = width
        self.out = torch.nn.Linear(d_in, 1)

    def forward(self, x):
        for layer in self.layers.values():
            x = torch.relu(layer(x))
        return self.out(x).squeeze(-1)
""",
    ),
    dict(
        name="mlp_layers_in_python_list",
        item="MLP",
        caught_by="test_layers_follow_hidden",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        sizes = [n_features, *hidden]
        self.hidden_layers = [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]   # not registered
        self.output = torch.nn.Linear(sizes[-1], 1)

    def forward(self, x):
        for layer in self.hidden_layers:
            x = torch.relu(layer(x))
        return self.output(x).squeeze(-1)
""",
    ),
    dict(
        name="mlp_logits_batch_by_one",
        item="MLP",
        caught_by="test_logits_have_shape_batch",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        layers, d = [], n_features
        for h in hidden:
            layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
            d = h
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(d, 1))

    def forward(self, x):
        return self.net(x)
""",
    ),
    dict(
        name="mlp_squeeze_all_axes",
        item="MLP",
        caught_by="test_logits_have_shape_batch",
        source="""
class MLP(torch.nn.Module):
    def __init__(self, n_features=2, hidden=(20, 15, 10, 5)):
        super().__init__()
        layers, d = [], n_features
        for h in hidden:
            layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
            d = h
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(d, 1))

    def forward(self, x):
        return self.net(x).squeeze()
""",
    ),
    # -------------------------------------------------------------------------------------- Trainer
    dict(
        name="trainer_without_zero_grad",
        item="Trainer",
        caught_by="test_follows_adam_and_bce",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    # n_epochs = 0 (issue 21): the first epoch run before the loop ("do, then while")
    dict(
        name="trainer_first_epoch_before_the_loop",
        item="Trainer",
        caught_by="test_fit_again_continues",
        only=True,
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def _epoch(self, x, y, x_valid, y_valid, history):
        self.model.train()
        order = torch.randperm(len(x))
        losses = []
        for s in range(0, len(x), self.batch_size):
            idx = order[s:s + self.batch_size]
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x[idx]), y[idx])
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        history["train_loss"].append(float(np.mean(losses)))
        if x_valid is not None:
            self.model.eval()
            with torch.no_grad():
                history["valid_loss"].append(self.loss_fn(self.model(x_valid), y_valid).item())
            self.model.train()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        if x_valid is not None:
            x_valid = torch.as_tensor(x_valid, dtype=torch.float32)
            y_valid = torch.as_tensor(y_valid, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        self._epoch(x, y, x_valid, y_valid, history)
        for _ in range(n_epochs - 1):
            self._epoch(x, y, x_valid, y_valid, history)
        return history

    def predict_proba(self, x):
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
        self.model.train(was_training)
        return p
""",
    ),
    dict(
        name="trainer_adam_created_in_fit",
        item="Trainer",
        caught_by="test_fit_again_continues",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.lr, self.batch_size = model, lr, batch_size
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_validation_in_train_mode_with_grad",
        item="Trainer",
        caught_by="test_validation_in_eval_mode_without_grad",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                valid = self.loss_fn(self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                                     torch.as_tensor(y_valid, dtype=torch.float32))
                history["valid_loss"].append(valid.item())
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_eval_never_switched_back",
        item="Trainer",
        caught_by="test_validation_in_eval_mode_without_grad",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        self.model.train()
        for _ in range(n_epochs):
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_logs_last_batch_loss",
        item="Trainer",
        caught_by="test_train_loss_is_mean_of_batch_losses",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
            history["train_loss"].append(loss.item())          # the last batch only
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_sum_reduction",
        item="Trainer",
        caught_by="test_follows_adam_and_bce",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_double_sigmoid",
        item="Trainer",
        caught_by="test_follows_adam_and_bce",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def _loss(self, xb, yb):
        return self.loss_fn(torch.sigmoid(self.model(xb)), yb)   # sigmoid twice

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self._loss(x[idx], y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self._loss(torch.as_tensor(x_valid, dtype=torch.float32),
                                                            torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_ignores_lr",
        item="Trainer",
        caught_by="test_follows_adam_and_bce",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters())   # lr forgotten: Adam's default 1e-3
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_sgd_instead_of_adam",
        item="Trainer",
        caught_by="test_follows_adam_and_bce",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_trains_on_validation_data",
        item="Trainer",
        caught_by="test_valid_loss",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.optimizer.zero_grad()
                valid = self.loss_fn(self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                                     torch.as_tensor(y_valid, dtype=torch.float32))
                valid.backward()
                self.optimizer.step()
                history["valid_loss"].append(valid.item())
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_valid_loss_before_the_epoch",
        item="Trainer",
        caught_by="test_valid_loss",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_no_shuffle",
        item="Trainer",
        caught_by="test_one_step_per_minibatch",
        only=True,
        source=_TRAINER_NO_SHUFFLE,
    ),
    dict(
        name="trainer_same_order_every_epoch",
        item="Trainer",
        caught_by="test_one_step_per_minibatch",
        only=True,
        source=_TRAINER_NO_SHUFFLE.replace(
            "perm = torch.arange(n)",
            "perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))",
        ),
    ),
    dict(
        name="trainer_predict_proba_leaves_eval_mode",
        item="Trainer",
        caught_by="test_predict_proba",
        only=True,
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model = model
        self.batch_size = batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x_train = torch.as_tensor(x_train, dtype=torch.float32)
        y_train = torch.as_tensor(y_train, dtype=torch.float32)
        has_valid = x_valid is not None and y_valid is not None
        if has_valid:
            x_valid = torch.as_tensor(x_valid, dtype=torch.float32)
            y_valid = torch.as_tensor(y_valid, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        n = len(x_train)
        for epoch in range(n_epochs):
            self.model.train()
            perm = torch.randperm(n)
            batch_losses = []
            for start in range(0, n, self.batch_size):
                idx = perm[start:start + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x_train[idx]), y_train[idx])
                loss.backward()
                self.optimizer.step()
                batch_losses.append(loss.item())
            history["train_loss"].append(float(np.mean(batch_losses)))
            if has_valid:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(self.model(x_valid), y_valid).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
        return p
""",
    ),
    dict(
        name="trainer_predict_proba_always_back_to_train",
        item="Trainer",
        caught_by="test_predict_proba",
        only=True,
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model = model
        self.batch_size = batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x_train = torch.as_tensor(x_train, dtype=torch.float32)
        y_train = torch.as_tensor(y_train, dtype=torch.float32)
        has_valid = x_valid is not None and y_valid is not None
        if has_valid:
            x_valid = torch.as_tensor(x_valid, dtype=torch.float32)
            y_valid = torch.as_tensor(y_valid, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        n = len(x_train)
        for epoch in range(n_epochs):
            self.model.train()
            perm = torch.randperm(n)
            batch_losses = []
            for start in range(0, n, self.batch_size):
                idx = perm[start:start + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x_train[idx]), y_train[idx])
                loss.backward()
                self.optimizer.step()
                batch_losses.append(loss.item())
            history["train_loss"].append(float(np.mean(batch_losses)))
            if has_valid:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(self.model(x_valid), y_valid).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            p = torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
        self.model.train()
        return p
""",
    ),
    dict(
        name="trainer_drops_last_batch",
        item="Trainer",
        caught_by="test_one_step_per_minibatch",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        n_batches = max(1, len(x) // self.batch_size)
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for b in range(n_batches):
                idx = order[b * self.batch_size:(b + 1) * self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_one_step_per_epoch",
        item="Trainer",
        caught_by="test_one_step_per_minibatch",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            self.optimizer.zero_grad()
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()                       # gradients accumulate over the epoch
                losses.append(loss.item())
            self.optimizer.step()                     # one step per epoch
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_fit_needs_tensors",
        item="Trainer",
        caught_by="test_fit_again_continues",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x, y = x_train.float(), y_train.float()
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(self.model(x_valid.float()), y_valid.float()).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32)))
""",
    ),
    dict(
        name="trainer_predict_proba_returns_logits",
        item="Trainer",
        caught_by="test_predict_proba",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        with torch.no_grad():
            return self.model(torch.as_tensor(x, dtype=torch.float32))
""",
    ),
    dict(
        name="trainer_predict_proba_builds_graph",
        item="Trainer",
        caught_by="test_predict_proba",
        source="""
class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=512):
        self.model, self.batch_size = model, batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = torch.nn.BCEWithLogitsLoss()

    def fit(self, x_train, y_train, n_epochs, x_valid=None, y_valid=None):
        x = torch.as_tensor(x_train, dtype=torch.float32)
        y = torch.as_tensor(y_train, dtype=torch.float32)
        history = {"train_loss": [], "valid_loss": []}
        for _ in range(n_epochs):
            self.model.train()
            order = torch.randperm(len(x))
            losses = []
            for s in range(0, len(x), self.batch_size):
                idx = order[s:s + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss_fn(self.model(x[idx]), y[idx])
                loss.backward()
                self.optimizer.step()
                losses.append(loss.item())
            history["train_loss"].append(float(np.mean(losses)))
            if x_valid is not None:
                self.model.eval()
                with torch.no_grad():
                    history["valid_loss"].append(self.loss_fn(
                        self.model(torch.as_tensor(x_valid, dtype=torch.float32)),
                        torch.as_tensor(y_valid, dtype=torch.float32)).item())
                self.model.train()
        return history

    def predict_proba(self, x):
        return torch.sigmoid(self.model(torch.as_tensor(x, dtype=torch.float32))).detach()
""",
    ),
    # ------------------------------------------------------------------------------------- accuracy
    dict(
        name="accuracy_returns_0d_tensor",
        item="accuracy",
        caught_by="test_torch_tensors",
        only=True,
        source="""
def accuracy(probs, y, threshold=0.5):
    probs = torch.as_tensor(probs).detach().float().reshape(-1)
    y = torch.as_tensor(y).detach().float().reshape(-1)
    return ((probs > threshold).float() == y).float().mean()
""",
    ),
    dict(
        name="accuracy_ignores_threshold",
        item="accuracy",
        caught_by="test_numpy_arrays_and_lists",
        source="""
def accuracy(probs, y, threshold=0.5):
    probs = probs.detach().numpy() if torch.is_tensor(probs) else np.asarray(probs)
    y = y.detach().numpy() if torch.is_tensor(y) else np.asarray(y)
    return float(np.mean(np.round(probs) == y))
""",
    ),
    # the notebook states probs > threshold: a probability equal to it predicts class 0 (issue 21)
    dict(
        name="accuracy_ge_threshold",
        item="accuracy",
        caught_by="test_numpy_arrays_and_lists",
        only=True,
        source="""
def accuracy(probs, y, threshold=0.5):
    probs = probs.detach().cpu().numpy() if torch.is_tensor(probs) else np.asarray(probs)
    y = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)
    return float(np.mean((probs.reshape(-1) >= threshold) == y.reshape(-1)))
""",
    ),
    dict(
        name="accuracy_returns_count",
        item="accuracy",
        caught_by="test_numpy_arrays_and_lists",
        source="""
def accuracy(probs, y, threshold=0.5):
    probs = probs.detach().numpy() if torch.is_tensor(probs) else np.asarray(probs)
    y = y.detach().numpy() if torch.is_tensor(y) else np.asarray(y)
    return float(np.sum((probs > threshold) == y))
""",
    ),
    dict(
        name="accuracy_numpy_on_tensor_requiring_grad",
        item="accuracy",
        caught_by="test_torch_tensors",
        source="""
def accuracy(probs, y, threshold=0.5):
    probs, y = np.asarray(probs), np.asarray(y)
    return float(np.mean((probs > threshold) == y))
""",
    ),
    # ------------------------------------------------------------------------------- polar_features
    dict(
        name="polar_features_radius_and_angle",
        item="polar_features",
        caught_by="test_mlp_extrapolates_beyond_training_radius",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    return np.column_stack([np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])]).astype(np.float32)
""",
    ),
    dict(
        name="polar_features_phase_with_wrong_sign",
        item="polar_features",
        caught_by="test_mlp_extrapolates_beyond_training_radius",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    psi = np.arctan2(X[:, 1], X[:, 0]) - np.hypot(X[:, 0], X[:, 1])
    return (10 * np.column_stack([np.cos(psi), np.sin(psi)])).astype(np.float32)
""",
    ),
    dict(
        name="polar_features_unwrapped_phase",
        item="polar_features",
        caught_by="test_mlp_extrapolates_beyond_training_radius",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    psi = np.arctan2(X[:, 1], X[:, 0]) + np.hypot(X[:, 0], X[:, 1])
    return psi.reshape(-1, 1).astype(np.float32)
""",
    ),
    dict(
        name="polar_features_standardised_per_call",
        item="polar_features",
        caught_by="test_features_per_point",
        source="""
def polar_features(X):
    X = np.asarray(X, dtype=np.float64)
    psi = np.arctan2(X[:, 1], X[:, 0]) + np.hypot(X[:, 0], X[:, 1])
    F = np.column_stack([np.cos(psi), np.sin(psi)])
    return ((F - F.mean(axis=0)) / (F.std(axis=0) + 1e-8)).astype(np.float32)
""",
    ),
]

ENTRIES = [dict(entry, kind="correct") for entry in CORRECT] + [
    dict(entry, kind="mistake") for entry in MISTAKES
]
