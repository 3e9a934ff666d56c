"""Shape operations: they move values around and never change them.

Their backwards move the gradient back: reshape undoes reshape, a permutation is undone by the
inverse permutation, and the two pairs that matter most for broadcasting are each other's
gradient:

- ``broadcast_to`` copies values along new or size-1 axes; its backward *sums* over them;
- ``sum_to`` sums over those axes; its backward *broadcasts* back.

Indexing and its scatter-add, padding and slicing, concatenation and splitting pair the same way.
"""

import builtins

import numpy as np

from .. import backend
from .._checks import check_choice, check_int, is_int
from ..autograd.function import Function


def _normalize_dim(dim, ndim, argument="dim"):
    dim = check_int(dim, argument)
    if not -ndim <= dim < builtins.max(ndim, 1):
        raise IndexError(f"{argument}={dim} is out of range for a tensor with {ndim} dimensions")
    return dim % builtins.max(ndim, 1)


def _shape_arg(shape):
    """Accept ``f(x, 2, 3)`` and ``f(x, (2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                             f"({x.size} elements) into shape {shape}") from None

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.inputs
        return reshape(g, x.shape), None


def reshape(x, *shape):
    """The same values in a new shape (one entry may be -1: inferred)."""
    return Reshape.apply(x, _shape_arg(shape))


class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        if sorted(dims) != list(range(x.ndim)):
            raise ValueError(f"permute: dims {dims} is not a permutation of the {x.ndim} "
                             "dimensions")
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        _, dims = ctx.inputs
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return permute(g, *inverse), None


def permute(x, *dims):
    """Reorder the dimensions: output dimension i is input dimension ``dims[i]``."""
    dims = _shape_arg(dims)
    return Permute.apply(x, tuple(_normalize_dim(d, x.ndim) for d in dims))


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    dims = list(range(x.ndim))
    dim0, dim1 = _normalize_dim(dim0, x.ndim, "dim0"), _normalize_dim(dim1, x.ndim, "dim1")
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, tuple(dims))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` (inclusive) into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start = _normalize_dim(start_dim, x.ndim, "start_dim")
    end = _normalize_dim(end_dim, x.ndim, "end_dim")
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim})")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def unsqueeze(x, dim):
    """Insert a dimension of size 1 at ``dim``."""
    dim = _normalize_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (only ``dim`` when given, if it has size 1)."""
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dim = _normalize_dim(dim, x.ndim)
    return reshape(x, x.shape[:dim] + x.shape[dim + 1:]) if x.shape[dim] == 1 else x


def _broadcast_axes(shape, target):
    """Axes of ``target`` along which an array of ``shape`` was broadcast to reach it."""
    lead = len(target) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and target[lead + i] != 1)


class BroadcastTo(Function):
    """y = x repeated along new leading axes and size-1 axes; dL/dx = sum of dL/dy over them."""

    @staticmethod
    def forward(ctx, x, shape):
        try:
            return ctx.xp.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {x.shape} cannot be broadcast to "
                             f"{shape}") from None

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.inputs
        return sum_to(g, x.shape), None


class SumTo(Function):
    """y = x summed over the axes that broadcasting added; dL/dx = dL/dy broadcast back."""

    @staticmethod
    def forward(ctx, x, shape):
        axes = _broadcast_axes(shape, x.shape)
        return x.sum(axis=axes, keepdims=True).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x, _ = ctx.inputs
        return broadcast_to(g, x.shape), None


class Broadcasting(Function):
    """Base of the ops whose operands broadcast together (add, mul, maximum, where...).

    When the shapes do not broadcast, the error names the op and the shapes rather than NumPy's
    "remapped shapes"; the check costs nothing until forward has failed.
    """

    @classmethod
    def apply(cls, *args):
        try:
            return super().apply(*args)
        except ValueError:
            shapes = [tuple(getattr(a, "shape", ())) for a in args]
            try:
                np.broadcast_shapes(*shapes)
            except ValueError:
                raise ValueError(
                    f"{cls.__name__.lower()}: operands of shapes "
                    f"{', '.join(map(str, shapes))} do not broadcast together (counted from the "
                    "last, each pair of sizes must be equal or one of them 1)") from None
            raise


