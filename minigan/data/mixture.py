"""Gaussian mixtures: toy data whose density is known exactly.

A mixture of K isotropic Gaussians in d dimensions has the density

    p(x) = sum_k w_k N(x; mu_k, s_k^2 I),
    N(x; mu, s^2 I) = (2 pi s^2)^(-d/2) exp(-|x - mu|^2 / (2 s^2)),

with weights w_k > 0 summing to 1. Knowing p exactly is what lets :mod:`minigan.gan.theory`
compute the optimal discriminator and the Jensen-Shannon divergence that GAN theory is about,
and lets the 2D mode-collapse demos say which modes a generator has found.

Densities are computed from log densities: a point 100 standard deviations from every mode
has a density that underflows to 0, but its log density is an ordinary number, and ratios of
densities (the optimal discriminator is one) are differences of logs. The sum over components
is a log-sum-exp with the largest term factored out, so it never overflows or underflows.
"""

import math

import numpy as np

from .. import backend, random
from .._checks import check_non_negative_int, check_positive, check_positive_int
from ..tensor import Tensor

_WEIGHT_TOLERANCE = 1e-6  # how far from 1 the weights may sum (they are then renormalised)


def _float64(caller, name, values):
    """``values`` (numbers, nested lists, a NumPy or CuPy array, a Tensor) as a new float64
    NumPy array, or a ValueError naming the argument."""
    if isinstance(values, Tensor):
        values = values.detach().data
    if backend.is_array(values):
        values = backend.as_numpy(values)
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{caller}: {name} must be numbers or a rectangular array of numbers, "
                         f"got {type(values).__name__} {values!r:.60}") from None


def _frozen(array):
    array.setflags(write=False)  # a mixture is a value: its parameters cannot drift
    return array


