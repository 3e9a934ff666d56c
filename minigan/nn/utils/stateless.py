"""``functional_call``: a module's forward with other tensors in place of its parameters.

A Module keeps its weights as Parameters, leaves of the graph. Some algorithms need the same
network evaluated at weights that are *results of operations*, e.g. the unrolled GAN's
theta_k = theta_{k-1} - lr * grad L(theta_{k-1}), so that a gradient can flow back through
theta_k. ``functional_call(D, {"net.0.weight": w, ...}, (x,))`` runs ``D(x)`` with those tensors
standing in for the named parameters (the names of ``named_parameters()``), then puts the
Parameters back, even if forward raises. The module itself is unchanged afterwards.
"""

from contextlib import contextmanager

from ...tensor import Tensor


@contextmanager
def substituted(module, tensors):
    """Inside the block, ``module``'s parameters named in ``tensors`` (dotted names) are those
    tensors; the Parameters are restored after it."""
    owners = dict(module.named_modules())
    swaps = []
    try:
        for name, value in tensors.items():
            prefix, _, leaf = name.rpartition(".")
            owner = owners.get(prefix)
            if owner is None or owner._parameters.get(leaf) is None:
                raise KeyError(f"functional_call: {type(module).__name__} has no parameter "
                               f"{name!r}; its parameters are "
                               f"{[n for n, _ in module.named_parameters()]}")
            if not isinstance(value, Tensor):
                raise TypeError(f"functional_call: the value for {name!r} must be a Tensor, got "
                                f"{type(value).__name__}")
            swaps.append((owner, leaf, owner._parameters[leaf]))
            # Written into the registry directly: attribute assignment accepts only Parameters.
            owner._parameters[leaf] = value
        yield module
    finally:
        for owner, leaf, original in reversed(swaps):
            owner._parameters[leaf] = original


def functional_call(module, tensors, args=(), kwargs=None):
    """``module(*args, **kwargs)`` with the parameters named in ``tensors`` replaced (see the
    module docstring); parameters not named keep their values. As in PyTorch's
    ``torch.func.functional_call``, ``args`` is a tuple of positional arguments, or one argument
    that is not a tuple."""
    args = args if isinstance(args, tuple) else (args,)
    with substituted(module, tensors):
        return module(*args, **({} if kwargs is None else kwargs))
