"""Checks of exercise 12: the learner's im2col kernel, compiled for the CPU by the emulation of
the CUDA backend's kernels and compared entry by entry with NumPy's im2col.

x and cols are handed to the kernel inside larger buffers, so that an index a little wrong
cannot reach memory that is not the check's: cols and the memory around it start as NaN (an
entry no thread wrote stays NaN, a write outside cols shows), and the memory on either side of
x holds OUTSIDE (an entry read from there shows it).
"""

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigan.kernels import cuda
from minigan.kernels.cuda import emulation
from minigan.kernels.im2col import conv_output_size, im2col

from ..checking import Check, CheckSkipped, for_case

OUTSIDE = -7777.0  # what the memory around x holds; exact in float32 and float64
SMALL_LAUNCH = ((3,), (7,))  # 21 threads, far fewer than any geometry's entries


class Geometry(NamedTuple):
    """x of shape (N, C, H, W), a kernel (kh, kw), and (height, width) pairs of stride, padding
    and dilation."""

    x_shape: tuple
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple

    def __str__(self):
        return (f"x of shape (N, C, H, W) = {self.x_shape}, a {self.kernel[0]}x{self.kernel[1]} "
                f"kernel, stride {self.stride}, padding {self.padding}, dilation {self.dilation}")

    def output_size(self):
        return tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            self.x_shape[2:], self.kernel, self.stride, self.padding, self.dilation))


GEOMETRIES = [
    Geometry((2, 3, 5, 4), (3, 3), (1, 1), (1, 1), (1, 1)),
    Geometry((1, 2, 7, 6), (3, 2), (2, 1), (1, 0), (1, 2)),
    Geometry((2, 1, 6, 9), (2, 3), (2, 3), (2, 1), (2, 1)),  # padding wider than the kernel
    Geometry((1, 4, 8, 8), (4, 4), (2, 2), (1, 1), (1, 1)),  # a DCGAN discriminator's layer
    Geometry((1, 2, 5, 7), (1, 1), (2, 3), (0, 0), (1, 1)),
]


def kernel_source(module):
    """The learner's source, with a ``#line`` directive that makes the compiler's messages
    name lines of the exercise module (where the source is its literal text)."""
    code = module.im2col_kernel()
    text = Path(module.__file__).read_text(encoding="utf-8")
    at = text.find(code)
    if at < 0:
        return code
    return f'#line {text.count(chr(10), 0, at) + 1} "{Path(module.__file__).name}"\n{code}'


@lru_cache(maxsize=8)
def compiled(code):
    """The EmulatedModule of ``code``; an AssertionError with the compiler's first errors if it
    does not compile."""
    try:
        return emulation.EmulatedModule(code)
    except RuntimeError as err:
        lines = str(err).splitlines()[1:]  # after "the emulated CUDA source failed..."
        errors = [line for line in lines if "error" in line][:3] or lines[-3:]
        raise AssertionError("your kernel does not compile:\n" + "\n".join(errors)) from None


def learners_module(module):
    """The learner's source compiled, or CheckSkipped where no C++ compiler is found."""
    code = kernel_source(module)  # first: a blanked kernel is "not written yet" everywhere
    reason = emulation.compiler_unavailable_reason()
    if reason is not None:
        raise CheckSkipped(reason)
    return compiled(code)


def _entry(geometry, x, index):
    """What cols[index] should hold, in words: the element of x it copies, or the padding."""
    n, i, j, p, q, c = index
    (sh, sw), (ph, pw), (dh, dw) = geometry.stride, geometry.padding, geometry.dilation
    y, z = i * sh + p * dh - ph, j * sw + q * dw - pw
    h, w = geometry.x_shape[2:]
    if 0 <= y < h and 0 <= z < w:
        return f"{x[n, c, y, z]:.6g}, which is x[n, c, y, x] = x[{n}, {c}, {y}, {z}]"
    return f"0: it lies in the padding (row {y}, column {z} of x, which has {h} rows and {w} " \
           "columns)"


