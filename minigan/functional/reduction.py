"""Reductions over dimensions: sum, mean, var, amax/amin, max/min, logsumexp, softmax and
log_softmax.

``dim`` is an int, a tuple of ints, or None for all dimensions; ``keepdim`` keeps the reduced
dimensions with size 1 (names as in PyTorch). Backward puts the reduced dimensions back
(``_expand``) and broadcasts: every input element contributed to its sum with weight 1.

``max(x, dim)`` and ``min(x, dim)`` answer two questions, as PyTorch's do: the largest value
along one dim *and where it is*, a named tuple ``(values, indices)``; ``amax``/``amin`` give the
values only, over any dims.

float16 sums accumulate in float32 and return float16, as PyTorch's do: float16 has 11 bits of
mantissa, so adding ones stalls at 2048 (2048 + 1 rounds back to 2048), and 65,520 is already
infinity; a mean divides before rounding back, so the mean of 100,000 float16 ones is 1.
"""

import math
from collections import namedtuple

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .shape import _normalize_dim, broadcast_to, reshape


def _dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes (all axes for None)."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    dims = tuple(sorted({_normalize_dim(d, ndim) for d in dims}))
    return dims


def _expand(g, x_shape, dims, keepdim):
    """Broadcast a reduced gradient back to ``x_shape`` (reinserting the size-1 dims first)."""
    if not keepdim:
        g = reshape(g, tuple(1 if i in dims else n for i, n in enumerate(x_shape)))
    return broadcast_to(g, x_shape)


# The dtype a sum of each dtype accumulates in, where it is not the dtype itself.
_ACCUMULATE = {np.dtype(np.float16): np.float32}


def _scaled_sum(x, dims, keepdim, divisor=1):
    """sum(x) / divisor over dims, accumulated in float32 for float16 input, in x's dtype."""
    acc = _ACCUMULATE.get(x.dtype)
    if acc is None:
        total = x.sum(axis=dims, keepdims=keepdim)
        return total if divisor == 1 else total / divisor
    return (x.sum(axis=dims, keepdims=keepdim, dtype=acc) / divisor).astype(x.dtype)


class Sum(Function):
    """y = sum of x over dims;  dy/dx = 1 for every element."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return _scaled_sum(x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim = ctx.inputs
        return _expand(g, x.shape, dims, keepdim), None, None


class Mean(Function):
    """y = sum of x over dims / n (n the number of elements, or n - correction for var);
    dy/dx = 1 / n for every element. One node rather than a sum and a division, so that a
    float16 mean divides before it rounds back to float16."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, n):
        return _scaled_sum(x, dims, keepdim, n)

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim, n = ctx.inputs
        return _expand(g / n, x.shape, dims, keepdim), None, None, None


class Extremum(Function):
    """y = max (or min) of x over dims; dL/dx = g * share, where ``share`` says which elements
    y came from. With ``index`` None, every element equal to y, split evenly among ties (like
    ``torch.amax``); with ``index`` (where y is along the one dim, as argmax/argmin found it),
    that element alone (like ``torch.max(x, dim)``)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest, index):
        y = x.max(axis=dims, keepdims=True) if largest else x.min(axis=dims, keepdims=True)
        if index is None:
            hits = (x == y).astype(x.dtype)
            share = hits / hits.sum(axis=dims, keepdims=True)
        else:
            (dim,) = dims
            positions = ctx.xp.arange(x.shape[dim]).reshape([-1 if i == dim else 1
                                                             for i in range(x.ndim)])
            share = (positions == index).astype(x.dtype)
        ctx.save_for_backward(share)
        return y if keepdim else y.reshape([n for i, n in enumerate(x.shape) if i not in dims])

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim, _, _ = ctx.inputs
        (share,) = ctx.saved_tensors
        return _expand(g, x.shape, dims, keepdim) * share, None, None, None, None


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^(x_j);  dL/dx = g - softmax(x) * sum(g)."""

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)  # the largest exponent is e^0: no overflow
        return shifted - ctx.xp.log(ctx.xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, g):
        _, dim = ctx.inputs
        from .pointwise import exp
        return g - exp(ctx.output) * sum(g, dim, keepdim=True), None


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j);  dL/dx = y * (g - sum(g * y))."""

    @staticmethod
    def forward(ctx, x, dim):
        e = ctx.xp.exp(x - x.max(axis=dim, keepdims=True))
        return e / e.sum(axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        _, dim = ctx.inputs
        y = ctx.output
        return y * (g - sum(g * y, dim, keepdim=True)), None


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (all dimensions by default)."""
    return Sum.apply(x, _dims(dim, x.ndim), keepdim)


def mean(x, dim=None, keepdim=False):
    """Average over ``dim``: the sum divided by the number of elements summed."""
    dims = _dims(dim, x.ndim)
    count = math.prod(x.shape[d] for d in dims)
    return Mean.apply(x, dims, keepdim, count)


