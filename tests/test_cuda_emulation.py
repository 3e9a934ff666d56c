"""Check 2 of the GPU code, "computes": the CUDA kernels, run on the CPU, give the NumPy answers.

Every kernel of ``minigan/kernels/cuda/*.cu`` is compiled for the CPU by
:mod:`minigan.kernels.cuda.emulation` (the launch grid run as loops). The tests call the public
kernel functions (``im2col``, ``col2im``, the three convolutions, the two BCE formulas) down the
path they take for CuPy arrays: the dispatch sends NumPy arrays into the CUDA branch, and the GPU
loader builds the argument tuples, picks the dtype's kernel and the launch configuration as it
would on a GPU, with only its RawModule replaced by the emulated one (and a test fails if no
kernel was launched). The results are compared with the NumPy kernels on hypothesis-drawn
geometries and values: im2col, col2im and the convolutions exactly (col2im sums in the NumPy
order), BCE within a few ulps (exp and log1p come from different math libraries). Each
comparison runs twice: with the loader's launch configuration and with a tiny grid of 2 blocks
of 3 threads, where every thread walks many elements, which only a correct grid-stride loop
survives.

What this proves: index arithmetic, bounds, padding, dilation, formulas, dtype dispatch and
argument order of every kernel. What only a GPU shows: speed, races between threads that really
run at once (the kernels avoid them by design: one writer per element, no atomics), NVRTC and
driver behaviour at run time, and -ftz: CuPy compiles with denormals flushed to zero, so a
float32 loss below about 1e-38 reads 0 there.
"""

import re
import threading
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from minigan import backend
from minigan.kernels import bce as cpu_bce
from minigan.kernels import conv, cuda
from minigan.kernels import im2col as cpu
from minigan.kernels.cuda import emulation

pytestmark = pytest.mark.skipif(emulation.compiler_unavailable_reason() is not None,
                                reason=f"emulation: {emulation.compiler_unavailable_reason()}")

# Cheap examples (microseconds each), so more of them than the default profile draws.
FIXTURES_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                       max_examples=100)
DTYPES = st.sampled_from([np.float32, np.float64])
_modules = {}  # one emulated module per source file for the whole run


def emulated_module(filename):
    if filename not in _modules:
        _modules[filename] = emulation.EmulatedModule(cuda.source(filename))
    return _modules[filename]


@pytest.fixture(params=["loader launch", "tiny grid"])
def on_cuda(request, monkeypatch):
    """``on_cuda(f, *args)`` calls a kernel function of ``minigan.kernels`` down the path it takes
    for CuPy arrays: the dispatch takes the CUDA branch (here for NumPy arrays) and the loader
    launches the emulated kernels, with its own launch configuration or with 2 blocks of 3
    threads."""
    monkeypatch.setattr(cuda, "_module", emulated_module)
    if request.param == "tiny grid":
        monkeypatch.setattr(cuda, "launch_config", lambda n: ((2,), (3,)))
    launched, launch = [], cuda._launch
    monkeypatch.setattr(cuda, "_launch", lambda *args: launched.append(args[1]) or launch(*args))

    def call(function, *args, **kwargs):
        launched.clear()
        with monkeypatch.context() as patch:
            patch.setattr(backend, "is_cupy_array", lambda value: isinstance(value, np.ndarray))
            result = function(*args, **kwargs)
        assert launched, f"{function.__name__} launched no CUDA kernel"
        return result
    return call


# -- im2col and col2im -------------------------------------------------------------------------

@dataclass
class Geometry:
    shape: tuple  # (N, C, H, W)
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out_size: tuple  # (OH, OW), at most the number of positions the kernel fits in

    @property
    def settings(self):
        return self.kernel, self.stride, self.padding, self.dilation


@st.composite
def geometries(draw):
    """Small odd sizes, strides larger than the kernel, dilation, padding, and out_size keeping
    only the first positions."""
    pairs = lambda lo, hi: st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + draw(pairs(1, 9))
    kernel, stride, padding, dilation = draw(pairs(1, 4)), draw(pairs(1, 4)), draw(pairs(0, 2)), \
        draw(pairs(1, 3))
    full = [cpu.conv_output_size(*a) for a in zip(shape[2:], kernel, stride, padding, dilation)]
    if min(full) < 1:  # the dilated kernel does not fit: move on
        kernel, dilation, full = (1, 1), (1, 1), [cpu.conv_output_size(*a) for a in zip(
            shape[2:], (1, 1), stride, padding, (1, 1))]
    keep_first = draw(st.booleans())
    out_size = tuple(draw(st.integers(1, f)) if keep_first else f for f in full)
    return Geometry(shape, kernel, stride, padding, dilation, out_size)


