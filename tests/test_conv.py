"""conv2d and conv_transpose2d: kernels against naive loops, gradients against finite
differences (first and second order), everything against PyTorch, and the argument checks.

Geometries are drawn by hypothesis over the settings that matter (kernel 1-5, stride 1-3,
padding 0-3, dilation 1-2, output_padding below max(stride, dilation)), and every array comes in
one of several memory layouts (contiguous, channels-last, strided, reversed), because the
kernels build strided views of their inputs.
"""

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import compare_with_torch
from strategies import Input

import minigan
import minigan.functional as F
from minigan import backend
from minigan.kernels import conv as kernels
from minigan.kernels.im2col import col2im, im2col

# The fixtures (device, xp, torch) are plain values, the same for every example.
FIXTURES_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- geometries -----------------------------------------------------------------------------


@dataclass
class Case:
    """One convolution problem: shapes and settings, for conv2d or conv_transpose2d."""

    transposed: bool
    batch: int
    in_channels: int
    out_channels: int
    size: tuple  # (H, W) of the input
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    output_padding: tuple = (0, 0)

    @property
    def input_shape(self):
        return (self.batch, self.in_channels) + self.size

    @property
    def weight_shape(self):
        channels = (self.in_channels, self.out_channels)
        return (channels if self.transposed else channels[::-1]) + self.kernel

    def run(self, functional, x, w, b):
        """The same call into minigan.functional, torch.nn.functional or minigan.kernels.conv
        (same names, same keywords)."""
        geometry = dict(stride=self.stride, padding=self.padding, dilation=self.dilation)
        if self.transposed:
            return functional.conv_transpose2d(x, w, b, output_padding=self.output_padding,
                                               **geometry)
        return functional.conv2d(x, w, b, **geometry)

    def naive(self, x, w, b):
        """The naive loops below, on NumPy arrays."""
        if self.transposed:
            return naive_conv_transpose2d(x, w, b, self.stride, self.padding,
                                          self.output_padding, self.dilation)
        return naive_conv2d(x, w, b, self.stride, self.padding, self.dilation)


def pairs(lo, hi):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi))


@st.composite
def cases(draw, transposed, max_batch=3, max_channels=3, max_extra=4):
    """A valid geometry; ``max_extra`` bounds how far the input exceeds its smallest size."""
    kernel, stride = draw(pairs(1, 5)), draw(pairs(1, 3))
    padding, dilation = draw(pairs(0, 3)), draw(pairs(1, 2))
    output_padding, size = [], []
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        if transposed:
            op = draw(st.integers(0, max(s, d) - 1))
            # The output (n - 1) s - 2 p + d (k - 1) + op + 1 must have at least one row.
            smallest = max(1, 1 + -(-(2 * p - d * (k - 1) - op) // s))
            output_padding.append(op)
        else:
            smallest = max(1, d * (k - 1) + 1 - 2 * p)  # the kernel fits in the padded input
        size.append(smallest + draw(st.integers(0, max_extra)))
    return Case(transposed, draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels)),
                draw(st.integers(1, max_channels)), tuple(size), kernel, stride, padding,
                dilation, tuple(output_padding) if transposed else (0, 0))


both_kinds = st.booleans().flatmap(cases)
LAYOUTS = ("contiguous", "channels_last", "strided", "reversed")


def arrange(values, layout):
    """The values as an :class:`~strategies.Input` stored in ``layout``: channels-last (4-D
    arrays), every other element of a twice-as-wide buffer along the last axis ("strided"), or
    with a negative stride along it ("reversed")."""
    if layout == "channels_last" and values.ndim == 4:
        return Input(values, perm=(0, 2, 3, 1))
    last_step = {"strided": 2, "reversed": -1}.get(layout, 1)
    return Input(values, steps=(1,) * (values.ndim - 1) + (last_step,))


