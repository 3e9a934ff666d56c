"""A NumPy-backed stand-in for CuPy, so that the ``"cuda"`` cases of the device-parametrised tests
run on a machine without a GPU (check 3 of the GPU code: "dispatches").

This module *is* the stand-in module: ``backend._cupy = fake_cupy`` (the ``fake_cuda`` fixture
in ``conftest.py`` does that) and every ``xp.exp``, ``xp.zeros``,
``xp.lib.stride_tricks.as_strided``... resolves, through the module ``__getattr__`` below, to
NumPy's function wrapped so that it takes and returns :class:`ndarray`, a distinct type holding
a NumPy buffer. ``cupyx`` is its twin of the
``cupyx`` module, and ``RawModule`` runs CUDA sources through the CPU emulation of
``minigan.kernels.cuda.emulation``.

Faithful to what CuPy does differently from NumPy, because those are the bugs it exists to catch:

- its arrays are not ``numpy.ndarray``: ``isinstance(a, numpy.ndarray)`` is False;
- no implicit conversion to NumPy: ``numpy.asarray(a)`` raises TypeError (``__array__``), so do
  operations mixing a CuPy and a NumPy array (``a + host``, ``xp.add(a, host)``,
  ``numpy.add(host, a)``) and ``a[...] = host`` for a non-scalar host array; only
  ``cupy.asarray``/``cupy.array`` copy a host array over, and ``.get()``/``cupy.asnumpy`` back;
- NumPy functions and ufuncs applied to its arrays (``__array_function__``, ``__array_ufunc__``)
  compute on the device and return device arrays, as CuPy's do;
- reductions and integer indexing return 0-d arrays, never NumPy scalars (``float(a)``,
  ``bool(a)`` and ``a.item()`` work, as on CuPy; ``range(a)`` does not: there is no ``__index__``);
- only the ``ndarray`` methods CuPy has; ``flags`` has only ``c_contiguous``, ``f_contiguous``,
  ``owndata``;
- ``cupyx.scatter_add`` refuses the dtypes CuPy refuses (int64 among them);
- no floating-point warnings (a GPU raises none, whatever ``numpy.errstate`` says);
- ``RawModule(...).get_function(name)(grid, block, args)`` checks every argument against the C
  signature (the emulation's checks) and refuses host arrays.

Deliberately not modelled: which functions CuPy lacks (check 4 looks up every name the GPU path
calls in the real wheel), CuPy's rejection of Python lists by most non-creation functions,
out-of-bounds fancy indices (CuPy wraps them), streams and asynchrony, speed, memory.
"""

import operator
import sys
import types

import numpy as np

from minigan.kernels.cuda import emulation

# CuPy's own message for an implicit device-to-host conversion
_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
             "construct a NumPy array explicitly.")
# the public members of cupy.ndarray (CuPy 14), the only ones the stand-in's arrays answer to
_METHODS = frozenset(
    "T all any argmax argmin argpartition argsort astype base byteswap choose clip compress conj "
    "conjugate copy cumprod cumsum diagonal dot dump dumps fill flatten imag item itemsize mT max "
    "mean min nbytes nonzero partition prod ptp put ravel real repeat reshape round searchsorted "
    "sort squeeze std strides sum swapaxes take tobytes tofile tolist trace transpose var "
    "view".split())
_NUMBERS = (int, float, complex, np.generic)  # what CuPy's operators take besides its arrays


