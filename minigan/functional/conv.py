"""Convolution and transposed convolution, differentiable to any order.

A convolution y = conv2d(x, w) is *bilinear*: linear in x for fixed w, linear in w for fixed x.
So both of its gradients are linear maps again, and each is a convolution of some kind:

    y  = conv2d(x, w)                  dL/dx = conv_transpose2d(g, w)    dL/dw = W(x, g)
    y  = conv_transpose2d(x, w)        dL/dx = conv2d(g, w)              dL/dw = W(g, x)
    gw = W(x, g)   (cotangent G)       dL/dx = conv_transpose2d(g, G)    dL/dg = conv2d(x, G)

where g is the gradient of the output and W(x, g) = ``conv2d_grad_weight`` is the weight
gradient of conv2d(x, .), dw[o, c, p, q] = sum over n, i, j of g[n, o, i, j] x_pad[n, c, i s + p d,
j s + q d]. Each line uses only the three operations, with the same stride, padding and
dilation, so the three Functions below close under differentiation: second derivatives (a
gradient penalty) and third ones come for free. A bias adds b[o] everywhere; its gradient is
g summed over N, H and W.

Sizes. With stride s > 1, several input sizes give one output size, so a gradient has to be
told the size to produce: conv_transpose2d picks it with ``output_padding`` (computed here from
the shape of x), and a conv2d that yields more positions than the gradient needs is cropped.

Patches. Outside the matrix products, im2col is a large part of a convolution's time, so the
backward of ConvTranspose2d builds the patches of g once for both of its gradients (the
``cols`` argument: im2col of the first input, or None). Conv2d does not keep the patches of x
from its forward for its weight gradient: they are 4 times the input for k4 s2, held from
forward to backward, and the memory costs more than the second im2col.

The public functions check their arguments and take PyTorch's (N, C, H, W) tensors, or
unbatched (C, H, W) ones; the arithmetic is in :mod:`minigan.kernels.conv`.
"""

from typing import NamedTuple

from .. import backend
from .._checks import check_floating, pair
from ..autograd.function import Function
from ..kernels import conv as kernels
from ..kernels.im2col import conv_output_size, im2col, transposed_output_size
from .shape import squeeze, unsqueeze


class Geometry(NamedTuple):
    """How a kernel moves over its input: three (height, width) pairs."""

    stride: tuple
    padding: tuple
    dilation: tuple


