"""Exercise 1: the backward of four activation functions.

Tutorial: tutorials/02_gradient_checking.py

Each class below is a complete :class:`minigan.Function` except for the body of its
``backward``. For an elementwise y = f(x), the chain rule gives the gradient of the loss L:

    dL/dx = dL/dy * f'(x)          (elementwise; g = dL/dy arrives as ``grad_output``)

so ``backward(ctx, grad_output)`` returns ``grad_output * f'(x)``, a Tensor of x's shape, and
one gradient per argument of ``forward`` (None for an argument that is not a Tensor).

Write it with Tensor operations (``*``, ``-``, ``F.sigmoid``...), never on ``.data``: the
gradient you return is then itself differentiable, which the second-derivative check
(``gradgradcheck``) needs. What backward can read: ``ctx.inputs`` (the arguments of forward,
Tensors as Tensors), ``ctx.output`` (y, as a Tensor), ``ctx.saved_tensors`` (what forward saved
with ``ctx.save_for_backward``, as constant Tensors).
"""

import minigan.functional as F
from minigan import Function


class Tanh(Function):
    """y = tanh x = (e^x - e^-x) / (e^x + e^-x), elementwise (DCGAN's generator output).

    Derivative: dy/dx = 1 - tanh(x)^2 = 1 - y^2.

    Hint: ``ctx.output`` is y; the derivative needs nothing else.
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.tanh(x)

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        y = ctx.output
        return grad_output * (1 - y * y)
        # END SOLUTION


class Sigmoid(Function):
    """y = sigmoid(x) = 1 / (1 + e^-x), elementwise: a logit turned into a probability.

    Derivative: dy/dx = e^-x / (1 + e^-x)^2 = y (1 - y).

    Hint: as for tanh, the derivative is a function of the output ``ctx.output``.
    """

    @staticmethod
    def forward(ctx, x):
        # sigmoid(x) = exp(-softplus(-x)); logaddexp(0, -x) = log(1 + e^-x) is computed
        # without overflow, and exp of a value <= 0 cannot overflow either.
        return ctx.xp.exp(-ctx.xp.logaddexp(0, -x))

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        y = ctx.output
        return grad_output * y * (1 - y)
        # END SOLUTION


class Softplus(Function):
    """y = softplus(x) = log(1 + e^x), elementwise: a smooth relu.

    Derivative: dy/dx = e^x / (1 + e^x) = sigmoid(x).

    Hint: the input is ``ctx.inputs[0]``, and ``F.sigmoid`` is a differentiable Tensor op.
    """

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.logaddexp(0, x)  # log(e^0 + e^x), without overflow for large x

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        (x,) = ctx.inputs
        return grad_output * F.sigmoid(x)
        # END SOLUTION


class LeakyReLU(Function):
    """y = x where x > 0, else negative_slope * x, elementwise (DCGAN's discriminator: 0.2).

    Derivative: dy/dx = 1 where x > 0, else negative_slope (at 0 we pick negative_slope).
    ``negative_slope`` is a Python number, not a Tensor: its gradient is None.

    Hint: forward saved the 0/1 mask of x > 0 with ``ctx.save_for_backward``; read it back with
    ``(positive,) = ctx.saved_tensors``. It is a constant Tensor, which is right: the mask's own
    derivative is zero wherever it is defined. Return two gradients, one per forward argument.
    """

    @staticmethod
    def forward(ctx, x, negative_slope):
        positive = x > 0
        ctx.save_for_backward(positive.astype(x.dtype))
        return ctx.xp.where(positive, x, negative_slope * x)

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        (positive,) = ctx.saved_tensors
        _, negative_slope = ctx.inputs
        slope = positive + negative_slope * (1 - positive)
        return grad_output * slope, None
        # END SOLUTION
