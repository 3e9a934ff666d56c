"""Numerical gradient checks: is the backward of an operation the derivative of its forward?

For a function f of inputs x, the central difference

    (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)  =  df/dx_j + O(eps^2)

estimates one column of the Jacobian; backward gives its rows (one vector-Jacobian product per
output element). ``gradcheck`` compares the two Jacobians element by element, in float64: in
float32 the rounding error of f, about 1e-7 * |f| / eps, would swamp the O(eps^2) truncation
error for any useful eps.

For inputs too large to perturb one element at a time, ``mode="random"`` compares the numbers
u . J v for random directions u (over the outputs) and v (over one input at a time): one backward
and two forward passes per direction instead of a pass per element.

``gradgradcheck`` checks second derivatives by gradchecking the backward pass itself.
"""

import numpy as np

from . import backend
from .autograd import engine
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagreed with its finite-difference estimate.

    Besides the message, it carries the facts for a caller to put in its own words: ``input``
    (the position of the input among fn's arguments), ``where`` (the element of that input and
    of the output, or the random direction), ``analytic`` and ``numerical`` (the two values).
    ``index`` is the input element, a tuple, and ``output`` the position of the output among
    fn's outputs; both None for a random direction.
    """

    def __init__(self, message, input=None, where=None, index=None, output=None, analytic=None,
                 numerical=None):
        super().__init__(message)
        self.input, self.where, self.index, self.output = input, where, index, output
        self.analytic, self.numerical = analytic, numerical


def _as_outputs(value):
    outputs = value if isinstance(value, (tuple, list)) else (value,)
    for k, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors; output {k}"
                            f" is a {type(out).__name__}")
    return tuple(outputs)


def _checked_inputs(inputs):
    checked = []
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"gradcheck: input {i} must be a Tensor, got {type(t).__name__}")
        if t.requires_grad and t.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {t.dtype}; gradient checks need float64 inputs "
                "(in float32, rounding error swamps the finite differences)")
        if t.requires_grad:
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    return checked


def _flat_outputs(fn, inputs):
    """f(inputs) as one flat float64 array. Not under no_grad: fn may itself take gradients."""
    outs = _as_outputs(fn(*inputs))
    xp = outs[0].xp
    return xp.concatenate([o.data.astype(np.float64).ravel() for o in outs])


def _vjp(fn, inputs, checked, cotangents):
    """The gradients of sum_k <cotangent_k, output_k> with respect to the checked inputs."""
    outs = _as_outputs(fn(*inputs))
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    wrt = [inputs[i] for i in checked]
    if not live:
        return [None] * len(wrt)
    grads = engine.grad([o for o, _ in live], wrt, [c for _, c in live], allow_unused=True)
    return [None if g is None else g.data for g in grads]


def _central_difference(fn, inputs, x, where, step):
    """f(x + step) - f(x - step) over the flat outputs, ``step`` added to ``x[where]`` in place.
    x is restored even if fn raises: a check never leaves its inputs changed."""
    original = x[where].copy()
    try:
        x[where] = original + step
        plus = _flat_outputs(fn, inputs)
        x[where] = original - step
        minus = _flat_outputs(fn, inputs)
    finally:
        x[where] = original
    return plus - minus


def _fail(i, where, analytic, numeric, atol, rtol, index=None, output=None):
    raise GradcheckError(
        f"gradcheck failed for input {i} at {where}: analytic {analytic:.10g}, numerical "
        f"{numeric:.10g} (difference {abs(analytic - numeric):.3g} > atol {atol:g} + rtol {rtol:g}"
        f" * |numerical|). The backward of the operation does not match its forward.",
        input=i, where=where, index=index, output=output, analytic=analytic, numerical=numeric)


def _index(idx):
    return tuple(int(v) for v in idx)


def _full_check(fn, inputs, checked, eps, atol, rtol):
    """Compare the whole Jacobian, element by element."""
    out_shapes = [o.shape for o in _as_outputs(fn(*inputs))]
    out_sizes = [int(np.prod(s)) for s in out_shapes]
    n_out = sum(out_sizes)
    xp = inputs[checked[0]].xp

    # Analytic: row k of the Jacobian is the gradient of output element k.
    analytic = {i: xp.zeros((n_out, inputs[i].data.size)) for i in checked}
    starts = np.cumsum([0] + out_sizes)
    for k in range(n_out):
        unit = xp.zeros(n_out)
        unit[k] = 1.0
        cotangents = [Tensor(unit[a:b].reshape(s)) for a, b, s in zip(starts, starts[1:],
                                                                       out_shapes)]
        for i, g in zip(checked, _vjp(fn, inputs, checked, cotangents)):
            if g is not None:
                analytic[i][k] = g.ravel()

    # Numerical: column j of the Jacobian from a central difference in input element j.
    for i in checked:
        x = inputs[i].data
        for j in range(x.size):
            idx = np.unravel_index(j, x.shape)
            column = _central_difference(fn, inputs, x, idx, eps) / (2 * eps)
            bad = xp.abs(analytic[i][:, j] - column) > atol + rtol * xp.abs(column)
            if bool(bad.any()):
                k = int(xp.argmax(bad))
                o = int(np.searchsorted(starts, k, side="right")) - 1  # which output k is in
                _fail(i, f"element {_index(idx)}, output {o} at element "
                      f"{_index(np.unravel_index(k - starts[o], out_shapes[o]))}",
                      float(analytic[i][k, j]), float(column[k]), atol, rtol, _index(idx), o)


def _random_check(fn, inputs, checked, eps, atol, rtol, n_directions, seed):
    """Compare u . J v with its central difference for random u, v, one input at a time."""
    rng = np.random.default_rng(seed)
    outs = _as_outputs(fn(*inputs))
    xp = outs[0].xp
    for d in range(n_directions):
        us = [Tensor(xp.asarray(rng.standard_normal(o.shape))) for o in outs]
        grads = _vjp(fn, inputs, checked, us)
        u_flat = xp.concatenate([u.data.ravel() for u in us])
        for i, g in zip(checked, grads):
            x = inputs[i].data
            v = xp.asarray(rng.standard_normal(x.shape))
            analytic = 0.0 if g is None else float((g * v).sum())
            numeric = float(u_flat @ _central_difference(fn, inputs, x, ..., eps * v)) / (2 * eps)
            if abs(analytic - numeric) > atol + rtol * abs(numeric):
                _fail(i, f"random direction {d} (u . J v)", analytic, numeric, atol, rtol)


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="full", n_directions=3, seed=0):
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    ``fn`` takes the inputs (Tensors) and returns a Tensor or a tuple of Tensors. Every input
    with ``requires_grad=True`` is checked; it must be float64. ``mode="full"`` compares the
    whole Jacobian (one backward per output element, two forwards per input element: small
    inputs); ``mode="random"`` compares ``n_directions`` random projections u . J v (large
    inputs). Returns True, or raises :class:`GradcheckError` naming the input, the element,
    and the analytic and numerical values.
    """
    if mode not in ("full", "random"):
        raise ValueError(f"gradcheck: mode must be 'full' or 'random', got {mode!r}")
    checked = _checked_inputs(inputs)
    backend.get_array_module(*[t.data for t in inputs])  # one device for all inputs
    if mode == "full":
        _full_check(fn, inputs, checked, eps, atol, rtol)
    else:
        _random_check(fn, inputs, checked, eps, atol, rtol, n_directions, seed)
    return True


