"""im2col and col2im: a convolution turned into one matrix product, and back.

A 2-D convolution with stride (sh, sw), zero padding (ph, pw), dilation (dh, dw) and a kernel of
size kh x kw computes, at every output position (i, j),

    y[n, o, i, j] = sum over c, p, q of  w[o, c, p, q] * x_pad[n, c, i*sh + p*dh, j*sw + q*dw]

where x_pad is x with ph zero rows above and below and pw zero columns left and right.
``im2col`` copies the patch under every output position into one row of a matrix, so the sum
over (c, p, q) becomes a single matrix product with the weights: BLAS does the arithmetic.
``col2im`` is its adjoint: it adds every entry of every patch back to the input position it was
read from (where patches overlap, their entries add up). The input gradient of a convolution
and the transposed convolution are both "matrix product, then col2im".

Layout. The public API is NCHW, as in PyTorch, but the patches are gathered from channels-last
(NHWC) data: there, every patch row is kh*kw runs of C contiguous values, and gathering runs is
several times faster than gathering single values C apart. So the patch array is

    cols[n, i, j, p, q, c] = x_pad[n, c, i*sh + p*dh, j*sw + q*dw],   shape (N, OH, OW, kh, kw, C)

and ``cols.reshape(N*OH*OW, kh*kw*C)`` is the patch matrix. ``col2im`` hands back an NCHW-shaped
array whose memory is channels-last (a transposed view): the next convolution reads it without
a copy, and NumPy's elementwise operations keep that layout.

Everything here is written once against ``xp`` (NumPy or CuPy), with strided views and slices
that both libraries share, except the work itself: for CuPy arrays ``im2col`` and ``col2im``
launch their CUDA twins in ``kernels/cuda/im2col.cu`` (one thread per output element, the
padding read as zeros, col2im as a gather), which give the same arrays, col2im's also as an
NCHW view of channels-last memory. The NumPy code is the reference they are tested against.
"""

from .. import backend
from . import cuda


def conv_output_size(size, kernel, stride, padding, dilation):
    """How many positions a dilated kernel takes along one axis of a padded input:
    floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def transposed_output_size(size, kernel, stride, padding, output_padding, dilation):
    """The size a transposed convolution produces along one axis:
    (size - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1, the input size
    of a convolution whose output has ``size`` positions (``output_padding`` picks among the
    input sizes that give the same output size when stride > 1)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def channels_last(x):
    """x (N, C, H, W) as a C-contiguous (N, H, W, C) array; no copy if its memory already is."""
    return backend.get_array_module(x).ascontiguousarray(x.transpose(0, 2, 3, 1))


def _padded_channels_last(x, padding):
    """x (N, C, H, W) as channels-last (N, H + 2 ph, W + 2 pw, C) with zero borders."""
    ph, pw = padding
    if ph == pw == 0:
        return channels_last(x)
    n, c, h, w = x.shape
    out = backend.get_array_module(x).zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x.transpose(0, 2, 3, 1)
    return out


def im2col(x, kernel_size, stride, padding, dilation, out_size=None):
    """The patches of x (N, C, H, W) under each kernel position, as (N, OH, OW, kh, kw, C).

    ``stride``, ``padding``, ``dilation`` and ``kernel_size`` are pairs. ``out_size`` (OH, OW)
    defaults to every position the kernel fits in; a smaller one keeps the first positions only
    (a weight gradient whose output gradient covers fewer positions needs that).
    """
    xp = backend.get_array_module(x)
    n, c, h, w = x.shape
    kh, kw = kernel_size
    (sh, sw), (dh, dw) = stride, dilation
    if out_size is None:
        out_size = (conv_output_size(h, kh, sh, padding[0], dh),
                    conv_output_size(w, kw, sw, padding[1], dw))
    if backend.is_cupy_array(x):
        return cuda.im2col(channels_last(x), kernel_size, stride, padding, dilation, out_size)
    oh, ow = out_size
    x_pad = _padded_channels_last(x, padding)
    # A strided view does the indexing x_pad[n, i*sh + p*dh, j*sw + q*dw, c] for free; the
    # copy into contiguous memory is the only work.
    bn, bh, bw, bc = x_pad.strides
    patches = xp.lib.stride_tricks.as_strided(
        x_pad, (n, oh, ow, kh, kw, c), (bn, bh * sh, bw * sw, bh * dh, bw * dw, bc))
    return xp.ascontiguousarray(patches)


def col2im(cols, x_shape, stride, padding, dilation):
    """The adjoint of :func:`im2col`: cols (N, OH, OW, kh, kw, C) summed into x (N, C, H, W).

    Entry (n, i, j, p, q, c) is added at x_pad[n, c, i*sh + p*dh, j*sw + q*dw]; the padding is
    cut off at the end. The sum runs as one slice-add per kernel offset (p, q): all positions
    (i, j) of one offset land on distinct input positions, so each add is a plain strided
    array operation, and only the kh*kw adds of different offsets overlap.
    """
    if backend.is_cupy_array(cols):
        return cuda.col2im(cols, x_shape, stride, padding, dilation)
    xp = backend.get_array_module(cols)
    n, oh, ow, kh, kw, c = cols.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x_pad = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=cols.dtype)
    for p in range(kh):
        rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
        for q in range(kw):
            x_pad[:, rows, q * dw:q * dw + sw * (ow - 1) + 1:sw, :] += cols[:, :, :, p, q, :]
    return x_pad[:, ph:ph + h, pw:pw + w, :].transpose(0, 3, 1, 2)