DCGAN_LAYER = Geometry((2, 3, 8, 8), (4, 4), (2, 2), (1, 1), (1, 1), (4, 4))
ONE_PIXEL = Geometry((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), (1, 1))


@FIXTURES_OK
@given(geometry=geometries(), dtype=DTYPES, seed=st.integers(0, 2**16))
@example(geometry=DCGAN_LAYER, dtype=np.float32, seed=0)
@example(geometry=ONE_PIXEL, dtype=np.float64, seed=0)
def test_im2col_is_the_numpy_im2col_exactly(on_cuda, geometry, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(geometry.shape).astype(dtype)
    expected = cpu.im2col(x, *geometry.settings, out_size=geometry.out_size)
    got = on_cuda(cpu.im2col, x, *geometry.settings, out_size=geometry.out_size)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


@FIXTURES_OK
@given(geometry=geometries(), dtype=DTYPES, seed=st.integers(0, 2**16))
@example(geometry=DCGAN_LAYER, dtype=np.float32, seed=0)
@example(geometry=ONE_PIXEL, dtype=np.float64, seed=0)
def test_col2im_is_the_numpy_col2im_to_the_last_bit(on_cuda, geometry, dtype, seed):
    n, c, _, _ = geometry.shape
    cols_shape = (n, *geometry.out_size, *geometry.kernel, c)
    cols = np.random.default_rng(seed).standard_normal(cols_shape).astype(dtype)
    geometry_args = geometry.stride, geometry.padding, geometry.dilation
    expected = cpu.col2im(cols, geometry.shape, *geometry_args)
    got = on_cuda(cpu.col2im, cols, geometry.shape, *geometry_args)
    assert got.shape == expected.shape and got.dtype == dtype
    assert got.transpose(0, 2, 3, 1).flags.c_contiguous  # channels-last memory, as NumPy's
    np.testing.assert_array_equal(got, expected)


@FIXTURES_OK
@given(geometry=geometries(), out_channels=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_the_convolutions_on_the_cuda_path_give_the_numpy_answers(on_cuda, geometry,
                                                                  out_channels, seed):
    """conv2d, conv_transpose2d and the weight gradient need nothing from CUDA but im2col and
    col2im: with the dispatch sending NumPy arrays down the CUDA branch, they agree exactly."""
    rng = np.random.default_rng(seed)
    n, c, h, w = geometry.shape
    x = rng.standard_normal(geometry.shape)
    weight = rng.standard_normal((out_channels, c) + geometry.kernel)
    g = rng.standard_normal((n, out_channels) + geometry.out_size)
    settings_ = dict(stride=geometry.stride, padding=geometry.padding, dilation=geometry.dilation)

    # conv_transpose2d(g, w) as conv2d's input gradient: output_padding makes its size x's
    output_padding = [size - cpu.transposed_output_size(*a, 0, d) for size, *a, d in zip(
        (h, w), geometry.out_size, geometry.kernel, geometry.stride, geometry.padding,
        geometry.dilation)]

    def run():
        return (conv.conv2d(x, weight, weight[:, 0, 0, 0], **settings_),
                conv.conv_transpose2d(g, weight, weight[0, :, 0, 0],
                                      output_padding=output_padding, **settings_),
                conv.conv2d_grad_weight(x, g, geometry.kernel, **settings_))

    for got_one, expected_one in zip(on_cuda(run), run()):
        np.testing.assert_array_equal(got_one, expected_one)


# -- binary cross-entropy from logits ----------------------------------------------------------

EXTREME_LOGITS = [-1e4, -100.0, -30.0, -1.0, 0.0, 0.5, 20.0, 1e4]


@st.composite
def bce_cases(draw):
    """Logits (including |x| = 1e4), labels in {0, 1, 0.3}, an incoming gradient, and a
    pos_weight that is absent, per label (last dimension) or per element."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    logits = np.where(rng.random(shape) < 0.5, rng.choice(EXTREME_LOGITS, shape),
                      4 * rng.standard_normal(shape))
    target = rng.choice([0.0, 1.0, 0.3], shape)
    weight_shape = draw(st.sampled_from([None, shape[-1:], shape]))
    pos_weight = None if weight_shape is None else rng.uniform(0.2, 3.0, weight_shape)
    return logits, target, pos_weight, rng.standard_normal(shape)


def assert_close_to_numpy(got, expected, dtype, terms=0.0):
    """Equal within a few ulps (exp and log1p of two math libraries, a few steps each) of
    |expected|, or of ``terms``, the size of two terms that cancel in the formula."""
    assert got.dtype == dtype and got.shape == expected.shape
    assert np.isfinite(got).all()
    ulps = 8 * np.finfo(dtype).eps
    bad = np.abs(got - expected) > ulps * (np.abs(expected) + terms) + np.finfo(dtype).tiny
    assert not bad.any(), f"got {got[bad]} where NumPy gives {expected[bad]}"


@FIXTURES_OK
@given(case=bce_cases(), dtype=DTYPES)
def test_bce_with_logits_matches_numpy(on_cuda, case, dtype):
    logits, target, pos_weight, _ = (None if a is None else a.astype(dtype) for a in case)
    expected = cpu_bce.bce_with_logits(np, logits, target, pos_weight)
    got = on_cuda(cpu_bce.bce_with_logits, np, logits, target, pos_weight)
    assert_close_to_numpy(got, expected, dtype)


@FIXTURES_OK
@given(case=bce_cases(), dtype=DTYPES)
def test_bce_with_logits_backward_matches_numpy(on_cuda, case, dtype):
    logits, target, pos_weight, grad = (None if a is None else a.astype(dtype) for a in case)
    expected = cpu_bce.bce_with_logits_backward(np, grad, logits, target, pos_weight)
    got = on_cuda(cpu_bce.bce_with_logits_backward, np, grad, logits, target, pos_weight)
    # (1 - y) sigmoid(x) and w+ y sigmoid(-x) cancel where they are near equal
    assert_close_to_numpy(got, expected, dtype,
                          terms=np.abs(grad) * (1 + (1 if pos_weight is None else pos_weight)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_is_finite_and_exact_at_huge_logits(on_cuda, dtype):
    """At |x| = 1e4 the loss is |x| or 0 and the gradient +-1 or 0, with no inf or nan."""
    logits = np.array([1e4, 1e4, -1e4, -1e4], dtype=dtype)
    target = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    loss = on_cuda(cpu_bce.bce_with_logits, np, logits, target)
    grad = on_cuda(cpu_bce.bce_with_logits_backward, np, np.ones(4, dtype), logits, target)
    np.testing.assert_array_equal(loss, [1e4, 0.0, 0.0, 1e4])
    np.testing.assert_array_equal(grad, [1.0, 0.0, 0.0, -1.0])


def test_bce_over_more_elements_than_one_launch_has_threads(monkeypatch):
    """With the loader's launch, more elements than MAX_GRID_SIZE * BLOCK_SIZE threads: the
    grid is capped and every thread takes a second element."""
    monkeypatch.setattr(cuda, "_module", emulated_module)
    n = cuda.MAX_GRID_SIZE * cuda.BLOCK_SIZE + 1000
    assert cuda.launch_config(n)[0] == (cuda.MAX_GRID_SIZE,)
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal(n), rng.random(n)
    assert_close_to_numpy(cuda.bce_with_logits(logits, target),
                          cpu_bce.bce_with_logits(np, logits, target), np.float64)


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 10**9])
def test_the_launch_has_one_thread_per_item_up_to_the_grid_cap(n):
    (grid,), (block,) = cuda.launch_config(n)
    assert block % 32 == 0 and block <= 1024  # whole warps, a legal block
    assert 1 <= grid <= cuda.MAX_GRID_SIZE
    assert grid * block >= n or grid == cuda.MAX_GRID_SIZE
    assert (grid - 1) * block < max(n, 1)  # no block without work


@pytest.mark.parametrize("filename", ["im2col.cu", "bce.cu"])
def test_sources_use_nothing_that_would_make_the_emulation_inexact(filename):
    """One writer per element is what makes running threads one after another exact: no
    shared memory, barriers or atomics (and no #include, which NVRTC would refuse)."""
    code = re.sub(r"//.*", "", cuda.source(filename))  # the comments may talk about them
    for word in ("__shared__", "__syncthreads", "atomic", "#include", "warpSize", "__shfl"):
        assert word not in code, f"{filename} uses {word}"


# -- the emulation itself: CuPy's call form, with the checks CuPy does not make ---------------

SCALE = """
extern "C" __global__ void scale_f32(const float* x, float a, double b, float* out, long long n) {
    for (long long k = blockIdx.x * blockDim.x + threadIdx.x; k < n; k += gridDim.x * blockDim.x)
        out[k] = a * x[k] + (float)b;
}
"""


def test_an_emulated_kernel_takes_every_scalar_type_as_its_numpy_scalar():
    kernel = emulation.EmulatedModule(SCALE).get_function("scale_f32")
    assert kernel.params == [("const float*", "x"), ("float", "a"), ("double", "b"),
                             ("float*", "out"), ("long long", "n")]
    x, out = np.arange(7, dtype=np.float32), np.zeros(7, dtype=np.float32)
    kernel((2,), (2,), (x, np.float32(3), np.float64(0.5), out, np.int64(7)))
    np.testing.assert_array_equal(out, 3 * x + 0.5)


def bce_kernel_and_args(dtype=np.float32):
    """bce_with_logits_f32 and a correct argument tuple for it, to spoil one at a time."""
    x = np.zeros(4, dtype)
    return (emulated_module("bce.cu").get_function("bce_with_logits_f32"),
            [x, x.copy(), np.ones(1, dtype), np.int32(0), np.empty(4, dtype), np.int64(4)])


def read_only(array):
    array.flags.writeable = False
    return array


@pytest.mark.parametrize("position, value, parameter", [
    (5, 4, "n"),  # a Python int for long long: CuPy passes it as a 64-bit value, luckily
    (3, 0, "pos_weight_step"),  # a Python int for int: CuPy passes 8 bytes for 4
    (3, 0.0, "pos_weight_step"),  # a Python float: CuPy passes a double
    (3, np.int64(0), "pos_weight_step"),  # the wrong width of integer
    (0, np.zeros(4), "x"),  # float64 for float*
    (4, np.zeros(8, np.float32)[::2], "loss"),  # strided: a kernel ignores strides
    (1, [0.0] * 4, "y"),  # not an array at all
    (4, read_only(np.zeros(4, np.float32)), "loss"),  # an output the kernel may not write
])
def test_an_emulated_kernel_rejects_what_cupy_would_garble(position, value, parameter):
    kernel, args = bce_kernel_and_args()
    args[position] = value
    with pytest.raises(TypeError, match=f"bce_with_logits_f32, parameter {parameter} "):
        kernel((1,), (32,), tuple(args))


def test_an_emulated_launch_is_checked_like_a_gpu_launch():
    kernel, args = bce_kernel_and_args()
    kernel((1, 1, 1), (4, 1), tuple(args))  # the correct call works
    with pytest.raises(ValueError, match="at most 1024 threads"):
        kernel((1,), (32, 33), tuple(args))
    with pytest.raises(TypeError, match="grid must be a tuple of 1 to 3 positive ints"):
        kernel((0,), (32,), tuple(args))
    with pytest.raises(TypeError, match="args must be a tuple of 6 values"):
        kernel((1,), (32,), tuple(args[:5]))
    with pytest.raises(AttributeError, match="no extern \"C\" __global__ kernel named 'bce'"):
        emulated_module("bce.cu").get_function("bce")


def test_a_kernel_parameter_of_another_form_is_refused_when_parsed():
    for params in ("const int* x", "float* __restrict__ x", "int"):
        with pytest.raises(ValueError, match="is not 'TYPE name' with a TYPE the emulation takes"):
            emulation.parse_kernels(f'extern "C" __global__ void f({params}) {{}}')


def test_two_compilations_at_once_leave_one_library(tmp_path, monkeypatch):
    """Two threads (the compiler runs outside the GIL) build the same new source at once: one
    library is left in the cache, no temporary file, and both modules compute."""
    monkeypatch.setattr(emulation, "CACHE_DIR", tmp_path)
    modules = []
    threads = [threading.Thread(target=lambda: modules.append(emulation.EmulatedModule(SCALE)))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(modules) == 2 and len(list(tmp_path.iterdir())) == 1
    for module in modules:
        x, out = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
        module.get_function("scale_f32")((1,), (4,), (x, np.float32(2), np.float64(1), out,
                                                      np.int64(3)))
        np.testing.assert_array_equal(out, [3, 3, 3])