@st.composite
def operands(draw, case, bias=True):
    """Random float64 x, w and (maybe) b for a case, each an :class:`~strategies.Input` in a
    drawn layout; an absent b is None."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shapes = [case.input_shape, case.weight_shape]
    if bias and draw(st.booleans()):
        shapes.append((case.out_channels,))
    inputs = [arrange(rng.standard_normal(s), draw(st.sampled_from(LAYOUTS))) for s in shapes]
    return inputs + [None] * (3 - len(inputs))


def leaves(inputs, xp):
    """Leaf tensors on xp for drawn operands, in their layouts (None stays None)."""
    return [None if x is None else minigan.Tensor(x.array(xp), requires_grad=True)
            for x in inputs]


# -- naive references: the definitions, written as loops ------------------------------------


def naive_conv2d(x, w, b, stride, padding, dilation):
    """y[n, o, i, j] = b[o] + sum_{c,p,q} w[o, c, p, q] x_pad[n, c, i sh + p dh, j sw + q dw]."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = w.shape[2:]
    oh = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    y[:, :, i, j] += x[:, :, i * sh + p * dh, j * sw + q * dw] @ w[:, :, p, q].T
    return y if b is None else y + b[:, None, None]


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    """Every x[n, c, i, j] adds x[n, c, i, j] w[c, o, p, q] at y_pad[n, o, i sh + p dh, ...]."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    n, _, h, wd = x.shape
    kh, kw = w.shape[2:]
    full = np.zeros((n, w.shape[1], (h - 1) * sh + dh * (kh - 1) + 1 + oph,
                     (wd - 1) * sw + dw * (kw - 1) + 1 + opw))
    for i in range(h):
        for j in range(wd):
            for p in range(kh):
                for q in range(kw):
                    full[:, :, i * sh + p * dh, j * sw + q * dw] += x[:, :, i, j] @ w[:, :, p, q]
    y = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return y if b is None else y + b[:, None, None]


def numpy_of(t):
    return None if t is None else backend.as_numpy(t.data if isinstance(t, minigan.Tensor) else t)


# -- kernels ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [
    Case(False, 2, 3, 2, (7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    Case(False, 1, 2, 3, (9, 8), (2, 4), (3, 2), (2, 0), (2, 1)),
    Case(True, 2, 3, 2, (4, 5), (4, 4), (2, 2), (1, 1), (1, 1), (1, 0)),
    Case(True, 1, 2, 2, (3, 3), (3, 2), (1, 3), (0, 2), (2, 1), (1, 2)),
])
def test_kernels_match_naive_loops(case, xp):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(case.input_shape), rng.standard_normal(case.weight_shape)
    b = rng.standard_normal(case.out_channels)
    y = case.run(kernels, xp.asarray(x), xp.asarray(w), xp.asarray(b))
    np.testing.assert_allclose(numpy_of(y), case.naive(x, w, b), rtol=1e-12, atol=1e-12)


@FIXTURES_OK
@given(data=st.data())
def test_conv_matches_naive_loops_on_any_geometry(data, xp):
    case = data.draw(both_kinds)
    x, w, b = leaves(data.draw(operands(case)), xp)
    y = case.run(F, x, w, b)
    expected = case.naive(numpy_of(x), numpy_of(w), numpy_of(b))
    np.testing.assert_allclose(numpy_of(y), expected, rtol=1e-12, atol=1e-12)


@FIXTURES_OK
@given(case=cases(transposed=False), seed=st.integers(0, 2**32 - 1),
       layout=st.sampled_from(LAYOUTS))
def test_col2im_is_the_adjoint_of_im2col(case, seed, layout, xp):
    # <im2col(x), c> = <x, col2im(c)> for all x, c: col2im is the transpose of the linear map.
    rng = np.random.default_rng(seed)
    x = arrange(rng.standard_normal(case.input_shape), layout).array(xp)
    cols = im2col(x, case.kernel, case.stride, case.padding, case.dilation)
    c = xp.asarray(rng.standard_normal(cols.shape))
    back = col2im(c, x.shape, case.stride, case.padding, case.dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(float((cols * c).sum()), float((x * back).sum()), rtol=1e-10)


def test_im2col_rows_are_the_patches():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    cols = im2col(x, (2, 3), (2, 1), (1, 0), (1, 1))
    assert cols.shape == (2, 3, 3, 2, 3, 3)  # (N, OH, OW, kh, kw, C)
    # Output (1, 2) of image 1: rows 1..2 of the padded input = rows 0..1 of x; columns 2..4.
    np.testing.assert_array_equal(cols[1, 1, 2].transpose(2, 0, 1), x[1, :, 1:3, 2:5])
    # Output (0, 0): its first kernel row lies in the zero padding.
    np.testing.assert_array_equal(cols[0, 0, 0, 0], 0)


# -- gradients: finite differences --------------------------------------------------------------


def runner(case):
    """The case's operation as a function of (x, w) or (x, w, b), for gradcheck."""
    return lambda x, w, b=None: case.run(F, x, w, b)


def fast_mode(tensors, limit=120):
    """The full Jacobian while it is small; random projections beyond that."""
    return sum(t.numel() for t in tensors if t is not None) > limit


@FIXTURES_OK
@given(data=st.data())
def test_gradcheck(data, xp):
    case = data.draw(st.booleans().flatmap(lambda t: cases(t, max_batch=2, max_channels=2)))
    x, w, b = leaves(data.draw(operands(case)), xp)
    inputs = (x, w) if b is None else (x, w, b)
    assert minigan.gradcheck(runner(case), inputs, fast_mode=fast_mode(inputs))


