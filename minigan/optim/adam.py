"""``Adam``: gradient descent with per-coordinate step sizes from running moments.

With g = grad + weight_decay * p (L2 regularisation folded into the gradient, as in PyTorch's
Adam; AdamW decouples it instead) and step t = 1, 2, ...:

    m <- beta1 m + (1 - beta1) g            running mean of the gradient
    v <- beta2 v + (1 - beta2) g^2          running mean of its square
    m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)    (m, v start at 0: undo the bias)
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)

Each coordinate moves by about lr whatever the scale of its gradient, which is why Adam with
lr = 2e-4, betas = (0.5, 0.999) is the DCGAN default: beta1 = 0.5 forgets old gradients fast,
as the opponent keeps changing. The arithmetic follows PyTorch's (non-amsgrad) Adam step for
step, so the two produce the same trajectory.
"""

import math

from .. import backend
from .._checks import check_non_negative, is_real
from .optimizer import Optimizer

# True: the update in two scratch arrays, each operation writing into one (``out=``); False:
# the plain expressions below, which allocate about eight temporaries per parameter. The same
# operations in the same order, so the same bits; for the 890,000 parameters of the paper
# preset's two MLPs, 2.7 ms instead of 3.4 ms per update of both (indicative, loaded machine).
IN_PLACE_UPDATE = True


class Adam(Optimizer):
    """Adam (see the module docstring for the update); ``state`` holds ``step``, ``exp_avg``
    (m) and ``exp_avg_sq`` (v) per parameter, PyTorch's names."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay))

    def _check_hyperparameters(self, group):
        for name in ("lr", "eps", "weight_decay"):
            check_non_negative(group[name], name, "Adam")
        betas = group["betas"]
        if len(betas) != 2 or not all(is_real(b) and 0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")

    def _update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        xp = backend.get_array_module(param)
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param), exp_avg_sq=xp.zeros_like(param))
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        step_size = group["lr"] / (1 - beta1 ** t)
        correction2 = math.sqrt(1 - beta2 ** t)
        if not IN_PLACE_UPDATE:
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            denom = xp.sqrt(v) / correction2 + group["eps"]
            param -= step_size * m / denom
            return
        scratch = xp.multiply(grad, 1 - beta1)  # (1 - beta1) g
        m *= beta1
        m += scratch
        xp.multiply(grad, 1 - beta2, out=scratch)  # (1 - beta2) g g
        scratch *= grad
        v *= beta2
        v += scratch
        denom = xp.sqrt(v, out=scratch)  # sqrt(v) / sqrt(1 - beta2^t) + eps
        denom /= correction2
        denom += group["eps"]
        update = xp.multiply(m, step_size)  # step_size m / denom
        update /= denom
        param -= update
