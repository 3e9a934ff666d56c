"""``Tensor``: an array (NumPy or CuPy), its gradient, and the operation that made it.

A Tensor is a thin wrapper: ``t.data`` is the array, ``t.grad`` the gradient that backward
accumulated (a Tensor, or None), ``t.grad_fn`` the :class:`~minigan.autograd.Function` node that
computed it (None for a *leaf*, a tensor the user made). ``requires_grad=True`` on a leaf asks
backward to compute its gradient; every result of an operation on such a tensor requires grad.

The arithmetic operators and methods (``x + y``, ``x.exp()``, ``x.sum(dim=1)``...) are the
functions of :mod:`minigan.functional`, so both spellings run the same code.

In-place writes (``copy_``, ``add_``..., an assignment to ``t.data``) and the version counter
that keeps them from silently corrupting a gradient live in :mod:`minigan.inplace`, the half of
the class that Tensor inherits.
"""

import weakref

import numpy as np

from . import backend
from .inplace import VersionCounted

_FLOAT_KINDS = "f"

# The kinds of values a tensor holds: booleans, signed and unsigned integers, floating point.
_NUMERIC_KINDS = "biuf"


_NOT_NUMBERS = "complex numbers, Python objects, strings and dates are not supported"


def _check_numeric(dtype, origin=""):
    """Refuse complex numbers, Python objects, strings, dates...: NumPy would carry them along,
    but every operation here assumes real numbers (sigmoid(1 + 2j) would drop the 2j)."""
    if dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"tensor(): data must be numbers (bool, integers or floating point), "
                        f"got dtype {dtype}{origin}; {_NOT_NUMBERS}")
    return dtype


def _default_dtype(data, dtype):
    """PyTorch's rule: Python floats become float32; arrays keep their dtype."""
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"tensor(): dtype must be a NumPy dtype such as np.float32, got "
                            f"{dtype!r}") from None
        _default_dtype(data, None)  # the data must be numbers too
        if dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"tensor(): dtype must be a numeric type (bool, integers or "
                            f"floating point), got {dtype}; {_NOT_NUMBERS}")
        return dtype
    if backend.is_array(data):
        return _check_numeric(data.dtype)
    try:
        probe = np.asarray(data)
    except ValueError:  # ragged nested lists
        raise ValueError("tensor(): data must be a number or a rectangular nested list of "
                         "numbers; the rows of this one have different lengths") from None
    if probe.dtype.kind == "f" and not isinstance(data, np.generic):
        return np.dtype(np.float32)
    return _check_numeric(probe.dtype, f" from a {type(data).__name__}")


