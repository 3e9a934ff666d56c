"""Numerical gradient checks: is the backward of an operation the derivative of its forward?

For a function f of inputs x, the central difference

    (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)  =  df/dx_j + O(eps^2)

estimates one column of the Jacobian; backward gives its rows (one vector-Jacobian product per
output element). ``gradcheck`` compares the two Jacobians element by element, in float64: in
float32 the rounding error of f, about 1e-7 * |f| / eps, would swamp the O(eps^2) truncation
error for any useful eps.

For inputs too large to perturb one element at a time, ``fast_mode=True`` compares the numbers
u . J v for random directions u (over the outputs) and v (over one input at a time): one backward
and two forward passes per direction instead of a pass per element.

``gradgradcheck`` checks second derivatives by gradchecking the backward pass itself.

Both are called as PyTorch's are: ``gradcheck(func, (x, y))``, the inputs as one tuple (a single
Tensor counts as a 1-tuple), with the keywords ``eps``, ``atol``, ``rtol``, ``raise_exception``,
``fast_mode`` and (for ``gradgradcheck``) ``grad_outputs`` meaning what they mean there.
"""

import numpy as np

from . import backend
from .autograd import engine
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagreed with its finite-difference estimate.

    Besides the message, it carries the facts for a caller to put in its own words: ``input``
    (the position of the input in ``inputs``, so among func's arguments), ``where`` (the
    element of that input and of the output, or the random direction), ``analytic`` and
    ``numerical`` (the two values).
    ``index`` is the input element, a tuple, and ``output`` the position of the output among
    func's outputs; both None for a random direction.
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
            raise TypeError(f"gradcheck: func must return a Tensor or a tuple of Tensors; output "
                            f"{k} is a {type(out).__name__}")
    return tuple(outputs)


def _as_inputs(inputs, more, caller):
    """``inputs`` as a tuple; a third positional argument is the old form, refused."""
    if more:
        raise TypeError(
            f"{caller}(func, inputs) takes the inputs as one tuple, as torch.autograd.{caller} "
            f"does: write {caller}(func, (x, y)), not {caller}(func, x, y) (got "
            f"{1 + len(more)} positional arguments after func)")
    if isinstance(inputs, Tensor):
        return (inputs,)
    if isinstance(inputs, (tuple, list)):
        return tuple(inputs)
    raise TypeError(f"{caller}: inputs must be a Tensor or a tuple of Tensors, got "
                    f"{type(inputs).__name__}")


def _checked_inputs(inputs):
    """The positions of the inputs to check: the Tensors that require grad (other arguments
    are passed to func as they are)."""
    checked = []
    for i, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        if t.dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} is {t.dtype}; gradient checks need float64 inputs "
                "(in float32, rounding error swamps the finite differences)")
        checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    backend.get_array_module(*[t.data for t in inputs if isinstance(t, Tensor)])  # one device
    return checked


def _flat_outputs(func, inputs):
    """f(inputs) as one flat float64 array. Not under no_grad: func may itself take gradients."""
    outs = _as_outputs(func(*inputs))
    xp = outs[0].xp
    return xp.concatenate([o.data.astype(np.float64).ravel() for o in outs])


def _vjp(func, inputs, checked, cotangents):
    """The gradients of sum_k <cotangent_k, output_k> with respect to the checked inputs."""
    outs = _as_outputs(func(*inputs))
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    wrt = [inputs[i] for i in checked]
    if not live:
        return [None] * len(wrt)
    grads = engine.grad([o for o, _ in live], wrt, [c for _, c in live], allow_unused=True)
    return [None if g is None else g.data for g in grads]


def _central_difference(func, inputs, x, where, step):
    """f(x + step) - f(x - step) over the flat outputs, ``step`` added to ``x[where]`` in place.
    x is restored even if func raises: a check never leaves its inputs changed."""
    original = x[where].copy()
    try:
        x[where] = original + step
        plus = _flat_outputs(func, inputs)
        x[where] = original - step
        minus = _flat_outputs(func, inputs)
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


def _full_check(func, inputs, checked, eps, atol, rtol):
    """Compare the whole Jacobian, element by element."""
    out_shapes = [o.shape for o in _as_outputs(func(*inputs))]
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
        for i, g in zip(checked, _vjp(func, inputs, checked, cotangents)):
            if g is not None:
                analytic[i][k] = g.ravel()

    # Numerical: column j of the Jacobian from a central difference in input element j.
    for i in checked:
        x = inputs[i].data
        for j in range(x.size):
            idx = np.unravel_index(j, x.shape)
            column = _central_difference(func, inputs, x, idx, eps) / (2 * eps)
            bad = xp.abs(analytic[i][:, j] - column) > atol + rtol * xp.abs(column)
            if bool(bad.any()):
                k = int(xp.argmax(bad))
                o = int(np.searchsorted(starts, k, side="right")) - 1  # which output k is in
                _fail(i, f"element {_index(idx)}, output {o} at element "
                      f"{_index(np.unravel_index(k - starts[o], out_shapes[o]))}",
                      float(analytic[i][k, j]), float(column[k]), atol, rtol, _index(idx), o)


