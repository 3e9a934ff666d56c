"""The CUDA twins of the kernels: hand-written CUDA C, compiled by CuPy at run time, launched here.

Reached only for CuPy arrays: ``kernels/im2col.py`` and ``kernels/bce.py`` call these functions
when ``backend.is_cupy_array(x)``, and keep their NumPy formulas as the reference. The sources sit
beside this file, one lesson each:

    im2col.cu   im2col_f32/_f64, col2im_f32/_f64   (the patch gather and its adjoint, as a gather)
    bce.cu      bce_with_logits_f32/_f64, bce_with_logits_backward_f32/_f64

Each source becomes one ``cupy.RawModule`` (NVRTC compiles it on first use, CuPy caches the
result on disk), and a kernel is launched as ``module.get_function(name)(grid, block, args)``.
CuPy's RawKernel does not look at its arguments, so they are made to fit the C signature here:
arrays C-contiguous (a kernel indexes flat memory, strides are ignored) and of the kernel's
dtype, scalars as ``numpy.int32`` (a Python int would arrive as 64 bits). The matrix products of
the convolutions are not here: ``xp.matmul`` on CuPy arrays is cuBLAS.

CuPy comes from :func:`minigan.backend.cupy_module`, the one place that imports it. The same
sources run on the CPU through :mod:`minigan.kernels.cuda.emulation`, which is how the tests
check them where no GPU is present.
"""

from importlib import resources

import numpy as np

from ... import backend

BLOCK_SIZE = 256  # threads per block: a multiple of the warp size (32), a common choice
MAX_GRID_SIZE = 4096  # blocks per launch at most; grid-stride loops cover any excess work
NVRTC_OPTIONS = ("--std=c++17",)  # what RawModule passes to NVRTC (CuPy adds the architecture)
_SUFFIX = {np.dtype(np.float32): "_f32", np.dtype(np.float64): "_f64"}

_modules = {}  # (cupy module, source file name) -> RawModule


def source(filename):
    """The text of a CUDA source shipped in this package, e.g. ``source("im2col.cu")``."""
    return resources.files(__package__).joinpath(filename).read_text()


def launch_config(n):
    """(grid, block) for ``n`` independent work items: one thread per item, in blocks of
    BLOCK_SIZE, and at most MAX_GRID_SIZE blocks (each thread then takes several items)."""
    blocks = min(max(1, -(-n // BLOCK_SIZE)), MAX_GRID_SIZE)
    return (blocks,), (BLOCK_SIZE,)


def _module(filename):
    """The RawModule of one source file, built once per process (NVRTC runs at first launch)."""
    cupy = backend.cupy_module()
    key = (cupy, filename)
    if key not in _modules:
        _modules[key] = cupy.RawModule(code=source(filename), options=NVRTC_OPTIONS)
    return _modules[key]


def _launch(filename, kernel, dtype, n, args):
    """Launch ``kernel`` (its name without the dtype suffix) over ``n`` work items."""
    if dtype not in _SUFFIX:
        raise TypeError(f"the CUDA kernel {kernel} takes float32 or float64 arrays, got {dtype}")
    grid, block = launch_config(n)
    _module(filename).get_function(kernel + _SUFFIX[dtype])(grid, block, args)


def _geometry(n, h, w, c, kernel_size, stride, padding, dilation, out_size):
    """The int parameters shared by im2col and col2im, as the kernels' C ints."""
    return tuple(np.int32(v) for v in (n, h, w, c, *kernel_size, *stride, *padding, *dilation,
                                       *out_size))


def im2col(x_nhwc, kernel_size, stride, padding, dilation, out_size):
    """cols (N, OH, OW, kh, kw, C) from a C-contiguous channels-last x (N, H, W, C): the
    padding is read as zeros by the kernel, no padded copy is made."""
    xp = backend.get_array_module(x_nhwc)
    n, h, w, c = x_nhwc.shape
    cols = xp.empty((n, *out_size, *kernel_size, c), dtype=x_nhwc.dtype)
    _launch("im2col.cu", "im2col", cols.dtype, cols.size,
            (x_nhwc, cols) + _geometry(n, h, w, c, kernel_size, stride, padding, dilation,
                                       out_size))
    return cols


def col2im(cols, x_shape, stride, padding, dilation):
    """x (N, C, H, W) from cols (N, OH, OW, kh, kw, C): one thread per element of x sums the
    patch entries read from it. Returned, like the NumPy col2im's, as an NCHW-shaped view of
    channels-last memory."""
    xp = backend.get_array_module(cols)
    n, oh, ow, kh, kw, c = cols.shape
    h, w = x_shape[2:]
    x = xp.empty((n, h, w, c), dtype=cols.dtype)
    _launch("im2col.cu", "col2im", x.dtype, x.size,
            (xp.ascontiguousarray(cols), x)
            + _geometry(n, h, w, c, (kh, kw), stride, padding, dilation, (oh, ow)))
    return x.transpose(0, 3, 1, 2)


def _operand(xp, value, shape, dtype):
    """``value`` broadcast to ``shape`` as a C-contiguous array of ``dtype`` (copied if needed)."""
    return xp.ascontiguousarray(xp.broadcast_to(xp.asarray(value, dtype=dtype), shape))


def _bce_inputs(xp, arrays, pos_weight):
    """The BCE kernels' input arguments and the shape of their result: ``arrays`` (the incoming
    gradient, logits, labels) broadcast to one shape in the logits' dtype, then pos_weight with
    its step (1: one value per element; 0: one value for all, 1 when pos_weight is None)."""
    shape = np.broadcast_shapes(*(a.shape for a in (*arrays, pos_weight) if a is not None))
    dtype = arrays[-2].dtype  # the logits'
    if pos_weight is None:
        weight, step = xp.ones(1, dtype=dtype), np.int32(0)
    else:
        weight, step = _operand(xp, pos_weight, shape, dtype), np.int32(1)
    return shape, tuple(_operand(xp, a, shape, dtype) for a in arrays) + (weight, step)


def bce_with_logits(logits, target, pos_weight=None):
    """w+ y softplus(-x) + (1 - y) softplus(x), elementwise and broadcast, in one kernel."""
    xp = backend.get_array_module(logits)
    shape, inputs = _bce_inputs(xp, (logits, target), pos_weight)
    loss = xp.empty(shape, dtype=logits.dtype)
    _launch("bce.cu", "bce_with_logits", loss.dtype, loss.size,
            inputs + (loss, np.int64(loss.size)))
    return loss


def bce_with_logits_backward(grad, logits, target, pos_weight=None):
    """grad * ((1 - y) sigmoid(x) - w+ y sigmoid(-x)), elementwise and broadcast, in one kernel."""
    xp = backend.get_array_module(logits)
    shape, inputs = _bce_inputs(xp, (grad, logits, target), pos_weight)
    grad_x = xp.empty(shape, dtype=logits.dtype)
    _launch("bce.cu", "bce_with_logits_backward", grad_x.dtype, grad_x.size,
            inputs + (grad_x, np.int64(grad_x.size)))
    return grad_x
