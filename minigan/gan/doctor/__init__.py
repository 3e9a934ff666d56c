"""The GAN doctor: it watches a run, names what goes wrong, shows the evidence and points to
the remedy.

    doctor = Doctor(probe=MixtureProbe(ring()))
    trainer.fit(10_000, doctor=doctor)   # the progress bar shows doctor=ok, or what it found
    print(doctor.report())

One module per job:

- :mod:`~minigan.gan.doctor.probes`: the probes that collect evidence from G's samples
  (:class:`SampleReference`, :class:`MixtureProbe`, :class:`ImageProbe`);
- :mod:`~minigan.gan.doctor.checks`: one function per condition, each with its thresholds
  beside it, documented with the reason for the value and what runs measured;
- :mod:`~minigan.gan.doctor.report`: the conditions it knows (:data:`CONDITIONS`), its
  :class:`Diagnosis`, the report and the files;
- :mod:`~minigan.gan.doctor.watch`: the :class:`Doctor`, which collects the evidence of a run
  and feeds it to the checks.

**What it watches.** Every step, the record the training loop keeps anyway
(:data:`~minigan.gan.trainer.MEASURES`: both losses, the mean D(x) and D(G(z)) of D's last
update, both players' gradient norms). Every ``window`` steps these are summarised by their
**medians** over the window: one odd batch moves a mean, never a median. Every
``probe_every`` steps a **probe** looks at G's samples of one fixed noise batch beside real
samples (:class:`MixtureProbe` for the 2D mixtures, :class:`ImageProbe` for images): their
**diversity** rho, the mean distance between two of them over the same for the data (rho = 1:
as varied as the data; rho << 1: the samples are alike), and their **distance** delta to the
data (delta = 0: as close to the data as the data are to themselves; delta = 1: as far from
the data as two random data points are from each other); the formulas are in
:mod:`~minigan.gan.doctor.probes`. The mixture probe adds the mode metrics of
:mod:`minigan.gan.metrics` (modes captured, the share of high-quality samples); the image
probe, given a judge classifier, the class histogram
(:func:`~minigan.gan.evaluation.class_coverage`).

**The conditions**, each a check on those medians (the function of the same name in
:mod:`~minigan.gan.doctor.checks`, e.g. ``checks.mode_collapse``; the thresholds, and what
healthy and failing runs measured, are documented at each constant):

===================== ========================================================================
condition             the test
===================== ========================================================================
divergence            a loss or gradient norm is NaN or infinite; or the median |loss| over
                      the last 10 steps exceeds :data:`~minigan.gan.divergence.GROWTH` times
                      max(1, |that loss at the first step|): the training loop's own test
                      (:func:`~minigan.gan.divergence.loss_growth`), which, when it stops the
                      run, tells the doctor first. Gradient norms are not tested for growth
                      (those of a healthy run can grow 9,000-fold: see
                      :func:`checks.divergence`). Stops training with a
                      :class:`~minigan.gan.TrainingDivergedError` naming the step (unless
                      ``stop_on_divergence=False``).
vanishing gradient    over a window D(x) >= :data:`DOMINANT`, D(G(z)) <= 1 - DOMINANT (the
                      discriminator dominates) and G's gradient norm <= :data:`VANISHING` g0.
mode collapse         over the last 3 probes (medians): the samples are near the data
                      (delta < :data:`FAR`) but alike: diversity rho <= :data:`LOW_DIVERSITY`,
                      or (mixtures) at most :data:`FEW_MODES` of the modes captured, or (with a
                      judge) a class histogram with KL to uniform >= :data:`UNEVEN_CLASSES`.
oscillation           over the last :data:`SWING_WINDOWS` windows, the window medians of D(x)
                      or D(G(z)) have a standard deviation >= :data:`SWING` and cross their
                      mean at least :data:`CROSSINGS` times (swings, not a trend).
weak discriminator    over the last 3 probes (medians): D(x) - D(G(z)) <= :data:`NO_MARGIN`
                      (D cannot tell real from fake) while the samples are far from the data
                      (distance delta >= :data:`FAR`) and not getting closer (delta fell by
                      less than :data:`PROGRESS` over the 3 probes).
===================== ========================================================================

Consecutive checks where a condition holds make one :class:`Diagnosis`, from its first step
to its last, with the evidence (the numbers at the latest check), the remedy and the tutorial
that explains it. ``status()`` is the short text for a progress bar, ``report()`` the text for
the end of a run, and :func:`minigan.viz.draw_doctor` the dashboard: the curves the doctor saw,
with the diagnosed intervals shaded.

The thresholds were calibrated on runs of the classroom preset on the 2D ring (seeds 0-2 of
healthy, collapsing, saturating, unbalanced and diverging configurations) and on a DCGAN of
digits; ``benchmarks/doctor_detection.py`` measures the detection rates on 10 seeds per
configuration (its table is in ``benchmarks/README.md``).
"""

from .checks import (
    CROSSINGS,
    DOMINANT,
    FAR,
    FEW_MODES,
    LOW_DIVERSITY,
    NO_MARGIN,
    PROGRESS,
    RECENT,
    SPAN,
    SWING,
    SWING_WINDOWS,
    UNEVEN_CLASSES,
    VANISHING,
)
from .probes import ImageProbe, MixtureProbe, SampleReference
from .report import CONDITIONS, Condition, Diagnosis
from .watch import Doctor

__all__ = [
    "Doctor",
    "SampleReference", "MixtureProbe", "ImageProbe",
    "Condition", "CONDITIONS", "Diagnosis",
    "RECENT", "DOMINANT", "VANISHING", "FAR", "LOW_DIVERSITY", "FEW_MODES", "UNEVEN_CLASSES",
    "SPAN", "SWING", "SWING_WINDOWS", "CROSSINGS", "NO_MARGIN", "PROGRESS",
]
