"""The PyTorch oracle: run an op in minigan and in PyTorch on the same inputs, and compare the
values, the first derivatives and the second derivatives, in float64.

An op is written once, as ``fn(F, *args)``: ``F`` is ``minigan.functional`` on one side and
:class:`TorchFunctional` (PyTorch under minigan's names) on the other, and the Tensor operators
and methods the two libraries share (``a + b``, ``x.exp()``, ``x[1:]``) work on both as written.
Adding an op to the comparison is then one line in a table.

The arguments are those the strategies in ``strategies.py`` draw (see :class:`Case`). For an
output y = f(x_1, ..., x_n), :func:`compare_with_torch` checks

1. y itself;
2. g_i = v . dy/dx_i for a random cotangent v: what backward computes, taken with
   ``create_graph=True``;
3. the gradient of s = sum_i <g_i, w_i> (random w_i) with respect to every x_i, the
   Hessian-vector products, and with respect to v, which gives the Jacobian-vector product J w
   and so checks that backward is linear in v.

The comparison runs in float64 by default; ``dtype=np.float32`` runs both libraries in float32
(with tolerances to match) and so also checks that every result stays float32.

Whole players are compared through :func:`torch_twin`, PyTorch layers with a minigan MLP's
weights.
"""

import numpy as np
from strategies import Input

import minigan
import minigan.functional as MF
from minigan import backend, nn


class _Slot:
    """Where the k-th differentiable input goes in an argument list."""

    def __init__(self, k):
        self.k = k


class Case:
    """Drawn arguments, split into the differentiable inputs and the rest.

    Each :class:`~strategies.Input` becomes a leaf that requires grad (keeping its memory
    layout on minigan's side); each NumPy array becomes a constant tensor (index arrays, integer
    targets, masks); tuples and lists are rebuilt around them; anything else (dims, shapes,
    Python and NumPy scalars, slices) is passed as it is.
    """

    def __init__(self, args):
        self.inputs = []
        self.template = self._cut(tuple(args))

    def _cut(self, arg):
        if isinstance(arg, Input):
            self.inputs.append(arg)
            return _Slot(len(self.inputs) - 1)
        if isinstance(arg, (tuple, list)):
            return type(arg)(self._cut(a) for a in arg)
        return arg

    def _fill(self, template, leaves, constant):
        if isinstance(template, _Slot):
            return leaves[template.k]
        if isinstance(template, (tuple, list)):
            return type(template)(self._fill(t, leaves, constant) for t in template)
        if isinstance(template, np.ndarray):
            return constant(template)
        return template

    def minigan_leaves(self, device="cpu", dtype=np.float64):
        xp = backend.array_module(device)
        return [minigan.Tensor(x.array(xp, dtype), requires_grad=True) for x in self.inputs]

    def minigan_args(self, leaves, device="cpu"):
        return self._fill(self.template, leaves, lambda a: minigan.tensor(a, device=device))

    def torch_leaves(self, torch, dtype=np.float64):
        return [torch.tensor(x.values.astype(dtype), requires_grad=True) for x in self.inputs]

    def torch_args(self, leaves, torch):
        return self._fill(self.template, leaves, torch.as_tensor)


class TorchFunctional:
    """PyTorch under ``minigan.functional``'s names, so that one ``fn(F, ...)`` runs on both.

    A name is looked up in ``torch``, then in ``torch.nn.functional``; the methods below
    translate where the names or the signatures differ.
    """

    def __init__(self, torch):
        self.torch = torch

    def __getattr__(self, name):
        for namespace in (self.torch, self.torch.nn.functional):
            if hasattr(namespace, name):
                return getattr(namespace, name)
        raise AttributeError(f"PyTorch has no {name!r}: add a translation to TorchFunctional")

    def amax(self, x, dim=None, keepdim=False):
        # PyTorch spells "all dims" () here, not None.
        return self.torch.amax(x, () if dim is None else dim, keepdim)

    def amin(self, x, dim=None, keepdim=False):
        return self.torch.amin(x, () if dim is None else dim, keepdim)

    def binary_cross_entropy_with_logits(self, input, target, weight=None, pos_weight=None,
                                         reduction="mean"):
        # torch.binary_cross_entropy_with_logits takes the reduction as an enum value.
        return self.torch.nn.functional.binary_cross_entropy_with_logits(
            input, target, weight, pos_weight=pos_weight, reduction=reduction)

    def logsigmoid(self, x):
        return self.torch.nn.functional.logsigmoid(x)

    def squeeze(self, x, dim=None):
        return x.squeeze() if dim is None else x.squeeze(dim)

    def sum_to(self, x, shape):
        return x.sum_to_size(shape)

    def index(self, x, index):
        return x[index]

    def pad(self, x, pad, value=0.0):
        return self.torch.nn.functional.pad(x, pad, value=value)

    def to(self, x, device=None, dtype=None):
        # The comparison runs PyTorch on the CPU whatever minigan's device: only dtype matters.
        return x if dtype is None else x.to(getattr(self.torch, np.dtype(dtype).name))