def _wrong(mine, expected):
    """Why an entry is wrong, from the value the kernel left there."""
    if np.isnan(mine):
        return "was never written (it is still the NaN the check filled cols with)"
    if mine == OUTSIDE:
        return "was read from memory outside x"
    return f"is {mine:.6g}"


def launch_case(module, geometry, dtype, launch=None, seed=0):
    """The learner's kernel on one geometry, launched with ``launch`` ((grid,), (block,)) or,
    by default, as the CUDA backend launches it: cols must be NumPy's im2col exactly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(geometry.x_shape).astype(dtype)
    expected = im2col(x, geometry.kernel, geometry.stride, geometry.padding, geometry.dilation)
    total = expected.size
    grid, block = cuda.launch_config(total) if launch is None else launch
    threads = grid[0] * block[0]

    # x (channels-last) between two runs of OUTSIDE, cols between two runs of NaN: a read or
    # write a little out of bounds lands in memory that the check owns and looks at.
    margin = 4 * max(x.size, total) + threads + 1024
    x_memory = np.full(x.size + 2 * margin, OUTSIDE, dtype=dtype)
    x_memory[margin:margin + x.size] = x.transpose(0, 2, 3, 1).ravel()
    cols_memory = np.full(total + 2 * margin, np.nan, dtype=dtype)
    n, c, h, w = geometry.x_shape
    sizes = tuple(np.int32(v) for v in (n, h, w, c, *geometry.kernel, *geometry.stride,
                                        *geometry.padding, *geometry.dilation,
                                        *geometry.output_size()))
    kernel = learners_module(module).get_function(
        "im2col_f32" if dtype == np.float32 else "im2col_f64")
    kernel(grid, block, (x_memory[margin:margin + x.size],
                         cols_memory[margin:margin + total]) + sizes)

    before = np.flatnonzero(~np.isnan(cols_memory[:margin]))
    if before.size:
        raise AssertionError(f"your kernel wrote before the start of cols (entry "
                             f"{before[-1] - margin}): is an index negative?")
    past = np.flatnonzero(~np.isnan(cols_memory[margin + total:]))
    if past.size:
        raise AssertionError(f"your kernel wrote past the end of cols (entry {total + past[0]} "
                             f"of {total}): does every thread stop at e < total?")
    cols = cols_memory[margin:margin + total].reshape(expected.shape)
    bad = np.argwhere(~(cols == expected))  # NaN counts as wrong
    if bad.size:
        index = tuple(int(k) for k in bad[0])
        flat = int(np.ravel_multi_index(index, expected.shape))
        raise AssertionError(
            f"launched with grid {grid} and block {block} ({threads} threads for {total} "
            f"entries of cols), cols[n, oy, ox, ki, kj, c] = cols[{', '.join(map(str, index))}] "
            f"(entry e = {flat}) "
            f"{_wrong(cols[index], expected[index])}; expected {_entry(geometry, x, index)}")


def on_every_geometry(launch, dtypes):
    """A check's run: :func:`launch_case` on each geometry and dtype, a failure naming both."""
    def run(module, device):
        learners_module(module)  # a kernel that does not compile fails before any geometry
        for geometry in GEOMETRIES:
            for dtype in dtypes:
                for_case(f"{geometry}, {np.dtype(dtype).name}", launch_case, module, geometry,
                         dtype, launch)
    return run


CHECKS = [
    Check("im2col_kernel", "cols equals NumPy's im2col, launched as the CUDA backend launches "
          "the kernel", on_every_geometry(None, (np.float64, np.float32))),
    Check("im2col_kernel", "cols equals NumPy's im2col, launched with 3 blocks of 7 threads",
          on_every_geometry(SMALL_LAUNCH, (np.float64,)),
          hint="a launch of T threads has to cover every entry however small T is: thread t "
               "does e = t, t + T, t + 2T, ... while e < total, with T = gridDim.x * blockDim.x "
               "(a grid-stride loop)"),
]
