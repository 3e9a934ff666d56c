"""Exercise 5: a convolution's backward, from the three convolutions.

Tutorial: tutorials/03_convolutions.py

A convolution with stride (sh, sw), zero padding (ph, pw) and dilation (dh, dw) computes

    y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] * x_pad[n, c, i*sh + p*dh, j*sw + q*dw]

``im2col`` copies the patch under every output position (i, j) into one row of a matrix, so the
sum becomes one matrix product. Going backward, each value that im2col *copied* must hand its
gradient back to the input position it was copied from: that is ``col2im``, the adjoint
(transpose) of im2col. You write col2im first, on arrays, then the backward of a convolution
from three operations that minigan already has:

    dL/dx = conv_transpose2d(g, w)          (the transposed convolution: "matrix product, col2im")
    dL/dw = conv2d_grad_weight(x, g)        (a convolution of x with g)
    dL/db = g summed over N, H and W
"""

import numpy as np

import minigan.functional as F
from minigan import Function
from minigan.kernels import conv as kernels
from minigan.kernels.im2col import im2col  # noqa: F401 (given: the forward whose adjoint you write)


def col2im(cols, x_shape, stride, padding, dilation):
    """The adjoint of ``im2col``: patches summed back into an image, on NumPy arrays.

    ``im2col(x, (kh, kw), stride, padding, dilation)`` turns x (N, C, H, W) into the patch array

        cols[n, i, j, p, q, c] = x_pad[n, c, i*sh + p*dh, j*sw + q*dw]  (N, OH, OW, kh, kw, C)

    where x_pad is x with ph zero rows above and below and pw zero columns on each side. col2im
    goes the other way: it *adds* every entry of ``cols`` into the position of x_pad it was read
    from (where patches overlap, several entries land on one position and add up), then cuts
    the padding off. ``x_shape`` is (N, C, H, W); ``stride``, ``padding`` and ``dilation`` are
    (height, width) pairs. Returns an array of shape x_shape.

    Being the adjoint means <im2col(x), c> = <x, col2im(c)> for every x and c: the gradient of
    a sum of patch values is how often each input value was copied, weighted.

    Hint: loop over the kernel offsets (p, q). For one offset, the output positions i = 0..OH-1
    read the rows p*dh, p*dh + sh, ..., a strided slice; so
    ``x_pad[:, :, p*dh : p*dh + sh*(OH-1) + 1 : sh, q*dw : ... : sw] += cols[:, :, :, p, q, :]``
    with the channel axis moved to where x_pad has it (``.transpose(0, 3, 1, 2)``). Start from
    ``np.zeros`` of the padded shape, with the dtype of cols.
    """
    # BEGIN SOLUTION
    n, oh, ow, kh, kw, c = cols.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x_pad = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            columns = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            x_pad[:, :, rows, columns] += cols[:, :, :, p, q, :].transpose(0, 3, 1, 2)
    return x_pad[:, :, ph:ph + h, pw:pw + w]
    # END SOLUTION


class Conv2d(Function):
    """y = conv2d(x, w) + b, with stride, padding and dilation: its backward.

    Called as ``Conv2d.apply(x, w, b, stride, padding, dilation)``: x (N, C, H, W), w
    (O, C, kh, kw), b (O,) or None, and three (height, width) pairs; y is (N, O, OH, OW) with
    OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1 (likewise OW). Given g = dL/dy:

        dL/dx = conv_transpose2d(g, w, stride, padding, output_padding, dilation)
        dL/dw = conv2d_grad_weight(x, g, (kh, kw), stride, padding, dilation)
        dL/db = g.sum(dim=(0, 2, 3))

    The input gradient is the transposed convolution: every g[n, o, i, j] spreads
    w[o, :, :, :] * g[n, o, i, j] back over the patch it came from, which is col2im of the
    product of g with the weights. With a stride > 1 several input sizes H give the same
    output size, and conv_transpose2d has to be told which: ``output_padding`` = H minus the
    size it would produce without it, (OH - 1) sh - 2 ph + dh (kh - 1) + 1 (likewise for W).

    Hint: ``x, w, b, stride, padding, dilation = ctx.inputs``; ``F.conv_transpose2d``,
    ``F.conv2d_grad_weight`` and ``.sum`` are differentiable Tensor operations, so the
    gradients you return can be differentiated again. A dx one row or column short of x needs
    the right ``output_padding``. Return None for an input whose ``ctx.needs_input_grad`` entry
    is False, and for the three pairs.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        return kernels.conv2d(x, w, b, stride, padding, dilation)

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        x, w, b, stride, padding, dilation = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g = grad_output
        kernel = w.shape[2:]
        grad_x = grad_w = grad_b = None
        if need_x:
            output_padding = tuple(
                size - ((g_size - 1) * s - 2 * p + d * (k - 1) + 1) for size, g_size, k, s, p, d
                in zip(x.shape[2:], g.shape[2:], kernel, stride, padding, dilation))
            grad_x = F.conv_transpose2d(g, w, None, stride, padding, output_padding,
                                        dilation=dilation)
        if need_w:
            grad_w = F.conv2d_grad_weight(x, g, kernel, stride, padding, dilation)
        if need_b:
            grad_b = g.sum(dim=(0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None
        # END SOLUTION
