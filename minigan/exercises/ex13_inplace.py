"""Exercise 13: the order of a GAN's two updates, and the error that guards it.

One step of a GAN trains two players against each other: D learns to tell real from fake, then
G learns to fool the D that has just been updated. Backward computes a gradient from the values
that forward saw. If G's loss is computed *before* D's optimizer step and backpropagated
*after* it::

    g_loss = generator_loss(D(G(z)))      # the graph keeps D's weights, as they are now
    d_loss.backward(); opt_D.step()       # ...and the step overwrites them in place
    g_loss.backward()                     # would mix the new weights with old activations

then the gradient that reaches G is neither the one for the old D nor for the new one (for a
linear layer y = W x, dL/dx = W^T dL/dy is computed with the new W). PyTorch stops here, and
so does minigan: every tensor counts its in-place writes (``t._version``), each node of the graph
notes the versions it was computed with, and backward raises
:class:`minigan.InplaceModificationError` naming the tensor that changed. The fix is either
order that keeps each backward next to its forward: compute G's loss again after D's step (the
usual GAN step), or call both backwards before either step. Tutorial 06 shows the bug caught;
tutorial 13 is where a run that goes wrong is diagnosed.

Tutorial: tutorials/13_diagnosing_training.py
"""

from minigan.gan.losses import discriminator_loss, generator_loss


def gan_step(G, D, opt_G, opt_D, real, z):
    """One step of the (non-saturating) GAN on the batch ``real`` and the noise ``z``: first D's
    update, then G's against the updated D. Returns ``(d_loss, g_loss)`` as floats.

    - D's turn: ``fake = G(z)``; D's loss is ``discriminator_loss(D(real), D(fake.detach()))``
      (detached: this update must not reach G); clear D's gradients (``opt_D.zero_grad()``),
      backward, ``opt_D.step()``.
    - G's turn: G's loss is ``generator_loss(D(fake))``, computed *after* D's step, so that its
      graph holds D as it is now; clear G's gradients, backward, ``opt_G.step()``.

    Hints: ``fake`` can be reused for G's turn (G has not changed); the gradient that G's
    backward leaves in D's parameters is cleared by D's ``zero_grad`` at the next step. Try the
    wrong order once and read the error it raises.
    """
    # BEGIN SOLUTION
    fake = G(z)
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    g_loss = generator_loss(D(fake))  # after D's step: the D that G must fool now
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return d_loss.item(), g_loss.item()
    # END SOLUTION