@FIXTURES_OK
@given(data=st.data())
def test_gradgradcheck(data, xp):
    case = data.draw(st.booleans().flatmap(
        lambda t: cases(t, max_batch=2, max_channels=2, max_extra=2)))
    x, w, _ = leaves(data.draw(operands(case, bias=False)), xp)
    assert minigan.gradgradcheck(runner(case), (x, w), fast_mode=fast_mode((x, w)))


@FIXTURES_OK
@given(data=st.data())
def test_weight_gradient_is_differentiable_twice(data, xp):
    # Third derivatives of a convolution: the weight gradient's own first and second ones.
    case = data.draw(cases(False, max_batch=2, max_channels=2, max_extra=2))
    x, w, _ = leaves(data.draw(operands(case, bias=False)), xp)
    with minigan.no_grad():
        g_shape = case.run(F, x, w, None).shape
    g = minigan.Tensor(arrange(np.random.default_rng(0).standard_normal(g_shape),
                               data.draw(st.sampled_from(LAYOUTS))).array(xp), requires_grad=True)
    fn = lambda x, g: F.conv2d_grad_weight(  # noqa: E731
        x, g, case.kernel, case.stride, case.padding, case.dilation)
    assert minigan.gradcheck(fn, (x, g), fast_mode=fast_mode((x, g)))
    assert minigan.gradgradcheck(fn, (x, g), fast_mode=fast_mode((x, g)))


# -- against PyTorch: outputs, gradients, second derivatives ------------------------------------


# Output, first derivatives and second derivatives (tests/oracle.py), float64, to 1e-10.
TORCH_TOLERANCE = dict(rtol=1e-10, atol=1e-10)


@pytest.mark.torch
@FIXTURES_OK
@given(data=st.data())
def test_matches_torch(data, device, torch):
    case = data.draw(both_kinds)
    compare_with_torch(torch, case.run, data.draw(operands(case)), device, **TORCH_TOLERANCE)


@pytest.mark.torch
@pytest.mark.parametrize("transposed", [False, True])
def test_matches_torch_on_a_dcgan_layer_in_float32(transposed, device, torch):
    # A k4 s2 p1 layer at DCGAN's sizes, float32 in and out, derivatives float32 too (the oracle
    # checks each result's dtype against PyTorch's).
    case = Case(transposed, 4, 16, 8, (8, 8), (4, 4), (2, 2), (1, 1), (1, 1))
    rng = np.random.default_rng(3)
    x, w, b = (Input(rng.standard_normal(s))
               for s in (case.input_shape, case.weight_shape, (case.out_channels,)))
    compare_with_torch(torch, case.run, [x, w, b], device, dtype=np.float32, rtol=1e-4,
                       atol=1e-4)


@pytest.mark.slow
@pytest.mark.torch
@settings(FIXTURES_OK, max_examples=400)
@given(data=st.data())
def test_matches_torch_exhaustively(data, device, torch):
    case = data.draw(st.booleans().flatmap(lambda t: cases(t, max_extra=8)))
    compare_with_torch(torch, case.run, data.draw(operands(case)), device, **TORCH_TOLERANCE)


@pytest.mark.slow
@settings(FIXTURES_OK, max_examples=200)
@given(data=st.data())
def test_gradgradcheck_exhaustively(data, xp):
    case = data.draw(st.booleans().flatmap(lambda t: cases(t, max_channels=2)))
    x, w, b = leaves(data.draw(operands(case)), xp)
    inputs = (x, w) if b is None else (x, w, b)
    assert minigan.gradgradcheck(runner(case), inputs, fast_mode=fast_mode(inputs, limit=300),
                                 n_directions=6)


# -- shapes, devices, dtypes -----------------------------------------------------------------


@pytest.mark.parametrize("transposed", [False, True])
def test_unbatched_input_is_a_batch_of_one(transposed, xp):
    case = Case(transposed, 1, 2, 3, (5, 4), (3, 2), (2, 1), (1, 0), (1, 2))
    rng = np.random.default_rng(4)
    x = minigan.Tensor(xp.asarray(rng.standard_normal(case.input_shape[1:])), requires_grad=True)
    w = minigan.Tensor(xp.asarray(rng.standard_normal(case.weight_shape)))
    y = case.run(F, x, w, None)
    batched = case.run(F, x.detach().reshape(case.input_shape), w, None)
    np.testing.assert_allclose(numpy_of(y), numpy_of(batched)[0], rtol=1e-12)
    y.sum().backward()
    assert x.grad.shape == x.shape


@pytest.mark.parametrize("transposed", [False, True])
def test_empty_batch(transposed, xp):
    case = Case(transposed, 0, 2, 3, (5, 5), (3, 3), (2, 2), (1, 1), (1, 1))
    w = minigan.Tensor(xp.ones(case.weight_shape), requires_grad=True)
    x = minigan.Tensor(xp.ones(case.input_shape), requires_grad=True)
    y = case.run(F, x, w, None)
    assert y.shape == ((0, 3, 9, 9) if transposed else (0, 3, 3, 3))
    y.sum().backward()
    assert w.grad.shape == w.shape and not bool(w.grad.data.any())


