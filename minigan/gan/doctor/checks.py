"""The doctor's checks: one function per condition, each with its thresholds beside it.

A check is a plain function of the evidence the :class:`~minigan.gan.doctor.Doctor` collected
(the records of the last steps, the medians of a window, the values of the last probes); it
returns the evidence text when its condition holds, and ``None`` when it does not. The first
and last steps of that evidence (``first``, ``last``) are passed in only to be named in the
text. A check keeps no state: which stretch of training a diagnosis covers is the Doctor's
bookkeeping.

Each threshold is a named constant: its docstring gives, on its first line, the reason for the
value, then what healthy and failing runs measured and where. Unless said otherwise the runs
are :func:`~minigan.gan.experiment.run_mixture` with the classroom preset on the 8-mode ring,
seeds 0-2 to 0-4, in the configurations of ``benchmarks/doctor_detection.py`` named in quotes:
"healthy: PacGAN" (``REMEDY_DEMO``), "collapse demo" (``COLLAPSE_DEMO``), "saturating, strong
D", "healthy: non-saturating" (the same strong D) and "learning rate 1" (Adam at 1.0); other
changes to the preset are named where they are used. The DCGAN runs are the DCGAN command
(``python -m minigan dcgan``, 25 epochs of 32 x 32 digits, ``--doctor``).
"""

import math

import numpy as np

from ..divergence import LOSSES, WINDOW, loss_growth

RECENT = WINDOW
"""Divergence uses the median of the last 10 records, as the Trainer's test does
(:data:`~minigan.gan.divergence.WINDOW`): one spike does not stop a run."""


def divergence(records, first, step):
    """Divergence at ``step``: a value of its record (``records[-1]``) is NaN or infinite, or
    a loss has grown by orders of magnitude: the Trainer's test,
    :func:`~minigan.gan.divergence.loss_growth` (the median |loss| of the last :data:`RECENT`
    ``records``, dicts of :data:`~minigan.gan.trainer.MEASURES` oldest first, above
    :data:`~minigan.gan.divergence.GROWTH` x max(1, |that loss in ``first``|)), with
    ``first`` the first record the doctor saw and ``first["step"]`` its step. One definition
    of divergence: in a run the Trainer watches from its first step, its own check fires
    first and tells the doctor; this one serves a doctor fed by other loops, or from the
    middle of a run.

    Gradient norms are not tested for growth. This check's former test, a player's median
    gradient norm over the last :data:`RECENT` steps at 1,000 times g0 (D's first gradient
    norm), stopped a healthy run of PacGAN's players
    (``run_mixture("ring", "gan", seed=1, preset="paper", steps=7500)``): with their
    N(0, 0.02^2) initialisation g0 is 0.041, and G's gradient norm rises from 0.007 at step 1
    to a plateau of 350-390 (the doctor's window medians reach 9,983 g0); let through, the
    run ends with 7 of 8 modes and 82% high-quality samples, and this check finds nothing in
    it. Under Adam, whose steps are normalised, a gradient's size says little about
    divergence, and it depends on the players: on the classroom preset, runs that do not
    diverge reach 340 g0 (a non-saturating G facing a D trained 100 times faster) and 725 g0
    (D frozen by a learning rate of 1e-7, G's samples running off to 25 times the data's
    scale)."""
    values = records[-1]
    bad = [m for m, v in values.items() if not math.isfinite(v)]
    if bad:
        return f"{' and '.join(bad)} became {values[bad[0]]} at step {step:,}"
    recent = {m: [record[m] for record in records[-RECENT:]] for m in LOSSES}
    evidence = loss_growth(recent, first, first["step"])
    return None if evidence is None else f"{evidence}, at step {step:,}"


DOMINANT = 0.95
"""Vanishing gradient: D right with probability 0.95 on both batches has saturated G's loss.

Compared with the window medians D(x) >= 0.95 and D(G(z)) <= 0.05. Measured: "healthy:
PacGAN" sits at D(x) = 0.50-0.56, D(G(z)) = 0.44-0.50; "saturating, strong D" reaches
0.999 / 0.001 within 50 steps, and so does the D of "healthy: non-saturating" at first. The
DCGAN's D comes close in its first epochs (0.94 / 0.06): dominance alone is no failure, hence
the test on G's gradient (:data:`VANISHING`)."""

VANISHING = 1e-2
"""Vanishing gradient: a G gradient of a hundredth of g0 no longer moves G.

Compared with G's window median gradient norm, in units of g0. Measured: in "saturating,
strong D" (the saturating loss, D learning 1,000 times faster than G) G's norm falls to
1e-4-1e-3 g0 within 100 steps; "healthy: non-saturating" (the same D) gives 30-200 g0,
"healthy: PacGAN" never goes below 0.08 g0, and the DCGAN's G stays at 0.4-1.5 g0."""


