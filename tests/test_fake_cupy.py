"""The stand-in for CuPy is only worth its passes if it refuses what CuPy refuses: these check
the differences from NumPy that it exists to reproduce (see ``fake_cupy.py``)."""

import fake_cupy as cupy
import numpy as np
import pytest

from minigan.kernels import cuda
from minigan.kernels.cuda import emulation


@pytest.fixture
def a():
    return cupy.asarray(np.arange(6.0).reshape(2, 3))


def test_its_arrays_are_no_numpy_arrays_and_never_become_one_implicitly(a):
    assert not isinstance(a, np.ndarray) and isinstance(a, cupy.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(a)
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    assert isinstance(cupy.asnumpy(a), np.ndarray)


@pytest.mark.parametrize("mix", [
    lambda a, h: a + h,
    lambda a, h: h * a,
    lambda a, h: cupy.add(a, h),
    lambda a, h: np.add(h, a),
    lambda a, h: a.__setitem__(Ellipsis, h),
])
def test_a_host_array_in_a_device_operation_is_refused(a, mix):
    with pytest.raises(TypeError):
        mix(a, np.ones((2, 3)))


def test_numpy_functions_on_device_arrays_stay_on_the_device(a):
    for result in (np.exp(a), np.concatenate([a, a]), a.sum(), a[0, 1], cupy.maximum(a, 2)):
        assert isinstance(result, cupy.ndarray)
    assert a.sum().shape == () and float(a.sum()) == 15.0  # reductions give 0-d arrays


def test_in_place_operations_and_out_keep_the_array(a):
    b = a
    b += 1
    assert b is a and float(a[0, 0]) == 1.0
    assert cupy.multiply(a, 2, out=a) is a


def test_only_cupys_members(a):
    assert set(vars(a.flags)) == {"c_contiguous", "f_contiguous", "owndata"}
    with pytest.raises(AttributeError):
        a.ctypes  # noqa: B018 (NumPy only)


def test_scatter_add_adds_repeated_indices_and_refuses_what_cupy_refuses():
    out = cupy.zeros(3)
    cupy.cupyx.scatter_add(out, np.array([1, 1, 2]), cupy.asarray([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out.get(), [0.0, 3.0, 3.0])
    with pytest.raises(TypeError, match="scatter_add only supports"):
        cupy.cupyx.scatter_add(cupy.zeros(3, dtype=np.int64), [0], 1)


@pytest.mark.skipif(emulation.compiler_unavailable_reason() is not None,
                    reason=f"emulation: {emulation.compiler_unavailable_reason()}")
def test_raw_kernels_refuse_host_arrays_strided_arrays_and_python_numbers():
    kernel = cupy.RawModule(code=cuda.source("bce.cu")).get_function("bce_with_logits_f32")
    x = cupy.zeros(4, dtype=np.float32)
    w = cupy.ones(1, dtype=np.float32)
    good = (x, x, w, np.int32(0), cupy.empty(4, dtype=np.float32), np.int64(4))
    kernel((1,), (4,), good)
    np.testing.assert_allclose(good[4].get(), np.log(2.0), rtol=1e-6)  # softplus(0)
    for position, bad in [(0, np.zeros(4, np.float32)), (0, cupy.zeros(8, np.float32)[::2]),
                          (3, 0), (5, 4)]:
        args = list(good)
        args[position] = bad
        with pytest.raises(TypeError):
            kernel((1,), (4,), tuple(args))
