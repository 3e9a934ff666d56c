"""The maxout activation: each unit is the largest of its ``pieces`` affine functions.

``maxout(input, weight, bias, pieces)`` is ``linear(input, weight, bias)`` with its columns
grouped ``pieces`` at a time, the largest of each group kept:

    y_i = max_j (x . W_ij + b_ij),   rows i * pieces .. (i + 1) * pieces - 1 of W for unit i.

The max over the pieces is :class:`PieceMax`, one node over the affine map's output and a
kernel (:mod:`minigan.kernels.maxout`), which gives the same values and gradients as the plain
formulation, a reshape and ``amax(grouped, dim=-1)``, in a fraction of the time;
``FAST_PIECE_MAX = False`` switches back to the plain one (the tests compare the two, and
``benchmarks/bench_mlp_step.py --plain piece_max`` times it).
"""

from ..autograd import grad_mode
from ..autograd.function import Function
from ..kernels import maxout as kernel
from .linalg import linear
from .reduction import amax
from .shape import reshape, unsqueeze

FAST_PIECE_MAX = True  # False: the plain amax over the pieces (the reference)


def _grouped(x, pieces):
    """x (*, units * pieces) viewed as (*, units, pieces) (an array or a Tensor)."""
    return x.reshape(x.shape[:-1] + (x.shape[-1] // pieces, pieces))


class PieceMax(Function):
    """y[..., i] = max_j x[..., i * pieces + j] for x (*, units * pieces);  dL/dx = g where a
    piece won (split evenly on ties), else 0.

    One node where the plain formulation has a reshape, an ``amax`` and, in backward, a reshape
    and a broadcast back: the grouping is a view inside forward and backward.
    """

    @staticmethod
    def forward(ctx, x, pieces):
        return kernel.piece_max(ctx.xp, _grouped(x, pieces))

    @staticmethod
    def backward(ctx, g):
        from ..tensor import Tensor

        x, pieces = ctx.inputs
        share = kernel.piece_share(ctx.xp, _grouped(x.data, pieces), ctx._output_data)
        if grad_mode.is_grad_enabled():  # create_graph: g times a constant, differentiable
            grad = unsqueeze(g, -1) * Tensor._from_op(share, None)
            return reshape(grad, x.shape), None
        return Tensor._from_op((g.data[..., None] * share).reshape(x.shape), None), None


def piece_max(x, pieces):
    """The largest of each group of ``pieces`` consecutive values along the last axis of x:
    (*, units * pieces) -> (*, units)."""
    if x.ndim == 0 or x.shape[-1] % pieces:
        raise ValueError(f"piece_max: the last dimension of x must be a multiple of "
                         f"pieces={pieces}, got shape {tuple(x.shape)}")
    return PieceMax.apply(x, pieces) if FAST_PIECE_MAX else amax(_grouped(x, pieces), -1)


def maxout(input, weight, bias, pieces):
    """Maxout units: input (*, in_features), weight (units * pieces, in_features), bias
    (units * pieces,) or None -> (*, units)."""
    rows = weight.shape[0]
    if rows % pieces:
        raise ValueError(f"maxout: weight has {rows} rows, not a multiple of pieces={pieces}")
    return piece_max(linear(input, weight, bias), pieces)
