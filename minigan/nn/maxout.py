"""``Maxout``: each unit is the largest of ``pieces`` affine functions of the input.

Goodfellow et al. (2013), "Maxout networks": for x of shape (*, in_features),

    y_i = max_j (x . W_ij + b_ij),   i = 1..out_features, j = 1..pieces,

a convex, piecewise-linear activation learned together with the layer (ReLU is the special case
max(x . w, 0) of two pieces, one fixed at 0). PacGAN's discriminator for the 2D mixtures uses
maxout units of 5 pieces. The gradient of a unit goes to the piece that won (split evenly on
ties, which have probability 0 for real-valued inputs).
"""

from .._checks import check_positive_int
from ..functional.maxout import maxout
from . import init
from .module import Module, Parameter, layer_zeros


class Maxout(Module):
    """y = max over ``pieces`` of affine maps: (*, in_features) -> (*, out_features).

    ``weight`` has shape (out_features * pieces, in_features) and ``bias`` (out_features *
    pieces,): the rows of unit i are i * pieces .. (i + 1) * pieces - 1. They start as a Linear
    layer's of that shape (U(-1/sqrt(in_features), 1/sqrt(in_features))), drawn from
    ``generator``.
    """

    def __init__(self, in_features, out_features, pieces, bias=True, device=None, dtype=None,
                 generator=None):
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features", "Maxout")
        self.out_features = check_positive_int(out_features, "out_features", "Maxout")
        self.pieces = check_positive_int(pieces, "pieces", "Maxout")
        rows = out_features * pieces
        self.weight = Parameter(layer_zeros((rows, in_features), dtype, device))
        self.register_parameter("bias", Parameter(layer_zeros((rows,), dtype, device))
                                if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        init.default_init_(self.weight, self.bias, generator)

    def forward(self, input):
        return maxout(input, self.weight, self.bias, self.pieces)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"pieces={self.pieces}, bias={self.bias is not None}")