def _host(t):
    """A minigan or PyTorch tensor's values as a NumPy array."""
    if isinstance(t, minigan.Tensor):
        return backend.as_numpy(t.data)
    return t.detach().numpy(force=True)  # force: PyTorch may return lazy "zero tensors"


def _assert_same(what, actual, expected, rtol, atol):
    a, e = _host(actual), _host(expected)
    assert a.shape == e.shape, f"{what}: minigan has shape {a.shape}, PyTorch {e.shape}"
    assert a.dtype == e.dtype, f"{what}: minigan has dtype {a.dtype}, PyTorch {e.dtype}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol,
                               err_msg=f"{what}: minigan (actual) differs from PyTorch (desired)")


def _grads(grad, outputs, inputs, zeros, **kwargs):
    """grad(...) with None (an input the output does not depend on) replaced by zeros."""
    found = grad(outputs, inputs, allow_unused=True, **kwargs)
    return [zeros(x) if g is None else g for x, g in zip(inputs, found)]


def compare_with_torch(torch, fn, args, device="cpu", torch_fn=None, rtol=1e-10, atol=1e-12,
                       seed=0, dtype=np.float64):
    """Check ``fn(F, *args)`` in minigan against ``torch_fn`` (default ``fn``) in PyTorch:
    values, first and second derivatives (see the module docstring), with the differentiable
    inputs in ``dtype``. Raises AssertionError."""
    rng = np.random.default_rng(seed)
    case = args if isinstance(args, Case) else Case(args)
    xp = backend.array_module(device)

    m_x = case.minigan_leaves(device, dtype)
    t_x = case.torch_leaves(torch, dtype)
    m_y = fn(MF, *case.minigan_args(m_x, device))
    t_y = (torch_fn or fn)(TorchFunctional(torch), *case.torch_args(t_x, torch))
    _assert_same("value", m_y, t_y, rtol, atol)

    v = np.asarray(rng.standard_normal(m_y.shape), dtype=m_y.dtype)
    m_v = minigan.Tensor(xp.asarray(v), requires_grad=True)
    t_v = torch.tensor(v, requires_grad=True)
    m_g = _grads(minigan.grad, m_y, m_x, minigan.zeros_like, grad_outputs=m_v, create_graph=True)
    t_g = _grads(torch.autograd.grad, t_y, t_x, torch.zeros_like, grad_outputs=t_v,
                 create_graph=True)
    for i, (m, t) in enumerate(zip(m_g, t_g)):
        _assert_same(f"gradient for input {i}", m, t, rtol, atol)

    ws = [rng.standard_normal(x.values.shape).astype(dtype) for x in case.inputs]
    m_s = sum(((g * minigan.Tensor(xp.asarray(w))).sum() for g, w in zip(m_g, ws)), start=0.0)
    t_s = sum(((g * torch.tensor(w)).sum() for g, w in zip(t_g, ws)), start=0.0)
    if not (m_s.requires_grad or t_s.requires_grad):
        return  # nothing on either side depends on the inputs: both second derivatives are 0
    m_h = _grads(minigan.grad, m_s, m_x + [m_v], minigan.zeros_like)
    t_h = _grads(torch.autograd.grad, t_s, t_x + [t_v], torch.zeros_like)
    for i, (m, t) in enumerate(zip(m_h, t_h)):
        what = ("Jacobian-vector product (gradient of <g, w> for the cotangent)" if i == len(m_x)
                else f"second derivative for input {i}")
        _assert_same(what, m, t, rtol, atol)


def torch_twin(torch, module):
    """A ``torch.nn.Sequential`` with the layers and weights of an MLP player's ``net`` (Linear,
    ReLU, LeakyReLU, Tanh), in PyTorch's default dtype (float64 under the ``torch`` fixture)."""
    layers = []
    for layer in module.net:
        if isinstance(layer, nn.Linear):
            twin = torch.nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                twin.weight.copy_(torch.tensor(layer.weight.detach().numpy()))
                twin.bias.copy_(torch.tensor(layer.bias.detach().numpy()))
        elif isinstance(layer, nn.LeakyReLU):
            twin = torch.nn.LeakyReLU(layer.negative_slope)
        elif isinstance(layer, nn.ReLU):
            twin = torch.nn.ReLU()
        elif isinstance(layer, nn.Tanh):
            twin = torch.nn.Tanh()
        else:
            raise TypeError(f"torch_twin: no PyTorch twin for a {type(layer).__name__} layer")
        layers.append(twin)
    return torch.nn.Sequential(*layers)
