"""``Function``: one differentiable operation, its forward and its backward side by side.

Every operation in minigan (``add``, ``exp``, ``matmul``, ``conv2d``...) is a subclass with two
static methods, and learners define new operations the same way::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):                # x: an array (NumPy or CuPy)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):     # grad_output: a Tensor, dL/dy
            (x,) = ctx.inputs               # the Tensors forward was called with
            return grad_output * 3 * x ** 2 # dL/dx, written with Tensor operations

    y = Cube.apply(x)

``forward`` works on raw arrays, so it is as fast as the array library. ``backward`` works on
Tensors, so the gradient it returns is itself a function in the graph: ``minigan.grad(...,
create_graph=True)`` can differentiate it again (second derivatives, gradient penalties).
When no second derivative is wanted the engine runs backward under ``no_grad`` and the Tensor
operations cost what the array operations cost.

What backward may read from ``ctx``:

- ``ctx.inputs``: the arguments forward was called with, Tensors as Tensors (differentiable).
- ``ctx.output``: the output, as a Tensor attached to this node (differentiable).
- ``ctx.saved_tensors``: arrays saved with ``ctx.save_for_backward(...)``, as *constant*
  Tensors; use it for values whose derivative is zero or not needed (masks, indices).
- ``ctx.needs_input_grad``: one bool per argument; return ``None`` where it is False.
- any attribute forward set on ``ctx`` (shapes, axes, flags).

All of these are the values of forward time, so backward first checks that none of them has
changed since: each node notes the version of every Tensor it was called with and of its
output; a tensor written in place in between (an optimizer step, ``copy_``, an assignment to
``.data``...) raises :class:`InplaceModificationError` instead of giving a silently wrong
gradient (see :mod:`minigan.inplace`). The check covers every input, also those a backward reads
only for their shape: stricter than PyTorch, which checks only the tensors it saved.

An instance of the class is the graph's node: ``y.grad_fn`` is the ``Cube`` that made ``y``.
"""

import numpy as np

from .. import backend
from ..inplace import inplace_writes
from . import grad_mode


def _raise_mixed_devices(op, arrays):
    """The error for NumPy and CuPy arrays in one call, naming the first argument that differs."""
    devices = [backend.device_of(a) if backend.is_array(a) else None for a in arrays]
    first = next(d for d in devices if d is not None)
    i = next(i for i, d in enumerate(devices) if d is not None and d != first)
    raise backend.DeviceError(
        f"{op}: argument {i} is on '{devices[i]}' but an earlier one is on '{first}'; move them "
        "to one device with .to(device) first")


class GraphFreedError(RuntimeError):
    """Backward reached a node whose graph an earlier backward pass already freed."""


class InplaceModificationError(RuntimeError):
    """Backward reached a node one of whose tensors was written in place after its forward."""


def _share_counter(result, args):
    """Give ``result``, whose array is a view, the version counter of the Tensor in ``args``
    whose memory it views (none when it is a view of a temporary array)."""
    base = result._data.base
    for a in args:
        if isinstance(a, Tensor) and (a._data is base or a._data.base is base):
            result._version_counter = a._version_counter
            return


