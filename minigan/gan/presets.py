"""Ready-made configurations for the 2D mixture experiments, and the collapse demo.

A :class:`Preset` fixes the players, the optimiser, the batch and the length of a run of
:func:`minigan.gan.experiment.run_mixture`; the *method* (the GAN variant) is chosen apart, so
that comparing methods changes one switch.

- ``"paper"``: the setting of PacGAN's 2D experiments (Lin et al., 2018, Section 5, and their
  released configuration): noise z ~ N(0, I_2); G with 4 hidden layers of 400 ReLU units and
  batch norm; D with 3 hidden layers of 200 maxout units of 5 pieces; weights N(0, 0.02^2),
  biases 0; Adam with learning rate 1e-4 and beta1 = 0.8 for both players; batches of 100.
  They trained for 400 epochs of 100,000 samples (400,000 steps): hours on a CPU, so pass
  ``steps=`` for a shorter look.
- ``"classroom"``: small players (two hidden layers of 64 units each, noise z ~ N(0, I_2),
  batches of 64) and 10,000 steps, under a minute on two CPU cores. G's learning rate is three
  times D's (Adam 5e-4 against 1.67e-4, betas (0.5, 0.999)): D cannot keep up, so G does
  better by moving *all* its samples to wherever D currently says "real" than by spreading
  them, D then learns to reject that spot, and G jumps to the next one. This mode hopping is
  the dynamics of mode collapse, made fast on purpose. Over the last 30% of the run both
  learning rates decay linearly towards 0, so that G settles where it is and the final
  metrics measure which modes it covers rather than how much it jitters around them.
- ``"published"``: each method as its own paper (or the paper's reference code) trains it on
  the 2D mixtures: its learning rates, Adam's betas, batch size and options (WGAN-GP's penalty
  weight 0.1, ...) come from the method's ``published`` settings, whose sources its docstring
  cites (:mod:`minigan.gan.methods`; a method without a 2D experiment gets the plain GAN's,
  PacGAN's). What the papers do not share is fixed once for all: G and D with 3 hidden layers
  of 128 ReLU units (the depth of WGAN-GP's toy players, a quarter of their width), noise
  z ~ N(0, I_2), PyTorch's default initialisation, constant learning rates, and 7,500 steps,
  so that a run takes minutes of one core: 20-35 CPU s for most methods, 2-3 minutes for
  WGAN and WGAN-GP, 12-13 for the unrolled GAN (batches of 512 through 5 unrolled steps of
  D's Adam; measured with other jobs on the machine). Pass the method: ``get_preset("published",
  method="wgan_gp")``, or ``run_mixture(method="wgan_gp", preset="published")``.

:data:`COLLAPSE_DEMO` and :data:`REMEDY_DEMO` are keyword arguments for ``run_mixture`` that
differ in one switch, the method; their docstrings give the measured seed counts, which a
slow test checks (``pytest -m slow tests/test_experiment.py``).
"""

from dataclasses import dataclass, fields, replace
from typing import Optional

from .._checks import check_choice
from .methods import make_method


@dataclass(frozen=True)
class Preset:
    """The players, the optimiser and the run length of a 2D mixture experiment.

    - ``noise_dim``: the dimension of z ~ N(0, I);
    - ``g_hidden``, ``g_activation``, ``g_batch_norm``: G's hidden widths, activation, and
      whether batch norm precedes each activation;
    - ``d_hidden``, ``d_activation``, ``d_pieces``: D's hidden widths, activation (a name, or
      ``"maxout"`` with ``d_pieces`` pieces per unit);
    - ``init_std``: weights drawn from N(0, init_std^2) and biases 0, or None for PyTorch's
      default initialisation;
    - ``g_lr``, ``d_lr``, ``betas``: Adam's learning rates for G and D, and its betas;
    - ``lr_decay``: the fraction of the run at its end over which both learning rates decay
      linearly towards 0 (0: constant), which lets G settle where it is;
    - ``batch_size``: samples per batch, real and fake alike;
    - ``steps``: generator updates in a run; ``eval_every``: steps between two evaluations of
      the mode metrics.
    """

    noise_dim: int
    g_hidden: tuple
    g_activation: str
    g_batch_norm: bool
    d_hidden: tuple
    d_activation: str
    d_pieces: int
    init_std: Optional[float]
    g_lr: float
    d_lr: float
    betas: tuple
    lr_decay: float
    batch_size: int
    steps: int
    eval_every: int


