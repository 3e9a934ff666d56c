"""Exercise 8: the Adam update, with its bias correction.

Tutorial: tutorials/06_a_first_gan_in_1d.py (section 4 trains with Adam, the DCGAN setting)

Plain gradient descent moves each weight by lr times its gradient, so a weight whose gradient
is 1000 times smaller learns 1000 times slower. Adam (Kingma and Ba, 2015) divides each
coordinate's step by a running estimate of its gradient's size:

    m <- beta1 m + (1 - beta1) g            running mean of the gradient
    v <- beta2 v + (1 - beta2) g^2          running mean of its square
    m_hat = m / (1 - beta1^t),   v_hat = v / (1 - beta2^t)
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)

at step t = 1, 2, ... So each coordinate moves by about lr, whatever the scale of its gradient.
GANs train with Adam (DCGAN: lr = 2e-4, beta1 = 0.5, which forgets old gradients fast, as the
opponent keeps changing).
"""

import numpy as np

from minigan.optim.optimizer import Optimizer


class Adam(Optimizer):
    """Adam: per-coordinate steps from running moments, with their bias correction.

    ``Adam(model.parameters(), lr=1e-3)`` updates the parameters ``params``.

    The base class :class:`minigan.optim.optimizer.Optimizer` does the bookkeeping: its
    ``step()`` calls ``self._update(param, grad, state, group)`` for every parameter that has a
    gradient, where ``param`` and ``grad`` are the parameter's NumPy arrays, ``state`` is a dict
    kept for that parameter from step to step (empty the first time) and ``group`` holds the
    hyperparameters, ``group["lr"]``, ``group["betas"]`` = (beta1, beta2) and ``group["eps"]``.

    Why the bias correction: m and v start at 0, so after the first step m = (1 - beta1) g, far
    too small when beta1 is near 1; dividing by 1 - beta1^t undoes exactly that shrinking (and
    1 - beta1^t tends to 1 as t grows). With it, the very first step moves every coordinate by
    lr * g / (|g| + eps), about lr.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))

    def _update(self, param, grad, state, group):
        """One Adam step of the array ``param``, in place, from its gradient ``grad``.

        Hint: on the first call, fill ``state`` with ``step=0``, ``exp_avg=np.zeros_like(param)``
        (m) and ``exp_avg_sq=np.zeros_like(param)`` (v); then count the step, update m and v in
        place (``m *= beta1; m += (1 - beta1) * grad``) and subtract the step from ``param``
        in place (``param -= ...``: the array is the parameter's own memory, and rebinding the
        name ``param`` would change nothing).
        """
        # BEGIN SOLUTION
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        param -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])
        # END SOLUTION
