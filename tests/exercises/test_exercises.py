"""The exercises, checked: values against minigan.functional, then first and second derivatives
against finite differences (gradcheck, gradgradcheck), over a few shapes each.

One test per exercise, marked ``exercise``. They check the solutions shipped in
minigan/exercises, or a learner's copy under MINIGAN_EXERCISES=DIR (see conftest.py).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import minigan
import minigan.functional as F
from minigan.exercises import all_exercises


@dataclass(frozen=True)
class Constant:
    """An input array that becomes a Tensor *not* requiring grad (labels, a fixed mask)."""

    array: np.ndarray


@dataclass(frozen=True, repr=False)
class Check:
    """How to check one exercise: the name of the class or function in its module, the
    operation of minigan.functional it must agree with (same arguments), and the cases: a
    function of a NumPy random generator giving argument tuples, in which float arrays become
    float64 Tensors requiring grad and anything else is passed as it is."""

    module: str
    name: str
    reference: Callable
    cases: Callable

    def __str__(self):
        return f"{self.module}.{self.name}"

    __repr__ = __str__


def uniform(rng, shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape)


def away_from_zero(rng, shape):
    """Values in [-2, -0.1] or [0.1, 2]: finite differences must not straddle a kink at 0."""
    return np.asarray(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape))


def each_shape(*shapes):
    """Cases of one input, uniform in [-2, 2], of each of ``shapes``."""
    return lambda rng: [(uniform(rng, shape),) for shape in shapes]


# (shape of a, shape of b): the same shape, a prepended dim, stretched 1s on either or both
# sides, a scalar.
MUL_SHAPES = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 1, 3), (4, 1)), ((1, 3), (2, 1)), ((), (2, 2))]
# (shape of the gradient, shape to sum it down to)
UNBROADCAST_SHAPES = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 3, 4), (3, 1)), ((2, 3), (1, 1)),
                      ((2, 3), ())]
MEAN_CASES = [((5,), 0, False), ((3, 4), 0, False), ((3, 4), 1, True), ((2, 3, 4), -1, False),
              ((2, 3, 4), 1, True)]

CHECKS = [
    Check("ex01_pointwise", "Tanh", F.tanh, each_shape((5,), (2, 3), ())),
    Check("ex01_pointwise", "Sigmoid", F.sigmoid, each_shape((5,), (2, 3), ())),
    Check("ex01_pointwise", "Softplus", F.softplus, each_shape((5,), (2, 3), ())),
    Check("ex01_pointwise", "LeakyReLU", F.leaky_relu,
          lambda rng: [(away_from_zero(rng, (6,)), 0.2), (away_from_zero(rng, (2, 3)), 0.01)]),
    Check("ex02_broadcasting", "unbroadcast", F.sum_to,
          lambda rng: [(uniform(rng, g), shape) for g, shape in UNBROADCAST_SHAPES]),
    Check("ex02_broadcasting", "BroadcastMul", F.mul,
          lambda rng: [(uniform(rng, a), uniform(rng, b)) for a, b in MUL_SHAPES]
          + [(uniform(rng, (2, 3)), Constant(uniform(rng, (3,))))]),
    Check("ex03_reduction", "Mean", F.mean,
          lambda rng: [(uniform(rng, shape), dim, keepdim) for shape, dim, keepdim in MEAN_CASES]),
    Check("ex04_gan_loss", "BCEWithLogits", lambda x, t: F.softplus(x) - t * x,
          lambda rng: [(uniform(rng, (6,), -4, 4), Constant(rng.integers(0, 2, 6).astype(float))),
                       (uniform(rng, (2, 3), -4, 4), uniform(rng, (2, 3), 0, 1))]),
]


def as_arguments(case, device):
    """Arrays to Tensors on ``device``: float arrays require grad, Constants do not."""
    def convert(value):
        if isinstance(value, Constant):
            return minigan.tensor(value.array, device=device)
        if isinstance(value, np.ndarray):
            return minigan.tensor(value, requires_grad=True, device=device)
        return value
    return tuple(convert(value) for value in case)


def of_tensors(fn, args):
    """``fn`` as a function of the Tensor arguments only (what gradcheck differentiates), with
    the other arguments (dim, a slope, a shape) fixed at their values in ``args``."""
    slots = [i for i, a in enumerate(args) if isinstance(a, minigan.Tensor)]

    def call(*tensors):
        full = list(args)
        for i, t in zip(slots, tensors):
            full[i] = t
        return fn(*full)

    return call, [args[i] for i in slots]


def check_case(fn, reference, args):
    """The output of ``fn(*args)`` against ``reference(*args)``, then its first and second
    derivatives against finite differences."""
    out, expected = fn(*args), reference(*args)
    assert isinstance(out, minigan.Tensor), f"returned a {type(out).__name__}, not a Tensor"
    assert out.shape == expected.shape, f"output shape {out.shape}, expected {expected.shape}"
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12,
                               atol=1e-12, err_msg="the output differs from the reference")
    call, tensors = of_tensors(fn, args)
    minigan.gradcheck(call, *tensors)
    minigan.gradgradcheck(call, *tensors)


@pytest.mark.exercise
@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_exercise(check, load_exercise, device):
    exercise = getattr(load_exercise(check.module), check.name)
    fn = exercise.apply if isinstance(exercise, type) else exercise
    for case in check.cases(np.random.default_rng(0)):
        args = as_arguments(case, device)
        try:
            check_case(fn, check.reference, args)
        except AssertionError as err:  # say which case failed (gradcheck errors are assertions)
            described = ", ".join(f"shape {a.shape}" if isinstance(a, minigan.Tensor) else repr(a)
                                  for a in args)
            raise type(err)(f"with arguments ({described}): {err}") from None


# Exercises that are not one operation checked against a reference: each has its own test file.
OWN_TESTS = {"ex13_inplace.gan_step": "test_ex13_inplace.py"}


def test_every_exercise_has_a_check():
    """An exercise added to minigan/exercises without a check here would go unchecked."""
    exercises = {f"{e.module}.{e.name}" for e in all_exercises()}
    assert exercises == {str(check) for check in CHECKS} | set(OWN_TESTS)


def test_bce_with_logits_names_a_shape_mismatch():
    from minigan.exercises.ex04_gan_loss import BCEWithLogits

    expected = r"targets t must have the shape of the logits x, \(2, 3\); got \(3,\)"
    with pytest.raises(ValueError, match=expected):
        BCEWithLogits.apply(minigan.zeros(2, 3), minigan.zeros(3))
