"""When training has diverged: NaN or infinity, or a loss grown by orders of magnitude.

:func:`check_divergence` looks at one step's measures (the losses and the players' gradient
norms) against the steps before it, and stops training with a :class:`TrainingDivergedError`
that names the step and the quantity. :class:`~minigan.gan.Trainer` calls it after every step;
the threshold of the finite test, :data:`GROWTH`, says where it was measured. That test,
:func:`loss_growth`, is the one definition of a divergence that stays finite: the GAN doctor's
check (:func:`minigan.gan.doctor.checks.divergence`) calls it too.
"""

import math

import numpy as np

MEASURES = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")
"""What the history records each step (besides the step number)."""

# The quantities whose non-finite value stops training, with how the error names them.
_WATCHED = {"d_loss": "the discriminator's loss", "g_loss": "the generator's loss",
            "d_grad_norm": "the discriminator's gradient",
            "g_grad_norm": "the generator's gradient"}


GROWTH = 1e4
"""Divergence that stays finite: the median over the last :data:`WINDOW` steps (or all the
steps so far, when fewer) of a loss's absolute value exceeds GROWTH x max(1, |that loss at
step 1|).

Measured on the classroom preset of the ring (the healthy and failing configurations of
``benchmarks/doctor_detection.py``, seeds 0-2 at 1,000-3,000 steps, and every method of
:data:`minigan.gan.METHODS` on seed 0 for 1,500 steps): healthy runs keep every median |loss|
below 15 times its scale (the largest: a non-saturating G facing a D trained 1,000 times
faster, 14.5). Diverging runs pass the threshold within 2-4 steps: Adam at learning rate 1
(|D's loss| 1e5 times its scale by step 4), 10 and WGAN at 1e6 (step 2). The factor leaves
700x over the largest healthy loss (a loss of 1e4 on the BCE scale means logits of 1e4).

Gradient norms are not tested for growth, only for NaN and infinity: their size says little
about divergence under Adam, whose steps are normalised, and it depends on the players. A
test against 1e4 x D's first gradient norm stopped a healthy run of PacGAN's players (the
``"paper"`` preset, ring, seed 1, at step 3,278), and the doctor's former test, against 1e3 x
that norm, stopped it sooner: G's gradient norm, 0.04 at the start with the N(0, 0.02^2)
initialisation, rises to a plateau of 350-390 (median per 500 steps) and the run, let
through, ends with 7 of 8 modes and 82% high-quality samples at step 7,500."""

WINDOW = 10
"""Steps in the median of the growth test: one spike is not divergence."""

LOSSES = ("d_loss", "g_loss")
"""The measures of the growth test (:func:`loss_growth`)."""


class TrainingDivergedError(RuntimeError):
    """A loss or a gradient became NaN or infinite, or grew by orders of magnitude (see
    :data:`GROWTH`), during training. ``step``: the step; ``evidence``: what was seen."""

    def __init__(self, message, step=None, evidence=None):
        super().__init__(message)
        self.step, self.evidence = step, evidence


def _names(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def loss_growth(recent, start, first=1):
    """The evidence of a divergence that stays finite, or None: for a loss of :data:`LOSSES`,
    the median of its absolute value over ``recent[name]`` (its last values, oldest first;
    the last :data:`WINDOW` of them count) exceeds :data:`GROWTH` x max(1, |``start[name]``|),
    its value at step ``first``, the first step of the run. ``recent`` and ``start`` are
    dicts by name; a loss that either lacks is not tested. The one definition of this
    divergence: :func:`check_divergence` (the Trainer) and the GAN doctor's
    :func:`~minigan.gan.doctor.checks.divergence` both call it."""
    for name in (m for m in LOSSES if m in recent and m in start):
        values = np.abs(np.asarray(recent[name][-WINDOW:], dtype=float))
        median, scale = float(np.median(values)), abs(float(start[name]))
        if median > GROWTH * max(1.0, scale):
            return (f"{_WATCHED[name]} grew to a median of {median:.3g} over the last "
                    f"{len(values)} steps, {median / max(1.0, scale):.3g} times max(1, its "
                    f"value at step {first:,}, {scale:.3g}) (threshold {GROWTH:g} times)")
    return None


def check_divergence(step, record, history, doctor=None, kept="", advice=None):
    """Raise :class:`TrainingDivergedError` if training diverged at ``step``, whose measures
    are ``record``, after the steps in ``history`` (lists by measure): a loss or a gradient
    norm of ``record`` is NaN or infinite, or a loss has grown by orders of magnitude (see
    :data:`GROWTH`). A ``doctor`` is told first, with the record, so that its report names
    the divergence; ``kept`` says which checkpoint is left (e.g. "the checkpoint of step 400
    in c.npz is kept"), ``advice`` what to do."""
    bad = [_WATCHED[name] for name in _WATCHED if name in record
           and not math.isfinite(record[name])]
    if bad:
        values = ", ".join(f"{m}={record[m]:.4g}" for m in MEASURES if m in record)
        evidence = f"{_names(bad)} became non-finite ({values})"
    else:
        names = [m for m in LOSSES if m in record and m in history]
        evidence = loss_growth(
            {m: history[m][-(WINDOW - 1):] + [record[m]] for m in names},
            {m: history[m][0] if history[m] else record[m] for m in names})
        if evidence is None:
            return
    if doctor is not None:
        doctor.diverged(step, evidence, record)
    advice = advice or ("reload the last checkpoint and lower the learning rates, or look "
                        "for NaN or inf in the data")
    raise TrainingDivergedError(
        f"training diverged at step {step}: {evidence}. The weights were already updated "
        f"with it: {advice}." + (f" {kept[0].upper()}{kept[1:]}." if kept else ""),
        step=step, evidence=evidence)