PRESETS = {
    "paper": Preset(noise_dim=2, g_hidden=(400,) * 4, g_activation="relu", g_batch_norm=True,
                    d_hidden=(200,) * 3, d_activation="maxout", d_pieces=5, init_std=0.02,
                    g_lr=1e-4, d_lr=1e-4, betas=(0.8, 0.999), lr_decay=0.0, batch_size=100,
                    steps=400_000, eval_every=1000),
    "classroom": Preset(noise_dim=2, g_hidden=(64, 64), g_activation="relu", g_batch_norm=False,
                        d_hidden=(64, 64), d_activation="leaky_relu", d_pieces=5,
                        init_std=None, g_lr=5e-4, d_lr=1.67e-4, betas=(0.5, 0.999), lr_decay=0.3,
                        batch_size=64, steps=10_000, eval_every=500),
    # The fields every method shares; g_lr, d_lr, betas and batch_size are the GAN's here and
    # each method's own under get_preset("published", method=...).
    "published": Preset(noise_dim=2, g_hidden=(128,) * 3, g_activation="relu",
                        g_batch_norm=False, d_hidden=(128,) * 3, d_activation="relu",
                        d_pieces=5, init_std=None, g_lr=1e-4, d_lr=1e-4, betas=(0.8, 0.999),
                        lr_decay=0.0, batch_size=100, steps=7_500, eval_every=500),
}
"""The presets by name."""


def get_preset(preset="classroom", method=None, **changes):
    """The :class:`Preset` named ``preset`` (or ``preset`` itself), with fields replaced by
    ``changes`` (e.g. ``get_preset("paper", steps=20_000)``). For ``"published"``, ``method``
    (a name or a Method; default the GAN) sets the fields its paper gives."""
    if isinstance(preset, str):
        preset = check_choice(preset, "preset", PRESETS)
        if preset == "published":
            changes = {**make_method(method or "gan").published["preset"], **changes}
        preset = PRESETS[preset]
    elif not isinstance(preset, Preset):
        raise TypeError(f"preset must be a name or a Preset, got {type(preset).__name__}")
    unknown = sorted(set(changes) - {f.name for f in fields(Preset)})
    if unknown:
        raise ValueError(f"get_preset: unknown field(s) {', '.join(unknown)}; a Preset has "
                         f"{', '.join(f.name for f in fields(Preset))}")
    return replace(preset, **changes)


def method_and_preset(method="gan", preset="classroom", **options):
    """The :class:`~minigan.gan.methods.Method` and the :class:`Preset` of a run of ``method``
    (a name or a Method) under ``preset`` (a name or a Preset), ``options`` for
    :func:`~minigan.gan.methods.make_method`. Under ``"published"`` the method's published
    options are its defaults (``options`` override them; a ready-made Method is taken as it
    is) and the preset is ``get_preset("published", method=...)``."""
    if isinstance(preset, str) and preset == "published":
        if isinstance(method, str):
            options = {**make_method(method).published["options"], **options}
        method = make_method(method, **options)
        return method, get_preset(preset, method=method)
    return make_method(method, **options), get_preset(preset)


COLLAPSE_DEMO = {"dataset": "ring", "method": "gan", "preset": "classroom"}
"""Mode collapse on demand: the non-saturating GAN on the 8-mode ring with the classroom
preset. Measured over seeds 0-9, modes captured at the end: 1, 2, 0, 0, 0, 0, 4, 0, 0, 1, so
at most 3 of 8 in 9 of 10 seeds (in the runs with 0, not one sample is within 3 standard
deviations of a centre); 16 s per run on one core."""

REMEDY_DEMO = {**COLLAPSE_DEMO, "method": "pacgan2"}
"""The same run with one switch changed: PacGAN with packs of 2. D now sees two samples at a
time, and two samples from the same mode are a giveaway; G spreads out and keeps every mode.
Measured over seeds 0-9: all 8 modes captured in 10 of 10 seeds, 24 s per run on one core.

The times are with NumPy's BLAS on one thread (``OPENBLAS_NUM_THREADS=1``): for matrices this
small, OpenBLAS's threads cost more than they save, several times more on a busy machine."""
