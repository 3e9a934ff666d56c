"""``SGD``: stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

With g = grad + weight_decay * p (L2 regularisation folded into the gradient):

- plain:     p <- p - lr * g
- momentum:  b <- momentum * b + (1 - dampening) * g   (b = g at the first step)
             p <- p - lr * b
- Nesterov:  p <- p - lr * (g + momentum * b)           (look ahead along the velocity)

exactly PyTorch's ``torch.optim.SGD``, so the two produce the same trajectory.
"""

from .._checks import check_non_negative
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent (see the module docstring for the update)."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_hyperparameters(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            check_non_negative(group[name], name, "SGD")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")

    def _update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * grad
