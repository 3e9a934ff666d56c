"""Weight initialisation: fill a tensor in place with draws whose scale keeps signals alive.

Why the scale matters: a layer computes y_i = sum_j W_ij x_j over ``fan_in`` inputs, so with
independent zero-mean weights Var(y) = fan_in * Var(W) * E[x^2]. Keeping Var(y) close to Var(x)
layer after layer (neither exploding nor vanishing) asks for Var(W) ~ 1 / fan_in:

- Xavier / Glorot: Var(W) = gain^2 * 2 / (fan_in + fan_out), a compromise between the forward
  pass (fan_in) and the backward pass (fan_out);
- Kaiming / He: Var(W) = gain^2 / fan (``mode`` picks fan_in or fan_out), where the gain
  undoes what the nonlinearity does to E[x^2] (sqrt(2) for ReLU, which zeroes half of it).

A uniform distribution on [-b, b] has variance b^2 / 3, so its bound is b = sqrt(3) * std.

Every function takes ``generator=`` (a :class:`minigan.random.Generator`; the default one when
left out): the draws are made by NumPy on the CPU, so a seed gives the same weights on "cpu"
and "cuda", in float32 and float64 alike (up to rounding).
"""

import math

import numpy as np

from .. import backend, random
from .._checks import check_choice, check_non_negative, check_real
from ..autograd import no_grad
from ..tensor import Tensor

_GAINS = {"linear": 1.0, "identity": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
          "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
          "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 0.75}


def _check_tensor(tensor, caller):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{caller}: tensor must be a minigan Tensor, got {type(tensor).__name__}")


def _fill(tensor, sample, generator, caller):
    """Overwrite ``tensor``'s values with ``sample(numpy_generator, shape)``; returns tensor."""
    _check_tensor(tensor, caller)
    gen = random.default_generator if generator is None else generator
    values = np.asarray(sample(gen.numpy, tensor.shape), dtype=tensor.dtype)
    with no_grad():  # an in-place write, counted in tensor._version
        return tensor.copy_(backend.to_device(values, tensor.device))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from the uniform distribution on [a, b)."""
    if not a <= b:
        raise ValueError(f"uniform_: needs a <= b, got a={a}, b={b}")
    return _fill(tensor, lambda g, s: g.uniform(a, b, s), generator, "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from the normal distribution N(mean, std^2)."""
    check_non_negative(std, "std", "normal_")
    return _fill(tensor, lambda g, s: g.normal(mean, std, s), generator, "normal_")


def constant_(tensor, val):
    """Fill with ``val``."""
    _check_tensor(tensor, "constant_")
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1.0)


def calculate_gain(nonlinearity, param=None):
    """The factor by which ``nonlinearity`` should scale a weight's standard deviation.

    sqrt(2) for relu; sqrt(2 / (1 + a^2)) for leaky_relu with negative slope ``param`` = a
    (0.01 when left out); 5/3 for tanh; 1 for linear layers and sigmoid; 3/4 for selu.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        check_real(slope, "param (the negative slope)", "calculate_gain")
        return math.sqrt(2.0 / (1 + slope ** 2))
    check_choice(nonlinearity, "nonlinearity", [*sorted(_GAINS), "leaky_relu"], "calculate_gain")
    return _GAINS[nonlinearity]


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight, as PyTorch computes them.

    For a weight of shape (d0, d1, *kernel): fan_in = d1 * prod(kernel), fan_out = d0 *
    prod(kernel). That is right for Linear (out, in) and Conv2d (out, in, kh, kw). A transposed
    convolution stores its weight as (in, out, kh, kw), so this rule gives it the fan of the
    *output* side; PyTorch does the same, and so do we, so that both libraries start from the
    same distribution.
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got "
                         f"shape {tuple(tensor.shape)}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _kaiming_std(tensor, a, mode, nonlinearity):
    check_choice(mode, "mode", ("fan_in", "fan_out"), "kaiming init")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"kaiming init: a weight of shape {tuple(tensor.shape)} has {mode} 0")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He init, uniform: U(-b, b) with b = sqrt(3) * gain / sqrt(fan); ``a`` is the negative
    slope of a following leaky_relu."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He init, normal: N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def _xavier_std(tensor, gain):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot init, uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot init, normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    return normal_(tensor, 0.0, _xavier_std(tensor, gain), generator)


def default_init_(weight, bias=None, generator=None):
    """What Linear and Conv layers start from, as in PyTorch: kaiming_uniform_ with a = sqrt(5),
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the same bound for the bias."""
    kaiming_uniform_(weight, a=math.sqrt(5.0), generator=generator)
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, generator)
    return weight


def dcgan_init_(model, generator=None):
    """The DCGAN paper's initialisation, in place over every layer of ``model``: weights of
    Linear, Conv2d and ConvTranspose2d layers ~ N(0, 0.02^2), batch-norm scales ~ N(1, 0.02^2),
    every bias 0. Layers are visited in ``model.modules()`` order; returns model.
    """
    # Imported here: the layer modules import this one for their default initialisation.
    from .conv import Conv2d, ConvTranspose2d
    from .linear import Linear
    from .normalization import _BatchNorm

    for module in model.modules():
        if isinstance(module, (Linear, Conv2d, ConvTranspose2d)):
            normal_(module.weight, 0.0, 0.02, generator)
        elif isinstance(module, _BatchNorm) and module.weight is not None:
            normal_(module.weight, 1.0, 0.02, generator)
        else:
            continue
        if module.bias is not None:
            zeros_(module.bias)
    return model
