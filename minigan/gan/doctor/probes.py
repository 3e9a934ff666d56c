"""The doctor's probes: what G's samples look like next to real ones.

A probe is a function G -> dict of numbers that the :class:`~minigan.gan.doctor.Doctor` calls
every ``probe_every`` steps. Each probe draws G's samples from one fixed noise batch (the same
z at every probe, so that a change in the numbers is a change in G) and compares them with a
fixed set of real samples::

    diversity  rho   = mpd(fake) / mpd(real),    mpd(x) = mean over pairs i != j of |x_i - x_j|
    distance   delta = (m_fake - m_real) / (mpd(real) - m_real)

where m_fake is the median distance from a generated sample to its nearest real sample and
m_real the same for a real sample (to its nearest *other* real sample). rho = 1: as varied as
the data; rho << 1: the samples are alike. delta = 0: as close to the data as the data are to
themselves; delta = 1: as far from the data as two random data points are from each other.
Both are ratios, so they read the same on a 2D ring and on 32 x 32 images.

- :class:`SampleReference`: the real samples and the two statistics;
- :class:`MixtureProbe`: for the 2D mixtures, adds the mode metrics of
  :mod:`minigan.gan.metrics` (modes captured, the share of high-quality samples);
- :class:`ImageProbe`: for images, adds, given a judge classifier, the class histogram
  (:func:`~minigan.gan.evaluation.class_coverage`).
"""

import numpy as np

from ... import backend
from ..._checks import check_int
from ...random import Generator
from ...tensor import Tensor
from ..evaluation import class_coverage, predict
from ..metrics import EVAL_SAMPLES, mode_metrics
from ..noise import generate, sample_noise


def _flat(samples, caller):
    """Samples (a Tensor or an array, N >= 2, any shape per sample) as float64 (N, features)."""
    if isinstance(samples, Tensor):
        samples = samples.detach().data
    x = np.asarray(backend.as_numpy(samples) if backend.is_array(samples) else samples,
                   dtype=np.float64)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"{caller}: samples must have shape (N, ...) with N >= 2, got shape "
                         f"{x.shape}")
    return x.reshape(len(x), -1)


def _distances(a, b):
    """|a_i - b_j| for float64 rows a (N, F) and b (M, F): (N, M), from |a|^2 - 2 a.b + |b|^2."""
    squared = (a * a).sum(axis=1)[:, None] - 2 * a @ b.T + (b * b).sum(axis=1)
    return np.sqrt(np.maximum(squared, 0.0))


class SampleReference:
    """The real samples a probe compares G's with, and their two statistics: ``mpd``, the
    mean distance between two of them, and ``nearest``, the median distance from one to its
    nearest other one (see the module docstring). ``real``: (N, ...), N >= 2."""

    def __init__(self, real):
        self.real = _flat(real, "SampleReference")
        between = _distances(self.real, self.real)
        n = len(self.real)
        self.mpd = float(between.sum() / (n * (n - 1)))  # the diagonal is 0
        np.fill_diagonal(between, np.inf)
        self.nearest = float(np.median(between.min(axis=1)))
        if not self.mpd > self.nearest:
            raise ValueError("SampleReference: the real samples are all alike (their mean "
                             "distance is not above their nearest-neighbour distance)")

    def compare(self, fake):
        """``{"diversity": rho, "distance": delta}`` of the samples ``fake`` (N, ...)."""
        fake = _flat(fake, "SampleReference.compare")
        if fake.shape[1] != self.real.shape[1]:
            raise ValueError(f"SampleReference.compare: samples have {fake.shape[1]} features "
                             f"each, the real ones {self.real.shape[1]}")
        n = len(fake)
        diversity = _distances(fake, fake).sum() / (n * (n - 1)) / self.mpd
        nearest = np.median(_distances(fake, self.real).min(axis=1))
        distance = (nearest - self.nearest) / (self.mpd - self.nearest)
        return {"diversity": float(diversity), "distance": float(distance)}


class MixtureProbe:
    """What G's samples look like next to a :class:`~minigan.data.GaussianMixture`.

    ``n`` samples of G from one fixed noise batch (drawn from ``seed`` at the first call, in
    G's ``noise_dim``, device and dtype), compared with ``n`` samples of the mixture drawn once
    from ``seed``: the diversity and distance of the module docstring, and the mode metrics
    (:func:`~minigan.gan.metrics.mode_metrics`: modes captured, high quality)."""

    def __init__(self, mixture, n=EVAL_SAMPLES, seed=0):
        n = check_int(n, "n", "MixtureProbe", minimum=2)
        self.mixture, self.n, self.seed = mixture, n, seed
        self.reference = SampleReference(mixture.sample(n, generator=Generator(seed)))
        self.noise = None

    def __call__(self, G):
        if self.noise is None:
            if not hasattr(G, "noise_dim"):
                raise TypeError(f"MixtureProbe: G must have a noise_dim attribute (as "
                                f"MLPGenerator has), got {type(G).__name__}")
            param = next(iter(G.parameters()))
            self.noise = sample_noise(self.n, G.noise_dim, "normal", Generator(self.seed + 1),
                                      param.device, param.dtype)
        fake = generate(G, self.noise)
        metrics = mode_metrics(fake, self.mixture)
        return {**self.reference.compare(fake), "modes_captured": metrics.modes_captured,
                "num_modes": metrics.num_modes, "high_quality": metrics.high_quality}


class ImageProbe:
    """What G's images look like next to real ones.

    ``real``: real images (N, C, H, W) in G's range, N >= 2 (a few hundred: the statistics
    cost N^2 distances); ``noise``: the fixed batch z that G draws from at every probe (with
    ``labels`` for a conditional G); ``classifier``: an optional judge (such as
    :class:`~minigan.gan.evaluation.DigitClassifier`) whose class histogram of G's images is
    added: the classes present and the KL divergence to uniform."""

    def __init__(self, real, noise, classifier=None, labels=None):
        self.reference = SampleReference(real)
        if len(noise) < 2:
            raise ValueError(f"ImageProbe: noise must hold at least 2 draws, got {len(noise)}")
        self.noise, self.classifier, self.labels = noise, classifier, labels

    def __call__(self, G):
        fake = generate(G, self.noise, self.labels)
        values = self.reference.compare(fake)
        if self.classifier is not None:
            coverage = class_coverage(predict(self.classifier, fake))
            values.update(classes_present=coverage["classes_present"],
                          class_kl=coverage["kl_to_uniform"])
        return values
