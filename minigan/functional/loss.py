"""Losses for classification.

``cross_entropy(logits, target)`` = mean over the batch of -log softmax(logits)[target]: the
negative log-likelihood of the true class. It takes logits, not probabilities, so that the
log-softmax is computed stably in one place.
"""

import numpy as np

from .. import backend
from .._checks import check_choice
from .reduction import log_softmax

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def cross_entropy(input, target, *, reduction="mean"):
    """Cross-entropy between logits ``input`` of shape (N, C) and class indices ``target`` of
    shape (N,) with values in [0, C): loss_n = -log softmax(input_n)[target_n].
    """
    from ..tensor import Tensor

    check_choice(reduction, "reduction", REDUCTIONS, "cross_entropy")
    if input.ndim != 2:
        raise ValueError(f"cross_entropy: input must be logits of shape (N, C), got {input.shape}")
    labels = target.data if isinstance(target, Tensor) else target
    if not backend.is_array(labels):
        labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class indices, got "
                        f"{labels.dtype}")
    n, c = input.shape
    if labels.shape != (n,):
        raise ValueError(f"cross_entropy: target must have shape ({n},) to match input "
                         f"{input.shape}, got {labels.shape}")
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= c):
        raise ValueError(f"cross_entropy: target values must lie in [0, {c}), got "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    rows = input.xp.arange(n)
    return _reduce(-log_softmax(input, 1)[rows, input.xp.asarray(labels)], reduction)
