"""Checks of exercise 1: each activation's output and its first and second derivatives."""

import numpy as np

import minigan.functional as F

from ..checking import function_check


def each_shape(*shapes):
    """Cases of one input, uniform in [-2, 2], of each of ``shapes``."""
    return lambda rng: [(rng.uniform(-2, 2, size=shape),) for shape in shapes]


def away_from_zero(rng, shape):
    """Values in [-2, -0.1] or [0.1, 2]: finite differences must not straddle a kink at 0."""
    return np.asarray(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape))


SHAPES = each_shape((5,), (2, 3), ())

CHECKS = [
    function_check("Tanh", F.tanh, SHAPES, ("x",)),
    function_check("Sigmoid", F.sigmoid, SHAPES, ("x",)),
    function_check("Softplus", F.softplus, SHAPES, ("x",)),
    function_check("LeakyReLU", F.leaky_relu,
                     lambda rng: [(away_from_zero(rng, (6,)), 0.2),
                                  (away_from_zero(rng, (2, 3)), 0.01)],
                     ("x", "negative_slope")),
]
