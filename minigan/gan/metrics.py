"""How many modes did the generator find? Metrics for generators of Gaussian mixtures.

The 2D mixtures of :mod:`minigan.data` (eight modes on a ring, 25 on a grid) are where mode
collapse is seen and counted. Following PacGAN (Lin et al., 2018, Section 5), which follows
VEEGAN (Srivastava et al., 2017) and the unrolled GAN (Metz et al., 2017), N generated samples
x_1..x_N are judged against the K modes mu_k (standard deviations s_k, weights w_k):

- each sample belongs to its **nearest mode** in units of that mode's standard deviation,
  k(x) = argmin_k |x - mu_k| / s_k (the Euclidean nearest when all s_k are equal);
- a sample is **high quality** when it lies within ``num_std`` = 3 standard deviations of that
  mode, |x - mu_k(x)| <= 3 s_k(x) (99% of a 2D Gaussian's mass is within 3.03 s);
- n_k, the **count** of mode k, is its number of high-quality samples; a mode is **captured**
  when n_k >= 1, and ``high_quality`` = sum_k n_k / N is the fraction of good samples;
- the **reverse KL divergence** compares the histogram of the high-quality samples over the
  modes with the data's, p_data(k) = w_k (the mixture weights: 1/K for the ring and the grid):

      KL(p_gen || p_data) = sum_k p_gen(k) log(p_gen(k) / w_k),
      p_gen(k) = (n_k + 1) / (M + K),   M = sum_k n_k.

  The +1 in each bin (Laplace smoothing) keeps the divergence finite when a mode is missed.
  It is 0 for a histogram proportional to the weights, and grows as G drops modes: a
  generator that puts all its good samples evenly on m of K equal modes scores about
  log(K / m). "Reverse" because p_gen comes first: it punishes G for mass where the data has
  little, and mode dropping through the smoothing; the forward KL would be infinite for a single
  missed mode. With no high-quality sample at all the histogram is the uniform prior of the
  smoothing: read the divergence together with ``high_quality``.

By convention (PacGAN's tables) the numbers are computed on 2,500 samples: :func:`evaluate`.
"""

from dataclasses import dataclass

import numpy as np

from .. import backend
from .._checks import check_positive, check_positive_int
from ..tensor import Tensor
from .noise import generate, sample_noise

EVAL_SAMPLES = 2500
"""The number of generated samples the metrics are computed on, as in PacGAN's tables."""


@dataclass(frozen=True)
class ModeMetrics:
    """The metrics of one set of samples (see the module docstring).

    ``modes_captured``: modes with at least one high-quality sample; ``high_quality``: the
    fraction of samples within ``num_std`` standard deviations of their nearest mode;
    ``reverse_kl``: KL(p_gen || p_data) over the modes; ``counts``: the high-quality samples of
    each mode, shape (K,); ``num_samples``: N.
    """

    modes_captured: int
    high_quality: float
    reverse_kl: float
    counts: np.ndarray
    num_samples: int

    @property
    def num_modes(self):
        """K, the number of modes of the mixture."""
        return len(self.counts)

    def __str__(self):
        return (f"{self.modes_captured}/{self.num_modes} modes, "
                f"{100 * self.high_quality:.1f}% high quality, reverse KL "
                f"{reverse_kl_text(self.reverse_kl, self.high_quality)} "
                f"({self.num_samples} samples)")


def _samples(samples, dim):
    """The samples as a float64 NumPy array of shape (N, dim), N >= 1."""
    if isinstance(samples, Tensor):
        samples = samples.detach().data
    array = backend.as_numpy(samples) if backend.is_array(samples) else samples
    try:
        array = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"mode_metrics: samples must be numbers of shape (N, {dim}), got "
                         f"{type(samples).__name__}") from None
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise ValueError(f"mode_metrics: samples must have shape (N, {dim}) with N >= 1, the "
                         f"dimension of the mixture; got shape {array.shape}")
    return array


def _counts(x, mixture, num_std):
    """n_k for the float64 samples x (N, d): samples within ``num_std`` stds of their nearest
    mode k (nearest in units of each mode's std), as an int64 array of shape (K,)."""
    distance = np.sqrt(((x[:, None, :] - mixture.means[None]) ** 2).sum(axis=-1))
    standardized = distance / mixture.stds  # (N, K): the distance to each mode in its stds
    nearest = standardized.argmin(axis=1)
    good = standardized[np.arange(len(x)), nearest] <= num_std
    return np.bincount(nearest[good], minlength=mixture.num_modes).astype(np.int64)


def reverse_kl(counts, weights):
    """KL(p_gen || p_data) with p_gen(k) = (n_k + 1) / (sum n + K) and p_data(k) = weights[k]."""
    counts = np.asarray(counts, dtype=np.float64)
    p_gen = (counts + 1) / (counts.sum() + len(counts))
    return float((p_gen * np.log(p_gen / np.asarray(weights, dtype=np.float64))).sum())


def reverse_kl_text(value, high_quality, digits=3):
    """The reverse KL as printed: ``"-"`` when no sample is high quality.

    With no high-quality sample the smoothed histogram is the uniform prior alone, whose KL to
    equal weights is 0: a number there would read as a perfect score beside "0/8 modes".
    """
    return "-" if high_quality == 0 else f"{value:.{digits}f}"


def mode_metrics(samples, mixture, num_std=3.0):
    """:class:`ModeMetrics` of ``samples`` (N, d) (a Tensor or an array) against ``mixture``
    (a :class:`~minigan.data.GaussianMixture`); see the module docstring for the formulas."""
    check_positive(num_std, "num_std", "mode_metrics")
    x = _samples(samples, mixture.dim)
    counts, n = _counts(x, mixture, num_std), len(x)
    return ModeMetrics(modes_captured=int((counts > 0).sum()),
                       high_quality=float(counts.sum() / n),
                       reverse_kl=reverse_kl(counts, mixture.weights),
                       counts=counts, num_samples=n)


def evaluate(G, mixture, n=EVAL_SAMPLES, generator=None, noise="normal", num_std=3.0):
    """:class:`ModeMetrics` of ``n`` samples of G, its noise drawn from ``generator``.

    G runs in evaluation mode (batch norm uses its running statistics, so the result does not
    depend on how the samples are batched) and without a graph; its mode is restored after.
    """
    n = check_positive_int(n, "n", "evaluate")
    param = next(iter(G.parameters()))
    samples = generate(G, sample_noise(n, G.noise_dim, noise, generator, param.device,
                                       param.dtype))
    return mode_metrics(samples, mixture, num_std)
