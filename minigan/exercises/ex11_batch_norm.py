"""Exercise 11: batch normalisation's backward, in closed form.

Tutorial: tutorials/09_dcgan_mnist.py (DCGAN's blocks are convolution, batch norm, activation)

In training mode, batch norm standardises each channel c with the statistics of the batch, over
the M = N * H * W values of that channel (M = N for an (N, C) input):

    mean = sum(x) / M,   var = sum((x - mean)^2) / M,   invstd = 1 / sqrt(var + eps),
    xhat = (x - mean) * invstd,   y = weight * xhat + bias.

Every x of a channel moves that channel's mean and var, so dL/dx has three paths: directly
through xhat, through the mean and through the variance. Summed, with g = dL/dy and the sums
over a channel's M values, they collapse into one closed form:

    dL/dx = weight * invstd / M * (M g - sum(g) - xhat * sum(g * xhat)),
    dL/dweight = sum(g * xhat),    dL/dbias = sum(g).

(The gradient is orthogonal to the directions that only shift or scale a channel, which the
normalisation removes: sum(dL/dx) = 0 and sum(dL/dx * xhat) = 0 per channel.)
"""

from minigan import Function


class BatchNorm(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias per channel, from the batch's statistics.

    The mean and the biased variance are the batch's own, over every dimension but the channels
    (dimension 1).

    Called as ``BatchNorm.apply(x, weight, bias, eps)``: x (N, C) or (N, C, H, W); weight and
    bias of shape (C,); eps a float. See the module docstring for the backward.

    Hint: ``x, weight, bias, eps = ctx.inputs``; with ``dims = (0,) + tuple(range(2, x.ndim))``
    recompute xhat from x with Tensor operations (``x.mean(dims, keepdim=True)``, ``.sqrt()``)
    so that your gradient can be differentiated again; ``weight.reshape(C, 1, 1)`` (as many 1s
    as spatial dimensions) broadcasts per channel, ``g.sum(dims, keepdim=True)`` is sum(g).
    Return four gradients: dx, dweight and dbias of shape (C,), and None for eps.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        dims = (0,) + tuple(range(2, x.ndim))
        channel = (-1,) + (1,) * (x.ndim - 2)
        centred = x - x.mean(axis=dims, keepdims=True)
        invstd = 1 / ctx.xp.sqrt((centred * centred).mean(axis=dims, keepdims=True) + eps)
        return centred * invstd * weight.reshape(channel) + bias.reshape(channel)

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        x, weight, bias, eps = ctx.inputs
        g = grad_output
        dims = (0,) + tuple(range(2, x.ndim))
        count = x.numel() // x.shape[1]
        centred = x - x.mean(dims, keepdim=True)
        invstd = 1 / ((centred * centred).mean(dims, keepdim=True) + eps).sqrt()
        xhat = centred * invstd
        sum_g = g.sum(dims, keepdim=True)
        sum_g_xhat = (g * xhat).sum(dims, keepdim=True)
        scale = weight.reshape((-1,) + (1,) * (x.ndim - 2)) * invstd / count
        return (scale * (count * g - sum_g - xhat * sum_g_xhat), sum_g_xhat.reshape(-1),
                sum_g.reshape(-1), None)
        # END SOLUTION
