"""The differentiable operations, under PyTorch's names: ``import minigan.functional as F``.

Each family lives in its own module, with each operation's forward and backward side by side:
arithmetic, pointwise (exp, log, activations...), reduction, shape, linalg and loss.
"""

from .arithmetic import add, div, mul, neg, pow, sub
from .batch_norm import batch_norm
from .binary_cross_entropy import binary_cross_entropy, binary_cross_entropy_with_logits
from .conv import conv2d, conv2d_grad_weight, conv_transpose2d
from .dropout import dropout
from .linalg import linear, matmul
from .loss import cross_entropy
from .pointwise import (
                        abs,
                        clamp,
                        exp,
                        leaky_relu,
                        log,
                        logsigmoid,
                        maximum,
                        minimum,
                        relu,
                        sigmoid,
                        softplus,
                        sqrt,
                        tanh,
                        where,
)
from .reduction import amax, amin, log_softmax, logsumexp, max, mean, min, softmax, sum, var
from .shape import (
                        broadcast_to,
                        cat,
                        concatenate,
                        flatten,
                        index,
                        pad,
                        permute,
                        reshape,
                        squeeze,
                        stack,
                        sum_to,
                        to,
                        transpose,
                        unsqueeze,
)

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow",
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "softplus", "logsigmoid", "relu",
    "leaky_relu", "clamp", "maximum", "minimum", "where",
    "sum", "mean", "var", "amax", "amin", "max", "min", "logsumexp", "log_softmax", "softmax",
    "reshape", "permute", "transpose", "flatten", "unsqueeze", "squeeze", "broadcast_to",
    "sum_to", "index", "cat", "concatenate", "stack", "pad", "to",
    "matmul", "cross_entropy",
    "linear", "dropout", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "conv2d", "conv_transpose2d", "conv2d_grad_weight",
]
