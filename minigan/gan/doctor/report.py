"""What the doctor says: the conditions it knows, its diagnoses, and its texts and files.

- :class:`Condition` and :data:`CONDITIONS`: each condition's name, its short text for the
  progress bar, its remedy and the tutorial that explains it;
- :class:`Diagnosis`: one condition over one stretch of training, with its evidence;
- :func:`status`, :func:`report`, :func:`save` and :func:`to_dict`: what a
  :class:`~minigan.gan.doctor.Doctor` says about a run (its methods of the same names call
  them): a short text for the progress bar, the end-of-run report, and both written to files.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path


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
        "use the non-saturating generator loss -log D(G(z)) (method 'gan'), whose gradient "
        "is largest exactly when D rejects G's samples; or slow D down "
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
"""The conditions by key, in the order of the table of :mod:`minigan.gan.doctor` (and of the
check functions of :mod:`minigan.gan.doctor.checks`)."""


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


def status(open_conditions):
    """A short text for a progress bar: ``"ok"``, or the short texts of ``open_conditions``
    (the keys of the conditions that hold now)."""
    return ", ".join(CONDITIONS[key].short for key in open_conditions) or "ok"


def report(doctor):
    """The end-of-run report of ``doctor``: what it watched, then every diagnosis (in the
    order of their first steps) with its steps, evidence, remedy and tutorial, or a clean bill
    of health."""
    if doctor.last_step is None:
        return "GAN doctor: no training step seen yet."
    watched = (f"{doctor.steps:,} steps up to step {doctor.last_step:,}, medians over windows "
               f"of {doctor.window} steps"
               + (f", probes every {doctor.probe_every} steps" if doctor.probe else
                  ", no probe (mode collapse and a weak D cannot be seen)"))
    if not doctor.diagnoses:
        return f"GAN doctor: nothing found ({watched})."
    lines = [f"GAN doctor: {len(doctor.diagnoses)} finding(s) ({watched})"]
    in_order = sorted(doctor.diagnoses, key=lambda d: d.first_step)
    lines += [f"{i}. {diagnosis}" for i, diagnosis in enumerate(in_order, 1)]
    return "\n".join(lines)


def to_dict(doctor):
    """Everything ``doctor`` kept, as plain Python (for json): the settings, g0, the
    diagnoses, the window medians and the probe values."""
    return {"window": doctor.window, "probe_every": doctor.probe_every, "g0": doctor.g0,
            "steps": doctor.steps, "last_step": doctor.last_step,
            "diagnoses": [asdict(d) for d in doctor.diagnoses],
            "windows": doctor.windows, "probes": doctor.probes}


def save(doctor, folder):
    """Write ``doctor.txt`` (:func:`report`) and ``doctor.json`` (:func:`to_dict`) into
    ``folder`` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, data = folder / "doctor.txt", folder / "doctor.json"
    text.write_text(report(doctor) + "\n", encoding="utf-8")
    data.write_text(json.dumps(to_dict(doctor), indent=1) + "\n", encoding="utf-8")
    return [text, data]