def vanishing_gradient(medians, g0, first, last):
    """A dominant D and a vanishing G gradient over the window of steps ``first``-``last``:
    ``medians`` (the window medians of :data:`~minigan.gan.trainer.MEASURES`) have
    D(x) >= :data:`DOMINANT`, D(G(z)) <= 1 - DOMINANT and G's gradient norm <=
    :data:`VANISHING` g0. Before g0 is known (``None``) there is no scale, and no alarm."""
    d_real, d_fake, g_norm = medians["d_real"], medians["d_fake"], medians["g_grad_norm"]
    g0 = g0 or math.nan  # comparisons with NaN are false
    if not (d_real >= DOMINANT and d_fake <= 1 - DOMINANT and g_norm <= VANISHING * g0):
        return None
    return (f"D(x) {d_real:.3f} and D(G(z)) {d_fake:.3g} (thresholds {DOMINANT} and "
            f"{1 - DOMINANT:.2f}); G's gradient norm {g_norm:.3g} = {g_norm / g0:.2g} g0, "
            f"g0 = {g0:.3g} being D's first (threshold {VANISHING:g} g0); medians of steps "
            f"{first:,}-{last:,}")


SPAN = 3
"""The probe-based checks use the median of the last 3 probes: one odd probe decides nothing."""

FAR = 0.5
"""Near or far: delta < 0.5 is closer to the data than halfway to a random data point.

Mode collapse is judged only near the data (far away, alike samples mean that G has not
learned yet, not that it collapsed), a weak D only far from it. Measured: "healthy: PacGAN"
starts at 0.27-0.41 (step 500, samples spread over the disc inside the ring) and falls
steadily to 0; the "collapse demo"'s cluster stays at 0.04-0.37; the DCGAN starts at 1.2
(epoch 1) and falls below 0.5 by epoch 4 (0.07-0.3 from then on); the blob of a G whose
gradient vanished ("saturating, strong D") sits at 0.5-0.7; a G whose D is frozen (learning rate
1e-7) runs off to 10 and more."""

LOW_DIVERSITY = 0.5
"""Mode collapse: samples on average half as far apart as the data's are alike.

Compared with the diversity rho. Measured: "healthy: PacGAN" gives 0.79-1.05 from step 500
on; the "collapse demo"'s single cluster 0.05-0.2 (seeds 0 and 2), its spread-out phases up to
0.9 (hence the count of modes, :data:`FEW_MODES`). The DCGAN rises from 0.27 (epoch 1, still
far from the data) to 0.95 (epoch 25); one digit repeated with pixel noise of 0.1 measures
0.14. In pixel space a collapse onto one *class* keeps much of the variety (the real digits
of one class measure 0.63-0.94): seeing it takes a judge's class histogram
(:data:`UNEVEN_CLASSES`)."""

FEW_MODES = 0.25
"""Mode collapse on a mixture: a quarter of the modes or fewer is a collapse, not a slow start.

Compared with the modes captured (2 of 8 on the ring, 6 of 25 on the grid). Measured: the
"collapse demo" captures 0-2 of 8 modes at every probe; "healthy: PacGAN" 5-8 after its first
1,000 steps (a single probe may read 0-2 early on, which the median over :data:`SPAN` probes
absorbs)."""

UNEVEN_CLASSES = math.log(2)
"""Mode collapse on images with a judge: a class histogram as uneven as half the classes.

Compared with KL(class histogram || uniform) >= log 2, the value of an even spread over half
the classes (KL = log(K / m) for m of K classes); chosen from that formula, not fitted to
runs."""


def _medians(probes):
    return {name: float(np.median(values)) for name, values in probes.items()}


def mode_collapse(probes, first, last):
    """Mode collapse over the probes at steps ``first``-``last``: ``probes`` (each value of the
    last :data:`SPAN` probes, by name) have medians near the data (distance < :data:`FAR`)
    but alike: diversity <= :data:`LOW_DIVERSITY`; or, from a mixture probe, at most
    :data:`FEW_MODES` of the modes captured; or, from a probe with a judge, a class histogram
    with KL to uniform >= :data:`UNEVEN_CLASSES`."""
    medians = _medians(probes)
    diversity, distance = medians["diversity"], medians["distance"]
    alike = diversity <= LOW_DIVERSITY
    evidence = [f"samples near the data (distance {distance:.2f} < {FAR}): diversity "
                f"{diversity:.2f} of the data's (threshold {LOW_DIVERSITY})"]
    if "modes_captured" in medians:
        modes, total = medians["modes_captured"], medians["num_modes"]
        alike = alike or modes <= FEW_MODES * total
        evidence.append(f"{modes:g} of {total:g} modes captured (threshold "
                        f"{math.floor(FEW_MODES * total)}), "
                        f"{100 * medians['high_quality']:.1f}% high quality")
    if "class_kl" in medians:
        alike = alike or medians["class_kl"] >= UNEVEN_CLASSES
        evidence.append(f"{medians['classes_present']:g} classes present, KL of the class "
                        f"histogram to uniform {medians['class_kl']:.2f} (threshold "
                        f"{UNEVEN_CLASSES:.2f})")
    if not (distance < FAR and alike):
        return None
    return "; ".join(evidence) + f"; medians of the probes at steps {first:,}-{last:,}"