def test_output_is_on_the_input_device(device, xp):
    x = minigan.Tensor(xp.ones((1, 1, 4, 4), dtype=np.float32))
    w = minigan.Tensor(xp.ones((1, 1, 3, 3), dtype=np.float32))
    for y in (F.conv2d(x, w), F.conv_transpose2d(x, w)):
        assert y.device == device and y.dtype == np.float32


# -- argument checks ----------------------------------------------------------------------------


def _t(*shape, dtype=np.float64):
    return minigan.Tensor(np.zeros(shape, dtype=dtype))


x4, w3 = _t(1, 2, 5, 5), _t(3, 2, 3, 3)  # conv2d: 2 -> 3 channels; transposed: 3 -> 2
BAD_CALLS = [
    # (call, error, a word the message must contain)
    (lambda: F.conv2d(_t(1, 3, 5, 5), w3), ValueError, "channels"),
    (lambda: F.conv_transpose2d(x4, w3), ValueError, "channels"),
    (lambda: F.conv2d(_t(1, 2, 3, 3), _t(3, 2, 5, 5)), ValueError, "padded input"),
    (lambda: F.conv2d(_t(1, 2, 4, 4), w3, dilation=2), ValueError, "padded input"),
    (lambda: F.conv_transpose2d(_t(1, 3, 5, 5), w3, stride=2, output_padding=2), ValueError,
     "output_padding"),
    (lambda: F.conv_transpose2d(_t(1, 3, 5, 5), w3, dilation=2, output_padding=2), ValueError,
     "output_padding"),
    (lambda: F.conv_transpose2d(_t(1, 3, 5, 5), w3, output_padding=-1), ValueError,
     "output_padding"),
    (lambda: F.conv_transpose2d(_t(1, 3, 1, 1), _t(3, 2, 1, 1), padding=1), ValueError,
     "padding"),
    (lambda: F.conv2d(_t(2, 5, 5), _t(3, 2, 3)), ValueError, "weight"),
    (lambda: F.conv2d(_t(5, 5), w3), ValueError, "input"),
    (lambda: F.conv2d(_t(1, 1, 2, 5, 5), w3), ValueError, "input"),
    (lambda: F.conv2d(x4, w3, stride=0), ValueError, "stride"),
    (lambda: F.conv2d(x4, w3, stride=(1, -2)), ValueError, "stride"),
    (lambda: F.conv2d(x4, w3, padding=-1), ValueError, "padding"),
    (lambda: F.conv2d(x4, w3, dilation=0), ValueError, "dilation"),
    (lambda: F.conv2d(x4, w3, stride=1.5), TypeError, "stride"),
    (lambda: F.conv2d(x4, w3, padding=(1, 1, 1)), TypeError, "padding"),
    (lambda: F.conv2d(x4, w3, dilation=True), TypeError, "dilation"),
    (lambda: F.conv2d(_t(1, 2, 0, 5), w3), ValueError, "zero-size"),
    (lambda: F.conv2d(_t(1, 0, 5, 5), _t(3, 0, 3, 3)), ValueError, "zero-size"),
    (lambda: F.conv2d(x4, _t(0, 2, 3, 3)), ValueError, "zero-size"),
    (lambda: F.conv2d(x4, w3, _t(2)), ValueError, "bias"),
    (lambda: F.conv2d(x4, w3, _t(3, dtype=np.float32)), TypeError, "bias"),
    (lambda: F.conv2d(x4, _t(3, 2, 3, 3, dtype=np.float32)), TypeError, "weight"),
    (lambda: F.conv2d(_t(1, 2, 5, 5, dtype=np.int64), w3), TypeError, "input"),
    (lambda: F.conv2d([[1.0]], w3), TypeError, "input"),
    (lambda: F.conv2d(x4, w3, groups=2), ValueError, "groups"),
    (lambda: F.conv2d_grad_weight(x4, _t(1, 3, 4, 4), 3), ValueError, "grad_output"),
]


@pytest.mark.parametrize("call, error, word", BAD_CALLS)
def test_bad_arguments_are_named(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_output_padding_below_dilation_is_allowed(torch):
    # output_padding may reach stride as long as it stays below dilation (PyTorch's rule).
    case = Case(True, 1, 2, 2, (3, 4), (2, 3), (1, 1), (0, 1), (2, 2), (1, 1))
    rng = np.random.default_rng(5)
    x, w = (Input(rng.standard_normal(s)) for s in (case.input_shape, case.weight_shape))
    compare_with_torch(torch, case.run, [x, w, None], **TORCH_TOLERANCE)
