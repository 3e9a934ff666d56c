"""Checks of exercise 4: binary cross-entropy of logits against 0/1 labels (constants) and
against soft targets (differentiated too)."""

import minigan.functional as F

from ..checking import Constant, function_check

CHECKS = [function_check(
    "BCEWithLogits", lambda x, t: F.softplus(x) - t * x,
    lambda rng: [(rng.uniform(-4, 4, size=6), Constant(rng.integers(0, 2, 6).astype(float))),
                 (rng.uniform(-4, 4, size=(2, 3)), rng.uniform(0, 1, size=(2, 3)))],
    ("x", "t"))]