class GaussianMixture:
    """A mixture of K isotropic Gaussians in d dimensions (see the module docstring).

    ``means``: array-like of shape (K, d), or (K,) for d = 1 (``[-2, 2]`` is two modes on the
    line). ``stds``: a scalar (shared) or shape (K,), the standard deviation of each component
    along every axis, > 0. ``weights``: shape (K,), positive, summing to 1; uniform by default.
    """

    def __init__(self, means, stds, weights=None):
        means = _float64("GaussianMixture", "means", means)
        if means.ndim == 1:
            means = means[:, None]  # K modes on the line
        if means.ndim != 2 or means.shape[0] == 0 or means.shape[1] == 0:
            raise ValueError(f"GaussianMixture: means must have shape (K, d) with K, d >= 1, or "
                             f"(K,) for d = 1; got shape {means.shape}")
        if not np.isfinite(means).all():
            raise ValueError("GaussianMixture: means must be finite")
        k = means.shape[0]
        self._means = _frozen(means)
        self._stds = _frozen(self._per_component("stds", stds, k))
        if not (self._stds > 0).all():
            raise ValueError(f"GaussianMixture: stds must be > 0, got {self._stds.tolist()}")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = self._per_component("weights", weights, k, broadcast=False)
        if not (weights > 0).all():
            raise ValueError(f"GaussianMixture: weights must be > 0 (leave a component of "
                             f"weight 0 out), got {weights.tolist()}")
        if abs(weights.sum() - 1) > _WEIGHT_TOLERANCE:
            raise ValueError(f"GaussianMixture: weights must sum to 1, they sum to "
                             f"{weights.sum():.8g}")
        self._weights = _frozen(weights / weights.sum())

    @staticmethod
    def _per_component(name, values, k, broadcast=True):
        """``values`` as a float64 array of shape (K,); a scalar is shared when ``broadcast``."""
        array = _float64("GaussianMixture", name, values)
        if array.ndim == 0 and broadcast:
            array = np.full(k, float(array))
        if array.shape != (k,):
            expected = "a scalar or shape" if broadcast else "shape"
            raise ValueError(f"GaussianMixture: {name} must have {expected} ({k},), one per "
                             f"mode; got shape {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"GaussianMixture: {name} must be finite, got {array.tolist()}")
        return array

    # -- the parameters --------------------------------------------------------------------
    @property
    def means(self):
        """The centres of the components, shape (K, d)."""
        return self._means

    @property
    def centers(self):
        """Another name for :attr:`means`: the modes a generator should find."""
        return self._means

    @property
    def stds(self):
        """The standard deviation of each component along every axis, shape (K,)."""
        return self._stds

    @property
    def weights(self):
        """The probability of each component, shape (K,), summing to 1."""
        return self._weights

    @property
    def dim(self):
        """d, the dimension of a sample."""
        return self._means.shape[1]

    @property
    def num_modes(self):
        """K, the number of components."""
        return self._means.shape[0]

    def __repr__(self):
        return (f"GaussianMixture(num_modes={self.num_modes}, dim={self.dim}, "
                f"stds={np.array2string(self._stds, precision=4)})")

    # -- sampling ---------------------------------------------------------------------------
    def sample(self, n, generator=None, dtype=np.float32, device="cpu"):
        """n samples as a Tensor of shape (n, d) (float32 on the CPU unless told otherwise).

        Two draws from ``generator`` (the default one if None) per call: a uniform u per sample
        picks its component, the first k with u < w_1 + ... + w_k; then x = mu_k + s_k z with
        z ~ N(0, I). Draws are made in float64 on the CPU, so a seed gives the same samples
        whatever ``dtype`` and ``device``.
        """
        n = check_non_negative_int(n, "n", "GaussianMixture.sample")
        u = random.rand(n, dtype=np.float64, generator=generator).numpy()
        z = random.randn(n, self.dim, dtype=np.float64, generator=generator).numpy()
        # min(): u < 1 always, but the rounded cumulative sum may end just below it
        component = np.minimum(np.searchsorted(np.cumsum(self._weights), u, side="right"),
                               self.num_modes - 1)
        x = self._means[component] + self._stds[component, None] * z
        return Tensor(backend.to_device(x.astype(dtype), device))

    # -- the density ------------------------------------------------------------------------
    def _points(self, x, caller):
        """x as a float64 NumPy array of shape (n, d); for d = 1 a flat (n,) is accepted."""
        x = _float64(f"GaussianMixture.{caller}", "x", x)
        if x.ndim == 1 and self.dim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.dim:
            flat = " or (n,)" if self.dim == 1 else ""
            raise ValueError(f"GaussianMixture.{caller}: x must have shape (n, {self.dim}){flat}, "
                             f"got {x.shape}")
        return x

    def component_log_densities(self, x):
        """log(w_k N(x_i; mu_k, s_k^2 I)) for every point and component, shape (n, K)."""
        return self._component_terms(self._points(x, "component_log_densities"))

    def _component_terms(self, x):
        squared_distance = ((x[:, None, :] - self._means[None, :, :]) ** 2).sum(axis=-1)
        variance = self._stds ** 2
        return (np.log(self._weights) - 0.5 * self.dim * np.log(2 * math.pi * variance)
                - squared_distance / (2 * variance))

    def log_density(self, x):
        """log p(x) for x of shape (n, d), as a float64 array of shape (n,).

        log p = m + log sum_k exp(a_k - m) with a_k = log(w_k N(x; mu_k, s_k^2 I)) and
        m = max_k a_k: the largest term becomes exp(0) = 1, so nothing overflows, and the sum is
        at least 1, so its log is never -inf however far x is from every mode.
        """
        return self._log_density(self._points(x, "log_density"))

    def _log_density(self, x):
        terms = self._component_terms(x)
        peak = terms.max(axis=1, keepdims=True)
        return (peak + np.log(np.exp(terms - peak).sum(axis=1, keepdims=True)))[:, 0]

    def density(self, x):
        """p(x) for x of shape (n, d), shape (n,): exp of :meth:`log_density` (0 where it
        underflows; use the log density for ratios)."""
        return np.exp(self._log_density(self._points(x, "density")))


def gaussian_1d(mean=0.0, std=1.0):
    """N(mean, std^2) on the line: a mixture of one component."""
    return GaussianMixture([[mean]], std)


def mixture_1d(means, stds, weights=None):
    """A mixture on the line: ``means`` and ``weights`` of shape (K,), ``stds`` a scalar or
    (K,)."""
    if np.ndim(means) != 1:
        raise ValueError(f"mixture_1d: means must be a flat list of K numbers, got shape "
                         f"{np.shape(means)}")
    return GaussianMixture(means, stds, weights)


def ring(num_modes=8, radius=1.0, std=0.01):
    """``num_modes`` equal Gaussians evenly spaced on a circle: mu_k = radius (cos a_k, sin a_k)
    with a_k = 2 pi k / K, k = 0..K-1 (the endpoint 2 pi would repeat a_0)."""
    num_modes = check_positive_int(num_modes, "num_modes", "ring")
    radius = check_positive(radius, "radius", "ring")
    angles = 2 * math.pi * np.arange(num_modes) / num_modes
    return GaussianMixture(radius * np.stack([np.cos(angles), np.sin(angles)], axis=1),
                           check_positive(std, "std", "ring"))


def grid(size=5, spacing=2.0, std=0.05):
    """``size`` x ``size`` equal Gaussians on a square grid centred at the origin, ``spacing``
    apart: the defaults put 25 modes on {-4, -2, 0, 2, 4}^2 (row by row, x fastest)."""
    size = check_positive_int(size, "size", "grid")
    spacing = check_positive(spacing, "spacing", "grid")
    axis = spacing * (np.arange(size) - (size - 1) / 2)
    ys, xs = np.meshgrid(axis, axis, indexing="ij")
    return GaussianMixture(np.stack([xs.ravel(), ys.ravel()], axis=1),
                           check_positive(std, "std", "grid"))
