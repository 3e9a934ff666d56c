"""Exercise 6: the optimal discriminator, computed and then learned.

Tutorial: tutorials/05_optimal_discriminator.py

For a fixed generator whose samples have the density p_g, the discriminator D maximises

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))]
            = integral of  p_data(x) log D(x) + p_g(x) log(1 - D(x))  dx.

Pointwise, a log(y) + b log(1 - y) is largest at y = a / (a + b), so the best discriminator is

    D*(x) = p_data(x) / (p_data(x) + p_g(x))

(Goodfellow et al., 2014, Proposition 1). You compute D* from two known densities, then train
a network on samples alone and watch it find the same function.
"""

import numpy as np

import minigan.functional as F
from minigan import ones, optim, zeros


def optimal_discriminator(p_data, p_g, x):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) at the points x, an array of shape (n, 1).

    ``p_data`` and ``p_g`` are distributions on the line (``minigan.data.gaussian_1d``,
    ``mixture_1d``) with the methods ``density(x)`` and ``log_density(x)``, each giving an
    array of shape (n,). Returns a NumPy array of shape (n,) with values in [0, 1].

    Far from both distributions both densities round to 0 and the quotient is 0/0. Divide the
    numerator and the denominator by p_data(x):

        D*(x) = 1 / (1 + p_g(x) / p_data(x)) = sigmoid(log p_data(x) - log p_g(x)),

    and the log densities stay ordinary numbers (-800, say) where the densities underflow.

    Hint: with l = log p_data(x) - log p_g(x), sigmoid(l) = exp(-log(1 + e^-l)), and
    ``np.logaddexp(0, -l)`` computes log(1 + e^-l) without overflow.
    """
    # BEGIN SOLUTION
    logit = p_data.log_density(x) - p_g.log_density(x)
    return np.exp(-np.logaddexp(0.0, -logit))
    # END SOLUTION


def train_discriminator(D, p_data, p_g, steps, batch_size=256, lr=3e-3, generator=None):
    """Train D on samples of p_data (label 1) and p_g (label 0); returns D.

    D is a network (``minigan.gan.MLPDiscriminator``) that maps a batch of points (B, 1) to
    logits (B,); D(x) = sigmoid(logit). Each of the ``steps`` steps:

    1. draws ``batch_size`` samples of each distribution, ``p.sample(batch_size, generator)``;
    2. computes the loss  BCE(D(real), 1) + BCE(D(fake), 0), which is -V(D, G) estimated on
       the two batches (binary cross-entropy of logits, averaged over each batch);
    3. takes one step of an Adam optimiser with learning rate ``lr`` on D's parameters.

    Minimising that loss climbs V, so D should approach D*. For the last 30% of the steps use
    a learning rate ten times smaller: small steps let it settle on the optimum.

    Hint: ``F.binary_cross_entropy_with_logits(logits, ones(batch_size))`` is the BCE;
    ``opt = optim.Adam(D.parameters(), lr=lr)``, then per step ``opt.zero_grad()``,
    ``loss.backward()``, ``opt.step()``; ``opt.param_groups[0]["lr"]`` changes the rate.
    """
    # BEGIN SOLUTION
    opt = optim.Adam(D.parameters(), lr=lr)
    real_label, fake_label = ones(batch_size), zeros(batch_size)
    for step in range(steps):
        if step == int(0.7 * steps):
            opt.param_groups[0]["lr"] = lr / 10
        loss = (F.binary_cross_entropy_with_logits(D(p_data.sample(batch_size, generator)),
                                                   real_label)
                + F.binary_cross_entropy_with_logits(D(p_g.sample(batch_size, generator)),
                                                     fake_label))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D
    # END SOLUTION