class Function:
    """Base class of differentiable operations; see the module docstring for the contract."""

    _retained = None  # weak reference to a non-leaf Tensor whose ``.grad`` should be kept

    @staticmethod
    def forward(ctx, *args):
        """Compute the output array from input arrays (and any non-Tensor arguments)."""
        raise NotImplementedError(
            "a Function subclass must define forward(ctx, *args) returning an array")

    @staticmethod
    def backward(ctx, grad_output):
        """Return the gradient of the loss for each argument of forward, given dL/d(output)."""
        raise NotImplementedError(
            "a Function subclass must define backward(ctx, grad_output) returning gradients")

    @classmethod
    def apply(cls, *args):
        """Run forward on the arrays inside ``args`` and, if any input requires a gradient
        (and grad mode is on), record this call as a node of the graph."""
        ctx = cls()
        arrays, needs, versions = [], [], []
        enabled = grad_mode._enabled
        on_cpu = on_gpu = False
        for a in args:
            if isinstance(a, Tensor):  # Parameters too
                needs.append(a._requires_grad)
                if enabled:  # the versions backward will check (no graph, no check)
                    versions.append(a._version_counter[0])
                a = a._data
            else:
                needs.append(False)
                if isinstance(a, np.generic):
                    a = a.item()  # NumPy scalars act as Python numbers: they must not change dtype
            arrays.append(a)
            kind = type(a)
            # Note where each array lives; the common kinds are tested first (this is a hot path).
            if kind is np.ndarray:
                on_cpu = True
            elif kind is float or kind is int or a is None:
                pass
            elif isinstance(a, np.ndarray):
                on_cpu = True
            elif backend.is_cupy_array(a):
                on_gpu = True
        if on_gpu:
            if on_cpu:
                _raise_mixed_devices(cls.__name__, arrays)
            ctx.xp = backend.cupy_module()
        else:
            ctx.xp = np
        ctx.needs_input_grad = tuple(needs)

        out = cls.forward(ctx, *arrays)
        if not backend.is_array(out):
            out = ctx.xp.asarray(out)  # reductions may hand back NumPy scalars
        recording = enabled and True in needs
        result = Tensor._from_op(out, ctx if recording else None)
        base = out.base
        if base is not None:  # a view of an input (reshape, transpose...) shares its writes
            first = args[0]  # most often the viewed one
            if isinstance(first, Tensor) and (first._data is base or first._data.base is base):
                result._version_counter = first._version_counter
            else:
                _share_counter(result, args[1:])
        if recording:
            ctx.inputs = args
            ctx._output_data = out
            # What backward checks, as forward saw it: the global count of in-place writes,
            # the versions of the Tensor arguments, and the output's counter and version.
            counter = result._version_counter
            ctx._versions = (inplace_writes[0], versions, counter, counter[0])
        return result

    # -- what backward reads -------------------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep arrays (or None) that backward will need as constants."""
        self._saved = arrays

    @property
    def saved_tensors(self):
        """The saved arrays as constant Tensors (no gradient flows into them)."""
        self._check_not_freed()
        return tuple(None if a is None else Tensor._from_op(a, None)
                     for a in getattr(self, "_saved", ()))

    @property
    def output(self):
        """The output of forward as a Tensor attached to this node (so it is differentiable)."""
        self._check_not_freed()
        return Tensor._from_op(self._output_data, self)

    # -- life cycle ----------------------------------------------------------------------
    def release(self):
        """Drop the inputs, output and saved arrays once backward has used them."""
        self.inputs = None
        self._output_data = None
        self._saved = None

    def _check_versions(self):
        """Raise :class:`InplaceModificationError` if a tensor of this node was written in place
        since its forward. Nothing to compare unless some tensor was written since (the engine
        tests that first, inline: it is the whole cost of the check on the hot path)."""
        writes, input_versions, output_counter, output_version = self._versions
        if writes == inplace_writes[0]:
            return
        tensors = [(i, t) for i, t in enumerate(self.inputs) if isinstance(t, Tensor)]
        for (i, t), version in zip(tensors, input_versions):
            if t._version_counter[0] != version:
                raise self._inplace_error(t, version, f"its argument {i}")
        if output_counter[0] != output_version:
            output = Tensor._from_op(self._output_data, self)
            output._version_counter = output_counter
            raise self._inplace_error(output, output_version, "its output")

    def _inplace_error(self, t, expected, which):
        name = type(self).__name__
        label = f" ({t.name})" if t.name else ""
        return InplaceModificationError(
            f"{name}.backward needs {which}{label}, a tensor of shape "
            f"{tuple(t.shape)} and dtype {t.dtype}, as forward saw it, but it was modified by "
            f"an in-place operation (version {t._version}, expected {expected}): e.g. an "
            "optimizer step between the forward and this backward; compute the loss again "
            "after the step, or call backward before the step")

    def _check_not_freed(self):
        if getattr(self, "inputs", None) is None:
            raise GraphFreedError(
                f"trying to backward through {type(self).__name__} a second time, but its saved "
                "values were freed by the first backward(); pass retain_graph=True to the first "
                "backward() or grad() call if you need to go through the graph twice")

    def __repr__(self):
        return f"<{type(self).__name__}>"


# Imported last: tensor.py imports the operations, which are built on Function.
from ..tensor import Tensor  # noqa: E402
