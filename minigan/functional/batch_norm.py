"""Batch normalisation: standardise each channel, then scale and shift it.

For an input of shape (N, C) or (N, C, H, W) (any (N, C, *spatial)), channel c becomes

    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c          (weight 1, bias 0 if None).

``training=True``: mean and var are the batch's own, over N and the spatial dimensions, with the
*biased* variance. Gradients flow through them too (DCGAN's batch norm is what couples the
images of a batch). ``running_mean`` and ``running_var``, when given, are updated in place:
running <- (1 - momentum) * running + momentum * batch, the variance *unbiased* (x M / (M - 1)
for M values per channel). The forward and the closed-form backward are one kernel each
(:mod:`minigan.kernels.batch_norm`).

``training=False``: the running statistics are used and are constants, so y is an affine map
of x per channel, written with Tensor operations (which give every derivative).

The arguments and their order are PyTorch's ``torch.nn.functional.batch_norm``.
"""

from .. import backend
from .._checks import check_floating, check_real
from ..autograd import grad_mode
from ..autograd.function import Function
from ..kernels import batch_norm as kernel
from .pointwise import sqrt
from .shape import reshape


class BatchNorm(Function):
    """Training mode: y = xhat * weight + bias, xhat = (x - mean) * invstd from the batch.

    Backward is the closed form dL/dx = weight * invstd / M * (M g - sum g - xhat sum(g xhat)).
    For a first derivative the kernel evaluates it on the arrays forward saved. Under
    ``create_graph`` the same formula is written with Tensor operations, with xhat and invstd
    recomputed from x, so that it is a differentiable function of x, weight and g.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        y, centred, mean, var, invstd = kernel.forward(ctx.xp, x, weight, bias, eps)
        if running_mean is not None:
            count = x.size // x.shape[1]
            kernel.update_running_stats(running_mean, running_var, mean, var, count, momentum)
        ctx.save_for_backward(centred, invstd)
        return y

    @staticmethod
    def backward(ctx, g):
        from ..tensor import Tensor

        x, weight, _, _, _, _, eps = ctx.inputs
        if grad_mode.is_grad_enabled():
            grads = _differentiable_backward(g, x, weight, eps)
        else:
            centred, invstd = (t.data for t in ctx.saved_tensors)
            arrays = kernel.backward(ctx.xp, g.data, centred, invstd,
                                     None if weight is None else weight.data)
            grads = tuple(Tensor._from_op(a, None) for a in arrays)
        return tuple(grad if need else None
                     for grad, need in zip(grads, ctx.needs_input_grad)) + (None,) * 4


def _channel_shape(x):
    """(C, 1, ..., 1): a per-channel vector shaped to broadcast against x (N, C, *spatial)."""
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def _differentiable_backward(g, x, weight, eps):
    """(dL/dx, dL/dweight, dL/dbias) as Tensor functions of g, x and weight."""
    dims = (0,) + tuple(range(2, x.ndim))
    centred = x - x.mean(dims, keepdim=True)
    invstd = 1 / sqrt((centred * centred).mean(dims, keepdim=True) + eps)
    xhat = centred * invstd
    g_scaled = g if weight is None else g * reshape(weight, _channel_shape(x))
    grad_x = invstd * (g_scaled - g_scaled.mean(dims, keepdim=True)
                       - xhat * (g_scaled * xhat).mean(dims, keepdim=True))
    return grad_x, (g * xhat).sum(dims), g.sum(dims)


def _with_running_stats(x, running_mean, running_var, weight, bias, eps):
    """Eval mode: y = x * scale + shift, scale = weight / sqrt(running_var + eps) and
    shift = bias - running_mean * scale, per channel."""
    invstd = (1 / x.xp.sqrt(running_var + eps)).astype(x.dtype, copy=False)
    scale = invstd if weight is None else weight * invstd
    shift = -running_mean.astype(x.dtype, copy=False) * scale
    if bias is not None:
        shift = shift + bias
    shape = _channel_shape(x)
    return x * reshape(scale, shape) + reshape(shift, shape)


def _per_channel(name, value, input, is_parameter):
    """Check a per-channel argument: None, or a Tensor/array of shape (C,) on input's device.

    Parameters (weight, bias) come back as Tensors with input's dtype; running statistics as
    their arrays, which the training forward updates in place.
    """
    from ..tensor import Tensor

    if value is None:
        return None
    if not (isinstance(value, Tensor) or backend.is_array(value)):
        raise TypeError(f"batch_norm: {name} must be a Tensor, an array or None, got "
                        f"{type(value).__name__}")
    channels = input.shape[1]
    if value.shape != (channels,):
        raise ValueError(f"batch_norm: {name} must have shape (C,) = ({channels},) for input of "
                         f"shape {input.shape}, got {value.shape}")
    check_floating(value, name, "batch_norm")
    device = value.device if isinstance(value, Tensor) else backend.device_of(value)
    if device != input.device:
        raise backend.DeviceError(f"batch_norm: {name} is on '{device}' but input is on "
                                  f"'{input.device}'; move it with .to(device)")
    if not is_parameter:
        return value.data if isinstance(value, Tensor) else value
    if value.dtype != input.dtype:
        raise TypeError(f"batch_norm: {name} is {value.dtype} but input is {input.dtype}; "
                        "they must match")
    return value if isinstance(value, Tensor) else Tensor(value)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of ``input`` (N, C, *spatial) over all dimensions but C.

    ``running_mean``, ``running_var``, ``weight``, ``bias``: None or shape (C,). In training the
    batch statistics normalise and the running ones, if given, are updated in place; in
    evaluation (``training=False``) the running ones are required and normalise.
    """
    from ..tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must have shape (N, C) or (N, C, *spatial) such as "
                         f"(N, C, H, W), got {input.shape}")
    check_floating(input, "input", "batch_norm")
    for name, number in (("momentum", momentum), ("eps", eps)):
        check_real(number, name, "batch_norm")
    running_mean = _per_channel("running_mean", running_mean, input, is_parameter=False)
    running_var = _per_channel("running_var", running_var, input, is_parameter=False)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: running_mean and running_var must be given together "
                         "(or both be None)")
    weight = _per_channel("weight", weight, input, is_parameter=True)
    bias = _per_channel("bias", bias, input, is_parameter=True)
    if not training:
        if running_mean is None:
            raise ValueError("batch_norm: training=False normalises with running_mean and "
                             "running_var, which were not given")
        return _with_running_stats(input, running_mean, running_var, weight, bias, eps)
    if input.numel() // max(input.shape[1], 1) < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel to "
                         f"compute a variance, got input of shape {input.shape}")
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, float(momentum),
                           float(eps))
