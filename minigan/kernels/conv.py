"""2-D convolution, transposed convolution and the convolution's weight gradient on raw arrays.

Shapes follow PyTorch (NCHW data; groups = 1):

    conv2d              x (N, C, H, W),    w (O, C, kh, kw)  ->  y (N, O, OH, OW)
    conv_transpose2d    x (N, C, H, W),    w (C, O, kh, kw)  ->  y (N, O, OH, OW)
    conv2d_grad_weight  x (N, C, H, W),    g (N, O, OH, OW)  ->  dw (O, C, kh, kw)

Each is one matrix product around :func:`im2col` / :func:`col2im` (one on purpose: every BLAS
call hands work to its threads and collects it, which on a busy machine can cost milliseconds),
with the patch matrix P of x (rows: output positions (n, i, j); columns: (p, q, c)) and the
weight matrix W (O, kh*kw*C):

    conv2d              Y = P W^T                    (N*OH*OW, O)
    conv_transpose2d    y = col2im(X W)              X: x as rows (N*H*W, C); W for w (C, O, ..)
    conv2d_grad_weight  dW = G^T P                   G: g as rows (N*OH*OW, O)

The three are the whole calculus of a convolution y = conv2d(x, w): its input gradient is
conv_transpose2d(g, w), its weight gradient conv2d_grad_weight(x, g) (see
:mod:`minigan.functional.conv`). ``stride``, ``padding``, ``output_padding`` and ``dilation``
are ints or pairs (checked and made pairs by :func:`minigan._checks.pair`).
"""

from .._checks import pair
from .im2col import channels_last, col2im, im2col, transposed_output_size


def _geometry(caller, stride, padding, dilation):
    """stride, padding and dilation, each an int or a pair, as three pairs of ints."""
    return (pair(stride, "stride", caller, minimum=1), pair(padding, "padding", caller),
            pair(dilation, "dilation", caller, minimum=1))


def tall_matmul(a, b):
    """a @ b, computed as (b^T a^T)^T when the result would be wider than tall.

    The same numbers, but multi-threaded OpenBLAS was measured up to 60x slower (and erratic on
    a busy machine) on wide results with few rows (benchmarks/README.md). The result is then a
    transposed view, which costs a copy later: worth it only where results are small (weight
    gradients; convolution outputs with fewer positions than channels)."""
    return (b.T @ a.T).T if a.shape[0] < b.shape[1] else a @ b


def _weight_matrix(w):
    """w (O, C, kh, kw) as the matrix (O, kh*kw*C) whose columns line up with patch columns."""
    o, c, kh, kw = w.shape
    return w.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)


def _patch_matrix(cols):
    """The patch array (N, OH, OW, kh, kw, C) as the matrix (N*OH*OW, kh*kw*C) (no copy)."""
    n, oh, ow, kh, kw, c = cols.shape
    return cols.reshape(n * oh * ow, kh * kw * c)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, cols=None):
    """y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] x_pad[n, c, i*sh + p*dh, j*sw + q*dw].

    ``cols`` is im2col(x) if the caller has it already. The result is NCHW-shaped with
    channels-last memory (a transposed view of the matrix product, which is (N*OH*OW, O)).
    """
    if cols is None:
        cols = im2col(x, w.shape[2:], *_geometry("conv2d", stride, padding, dilation))
    y = tall_matmul(_patch_matrix(cols), _weight_matrix(w).T)
    if b is not None:
        y += b
    return y.reshape(cols.shape[:3] + (w.shape[0],)).transpose(0, 3, 1, 2)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    """The adjoint of conv2d(., w) applied to x, plus b: every input value x[n, c, i, j] adds
    x[n, c, i, j] w[c, o, p, q] at y_pad[n, o, i*sh + p*dh, j*sw + q*dw].

    Output size per axis: (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
    """
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    stride, padding, dilation = _geometry("conv_transpose2d", stride, padding, dilation)
    output_padding = pair(output_padding, "output_padding", "conv_transpose2d")
    oh, ow = (transposed_output_size(size, k, s, p, op, d) for size, k, s, p, op, d in
              zip((h, wd), (kh, kw), stride, padding, output_padding, dilation))
    cols = channels_last(x).reshape(n * h * wd, c) @ _weight_matrix(w)  # (N*H*W, kh*kw*O)
    y = col2im(cols.reshape(n, h, wd, kh, kw, o), (n, o, oh, ow), stride, padding, dilation)
    if b is not None:
        y += b[:, None, None]
    return y


def conv2d_grad_weight(x, g, kernel_size, stride=1, padding=0, dilation=1, cols=None):
    """dL/dw for y = conv2d(x, w), given g = dL/dy:

        dw[o, c, p, q] = sum_{n,i,j} g[n, o, i, j] x_pad[n, c, i*sh + p*dh, j*sw + q*dw].

    ``cols`` is im2col(x) if the caller has it already. g may cover fewer positions than the
    convolution of x has (the first OH x OW): the missing ones count as zero gradient.
    """
    n, o, oh, ow = g.shape
    kh, kw = pair(kernel_size, "kernel_size", "conv2d_grad_weight", minimum=1)
    if cols is None:
        cols = im2col(x, (kh, kw), *_geometry("conv2d_grad_weight", stride, padding, dilation),
                      out_size=(oh, ow))
    patches = _patch_matrix(cols[:, :oh, :ow])
    rows = channels_last(g).reshape(n * oh * ow, o)
    dw = tall_matmul(rows.T, patches)  # (O, kh*kw*C)
    return dw.reshape(o, kh, kw, x.shape[1]).transpose(0, 3, 1, 2).copy()
