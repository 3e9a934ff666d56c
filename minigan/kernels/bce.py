"""Binary cross-entropy as array math: the formulas inside ``F.binary_cross_entropy*``.

**From logits.** With a logit x (a discriminator's raw score), a label y in [0, 1] and a weight
w+ on the positive class (``pos_weight``; 1 when absent),

    loss = -[w+ y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
         = (1 - y) x + c softplus(-x),            c = 1 + (w+ - 1) y,

because log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -x - softplus(-x). Written as
softplus(-x) = max(-x, 0) + log1p(e^-|x|), no step can overflow (e^-|x| <= 1) and no log sees 0,
so the loss is finite for every finite logit; log(sigmoid(x)) itself would be log(0) = -inf as
soon as sigmoid(x) rounds to 0 (x < -104 in float32). The derivative is bounded as well:

    dloss/dx = (1 - y) - c sigmoid(-x)            (= sigmoid(x) - y when w+ = 1).

**From probabilities.** With p = sigmoid(x) already computed the logs cannot be avoided; each is
floored at -100, as PyTorch does, so that p = 0 or 1 costs 100 rather than infinity:

    loss = -[y max(log p, -100) + (1 - y) max(log(1 - p), -100)].

(log(1 - p) is computed as log1p(-p), accurate where p is too small to change 1 - p.)

Each function is one formula over whole arrays of NumPy or CuPy (``xp``); a CUDA twin that fuses
a formula into one kernel can replace it without changing its callers.
"""

import numpy as np


def pos_weight_factor(target, pos_weight):
    """c = 1 + (pos_weight - 1) y, the factor of softplus(-x); plain 1 without a pos_weight.

    Only arithmetic, so it serves arrays here and Tensors in the differentiable op alike.
    """
    return 1 if pos_weight is None else 1 + (pos_weight - 1) * target


def bce_with_logits(xp, logits, target, pos_weight=None):
    """The elementwise loss (1 - y) x + c softplus(-x); the shape of the broadcast inputs."""
    softplus_neg = xp.maximum(-logits, 0) + xp.log1p(xp.exp(-xp.abs(logits)))
    return (1 - target) * logits + pos_weight_factor(target, pos_weight) * softplus_neg


def bce_with_logits_backward(xp, grad, logits, target, pos_weight=None):
    """grad * dloss/dx = grad * ((1 - y) - c sigmoid(-x)).

    sigmoid(-x) = e^-x / (1 + e^-x) = 1 / (1 + e^x): the first form for x >= 0 and the second
    for x < 0 put e^-|x| <= 1 in the place of every exponential.
    """
    e = xp.exp(-xp.abs(logits))
    sigmoid_neg = xp.where(logits >= 0, e, 1) / (1 + e)
    return grad * ((1 - target) - pos_weight_factor(target, pos_weight) * sigmoid_neg)


def binary_cross_entropy(xp, probs, target):
    """The elementwise loss (y - 1) max(log1p(-p), -100) - y max(log p, -100)."""
    with np.errstate(divide="ignore"):  # log 0 = -inf is expected here, and floored at once
        log_p = xp.maximum(xp.log(probs), -100)
        log_not_p = xp.maximum(xp.log1p(-probs), -100)  # log1p: exact for small p, as 1 - p is not
    return (target - 1) * log_not_p - target * log_p
