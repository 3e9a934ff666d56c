"""The logistic sigmoid and softplus, computed without overflow or cancellation.

Both are built from e = exp(-|x|), which lies in (0, 1] for every finite x, so no exponential
can overflow:

    softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e)
    sigmoid(x)  = 1 / (1 + e^-x) = 1 / (1 + e)   for x >= 0,   e / (1 + e)   for x < 0.

Every loss and activation that needs them (sigmoid, softplus, logsigmoid, the binary
cross-entropy from logits) calls these two, on NumPy or CuPy arrays (``xp``).
"""


def softplus(xp, x):
    """log(1 + e^x), finite and accurate for every finite x."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def sigmoid(xp, x):
    """1 / (1 + e^-x) without overflow, with full relative precision for very negative x."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)