class ndarray:  # noqa: N801 (CuPy's name)
    """A device array: a NumPy buffer that NumPy code cannot take implicitly."""

    __slots__ = ("_a",)
    __array_priority__ = 100  # as CuPy's: NumPy defers its operators to ours
    __hash__ = None

    def __init__(self, shape, dtype=float):
        self._a = np.empty(shape, dtype)

    # -- facts ----------------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)

    @property
    def flags(self):
        a = self._a.flags
        return types.SimpleNamespace(c_contiguous=a.c_contiguous, f_contiguous=a.f_contiguous,
                                     owndata=a.owndata)

    def __getattr__(self, name):
        if name not in _METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        value = getattr(self._a, name)
        return _function(value) if callable(value) else _wrap(value)

    # -- host <-> device ------------------------------------------------------------------------
    def get(self):
        """A NumPy copy (device to host)."""
        return self._a.copy()

    def set(self, array):
        """Copy a NumPy array of the same shape in (host to device)."""
        self._a[...] = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _call(func, args, kwargs)

    def __reduce__(self):  # pickles, as CuPy's arrays do, by way of the host
        return _from_numpy, (self._a,)

    def __copy__(self):
        return _from_numpy(self._a.copy())

    def __deepcopy__(self, memo):
        return self.__copy__()

    # -- Python protocols -----------------------------------------------------------------------
    def __getitem__(self, key):
        return _call(operator.getitem, (self, _index(key)))

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray) and value.ndim > 0:
            raise TypeError(f"cannot assign a numpy.ndarray of shape {value.shape} to a CuPy "
                            f"array; move it with cupy.asarray first")
        _call(operator.setitem, (self, _index(key), value))

    def __iter__(self):
        return (self[i] for i in range(len(self)))


# len(), bool(), float(), int(), complex(), repr(), str(): read from the buffer (a GPU would copy
# the value to the host and wait for it)
for _convert in (len, bool, float, int, complex, repr, str):
    setattr(ndarray, f"__{_convert.__name__}__", lambda self, f=_convert: f(self._a))


def _operator(function):
    """An ndarray operator: numbers and device arrays only; anything else is the other operand's
    business (NotImplemented), except a NumPy array, which CuPy refuses outright."""
    def method(self, *other):
        if other and not isinstance(other[0], (ndarray, *_NUMBERS)):
            if isinstance(other[0], np.ndarray):
                raise TypeError(f"Unsupported type {type(other[0])}")
            return NotImplemented
        return _call(function, (self, *other))
    return method


_BINARY = "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift divmod".split()
for _name in _BINARY + "lt le eq ne gt ge neg pos abs invert".split():
    _function_of = getattr(operator, _name, None) or getattr(operator, _name + "_", divmod)
    setattr(ndarray, f"__{_name}__", _operator(_function_of))
    if _name in _BINARY:
        setattr(ndarray, f"__r{_name}__", _operator(lambda a, b, f=_function_of: f(b, a)))
    if hasattr(operator, f"i{_name}"):
        setattr(ndarray, f"__i{_name}__", _operator(getattr(operator, f"i{_name}")))


# -- wrapping NumPy -------------------------------------------------------------------------------

def _from_numpy(array):
    out = object.__new__(ndarray)
    out._a = array
    return out


def _unwrap(value, seen, host_ok):
    """Device arrays to their buffers (remembered in ``seen``), inside lists and tuples too."""
    if type(value) is ndarray:
        seen[id(value._a)] = value
        return value._a
    if isinstance(value, np.ndarray):
        if host_ok:
            return value
        raise TypeError(f"Unsupported type {type(value)}")  # CuPy's message for a host array
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v, seen, host_ok) for v in value)
    return value


def _wrap(value, seen=None):
    """NumPy results as device arrays (scalars as 0-d arrays); a buffer that came in goes out as
    the array it came in as, so that ``out=`` and in-place operators return that array."""
    if isinstance(value, np.ndarray):
        return seen[id(value)] if seen and id(value) in seen else _from_numpy(value)
    if isinstance(value, np.generic):
        return _from_numpy(np.asarray(value))
    if type(value) in (list, tuple):
        return type(value)(_wrap(v, seen) for v in value)
    return value


def _call(function, args, kwargs=None, host_ok=False):
    """``function`` (NumPy's) on the buffers of device arrays, its results back on the device."""
    seen = {}
    args = _unwrap(args, seen, host_ok)
    kwargs = {k: _unwrap(v, seen, host_ok) for k, v in (kwargs or {}).items()}
    with np.errstate(all="ignore"):
        return _wrap(function(*args, **kwargs), seen)