def gradgradcheck(fn, *inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, mode="full",
                  n_directions=3, seed=0):
    """Check second derivatives: gradcheck the map (inputs, v) -> v . J(inputs).

    That map is backward itself, run with ``create_graph=True``; its gradient involves the
    second derivatives of ``fn``, and with respect to ``v`` it checks backward's linearity.
    ``grad_outputs`` (the v) default to fixed random float64 tensors.
    """
    checked = _checked_inputs(inputs)
    outs = _as_outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(outs[0].xp.asarray(rng.standard_normal(o.shape))) for o in outs]
    grad_outputs = [Tensor(g.data, requires_grad=True) for g in _as_outputs(grad_outputs)]
    n = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        results = _as_outputs(fn(*xs))
        live = [(o, v) for o, v in zip(results, vs) if o.requires_grad]
        wrt = [xs[i] for i in checked]
        grads = engine.grad([o for o, _ in live], wrt, [v for _, v in live],
                            create_graph=True, allow_unused=True)
        # An unused input has a zero derivative; zeros keep the output list the same length.
        return tuple(Tensor(xs[i].xp.zeros(xs[i].shape)) if g is None else g
                     for i, g in zip(checked, grads))

    try:
        return gradcheck(first_derivatives, *inputs, *grad_outputs, eps=eps, atol=atol,
                         rtol=rtol, mode=mode, n_directions=n_directions, seed=seed)
    except GradcheckError as exc:
        raise GradcheckError(
            f"gradgradcheck: the second derivatives of fn are wrong (differentiating its "
            f"backward disagrees with finite differences). Below, output k is the gradient for "
            f"the k-th checked input, and inputs {n} and up are the grad_outputs v. {exc}",
            input=exc.input, where=exc.where, index=exc.index, output=exc.output,
            analytic=exc.analytic, numerical=exc.numerical) from None
