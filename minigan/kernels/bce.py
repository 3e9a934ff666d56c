"""Binary cross-entropy as array math: the formulas inside ``F.binary_cross_entropy*``.

**From logits.** With a logit x (a discriminator's raw score), a label y in [0, 1] and a weight
w+ on the positive class (``pos_weight``; 1 when absent),

    loss = -[w+ y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
         = w+ y softplus(-x) + (1 - y) softplus(x),

because log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -softplus(x). With the stable
softplus of :mod:`minigan.kernels.stable` no step overflows and no log sees 0, so the loss is
finite for every finite logit; log(sigmoid(x)) itself would be log(0) = -inf as soon as
sigmoid(x) rounds to 0 (x < -104 in float32). The equal form (1 - y) x + c softplus(-x), with
c = 1 + (w+ - 1) y, is shorter but cancels for y = 0 and x << 0 (x + (-x + tiny) = 0 in floating
point): ours keeps the tiny loss e^x there. The derivative is bounded as well:

    dloss/dx = (1 - y) sigmoid(x) - w+ y sigmoid(-x)   (= sigmoid(x) - y when w+ = 1).

**From probabilities.** With p = sigmoid(x) already computed the logs cannot be avoided; each is
floored at -100, as PyTorch does, so that p = 0 or 1 costs 100 rather than infinity:

    loss = -[y max(log p, -100) + (1 - y) max(log(1 - p), -100)].

(log(1 - p) is computed as log1p(-p), accurate where p is too small to change 1 - p.)

Each function is one formula over whole arrays of NumPy or CuPy (``xp``). For CuPy arrays the
two from logits launch their CUDA twins instead (``kernels/cuda/bce.cu``): the same formula
fused into one kernel, one pass over memory where the array formula makes a temporary per step.
The array formulas stay the reference the kernels are tested against.
"""

import numpy as np

from .. import backend
from . import cuda
from .stable import sigmoid, softplus


def pos_weight_factor(target, pos_weight):
    """c = 1 + (pos_weight - 1) y, the factor of softplus(-x); plain 1 without a pos_weight.

    Only arithmetic, so it serves arrays here and Tensors in the differentiable op alike.
    """
    return 1 if pos_weight is None else 1 + (pos_weight - 1) * target


def _positive_weight(target, pos_weight):
    """w+ y, the weight of the positive term."""
    return target if pos_weight is None else pos_weight * target


def bce_with_logits(xp, logits, target, pos_weight=None):
    """The elementwise loss w+ y softplus(-x) + (1 - y) softplus(x), broadcast."""
    if backend.is_cupy_array(logits):
        return cuda.bce_with_logits(logits, target, pos_weight)
    return (_positive_weight(target, pos_weight) * softplus(xp, -logits)
            + (1 - target) * softplus(xp, logits))


def bce_with_logits_backward(xp, grad, logits, target, pos_weight=None):
    """grad * dloss/dx = grad * ((1 - y) sigmoid(x) - w+ y sigmoid(-x))."""
    if backend.is_cupy_array(logits):
        return cuda.bce_with_logits_backward(grad, logits, target, pos_weight)
    return grad * ((1 - target) * sigmoid(xp, logits)
                   - _positive_weight(target, pos_weight) * sigmoid(xp, -logits))


def binary_cross_entropy(xp, probs, target):
    """The elementwise loss (y - 1) max(log1p(-p), -100) - y max(log p, -100)."""
    with np.errstate(divide="ignore"):  # log 0 = -inf is expected here, and floored at once
        log_p = xp.maximum(xp.log(probs), -100)
        log_not_p = xp.maximum(xp.log1p(-probs), -100)  # log1p: exact for small p, as 1 - p is not
    return (target - 1) * log_not_p - target * log_p
