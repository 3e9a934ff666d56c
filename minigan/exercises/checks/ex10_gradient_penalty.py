"""Checks of exercise 10: the penalty's value and its gradient for D's weights against
minigan's WGAN-GP (same interpolation weights), then its first and second derivatives with
respect to D's weights against finite differences (third derivatives of D)."""

import numpy as np

import minigan
import minigan.functional as F
from minigan.gan.methods import WGANGP

from ..checking import Check, assert_close, check_gradients, for_case

SHAPES = {"points of the plane, a batch of 4": (4, 2), "images (3, 1, 2, 2)": (3, 1, 2, 2)}
HIDDEN, SEED = 3, 3


def critic_weights(shape, seed=0):
    """Weights of a small smooth critic D(x) = tanh(x W1 + b1) w2 (x flattened), float64."""
    rng = np.random.default_rng(seed)
    width = int(np.prod(shape[1:]))
    return [minigan.tensor(rng.normal(0, 1, size), requires_grad=True)
            for size in ((width, HIDDEN), (HIDDEN,), (HIDDEN,))]


def critic(W1, b1, w2):
    return lambda x: F.tanh(x.flatten(1) @ W1 + b1) @ w2


def batches(shape, seed=1):
    rng = np.random.default_rng(seed)
    real, fake = (minigan.tensor(rng.normal(0, 1, shape)) for _ in range(2))
    # the interpolation weights minigan's WGAN-GP draws from a Generator seeded SEED
    e = minigan.rand(shape[0], *(1,) * (len(shape) - 1), dtype=np.float64,
                     generator=minigan.Generator(SEED))
    return real, fake, e


def _compare(module, shape):
    weights = critic_weights(shape)
    real, fake, e = batches(shape)
    mine = module.gradient_penalty(critic(*weights), real, fake, e)
    if not isinstance(mine, minigan.Tensor) or mine.shape != ():
        raise AssertionError(f"the penalty must be a scalar Tensor, got {mine!r}")
    expected = WGANGP(penalty_weight=10.0).penalty(critic(*weights), real, fake,
                                                   minigan.Generator(SEED))
    assert_close(mine, expected, "penalty", rtol=1e-9)
    if not mine.requires_grad:
        raise AssertionError("your penalty does not depend on D's weights (it does not require "
                             "grad): take the slope with create_graph=True")
    mine_grads = minigan.grad(mine, weights, allow_unused=True)
    for name, m, g in zip(("W1", "b1", "w2"), mine_grads, minigan.grad(expected, weights)):
        assert_close(m, g, f"penalty's gradient for D's weight {name}", rtol=1e-8)


def against_the_package(module, device):
    for description, shape in SHAPES.items():
        for_case(description, _compare, module, shape)


def derivatives(module, device):
    shape = SHAPES["points of the plane, a batch of 4"]
    real, fake, e = batches(shape)
    check_gradients(lambda *w: module.gradient_penalty(critic(*w), real, fake, e),
                    ("D's weight W1", "D's bias b1", "D's weight w2"), critic_weights(shape))


CHECKS = [
    Check("gradient_penalty", "the penalty and its gradient for D's weights equal minigan's "
          "WGAN-GP", against_the_package),
    Check("gradient_penalty", "its first and second derivatives for D's weights, against "
          "finite differences", derivatives,
          hint="the penalty depends on D's weights through the slope: take it with "
               "grad(..., create_graph=True), and compute the norm with Tensor operations"),
]