def broadcast_to(x, *shape):
    """``x`` broadcast to ``shape`` (NumPy's rules); the result is a read-only view."""
    shape = _shape_arg(shape)
    return x if x.shape == shape else BroadcastTo.apply(x, shape)


def sum_to(x, shape):
    """Sum ``x`` down to ``shape``: the inverse of broadcasting, used by every backward whose
    forward broadcast its inputs."""
    shape = tuple(shape)
    return x if x.shape == shape else SumTo.apply(x, shape)


def _index_arrays(index):
    """Replace Tensors inside an index by their arrays (they index; they are not differentiated)."""
    from ..tensor import Tensor

    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _has_advanced_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(backend.is_array(p) for p in parts)


class Index(Function):
    """y = x[index]; dL/dx is dL/dy scattered back into zeros of x's shape (and added where an
    integer index repeats an element)."""

    @staticmethod
    def forward(ctx, x, index):
        try:
            return x[index]
        except IndexError as exc:
            raise IndexError(f"index {index!r} does not fit a tensor of shape {x.shape}: "
                             f"{exc}") from None

    @staticmethod
    def backward(ctx, g):
        x, index = ctx.inputs
        return IndexBackward.apply(g, x.shape, index), None


class IndexBackward(Function):
    """out = zeros(shape); out[index] += g. Its own backward is indexing again."""

    @staticmethod
    def forward(ctx, g, shape, index):
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if _has_advanced_index(index):
            backend.scatter_add(out, index, g)  # repeated indices add up, not overwrite
        else:
            out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        _, _, index = ctx.inputs
        return Index.apply(gg, index), None, None


def index(x, index):
    """``x[index]`` with slices, integers, None, Ellipsis, integer arrays and boolean masks."""
    return Index.apply(x, _index_arrays(index))


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        return ctx.xp.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        dim, *xs = ctx.inputs
        grads, start = [None], 0
        for x in xs:
            stop = start + x.shape[dim]
            grads.append(g[(slice(None),) * dim + (slice(start, stop),)])
            start = stop
        return tuple(grads)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension (all other sizes must agree)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: tensors must be a non-empty sequence")
    first = tensors[0]
    dim = _normalize_dim(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or t.shape[:dim] + t.shape[dim + 1:] != \
                first.shape[:dim] + first.shape[dim + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match tensor "
                             f"0's shape {first.shape} outside dim {dim}")
    return Cat.apply(dim, *tensors)


concatenate = cat


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: tensors must be a non-empty sequence")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has "
                             f"{tensors[0].shape}; stack needs equal shapes")
    dim = _normalize_dim(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, dim) for t in tensors], dim)


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        return ctx.xp.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        _, widths, _ = ctx.inputs
        crop = tuple(slice(before, g.shape[i] - after) for i, (before, after) in enumerate(widths))
        return g[crop], None, None


def pad(input, pad, mode="constant", value=0.0):
    """Pad with a constant, PyTorch's way: ``pad = (left, right)`` pads the last dimension,
    ``(left, right, top, bottom)`` the last two, and so on. ``mode``: only PyTorch's default,
    "constant" (reflection and replication padding are not used by any model here)."""
    check_choice(mode, "mode", ("constant",), "pad")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {input.ndim} "
                         f"dimensions, got {pad}")
    if not builtins.all(is_int(p) and p >= 0 for p in pad):
        raise ValueError(f"pad: widths must be non-negative ints, got {pad}")
    widths = [(0, 0)] * input.ndim
    for k in range(len(pad) // 2):
        widths[input.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return Pad.apply(input, tuple(widths), value)


class To(Function):
    """A copy on another device and/or with another dtype; the gradient goes back the same way."""

    @staticmethod
    def forward(ctx, x, device, dtype):
        return backend.to_device(x, device).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, _, _ = ctx.inputs
        return To.apply(g, x.device, x.dtype), None, None


def to(x, device=None, dtype=None):
    """``x`` on ``device`` with ``dtype`` (each defaults to x's own); x itself if nothing
    changes."""
    device = x.device if device is None else backend.check_device(device)
    dtype = x.dtype if dtype is None else np.dtype(dtype)
    if dtype.kind not in "biuf":
        raise TypeError(f"to(): dtype {dtype} is not supported; a tensor holds real numbers "
                        "(bool, integers or floating point)")
    if device == x.device and dtype == x.dtype:
        return x
    return To.apply(x, device, dtype)
