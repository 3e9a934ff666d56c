"""The GAN doctor: it watches a run, names what goes wrong, shows the evidence and points to
the remedy.

    doctor = Doctor(probe=MixtureProbe(ring()))
    trainer.fit(10_000, doctor=doctor)   # the progress bar shows doctor=ok, or what it found
    print(doctor.report())

**What it watches.** Every step, the record the training loop keeps anyway
(:data:`~minigan.gan.trainer.MEASURES`: both losses, the mean D(x) and D(G(z)) of D's last
update, both players' gradient norms). Every ``window`` steps these are summarised by their
**medians** over the window: one odd batch moves a mean, never a median. Every
``probe_every`` steps a **probe** looks at G's samples of one fixed noise batch beside real
samples (:class:`MixtureProbe` for the 2D mixtures, :class:`ImageProbe` for images)::

    diversity  rho   = mpd(fake) / mpd(real),    mpd(x) = mean over pairs i != j of |x_i - x_j|
    distance   delta = (m_fake - m_real) / (mpd(real) - m_real)

where m_fake is the median distance from a generated sample to its nearest real sample and
m_real the same for a real sample (to its nearest *other* real sample). rho = 1: as varied as
the data; rho << 1: the samples are alike. delta = 0: as close to the data as the data are to
themselves; delta = 1: as far from the data as two random data points are from each other.
The mixture probe adds the mode metrics of :mod:`minigan.gan.metrics` (modes captured, the
share of high-quality samples); the image probe, given a judge classifier, the class histogram
(:func:`~minigan.gan.evaluation.class_coverage`).

**The conditions**, each a test on those medians (the thresholds, and what healthy and failing
runs measured, are documented at each constant):

===================== ========================================================================
condition             the test
===================== ========================================================================
divergence            a loss or gradient norm is NaN or infinite; or the median gradient norm
                      of a player over the last 10 steps exceeds :data:`EXPLODING` times g0,
                      D's first (nonzero) gradient norm; or the training loop's own test
                      (:func:`~minigan.gan.trainer.check_divergence`: losses grown by orders
                      of magnitude) stopped the run.
                      Stops training with a :class:`~minigan.gan.TrainingDivergedError` naming
                      the step (unless ``stop_on_divergence=False``).
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

import json
import math
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import backend
from ..random import Generator
from ..tensor import Tensor
from .evaluation import class_coverage, predict
from .metrics import EVAL_SAMPLES, mode_metrics
from .noise import generate, sample_noise
from .trainer import MEASURES, TrainingDivergedError

# -- the thresholds, each with what it was measured against ------------------------------------
EXPLODING = 1e3
"""Divergence: a player's median gradient norm over the last 10 steps, in units of g0, D's
gradient norm at the first step (taken at D's initial weights: the size of a gradient in this
model before training changed anything).