class Conv2d(Function):
    """y = conv2d(x, w) + b.  x (N, C, H, W), w (O, C, kh, kw), b (O,) or None -> (N, O, OH, OW).

    dL/dx = conv_transpose2d(g, w);  dL/dw = conv2d_grad_weight(x, g);  dL/db = sum of g.
    ``cols`` is im2col(x) when the caller has built it already, else None.
    """

    @staticmethod
    def forward(ctx, x, w, b, geometry, cols):
        return kernels.conv2d(x, w, b, *geometry, cols=cols)

    @staticmethod
    def backward(ctx, g):
        x, w, b, geometry, _ = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return (_conv2d_input_grad(g, w, geometry, x.shape) if need_x else None,
                Conv2dGradWeight.apply(x, g, geometry, w.shape[2:], None) if need_w else None,
                g.sum(dim=(0, 2, 3)) if need_b else None,
                None, None)


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, w) + b.  x (N, C, H, W), w (C, O, kh, kw) -> (N, O, OH, OW).

    dL/dx = conv2d(g, w) (cropped to x's size);  dL/dw = conv2d_grad_weight(g, x);
    dL/db = sum of g. ``output_padding`` is not limited here: gradients ask for any size.
    """

    @staticmethod
    def forward(ctx, x, w, b, geometry, output_padding):
        stride, padding, dilation = geometry
        return kernels.conv_transpose2d(x, w, b, stride, padding, output_padding, dilation)

    @staticmethod
    def backward(ctx, g):
        x, w, b, geometry, _ = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        # Both gradients read the patches of g: build them once.
        cols = im2col(g.data, w.shape[2:], *geometry) if need_x and need_w else None
        return (_crop(Conv2d.apply(g, w, None, geometry, cols), x.shape) if need_x else None,
                Conv2dGradWeight.apply(g, x, geometry, w.shape[2:], cols) if need_w else None,
                g.sum(dim=(0, 2, 3)) if need_b else None,
                None, None)


class Conv2dGradWeight(Function):
    """dw = conv2d_grad_weight(x, g): the weight gradient of conv2d(x, .) given g = dL/dy.

    x (N, C, H, W), g (N, O, OH, OW) -> (O, C, kh, kw). With cotangent G of the result:
    dL/dx = conv_transpose2d(g, G);  dL/dg = conv2d(x, G) (cropped to g's size). ``cols`` is
    im2col(x) when the caller has built it already, else None.
    """

    @staticmethod
    def forward(ctx, x, g, geometry, kernel_size, cols):
        return kernels.conv2d_grad_weight(x, g, kernel_size, *geometry, cols=cols)

    @staticmethod
    def backward(ctx, gg):
        x, g, geometry, _, _ = ctx.inputs
        need_x, need_g = ctx.needs_input_grad[:2]
        return (_conv2d_input_grad(g, gg, geometry, x.shape) if need_x else None,
                _crop(Conv2d.apply(x, gg, None, geometry, None), g.shape) if need_g else None,
                None, None, None)


def _conv2d_input_grad(g, w, geometry, x_shape):
    """dL/dx for y = conv2d(x, w), given g = dL/dy: conv_transpose2d(g, w), with the
    output_padding that makes it exactly x's size."""
    stride, padding, dilation = geometry
    output_padding = tuple(
        size - transposed_output_size(g_size, k, s, p, 0, d) for size, g_size, k, s, p, d in
        zip(x_shape[2:], g.shape[2:], w.shape[2:], stride, padding, dilation))
    return ConvTranspose2d.apply(g, w, None, geometry, output_padding)


def _crop(t, shape):
    """The first shape[2:] rows and columns of t: positions past them got no gradient."""
    if t.shape[2:] == tuple(shape[2:]):
        return t
    return t[:, :, :shape[2], :shape[3]]


# -- argument checks: every mistake is reported in terms of the argument the caller passed ---


def _geometry(op, stride, padding, dilation):
    return Geometry(pair(stride, "stride", op, minimum=1), pair(padding, "padding", op),
                    pair(dilation, "dilation", op, minimum=1))


def _as_tensor(op, name, value):
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        return value
    if backend.is_array(value):
        return Tensor(value)
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")


def _check_operands(op, input, weight, bias, groups, out_axis):
    """Check shapes, dtypes and channel counts; ``out_axis`` is the weight axis of the output
    channels (0 for conv2d's (O, C, kh, kw), 1 for conv_transpose2d's (C, O, kh, kw))."""
    if groups != 1:
        raise ValueError(f"{op}: only groups=1 is supported, got groups={groups!r}")
    input, weight = _as_tensor(op, "input", input), _as_tensor(op, "weight", weight)
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape "
                         f"{input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D, got shape {weight.shape}")
    check_floating(input, "input", op)
    if 0 in input.shape[-3:] or 0 in weight.shape:
        raise ValueError(f"{op}: input {input.shape} and weight {weight.shape} must have no "
                         "zero-size dimension (only the batch may be empty)")
    in_axis = 1 - out_axis
    if input.shape[-3] != weight.shape[in_axis]:
        raise ValueError(f"{op}: input has {input.shape[-3]} channels but weight of shape "
                         f"{weight.shape} expects {weight.shape[in_axis]} (its axis {in_axis})")
    tensors = {"weight": weight}
    if bias is not None:
        bias = tensors["bias"] = _as_tensor(op, "bias", bias)
        if bias.shape != (weight.shape[out_axis],):
            raise ValueError(f"{op}: bias must have shape ({weight.shape[out_axis]},), one value "
                             f"per output channel, got {bias.shape}")
    for name, t in tensors.items():
        if t.dtype != input.dtype:
            raise TypeError(f"{op}: {name} is {t.dtype} but input is {input.dtype}; convert one "
                            "with .to(dtype=...)")
    return input, weight, bias


def _batched(fn, input, *args):
    """Run fn on a 4-D input; a 3-D (unbatched) input becomes a batch of one and back."""
    if input.ndim == 4:
        return fn(input, *args)
    return squeeze(fn(unsqueeze(input, 0), *args), 0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in PyTorch), differentiable to any order.

        y[n, o, i, j] = bias[o] + sum over c, p, q of
                        weight[o, c, p, q] * x_pad[n, c, i*sh + p*dh, j*sw + q*dw]

    input (N, C, H, W) or (C, H, W); weight (O, C, kh, kw); bias (O,) or None. ``stride``,
    ``padding`` (zeros on both sides) and ``dilation`` are ints or (height, width) pairs. The
    output has OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1 rows (and likewise OW).
    """
    op = "conv2d"
    input, weight, bias = _check_operands(op, input, weight, bias, groups, out_axis=0)
    geometry = _geometry(op, stride, padding, dilation)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(weight.shape[2:], geometry.dilation))
    padded = tuple(n + 2 * p for n, p in zip(input.shape[-2:], geometry.padding))
    if spans[0] > padded[0] or spans[1] > padded[1]:
        raise ValueError(f"{op}: the kernel of weight ({weight.shape[2]}x{weight.shape[3]}, "
                         f"dilation {geometry.dilation}) spans {spans[0]}x{spans[1]}, more than "
                         f"the padded input ({padded[0]}x{padded[1]})")
    return _batched(Conv2d.apply, input, weight, bias, geometry, None)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution: the input gradient of conv2d, as an operation of its own.

    Each input value input[n, c, i, j] spreads weight[c, :, :, :] times itself over the output,
    placed at rows i*sh + p*dh - ph and columns j*sw + q*dw - pw; overlaps add up.

    input (N, C, H, W) or (C, H, W); weight (C, O, kh, kw) (PyTorch's order: input channels
    first); bias (O,) or None. Output rows: (H - 1) sh - 2 ph + dh (kh - 1) + output_padding + 1
    (and likewise columns); ``output_padding`` (< stride or < dilation) picks the size among
    those that a conv2d with the same settings maps to H.
    """
    op = "conv_transpose2d"
    input, weight, bias = _check_operands(op, input, weight, bias, groups, out_axis=1)
    geometry = _geometry(op, stride, padding, dilation)
    output_padding = pair(output_padding, "output_padding", op)
    if any(o >= max(s, d) for o, s, d in zip(output_padding, geometry.stride, geometry.dilation)):
        raise ValueError(f"{op}: output_padding must be smaller than stride or dilation in each "
                         f"dimension, got output_padding={output_padding} with stride="
                         f"{geometry.stride}, dilation={geometry.dilation}")
    size = tuple(transposed_output_size(*args) for args in zip(
        input.shape[-2:], weight.shape[2:], geometry.stride, geometry.padding, output_padding,
        geometry.dilation))
    if min(size) < 1:
        raise ValueError(f"{op}: the output would have size {size[0]}x{size[1]}; padding="
                         f"{geometry.padding} is too large for this input and kernel")
    return _batched(ConvTranspose2d.apply, input, weight, bias, geometry, output_padding)


def conv2d_grad_weight(input, grad_output, kernel_size, stride=1, padding=0, dilation=1):
    """The weight gradient of conv2d(input, w) given grad_output = dL/dy (differentiable).

    Shapes: input (N, C, H, W), grad_output (N, O, OH, OW) -> (O, C, kh, kw), with
    ``kernel_size`` (kh, kw) (an int or a pair; stride > 1 leaves it ambiguous otherwise).
    """
    op = "conv2d_grad_weight"
    input, grad_output = _as_tensor(op, "input", input), _as_tensor(op, "grad_output",
                                                                     grad_output)
    geometry = _geometry(op, stride, padding, dilation)
    kernel_size = pair(kernel_size, "kernel_size", op, minimum=1)
    if input.ndim != 4 or grad_output.ndim != 4 or input.shape[0] != grad_output.shape[0]:
        raise ValueError(f"{op}: input and grad_output must be 4-D with one batch size, got "
                         f"{input.shape} and {grad_output.shape}")
    expected = tuple(conv_output_size(*args) for args in zip(
        input.shape[2:], kernel_size, *geometry))
    if grad_output.shape[2:] != expected:
        raise ValueError(f"{op}: grad_output has spatial size {grad_output.shape[2:]}, but a "
                         f"convolution of this input gives {expected}")
    if grad_output.dtype != input.dtype:
        raise TypeError(f"{op}: grad_output is {grad_output.dtype} but input is {input.dtype}")
    return Conv2dGradWeight.apply(input, grad_output, geometry, kernel_size, None)
