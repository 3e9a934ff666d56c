"""Explicit randomness: a seed gives bit-identical runs.

Every random draw in minigan goes through a :class:`Generator` (the module's default one, or
one you pass as ``generator=``). Draws are always made by NumPy on the CPU and then moved to the
tensor's device, so the same seed gives the same numbers on ``"cpu"`` and ``"cuda"``: a GPU run
can be compared with a CPU run value for value.
"""

import numpy as np

from . import backend
from ._checks import check_non_negative_int


class Generator:
    """A seeded source of random numbers (wraps ``numpy.random.Generator``)."""

    def __init__(self, seed=0):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns self."""
        if seed is not None:
            seed = check_non_negative_int(seed, "seed", "manual_seed")
        self.numpy = np.random.default_rng(seed)
        return self

    def get_state(self):
        """The state of the stream, to store in a checkpoint."""
        return self.numpy.bit_generator.state

    def set_state(self, state):
        """Continue the stream from a state returned by :meth:`get_state`."""
        self.numpy.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed):
    """Seed the default generator (``minigan.manual_seed(0)`` at the top of a script)."""
    return default_generator.manual_seed(seed)


def _draw(sample, shape, dtype, device, generator, requires_grad):
    from .tensor import Tensor

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    gen = default_generator if generator is None else generator
    values = sample(gen.numpy, shape).astype(dtype, copy=False)
    return Tensor(backend.to_device(values, device), requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, device="cpu", generator=None, requires_grad=False):
    """Samples of the standard normal N(0, 1) in a tensor of the given shape."""
    return _draw(lambda g, s: g.standard_normal(s), shape, dtype, device, generator,
                 requires_grad)


def rand(*shape, dtype=np.float32, device="cpu", generator=None, requires_grad=False):
    """Samples of the uniform distribution on [0, 1) in a tensor of the given shape."""
    return _draw(lambda g, s: g.random(s), shape, dtype, device, generator, requires_grad)


def randint(low, high, shape, device="cpu", generator=None):
    """Integers drawn uniformly from [low, high), as an int64 tensor."""
    return _draw(lambda g, s: g.integers(low, high, s), (tuple(shape),), np.int64, device,
                 generator, False)
