"""Checks of exercise 2: unbroadcast and a broadcasting multiply, over pairs of shapes that
prepend dimensions, stretch size-1 ones on either side, or reduce to a scalar."""

import minigan.functional as F

from ..checking import Constant, function_check

# (shape of the gradient, shape to sum it down to)
UNBROADCAST_SHAPES = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 3, 4), (3, 1)), ((2, 3), (1, 1)),
                      ((2, 3), ())]
# (shape of a, shape of b)
MUL_SHAPES = [((2, 3), (2, 3)), ((4, 3), (3,)), ((2, 1, 3), (4, 1)), ((1, 3), (2, 1)), ((), (2, 2))]


def uniform(rng, shape):
    return rng.uniform(-2, 2, size=shape)


CHECKS = [
    function_check("unbroadcast", F.sum_to,
                     lambda rng: [(uniform(rng, g), shape) for g, shape in UNBROADCAST_SHAPES],
                     ("grad", "shape")),
    function_check("BroadcastMul", F.mul,
                     lambda rng: [(uniform(rng, a), uniform(rng, b)) for a, b in MUL_SHAPES]
                     + [(uniform(rng, (2, 3)), Constant(uniform(rng, (3,))))],
                     ("a", "b")),
]
