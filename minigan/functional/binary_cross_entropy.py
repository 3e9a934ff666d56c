"""Binary cross-entropy: the loss of the GAN game.

The discriminator is a binary classifier, real (y = 1) against fake (y = 0); the GAN value
function is minus its binary cross-entropy. Two spellings, as in PyTorch:

- ``binary_cross_entropy_with_logits(x, y)`` takes raw scores x and applies the sigmoid inside,
  in a form that stays finite for every finite logit (see :mod:`minigan.kernels.bce`). Use it.
- ``binary_cross_entropy(p, y)`` takes probabilities p = sigmoid(x), with its logs floored at
  -100; once sigmoid(x) has rounded to 0 or 1 the information about how wrong D is has gone.

Both compute the elementwise loss, multiply by ``weight`` (broadcast) and reduce it with
``reduction`` = "mean" (over all elements), "sum" or "none". Both are differentiable twice, with
respect to every Tensor argument (gradient penalties differentiate the gradient of the loss).
"""

import numpy as np

from .._checks import check_choice, check_floating
from ..autograd.function import Function
from ..backend import DeviceError
from ..kernels import bce as kernel
from .loss import REDUCTIONS, _reduce
from .pointwise import clamp, log, sigmoid, softplus
from .shape import sum_to, to

_GRAD_EPSILON = 1e-12  # PyTorch's floor under p (1 - p) in the gradient of binary_cross_entropy


class BCEWithLogits(Function):
    """loss = (1 - y) x + c softplus(-x),  c = 1 + (w+ - 1) y  (w+ = pos_weight, or 1).

        dloss/dx  = (1 - y) - c sigmoid(-x)           (the operation ``BCEWithLogitsGrad``)
        dloss/dy  = -x + (w+ - 1) softplus(-x)
        dloss/dw+ = y softplus(-x)
    """

    @staticmethod
    def forward(ctx, logits, target, pos_weight):
        return kernel.bce_with_logits(ctx.xp, logits, target, pos_weight)

    @staticmethod
    def backward(ctx, g):
        x, y, pos_weight = ctx.inputs
        need_x, need_y, need_pos = ctx.needs_input_grad
        grad_x = BCEWithLogitsGrad.apply(g, x, y, pos_weight) if need_x else None
        grad_y = grad_pos = None
        if need_y or need_pos:
            softplus_neg = softplus(-x)
            if need_y:
                grad_y = g * (-x if pos_weight is None else (pos_weight - 1) * softplus_neg - x)
            if need_pos:
                grad_pos = sum_to(g * y * softplus_neg, pos_weight.shape)
        return grad_x, grad_y, grad_pos


class BCEWithLogitsGrad(Function):
    """out = g * ((1 - y) - c sigmoid(-x)): the logit gradient as an operation of its own.

    Its forward is the kernel's one formula, so the first-order gradient costs what the forward
    costs; its backward, in Tensor operations, gives the second derivatives:

        d out/dg  = (1 - y) - c sigmoid(-x)           (this operation again, on the incoming grad)
        d out/dx  = g c sigmoid(x) sigmoid(-x)
        d out/dy  = -g (1 + (w+ - 1) sigmoid(-x))
        d out/dw+ = -g y sigmoid(-x)
    """

    @staticmethod
    def forward(ctx, g, logits, target, pos_weight):
        return kernel.bce_with_logits_backward(ctx.xp, g, logits, target, pos_weight)

    @staticmethod
    def backward(ctx, gg):
        g, x, y, pos_weight = ctx.inputs
        need_g, need_x, need_y, need_pos = ctx.needs_input_grad
        grad_g = BCEWithLogitsGrad.apply(gg, x, y, pos_weight) if need_g else None
        grad_x = grad_y = grad_pos = None
        if need_x or need_y or need_pos:
            sigmoid_neg = sigmoid(-x)
            gg_g = gg * g
            if need_x:
                c = kernel.pos_weight_factor(y, pos_weight)
                grad_x = gg_g * c * sigmoid_neg * (1 - sigmoid_neg)
            if need_y:
                grad_y = -gg_g
                if pos_weight is not None:
                    grad_y = grad_y * (1 + (pos_weight - 1) * sigmoid_neg)
            if need_pos:
                grad_pos = sum_to(-gg_g * y * sigmoid_neg, pos_weight.shape)
        return grad_g, grad_x, grad_y, grad_pos


