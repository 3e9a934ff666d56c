"""Judging a GAN of digits: a classifier's eye, the Fréchet distance, and Parzen windows.

A GAN gives samples, not a likelihood, so its images are judged from outside. Three ways here,
each with what it can and cannot see:

**A digit classifier** (:class:`DigitClassifier`, a small CNN trained by :func:`train_classifier`
on real digits that the GAN never saw). Classifying N generated digits gives

- **class coverage**: which of the 10 classes appear at all (mode dropping loses whole
  classes), and the **KL divergence of the class histogram to uniform**,
  KL(p || u) = sum_k p_k log(10 p_k), 0 when every class is equally frequent, log 10 = 2.30
  when all samples are one class (with 0 log 0 = 0);
- **a Fréchet distance in the classifier's feature space** ("classifier FID", after Heusel et
  al. 2017, who used Inception-v3 features of natural images): fit a Gaussian to the features
  f(x) of each set, N(mu_1, S_1) and N(mu_2, S_2), and take the 2-Wasserstein distance between
  the two Gaussians, squared::

      FID = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

  It sees quality (features of bad digits lie elsewhere) and variety (a collapsed G has a
  small S). It depends on the feature extractor and on N (it is biased upwards for small N),
  so it is only meaningful beside a **floor** (two sets of real digits of the same size) and a
  **ceiling** (noise) computed the same way.

**A Parzen-window log-likelihood** (:func:`parzen_log_likelihood`), as in Goodfellow et al.
2014, Table 1 (225 +- 2 nats on MNIST): put a Gaussian of width sigma on each of n generated
samples mu_i in pixel space (d = 784 pixels in [0, 1]) and score held-out test digits x::

    log p(x) = logsumexp_i( -|x - mu_i|^2 / (2 sigma^2) ) - log n - (d / 2) log(2 pi sigma^2)

with sigma chosen to maximise the score of a separate validation set
(:func:`choose_parzen_sigma`); :func:`parzen_estimate` runs the whole protocol, and
``benchmarks/parzen_mnist.py`` runs it at the paper's sizes. Theis, van den Oord and Bethge
(2015) showed how little this says in 784 dimensions: it is dominated by the nearest sample to
each test point, it needs far more samples than anyone draws, and it can rank models wrongly
(blurry :func:`kmeans` centroids beat real digits); tutorial 11 shows such a case.
"""

import numpy as np

from .. import nn
from .._checks import (
    check_int,
    check_non_negative_int,
    check_positive,
    check_positive_int,
    check_power_of_two,
)
from ..autograd import no_grad
from ..backend import as_numpy
from ..data import digit_split, images_to_tensor
from ..functional import cross_entropy
from ..optim import Adam
from ..random import Generator, rand
from ..tensor import Tensor
from .noise import generate, sample_noise

NUM_CLASSES = 10


