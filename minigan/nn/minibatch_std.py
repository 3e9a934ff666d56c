"""``MinibatchStd``: let the discriminator see how varied its batch is.

A discriminator that judges one sample at a time cannot tell a generator that always produces
the same good-looking sample from the data: each sample on its own looks real. Appending a
statistic of the *whole batch* to every sample gives it that view (Salimans et al. (2016)
introduced minibatch discrimination; the simple form here is the "minibatch standard
deviation" of Karras et al. (2018), ProGAN):

    s_c = sqrt(mean_n (x_nc - mean_n x_nc)^2 + eps)     the std of feature c over the batch
    s   = mean_c s_c                                    one number for the batch
    y   = [x, s]                                        (N, C) -> (N, C + 1)

A collapsed generator's batch has a small s that the data's batches never have, and the
gradient through s pushes G's samples apart. The batch is one group (ProGAN splits it into
groups of 4); real and fake batches must go through D separately, as they do in the step.
"""

from .. import functional as F
from .module import Module


class MinibatchStd(Module):
    """(N, C) -> (N, C + 1): each sample gets the mean over features of the batch's standard
    deviation (see the module docstring). Needs N >= 2."""

    def __init__(self, eps=1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, input):
        if input.ndim != 2 or input.shape[0] < 2:
            raise ValueError(f"MinibatchStd: expected a batch of shape (N, C) with N >= 2, got "
                             f"{tuple(input.shape)}")
        std = (input.var(dim=0, correction=0) + self.eps).sqrt()  # (C,)
        feature = std.mean().reshape(1, 1).expand(input.shape[0], 1)
        return F.cat([input, feature], dim=1)

    def extra_repr(self):
        return f"eps={self.eps}"
