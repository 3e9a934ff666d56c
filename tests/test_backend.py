"""The backend: device names, the guarded CuPy import, the array module of a value, and the
one clear error when arrays of two devices meet.

No GPU is needed: where there is none, the "cuda" cases run on the NumPy-backed stand-in for
CuPy (the ``fake_cuda`` fixture of conftest.py), whose arrays are a type of their own.
"""

import numpy as np
import pytest

import minigan
import minigan.functional as F
from minigan import backend

needs_no_cuda = pytest.mark.skipif(minigan.cuda.is_available(),
                                   reason="checks the message given where CUDA is missing")


# -- device names ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [None, "cpu"])
def test_cpu_names(name):
    assert backend.check_device(name) == "cpu"


@pytest.mark.parametrize("name", ["gpu", "CPU", "cuda:1", "cuda0", "", 0, "mps"])
def test_unknown_device_names_raise_value_error_naming_the_argument(name):
    with pytest.raises(ValueError, match=r"where must be 'cpu', 'cuda' or 'cuda:0', got") as info:
        backend.check_device(name, argument="where")
    assert repr(name) in str(info.value)


@pytest.mark.parametrize("make", [
    lambda: minigan.tensor([1.0], device="gpu"),
    lambda: minigan.zeros(2, device="cuda:1"),
    lambda: minigan.tensor([1.0]).to("tpu"),
])
def test_unknown_device_names_are_rejected_by_the_tensor_api(make):
    with pytest.raises(ValueError, match="device must be"):
        make()


@pytest.mark.cuda
@pytest.mark.parametrize("name", ["cuda", "cuda:0"])
def test_cuda_names_mean_the_one_gpu(cuda_device, name):
    assert backend.check_device(name) == "cuda"
    assert minigan.tensor([1.0], device=name).device == "cuda"


# -- no CUDA here: asking for it says why ---------------------------------------------------

@needs_no_cuda
def test_cuda_is_not_available_and_says_why():
    assert minigan.cuda.is_available() is False
    reason = minigan.cuda.unavailable_reason()
    assert isinstance(reason, str) and ("CuPy" in reason or "CUDA" in reason)


@needs_no_cuda
@pytest.mark.parametrize("make", [
    lambda: backend.check_device("cuda"),
    lambda: backend.array_module("cuda:0"),
    lambda: minigan.tensor([1.0], device="cuda"),
    lambda: minigan.zeros(3, device="cuda"),
    lambda: minigan.randn(3, device="cuda"),
    lambda: minigan.tensor([1.0], requires_grad=True).to("cuda"),
    lambda: minigan.tensor([1.0]).cuda(),
])
def test_asking_for_cuda_without_it_raises_device_error_with_the_reason(make):
    with pytest.raises(minigan.DeviceError) as info:
        make()
    message = str(info.value)
    assert "'cuda' was asked for" in message
    assert minigan.cuda.unavailable_reason() in message


def test_device_error_is_a_runtime_error():
    assert issubclass(minigan.DeviceError, RuntimeError)


# -- the array module of a value ------------------------------------------------------------

def test_array_module_of_each_device(device, xp):
    a = xp.arange(3.0)
    assert backend.array_module(device) is xp
    assert backend.get_array_module(a) is xp
    assert backend.get_array_module(2.0, a, None) is xp  # numbers and None are ignored
    assert backend.device_of(a) == device
    assert backend.is_array(a)
    assert minigan.tensor([1.0], device=device).xp is xp


def test_get_array_module_defaults_to_numpy():
    assert backend.get_array_module() is np
    assert backend.get_array_module(1, 2.5, [3.0]) is np


@pytest.mark.parametrize("value", [[1.0], 1.0, np.float64(1.0), minigan.tensor([1.0])])
def test_is_array_only_for_ndarrays(value):
    assert not backend.is_array(value)


def test_to_device_and_back_keeps_values(device, xp):
    a = np.arange(6.0).reshape(2, 3)
    moved = backend.to_device(a, device)
    assert backend.device_of(moved) == device
    back = backend.as_numpy(moved)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, a)
    assert backend.to_device(a, "cpu") is a  # no copy when it is already there


# -- two devices in one operation -----------------------------------------------------------

def test_the_stand_in_array_counts_as_cuda_and_is_no_numpy_array(fake_cuda):
    a = fake_cuda.zeros(2)
    assert backend.is_array(a) and backend.is_cupy_array(a) and backend.device_of(a) == "cuda"
    assert not isinstance(a, np.ndarray)
    assert minigan.Tensor._from_op(a, None).device == "cuda"
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)  # as with CuPy: a GPU array never becomes a host array unasked


def test_mixing_devices_in_get_array_module_names_both(fake_cuda):
    with pytest.raises(minigan.DeviceError, match=r"'cpu' and 'cuda'.*\.to\(device\)"):
        backend.get_array_module(np.zeros(2), fake_cuda.zeros(2))


@pytest.mark.parametrize("cpu_first", [True, False])
def test_mixing_devices_in_an_operation_names_both(fake_cuda, cpu_first):
    cpu = minigan.tensor([1.0, 2.0], requires_grad=True)
    gpu = minigan.Tensor._from_op(fake_cuda.zeros(2), None)
    args = (cpu, gpu) if cpu_first else (gpu, cpu)
    with pytest.raises(minigan.DeviceError) as info:
        F.add(*args)
    message = str(info.value)
    where, earlier = ("cuda", "cpu") if cpu_first else ("cpu", "cuda")
    assert f"Add: argument 1 is on '{where}' but an earlier one is on '{earlier}'" in message
    assert ".to(device)" in message


@pytest.mark.cuda
@pytest.mark.parametrize("op", [F.add, F.mul, F.matmul])
def test_mixing_cpu_and_cuda_tensors_raises_device_error(cuda_device, op):
    cpu = minigan.ones(2, 2)
    gpu = minigan.ones(2, 2, device="cuda")
    with pytest.raises(minigan.DeviceError, match=r"'cuda'.*'cpu'"):
        op(cpu, gpu)
    with pytest.raises(minigan.DeviceError, match=r"'cpu' and 'cuda'"):
        backend.get_array_module(cpu.data, gpu.data)


def test_cupy_is_imported_only_in_the_backend():
    """One dispatch point: no module but ``minigan/backend.py`` imports cupy or cupyx."""
    import ast
    from pathlib import Path

    package = Path(minigan.__file__).parent
    importers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(name.split(".")[0] in ("cupy", "cupyx") for name in names):
                importers.add(path.relative_to(package).as_posix())
    assert importers == {"backend.py"}
