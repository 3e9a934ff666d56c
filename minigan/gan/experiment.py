"""One call runs a GAN on a 2D Gaussian mixture and says how many modes it found.

    result = run_mixture("ring", method="pacgan2", seed=3)
    print(result.metrics)  # e.g. 8/8 modes, 72.4% high quality, reverse KL 0.004 (2500 samples)

:func:`run_mixture` builds the players from a :mod:`preset <minigan.gan.presets>` and the
discriminator options of the :mod:`method <minigan.gan.methods>`, trains them with a
:class:`~minigan.gan.Trainer` (with the preset's learning-rate decay at the end), and
evaluates the mode metrics (:mod:`minigan.gan.metrics`) before training and every
``eval_every`` steps, always on the same 2,500 noise vectors, so that the curves follow one
generator as it moves. Everything random comes from ``seed``: three independent streams are
derived from it (the weights, the training batches, the evaluation noise), and the same seed
gives the same numbers on the CPU (with the same number of BLAS threads, which changes the
order of the sums in matrix products).

A run can be saved every few steps and continued after an interruption (``checkpoint=``,
``resume=True``) to the same numbers as an uninterrupted run.
"""

import os
import time
from dataclasses import dataclass

import numpy as np

from .. import nn, optim
from .._checks import check_positive_int
from ..data import GaussianMixture, grid, ring
from ..random import Generator
from .metrics import EVAL_SAMPLES, ModeMetrics, evaluate
from .models import MLPDiscriminator, MLPGenerator
from .presets import method_and_preset
from .trainer import Trainer

DATASETS = {"ring": ring, "grid": grid}
"""The named mixtures, with their default parameters: 8 modes on the unit circle (std 0.01),
25 on a 5 x 5 grid of spacing 2 (std 0.05), PacGAN's 2D-ring and 2D-grid."""

CURVES = ("step", "modes_captured", "high_quality", "reverse_kl")
"""What ``MixtureResult.curves`` records at each evaluation."""


@dataclass
class MixtureResult:
    """What :func:`run_mixture` returns.

    ``G``, ``D``: the trained players; ``trainer``: the :class:`~minigan.gan.Trainer` (its
    ``history`` has the losses of every step); ``curves``: the mode metrics at each evaluation,
    lists keyed by :data:`CURVES`; ``metrics``: the final :class:`ModeMetrics`; ``mixture``,
    ``method``, ``preset``, ``seed``: what was run; ``seconds``: the wall-clock time of the run.
    """

    G: MLPGenerator
    D: MLPDiscriminator
    trainer: Trainer
    curves: dict
    metrics: ModeMetrics
    mixture: GaussianMixture
    method: object
    preset: object
    seed: int
    seconds: float

    @property
    def history(self):
        """The trainer's per-step history (losses, D's outputs, gradient norms)."""
        return self.trainer.history


def mixture_dataset(dataset):
    """``"ring"``, ``"grid"`` or a :class:`~minigan.data.GaussianMixture` as a mixture."""
    if isinstance(dataset, GaussianMixture):
        return dataset
    if isinstance(dataset, str) and dataset in DATASETS:
        return DATASETS[dataset]()
    raise ValueError(f"unknown dataset {dataset!r}; expected one of "
                     f"{', '.join(map(repr, DATASETS))} or a GaussianMixture")


def _normal_init(model, std, generator):
    """Weights of Linear and Maxout layers ~ N(0, std^2), their biases 0 (PacGAN's init)."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Maxout)):
            nn.init.normal_(module.weight, 0.0, std, generator)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def _lr_factor(step, steps, decay):
    """The learning rates' multiplier at ``step`` (1-based) of ``steps``: 1, then over the
    last ``decay`` fraction of the run a linear ramp down to 1 / (its length + 1)."""
    ramp = round(decay * steps)
    return min(1.0, (steps - step + 1) / (ramp + 1))


def _set_learning_rates(trainer, preset, factor):
    for opt, lr in ((trainer.opt_G, preset.g_lr), (trainer.opt_D, preset.d_lr)):
        for group in opt.param_groups:
            group["lr"] = lr * factor


def build_players(preset, method, dim, generator):
    """G and D for data of dimension ``dim`` as ``preset`` describes them, D with the
    method's discriminator options; weights drawn from ``generator``."""
    G = MLPGenerator(preset.noise_dim, dim, hidden=preset.g_hidden,
                     activation=preset.g_activation, batch_norm=preset.g_batch_norm,
                     generator=generator)
    D = MLPDiscriminator(dim, hidden=preset.d_hidden, activation=preset.d_activation,
                         pieces=preset.d_pieces, generator=generator,
                         **method.discriminator_options)
    if preset.init_std is not None:
        _normal_init(G, preset.init_std, generator)
        _normal_init(D, preset.init_std, generator)
    return G, D


class _Curves:
    """The mode metrics at each evaluation (lists keyed by :data:`CURVES`) and the settings of
    the run, kept with its checkpoints: a resumed run goes on with them."""

    def __init__(self, settings):
        self.settings = settings
        self.curves = {name: [] for name in CURVES}

    def state_dict(self):
        return {"settings": self.settings, "curves": self.curves}

    def load_state_dict(self, state):
        differ = [f"{key} {value!r} there, {self.settings.get(key)!r} here"
                  for key, value in state["settings"].items()
                  if self.settings.get(key) != value]
        if differ:
            raise ValueError("run_mixture: the checkpoint is of a run with other settings: "
                             + "; ".join(differ))
        self.curves = {name: list(values) for name, values in state["curves"].items()}


