"""Dropout: in training, zero each element with probability p and scale the rest by 1 / (1 - p).

    y = x * m / (1 - p),    m_i ~ Bernoulli(1 - p) independently,

so that E[y] = x: this *inverted* dropout needs no rescaling at evaluation, where it is the
identity. The mask is a constant of the graph, so dL/dx = dL/dy * m / (1 - p) comes from the
multiplication. It is drawn from :mod:`minigan.random` (the default generator, or
``generator=``), so a seed fixes which elements drop, on either device.
"""

import numpy as np

from .._checks import check_floating, check_probability
from ..random import Generator, rand


def dropout(input, p=0.5, training=True, *, generator=None):
    """Zero elements of ``input`` with probability ``p`` in [0, 1) and scale the survivors by
    1 / (1 - p) when ``training``; return ``input`` itself otherwise (or when p = 0)."""
    check_probability(p, "p", "dropout", one_allowed=False)
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"dropout: generator must be a minigan.Generator or None, got "
                        f"{type(generator).__name__}")
    from ..tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    check_floating(input, "input", "dropout")
    if not training or p == 0:
        return input
    # uniform draws in float64 so that P(keep) = 1 - p is not rounded to the input's precision
    keep = rand(input.shape, dtype=np.float64, device=input.device, generator=generator).data >= p
    return input * (keep.astype(input.dtype) * (1 / (1 - p)))
