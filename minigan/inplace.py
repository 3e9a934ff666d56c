"""In-place writes and the version counter: the half of :class:`~minigan.Tensor` that changes
its values after the fact.

Backward computes with the values that forward
saw: ``d(x * w)/dx = w`` needs w as it was. A tensor changed in place between the forward and
the backward (an optimizer step, ``copy_``, ``add_``...) would make that gradient silently
wrong, so every tensor carries ``t._version``, the number of in-place writes made to it, as in
PyTorch. Each :class:`~minigan.autograd.Function` node notes the versions of the tensors it was
called with (and of its output), and backward checks them first: a mismatch raises
:class:`~minigan.autograd.InplaceModificationError` naming the tensor. The writes that minigan
makes all count: the in-place methods (``copy_``, ``fill_``, ``zero_``, ``add_``, ``mul_``),
optimizer steps, ``nn.init``, ``load_state_dict``, and any assignment to ``t.data`` (which
includes ``t.data -= lr * g``: Python assigns the result back). Views share one counter: a
tensor made by an operation whose result is a NumPy/CuPy view of an input (``reshape``,
``transpose``, basic indexing...) and ``detach()`` count the writes to the memory they share
with it. Writing into the array itself (``t.data[0] = 1``) goes around the counter, as in
PyTorch; ``t.numpy()`` of a tensor that requires grad is therefore read-only.

The check costs almost nothing: one global count of in-place writes, noted by each node at
forward time, tells backward whether any write happened since; only then are the versions
compared one by one.
"""

import numpy as np

from . import backend

# How many in-place writes have been made to any tensor: a node of the graph notes it at forward
# time, so that backward compares versions only when some write happened since (one list, so
# that other modules can hold it).
inplace_writes = [0]


class VersionCounted:
    """What :class:`~minigan.Tensor` inherits for in-place writes: ``data`` (assigning to it
    counts), the version counter ``_version`` and the in-place methods. Every Tensor is one.

    It keeps no state of its own: the array is ``self._data`` and the counter
    ``self._version_counter``, a one-element list shared by a tensor and its views, both set by
    Tensor.
    """

    __slots__ = ()

    @property
    def data(self):
        """The array (NumPy or CuPy). Assigning to it counts as an in-place write."""
        return self._data

    @data.setter
    def data(self, value):
        if not backend.is_array(value):
            raise TypeError(f"Tensor.data must be a NumPy or CuPy array, got "
                            f"{type(value).__name__}; use minigan.tensor(...) to convert")
        self._data = value
        self._bump_version()

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (see the module docstring)."""
        return self._version_counter[0]

    def _bump_version(self):
        """Count one in-place write: called by everything in minigan that writes into
        ``self.data`` (the methods below, optimizers, ``nn.init``, ``load_state_dict``)."""
        self._version_counter[0] += 1
        inplace_writes[0] += 1

    def _check_inplace(self, op):
        # Imported here: autograd imports Tensor, which is still being defined when this module
        # is first imported.
        from .autograd import grad_mode

        if self._requires_grad and grad_mode._enabled:
            raise RuntimeError(
                f"{op}: in-place operations are not recorded by autograd, so on a tensor that "
                "requires grad they would make its gradient wrong; use the out-of-place "
                "operation (y = x + 1), or write under minigan.no_grad() to change a parameter "
                "on purpose (as an optimizer or nn.init does)")

    def _write(self, op, values):
        """``self.data[...] = values`` (broadcast, cast to self's dtype), counted."""
        self._check_inplace(op)
        values = values.data if isinstance(values, VersionCounted) else values
        if backend.is_array(values) and backend.device_of(values) != self.device:
            raise backend.DeviceError(f"{op}: the values are on '{backend.device_of(values)}' "
                                      f"but the tensor is on '{self.device}'")
        try:
            self._data[...] = values
        except ValueError:
            raise ValueError(f"{op}: values of shape {np.shape(values)} cannot be "
                             f"broadcast to the tensor's shape {self.shape}") from None
        self._bump_version()
        return self

    def copy_(self, src):
        """Overwrite the values with those of ``src`` (a Tensor, array or number, broadcast
        to self's shape and cast to its dtype); returns self."""
        return self._write("copy_", src)

    def fill_(self, value):
        """Set every value to the number ``value``; returns self."""
        return self._write("fill_", value)

    def zero_(self):
        """Set every value to 0; returns self."""
        return self._write("zero_", 0)

    def add_(self, other, alpha=1):
        """self += alpha * other, in place; returns self."""
        other = other.data if isinstance(other, VersionCounted) else other
        return self._write("add_", self.data + alpha * other)

    def mul_(self, other):
        """self *= other, in place; returns self."""
        other = other.data if isinstance(other, VersionCounted) else other
        return self._write("mul_", self.data * other)
