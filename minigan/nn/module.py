"""``Module`` and ``Parameter``: how a model keeps its weights, its buffers and its sub-models.

A model is a tree of modules. Each module owns three ordered collections, filled by plain
attribute assignment in ``__init__``::

    class Critic(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 16)              # a Module      -> a child
            self.scale = Parameter(minigan.ones(1))  # a Parameter   -> a learnable weight
            self.register_buffer("calls", minigan.zeros(()))  # state that is not learned

        def forward(self, x):
            return self.scale * F.relu(self.hidden(x))

Everything else is a walk over that tree: ``parameters()`` for the optimizer, ``state_dict()``
for checkpoints (keys are dotted paths such as ``"hidden.weight"``, the same as PyTorch's for
the same model), ``train()`` / ``eval()`` for layers that behave differently when training
(dropout, batch norm), ``to(device)`` to move every array at once.
"""

from collections import OrderedDict, namedtuple
from contextlib import contextmanager

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor, zeros


class Parameter(Tensor):
    """A learnable weight: a leaf Tensor that requires grad and that a Module registers.

    ``Parameter(data)`` shares ``data``'s array (a Tensor or an array); ``requires_grad=False``
    keeps it registered (saved in the state dict, moved by ``to``) but frozen.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.detach() if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def layer_zeros(shape, dtype=None, device=None):
    """A Tensor of zeros, float32 on the CPU unless told otherwise: what a layer creates for
    its parameters and buffers before its initialisation fills in the values."""
    return zeros(shape, dtype=np.float32 if dtype is None else dtype,
                 device="cpu" if device is None else device)


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = "What load_state_dict(strict=False) skipped: keys missing / unexpected."


def _count(n):
    return f"{n:,} parameter" + ("" if n == 1 else "s")


class Module:
    """Base class of every layer and model: subclass it, assign parts in ``__init__`` (after
    ``super().__init__()``), and define ``forward``; call the module to run it.
    """

    def __init__(self):
        # Set directly: __setattr__ below sorts values into these three registries.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration: attribute assignment sorts values into the three collections -------
    def _registry(self, name):
        try:
            return object.__getattribute__(self, name)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the top "
                                 "of __init__, before assigning parameters or modules") from None

    def __setattr__(self, name, value):
        params, buffers, modules = (self._registry(n)
                                    for n in ("_parameters", "_buffers", "_modules"))
        if isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} to parameter '{name}' "
                                f"of {type(self).__name__}: wrap it in Parameter(...) (or "
                                "assign None)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer '{name}' must be a Tensor or None, got "
                                f"{type(value).__name__}")
            buffers[name] = value
        else:
            if name in modules:
                del modules[name]
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only reached when ordinary lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """Register a Tensor that is state but not learned (e.g. batch norm's running mean):
        it is saved in the state dict and moved by ``to``, but the optimizer never sees it."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor

    # -- walking the tree ----------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(dotted name, module) for this module and every descendant, each once, parents
        first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for path, module in modules:
            path = ".".join(part for part in (prefix, path) if part)
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a weight shared by two layers is listed once
                yield (f"{path}.{name}" if path else name), value

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) for every parameter in the tree, each once; ``prefix`` is
        put before every name (``prefix="D"`` gives ``D.net.0.weight``), as in PyTorch."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """Every parameter in the tree, each once: what an optimizer is given."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant and then on self (children first, like
        PyTorch); returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ---------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (dropout drops, batch norm uses batch statistics) on the whole
        tree; returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: dropout is the identity, batch norm uses its running statistics."""
        return self.train(False)

    @contextmanager
    def evaluating(self):
        """``with module.evaluating(): y = module(x)``: the module in evaluation mode and no
        graph recorded, for looking at a model during training (samples, figures, metrics).
        Afterwards every submodule is back in the mode it was in, so a probe in the middle of
        training changes nothing (not even batch norm's running statistics, which eval mode
        leaves alone)."""
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            with no_grad():
                yield self
        finally:
            for module, training in modes:
                module.training = training

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter, e.g. the discriminator during the
        generator's step; returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the gradients that backward accumulated (to None, or to zeros)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            p.grad = None if set_to_none else Tensor._from_op(p.xp.zeros_like(p.data), None)

    # -- devices and dtypes ----------------------------------------------------------------
    def to(self, device=None, dtype=None):
        """Move every parameter and buffer to ``device`` and/or cast the floating-point ones to
        ``dtype``, in place (the Parameter objects stay the same, so an optimizer built before
        still holds them); returns self."""
        device = None if device is None else backend.check_device(device)
        dtype = None if dtype is None else np.dtype(dtype)

        def convert(array):
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return array

        for t in list(self.parameters()) + list(self.buffers()):
            moved = convert(t.data)
            if moved is not t.data:  # an assignment to .data counts as an in-place write
                t.data = moved
            if t.grad is not None:
                t.grad = Tensor._from_op(convert(t.grad.data), None)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    # -- checkpoints ---------------------------------------------------------------------
    def _state_entries(self, prefix=""):
        """name -> live Tensor for every parameter and buffer, in PyTorch's order: a module's
        own parameters, then its own buffers, then its children's. A module used in two places
        appears under both names, as in PyTorch, so that the keys match its state dicts."""
        entries = OrderedDict()
        for registry in (self._parameters, self._buffers):
            for name, t in registry.items():
                if t is not None:
                    entries[prefix + name] = t
        for name, child in self.named_children():
            entries.update(child._state_entries(f"{prefix}{name}."))
        return entries

    def state_dict(self):
        """An ordered dict from dotted names to Tensors: every parameter and buffer.

        The tensors are *copies* (detached, on the module's device): a snapshot that later
        training steps do not change, so ``best = model.state_dict()`` keeps the best weights.
        (PyTorch hands out views that training keeps updating; a copy costs little here.)
        """
        return OrderedDict((name, Tensor._from_op(t.data.copy(), None))
                           for name, t in self._state_entries().items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` (Tensors or arrays, on any device) into this
        module's parameters and buffers, keeping their device and dtype.

        Nothing is changed unless the whole load can succeed. A shape mismatch always raises;
        keys missing from ``state_dict`` or not in the model raise when ``strict`` and are
        returned as ``(missing_keys, unexpected_keys)`` otherwise.
        """
        entries = self._state_entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        problems = []
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        values = {}
        for key, target in entries.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else value
            if not backend.is_array(value):
                value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                problems.append(f"'{key}' holds {value.dtype} values, not numbers")
            elif value.shape != target.shape:
                problems.append(f"size mismatch for '{key}': the state dict has shape "
                                f"{tuple(value.shape)}, the model {tuple(target.shape)}")
            values[key] = value
        if problems:
            raise RuntimeError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for key, value in values.items():
            target = entries[key]
            target.data[...] = backend.to_device(value, target.device)
            target._bump_version()  # an in-place write: graphs built before cannot backward
        return IncompatibleKeys(missing, unexpected)

    # -- printing ------------------------------------------------------------------------
    def extra_repr(self):
        """The arguments shown between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self):
        own = sum(p.numel() for p in self.parameters(recurse=False))
        total = sum(p.numel() for p in self.parameters())
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return head + ")" + (f"  # {_count(total)}" if total else "")
        lines = [head]
        if own:
            lines[0] += f"  # own: {_count(own)}"
        for name, module in children:
            body = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")" + (f"  # {_count(total)}" if total else ""))
        return "\n".join(lines)
