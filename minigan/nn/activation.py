"""The nonlinearities as layers, so that they can sit inside a ``Sequential``.

Each is the function of the same name in :mod:`minigan.functional`; they hold no parameters.
"""

from .. import functional as F
from .module import Module


class ReLU(Module):
    """y = max(x, 0): the generator's hidden activation in DCGAN."""

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """y = x for x > 0, else negative_slope * x: the discriminator's activation in DCGAN (slope
    0.2), so that its gradient never vanishes on half of the inputs."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """y = tanh x, in (-1, 1): the generator's output layer, matching images scaled to [-1, 1]."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """y = 1 / (1 + e^-x), in (0, 1): a probability. A discriminator usually outputs the logit
    instead and leaves the sigmoid to a ``*_with_logits`` loss, which is numerically stable."""

    def forward(self, input):
        return F.sigmoid(input)
