"""Checks of exercise 7: ``frozen`` sets and restores the flags; in ``train_step`` G gets no
gradient in D's turn, D neither moves nor gets a gradient in G's turn, and rounds of it equal
``minigan.gan.train_step``'s, weight for weight."""

import numpy as np

import minigan
from minigan import data, gan, optim

from ..checking import Check, assert_close


def players(seed=0):
    """A small G and D on the line, their SGD optimisers and seeded samplers (same every call)."""
    G = gan.MLPGenerator(1, 1, hidden=(8, 8), generator=minigan.Generator(seed))
    D = gan.MLPDiscriminator(1, hidden=(8, 8), generator=minigan.Generator(seed + 1))
    rng, p_data = minigan.Generator(seed + 2), data.gaussian_1d(4.0, 0.5)
    return (G, D, optim.SGD(G.parameters(), lr=0.05), optim.SGD(D.parameters(), lr=0.05),
            lambda: p_data.sample(16, generator=rng),
            lambda: gan.sample_noise(16, 1, generator=rng))


def frozen_flags(module, device):
    D = gan.MLPDiscriminator(1, hidden=(4,))
    params = list(D.parameters())
    params[-1].requires_grad = False  # a flag that was already off must stay off
    before = [p.requires_grad for p in params]
    with module.frozen(D):
        inside = [name for (name, p) in D.named_parameters() if p.requires_grad]
        if inside:
            raise AssertionError(f"inside `with frozen(D):` the parameter {inside[0]} still "
                                 "requires grad")
    if [p.requires_grad for p in params] != before:
        raise AssertionError(f"after the block the flags are {[p.requires_grad for p in params]}"
                             f", they were {before}: restore each parameter's own flag")
    try:
        with module.frozen(D):
            raise KeyError("raised inside the block")
    except KeyError:
        pass
    if [p.requires_grad for p in params] != before:
        raise AssertionError("when the block raises, the flags are not restored: restore them "
                             "in a `finally:`")


def _spy_on_d_steps(G, D, opt_D):
    """Replace opt_D.step by one that records, at each D update, the G parameters holding a
    gradient, and after it a copy of D's weights and gradients."""
    seen = {"g_grads": [], "d_after": None}
    step = opt_D.step

    def spy(*args, **kwargs):
        seen["g_grads"] += [name for name, p in G.named_parameters() if p.grad is not None]
        result = step(*args, **kwargs)
        seen["d_after"] = [(name, p.data.copy(), None if p.grad is None else p.grad.numpy().copy())
                           for name, p in D.named_parameters()]
        return result

    opt_D.step = spy
    return seen


def d_turn_leaves_g_alone(module, device):
    G, D, opt_G, opt_D, real, noise = players()
    seen = _spy_on_d_steps(G, D, opt_D)
    try:
        module.train_step(G, D, opt_G, opt_D, real, noise, k=2)
    except Exception:
        if not seen["g_grads"]:
            raise
        # without the detach, G's backward later meets a graph D's backward already freed
    if seen["d_after"] is None:
        raise AssertionError("train_step never called opt_D.step()")
    if seen["g_grads"]:
        raise AssertionError(f"in D's turn G's parameter {seen['g_grads'][0]} got a gradient: "
                             "detach G's samples before D sees them")


def g_turn_leaves_d_alone(module, device):
    G, D, opt_G, opt_D, real, noise = players()
    seen = _spy_on_d_steps(G, D, opt_D)
    module.train_step(G, D, opt_G, opt_D, real, noise, k=1)
    for (name, weight, grad), p in zip(seen["d_after"], D.parameters()):
        if not np.array_equal(p.data, weight):
            raise AssertionError(f"D's parameter {name} moved during G's turn")
        now = None if p.grad is None else p.grad.numpy()
        if grad is not None and (now is None or not np.array_equal(now, grad)):
            raise AssertionError(f"D's gradient for {name} changed during G's turn: freeze D "
                                 "while G's loss is computed")
        if not p.requires_grad:
            raise AssertionError(f"after train_step D's parameter {name} no longer requires "
                                 "grad: unfreeze D when G's loss is computed")
    if all(p.grad is None for p in G.parameters()):
        raise AssertionError("G got no gradient in its turn: compute its loss on D(fake), "
                             "not on D(fake.detach())")


def same_as_the_package(module, device):
    mine, reference = players(), players()
    for round_ in range(3):
        got = module.train_step(*mine, k=2)
        expected = gan.train_step(*reference, k=2)
        for key in ("d_loss", "g_loss"):
            if key not in got:
                raise AssertionError(f"train_step returned {sorted(got)}; it returns d_loss and "
                                     "g_loss")
            assert_close(got[key], expected[key], f"{key} in round {round_ + 1}", rtol=1e-5)
        for who, a, b in (("G", mine[0], reference[0]), ("D", mine[1], reference[1])):
            for (name, p), q in zip(a.named_parameters(), b.parameters()):
                assert_close(p, q, f"{who}'s {name} after round {round_ + 1}", rtol=1e-5,
                             atol=1e-7)


CHECKS = [
    Check("frozen", "inside the block no parameter requires grad; after it the flags are back",
          frozen_flags),
    Check("train_step", "in D's turn, G's weights get no gradient", d_turn_leaves_g_alone),
    Check("train_step", "in G's turn, D's weights neither move nor get a gradient",
          g_turn_leaves_d_alone),
    Check("train_step", "three rounds (k = 2) equal minigan.gan.train_step's",
          same_as_the_package,
          hint="draw in the documented order: for each D step sample_real() then "
               "sample_noise(); G's turn reuses the last fake batch"),
]
