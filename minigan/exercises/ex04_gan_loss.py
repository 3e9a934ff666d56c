"""Exercise 4: the gradient that trains a GAN's discriminator.

Tutorial: tutorials/02_gradient_checking.py (tutorial 04 puts this loss to work)

The discriminator D outputs a logit x per image (a real number; sigmoid(x) is the probability
that the image is real) and is trained with binary cross-entropy against a label t: 1 for real
images, 0 for generated ones. Computing the loss from the logit, rather than from sigmoid(x),
never takes the log of a probability rounded to 0 or 1, and its gradient is strikingly simple.
"""

import minigan.functional as F
from minigan import Function


class BCEWithLogits(Function):
    """l = softplus(x) - t x, elementwise: binary cross-entropy of logits x against targets t.

    The cross-entropy of the predicted probability sigmoid(x) against the label t,

        l = -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))],

    is softplus(x) - t x, by log sigmoid(x) = -softplus(-x) and softplus(x) - softplus(-x) = x.
    One loss per element, no averaging.

    Derivatives: dl/dx = sigmoid(x) - t (the predicted probability minus the label: how wrong
    D is), and dl/dt = -x. x and t are Tensors of the same shape; t is usually a constant (the
    labels), but l is differentiable in t as well.

    Hint: ``x, t = ctx.inputs``; ``F.sigmoid`` is a differentiable Tensor op. Return None for
    an input whose ``ctx.needs_input_grad`` entry is False.
    """

    @staticmethod
    def forward(ctx, x, t):
        if t.shape != x.shape:
            raise ValueError(f"BCEWithLogits: targets t must have the shape of the logits x, "
                             f"{x.shape}; got {t.shape}")
        return ctx.xp.logaddexp(0, x) - t * x  # softplus(x) = log(e^0 + e^x), no overflow

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        x, t = ctx.inputs
        need_x, need_t = ctx.needs_input_grad
        return (grad_output * (F.sigmoid(x) - t) if need_x else None,
                -grad_output * x if need_t else None)
        # END SOLUTION
