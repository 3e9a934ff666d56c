"""Elementwise functions of one or two tensors, each with its derivative beside it.

Where a derivative is a function of the *output* (exp, tanh, sigmoid, sqrt), backward reads
``ctx.output`` rather than recomputing it. Where it is piecewise constant (relu, abs, clamp),
forward saves the 0/1 mask as a constant: its own derivative is zero almost everywhere, which is
why gradient checks keep inputs away from the kinks.
"""

from ..autograd.function import Function
from ..kernels import stable
from .shape import Broadcasting, sum_to


class Exp(Function):
    """y = e^x;  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.exp(x)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output


class Log(Function):
    """y = log x (natural);  dy/dx = 1 / x."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g / x


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sqrt(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0.5 / ctx.output


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(ctx.xp.sign(x))
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (sign,) = ctx.saved_tensors
        return g * sign


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.tanh(x)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * (1 - y * y)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        return stable.sigmoid(ctx.xp, x)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * y * (1 - y)


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta;  dy/dx = sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, x, beta):
        return stable.softplus(ctx.xp, beta * x) / beta

    @staticmethod
    def backward(ctx, g):
        x, beta = ctx.inputs
        return g * sigmoid(x * beta), None


class LogSigmoid(Function):
    """y = log sigmoid(x) = -softplus(-x);  dy/dx = sigmoid(-x) = 1 - sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        return -stable.softplus(ctx.xp, -x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * sigmoid(-x)


class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        # The mask stays boolean: g * mask casts it to 1.0 or 0.0 inside the multiply, the same
        # values as a float mask, without a pass to convert it and at a quarter of the memory.
        ctx.save_for_backward(x > 0)
        return ctx.xp.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask


class LeakyRelu(Function):
    """y = x where x > 0, else slope * x;  dy/dx = 1 or slope."""

    @staticmethod
    def forward(ctx, x, slope):
        positive = x > 0
        # the derivative 1 or slope, as (positive) * (1 - slope) + slope: a multiply and an
        # add in x's dtype run several times faster than where() with two scalars
        derivative = positive.astype(x.dtype)
        derivative *= 1 - slope
        derivative += slope
        ctx.save_for_backward(derivative)
        if 0 <= slope <= 1:
            return ctx.xp.maximum(x, slope * x)  # one pass, several times faster than where()
        return ctx.xp.where(positive, x, slope * x)

    @staticmethod
    def backward(ctx, g):
        (slope_mask,) = ctx.saved_tensors
        return g * slope_mask, None


class Clamp(Function):
    """y = min(max(x, lo), hi);  dy/dx = 1 where lo <= x <= hi, else 0 (PyTorch's convention)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = ctx.xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside.astype(x.dtype))
        return ctx.xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return g * inside, None, None


class Maximum(Broadcasting):
    """y = max(a, b) elementwise; the gradient goes to the larger, split evenly on ties."""

    @staticmethod
    def forward(ctx, a, b):
        y = ctx.xp.maximum(a, b)
        ctx.save_for_backward(((a > b) + 0.5 * (a == b)).astype(y.dtype))
        return y

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        (share_a,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * share_a, a.shape) if need_a else None,
                sum_to(g * (1 - share_a), b.shape) if need_b else None)


class Where(Broadcasting):
    """y = a where cond, else b;  the gradient goes to whichever was picked."""

    @staticmethod
    def forward(ctx, cond, a, b):
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond, a, b = ctx.inputs
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                sum_to(where(cond, g, 0.0), a.shape) if need_a else None,
                sum_to(where(cond, 0.0, g), b.shape) if need_b else None)


def exp(x):
    """e^x."""
    return Exp.apply(x)


def log(x):
    """Natural logarithm."""
    return Log.apply(x)


def sqrt(x):
    """Square root."""
    return Sqrt.apply(x)


def abs(x):
    """|x|."""
    return Abs.apply(x)


def tanh(x):
    """Hyperbolic tangent, in (-1, 1)."""
    return Tanh.apply(x)


def sigmoid(x):
    """The logistic function 1 / (1 + e^-x), in (0, 1), computed without overflow."""
    return Sigmoid.apply(x)


def softplus(x, beta=1.0):
    """log(1 + e^(beta x)) / beta, a smooth relu, finite for every finite x."""
    return Softplus.apply(x, beta)


def logsigmoid(x):
    """log(sigmoid(x)), computed without taking the log of a rounded-to-zero sigmoid."""
    return LogSigmoid.apply(x)


def relu(x):
    """max(x, 0)."""
    return Relu.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise (DCGAN's discriminator uses 0.2)."""
    return LeakyRelu.apply(x, negative_slope)


def clamp(x, min=None, max=None):
    """Limit x to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return Clamp.apply(x, min, max)


def maximum(a, b):
    """Elementwise max of a and b, broadcast."""
    return Maximum.apply(a, b)


def minimum(a, b):
    """Elementwise min of a and b, broadcast: min(a, b) = -max(-a, -b)."""
    return -Maximum.apply(-a, -b)


def where(cond, a, b):
    """Elementwise ``a if cond else b``, broadcast; ``cond`` is a boolean tensor or array."""
    return Where.apply(cond, a, b)
