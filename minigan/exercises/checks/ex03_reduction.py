"""Checks of exercise 3: the mean over one dimension, kept or dropped, negative dims included."""

import minigan.functional as F

from ..checking import function_check

MEAN_CASES = [((5,), 0, False), ((3, 4), 0, False), ((3, 4), 1, True), ((2, 3, 4), -1, False),
              ((2, 3, 4), 1, True)]

CHECKS = [function_check(
    "Mean", F.mean,
    lambda rng: [(rng.uniform(-2, 2, size=shape), dim, keepdim)
                 for shape, dim, keepdim in MEAN_CASES],
    ("x", "dim", "keepdim"))]
