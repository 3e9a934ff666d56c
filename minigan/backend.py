"""Which array module a value lives on: the one place that knows about NumPy *and* CuPy.

Every array in minigan is either a ``numpy.ndarray`` (device ``"cpu"``) or a ``cupy.ndarray``
(device ``"cuda"``). Code above this module never asks which: it asks for ``xp``, the array
module of its inputs, and writes ``xp.exp(x)`` once for both. This is the only module in the
package that imports CuPy, and it does so lazily and guarded, keeping the reason an import
failed so that asking for ``"cuda"`` on a machine without CuPy or a GPU says *why*.

Where NumPy and CuPy differ in more than the module's name, the difference is handled here once
(:func:`scatter_add`) or in ``kernels/``; nothing above asks which library it holds.

Tests that have no GPU set ``_cupy`` and ``_cupyx`` (and clear ``_cupy_error``) to a NumPy-backed
stand-in for CuPy, whose arrays are a type of their own: then every ``"cuda"`` code path runs on
the CPU, as it would on CuPy (``tests/fake_cupy.py``, the ``device`` fixture of the tests).
"""

import numpy as np

DEVICES = ("cpu", "cuda")


class DeviceError(RuntimeError):
    """An array is on the wrong device, or the device asked for cannot be used here."""


_cupy = None  # the cupy module once imported successfully
_cupyx = None  # and its companion cupyx (scatter_add)
_cupy_error = None  # why it could not be used, as a sentence


def _load_cupy():
    """Import CuPy once and check that a GPU answers; remember the reason if not."""
    global _cupy, _cupyx, _cupy_error
    if _cupy is not None or _cupy_error is not None:
        return _cupy
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        _cupy_error = (f"CuPy is not importable ({type(exc).__name__}: {exc}); "
                       "install it with `pip install minigan[cuda]` on a machine with an NVIDIA "
                       "GPU")
        return None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        _cupy_error = f"CuPy is installed but CUDA cannot be used ({type(exc).__name__}: {exc})"
        return None
    if count == 0:
        _cupy_error = "CuPy is installed but no CUDA GPU is visible"
        return None
    import cupyx

    _cupy, _cupyx = cupy, cupyx
    return _cupy


def cuda_is_available():
    """True when CuPy imports and at least one CUDA GPU is visible."""
    return _load_cupy() is not None


def cuda_unavailable_reason():
    """Why ``"cuda"`` cannot be used here, or ``None`` when it can."""
    _load_cupy()
    return _cupy_error


def check_device(device, argument="device"):
    """Return ``device`` as ``"cpu"`` or ``"cuda"``, or raise naming the argument."""
    if device is None:
        return "cpu"
    name = str(device)
    if name == "cuda:0":  # one GPU is all minigan drives; accept PyTorch's spelling of it
        name = "cuda"
    if name not in DEVICES:
        raise ValueError(f"{argument} must be 'cpu', 'cuda' or 'cuda:0', got {device!r}")
    if name == "cuda" and not cuda_is_available():
        raise DeviceError(f"{argument}='cuda' was asked for, but {_cupy_error}")
    return name


def array_module(device):
    """The array module for a device name: ``numpy`` for ``"cpu"``, ``cupy`` for ``"cuda"``."""
    return _load_cupy() if check_device(device) == "cuda" else np


def is_array(value):
    """True for a NumPy or CuPy ndarray."""
    if isinstance(value, np.ndarray):
        return True
    return _cupy is not None and isinstance(value, _cupy.ndarray)


def is_cupy_array(value):
    """True for a CuPy ndarray (False, and no import, where CuPy was never loaded)."""
    return _cupy is not None and isinstance(value, _cupy.ndarray)


def cupy_module():
    """The cupy module, for code that already holds a CuPy array."""
    return _load_cupy()


def device_of(array):
    """``"cpu"`` for a NumPy array, ``"cuda"`` for a CuPy array."""
    return "cpu" if isinstance(array, np.ndarray) else "cuda"


def get_array_module(*arrays):
    """The module (``numpy`` or ``cupy``) that the given arrays live in.

    Non-array arguments (Python numbers) are ignored. Arrays from both modules at once raise a
    :class:`DeviceError`, because NumPy and CuPy cannot compute with each other's arrays.
    """
    module = None
    for a in arrays:
        if isinstance(a, np.ndarray):
            found = np
        elif _cupy is not None and isinstance(a, _cupy.ndarray):
            found = _cupy
        else:
            continue
        if module is not None and found is not module:
            raise DeviceError("arrays on both 'cpu' and 'cuda' were mixed in one operation; "
                              "move them to one device first with .to(device)")
        module = found
    return np if module is None else module


def scatter_add(out, index, values):
    """``out[index] += values`` in place, where an element that ``index`` names several times
    receives every value meant for it (plain ``+=`` would keep one): ``numpy.add.at`` on the
    CPU, ``cupyx.scatter_add`` on the GPU (atomic adds)."""
    if isinstance(out, np.ndarray):
        np.add.at(out, index, values)
    else:
        _cupyx.scatter_add(out, index, values)


def to_device(array, device):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    if device == "cpu":
        return _cupy.asnumpy(array)
    return _cupy.asarray(array)


def as_numpy(array):
    """A NumPy array with the values of ``array``, wherever it lives."""
    return array if isinstance(array, np.ndarray) else _cupy.asnumpy(array)
