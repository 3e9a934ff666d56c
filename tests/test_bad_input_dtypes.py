"""Values a tensor cannot hold are refused where they come in, with the argument and the dtype
named (complex numbers, Python objects, strings, dates), instead of flowing into operations that
assume real numbers; and float16 reductions accumulate in float32 (a float16 mean of 100,000
ones is 1, not inf or nan)."""

import datetime

import numpy as np
import pytest

import minigan
from minigan import tensor
from minigan.tensor import Tensor

NOT_REAL = [
    (np.array([1 + 2j]), "complex128"),
    (np.array([1.0, None], dtype=object), "object"),
    (np.array(["a", "b"]), "<U1"),
    (np.array(["2024-01-01"], dtype="datetime64[D]"), r"datetime64\[D\]"),
    ([1 + 2j, 3j], "complex128"),
    (["a", "b"], "<U1"),
    ([datetime.date(2024, 1, 1)], "object"),
]


@pytest.mark.parametrize("make", [tensor, Tensor], ids=["tensor", "Tensor"])
@pytest.mark.parametrize("data, dtype", NOT_REAL)
def test_data_that_is_not_real_numbers_is_refused(make, data, dtype):
    expected = (rf"tensor\(\): data must be numbers \(bool, integers or floating point\), "
                rf"got dtype {dtype}( from a list)?; complex numbers, Python objects")
    with pytest.raises(TypeError, match=expected):
        make(data)


def test_a_dtype_argument_that_is_not_real_is_refused():
    for dtype in (np.complex64, object, "U3"):
        with pytest.raises(TypeError, match=r"tensor\(\): dtype must be a numeric type"):
            tensor([1.0, 2.0], dtype=dtype)
    with pytest.raises(TypeError, match=r"data must be numbers .* got dtype complex128"):
        tensor(np.array([1j]), dtype=np.float32)  # not silently dropping the imaginary part
    with pytest.raises(TypeError, match=r"to\(\): dtype complex64 is not supported"):
        tensor([1.0]).to(dtype=np.complex64)


def test_the_sigmoid_of_the_issue_cannot_happen():
    with pytest.raises(TypeError, match="complex"):
        minigan.functional.sigmoid(tensor(np.array([1 + 2j])))


def test_bool_integer_and_float_data_keep_their_behaviour():
    assert tensor([True, False]).dtype == np.bool_
    assert tensor([1, 2]).dtype == np.int64
    assert tensor(np.arange(3, dtype=np.uint8)).dtype == np.uint8
    assert tensor([1.5]).dtype == np.float32 and tensor(np.ones(2)).dtype == np.float64
    assert tensor(np.ones(2, np.float16)).dtype == np.float16


# -- float16 reductions ------------------------------------------------------------------------
def test_a_float16_mean_of_many_ones_is_one():
    x = tensor(np.ones(100_000, np.float16))
    for value in (x.mean(), x.mean(dim=0), x.var() + 1):
        assert value.dtype == np.float16 and value.item() == 1.0


def test_float16_sums_accumulate_in_float32():
    """NumPy's float16 sums already accumulate in float32; Sum asks for it explicitly, so that
    it does not depend on the array library."""
    x = tensor(np.array([60000, 60000, -60000, -60000], np.float16))
    total = x.sum()  # 60000 + 60000 is already infinity in float16, and inf - inf is nan
    assert total.dtype == np.float16 and total.item() == 0.0
    assert tensor(np.ones(3000, np.float16)).sum().item() == 3000.0
    rows = tensor(np.full((2, 4096), 0.5, np.float16))
    np.testing.assert_array_equal(rows.sum(dim=1).numpy(), [2048.0, 2048.0])
    np.testing.assert_array_equal(rows.mean(dim=1, keepdim=True).numpy(), [[0.5], [0.5]])


def test_float16_reductions_differentiate_in_float16():
    x = tensor(np.ones((4, 2000), np.float16), requires_grad=True)
    (x.mean() + x.var(dim=1).sum()).backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64), 1 / 8000, rtol=1e-3)


def test_float32_and_float64_reductions_are_unchanged():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        data = rng.standard_normal((5, 7)).astype(dtype)
        x = tensor(data)
        assert x.mean(dim=1).dtype == dtype
        np.testing.assert_array_equal(x.mean(dim=1).numpy(), data.sum(axis=1) / 7)
        np.testing.assert_array_equal(
            x.var(dim=0).numpy(), ((data - data.sum(0) / 5) ** 2).sum(0) / 4)
