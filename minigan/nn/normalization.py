"""``BatchNorm1d`` and ``BatchNorm2d``: normalise each channel over the batch, then rescale.

For each channel c: y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c.

Training uses the statistics of the current batch (which is why a GAN's generator sees its
batch mixed together, and why DCGAN keeps real and fake batches apart), and keeps an
exponential moving average of them in the buffers ``running_mean`` and ``running_var``:
r <- (1 - momentum) r + momentum * batch_statistic (the variance with Bessel's correction).
Evaluation normalises with those running averages, so one sample's output no longer depends on
the rest of its batch.
"""

import numpy as np

from .. import functional as F
from .._checks import check_positive, check_positive_int, check_real
from . import init
from .module import Module, Parameter, layer_zeros


class _BatchNorm(Module):
    """What both layers share; they differ only in the input shapes they accept."""

    _input_shapes = {}  # the accepted numbers of dimensions, with their names for errors

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", layer)
        self.eps = check_positive(eps, "eps", layer)
        # momentum=None: a plain average over all batches seen (weight 1 / batches so far).
        self.momentum = None if momentum is None else check_real(momentum, "momentum", layer,
                                                                   low=0, high=1)
        self.affine = affine
        self.track_running_stats = track_running_stats
        for name in ("weight", "bias"):
            self.register_parameter(name, Parameter(layer_zeros(num_features, dtype, device))
                                    if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", layer_zeros(num_features, dtype, device))
            self.register_buffer("running_var", layer_zeros(num_features, dtype, device))
            self.register_buffer("num_batches_tracked", layer_zeros((), np.int64, device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Forget the running statistics: mean 0, variance 1, no batches seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Running statistics reset, scale 1 and shift 0: the layer starts as a pure
        normalisation."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in self._input_shapes:
            shapes = " or ".join(self._input_shapes.values())
            raise ValueError(f"{type(self).__name__}: expected input of shape {shapes}, got "
                             f"{tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                             f"{self.num_features} channels in dimension 1, got input of shape "
                             f"{tuple(input.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum  # unused unless updating
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / self.num_batches_tracked.item()
        # Batch statistics while training, or always when no running statistics are kept.
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        text = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
        if not self.affine:
            text += ", affine=False"
        if not self.track_running_stats:
            text += ", track_running_stats=False"
        return text


class BatchNorm1d(_BatchNorm):
    """Batch norm over features: input (N, C) or (N, C, L), statistics per channel C."""

    _input_shapes = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(_BatchNorm):
    """Batch norm over images: input (N, C, H, W), statistics per channel over N, H and W."""

    _input_shapes = {4: "(N, C, H, W)"}