def var(x, dim=None, *, keepdim=False, correction=1):
    """Variance over ``dim``: sum((x - mean)^2) / (n - correction).

    ``correction=1`` (the default, as in PyTorch) is the unbiased estimator; batch norm uses 0.
    ``keepdim`` and ``correction`` are keyword-only, as in ``torch.var``, whose second positional
    argument may be the old ``unbiased``."""
    dims = _dims(dim, x.ndim)
    count = math.prod(x.shape[d] for d in dims)
    if count - correction <= 0:
        raise ValueError(f"var: {count} elements with correction={correction} leave no degrees of "
                         "freedom")
    centred = x - mean(x, dims, keepdim=True)
    return Mean.apply(centred * centred, dims, keepdim, count - correction)


def _reduced_dims(x, dim, caller):
    """``_dims``, refusing to reduce over an empty dimension (it has no largest element)."""
    dims = _dims(dim, x.ndim)
    empty = [d for d in dims if x.shape[d] == 0]
    if empty:
        raise ValueError(f"{caller}: cannot reduce over dim {empty[0]} of size 0 (input shape "
                         f"{tuple(x.shape)}): an empty set has no largest or smallest element")
    return dims


def _values(x, dim, keepdim, largest, caller):
    return Extremum.apply(x, _reduced_dims(x, dim, caller), keepdim, largest, None)


def amax(x, dim=None, keepdim=False):
    """Largest value over ``dim`` (an int, a tuple, or None for all), values only.

    Where several elements tie for the largest, the gradient is split evenly among them (as
    ``torch.amax``)."""
    return _values(x, dim, keepdim, True, "amax")


def amin(x, dim=None, keepdim=False):
    """Smallest value over ``dim``, values only; ties share the gradient evenly (as
    ``torch.amin``)."""
    return _values(x, dim, keepdim, False, "amin")


# What max(x, dim) and min(x, dim) return, as PyTorch's torch.return_types.max / .min.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def _along(x, dim, keepdim, largest):
    """(values, indices) of the largest (smallest) element along the single dim ``dim``."""
    caller, result = ("max", MaxResult) if largest else ("min", MinResult)
    if isinstance(dim, Tensor):
        name = "maximum" if largest else "minimum"
        raise TypeError(f"{caller}(x, other): the elementwise {caller} of two tensors is "
                        f"{name}(x, other) here (PyTorch accepts both spellings)")
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{caller}: dim must be one int, got {dim!r}: {caller}(x, dim) also "
                        f"returns where the value is along that dim; for the values over "
                        f"several dims use a{caller}(x, dims)")
    if x.ndim == 0:  # as PyTorch: a 0-d tensor has one dim to reduce, of size 1
        _normalize_dim(dim, 1)
        values, indices = _along(reshape(x, 1), 0, False, largest)
        return result(values, indices)
    (dim,) = _reduced_dims(x, dim, caller)
    found = x.data.argmax(axis=dim) if largest else x.data.argmin(axis=dim)  # the first, on ties
    index = x.xp.expand_dims(found.astype(np.int64), dim)
    values = Extremum.apply(x, (dim,), keepdim, largest, index)
    indices = Tensor(index if keepdim else found.astype(np.int64))
    return result(values, indices)


def max(x, dim=None, keepdim=False):
    """The largest value: over all elements (``dim=None``: a 0-d tensor), or along one ``dim``,
    returning the named tuple ``(values, indices)`` as ``torch.max`` does.

    ``indices`` is an int64 Tensor (a constant) of the positions along ``dim``; where several
    elements tie, the first is taken, and ``values`` sends its gradient to that element alone
    (PyTorch's rule on the CPU). Over all elements (no dim) ties split the gradient evenly, as
    ``torch.max(x)`` does; :func:`amax` does that over any dims.
    """
    if dim is None:
        return _values(x, None, keepdim, True, "max")
    return _along(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    """The smallest value: over all elements, or ``(values, indices)`` along one ``dim``; ties
    as :func:`max`."""
    if dim is None:
        return _values(x, None, keepdim, False, "min")
    return _along(x, dim, keepdim, False)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, shifted by the max so that nothing overflows."""
    dims = _dims(dim, x.ndim)
    m = amax(x, dims, keepdim=True).detach()  # a constant shift: it cancels in the gradient
    from .pointwise import exp, log
    out = log(Sum.apply(exp(x - m), dims, True)) + m
    return out if keepdim else reshape(out, [n for i, n in enumerate(x.shape) if i not in dims])


def log_softmax(x, dim):
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x) (no log of zero)."""
    return LogSoftmax.apply(x, _normalize_dim(dim, x.ndim))


def softmax(x, dim):
    """e^x normalised to sum to 1 along ``dim``."""
    return Softmax.apply(x, _normalize_dim(dim, x.ndim))

