"""p_z: the distribution of the noise z that the generator turns into samples x = G(z).

Two choices, by name (:data:`NOISE`):

- ``"normal"``: each coordinate N(0, 1), as in DCGAN;
- ``"uniform"``: each coordinate U(-1, 1), as in the 1D figure of Goodfellow et al. (2014).

:func:`sample_noise` draws a batch from a :class:`minigan.random.Generator`; :func:`noise_quantiles`
gives evenly spaced quantiles of one coordinate, equal-probability points that let a figure show
G's mapping, or estimate the density of G(z), without spending any randomness.
"""

from statistics import NormalDist

import numpy as np

from .._checks import check_choice, check_shape
from ..random import rand, randn

NOISE = ("normal", "uniform")


def check_noise(kind):
    """``kind`` if it names a noise distribution, else a ValueError listing the known names."""
    return check_choice(kind, "noise", NOISE)


def sample_noise(n, shape, kind="normal", generator=None, device="cpu", dtype=np.float32):
    """A batch z of shape (n, *shape): ``shape`` is one sample's shape, e.g. (100,) for an MLP
    or (100, 1, 1) for DCGAN's generator."""
    shape = check_shape(shape, "shape", "sample_noise")
    if check_noise(kind) == "normal":
        return randn(n, *shape, dtype=dtype, device=device, generator=generator)
    return rand(n, *shape, dtype=dtype, device=device, generator=generator) * 2 - 1


def noise_quantiles(kind, n):
    """The quantiles at probabilities (i + 1/2) / n, i = 0..n-1, of one noise coordinate: n
    points that each stand for 1/n of the probability (a NumPy float64 array, increasing)."""
    probabilities = (np.arange(n) + 0.5) / n
    if check_noise(kind) == "uniform":
        return 2 * probabilities - 1
    normal = NormalDist()
    return np.array([normal.inv_cdf(p) for p in probabilities])


def generate(G, z, labels=None):
    """x = G(z) (or G(z, labels) for a class-conditional G) for *looking at* G during or after
    training: in eval mode (batch norm's running statistics, so each sample depends on its own z
    only) and without a graph; G's modes are left as they were (:meth:`Module.evaluating`)."""
    with G.evaluating():
        return G(z) if labels is None else G(z, labels)
