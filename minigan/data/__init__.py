"""Data sets: ``from minigan import data``.

Gaussian mixtures with exact densities (:mod:`minigan.data.mixture`): one-dimensional ones for
the theory of the optimal discriminator, a ring and a grid of modes for the mode-collapse demos.

Handwritten digits (:mod:`minigan.data.mnist`): the MNIST files (IDX, raw or gzipped), the
full MNIST (60,000 training and 10,000 test digits) shipped inside minigan so that it works
offline, a class-balanced held-out split,
and a seeded loader that serves them to a GAN as 32x32 images in [-1, 1].
"""

from .mixture import GaussianMixture, gaussian_1d, grid, mixture_1d, ring
from .mnist import (
    DigitLoader,
    Digits,
    digit_split,
    images_to_tensor,
    load_digits,
    load_mnist,
    offline_digits,
    read_idx,
    read_mnist,
    shrink,
)

__all__ = ["GaussianMixture", "gaussian_1d", "mixture_1d", "ring", "grid",
           "Digits", "DigitLoader", "images_to_tensor", "load_digits", "load_mnist",
           "offline_digits", "read_idx", "read_mnist", "shrink", "digit_split"]
