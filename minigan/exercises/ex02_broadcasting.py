"""Exercise 2: gradients through broadcasting.

Tutorial: tutorials/02_gradient_checking.py

NumPy's broadcasting lets ``a * b`` combine a batch ``a`` of shape (N, C) with a per-channel
``b`` of shape (C,): ``b`` is used N times, once per row. The gradient of a value used several
times is the *sum* of the gradients of its uses (the multivariate chain rule), so the backward of
every broadcasting operation ends by summing the output-shaped gradient down to each input's
shape. You write that sum first (``unbroadcast``), then the backward of a broadcasting multiply.
"""

from minigan import Function


def unbroadcast(grad, shape):
    """Sum the Tensor ``grad`` down to ``shape``, undoing NumPy's broadcasting.

    Broadcasting lines the two shapes up on the right; then (1) it prepends size-1 dimensions to
    the shorter shape, and (2) it stretches every size-1 dimension to the other's size. Undo the
    steps in reverse order:

    1. sum ``grad`` over its first ``grad.ndim - len(shape)`` dimensions (those that were
       prepended), so that it has ``len(shape)`` dimensions;
    2. sum, with ``keepdim=True``, over every dimension d where ``shape[d] == 1`` but
       ``grad.shape[d] != 1`` (those that were stretched).

    Example: ``grad`` of shape (5, 3, 4) and ``shape`` (3, 1): sum over dim 0 gives (3, 4), then
    over dim 1 with keepdim gives (3, 1). ``shape`` () (a scalar) sums over everything.

    Hint: ``grad.sum(dim=(0, 2), keepdim=True)`` sums over several dimensions at once (it is a
    Tensor operation, so the result stays differentiable).
    """
    # BEGIN SOLUTION
    shape = tuple(shape)
    prepended = tuple(range(grad.ndim - len(shape)))
    if prepended:
        grad = grad.sum(dim=prepended)
    stretched = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    if stretched:
        grad = grad.sum(dim=stretched, keepdim=True)
    return grad
    # END SOLUTION


class BroadcastMul(Function):
    """y = a * b elementwise, where the shapes of a and b broadcast (e.g. (N, C) and (C,)).

    For each element, dy/da = b and dy/db = a. With g = dL/dy (of y's shape):

        dL/da = unbroadcast(g * b, a.shape),    dL/db = unbroadcast(g * a, b.shape).

    Hint: ``a, b = ctx.inputs``; return None for an input whose ``ctx.needs_input_grad`` entry
    is False (a constant, such as a fixed mask, needs no gradient).
    """

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad_output * b, a.shape) if need_a else None,
                unbroadcast(grad_output * a, b.shape) if need_b else None)
        # END SOLUTION
