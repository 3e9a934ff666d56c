"""``GradientScale``: a module that is the identity forward and multiplies the gradient passing
back through it by a factor (NaN, 1e6): a loss that stays finite with a broken or a huge
gradient, for the tests of the Trainer's divergence check. ``active`` switches it on."""

import minigan
import minigan.nn as nn


class _ScaleGradient(minigan.Function):
    @staticmethod
    def forward(ctx, x, factor):
        return x

    @staticmethod
    def backward(ctx, grad_output):
        _, factor = ctx.inputs
        return grad_output * factor, None


class GradientScale(nn.Module):
    def __init__(self, factor, active=True):
        super().__init__()
        self.factor, self.active = factor, active

    def forward(self, x):
        return _ScaleGradient.apply(x, self.factor) if self.active else x
