"""Matrix products.

For C = A @ B (batched over leading dimensions, which broadcast):
    dL/dA = dL/dC @ B^T    and    dL/dB = A^T @ dL/dC,
each summed over the batch dimensions that broadcasting added.
"""

from ..autograd import grad_mode
from ..autograd.function import Function
from ..kernels.conv import tall_matmul
from .shape import Permute, reshape, squeeze, sum_to, transpose, unsqueeze

# True: linear() is one node, Affine; False: the plain composition it replaces (a transpose, a
# MatMul and an Add, three nodes), kept as the reference that the tests compare against.
FUSED_LINEAR = True


def _matrix_transpose(x):
    """x with its last two dimensions swapped (the matrix transpose of each batch element)."""
    dims = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Permute.apply(x, dims)


class MatMul(Function):
    """C = A @ B for A (..., n, k) and B (..., k, m)."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            return a @ b
        except ValueError:  # matmul() checked the matrix sizes: the batch dims are what clash
            raise ValueError(f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} "
                             "do not broadcast together") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        # Both operands have >= 2 dimensions here (matmul() made sure), so MatMul applies directly.
        return (sum_to(MatMul.apply(g, _matrix_transpose(b)), a.shape) if need_a else None,
                sum_to(MatMul.apply(_matrix_transpose(a), g), b.shape) if need_b else None)


class Affine(Function):
    """y = x W^T + b for x (n, in), W (out, in) and b (out,) or None, as one node:

        dL/dx = g W,    dL/dW = g^T x,    dL/db = sum of g over the rows.

    The plain composition (transpose W, MatMul, Add) makes three nodes, three walks of the
    engine and a temporary for the bias sum; this one adds the bias in place into the fresh
    product and, for a first derivative, computes its gradients on the arrays. That took 15-30%
    off the classroom MLP step and about 10% off the paper one (indicative, loaded machine:
    ``benchmarks/bench_mlp_step.py --plain linear``). The values are the same products and
    sums (bit-identical in the tests; BLAS does not promise it for the weight gradient, which
    may be computed in the other orientation). Under ``create_graph`` backward is written with
    MatMul and sum_to, so it is differentiable again.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        y = x @ weight.T
        if bias is not None:
            y += bias  # y is a fresh array: no temporary for the sum
        return y

    @staticmethod
    def backward(ctx, g):
        from ..tensor import Tensor

        x, weight, bias = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        if grad_mode.is_grad_enabled():
            return (MatMul.apply(g, weight) if need_x else None,
                    MatMul.apply(_matrix_transpose(g), x) if need_w else None,
                    sum_to(g, bias.shape) if need_b else None)
        g_ = g.data
        return (Tensor._from_op(g_ @ weight.data, None) if need_x else None,
                Tensor._from_op(tall_matmul(g_.T, x.data), None) if need_w else None,
                Tensor._from_op(g_.sum(axis=0), None) if need_b else None)


def matmul(a, b):
    """The matrix product with NumPy/PyTorch semantics.

    Shapes: (n, k) @ (k, m) -> (n, m); leading batch dimensions broadcast; a 1-D left operand
    is a row vector and a 1-D right operand a column vector, whose added dimension is removed
    from the result (so vector @ vector is a scalar).
    """
    from ..tensor import Tensor

    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last dimension "
                         "of the first must equal the second-to-last of the second")
    if a.ndim == 1:
        return squeeze(matmul(unsqueeze(a, 0), b), -2 if b.ndim > 1 else -1)
    if b.ndim == 1:
        return squeeze(matmul(a, unsqueeze(b, -1)), -1)
    return MatMul.apply(a, b)


def linear(input, weight, bias=None):
    """The affine map of a fully connected layer: input @ weight^T + bias.

    Shapes, as in PyTorch: input (*, in_features), weight (out_features, in_features), bias
    (out_features,) -> (*, out_features). Leading dimensions are flattened into one batch
    dimension first, so that dL/dweight = g^T @ input is a single matrix product.
    """
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                         f"{weight.shape}")
    out_features, in_features = weight.shape
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise ValueError(f"linear: input must have shape (*, in_features) with in_features = "
                         f"{in_features} (from weight {weight.shape}), got {input.shape}")
    if bias is not None and bias.shape != (out_features,):
        raise ValueError(f"linear: bias must have shape (out_features,) = ({out_features},), "
                         f"got {bias.shape}")
    lead = input.shape[:-1]
    flat = reshape(input, (-1, in_features)) if input.ndim > 2 else input
    # Mixed dtypes take the plain path, whose nodes each round their gradient to their own
    # output's dtype; Affine assumes one dtype throughout.
    if FUSED_LINEAR and flat.ndim == 2 and weight.dtype == input.dtype and \
            (bias is None or bias.dtype == input.dtype):
        out = Affine.apply(flat, weight, bias)
        return reshape(out, lead + (out_features,)) if input.ndim > 2 else out
    out = MatMul.apply(flat, _matrix_transpose(weight)) if flat.ndim == 2 else \
        matmul(flat, transpose(weight, 0, 1))
    if bias is not None:
        out = out + bias
    return reshape(out, lead + (out_features,)) if input.ndim > 2 else out
