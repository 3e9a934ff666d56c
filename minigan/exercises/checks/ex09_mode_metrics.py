"""Checks of exercise 9, on hand-made samples whose answers can be counted by hand: samples
on the modes, just inside and just outside 3 standard deviations, far from every mode, and a
sample nearer one mode in metres but nearer another in standard deviations."""

import numpy as np

from minigan import data
from minigan.gan import metrics

from ..checking import Check, assert_close, for_case

RING = data.ring(8, radius=1.0, std=0.01)
# Two modes of different widths and weights: (0, 0) with std 1 (weight 0.8), (3, 0) with 0.1.
UNEQUAL = data.GaussianMixture([[0.0, 0.0], [3.0, 0.0]], [1.0, 0.1], [0.8, 0.2])


def _near(mixture, k, stds, angle=0.7):
    """A point ``stds`` standard deviations from mode k, in the direction ``angle``."""
    return mixture.means[k] + stds * mixture.stds[k] * np.array([np.cos(angle), np.sin(angle)])


SAMPLES = {  # description: (samples, mixture, the counts by hand)
    "8 modes on a ring; 3 samples on mode 0, 2 on mode 3":
        (np.array([RING.means[0]] * 3 + [RING.means[3]] * 2), RING, [3, 0, 0, 2, 0, 0, 0, 0]),
    "the ring; one sample 2.9 stds from mode 2 (counted), one 3.1 stds from mode 5 (not)":
        (np.array([_near(RING, 2, 2.9), _near(RING, 5, 3.1)]), RING, [0, 0, 1, 0, 0, 0, 0, 0]),
    "the ring; one sample at the centre, far from every mode":
        (np.zeros((1, 2)), RING, [0] * 8),
    "modes at (0, 0) with std 1 and (3, 0) with std 0.1; a sample at (2, 0) is 2 stds from the "
    "first, 10 from the second: it counts for the first":
        (np.array([[2.0, 0.0], [3.05, 0.0]]), UNEQUAL, [1, 1]),
}
COUNTS = {  # description: (counts, weights)
    "no high-quality sample at all": ([0] * 8, RING.weights),
    "all on two of eight equal modes": ([50, 0, 0, 50, 0, 0, 0, 0], RING.weights),
    "even over eight equal modes": ([10] * 8, RING.weights),
    "lopsided over two modes of weights 0.8 and 0.2": ([5, 30], UNEQUAL.weights),
}


def counts_by_hand(module, device):
    for description, (x, mixture, expected) in SAMPLES.items():
        for_case(description, assert_close, module.mode_counts(x, mixture.means, mixture.stds),
                 expected, "counts n_k")


def reverse_kl_values(module, device):
    for description, (counts, weights) in COUNTS.items():
        for_case(f"counts {counts} ({description})", assert_close,
                 module.reverse_kl(np.array(counts), weights), metrics.reverse_kl(counts, weights),
                 "reverse KL", rtol=1e-12)


def _same_metrics(mine, expected):
    for name in ("modes_captured", "high_quality", "reverse_kl", "counts", "num_samples"):
        assert_close(getattr(mine, name), getattr(expected, name), name, rtol=1e-12)


def metrics_values(module, device):
    for description, (x, mixture, _) in SAMPLES.items():
        for_case(description, _same_metrics, module.mode_metrics(x, mixture),
                 metrics.mode_metrics(x, mixture))


CHECKS = [
    Check("mode_counts", "the counts n_k of hand-made samples", counts_by_hand),
    Check("reverse_kl", "the smoothed reverse KL equals minigan.gan.metrics'",
          reverse_kl_values),
    Check("mode_metrics", "modes captured, high quality and reverse KL equal minigan's",
          metrics_values),
]