def _random_check(func, inputs, checked, eps, atol, rtol, n_directions, seed):
    """Compare u . J v with its central difference for random u, v, one input at a time."""
    rng = np.random.default_rng(seed)
    outs = _as_outputs(func(*inputs))
    xp = outs[0].xp
    for d in range(n_directions):
        us = [Tensor(xp.asarray(rng.standard_normal(o.shape))) for o in outs]
        grads = _vjp(func, inputs, checked, us)
        u_flat = xp.concatenate([u.data.ravel() for u in us])
        for i, g in zip(checked, grads):
            x = inputs[i].data
            v = xp.asarray(rng.standard_normal(x.shape))
            analytic = 0.0 if g is None else float((g * v).sum())
            numeric = float(u_flat @ _central_difference(func, inputs, x, ..., eps * v)) / (2 * eps)
            if abs(analytic - numeric) > atol + rtol * abs(numeric):
                _fail(i, f"random direction {d} (u . J v)", analytic, numeric, atol, rtol)


def _reporting(check, raise_exception):
    """Run ``check()``: True, or on a wrong gradient either its GradcheckError or False."""
    try:
        check()
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradcheck(func, inputs, *more, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              fast_mode=False, n_directions=3, seed=0):
    """Check the gradients of ``func`` at ``inputs`` against central finite differences.

    ``func(*inputs)`` returns a Tensor or a tuple of Tensors; ``inputs`` is a tuple (a single
    Tensor counts as a 1-tuple), as in ``torch.autograd.gradcheck(func, inputs)``. Every input
    that is a Tensor with ``requires_grad=True`` is checked and must be float64; anything else
    is passed to func as it is. By default the whole Jacobian is compared (one backward per
    output element, two forwards per input element: small inputs); ``fast_mode=True`` compares
    ``n_directions`` random projections u . J v, drawn from ``seed`` (large inputs). An element
    passes when |analytic - numerical| <= atol + rtol * |numerical|.

    Returns True. On a wrong gradient raises :class:`GradcheckError` naming the input, the
    element, and the analytic and numerical values (or, with ``raise_exception=False``,
    returns False).
    """
    inputs = _as_inputs(inputs, more, "gradcheck")
    if not isinstance(fast_mode, bool):
        raise TypeError(f"gradcheck: fast_mode must be True or False, got {fast_mode!r}")
    checked = _checked_inputs(inputs)
    if fast_mode:
        return _reporting(lambda: _random_check(func, inputs, checked, eps, atol, rtol,
                                                n_directions, seed), raise_exception)
    return _reporting(lambda: _full_check(func, inputs, checked, eps, atol, rtol),
                      raise_exception)


def gradgradcheck(func, inputs, *more, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, fast_mode=False, n_directions=3, seed=0):
    """Check second derivatives: gradcheck the map (inputs, v) -> v . J(inputs).

    That map is backward itself, run with ``create_graph=True``; its gradient involves the
    second derivatives of ``func``, and with respect to ``v`` it checks backward's linearity.
    ``inputs`` and the other keywords are those of :func:`gradcheck`; ``grad_outputs`` (the v,
    a Tensor or a tuple with one per output of func) default to fixed random float64 tensors.
    Unlike PyTorch's, ``grad_outputs`` is keyword-only (see docs/architecture.md).
    """
    inputs = _as_inputs(inputs, more, "gradgradcheck")
    checked = _checked_inputs(inputs)
    outs = _as_outputs(func(*inputs))
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [Tensor(outs[0].xp.asarray(rng.standard_normal(o.shape))) for o in outs]
    grad_outputs = [Tensor(g.data, requires_grad=True) for g in _as_outputs(grad_outputs)]
    n = len(inputs)

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        results = _as_outputs(func(*xs))
        live = [(o, v) for o, v in zip(results, vs) if o.requires_grad]
        wrt = [xs[i] for i in checked]
        grads = engine.grad([o for o, _ in live], wrt, [v for _, v in live],
                            create_graph=True, allow_unused=True)
        # An unused input has a zero derivative; zeros keep the output list the same length.
        return tuple(Tensor(xs[i].xp.zeros(xs[i].shape)) if g is None else g
                     for i, g in zip(checked, grads))

    try:
        return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol,
                         rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode,
                         n_directions=n_directions, seed=seed)
    except GradcheckError as exc:
        raise GradcheckError(
            f"gradgradcheck: the second derivatives of func are wrong (differentiating its "
            f"backward disagrees with finite differences). Below, output k is the gradient for "
            f"the k-th checked input, and inputs {n} and up are the grad_outputs v. {exc}",
            input=exc.input, where=exc.where, index=exc.index, output=exc.output,
            analytic=exc.analytic, numerical=exc.numerical) from None