def _index(key):
    """An index may hold host arrays and lists: CuPy copies them to the device."""
    if type(key) is tuple:
        return tuple(map(_index, key))
    return _from_numpy(np.asarray(key)) if isinstance(key, (np.ndarray, list)) else key


class _Function:
    """A NumPy function or ufunc taking and returning device arrays (``.at``, ``.reduce``... of a
    ufunc too)."""

    def __init__(self, function, host_ok=False):
        self._function, self._host_ok = function, host_ok

    def __call__(self, *args, **kwargs):
        return _call(self._function, args, kwargs, self._host_ok)

    def __getattr__(self, name):
        method = getattr(self._function, name)
        if name == "at":  # ufunc.at(a, indices, b): the indices may be host arrays, as in a[...]
            return lambda a, indices, b=None: _call(method, (a, _index(indices), b))
        return _function(method)


def _function(value, host_ok=False):
    return _Function(value, host_ok)


class _Namespace:
    """A NumPy submodule (``lib``, ``lib.stride_tricks``, ``linalg``, ``random``...), on the
    device."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return _delegate(getattr(self._module, name))


def _delegate(value):
    if isinstance(value, types.ModuleType):
        return _Namespace(value)
    if callable(value) and not isinstance(value, type):
        return _function(value)
    return value  # dtypes, constants and classes are NumPy's own in CuPy too (cupy.float32...)


def __getattr__(name):
    """``fake_cupy.NAME``: NumPy's NAME, on device arrays."""
    value = _delegate(getattr(np, name))
    globals()[name] = value  # looked up once
    return value


# -- the host-facing functions --------------------------------------------------------------------

def asarray(a, dtype=None, order=None):
    """A device array from a device array, a host array, a list or a number."""
    if type(a) is ndarray:
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return _from_numpy(np.array(_unwrap(a, {}, host_ok=True), dtype=dtype, order=order or "K"))


def array(obj, dtype=None, copy=True, order="K", ndmin=0):
    return _from_numpy(np.array(_unwrap(obj, {}, host_ok=True), dtype=dtype, copy=copy,
                                order=order, ndmin=ndmin))


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """A NumPy copy of a device array (a host array is returned as it is)."""
    return a.get() if type(a) is ndarray else np.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if any(type(a) is ndarray for a in args) else np


cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))


class _CupyxModule:
    """The part of ``cupyx`` that minigan reaches."""

    @staticmethod
    def scatter_add(a, slices, value):
        """a[slices] += value, with repeated indices adding up; CuPy's atomics take only these
        dtypes."""
        if a.dtype not in (np.int32, np.float16, np.float32, np.float64, np.uint32, np.uint64):
            raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, "
                            "uint64, as data type")
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        _call(np.add.at, (a, _index(slices), value))


cupyx = _CupyxModule()


# -- RawModule, on the CPU emulation ------------------------------------------------------------

class RawModule:
    """``cupy.RawModule(code=..., options=...)``: the source compiled by the CPU emulation."""

    def __init__(self, code=None, options=(), **kwargs):
        self.code, self.options = code, tuple(options)
        self._module = emulation.EmulatedModule(code)

    def get_function(self, name):
        return RawKernel(self._module.get_function(name))


class RawKernel:
    """One kernel; ``kernel(grid, block, args)`` hands the device arrays' buffers to the emulated
    kernel, which checks each against its C parameter. Host arrays are refused: a GPU kernel
    cannot read host memory."""

    def __init__(self, kernel):
        self.kernel = kernel

    def __call__(self, grid, block, args, **kwargs):
        for value in args:
            if isinstance(value, np.ndarray):
                raise TypeError(f"kernel {self.kernel.name}: a numpy.ndarray was passed; a CUDA "
                                f"kernel takes device arrays")
        self.kernel(grid, block, tuple(v._a if type(v) is ndarray else v for v in args))
