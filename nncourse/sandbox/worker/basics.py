"""Instruments any assignment may use: seeding the worker's generators, a scratch folder."""

import random
import sys
import tempfile

import numpy as np
from registry import instrument


def seed_everything(seed: int) -> None:
    """Seed ``random``, numpy's global generator and torch (when imported)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


@instrument("seed")
def instrument_seed(seed):
    seed_everything(int(seed))


@instrument("tempdir")
def instrument_tempdir():
    return tempfile.mkdtemp(prefix="nncourse-")