class BinaryCrossEntropy(Function):
    """loss = -[y max(log p, -100) + (1 - y) max(log(1 - p), -100)].

        dloss/dp = (p - y) / max(p (1 - p), 1e-12)     (PyTorch's bound on the gradient where
                                                         p has rounded to 0 or 1)
        dloss/dy = max(log(1 - p), -100) - max(log p, -100)
    """

    @staticmethod
    def forward(ctx, probs, target):
        return kernel.binary_cross_entropy(ctx.xp, probs, target)

    @staticmethod
    def backward(ctx, g):
        p, y = ctx.inputs
        need_p, need_y = ctx.needs_input_grad
        grad_p = grad_y = None
        if need_p:
            grad_p = g * (p - y) / clamp(p * (1 - p), min=_GRAD_EPSILON)
        if need_y:
            grad_y = g * (clamp(log(1 - p), min=-100.0) - clamp(log(p), min=-100.0))
        return grad_p, grad_y


# -- the functions users call: argument checks, weight and reduction -------------------------

def _checked_input(caller, input):
    from ..tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(f"{caller}: input must be a Tensor, got {type(input).__name__}")
    return check_floating(input, "input", caller)


def _like_input(caller, name, value, input, same_shape):
    """``value`` (a Tensor or an array) as a Tensor with input's dtype, its shape checked: equal
    to input's, or one that broadcasts to it without enlarging it."""
    from ..tensor import Tensor

    if value is None:
        return None
    if not isinstance(value, Tensor):
        if not hasattr(value, "shape"):
            raise TypeError(f"{caller}: {name} must be a Tensor or an array, got "
                            f"{type(value).__name__}")
        value = Tensor(value, dtype=input.dtype)
    if value.device != input.device:
        raise DeviceError(f"{caller}: {name} is on '{value.device}' but input is on "
                          f"'{input.device}'; move it with .to(device)")
    if same_shape:
        if value.shape != input.shape:
            raise ValueError(f"{caller}: {name} must have the shape of input {input.shape}, got "
                             f"{value.shape}")
    else:
        try:
            fits = np.broadcast_shapes(value.shape, input.shape) == input.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{caller}: {name} of shape {value.shape} does not broadcast to the "
                             f"shape of input {input.shape}")
    return to(value, dtype=input.dtype)  # labels may come as integers or booleans


def _weighted_and_reduced(loss, weight, reduction):
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(input) against ``target``, computed from the logits.

    loss_i = weight_i * [(1 - y_i) x_i + (1 + (pos_weight - 1) y_i) softplus(-x_i)], finite
    with a finite gradient for every finite logit. Shapes: ``target`` as ``input``; ``weight``
    and ``pos_weight`` broadcast to it (``pos_weight`` of shape (C,) weighs the positive class of
    each of C labels in the last dimension).
    """
    caller = "binary_cross_entropy_with_logits"
    check_choice(reduction, "reduction", REDUCTIONS, caller)
    input = _checked_input(caller, input)
    target = _like_input(caller, "target", target, input, same_shape=True)
    weight = _like_input(caller, "weight", weight, input, same_shape=False)
    pos_weight = _like_input(caller, "pos_weight", pos_weight, input, same_shape=False)
    return _weighted_and_reduced(BCEWithLogits.apply(input, target, pos_weight), weight,
                                 reduction)


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` against ``target``, both in [0, 1].

    loss_i = -weight_i * [y_i max(log p_i, -100) + (1 - y_i) max(log(1 - p_i), -100)].
    Shapes: ``target`` as ``input``; ``weight`` broadcasts to it. Prefer
    :func:`binary_cross_entropy_with_logits`, which does not lose precision to the sigmoid.
    """
    caller = "binary_cross_entropy"
    check_choice(reduction, "reduction", REDUCTIONS, caller)
    input = _checked_input(caller, input)
    target = _like_input(caller, "target", target, input, same_shape=True)
    weight = _like_input(caller, "weight", weight, input, same_shape=False)
    for name, t in (("input", input), ("target", target)):
        # min/max rather than a comparison array: two passes and no allocation; NaN fails too
        if t.data.size and not (float(t.data.min()) >= 0 and float(t.data.max()) <= 1):
            raise ValueError(f"{caller}: all elements of {name} must lie in [0, 1], got values "
                             f"in [{float(t.data.min()):g}, {float(t.data.max()):g}]")
    return _weighted_and_reduced(BinaryCrossEntropy.apply(input, target), weight, reduction)
