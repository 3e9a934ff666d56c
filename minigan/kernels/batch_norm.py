"""Batch normalisation in training mode as array math: statistics, output, closed-form gradient.

Every channel c of an input x of shape (N, C, *spatial) is normalised by the statistics of its
M = N * prod(spatial) values in the batch:

    mean = sum(x) / M,    var = sum((x - mean)^2) / M  (biased),    invstd = 1 / sqrt(var + eps),
    xhat = (x - mean) * invstd,    y = weight * xhat + bias.

Given g = dL/dy, the whole chain through mean and var collapses into one closed form:

    dL/dx = weight * invstd / M * (M g - sum(g) - xhat * sum(g xhat)),
    dL/dweight = sum(g xhat),    dL/dbias = sum(g),

where the sums run over a channel's M values. Here ``x - mean`` (the *centred* input) is kept
instead of xhat, and invstd is applied to per-channel sums rather than to every element: one
pass over the data fewer in each direction.

The arrays are viewed as (N, C, L) with L = prod(spatial) (L = 1 for an (N, C) input): a channel
sum is a sum over N first (contiguous rows of C * L values, fast for every L) and over the short
L axis last; NumPy's sum over axes (0, 2) at once is ten times slower when L is 16.
"""


def _channel_view(x):
    """x of shape (N, C, *spatial) as (N, C, L)."""
    return x.reshape(x.shape[0], x.shape[1], -1)


def _channel_sum(x3):
    """sum over N and L of an (N, C, L) array: shape (C,)."""
    return x3.sum(axis=0).sum(axis=1)


def _channel_dot(xp, a3, b3):
    """sum over N and L of a3 * b3 without the product array: shape (C,)."""
    return xp.einsum("ncl,ncl->c", a3, b3)


def forward(xp, x, weight, bias, eps):
    """Normalise x with its batch statistics. Returns (y, centred, mean, var, invstd).

    ``centred`` (x - mean, shape (N, C, L)) and ``invstd`` (shape (C,)) are what ``backward``
    needs; ``mean`` and the biased ``var`` (shape (C,)) feed the running statistics.
    """
    x3 = _channel_view(x)
    count = x3.shape[0] * x3.shape[2]
    mean = _channel_sum(x3) / count
    centred = x3 - mean[:, None]
    var = _channel_dot(xp, centred, centred) / count
    invstd = 1 / xp.sqrt(var + eps)
    scale = invstd if weight is None else weight * invstd
    y = centred * scale[:, None]
    if bias is not None:
        y += bias[:, None]
    return y.reshape(x.shape), centred, mean, var, invstd


def backward(xp, grad, centred, invstd, weight):
    """The closed-form gradients (dL/dx, dL/dweight, dL/dbias) given g = ``grad``."""
    g3 = _channel_view(grad)
    count = g3.shape[0] * g3.shape[2]
    sum_g = _channel_sum(g3)
    sum_g_xhat = _channel_dot(xp, g3, centred) * invstd
    # dx = scale * (g - sum(g) / M - xhat * sum(g xhat) / M), built in place in one buffer
    dx = centred * (invstd * sum_g_xhat / count)[:, None]
    xp.subtract(g3, dx, out=dx)
    dx -= (sum_g / count)[:, None]
    dx *= (invstd if weight is None else weight * invstd)[:, None]
    return dx.reshape(grad.shape), sum_g_xhat, sum_g


def update_running_stats(running_mean, running_var, mean, var, count, momentum):
    """running <- (1 - momentum) running + momentum batch, in place on the given arrays.

    The running variance averages the *unbiased* batch variance var * M / (M - 1), as PyTorch's
    does, although the batch itself was normalised with the biased one.
    """
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += (momentum * count / (count - 1)) * var
