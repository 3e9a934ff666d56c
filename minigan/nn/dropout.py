"""``Dropout``: zero each value with probability p < 1 while training, scale the rest by 1/(1-p).

The scaling keeps the expected value of every output equal to its input, so evaluation (where
dropout is the identity) sees activations of the same size as training did.
"""

from .. import functional as F
from .._checks import check_probability
from .module import Module


class Dropout(Module):
    """Randomly zero elements with probability ``p`` in training mode; identity in eval mode.

    The masks are drawn from ``generator`` (a :class:`minigan.random.Generator`; the default one
    when None), so a seeded run drops the same units every time.
    """

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        self.p = check_probability(p, "p", "Dropout", one_allowed=False)
        self.generator = generator

    def forward(self, input):
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}"