def run_mixture(dataset="ring", method="gan", seed=0, preset="classroom", steps=None,
                eval_every=None, callback=None, progress=True, doctor=None, device="cpu",
                checkpoint=None, checkpoint_every=None, resume=False, **method_options):
    """Train ``method`` on ``dataset`` with ``preset``; returns a :class:`MixtureResult`.

    ``dataset``: ``"ring"``, ``"grid"`` or a GaussianMixture; ``method``: a name from
    :data:`~minigan.gan.methods.METHODS` or a Method, with ``method_options`` for
    :func:`~minigan.gan.methods.make_method` (e.g. ``clip=0.05`` for ``"wgan"``); ``preset``: a
    name from :data:`~minigan.gan.presets.PRESETS` or a Preset; under ``"published"`` the
    method brings its own learning rates, betas, batch size and default options (see
    :func:`~minigan.gan.presets.method_and_preset`). ``steps`` and ``eval_every``
    default to the preset's. A batch holds ``batch_size`` inputs of D: for PacGAN with packs of
    m, that is ``batch_size`` packs of m samples, as in PacGAN's experiments.
    ``callback(trainer, metrics)`` is called after each evaluation (before training, every
    ``eval_every`` steps and after the last step) with the :class:`ModeMetrics` just computed.
    A ``doctor`` (:class:`~minigan.gan.doctor.Doctor`) watches the training (``Trainer.fit``).
    ``device``: where G and D train (``"cpu"`` or ``"cuda"``); the random numbers are the same
    on both, so is the run up to rounding.

    With ``checkpoint`` (a path), the run is saved every ``checkpoint_every`` steps (when
    given) and at the end: the trainer's state, the curves so far and, when ``callback`` has
    ``state_dict()`` and ``load_state_dict(state)`` methods, its state too. With ``resume``,
    the run continues from that file (when it exists) to ``steps``, exactly as the
    uninterrupted run would have (bit for bit on the CPU); every setting must be the same.
    """
    mixture = mixture_dataset(dataset)
    method, preset = method_and_preset(method, preset, **method_options)
    steps = preset.steps if steps is None else steps
    eval_every = preset.eval_every if eval_every is None else eval_every
    steps = check_positive_int(steps, "steps", "run_mixture")
    eval_every = check_positive_int(eval_every, "eval_every", "run_mixture")
    init_seed, train_seed, eval_seed = (int(s) for s in
                                        np.random.SeedSequence(seed).generate_state(3))
    start = time.perf_counter()
    G, D = build_players(preset, method, mixture.dim, Generator(init_seed))
    G.to(device), D.to(device)
    pack = method.discriminator_options.get("pack", 1)
    opt_G = optim.Adam(G.parameters(), lr=preset.g_lr, betas=preset.betas)
    opt_D = optim.Adam(D.parameters(), lr=preset.d_lr, betas=preset.betas)
    trainer = Trainer(G, D, opt_G, opt_D, mixture, batch_size=preset.batch_size * pack,
                      method=method, seed=train_seed)
    record = _Curves({"mixture": repr(mixture), "method": repr(method), "seed": seed,
                      "preset": repr(preset), "steps": steps, "eval_every": eval_every})
    trainer.attached["run"] = record
    if hasattr(callback, "state_dict"):
        trainer.attached["callback"] = callback
    if resume and checkpoint is not None and os.path.isfile(checkpoint):
        trainer.load_checkpoint(checkpoint)
        if trainer.step >= steps:
            raise ValueError(f"run_mixture: the checkpoint {os.fspath(checkpoint)!r} has "
                             f"already trained all {steps} steps: nothing to resume")
    evaluations = []

    def measure(trainer):
        # The same noise at every evaluation: the curves follow one set of samples.
        metrics = evaluate(trainer.G, mixture, EVAL_SAMPLES, Generator(eval_seed))
        evaluations.append(metrics)
        record.curves["step"].append(trainer.step)
        for name in CURVES[1:]:
            record.curves[name].append(getattr(metrics, name))
        if callback is not None:
            callback(trainer, metrics)

    def after_step(trainer):
        if trainer.step < steps:  # the rates for the next step (left as they are at the end)
            _set_learning_rates(trainer, preset,
                                _lr_factor(trainer.step + 1, steps, preset.lr_decay))
        if trainer.step % eval_every == 0 or trainer.step == steps:
            measure(trainer)

    _set_learning_rates(trainer, preset, _lr_factor(trainer.step + 1, steps, preset.lr_decay))
    if trainer.step == 0:
        measure(trainer)  # step 0: where G starts
    trainer.fit(steps - trainer.step, callback=after_step, every=1, progress=progress,
                doctor=doctor, checkpoint=checkpoint, checkpoint_every=checkpoint_every)
    return MixtureResult(G=G, D=D, trainer=trainer, curves=record.curves,
                         metrics=evaluations[-1],
                         mixture=mixture, method=method, preset=preset, seed=seed,
                         seconds=time.perf_counter() - start)
