"""Checks of exercise 11: batch norm's gradients for x, weight and bias, first and second
order, against finite differences in float64, and against minigan's batch_norm."""

import numpy as np

import minigan
import minigan.functional as F

from ..checking import Check, assert_close, check_gradients, for_case

SHAPES = [(5, 3), (2, 2, 3, 2)]
EPS = 1e-5


def operands(shape, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return [minigan.tensor(value, requires_grad=True) for value in (
        rng.normal(0.5, 2.0, shape), rng.uniform(0.5, 1.5, c), rng.normal(0, 1, c))]


def derivatives(module, device):
    for shape in SHAPES:
        for_case(f"x of shape {shape}", check_gradients,
                 lambda x, w, b: module.BatchNorm.apply(x, w, b, EPS), ("x", "weight", "bias"),
                 operands(shape))


def _compare(module, shape):
    x, w, b = operands(shape)
    g = minigan.tensor(np.random.default_rng(1).normal(size=shape))
    mine = minigan.grad(module.BatchNorm.apply(x, w, b, EPS), (x, w, b), g, allow_unused=True)
    expected = minigan.grad(F.batch_norm(x, None, None, w, b, training=True, eps=EPS),
                            (x, w, b), g)
    for name, m, e in zip(("x", "weight", "bias"), mine, expected):
        assert_close(m, e, f"gradient for {name}", rtol=1e-8, atol=1e-10)


def against_the_package(module, device):
    for shape in SHAPES:
        for_case(f"x of shape {shape}", _compare, module, shape)


CHECKS = [
    Check("BatchNorm", "the gradients for x, weight and bias equal minigan's batch_norm",
          against_the_package),
    Check("BatchNorm", "first and second derivatives, against finite differences (float64)",
          derivatives),
]