Measured on the classroom preset of the ring (seeds 0-4): healthy PacGAN runs stay below 8 g0
and the collapse demo below 14 g0; unbalanced but not diverging runs reach at most 340 g0 (G's
norm, when a non-saturating G faces a D trained 100 times faster, which makes D's slopes steep)
and 725 g0 when D is frozen (learning rate 1e-7) and G's samples run off to 25 times the data's
scale. With Adam at learning rate 1 for both players the median passes 1e3 g0 by step 10 in
5 of 5 seeds (their losses reach 1e5-6e6); at learning rate 0.3 the steps are erratic (single
steps at 5e3 g0, medians near 100 g0) and the median passes 1e3 g0 after 450-1,350 steps.
A DCGAN on 32 x 32 digits (25 epochs, the command's defaults) keeps both window medians within
0.3-1.5 g0."""

DOMINANT = 0.95
"""Vanishing gradient: D(x) >= 0.95 and D(G(z)) <= 0.05 (window medians): D is right with
probability 0.95 on both batches. Healthy PacGAN runs sit at D(x) = 0.50-0.56,
D(G(z)) = 0.44-0.50; a strong D facing the saturating loss reaches 0.999 / 0.001 within
50 steps, and so does a non-saturating G's D at first. A healthy DCGAN's D comes close in its
first epochs (0.94 / 0.06): dominance alone is no failure, hence the test on G's gradient."""

VANISHING = 1e-2
"""Vanishing gradient: G's window median gradient norm <= 0.01 g0. With the saturating loss
and a D that learns 1000 times faster than G, G's norm falls to 1e-4-1e-3 g0 within 100
steps; the non-saturating loss against the same D gives 30-200 g0, healthy PacGAN runs never
go below 0.08 g0, and a healthy DCGAN's G stays at 0.4-1.5 g0."""

LOW_DIVERSITY = 0.5
"""Mode collapse: diversity rho <= 0.5, G's samples on average half as far apart as the
data's. Healthy PacGAN runs on the ring measure 0.79-1.05 from step 500 on; the collapse
demo's single cluster 0.05-0.2 (seeds 0 and 2), its spread-out phases up to 0.9 (hence the
count of modes). A DCGAN on 32 x 32 digits rises from 0.27 (epoch 1, still far from the data)
to 0.95 (epoch 25); one digit repeated with pixel noise of 0.1 measures 0.14. In pixel space a
collapse onto one *class* keeps much of the variety (the real digits of one class measure
0.63-0.94): seeing it takes a judge's class histogram."""

FEW_MODES = 0.25
"""Mode collapse on a mixture: at most a quarter of the modes captured (2 of 8 on the ring,
6 of 25 on the grid). The collapse demo captures 0-2 of 8 modes at every probe; healthy
PacGAN runs 5-8 after their first 1,000 steps (a single probe may read 0-2 early on, which the
median over 3 probes absorbs)."""

UNEVEN_CLASSES = math.log(2)
"""Mode collapse on images with a judge: KL(class histogram || uniform) >= log 2, the value
of an even spread over half the classes (KL = log(K / m) for m of K classes)."""

SWING = 0.1
"""Oscillation: the standard deviation of the window medians of D(x) or D(G(z)) over the last
:data:`SWING_WINDOWS` windows. Healthy PacGAN runs: below 0.003; the collapse demo: below
0.03; a run whose players chase each other swings by 0.2-0.5."""

SWING_WINDOWS = 10
"""Oscillation: how many windows (1,000 steps with the default window) one test looks at."""

CROSSINGS = 4
"""Oscillation: the window medians cross their mean at least 4 times over the
:data:`SWING_WINDOWS` windows, two full periods: a trend (D learning) crosses it once."""

NO_MARGIN = 0.05
"""Weak discriminator: D(x) - D(G(z)) <= 0.05, D hardly tells real from fake (or is fooled,
when the difference is negative). Healthy PacGAN runs also sit here (0.002-0.01): that alone
is not a failure while G keeps getting closer to the data. A healthy DCGAN's D keeps a margin
of 0.5-0.9."""

FAR = 0.5
"""Near or far from the data: distance delta < 0.5 is near, closer to the data than halfway
to a random data point. Mode collapse is judged only near the data (far away, alike samples
mean that G has not learned yet, not that it collapsed), a weak D only far from it.
Measured: healthy PacGAN runs on the ring start at 0.27-0.41 (step 500, samples spread over
the disc inside the ring) and fall steadily to 0; the collapse demo's cluster stays at
0.04-0.37; a DCGAN on 32 x 32 digits starts at 1.2 (epoch 1) and falls below 0.5 by epoch 4
(0.07-0.3 from then on); the blob of a G whose gradient vanished sits at 0.7; a G whose D is
frozen runs off to 10 and more."""

PROGRESS = 0.25
"""Weak discriminator: G is not getting closer when delta fell by less than a quarter over the
last 3 probes. Healthy PacGAN runs, while still far, fall by 44-49% over 3 probes (1,000
steps); a G facing a frozen D moves away (negative progress)."""

SPAN = 3
"""Probe-based conditions use the median of the last 3 probes."""

RECENT = 10
"""Divergence uses the median of the last 10 steps: one spike does not stop a run."""


@dataclass(frozen=True)
class Condition:
    """A condition the doctor knows: its ``name``, the ``short`` text of the progress bar, the
    ``remedy`` and the ``tutorial`` that explains it."""

    name: str
    short: str
    remedy: str
    tutorial: str


CONDITIONS = {
    "divergence": Condition(
        "divergence", "DIVERGED",
        "lower the learning rates (Adam's 1e-4 to 5e-4 is the usual range) and restart from a "
        "checkpoint saved before the blow-up; a D with bounded slopes (method 'sngan' or "
        "'wgan_gp') also keeps the gradients in check",
        "tutorials/13_diagnosing_training.py"),
    "vanishing_gradient": Condition(
        "discriminator dominates: vanishing generator gradient", "vanishing G gradient",
        "use the non-saturating generator loss -log D(G(z)) (loss='non_saturating', method "
        "'gan'), whose gradient is largest exactly when D rejects G's samples; or slow D down "
        "(a lower learning rate, fewer D steps per G step)",
        "tutorials/04_the_minimax_value.py and tutorials/06_a_first_gan_in_1d.py"),
    "mode_collapse": Condition(
        "mode collapse", "mode collapse",
        "let D see several samples at once (method 'pacgan2' or 'minibatch_std'), or try "
        "'unrolled' or 'wgan_gp'; lowering G's learning rate relative to D's also helps",
        "tutorials/07_mode_collapse.py and tutorials/08_remedies_side_by_side.py"),
    "oscillation": Condition(
        "oscillation", "oscillating",
        "lower the learning rates (the faster player's first), keep Adam's beta1 at 0.5 or "
        "below, or decay the rates towards the end of the run",
        "tutorials/13_diagnosing_training.py"),
    "weak_discriminator": Condition(
        "discriminator too weak to teach", "weak D",
        "give D more capacity, a higher learning rate or more steps per G step (k): G can only "
        "learn what D can tell apart",
        "tutorials/05_optimal_discriminator.py"),
}
"""The conditions by key, in the order of the module docstring's table."""


@dataclass
class Diagnosis:
    """One condition over one stretch of training: ``condition`` (a key of
    :data:`CONDITIONS`), the steps ``first_step`` to ``last_step`` where it held, the
    ``evidence`` (the numbers at its latest check), the ``remedy`` and the ``tutorial``."""

    condition: str
    first_step: int
    last_step: int
    evidence: str
    remedy: str
    tutorial: str

    @property
    def name(self):
        """The condition's name, e.g. ``"mode collapse"``."""
        return CONDITIONS[self.condition].name

    def __str__(self):
        steps = (f"step {self.first_step:,}" if self.first_step == self.last_step
                 else f"steps {self.first_step:,}-{self.last_step:,}")
        return (f"{self.name}, {steps}\n  evidence: {self.evidence}\n  remedy: {self.remedy}"
                f"\n  read: {self.tutorial}")


# -- the probe's statistics -------------------------------------------------------------------
def _flat(samples, caller):
    """Samples (a Tensor or an array, N >= 2, any shape per sample) as float64 (N, features)."""
    if isinstance(samples, Tensor):
        samples = samples.detach().data
    x = np.asarray(backend.as_numpy(samples) if backend.is_array(samples) else samples,
                   dtype=np.float64)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"{caller}: samples must have shape (N, ...) with N >= 2, got shape "
                         f"{x.shape}")
    return x.reshape(len(x), -1)


def _distances(a, b):
    """|a_i - b_j| for float64 rows a (N, F) and b (M, F): (N, M), from |a|^2 - 2 a.b + |b|^2."""
    squared = (a * a).sum(axis=1)[:, None] - 2 * a @ b.T + (b * b).sum(axis=1)
    return np.sqrt(np.maximum(squared, 0.0))


class SampleReference:
    """The real samples a probe compares G's with, and their two statistics: ``mpd``, the
    mean distance between two of them, and ``nearest``, the median distance from one to its
    nearest other one (see the module docstring). ``real``: (N, ...), N >= 2."""

    def __init__(self, real):
        self.real = _flat(real, "SampleReference")
        between = _distances(self.real, self.real)
        n = len(self.real)
        self.mpd = float(between.sum() / (n * (n - 1)))  # the diagonal is 0
        np.fill_diagonal(between, np.inf)
        self.nearest = float(np.median(between.min(axis=1)))
        if not self.mpd > self.nearest:
            raise ValueError("SampleReference: the real samples are all alike (their mean "
                             "distance is not above their nearest-neighbour distance)")

    def compare(self, fake):
        """``{"diversity": rho, "distance": delta}`` of the samples ``fake`` (N, ...)."""
        fake = _flat(fake, "SampleReference.compare")
        if fake.shape[1] != self.real.shape[1]:
            raise ValueError(f"SampleReference.compare: samples have {fake.shape[1]} features "
                             f"each, the real ones {self.real.shape[1]}")
        n = len(fake)
        diversity = _distances(fake, fake).sum() / (n * (n - 1)) / self.mpd
        nearest = np.median(_distances(fake, self.real).min(axis=1))
        distance = (nearest - self.nearest) / (self.mpd - self.nearest)
        return {"diversity": float(diversity), "distance": float(distance)}


class MixtureProbe:
    """What G's samples look like next to a :class:`~minigan.data.GaussianMixture`.

    ``n`` samples of G from one fixed noise batch (drawn from ``seed`` at the first call, in
    G's ``noise_dim``, device and dtype), compared with ``n`` samples of the mixture drawn once
    from ``seed``: the diversity and distance of the module docstring, and the mode metrics
    (:func:`~minigan.gan.metrics.mode_metrics`: modes captured, high quality)."""

    def __init__(self, mixture, n=EVAL_SAMPLES, seed=0):
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ValueError(f"MixtureProbe: n must be an int >= 2, got {n!r}")
        self.mixture, self.n, self.seed = mixture, n, seed
        self.reference = SampleReference(mixture.sample(n, generator=Generator(seed)))
        self.noise = None

    def __call__(self, G):
        if self.noise is None:
            if not hasattr(G, "noise_dim"):
                raise TypeError(f"MixtureProbe: G must have a noise_dim attribute (as "
                                f"MLPGenerator has), got {type(G).__name__}")
            param = next(iter(G.parameters()))
            self.noise = sample_noise(self.n, G.noise_dim, "normal", Generator(self.seed + 1),
                                      param.device, param.dtype)
        fake = generate(G, self.noise)
        metrics = mode_metrics(fake, self.mixture)
        return {**self.reference.compare(fake), "modes_captured": metrics.modes_captured,
                "num_modes": metrics.num_modes, "high_quality": metrics.high_quality}


class ImageProbe:
    """What G's images look like next to real ones.

    ``real``: real images (N, C, H, W) in G's range, N >= 2 (a few hundred: the statistics
    cost N^2 distances); ``noise``: the fixed batch z that G draws from at every probe (with
    ``labels`` for a conditional G); ``classifier``: an optional judge (such as
    :class:`~minigan.gan.evaluation.DigitClassifier`) whose class histogram of G's images is
    added: the classes present and the KL divergence to uniform."""

    def __init__(self, real, noise, classifier=None, labels=None):
        self.reference = SampleReference(real)
        if len(noise) < 2:
            raise ValueError(f"ImageProbe: noise must hold at least 2 draws, got {len(noise)}")
        self.noise, self.classifier, self.labels = noise, classifier, labels

    def __call__(self, G):
        fake = generate(G, self.noise, self.labels)
        values = self.reference.compare(fake)
        if self.classifier is not None:
            coverage = class_coverage(predict(self.classifier, fake))
            values.update(classes_present=coverage["classes_present"],
                          class_kl=coverage["kl_to_uniform"])
        return values


# -- the doctor -------------------------------------------------------------------------------
def _count(caller, name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{caller}: {name} must be an int >= 1, got {value!r}")
    return value


def _crossings(values):
    """How many times ``values`` cross their mean."""
    above = np.asarray(values) > np.mean(values)
    return int((above[1:] != above[:-1]).sum())


class Doctor:
    """Watches a GAN's training (see the module docstring).

    - ``probe``: a function G -> dict of sample statistics (:class:`MixtureProbe`,
      :class:`ImageProbe`), called every ``probe_every`` steps; without one, mode collapse
      and a weak discriminator cannot be seen;
    - ``window``: steps per window of medians;
    - ``stop_on_divergence``: raise :class:`~minigan.gan.TrainingDivergedError` when the run
      diverges (the diagnosis is recorded first).

    Feed it with :meth:`update` after every step (``Trainer.fit(doctor=...)`` does). Its
    ``windows`` (the medians of each window) and ``probes`` (the probe's values, with D's
    margin D(x) - D(G(z)) at that step) are dicts of lists by name, with a ``"step"`` list;
    ``diagnoses`` lists what it found, in the order found.
    """

    def __init__(self, probe=None, probe_every=500, window=100, stop_on_divergence=True):
        if probe is not None and not callable(probe):
            raise TypeError(f"Doctor: probe must be a function G -> dict (such as a "
                            f"MixtureProbe), got {type(probe).__name__}")
        self.probe = probe
        self.probe_every = _count("Doctor", "probe_every", probe_every)
        self.window = _count("Doctor", "window", window)
        self.stop_on_divergence = bool(stop_on_divergence)
        self.g0 = None  # the gradient scale: D's first nonzero gradient norm
        self.steps = 0  # records seen
        self.last_step = None
        self.windows = {"step": [], **{m: [] for m in MEASURES}}
        self.probes = {"step": []}
        self.diagnoses = []
        self._recent = deque(maxlen=max(window, RECENT))  # the last records
        self._open = {}  # condition -> its Diagnosis, while its latest check holds

    # -- feeding it ---------------------------------------------------------------------------
    def update(self, step, record, G=None):
        """Take in the ``record`` of training step ``step`` (a dict with every name of
        :data:`~minigan.gan.trainer.MEASURES`); with ``G``, run the probe when ``step`` is a
        multiple of ``probe_every``. Raises TrainingDivergedError on divergence when
        ``stop_on_divergence``."""
        missing = [m for m in MEASURES if m not in record]
        if missing:
            raise ValueError(f"Doctor.update: the record lacks {', '.join(missing)}; it needs "
                             f"{', '.join(MEASURES)}")
        values = {m: float(record[m]) for m in MEASURES}
        if self.g0 is None and 0 < values["d_grad_norm"] < math.inf:
            self.g0 = values["d_grad_norm"]  # D's first gradient: at its initial weights
        self.steps += 1
        self.last_step = step
        self._recent.append(values)
        if self.steps % self.window == 0:
            self._summarise(step)
        self._check_divergence(step, values)
        if G is not None and self.probe is not None and step % self.probe_every == 0:
            self._examine(step, G)

    def _medians(self, last):
        """The median of each measure over the ``last`` records (or as many as there are)."""
        rows = list(self._recent)[-last:]
        return {m: float(np.median([r[m] for r in rows])) for m in MEASURES}

    def _record(self, key, first_step, step, holds, evidence=""):
        """The bookkeeping of one check: extend the open diagnosis of ``key``, or open one
        that starts at ``first_step``; close it when the check fails."""
        if not holds:
            self._open.pop(key, None)
            return
        diagnosis = self._open.get(key)
        if diagnosis is None:
            earlier = [d for d in self.diagnoses if d.condition == key]
            if earlier and earlier[-1].last_step >= first_step - 1:
                diagnosis = earlier[-1]  # this check's stretch touches the last one: go on
            else:
                condition = CONDITIONS[key]
                diagnosis = Diagnosis(key, first_step, step, evidence, condition.remedy,
                                      condition.tutorial)
                self.diagnoses.append(diagnosis)
            self._open[key] = diagnosis
        diagnosis.last_step, diagnosis.evidence = step, evidence

    # -- the checks -----------------------------------------------------------------------------
    def _check_divergence(self, step, values):
        bad = [m for m, v in values.items() if not math.isfinite(v)]
        if bad:
            evidence = f"{' and '.join(bad)} became {values[bad[0]]} at step {step:,}"
        else:
            if self.g0 is None or len(self._recent) < RECENT:
                return
            recent = self._medians(RECENT)
            norms = {p: recent[f"{p}_grad_norm"] / self.g0 for p in ("d", "g")}
            player = max(norms, key=norms.get)
            if norms[player] < EXPLODING:
                return
            evidence = (f"{player.upper()}'s gradient norm {recent[f'{player}_grad_norm']:.3g} "
                        f"(median of the last {RECENT} steps) is {norms[player]:.3g} times "
                        f"g0 = {self.g0:.3g}, D's first (threshold {EXPLODING:g}); losses "
                        f"D {values['d_loss']:.3g}, G {values['g_loss']:.3g}")
        self._record("divergence", step, step, True, evidence)
        if self.stop_on_divergence:
            raise TrainingDivergedError(
                f"the GAN doctor stopped training at step {step:,}: divergence: {evidence}. "
                f"Remedy: {CONDITIONS['divergence'].remedy}.")

    def diverged(self, step, evidence):
        """Record a divergence that the training loop found at ``step`` (its own test, e.g.
        losses grown by orders of magnitude: :func:`~minigan.gan.trainer.check_divergence`),
        so that the report names it; the loop stops the run."""
        self._record("divergence", step, step, True, evidence)

    def _summarise(self, step):
        medians = self._medians(self.window)
        self.windows["step"].append(step)
        for m in MEASURES:
            self.windows[m].append(medians[m])
        first = step - self.window + 1
        d_real, d_fake, g_norm = medians["d_real"], medians["d_fake"], medians["g_grad_norm"]
        g0 = self.g0 or math.nan  # no test against a scale not yet known
        vanishing = d_real >= DOMINANT and d_fake <= 1 - DOMINANT and g_norm <= VANISHING * g0
        self._record("vanishing_gradient", first, step, vanishing,
                     f"D(x) {d_real:.3f} and D(G(z)) {d_fake:.3g} (thresholds {DOMINANT} and "
                     f"{1 - DOMINANT:.2f}); G's gradient norm {g_norm:.3g} = "
                     f"{g_norm / g0:.2g} g0, g0 = {g0:.3g} being D's first (threshold "
                     f"{VANISHING:g} g0); medians of steps {first:,}-{step:,}")
        self._check_oscillation(step)

    def _check_oscillation(self, step):
        if len(self.windows["step"]) < SWING_WINDOWS:
            return
        first = self.windows["step"][-SWING_WINDOWS] - self.window + 1
        swings = {}
        for name, label in (("d_real", "D(x)"), ("d_fake", "D(G(z))")):
            values = self.windows[name][-SWING_WINDOWS:]
            swings[label] = (float(np.std(values)), _crossings(values), min(values), max(values))
        label = max(swings, key=lambda k: swings[k][0])
        std, crossings, low, high = swings[label]
        self._record("oscillation", first, step, std >= SWING and crossings >= CROSSINGS,
                     f"{label} swings between {low:.2f} and {high:.2f} (std {std:.2f} of the "
                     f"window medians, threshold {SWING}) and crosses its mean {crossings} "
                     f"times (threshold {CROSSINGS}) in steps {first:,}-{step:,}")

    def _examine(self, step, G):
        values = dict(self.probe(G))
        missing = [name for name in ("diversity", "distance") if name not in values]
        if missing:
            raise ValueError(f"Doctor: the probe's dict lacks {', '.join(missing)} (see "
                             f"SampleReference.compare)")
        medians = self._medians(self.window)
        values["d_margin"] = medians["d_real"] - medians["d_fake"]
        if len(self.probes) == 1:  # the first probe fixes the names
            self.probes.update({name: [] for name in values})
        elif set(values) != set(self.probes) - {"step"}:
            raise ValueError(f"Doctor: the probe returned {sorted(values)} this time, "
                             f"{sorted(set(self.probes) - {'step'})} before")
        self.probes["step"].append(step)
        for name, value in values.items():
            self.probes[name].append(float(value))
        if len(self.probes["step"]) < SPAN:
            return
        first = self.probes["step"][-SPAN]
        last = {name: float(np.median(self.probes[name][-SPAN:]))
                for name in self.probes if name != "step"}
        self._check_collapse(first, step, last)
        self._check_weak_discriminator(first, step, last)

    def _check_collapse(self, first, step, last):
        diversity, distance = last["diversity"], last["distance"]
        alike = diversity <= LOW_DIVERSITY
        evidence = [f"samples near the data (distance {distance:.2f} < {FAR}): diversity "
                    f"{diversity:.2f} of the data's (threshold {LOW_DIVERSITY})"]
        if "modes_captured" in last:
            modes, total = last["modes_captured"], last["num_modes"]
            alike = alike or modes <= FEW_MODES * total
            evidence.append(f"{modes:g} of {total:g} modes captured (threshold "
                            f"{math.floor(FEW_MODES * total)}), "
                            f"{100 * last['high_quality']:.1f}% high quality")
        if "class_kl" in last:
            alike = alike or last["class_kl"] >= UNEVEN_CLASSES
            evidence.append(f"{last['classes_present']:g} classes present, KL of the class "
                            f"histogram to uniform {last['class_kl']:.2f} (threshold "
                            f"{UNEVEN_CLASSES:.2f})")
        self._record("mode_collapse", first, step, distance < FAR and alike,
                     "; ".join(evidence) + f"; medians of the probes at steps "
                     f"{first:,}-{step:,}")

    def _check_weak_discriminator(self, first, step, last):
        margin, distance = last["d_margin"], last["distance"]
        start, end = self.probes["distance"][-SPAN], self.probes["distance"][-1]
        progress = (start - end) / start if start > 0 else 0.0
        self._record("weak_discriminator", first, step,
                     margin <= NO_MARGIN and distance >= FAR and progress < PROGRESS,
                     f"D(x) - D(G(z)) is {margin:.3f} (threshold {NO_MARGIN}) while the "
                     f"samples are far from the data (distance {distance:.2f} >= {FAR}; 0: "
                     f"as close as real samples, 1: as far as two random ones) and not "
                     f"getting closer (from {start:.2f} to {end:.2f} over the probes at steps "
                     f"{first:,}-{step:,}, less than the {100 * PROGRESS:.0f}% drop of a G "
                     f"that is learning); medians of those probes")

    # -- what it says -------------------------------------------------------------------------
    def status(self):
        """A short text for a progress bar: ``"ok"``, or the conditions that hold now."""
        return ", ".join(CONDITIONS[key].short for key in self._open) or "ok"

    def report(self):
        """The end-of-run report: every diagnosis with its steps, evidence, remedy and
        tutorial, or a clean bill of health."""
        if self.last_step is None:
            return "GAN doctor: no training step seen yet."
        watched = (f"{self.steps:,} steps up to step {self.last_step:,}, medians over windows "
                   f"of {self.window} steps"
                   + (f", probes every {self.probe_every} steps" if self.probe else
                      ", no probe (mode collapse and a weak D cannot be seen)"))
        if not self.diagnoses:
            return f"GAN doctor: nothing found ({watched})."
        lines = [f"GAN doctor: {len(self.diagnoses)} finding(s) ({watched})"]
        in_order = sorted(self.diagnoses, key=lambda d: d.first_step)
        lines += [f"{i}. {diagnosis}" for i, diagnosis in enumerate(in_order, 1)]
        return "\n".join(lines)

    def found(self, condition):
        """Whether ``condition`` (a key of :data:`CONDITIONS`) was diagnosed at some point."""
        if condition not in CONDITIONS:
            raise ValueError(f"Doctor.found: unknown condition {condition!r}; the conditions "
                             f"are {', '.join(map(repr, CONDITIONS))}")
        return any(d.condition == condition for d in self.diagnoses)

    def save(self, folder):
        """Write ``doctor.txt`` (the report) and ``doctor.json`` (:meth:`to_dict`) into
        ``folder``; returns their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        text, data = folder / "doctor.txt", folder / "doctor.json"
        text.write_text(self.report() + "\n", encoding="utf-8")
        data.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return [text, data]

    def to_dict(self):
        """Everything as plain Python (for json): the settings, g0, the diagnoses, the window
        medians and the probe values."""
        return {"window": self.window, "probe_every": self.probe_every, "g0": self.g0,
                "steps": self.steps, "last_step": self.last_step,
                "diagnoses": [asdict(d) for d in self.diagnoses],
                "windows": self.windows, "probes": self.probes}
