"""Exercise 10: WGAN-GP's gradient penalty, a loss made of a gradient.

Tutorial: tutorials/08_remedies_side_by_side.py

A Wasserstein critic D must be 1-Lipschitz: its slope may nowhere exceed 1. WGAN clips D's
weights to enforce it, crudely; WGAN-GP (Gulrajani et al., 2017) adds a penalty to D's loss
instead, on points x_hat between the real and the generated samples:

    penalty = lambda * mean over the batch of (|grad_x D(x_hat)|_2 - 1)^2,
    x_hat = e x + (1 - e) G(z),   e ~ U(0, 1), one e per pair of samples.

The penalty is built from a gradient of D, and D's update needs the gradient *of the penalty*
with respect to D's weights: a derivative of a derivative. ``minigan.grad(..., create_graph=True)``
returns the gradient as a Tensor that is itself part of the graph, so ``penalty.backward()``
can differentiate through it.
"""

from minigan import grad


def gradient_penalty(D, real, fake, e, weight=10.0):
    """WGAN-GP's penalty: ``weight`` * mean over the batch of (|grad_x D(x_hat)| - 1)^2.

    ``D`` maps a batch (N, ...) to one score per sample, (N,); ``real`` and ``fake`` are two
    batches of the same shape (N, ...), ``fake`` already detached; ``e`` holds one weight in
    [0, 1] per sample, shape (N, 1, ..., 1), so that x_hat = e * real + (1 - e) * fake
    broadcasts. Returns a scalar Tensor that depends on D's weights (not on real or fake).

    Steps: x_hat, as a new leaf that requires grad (``.detach().requires_grad_()``); the slope
    ``grad_x D(x_hat)``: the gradient of ``D(x_hat).sum()`` with respect to x_hat (the samples
    are independent, so the gradient of the sum is each sample's own gradient); its Euclidean
    norm per sample, over every dimension but the batch; then the mean of (norm - 1)^2.

    Hint: ``(slope,) = grad(D(x_hat).sum(), x_hat, create_graph=True)``; without
    ``create_graph=True`` the slope is a constant and the penalty would not train D at all.
    Norm: ``((slope * slope).flatten(1).sum(dim=1) + 1e-12).sqrt()`` (the tiny constant keeps
    the norm's own gradient finite where the slope is 0).
    """
    # BEGIN SOLUTION
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_()
    (slope,) = grad(D(x_hat).sum(), x_hat, create_graph=True)
    norm = ((slope * slope).flatten(1).sum(dim=1) + 1e-12).sqrt()
    return weight * ((norm - 1) ** 2).mean()
    # END SOLUTION