SWING_WINDOWS = 10
"""Oscillation: how many windows (1,000 steps with the default window) one test looks at."""

SWING = 0.1
"""Oscillation: D's outputs swinging by 0.1 (a standard deviation) are the players chasing.

Compared with the standard deviation of the window medians of D(x) or D(G(z)) over the last
:data:`SWING_WINDOWS` windows. Measured: "healthy: PacGAN" below 0.003; the "collapse demo"
below 0.03; a run whose players chase each other swings by 0.2-0.5."""

CROSSINGS = 4
"""Oscillation: crossing the mean 4 times is two full periods; a trend crosses it once.

Compared with how many times the window medians cross their mean over the last
:data:`SWING_WINDOWS` windows; a trend (D learning) crosses it once whatever its size."""


def _crossings(values):
    """How many times ``values`` cross their mean."""
    above = np.asarray(values) > np.mean(values)
    return int((above[1:] != above[:-1]).sum())


def oscillation(d_real, d_fake, first, last):
    """Oscillation over steps ``first``-``last``: the window medians of D(x) (``d_real``) or
    of D(G(z)) (``d_fake``), the last :data:`SWING_WINDOWS` of each, have a standard deviation
    >= :data:`SWING` and cross their mean at least :data:`CROSSINGS` times (swings, not a
    trend). The one of the two that swings more is judged."""
    swings = {}
    for label, values in (("D(x)", d_real), ("D(G(z))", d_fake)):
        swings[label] = (float(np.std(values)), _crossings(values), min(values), max(values))
    label = max(swings, key=lambda k: swings[k][0])
    std, crossings, low, high = swings[label]
    if not (std >= SWING and crossings >= CROSSINGS):
        return None
    return (f"{label} swings between {low:.2f} and {high:.2f} (std {std:.2f} of the window "
            f"medians, threshold {SWING}) and crosses its mean {crossings} times (threshold "
            f"{CROSSINGS}) in steps {first:,}-{last:,}")


NO_MARGIN = 0.05
"""Weak discriminator: a D whose outputs differ by 0.05 or less cannot tell real from fake.

Compared with D(x) - D(G(z)) (negative when D is fooled). "healthy: PacGAN" also sits here
(0.002-0.01): that alone is no failure while G keeps getting closer to the data (hence
:data:`FAR` and :data:`PROGRESS`). The DCGAN's D keeps a margin of 0.5-0.9."""

PROGRESS = 0.25
"""Weak discriminator: a distance that fell by less than a quarter is G not learning.

Compared with how much the distance delta fell over the last :data:`SPAN` probes, as a share
of where it started. Measured: "healthy: PacGAN", while still far, falls by 44-49% over 3
probes (1,000 steps); a G facing a frozen D (learning rate 1e-7) moves away (negative
progress)."""


def weak_discriminator(probes, first, last):
    """A D too weak to teach over the probes at steps ``first``-``last``: ``probes`` (each
    value of the last :data:`SPAN` probes, by name, with D's margin ``d_margin``) have a
    median margin D(x) - D(G(z)) <= :data:`NO_MARGIN` while the samples are far from the data
    (median distance >= :data:`FAR`) and not getting closer (the distance fell by less than
    :data:`PROGRESS` from the first of those probes to the last)."""
    medians = _medians(probes)
    margin, distance = medians["d_margin"], medians["distance"]
    start, end = probes["distance"][0], probes["distance"][-1]
    progress = (start - end) / start if start > 0 else 0.0
    if not (margin <= NO_MARGIN and distance >= FAR and progress < PROGRESS):
        return None
    return (f"D(x) - D(G(z)) is {margin:.3f} (threshold {NO_MARGIN}) while the samples are "
            f"far from the data (distance {distance:.2f} >= {FAR}; 0: as close as real "
            f"samples, 1: as far as two random ones) and not getting closer (from {start:.2f} "
            f"to {end:.2f} over the probes at steps {first:,}-{last:,}, less than the "
            f"{100 * PROGRESS:.0f}% drop of a G that is learning); medians of those probes")
