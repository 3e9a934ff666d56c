"""The maxout activation: each unit is the largest of its ``pieces`` affine functions.

``maxout(input, weight, bias, pieces)`` is ``linear(input, weight, bias)`` with its columns
grouped ``pieces`` at a time, the largest of each group kept:

    y_i = max_j (x . W_ij + b_ij),   rows i * pieces .. (i + 1) * pieces - 1 of W for unit i.

The max over the pieces is :class:`PieceMax`, a kernel (:mod:`minigan.kernels.maxout`) that
gives the same values and gradients as the plain formulation ``amax(grouped, dim=-1)`` in a
fraction of the time; ``FAST_PIECE_MAX = False`` switches back to the plain one (the tests
compare the two, and the benchmarks A/B them).
"""

from ..autograd.function import Function
from ..kernels import maxout as kernel
from .linalg import linear
from .reduction import amax
from .shape import reshape, unsqueeze

FAST_PIECE_MAX = True  # False: the plain amax over the pieces (the reference)


class PieceMax(Function):
    """y = max over the last axis of x (*, units, pieces);  dL/dx = g where a piece won (split
    evenly on ties), else 0."""

    @staticmethod
    def forward(ctx, x):
        return kernel.piece_max(ctx.xp, x)

    @staticmethod
    def backward(ctx, g):
        from ..tensor import Tensor

        (x,) = ctx.inputs
        share = kernel.piece_share(ctx.xp, x.data, ctx._output_data)
        return unsqueeze(g, -1) * Tensor._from_op(share, None)  # a constant, as amax's share


def piece_max(x):
    """The largest of the pieces, the last axis of x (*, units, pieces): shape (*, units)."""
    return PieceMax.apply(x) if FAST_PIECE_MAX else amax(x, -1)


def maxout(input, weight, bias, pieces):
    """Maxout units: input (*, in_features), weight (units * pieces, in_features), bias
    (units * pieces,) or None -> (*, units)."""
    rows = weight.shape[0]
    if rows % pieces:
        raise ValueError(f"maxout: weight has {rows} rows, not a multiple of pieces={pieces}")
    affine = linear(input, weight, bias)  # (*, units * pieces)
    return piece_max(reshape(affine, input.shape[:-1] + (rows // pieces, pieces)))
