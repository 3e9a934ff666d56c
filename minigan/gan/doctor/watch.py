"""The :class:`Doctor` itself: it collects the evidence of a run and feeds it to the checks.

Every step it takes the training loop's record; every ``window`` steps it summarises the
window by its medians; every ``probe_every`` steps it runs its probe on G. After each of
these it hands the fresh evidence to the checks of :mod:`~minigan.gan.doctor.checks` that read
it, and keeps the books: a check that holds opens a :class:`~minigan.gan.doctor.Diagnosis`,
or extends the open one; a check that fails closes it. What the doctor says (status, report,
files) is :mod:`~minigan.gan.doctor.report`.
"""

import math
from collections import deque

import numpy as np

from ..._checks import check_positive_int
from ..trainer import MEASURES, TrainingDivergedError
from . import checks, report
from .checks import RECENT, SPAN, SWING_WINDOWS
from .report import CONDITIONS, Diagnosis


class Doctor:
    """Watches a GAN's training (see :mod:`minigan.gan.doctor`).

    - ``probe``: a function G -> dict of sample statistics (:class:`MixtureProbe`,
      :class:`ImageProbe`), called every ``probe_every`` steps; without one, mode collapse
      and a weak discriminator cannot be seen;
    - ``window``: steps per window of medians;
    - ``stop_on_divergence``: raise :class:`~minigan.gan.TrainingDivergedError` when the run
      diverges (the diagnosis is recorded first).

    Feed it with :meth:`update` after every step (``Trainer.fit(doctor=...)`` does). Its
    ``windows`` (the medians of each window) and ``probes`` (the probe's values, with D's
    margin D(x) - D(G(z)) at that step) are dicts of lists by name, with a ``"step"`` list;
    ``diagnoses`` lists what it found, in the order found. Its scales: ``g0``, D's first
    nonzero gradient norm (for the gradients), and ``first``, the first record it saw with
    its ``"step"`` (for the losses' growth).
    """

    def __init__(self, probe=None, probe_every=500, window=100, stop_on_divergence=True):
        if probe is not None and not callable(probe):
            raise TypeError(f"Doctor: probe must be a function G -> dict (such as a "
                            f"MixtureProbe), got {type(probe).__name__}")
        self.probe = probe
        self.probe_every = check_positive_int(probe_every, "probe_every", "Doctor")
        self.window = check_positive_int(window, "window", "Doctor")
        self.stop_on_divergence = bool(stop_on_divergence)
        self.g0 = None  # the gradient scale: D's first nonzero gradient norm
        self.first = None  # the first record seen, with its "step": the losses' scale
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
        self._take(step, record)
        self._watch_divergence(step)
        if G is not None and self.probe is not None and step % self.probe_every == 0:
            self._examine(step, G)

    def diverged(self, step, evidence, record=None):
        """Record a divergence that the training loop found at ``step`` (its own check,
        :func:`~minigan.gan.divergence.check_divergence`, which runs before the doctor's),
        so that the report names it; the loop stops the run. With the step's ``record``, take
        it in first, as :meth:`update` does (without the doctor's own checks of divergence),
        so that the dashboard shows the step that diverged."""
        if record is not None:
            self._take(step, record)
        self._record("divergence", step, step, evidence)

    def _take(self, step, record):
        """Keep ``record`` (see :meth:`update`), and at the end of a window summarise it."""
        missing = [m for m in MEASURES if m not in record]
        if missing:
            raise ValueError(f"Doctor.update: the record lacks {', '.join(missing)}; it needs "
                             f"{', '.join(MEASURES)}")
        values = {m: float(record[m]) for m in MEASURES}
        if self.first is None:
            self.first = {"step": step, **values}
        if self.g0 is None and 0 < values["d_grad_norm"] < math.inf:
            self.g0 = values["d_grad_norm"]  # D's first gradient: at its initial weights
        self.steps += 1
        self.last_step = step
        self._recent.append(values)
        if self.steps % self.window == 0:
            self._summarise(step)

    def _medians(self, last):
        """The median of each measure over the ``last`` records (or as many as there are)."""
        rows = list(self._recent)[-last:]
        return {m: float(np.median([r[m] for r in rows])) for m in MEASURES}

    def _record(self, key, first_step, step, evidence):
        """The bookkeeping of one check of ``key`` over steps ``first_step``-``step``: with
        ``evidence`` (the check holds), extend the open diagnosis of ``key``, or open one;
        with ``None``, close it."""
        if evidence is None:
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

    # -- feeding the checks ---------------------------------------------------------------------
    def _watch_divergence(self, step):
        # Every step: a divergence is not closed by later calm steps (the run is spoiled).
        evidence = checks.divergence(list(self._recent)[-RECENT:], self.first, step)
        if evidence is None:
            return
        self._record("divergence", step, step, evidence)
        if self.stop_on_divergence:
            raise TrainingDivergedError(
                f"the GAN doctor stopped training at step {step:,}: divergence: {evidence}. "
                f"Remedy: {CONDITIONS['divergence'].remedy}.")

    def _summarise(self, step):
        """At the end of a window: keep its medians, and check them."""
        medians = self._medians(self.window)
        self.windows["step"].append(step)
        for m in MEASURES:
            self.windows[m].append(medians[m])
        first = step - self.window + 1
        self._record("vanishing_gradient", first, step,
                     checks.vanishing_gradient(medians, self.g0, first, step))
        if len(self.windows["step"]) >= SWING_WINDOWS:
            first = self.windows["step"][-SWING_WINDOWS] - self.window + 1
            d_real, d_fake = (self.windows[m][-SWING_WINDOWS:] for m in ("d_real", "d_fake"))
            self._record("oscillation", first, step,
                         checks.oscillation(d_real, d_fake, first, step))

    def _examine(self, step, G):
        """A probe: keep its values, with D's margin over the last window, and check the last
        :data:`~minigan.gan.doctor.checks.SPAN` probes."""
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
        last = {name: series[-SPAN:] for name, series in self.probes.items() if name != "step"}
        self._record("mode_collapse", first, step, checks.mode_collapse(last, first, step))
        self._record("weak_discriminator", first, step,
                     checks.weak_discriminator(last, first, step))

    # -- what it says (minigan.gan.doctor.report) -----------------------------------------------
    def status(self):
        """A short text for a progress bar: ``"ok"``, or the conditions that hold now."""
        return report.status(self._open)

    def report(self):
        """The end-of-run report: every diagnosis with its steps, evidence, remedy and
        tutorial, or a clean bill of health."""
        return report.report(self)

    def found(self, condition):
        """Whether ``condition`` (a key of :data:`CONDITIONS`) was diagnosed at some point."""
        if condition not in CONDITIONS:
            raise ValueError(f"Doctor.found: unknown condition {condition!r}; the conditions "
                             f"are {', '.join(map(repr, CONDITIONS))}")
        return any(d.condition == condition for d in self.diagnoses)

    def save(self, folder):
        """Write ``doctor.txt`` (the report) and ``doctor.json`` (:meth:`to_dict`) into
        ``folder``; returns their paths."""
        return report.save(self, folder)

    def to_dict(self):
        """Everything as plain Python (for json): the settings, g0, the diagnoses, the window
        medians and the probe values."""
        return report.to_dict(self)