# -- the classifier ---------------------------------------------------------------------------
class DigitClassifier(nn.Module):
    """A small CNN: images (N, 1, S, S) in [-1, 1] -> logits (N, 10); S a power of two >= 16.

    Three blocks Conv(k4, s2, p1) + BatchNorm + ReLU halve the side (S -> S/8) with 32, 64 and
    128 channels; then a hidden layer of ``features`` units (its ReLU output is what
    :meth:`features` returns, the space of the classifier FID) and a linear layer to 10 logits.
    """

    def __init__(self, image_size=32, features=128, *, generator=None):
        super().__init__()
        self.image_size = check_power_of_two(image_size, "image_size", "DigitClassifier",
                                             minimum=16)
        layers, c_in = [], 1
        for c_out in (32, 64, 128):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False, generator=generator),
                       nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        side = image_size // 8
        self.body = nn.Sequential(*layers, nn.Flatten(),
                                  nn.Linear(128 * side * side, features, generator=generator),
                                  nn.ReLU())
        self.head = nn.Linear(features, NUM_CLASSES, generator=generator)

    def features(self, x):
        """The hidden features (N, ``features``) of images x."""
        expected = (1, self.image_size, self.image_size)
        if tuple(x.shape[1:]) != expected:
            raise ValueError(f"DigitClassifier: expected images of shape (N, 1, "
                             f"{self.image_size}, {self.image_size}), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


def _shifted(images, rng, max_shift):
    """Each image (N, 1, S, S) rolled by its own random (dy, dx) in [-max_shift, max_shift]:
    the padding around MNIST's 28 x 28 digits leaves room for a small translation."""
    out = np.empty_like(images)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    for i, (dy, dx) in enumerate(shifts):
        out[i] = np.roll(images[i], (int(dy), int(dx)), axis=(1, 2))
    return out


def train_classifier(images, labels, epochs=15, batch_size=64, lr=1e-3, max_shift=2, seed=0,
                     progress=None):
    """A :class:`DigitClassifier` trained with Adam on ``images`` (N, 1, S, S) in [-1, 1]
    (a Tensor or an array) and their ``labels`` (N,), minimising the cross-entropy.

    Each epoch visits every image once in a shuffled order, each one shifted at random by up to
    ``max_shift`` pixels (data augmentation: with a thousand digits, the classifier learns
    that a digit moved by a pixel is the same digit). ``progress``: a wrapper such as tqdm for
    the epoch loop. Returns the classifier in eval mode, on the images' device and dtype.
    """
    x = as_numpy(images.data if isinstance(images, Tensor) else images)
    y = np.asarray(as_numpy(labels.data if isinstance(labels, Tensor) else labels))
    if x.ndim != 4 or x.shape[1] != 1 or y.shape != x.shape[:1]:
        raise ValueError(f"train_classifier: expected images (N, 1, S, S) and labels (N,), got "
                         f"{x.shape} and {y.shape}")
    device = images.device if isinstance(images, Tensor) else "cpu"
    rng = Generator(seed)
    model = DigitClassifier(x.shape[-1], generator=rng).to(device=device, dtype=x.dtype)
    opt = Adam(model.parameters(), lr=lr)
    model.train()
    for _ in (progress or (lambda it: it))(range(epochs)):
        order = rng.numpy.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            xb = Tensor(_shifted(x[batch], rng.numpy, max_shift)).to(device)
            loss = cross_entropy(model(xb), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def _in_batches(model_fn, images, batch_size):
    """``model_fn`` applied to ``images`` in batches, without a graph: a NumPy array."""
    x = images.data if isinstance(images, Tensor) else images
    outputs = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            outputs.append(as_numpy(model_fn(Tensor(x[start:start + batch_size])).data))
    return np.concatenate(outputs)


def predict(classifier, images, batch_size=500):
    """The class (N,) that ``classifier`` gives each image (N, 1, S, S)."""
    return _in_batches(classifier, images, batch_size).argmax(axis=1)


def classifier_features(classifier, images, batch_size=500):
    """The classifier's features of each image: float64 (N, F)."""
    return _in_batches(classifier.features, images, batch_size).astype(np.float64)


def accuracy(classifier, images, labels):
    """The fraction of ``images`` that ``classifier`` puts in their class ``labels``."""
    labels = as_numpy(labels.data if isinstance(labels, Tensor) else labels)
    return float((predict(classifier, images) == np.asarray(labels)).mean())


# -- class coverage ---------------------------------------------------------------------------
def class_coverage(predicted, num_classes=NUM_CLASSES):
    """How the predicted classes (N,) of generated digits cover the classes, as a dict:

    - ``histogram``: the fraction p_k of samples in each class (length ``num_classes``);
    - ``classes_present``: how many classes occur at least once;
    - ``kl_to_uniform``: KL(p || uniform) = sum_k p_k log(K p_k) (0 log 0 = 0), between 0
      (balanced) and log K (a single class).
    """
    predicted = np.asarray(predicted)
    if predicted.ndim != 1 or predicted.size == 0 or predicted.dtype.kind not in "iu":
        raise ValueError(f"class_coverage: predicted must be a non-empty 1D array of class "
                         f"indices, got {predicted.dtype} of shape {predicted.shape}")
    if predicted.min() < 0 or predicted.max() >= num_classes:
        raise ValueError(f"class_coverage: classes must lie in 0..{num_classes - 1}, found "
                         f"[{predicted.min()}, {predicted.max()}]")
    p = np.bincount(predicted, minlength=num_classes) / predicted.size
    nonzero = p > 0
    kl = float((p[nonzero] * np.log(num_classes * p[nonzero])).sum())
    return {"histogram": p, "classes_present": int(nonzero.sum()), "kl_to_uniform": kl}


# -- the Fréchet distance ---------------------------------------------------------------------
def gaussian_statistics(features):
    """(mean (F,), covariance (F, F)) of ``features`` (N, F), the covariance with 1/(N - 1)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"gaussian_statistics: features must have shape (N, F) with N >= 2, got "
                         f"{f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def _psd_sqrt(matrix):
    """The symmetric square root of a symmetric positive semi-definite matrix (by eigh;
    eigenvalues below 0 from rounding are set to 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(mu1, cov1, mu2, cov2):
    """The squared 2-Wasserstein distance between N(mu1, cov1) and N(mu2, cov2)::

        |mu1 - mu2|^2 + tr(cov1) + tr(cov2) - 2 tr((cov1 cov2)^(1/2))

    tr((C1 C2)^(1/2)) is computed as tr((C1^(1/2) C2 C1^(1/2))^(1/2)): the two matrices are
    similar, and the second is symmetric, so its square root comes from an eigendecomposition
    without the complex round-off a general matrix square root gives.
    """
    mu1, mu2 = (np.atleast_1d(np.asarray(m, np.float64)) for m in (mu1, mu2))
    cov1, cov2 = (np.atleast_2d(np.asarray(c, np.float64)) for c in (cov1, cov2))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"frechet_distance: expected two means (F,) and two covariances (F, F) "
                         f"of one size F, got {mu1.shape}, {cov1.shape}, {mu2.shape}, "
                         f"{cov2.shape}")
    root1 = _psd_sqrt(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ cov2 @ root1), 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * cross)


def feature_frechet_distance(features1, features2):
    """:func:`frechet_distance` between Gaussians fitted to two sets of features (N, F)."""
    return frechet_distance(*gaussian_statistics(features1), *gaussian_statistics(features2))


def classifier_fid(classifier, images1, images2):
    """The Fréchet distance between two sets of images in ``classifier``'s feature space."""
    return feature_frechet_distance(classifier_features(classifier, images1),
                                    classifier_features(classifier, images2))


# -- the judge protocol -------------------------------------------------------------------------
def judge_generators(generators, n=2000, *, judge=None, judge_epochs=30, judge_digits=None,
                     nz=100, seed=7, data=None, progress=None):
    """Tutorial 11's protocol for generators of 32 x 32 digits, in one call, so that every
    table judges alike. The digits are those of ``python -m minigan dcgan``
    (:func:`~minigan.data.digit_split`: ``data``, None for the packaged MNIST, split 80/20 with
    seed 0):

    - **the judge**: a :class:`DigitClassifier` trained for ``judge_epochs`` epochs on the
      held-out 20% (every ``len // judge_digits``-th of them when ``judge_digits`` is given),
      which the GAN never saw; or ``judge``, one trained so before (then not retrained);
      its accuracy is measured on ``test``, 2 n digits of the GAN's own training split spread
      evenly over it;
    - **real sets** A and B: the even and odd digits of ``test`` (n each, disjoint); the
      **floor** is FID(A, B), the **ceiling** FID(noise, B) for n images of uniform noise;
    - **each generator** G of ``generators`` (a dict name -> G) draws n digits from the same
      noise, z ~ N(0, I) of size ``nz`` from ``Generator(seed)``, in eval mode; it gets
      ``fid`` = FID(G's digits, B) and the judge's class coverage of them (``class_kl``, the
      KL of the class histogram to uniform, ``classes_present``, ``histogram``).

    Returns a dict: ``judge``, ``accuracy``, ``fid_floor``, ``fid_noise``, ``real_class_kl``
    (of set A), the sets ``train_digits``, ``held_out``, ``test`` (Digits), ``real_a``,
    ``real_b``, ``noise`` (Tensors), and ``generators``: name -> {``images``, ``fid``,
    ``class_kl``, ``classes_present``, ``histogram``}.
    """
    n = check_int(n, "n", "judge_generators", minimum=2)
    if not isinstance(generators, dict):
        raise TypeError(f"judge_generators: generators must be a dict name -> generator, got "
                        f"{type(generators).__name__}")
    train_digits, held_out = digit_split(data)
    if 2 * n > len(train_digits):
        raise ValueError(f"judge_generators: n = {n} needs 2 n <= {len(train_digits)}, the "
                         "GAN's training digits (real sets A and B are drawn from them)")
    if judge_digits is not None:
        judge_digits = check_int(judge_digits, "judge_digits", "judge_generators", minimum=1)
        if judge_digits > len(held_out):
            raise ValueError(f"judge_generators: judge_digits = {judge_digits} is more than the "
                             f"{len(held_out)} held-out digits")
    if judge is None:
        taught = held_out if judge_digits is None else held_out.subset(
            slice(0, len(held_out), len(held_out) // judge_digits))
        judge = train_classifier(images_to_tensor(taught.images), taught.labels,
                                 epochs=judge_epochs, progress=progress)
    test = train_digits.subset(slice(0, len(train_digits), len(train_digits) // (2 * n)))
    real_a, real_b = (images_to_tensor(test.images[i::2][:n]) for i in (0, 1))
    rng = Generator(seed)
    z = sample_noise(n, (nz,), "normal", rng)
    noise = rand(n, 1, 32, 32, generator=rng) * 2 - 1
    out = {"judge": judge, "accuracy": accuracy(judge, images_to_tensor(test.images),
                                                test.labels),
           "fid_floor": classifier_fid(judge, real_a, real_b),
           "fid_noise": classifier_fid(judge, noise, real_b),
           "real_class_kl": class_coverage(predict(judge, real_a))["kl_to_uniform"],
           "train_digits": train_digits, "held_out": held_out, "test": test,
           "real_a": real_a, "real_b": real_b, "noise": noise, "generators": {}}
    for name, G in generators.items():
        images = generate(G, z)
        coverage = class_coverage(predict(judge, images))
        out["generators"][name] = {"images": images, "fid": classifier_fid(judge, images, real_b),
                                   "class_kl": coverage["kl_to_uniform"],
                                   "classes_present": coverage["classes_present"],
                                   "histogram": coverage["histogram"]}
    return out


# -- Parzen windows ---------------------------------------------------------------------------
GOODFELLOW_SIGMAS = np.logspace(-1, 0, 10)
"""The widths sigma that Goodfellow et al.'s evaluation script tried (``parzen_ll.py`` in the
code of their paper: 10 values spaced logarithmically over [0.1, 1])."""
DEFAULT_SIGMAS = np.logspace(np.log10(0.05), 0, 20)
"""The widths tried when none are given: 20 values spaced logarithmically over [0.05, 1]."""


def unit_pixels(images, crop=28):
    """Images (N, 1, S, S) in [-1, 1] -> float64 (N, crop * crop) in [0, 1]: the central
    ``crop`` x ``crop`` pixels, flattened (MNIST's 784 dimensions, as the Parzen numbers in the
    literature use)."""
    x = np.asarray(as_numpy(images.data if isinstance(images, Tensor) else images), np.float64)
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] < crop or x.shape[3] < crop:
        raise ValueError(f"unit_pixels: expected images (N, 1, S, S) with S >= {crop}, got "
                         f"{x.shape}")
    top, left = (x.shape[2] - crop) // 2, (x.shape[3] - crop) // 2
    x = x[:, 0, top:top + crop, left:left + crop].reshape(len(x), -1)
    return (x + 1.0) / 2.0


def _point_sets(caller, **sets):
    """Each named set of points as a float64 array (N, d), checked: 2D, not empty, finite,
    and one d for all of them."""
    arrays = {}
    for name, value in sets.items():
        try:
            a = np.asarray(value, np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{caller}: {name} must be an array of numbers (N, d), got "
                             f"{type(value).__name__}") from None
        if a.ndim != 2 or a.size == 0:
            raise ValueError(f"{caller}: {name} must be a non-empty 2D array (N, d), one point "
                             f"per row, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{caller}: {name} holds {int((~np.isfinite(a)).sum())} values that "
                             "are NaN or infinite")
        arrays[name] = a
    (first, a), *others = arrays.items()
    for name, b in others:
        if b.shape[1] != a.shape[1]:
            raise ValueError(f"{caller}: {first} {a.shape} and {name} {b.shape} must have the "
                             "same number of dimensions d (columns)")
    return arrays.values()


def _sigma_grid(sigmas, caller):
    """``sigmas`` as a float64 array (S,) of finite widths > 0, S >= 1."""
    grid = np.asarray(sigmas, np.float64)
    if grid.ndim != 1 or not grid.size or not (np.isfinite(grid) & (grid > 0)).all():
        raise ValueError(f"{caller}: sigmas must be a non-empty 1D sequence of finite numbers "
                         f"> 0, got {sigmas!r}")
    return grid


def _squared_distances(x, centres, centre_norms):
    """|x_j - mu_i|^2 (B, n) as |x|^2 - 2 x.mu + |mu|^2: one matrix product (B, d) @ (d, n)
    instead of a (B, n, d) array of differences; clipped at 0 (rounding can leave -1e-13)."""
    squared = np.einsum("ij,ij->i", x, x)[:, None] - 2.0 * (x @ centres.T) + centre_norms
    return np.maximum(squared, 0.0, out=squared)


def _parzen_scores(centres, points, sigmas, batch_size):
    """log p_sigma(x) (S, M) of each of ``points`` (M, d) under the window of each width of
    ``sigmas`` (S,) around ``centres`` (n, d), all float64 and checked. The distances of a
    batch of points serve every width; memory stays at a few arrays (batch_size, n)."""
    n, d = centres.shape
    centre_norms = np.einsum("ij,ij->i", centres, centres)
    out = np.empty((len(sigmas), len(points)))
    for start in range(0, len(points), batch_size):
        squared = _squared_distances(points[start:start + batch_size], centres, centre_norms)
        # log sum_i exp(-D_i / 2s^2) = -D_min / 2s^2 + log sum_i exp(-(D_i - D_min) / 2s^2):
        # the nearest centre's term is exp(0) = 1, so the sum neither overflows nor is 0.
        nearest = squared.min(axis=1)
        squared -= nearest[:, None]
        terms = np.empty_like(squared)
        for s, sigma in enumerate(sigmas):
            scale = 1.0 / (2.0 * sigma ** 2)
            np.exp(np.multiply(squared, -scale, out=terms), out=terms)
            out[s, start:start + len(squared)] = np.log(terms.sum(axis=1)) - scale * nearest
    return out - np.log(n) - 0.5 * d * np.log(2.0 * np.pi * sigmas ** 2)[:, None]


def parzen_log_likelihood(centres, points, sigma, batch_size=256):
    """Log-likelihood (nats) of each of ``points`` (M, d) under the Gaussian Parzen window of
    width ``sigma`` around ``centres`` (n, d); returns a float64 array (M,)::

        log p(x) = logsumexp_i( -|x - mu_i|^2 / (2 sigma^2) ) - log n - (d / 2) log(2 pi sigma^2)

    computed in float64, ``batch_size`` points at a time, with the log-sum-exp shifted by the
    nearest centre (see :func:`_parzen_scores`)."""
    caller = "parzen_log_likelihood"
    centres, points = _point_sets(caller, centres=centres, points=points)
    sigma = check_positive(sigma, "sigma", caller)
    return _parzen_scores(centres, points, np.array([sigma]),
                          check_positive_int(batch_size, "batch_size", caller))[0]


def choose_parzen_sigma(centres, validation, sigmas=None, batch_size=256):
    """(best sigma, the mean validation log-likelihood of each candidate (S,)): the width that
    scores ``validation`` best, as Goodfellow et al. chose it. ``sigmas``: the candidates,
    :data:`DEFAULT_SIGMAS` when None; :data:`GOODFELLOW_SIGMAS` are the paper's."""
    caller = "choose_parzen_sigma"
    centres, validation = _point_sets(caller, centres=centres, validation=validation)
    grid = _sigma_grid(DEFAULT_SIGMAS if sigmas is None else sigmas, caller)
    scores = _parzen_scores(centres, validation, grid,
                            check_positive_int(batch_size, "batch_size", caller)).mean(axis=1)
    return float(grid[int(np.argmax(scores))]), scores


def parzen_estimate(centres, validation, test, sigmas=None, batch_size=256):
    """Goodfellow et al.'s protocol (2014, Table 1) in one call. ``centres``: the samples of the
    model (n, d), e.g. 10,000 generated digits as pixels in [0, 1]; ``validation`` (V, d) and
    ``test`` (M, d): real points the model never saw; ``sigmas``: the candidate widths (see
    :func:`choose_parzen_sigma`).

    1. sigma* = argmax over ``sigmas`` of (1/V) sum_j log p_sigma(v_j), the validation curve;
    2. on the test points, the mean L = (1/M) sum_j log p_sigma*(x_j) and its standard error
       s / sqrt(M), s the standard deviation of the M values (with 1/(M - 1); their script
       used 1/M, a relative difference of 1/(2M)).

    Returns a dict: ``sigma`` (sigma*), ``mean`` (L, nats), ``sem``, ``sigmas`` (the grid) and
    ``validation`` (the curve), lists and floats that JSON can write. A sigma* at either end of
    the grid says that the best width may lie outside it."""
    caller = "parzen_estimate"
    centres, validation, test = _point_sets(caller, centres=centres, validation=validation,
                                            test=test)
    grid = _sigma_grid(DEFAULT_SIGMAS if sigmas is None else sigmas, caller)
    sigma, curve = choose_parzen_sigma(centres, validation, grid, batch_size)
    scores = _parzen_scores(centres, test, np.array([sigma]), batch_size)[0]
    return {"sigma": sigma, "mean": float(scores.mean()),
            "sem": float(scores.std(ddof=1) / np.sqrt(len(scores))) if len(scores) > 1 else 0.0,
            "sigmas": grid.tolist(), "validation": curve.tolist()}


def kmeans(points, k, iterations=10, seed=0, batch_size=1024):
    """The ``k`` centres (k, d) that Lloyd's algorithm finds for ``points`` (N, d), float64.

    It starts from k distinct points drawn by ``Generator(seed)``; each iteration gives every
    point to its nearest centre (the distances of ``batch_size`` points at a time, as the
    Parzen window computes them) and moves each centre to the mean of its points (a centre
    that got none stays). Theis, van den Oord and Bethge (2015) scored such centroids with the
    Parzen window: blurry averages of a few digits, they beat real digits."""
    caller = "kmeans"
    (points,) = _point_sets(caller, points=points)
    k = check_positive_int(k, "k", caller)
    if k > len(points):
        raise ValueError(f"{caller}: k = {k} centres need at least as many points, got "
                         f"{len(points)}")
    iterations = check_non_negative_int(iterations, "iterations", caller)
    batch_size = check_positive_int(batch_size, "batch_size", caller)
    centres = points[Generator(seed).numpy.choice(len(points), k, replace=False)]
    nearest = np.empty(len(points), np.int64)
    for _ in range(iterations):
        centre_norms = np.einsum("ij,ij->i", centres, centres)
        for start in range(0, len(points), batch_size):
            x = points[start:start + batch_size]
            nearest[start:start + len(x)] = _squared_distances(x, centres, centre_norms).argmin(1)
        counts = np.bincount(nearest, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, points)
        kept = counts > 0
        centres[kept] = sums[kept] / counts[kept, None]
    return centres
