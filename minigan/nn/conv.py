"""``Conv2d`` and ``ConvTranspose2d``: the layers of a DCGAN's discriminator and generator.

A convolution slides a (C_out, C_in, kh, kw) weight over the input and shrinks (or keeps) the
image: H_out = (H + 2p - d(k - 1) - 1) // s + 1. Its transpose is the map whose *gradient* is
that convolution: it spreads each input pixel over a k x k patch of the output and grows the
image: H_out = (H - 1) s - 2p + d(k - 1) + output_padding + 1. A transposed convolution stores
its weight as (C_in, C_out, kh, kw), PyTorch's layout, so that weights carry over between them.
"""

from .. import functional as F
from .._checks import check_positive_int, pair
from . import init
from .module import Module, Parameter, layer_zeros


class _Conv2dBase(Module):
    """What both layers share: the sizes, the parameters and their default initialisation."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                 device, dtype, generator, transposed):
        super().__init__()
        layer = type(self).__name__
        self.in_channels = check_positive_int(in_channels, "in_channels", layer)
        self.out_channels = check_positive_int(out_channels, "out_channels", layer)
        self.kernel_size = pair(kernel_size, "kernel_size", layer, minimum=1)
        self.stride = pair(stride, "stride", layer, minimum=1)
        self.padding = pair(padding, "padding", layer)
        self.dilation = pair(dilation, "dilation", layer, minimum=1)
        channels = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        self.weight = Parameter(layer_zeros(channels + self.kernel_size, dtype, device))
        self.register_parameter("bias", Parameter(layer_zeros((out_channels,), dtype, device))
                                if bias else None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        init.default_init_(self.weight, self.bias, generator)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)),
                              ("dilation", (1, 1))):
            value = getattr(self, name, default)
            if value != default:
                text += f", {name}={value}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv2d(_Conv2dBase):
    """2-D convolution: input (N, C_in, H, W) -> output (N, C_out, H_out, W_out).

    ``weight`` (C_out, C_in, kh, kw) and ``bias`` (C_out,) start as in PyTorch,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C_in * kh * kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 *, bias=True, device=None, dtype=None, generator=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         device, dtype, generator, transposed=False)

    def forward(self, input):
        return F.conv2d(input, self.weight, self.bias, stride=self.stride, padding=self.padding,
                        dilation=self.dilation)


class ConvTranspose2d(_Conv2dBase):
    """2-D transposed convolution: input (N, C_in, H, W) -> output (N, C_out, H_out, W_out).

    ``output_padding`` (< stride or dilation) adds rows and columns on one side, to reach an
    output size that several input sizes would map to. ``weight`` (C_in, C_out, kh, kw) starts
    as in PyTorch, whose fan_in rule reads C_out * kh * kw for this layout.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, *, bias=True, dilation=1, device=None, dtype=None,
                 generator=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         device, dtype, generator, transposed=True)
        self.output_padding = pair(output_padding, "output_padding", "ConvTranspose2d")
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride,
                                                   self.dilation)):
            raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} must be "
                             f"smaller than stride {self.stride} or dilation {self.dilation}")

    def forward(self, input):
        return F.conv_transpose2d(input, self.weight, self.bias, stride=self.stride,
                                  padding=self.padding, output_padding=self.output_padding,
                                  dilation=self.dilation)