class Tensor(VersionCounted):
    """An n-dimensional array that records the operations applied to it (see module docstring).

    Make one with :func:`minigan.tensor`; the constructor takes the same arguments.
    """

    # _data: the array (``data`` is a property, so that assigning to it counts as a write);
    # _version_counter: [number of in-place writes], one list shared by a tensor and its views
    __slots__ = ("_data", "grad", "grad_fn", "_requires_grad", "name", "_version_counter",
                 "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__ instead of looping

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        source = data if isinstance(data, Tensor) else None
        if source is not None:
            data = data.data
        dtype = _default_dtype(data, dtype)
        if device is None:
            device = backend.device_of(data) if backend.is_array(data) else "cpu"
        device = backend.check_device(device)
        xp = backend.array_module(device)
        if backend.is_array(data) and backend.device_of(data) != device:
            data = backend.to_device(data, device)
        self._data = xp.asarray(data, dtype=dtype)
        # A tensor around another one's very array sees (and counts) the same writes.
        shared = source is not None and self._data is source._data
        self._version_counter = source._version_counter if shared else [0]
        self.grad = None
        self.grad_fn = None
        self.name = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data, grad_fn):
        """A Tensor around an array an operation produced (no checks: the hot path)."""
        t = object.__new__(cls)
        t._data = data
        t._version_counter = [0]
        t.grad = None
        t.grad_fn = grad_fn
        t.name = None
        t._requires_grad = grad_fn is not None
        return t

    # -- gradient bookkeeping --------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether backward computes a gradient for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be set on a leaf tensor; use .detach() to "
                               "make a leaf from the result of an operation")
        if value and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(f"only floating-point tensors can require gradients, this one is "
                            f"{self.data.dtype}")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self (PyTorch's spelling)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by an operation."""
        return self.grad_fn is None

    def retain_grad(self):
        """Ask backward to keep ``.grad`` on this non-leaf tensor too (leaves always keep it)."""
        if self.grad_fn is None:
            return
        self.grad_fn._retained = weakref.ref(self)

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` is dL/d(self); it may be left out only when self is a scalar.
        """
        gradients = None if gradient is None else (gradient,)  # a list is one gradient here
        engine.backward(self, gradients, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self):
        """The same values as a new leaf that does not require grad (the data, and so the
        version counter, is shared)."""
        t = Tensor._from_op(self._data, None)
        t._version_counter = self._version_counter
        return t

    # -- array facts -----------------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def device(self):
        """``"cpu"`` or ``"cuda"``."""
        return backend.device_of(self.data)

    @property
    def xp(self):
        """The array module of the data: ``numpy`` or ``cupy``."""
        return np if isinstance(self.data, np.ndarray) else backend.array_module("cuda")

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return int(self.data.size)

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def numpy(self):
        """The values as a NumPy array (copied from the GPU if needed; shared on the CPU).

        For a tensor that requires grad the array is read-only: a write into it would change
        the values a graph computed with, behind the version counter's back (see
        :mod:`minigan.inplace`). ``t.detach().numpy()`` is writable, and its writes are not
        counted."""
        values = backend.as_numpy(self.data)
        if self._requires_grad:
            values = values.view()
            values.flags.writeable = False
        return values

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape "
                             f"{self.shape}")
        return self.data.item()

    def tolist(self):
        return backend.as_numpy(self.data).tolist()

    def to(self, device=None, dtype=None):
        """A copy on ``device`` and/or with ``dtype``; differentiable, and self when nothing
        changes. A dtype alone may come first, as in PyTorch: ``x.to(np.float64)``."""
        if dtype is None and isinstance(device, (type, np.dtype)):
            device, dtype = None, device  # not a device name: a dtype
        return F.to(self, device=device, dtype=dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def __repr__(self):
        body = np.array2string(backend.as_numpy(self.data), separator=", ", precision=4,
                               prefix="tensor(")
        extras = []
        if self.dtype != np.float32:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError("the truth value of a tensor with more than one element is "
                             "ambiguous; use .any() or .all() on its .data")
        return bool(self.data)

    def __hash__(self):
        return id(self)

    # -- operators: the functional ops under their Python spellings ------------------------
    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.sub(self, other)

    def __rsub__(self, other):
        return F.sub(other, self)

    def __mul__(self, other):
        return F.mul(self, other)

    def __rmul__(self, other):
        return F.mul(other, self)

    def __truediv__(self, other):
        return F.div(self, other)

    def __rtruediv__(self, other):
        return F.div(other, self)

    def __pow__(self, other):
        return F.pow(self, other)

    def __rpow__(self, other):
        return F.pow(other, self)

    def __neg__(self):
        return F.neg(self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __getitem__(self, index):
        return F.index(self, index)

    # Comparisons give boolean tensors, constants of the graph (masks for `where`).
    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    # -- methods with PyTorch's names ------------------------------------------------------
    def add(self, other):
        return F.add(self, other)

    def sub(self, other):
        return F.sub(self, other)

    def mul(self, other):
        return F.mul(self, other)

    def div(self, other):
        return F.div(self, other)

    def pow(self, exponent):
        return F.pow(self, exponent)

    def neg(self):
        return F.neg(self)

    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def sqrt(self):
        return F.sqrt(self)

    def abs(self):
        return F.abs(self)

    def tanh(self):
        return F.tanh(self)

    def sigmoid(self):
        return F.sigmoid(self)

    def relu(self):
        return F.relu(self)

    def clamp(self, min=None, max=None):
        return F.clamp(self, min, max)

    def maximum(self, other):
        return F.maximum(self, other)

    def minimum(self, other):
        return F.minimum(self, other)

    def matmul(self, other):
        return F.matmul(self, other)

    def sum(self, dim=None, keepdim=False):
        return F.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return F.mean(self, dim, keepdim)

    def var(self, dim=None, *, keepdim=False, correction=1):
        return F.var(self, dim, keepdim=keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return F.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return F.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return F.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return F.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return F.logsumexp(self, dim, keepdim)

    def log_softmax(self, dim):
        return F.log_softmax(self, dim)

    def softmax(self, dim):
        return F.softmax(self, dim)

    def reshape(self, *shape):
        return F.reshape(self, *shape)

    def view(self, *shape):
        return F.reshape(self, *shape)

    def transpose(self, dim0, dim1):
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return F.permute(self, *dims)

    @property
    def T(self):
        """The dimensions reversed (the matrix transpose for 2-D tensors)."""
        return F.permute(self, *reversed(range(self.ndim)))

    def flatten(self, start_dim=0, end_dim=-1):
        return F.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        return F.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return F.squeeze(self, dim)

    def expand(self, *shape):
        """``broadcast_to``, where a size of -1 keeps that dimension's size (PyTorch's rule)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        new = len(shape) - self.ndim  # the leading dims that broadcasting adds
        return F.broadcast_to(self, tuple(self.shape[i - new] if n == -1 and i >= new else n
                                          for i, n in enumerate(shape)))

    def broadcast_to(self, *shape):
        return F.broadcast_to(self, *shape)


def _compare(ufunc, a, b):
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    return Tensor._from_op(ufunc(a, b), None)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """Make a leaf Tensor from a number, nested list, NumPy/CuPy array or Tensor.

    Python floats become float32 (as in PyTorch); arrays keep their dtype unless ``dtype`` is
    given; ``device`` is ``"cpu"`` (default for lists) or ``"cuda"``, and an array stays where it
    is unless ``device`` says otherwise. The data is copied.
    """
    if isinstance(data, Tensor):
        data = data.data
    if backend.is_array(data):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _full_like_factory(fill):
    def make(*shape, dtype=np.float32, device="cpu", requires_grad=False):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        xp = backend.array_module(device)
        return Tensor(xp.full(shape, fill, dtype=dtype), requires_grad=requires_grad)
    make.__name__ = {0: "zeros", 1: "ones"}[fill]
    make.__doc__ = f"A leaf tensor of the given shape filled with {fill} (float32 by default)."
    return make


zeros = _full_like_factory(0)
ones = _full_like_factory(1)


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros with the shape, dtype and device of ``t``."""
    return Tensor(t.xp.zeros_like(t.data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones with the shape, dtype and device of ``t``."""
    return Tensor(t.xp.ones_like(t.data, dtype=dtype), requires_grad=requires_grad)


# The operations are defined in terms of Tensor, so they are imported after it.
from . import functional as F  # noqa: E402
from .autograd import engine  # noqa: E402
