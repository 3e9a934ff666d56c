"""Exercise 9: counting the modes a generator found.

Tutorial: tutorials/07_mode_collapse.py

The data are K Gaussian modes (means mu_k, standard deviations s_k, weights w_k: eight on a
ring, 25 on a grid). Following PacGAN (Lin et al., 2018), N generated samples are judged so:

- each sample x belongs to its *nearest mode*, nearest in units of each mode's standard
  deviation: k(x) = argmin_k |x - mu_k| / s_k;
- it is *high quality* when it lies within ``num_std`` = 3 standard deviations of that mode;
- n_k, the count of mode k, is its number of high-quality samples; a mode is *captured* when
  n_k >= 1, and the fraction of high-quality samples is sum_k n_k / N;
- the *reverse KL divergence* compares the histogram of the counts with the weights:

      KL(p_gen || p_data) = sum_k p_gen(k) log(p_gen(k) / w_k),  p_gen(k) = (n_k + 1) / (M + K),

  with M = sum_k n_k. The +1 in each bin (Laplace smoothing) keeps it finite when a mode is
  missed: a generator that puts its good samples evenly on m of K equal modes scores about
  log(K / m).

A collapsed generator has few modes captured and a large reverse KL, even when all its samples
are of high quality.
"""

import numpy as np

from minigan.gan.metrics import ModeMetrics


def mode_counts(x, means, stds, num_std=3.0):
    """n_k: the number of high-quality samples of each mode, an int array of shape (K,).

    ``x``: samples, an array (N, d); ``means``: (K, d); ``stds``: (K,). A sample counts for its
    nearest mode in units of standard deviations, and only if it is within ``num_std`` of it.

    Hint: the distances of every sample to every mode at once, by broadcasting:
    ``np.sqrt(((x[:, None, :] - means[None]) ** 2).sum(axis=-1))`` has shape (N, K); divide by
    ``stds`` (broadcast over the rows), take ``argmin(axis=1)``, keep the samples within
    ``num_std``, and ``np.bincount(nearest, minlength=K)`` counts them.
    """
    # BEGIN SOLUTION
    distance = np.sqrt(((x[:, None, :] - means[None]) ** 2).sum(axis=-1)) / stds
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(x)), nearest] <= num_std
    return np.bincount(nearest[good], minlength=len(means))
    # END SOLUTION


def reverse_kl(counts, weights):
    """KL(p_gen || p_data) = sum_k p_gen(k) log(p_gen(k) / w_k), p_gen(k) = (n_k + 1) / (M + K).

    ``counts``: n_k, shape (K,); ``weights``: w_k, shape (K,), summing to 1. Returns a float.

    Hint: the smoothed histogram is ``(counts + 1) / (counts.sum() + len(counts))`` (in
    floats); it is never 0, so the log is always finite.
    """
    # BEGIN SOLUTION
    counts = np.asarray(counts, dtype=np.float64)
    p_gen = (counts + 1) / (counts.sum() + len(counts))
    return float((p_gen * np.log(p_gen / np.asarray(weights, dtype=np.float64))).sum())
    # END SOLUTION


def mode_metrics(x, mixture, num_std=3.0):
    """Modes captured, fraction of high quality and reverse KL of samples against a mixture.

    ``x``: samples (N, d); ``mixture``: a ``minigan.data.GaussianMixture``. Returns a
    :class:`minigan.gan.metrics.ModeMetrics`: ``modes_captured`` (an int), ``high_quality`` (a
    fraction of N, a float), ``reverse_kl``, ``counts`` and ``num_samples`` (N).

    Hint: ``mixture.means``, ``mixture.stds`` and ``mixture.weights`` are the arrays; build
    ``ModeMetrics(modes_captured=..., high_quality=..., reverse_kl=..., counts=...,
    num_samples=...)`` from :func:`mode_counts` and :func:`reverse_kl`.
    """
    # BEGIN SOLUTION
    counts = mode_counts(x, mixture.means, mixture.stds, num_std)
    return ModeMetrics(modes_captured=int((counts > 0).sum()),
                       high_quality=float(counts.sum() / len(x)),
                       reverse_kl=reverse_kl(counts, mixture.weights),
                       counts=counts, num_samples=len(x))
    # END SOLUTION
