"""Exercise 13, checked: the learner's ``gan_step`` makes the same updates as minigan's own
``train_step`` (D first, then G against the updated D), and the wrong order, G's loss computed
before D's step, raises InplaceModificationError instead of giving G a wrong gradient."""

import numpy as np
import pytest

import minigan
from minigan import InplaceModificationError, nn, optim
from minigan.gan import train_step
from minigan.gan.losses import discriminator_loss, generator_loss


def game(device, seed=0):
    """G, D, their optimizers, a batch and a noise batch, all from ``seed``."""
    gen = minigan.Generator(seed)
    G = nn.Sequential(nn.Linear(2, 16, generator=gen), nn.ReLU(), nn.Linear(16, 2, generator=gen))
    D = nn.Sequential(nn.Linear(2, 16, generator=gen), nn.LeakyReLU(0.2),
                      nn.Linear(16, 1, generator=gen))
    G, D = G.to(device), D.to(device)
    opts = [optim.Adam(p.parameters(), lr=1e-2, betas=(0.5, 0.999)) for p in (G, D)]
    real = minigan.randn(32, 2, generator=gen).to(device) * 0.5 + 2.0
    z = minigan.randn(32, 2, generator=gen).to(device)
    return G, D, opts, real, z


@pytest.mark.exercise
@pytest.mark.parametrize("name", ["ex13_inplace.gan_step"])
def test_exercise(name, load_exercise, device):
    module, function = name.split(".")
    gan_step = getattr(load_exercise(module), function)
    G, D, (opt_G, opt_D), real, z = game(device)
    G_ref, D_ref, opts_ref, _, _ = game(device)
    for step in range(3):
        losses = gan_step(G, D, opt_G, opt_D, real, z)
        record = train_step(G_ref, D_ref, *opts_ref, lambda: real, lambda: z)
        assert np.allclose(losses, (record["d_loss"], record["g_loss"]), rtol=1e-5), \
            f"step {step}: (d_loss, g_loss) = {losses}, expected " \
            f"{(record['d_loss'], record['g_loss'])}"
        for (name_, p), q in zip(list(G.named_parameters()) + list(D.named_parameters()),
                                 list(G_ref.parameters()) + list(D_ref.parameters())):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"step {step}: {name_} differs from the "
                                               "reference step (D first, then G)")


def test_the_wrong_order_raises_and_names_what_changed():
    G, D, (opt_G, opt_D), real, z = game("cpu")
    fake = G(z)
    g_loss = generator_loss(D(fake))  # too early: D is about to take its step
    d_loss = discriminator_loss(D(real), D(fake.detach()))
    opt_D.zero_grad()
    d_loss.backward()
    opt_D.step()
    with pytest.raises(InplaceModificationError, match=r"modified by an in-place operation "
                                                       r"\(version 2, expected 1\)"):
        g_loss.backward()
