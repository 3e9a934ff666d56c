"""One round of the GAN game: k updates of the discriminator, then one of the generator.

This is Algorithm 1 of Goodfellow et al. (2014), written to be read::

    for k steps:                                 D ascends V (descends -V)
        x ~ p_data,  z ~ p_z
        minimise  -[mean log D(x) + mean log(1 - D(G(z)))]   over D's weights
    minimise  the generator loss on D(G(z))      over G's weights

Two details make the updates touch only the player whose turn it is:

- D's step sees G's samples *detached*: they enter D's loss as constants, so D's backward stops
  at them and G's weights get no gradient (and no graph through G is kept for it);
- during G's step D is *frozen* (its parameters do not require grad): the gradient flows
  through D into G(z), but D's weights get none, and their ``.grad`` still holds D's own last
  gradient afterwards.

As in PyTorch's DCGAN example, G's step reuses the last fake batch of D's step: G has not
changed in between, so G(z) would be the same.

The losses are asked of a *method* (:mod:`minigan.gan.methods`): the GAN of the paper by
default, or a remedy for mode collapse (WGAN, the unrolled GAN...), which changes the losses,
adds a penalty or clips D's weights, while the step stays these same lines.
"""

from contextlib import contextmanager

from .._checks import check_positive_int
from .methods import make_method


@contextmanager
def frozen(module):
    """Inside the block, ``module``'s parameters do not require grad; their previous flags are
    restored after it. Graphs recorded inside carry no gradient to those parameters."""
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad = False
    try:
        yield module
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad = flag


def train_step(G, D, opt_G, opt_D, sample_real, sample_noise, k=None, method="gan",
               generator=None):
    """k discriminator updates, then one generator update; returns what was measured.

    ``sample_real()`` returns a batch of data, ``sample_noise()`` a batch of noise for G.
    ``method`` (a name from :data:`minigan.gan.METHODS` or a
    :class:`~minigan.gan.methods.Method`) says which GAN is played, and so both players'
    losses: ``"gan"``, the non-saturating GAN, by default; ``"gan_saturating"`` for the minimax
    game as written. ``k`` defaults to the method's (1, or WGAN's 5 critic steps);
    ``generator`` is the source of any randomness the method needs (WGAN-GP's interpolation).
    The result is a dict of floats: ``d_loss`` and ``g_loss``, and the mean probabilities
    ``d_real`` = sigmoid(D(x)) and ``d_fake`` = sigmoid(D(G(z))) that D gave in its last update
    (before that update).
    """
    method = make_method(method)
    k = check_positive_int(method.d_steps if k is None else k,
                           "k (discriminator updates per round)", "train_step")
    for _ in range(k):
        real, fake = sample_real(), G(sample_noise())
        real_logits, fake_logits = D(real), D(fake.detach())  # detached: D's turn only
        d_loss = method.d_loss(real_logits, fake_logits)
        d_loss = d_loss + method.penalty(D, real, fake.detach(), generator)  # 0 for most
        opt_D.zero_grad()
        d_loss.backward()
        opt_D.step()
        method.after_d_step(D)  # e.g. WGAN's weight clipping

    with frozen(D):  # G's turn: gradients flow through D to G(z), not into D's weights
        g_loss = method.g_loss(D, real, fake, opt_D)
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()

    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": real_logits.detach().sigmoid().mean().item(),
            "d_fake": fake_logits.detach().sigmoid().mean().item()}
