"""Data sets: ``from minigan import data``.

Gaussian mixtures with exact densities (:mod:`minigan.data.mixture`): one-dimensional ones for
the theory of the optimal discriminator, a ring and a grid of modes for the mode-collapse demos.
"""

from .mixture import GaussianMixture, gaussian_1d, grid, mixture_1d, ring

__all__ = ["GaussianMixture", "gaussian_1d", "mixture_1d", "ring", "grid"]
