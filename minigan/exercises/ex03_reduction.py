"""Exercise 3: the gradient of a reduction.

Tutorial: tutorials/02_gradient_checking.py

A reduction maps many inputs to one output: the mean of a row of n numbers. Going backward, one
output gradient has to be handed back to each of the n inputs, in the proportion each one
contributed, and the reduced dimension has to be put back so that the gradient has the input's
shape.
"""

from minigan import Function


class Mean(Function):
    """y = mean of x over one dimension ``dim``: y = (1/n) sum_i x_i, with n = x.shape[dim].

    Called as ``Mean.apply(x, dim, keepdim)``, with ``dim`` an int and ``keepdim`` a bool.

    ``keepdim=True`` keeps the reduced dimension with size 1 (as in PyTorch), so y has shape
    (2, 1) for x of shape (2, 3) and dim 1; ``keepdim=False`` drops it: y has shape (2,).

    Derivative: dy/dx_i = 1/n for every i, so dL/dx_i = g / n, where g is the gradient of the
    mean that x_i went into. Shapes: g has y's shape; reinsert the reduced dimension (when
    keepdim is False) and broadcast it back to x's shape.

    Hint: ``x, dim, keepdim = ctx.inputs``; ``g.unsqueeze(dim)`` inserts a size-1 dimension
    (a negative ``dim`` counts from the end, as in forward) and ``g.expand(*shape)`` broadcasts.
    Return one gradient per forward argument: ``dim`` and ``keepdim`` get None.
    """

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        return x.mean(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_output):
        # BEGIN SOLUTION
        x, dim, keepdim = ctx.inputs
        g = grad_output if keepdim else grad_output.unsqueeze(dim)
        return g.expand(*x.shape) / x.shape[dim], None, None
        # END SOLUTION
