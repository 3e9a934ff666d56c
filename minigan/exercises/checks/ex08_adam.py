"""Checks of exercise 8: the first step of Adam (where the bias correction shows), then a
30-step trajectory against minigan's Adam and, where it is installed, PyTorch's."""

import numpy as np

import minigan
from minigan import optim

from ..checking import Check, assert_close, torch_or_skip

SETTINGS = dict(lr=0.05, betas=(0.5, 0.999), eps=1e-8)  # DCGAN's beta1
START = np.array([0.5, -1.0, 2.0, 0.1])
SCALES = np.array([1e-3, 1.0, 30.0, 1e3])  # gradients of very different sizes
STEPS = 30


def loss_of(p):
    """A bowl whose coordinates have very different curvatures: sum s_i (p_i - 1)^2 + p_0 p_1."""
    scales = minigan.tensor(SCALES)
    return (scales * (p - 1) ** 2).sum() + p[0] * p[1]


def trajectory(make_optimizer):
    p = minigan.tensor(START.copy(), requires_grad=True)
    opt = make_optimizer([p])
    points = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_of(p).backward()
        opt.step()
        points.append(p.detach().numpy().copy())
    return points


def first_step(module, device):
    p = minigan.tensor(np.zeros(4), requires_grad=True)
    opt = module.Adam([p], **SETTINGS)
    g = np.array([1e-4, -0.5, 3.0, 2e3])
    p.grad = minigan.tensor(g)
    opt.step()
    expected = -SETTINGS["lr"] * g / (np.abs(g) + SETTINGS["eps"])
    moved = p.detach().numpy()
    bad = ~np.isclose(moved, expected, rtol=1e-9, atol=0)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"for gradient {g[i]:g} your first step moved p[{i}] by {moved[i]:.6g}; with the "
            f"bias correction the first step is -lr * g / (|g| + eps) = {expected[i]:.6g} (each "
            "coordinate moves by about lr, whatever the size of its gradient)")


def against_minigan(module, device):
    for t, (mine, expected) in enumerate(zip(trajectory(lambda ps: module.Adam(ps, **SETTINGS)),
                                             trajectory(lambda ps: optim.Adam(ps, **SETTINGS))),
                                         start=1):
        assert_close(mine, expected, f"parameters after step {t}", rtol=1e-9)


def against_pytorch(module, device):
    points = trajectory(lambda ps: module.Adam(ps, **SETTINGS))  # an unwritten one fails fast
    torch = torch_or_skip()
    p = torch.tensor(START.copy(), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], **SETTINGS)
    scales = torch.tensor(SCALES, dtype=torch.float64)
    for t, mine in enumerate(points, start=1):
        opt.zero_grad()
        ((scales * (p - 1) ** 2).sum() + p[0] * p[1]).backward()
        opt.step()
        assert_close(mine, p.detach().numpy(), f"parameters after step {t} (PyTorch's Adam)",
                     rtol=1e-9)


CHECKS = [
    Check("Adam", "the first step moves every coordinate by about lr (bias correction)",
          first_step),
    Check("Adam", f"{STEPS} steps on a lopsided bowl equal minigan.optim.Adam's",
          against_minigan),
    Check("Adam", f"{STEPS} steps on the same bowl equal PyTorch's torch.optim.Adam",
          against_pytorch),
]
