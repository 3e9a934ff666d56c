"""Exercise 7: one round of the GAN game, each player updating only itself.

Tutorial: tutorials/06_a_first_gan_in_1d.py

Algorithm 1 of Goodfellow et al. (2014): k updates of the discriminator D, then one of the
generator G. D minimises  -V = BCE(D(x), 1) + BCE(D(G(z)), 0)  (``gan.discriminator_loss``);
G minimises the non-saturating loss  -mean log D(G(z)) = BCE(D(G(z)), 1)
(``gan.generator_loss``). Both losses depend on both players' weights, so each backward would
reach the other player too. Two details stop that:

- in D's turn G's samples are *detached*: ``fake.detach()`` is the same values as a constant,
  so D's backward stops there and G's weights get no gradient;
- in G's turn D is *frozen*: its parameters do not require grad, so the backward flows through
  D (into G(z), and on into G) but leaves D's ``.grad`` alone.
"""

from contextlib import contextmanager

from minigan.gan import discriminator_loss, generator_loss


@contextmanager
def frozen(module):
    """``with frozen(D):``, D's parameters do not require grad; afterwards their flags are back.

    Inside the block the parameters of ``module`` do not require grad; afterwards each has its
    previous flag back (even if the block raised).

    A graph recorded inside the block carries no gradient to those parameters: the engine does
    not differentiate with respect to a Tensor that does not require grad.

    Hint: ``params = list(module.parameters())``; remember ``[p.requires_grad for p in
    params]``, set each ``p.requires_grad = False``, then ``yield module`` inside a
    ``try:`` whose ``finally:`` restores the flags.
    """
    # BEGIN SOLUTION
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad = False
    try:
        yield module
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad = flag
    # END SOLUTION


def train_step(G, D, opt_G, opt_D, sample_real, sample_noise, k=1):
    """One round of the game: k updates of D, then one of G, each leaving the other alone.

    Returns ``{"d_loss": float, "g_loss": float}``, the last losses of D and of G.

    ``sample_real()`` returns a batch of data, ``sample_noise()`` a batch of noise for G.
    ``opt_D`` updates D's parameters, ``opt_G`` G's. In this order (the tests compare with
    ``minigan.gan.train_step``, which draws the same way):

    1. k times: ``real = sample_real()``, then ``fake = G(sample_noise())``; D's loss on
       ``D(real)`` and ``D(fake.detach())``; ``opt_D.zero_grad()``, backward, ``opt_D.step()``;
    2. with D frozen: G's loss on ``D(fake)`` (the last fake batch, *not* detached: G has not
       changed since it was drawn); ``opt_G.zero_grad()``, backward, ``opt_G.step()``.

    Hint: ``loss.item()`` is a loss as a Python float. Check yourself: without the detach, G's
    parameters have a ``.grad`` after D's backward; without the freeze, D's ``.grad`` changes
    during G's turn.
    """
    # BEGIN SOLUTION
    for _ in range(k):
        real, fake = sample_real(), G(sample_noise())
        d_loss = discriminator_loss(D(real), D(fake.detach()))
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
    with frozen(D):
        g_loss = generator_loss(D(fake))
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
    # END SOLUTION
