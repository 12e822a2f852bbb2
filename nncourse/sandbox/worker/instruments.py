"""Every instrument module of the worker, imported once so that each instrument registers itself.

An instrument is declared where it lives, with ``registry.instrument``; a new area's module is added
here. Reached from a hidden test as ``student.instrument("<name>", ...)``; recorders come back to
the grader as handles whose attributes (plain lists and numbers) can be read. Instruments never
hold an expected value.
"""

import basics  # noqa: F401  (seed, tempdir)
import calls  # noqa: F401  (checked calls, stand-in layers, watched inputs, a sequence of weights)
import tensorboard_spies  # noqa: F401  (SummaryWriter calls, event files)
import torch_spies  # noqa: F401  (backward, optimizers, forward calls)
