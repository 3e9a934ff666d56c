"""Checks of exercise 6: D* against minigan's theory module, in the tails too, and a
discriminator trained by the learner's loop against D* (300 short steps, well under 5 s)."""

import numpy as np

import minigan
import minigan.functional as F
from minigan import data, gan
from minigan.gan import theory

from ..checking import Check, as_array, assert_close, for_case

PAIRS = {  # tutorial 05's two cases: equal widths, and p_g wider than the data's modes
    "p_data two modes at -2 and 2, p_g one at 0.5, all of std 0.75":
        (data.mixture_1d([-2.0, 2.0], 0.75), data.gaussian_1d(0.5, 0.75)),
    "p_data two modes at -2 and 2 (std 0.75), p_g at 0.5 with std 1.5":
        (data.mixture_1d([-2.0, 2.0], 0.75), data.gaussian_1d(0.5, 1.5)),
}
GRID = np.linspace(-5.0, 5.0, 201)[:, None]
TAILS = np.array([[-60.0], [-40.0], [40.0], [60.0]])  # both densities round to 0 here
TRAINING_STEPS, TOLERANCE, DENSE = 300, 0.06, 0.05


def d_star_values(module, device):
    for description, (p_data, p_g) in PAIRS.items():
        for_case(description, assert_close, module.optimal_discriminator(p_data, p_g, GRID),
                 theory.optimal_discriminator(p_data, p_g, GRID), "D*", rtol=1e-9)


def d_star_tails(module, device):
    p_data, p_g = PAIRS[next(iter(PAIRS))]
    mine = as_array(module.optimal_discriminator(p_data, p_g, TAILS))
    bad = ~np.isfinite(mine)
    if bad.any():
        x = float(TAILS[np.argmax(bad), 0])
        raise AssertionError(f"your D* at x = {x:g} is {mine[np.argmax(bad)]}: both densities "
                             "round to 0 there, so compute it from the log densities")
    assert_close(mine, theory.optimal_discriminator(p_data, p_g, TAILS),
                 "D* far in the tails (x = -60, -40, 40, 60)", rtol=1e-9)


def trained_discriminator(module, device):
    p_data, p_g = PAIRS[next(iter(PAIRS))]
    D = gan.MLPDiscriminator(1, hidden=(32, 32), generator=minigan.Generator(0))
    D = module.train_discriminator(D, p_data, p_g, TRAINING_STEPS,
                                   generator=minigan.Generator(1))
    if D is None:
        raise AssertionError("train_discriminator returned None; return the trained D")
    with minigan.no_grad():
        d = F.sigmoid(D(minigan.tensor(GRID, dtype=np.float32))).numpy()
    mass = p_data.density(GRID) + p_g.density(GRID)
    dense = mass > DENSE * mass.max()
    d_star = theory.optimal_discriminator(p_data, p_g, GRID)
    error = np.where(dense, np.abs(d - d_star), 0)
    i = int(np.argmax(error))
    if error[i] > TOLERANCE:
        raise AssertionError(
            f"after {TRAINING_STEPS} steps your D(x) = {d[i]:.3f} at x = {GRID[i, 0]:.2f}, but "
            f"D*(x) = {d_star[i]:.3f} (tolerance "
            f"{TOLERANCE} where p_data + p_g is above {DENSE:.0%} of its peak)")


CHECKS = [
    Check("optimal_discriminator", "D* equals minigan.gan.theory's on a grid of x",
          d_star_values),
    Check("optimal_discriminator", "D* is right far in the tails, where the densities are 0",
          d_star_tails, hint="divide by p_data(x): D* = sigmoid(log p_data(x) - log p_g(x))"),
    Check("train_discriminator", "a trained D is close to D* where the data are",
          trained_discriminator,
          hint="label 1 for samples of p_data, 0 for samples of p_g; zero the gradients "
               "before each backward (they add up otherwise); one optimiser step per batch"),
]
