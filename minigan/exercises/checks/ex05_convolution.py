"""Checks of exercise 5: col2im as the adjoint of im2col, and a convolution's three gradients,
on geometries that mix strides, paddings and dilations (and leave input rows unread).

Each check is a function of one geometry too (:func:`col2im_case`, :func:`conv2d_case`), which
the tests in tests/exercises also run on geometries drawn by hypothesis.
"""

from typing import NamedTuple

import numpy as np

import minigan
import minigan.functional as F
from minigan.kernels import im2col as package

from ..checking import Check, assert_close, check_gradients, for_case


class Geometry(NamedTuple):
    """A convolution's setting: x of shape (N, C, H, W), O output channels, a kernel of size
    (kh, kw), and (height, width) pairs of stride, padding and dilation."""

    x_shape: tuple
    out_channels: int
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple

    def __str__(self):
        return (f"x of shape {self.x_shape}, a {self.kernel[0]}x{self.kernel[1]} kernel, stride "
                f"{self.stride}, padding {self.padding}, dilation {self.dilation}")

    def output_size(self):
        return tuple(package.conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            self.x_shape[2:], self.kernel, self.stride, self.padding, self.dilation))


GEOMETRIES = [
    Geometry((2, 2, 4, 5), 2, (2, 3), (1, 1), (0, 0), (1, 1)),
    Geometry((1, 2, 6, 5), 3, (3, 2), (2, 1), (1, 0), (1, 2)),
    Geometry((2, 1, 5, 7), 2, (2, 2), (2, 3), (1, 2), (2, 1)),  # leaves rows and columns unread
    Geometry((1, 2, 5, 4), 2, (1, 1), (2, 2), (0, 0), (1, 1)),
]


def col2im_case(module, geometry, seed=0):
    """col2im on one geometry: its shape and dtype, <im2col(x), c> = <x, col2im(c)>, and the
    package's col2im."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geometry.x_shape)
    settings = (geometry.stride, geometry.padding, geometry.dilation)
    patches = package.im2col(x, geometry.kernel, *settings)
    c = rng.standard_normal(patches.shape)
    mine = module.col2im(c, geometry.x_shape, *settings)
    if np.shape(mine) != geometry.x_shape:
        raise AssertionError(f"your col2im returns shape {np.shape(mine)}, expected x_shape "
                             f"{geometry.x_shape}")
    dtype = module.col2im(c.astype(np.float32), geometry.x_shape, *settings).dtype
    if dtype != np.float32:
        raise AssertionError(f"your col2im turns float32 patches into {dtype}: start from "
                             "zeros with the dtype of cols")
    left, right = float((patches * c).sum()), float((x * mine).sum())
    if abs(left - right) > 1e-9 * (1 + abs(left)):
        raise AssertionError(f"col2im is not the adjoint of im2col: <im2col(x), c> = "
                             f"{left:.10g} but <x, col2im(c)> = {right:.10g}")
    assert_close(mine, package.col2im(c, geometry.x_shape, *settings), "col2im")


def _operands(geometry, seed):
    rng = np.random.default_rng(seed)
    c = geometry.x_shape[1]
    x = minigan.tensor(rng.standard_normal(geometry.x_shape), requires_grad=True)
    w = minigan.tensor(rng.standard_normal((geometry.out_channels, c) + geometry.kernel),
                       requires_grad=True)
    b = minigan.tensor(rng.standard_normal(geometry.out_channels), requires_grad=True)
    return x, w, b


def conv2d_gradients_case(module, geometry, seed=0):
    """Conv2d's gradients for x, w and b, first and second order, by finite differences."""
    x, w, b = _operands(geometry, seed)
    settings = (geometry.stride, geometry.padding, geometry.dilation)
    check_gradients(lambda x, w, b: module.Conv2d.apply(x, w, b, *settings), ("x", "w", "b"),
                    (x, w, b))


def conv2d_package_case(module, geometry, seed=0):
    """Conv2d's gradients equal those of minigan's conv2d for one output gradient g."""
    x, w, b = _operands(geometry, seed)
    settings = (geometry.stride, geometry.padding, geometry.dilation)
    n, o = geometry.x_shape[0], geometry.out_channels
    g = minigan.tensor(np.random.default_rng(seed + 1).standard_normal(
        (n, o) + geometry.output_size()))
    expected = minigan.grad(F.conv2d(x, w, b, *settings), (x, w, b), g)
    mine = minigan.grad(module.Conv2d.apply(x, w, b, *settings), (x, w, b), g,
                        allow_unused=True)
    for name, m, e in zip("xwb", mine, expected):
        assert_close(m, e, f"gradient for {name}", rtol=1e-9, atol=1e-10)


def on_every_geometry(case):
    """A check's run: ``case`` on each geometry of GEOMETRIES, a failure naming the geometry."""
    def run(module, device):
        for geometry in GEOMETRIES:
            for_case(geometry, case, module, geometry)
    return run


CHECKS = [
    Check("col2im", "col2im is the adjoint of im2col and equals minigan's",
          on_every_geometry(col2im_case)),
    Check("Conv2d", "the gradients for x, w and b (and their derivatives), against finite "
          "differences", on_every_geometry(conv2d_gradients_case)),
    Check("Conv2d", "the gradients equal those of minigan's conv2d",
          on_every_geometry(conv2d_package_case)),
]
