"""Checks of exercise 13: ``gan_step`` makes the updates of ``minigan.gan.train_step`` (D first,
then G against the updated D); tests/test_inplace.py shows the wrong order caught."""

import minigan
from minigan import nn, optim
from minigan.gan import train_step

from ..checking import Check, assert_close


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


def same_as_the_package(module, device):
    G, D, (opt_G, opt_D), real, z = game(device)
    G_ref, D_ref, opts_ref, _, _ = game(device)
    for step in range(3):
        losses = module.gan_step(G, D, opt_G, opt_D, real, z)
        record = train_step(G_ref, D_ref, *opts_ref, lambda: real, lambda: z)
        assert_close(losses[0], record["d_loss"], f"d_loss at step {step + 1}", rtol=1e-5)
        assert_close(losses[1], record["g_loss"], f"g_loss at step {step + 1}", rtol=1e-5)
        for (name, p), q in zip(list(G.named_parameters()) + list(D.named_parameters()),
                                list(G_ref.parameters()) + list(D_ref.parameters())):
            assert_close(p, q, f"{name} after step {step + 1} (D first, then G)", rtol=1e-5,
                         atol=1e-6)



CHECKS = [
    Check("gan_step", "three steps equal minigan.gan.train_step's (D first, then G)",
          same_as_the_package, devices=("cpu", "cuda")),
]
