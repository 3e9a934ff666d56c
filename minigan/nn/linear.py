"""``Linear``: the affine map y = x W^T + b, the building block of every MLP."""

from .. import functional as F
from .._checks import check_positive_int
from . import init
from .module import Module, Parameter, layer_zeros


class Linear(Module):
    """y = x W^T + b for x of shape (*, in_features) and y of shape (*, out_features).

    ``weight`` has shape (out_features, in_features), ``bias`` (out_features,) or None when
    ``bias=False``. Both start as in PyTorch: U(-1/sqrt(in_features), 1/sqrt(in_features)),
    drawn from ``generator`` (see :func:`minigan.nn.init.default_init_`).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None,
                 generator=None):
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features", "Linear")
        self.out_features = check_positive_int(out_features, "out_features", "Linear")
        self.weight = Parameter(layer_zeros((out_features, in_features), dtype, device))
        self.register_parameter("bias", Parameter(layer_zeros((out_features,), dtype, device))
                                if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        init.default_init_(self.weight, self.bias, generator)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
