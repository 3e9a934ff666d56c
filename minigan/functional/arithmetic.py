"""The four operations of arithmetic and powers, with NumPy broadcasting.

When forward broadcasts an input (a bias of shape (C,) added to a batch of shape (N, C)), each
of its elements was used many times, so its gradient is the *sum* of the gradients of all its
copies: ``sum_to`` reduces the output-shaped gradient back to the input's shape.
"""

import math

from ..autograd.function import Function
from .shape import Broadcasting, sum_to


class Add(Broadcasting):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.shape) if need_a else None,
                sum_to(g, b.shape) if need_b else None)


class Sub(Broadcasting):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.shape) if need_a else None,
                sum_to(-g, b.shape) if need_b else None)


class Mul(Broadcasting):
    """y = a * b;  dy/da = b, dy/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * b, a.shape) if need_a else None,
                sum_to(g * a, b.shape) if need_b else None)


class Div(Broadcasting):
    """y = a / b;  dy/da = 1 / b, dy/db = -a / b**2 = -y / b."""

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g / b, a.shape) if need_a else None,
                sum_to(-g * ctx.output / b, b.shape) if need_b else None)


class Neg(Function):
    """y = -x;  dy/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Broadcasting):
    """y = a ** b;  dy/da = b * a ** (b - 1), dy/db = y * log(a)."""

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def backward(ctx, g):
        from .pointwise import log

        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        grad_a = None
        if need_a and isinstance(b, (int, float)) and b == 0:
            grad_a = g * 0.0  # a ** 0 is constant; b * a ** (b - 1) would be 0 * inf at a = 0
        elif need_a:
            grad_a = sum_to(g * b * a ** (b - 1), a.shape)
        grad_b = None
        if need_b:
            log_a = math.log(a) if isinstance(a, (int, float)) else log(a)
            grad_b = sum_to(g * ctx.output * log_a, b.shape)
        return grad_a, grad_b


def add(a, b):
    """a + b, broadcast."""
    return Add.apply(a, b)


def sub(a, b):
    """a - b, broadcast."""
    return Sub.apply(a, b)


def mul(a, b):
    """a * b elementwise, broadcast."""
    return Mul.apply(a, b)


def div(a, b):
    """a / b elementwise, broadcast."""
    return Div.apply(a, b)


def neg(x):
    """-x."""
    return Neg.apply(x)


def pow(a, b):
    """a ** b elementwise; either may be a number."""
    return Pow.apply(a, b)
