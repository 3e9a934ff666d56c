"""``Trainer``: the library loop around :func:`~minigan.gan.step.train_step`.

The step is the game; the loop adds what a real run needs around it, and nothing inside it:

- a **history**: per step, both losses, the mean D(x) and D(G(z)) of D's last update, and the
  gradient norms of both players (||grad||_2 over all of a player's weights, as in gradient
  clipping), lists of floats in ``trainer.history``;
- a **progress bar** (tqdm, when it is installed) showing the latest losses;
- **callbacks** (a figure every n steps, or at chosen steps) that receive the trainer;
- **seeded determinism**: every random draw of the loop (data batches and noise) comes from one
  :class:`minigan.random.Generator` owned by the trainer, so a seed fixes the run;
- **checkpoints**: ``save_checkpoint`` writes the models, the optimizers, the generator's state,
  the step counter and the history; ``load_checkpoint`` restores all of it, and a run resumed from
  a checkpoint continues exactly as the uninterrupted run would have (bit for bit on the CPU);
- a **divergence check** (:func:`check_divergence`): when a loss or a gradient norm becomes NaN
  or infinite, or grows by orders of magnitude while staying finite, training stops with a
  :class:`TrainingDivergedError` naming the step and the quantity, and the last checkpoint
  written is kept as it is;
- **early checks**: bad arguments, and a checkpoint folder that cannot be written, fail before
  the first step, not after the last.
"""

import itertools
import math
import os
from numbers import Integral

import numpy as np

from ..random import Generator
from ..serialization import check_folder, expect_keys, load, save
from ..tensor import Tensor
from .noise import check_noise, sample_noise
from .step import resolve_method, train_step

try:
    from tqdm import tqdm
except ImportError:  # the bar is optional: without tqdm the loop runs silently
    tqdm = None

MEASURES = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")
"""What the history records each step (besides the step number)."""

# The quantities whose non-finite value stops training, with how the error names them.
_WATCHED = {"d_loss": "the discriminator's loss", "g_loss": "the generator's loss",
            "d_grad_norm": "the discriminator's gradient",
            "g_grad_norm": "the generator's gradient"}


GROWTH = 1e4
"""Divergence that stays finite: the median over the last :data:`WINDOW` steps (or all the
steps so far, when fewer) of

- a loss's absolute value exceeds GROWTH x max(1, |that loss at step 1|), or
- a player's gradient norm exceeds GROWTH x g0, g0 being D's first nonzero gradient norm
  (taken at D's initial weights: the size of a gradient in this model before training
  changed anything; the GAN doctor's scale too).

Measured on the classroom preset of the ring (the healthy and failing configurations of
``benchmarks/doctor_detection.py``, seeds 0-2 at 1,000-3,000 steps, and every method of
:data:`minigan.gan.METHODS` on seed 0 for 1,500 steps): healthy runs keep every median |loss|
below 15 times its scale (the largest: a non-saturating G facing a D trained 1,000 times
faster, 14.5) and every median gradient norm below 200 g0 (single steps below 300 g0);
unbalanced runs that do not diverge (D frozen, or D 100 times faster) reach 540 g0 (single
steps 575 g0); no healthy run passes 4 g0 in its first 3 steps, where the median is of 1-3
values. Diverging runs pass the thresholds within 2-4 steps: Adam at learning rate 1 (|D's
loss| 1e5 times its scale by step 4), 10 and WGAN at 1e6 (step 2). The factor 1e4 leaves
17x over the largest gradient of a run that does not diverge and 700x over the largest
healthy loss (a loss of 1e4 on the BCE scale means logits of 1e4)."""

WINDOW = 10
"""Steps in the median of the growth test: one spike is not divergence."""


class TrainingDivergedError(RuntimeError):
    """A loss or a gradient became NaN or infinite, or grew by orders of magnitude (see
    :data:`GROWTH`), during training. ``step``: the step; ``evidence``: what was seen."""

    def __init__(self, message, step=None, evidence=None):
        super().__init__(message)
        self.step, self.evidence = step, evidence


def _names(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _growth(history, record):
    """The evidence of a finite divergence in ``record`` after ``history`` (see
    :data:`GROWTH`), or None. Looks at the quantities of :data:`_WATCHED` that both hold."""
    d_norms = itertools.chain(history.get("d_grad_norm", ()), [record.get("d_grad_norm", 0.0)])
    g0 = next((v for v in d_norms if v > 0), None)
    for name in (m for m in _WATCHED if m in record and m in history):
        recent = np.abs(history[name][-(WINDOW - 1):] + [record[name]])
        median = float(np.median(recent))
        if name.endswith("loss"):
            start = abs(float(history[name][0] if history[name] else record[name]))
            scale, against = max(1.0, start), f"max(1, its value at step 1, {start:.3g})"
        elif g0 is not None:
            scale, against = g0, f"g0 = {g0:.3g}, D's first gradient norm"
        else:
            continue
        if median > GROWTH * scale:
            return (f"{_WATCHED[name]} grew to a median of {median:.3g} over the last "
                    f"{len(recent)} steps, {median / scale:.3g} times {against} (threshold "
                    f"{GROWTH:g} times)")
    return None


def check_divergence(step, record, history, doctor=None, kept="", advice=None):
    """Raise :class:`TrainingDivergedError` if training diverged at ``step``, whose measures
    are ``record``, after the steps in ``history`` (lists by measure): a loss or a gradient
    norm of ``record`` is NaN or infinite, or has grown by orders of magnitude (see
    :data:`GROWTH`). A ``doctor`` is told first, so that its report names the divergence;
    ``kept`` says which checkpoint is left (e.g. "the checkpoint of step 400 in c.npz is
    kept"), ``advice`` what to do."""
    bad = [_WATCHED[name] for name in _WATCHED if name in record
           and not math.isfinite(record[name])]
    if bad:
        values = ", ".join(f"{m}={record[m]:.4g}" for m in MEASURES if m in record)
        evidence = f"{_names(bad)} became non-finite ({values})"
    else:
        evidence = _growth(history, record)
        if evidence is None:
            return
    if doctor is not None:
        doctor.diverged(step, evidence)
    advice = advice or ("reload the last checkpoint and lower the learning rates, or look "
                        "for NaN or inf in the data")
    raise TrainingDivergedError(
        f"training diverged at step {step}: {evidence}. The weights were already updated "
        f"with it: {advice}." + (f" {kept[0].upper()}{kept[1:]}." if kept else ""),
        step=step, evidence=evidence)


def grad_norm(module):
    """sqrt(sum of squares) of every ``.grad`` of ``module``'s parameters (0.0 if none), summed
    in float64 so that large float32 gradients do not overflow on the way."""
    total = 0.0
    for p in module.parameters():
        if p.grad is not None:
            g = p.grad.data.astype(np.float64, copy=False)
            total += float((g * g).sum())
    return math.sqrt(total)


def _data_sampler(data):
    """``data`` as a function (n, generator) -> batch: an object with ``.sample(n, generator=)``
    (such as a Gaussian mixture) or such a function itself."""
    if hasattr(data, "sample"):
        name = f"{type(data).__name__}.sample"

        def sample(n, generator):
            return data.sample(n, generator=generator)
    elif callable(data):
        name = getattr(data, "__qualname__", type(data).__name__)
        sample = data
    else:
        raise TypeError(f"Trainer: data must have a sample(n, generator=...) method or be a "
                        f"function (n, generator) -> Tensor, got {type(data).__name__}")

    def sampler(n, generator):
        batch = sample(n, generator)
        if not isinstance(batch, Tensor):
            raise TypeError(f"Trainer: the data function {name} returned a "
                            f"{type(batch).__name__}, expected a minigan Tensor of shape "
                            f"({n}, ...); wrap it with minigan.tensor(...)")
        return batch
    return sampler


class Trainer:
    """Trains generator ``G`` against discriminator ``D`` with the optimizers ``opt_G``, ``opt_D``.

    - ``data``: where real batches come from: an object with a ``sample(n, generator=...)``
      method (such as a Gaussian mixture), or a function (n, generator) -> Tensor;
    - ``batch_size``: samples per batch, real and fake alike;
    - ``noise_shape``: the shape of one noise sample (default ``(G.noise_dim,)``); ``noise``:
      ``"normal"`` or ``"uniform"`` (see :mod:`minigan.gan.noise`);
    - ``method``: the GAN variant played, a name from :data:`minigan.gan.METHODS` or a
      :class:`~minigan.gan.methods.Method` (build D with its ``discriminator_options``); by
      default the GAN with the generator loss ``loss`` (a name);
    - ``k``: discriminator updates per generator update (by default the method's: 1, or 5 for
      the WGANs);
    - ``seed``: seeds the trainer's generator, the source of every batch and every noise draw
      (and of the method's own draws).
    """

    def __init__(self, G, D, opt_G, opt_D, data, *, batch_size=64, noise_shape=None,
                 noise="normal", k=None, loss="non_saturating", method=None, seed=0):
        self.G, self.D, self.opt_G, self.opt_D = G, D, opt_G, opt_D
        self._sample_data = _data_sampler(data)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Trainer: batch_size must be an int >= 1, got {batch_size!r}")
        self.method = resolve_method(method, loss)
        k = self.method.d_steps if k is None else k
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"Trainer: k must be an int >= 1, got {k!r}")
        if noise_shape is None:
            if not hasattr(G, "noise_dim"):
                raise ValueError("Trainer: give noise_shape, the shape of one noise sample (G "
                                 "has no noise_dim attribute to take it from)")
            noise_shape = (G.noise_dim,)
        noise_shape = (noise_shape,) if isinstance(noise_shape, int) else tuple(noise_shape)
        self.config = {"batch_size": batch_size, "noise_shape": noise_shape,
                       "noise": check_noise(noise), "k": k, "loss": loss,
                       "method": repr(self.method)}
        if next(iter(G.parameters()), None) is None:
            raise ValueError("Trainer: G has no parameters to train")
        self.rng = Generator(seed)
        self.step = 0  # generator updates done so far
        self.history = {"step": [], **{m: [] for m in MEASURES}}
        self.attached = {}  # name -> object saved and restored with the checkpoints

    # -- the two batches a step needs, both drawn from the trainer's generator ---------------
    # Batches go where G's weights are, in their dtype, read at each draw so that moving the
    # models (``G.to("cuda")``) after building the trainer just works.
    def sample_real(self):
        """A batch of data, on G's device and in its dtype."""
        param = next(iter(self.G.parameters()))
        batch = self._sample_data(self.config["batch_size"], self.rng)
        return batch.to(device=param.device, dtype=param.dtype)

    def sample_noise(self):
        """A batch of noise z for G, on its device and in its dtype."""
        param, c = next(iter(self.G.parameters())), self.config
        return sample_noise(c["batch_size"], c["noise_shape"], c["noise"], self.rng,
                            param.device, param.dtype)

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, steps, callback=None, every=100, checkpoint=None, checkpoint_every=None,
            progress=True, doctor=None):
        """Run ``steps`` (an int >= 0) more rounds of :func:`train_step`; returns the history.

        ``callback(trainer)`` runs after step n when ``every`` is an int dividing n, or when n
        is in ``every`` given as a collection of step numbers. With ``checkpoint`` (a path),
        the state is saved every ``checkpoint_every`` steps (an int >= 1, when given) and at
        the end; its folder is created, or found unwritable, before the first step. A
        ``doctor`` (:class:`minigan.gan.doctor.Doctor`) sees every step's record and G, shows
        its status in the progress bar, and may stop a diverging run. A run that diverges
        (:func:`check_divergence`) stops with a :class:`TrainingDivergedError` before saving:
        the last checkpoint written stays as it was.
        """
        _check_count("fit", "steps", steps, 0)
        if checkpoint_every is not None:
            _check_count("fit", "checkpoint_every", checkpoint_every, 1)
            if checkpoint is None:
                raise ValueError("Trainer.fit: checkpoint_every needs a checkpoint path to "
                                 "save to")
        due = _schedule(every)
        if checkpoint is not None:
            folder = os.path.dirname(os.path.abspath(os.fspath(checkpoint)))
            try:
                check_folder(folder)
                if os.path.isdir(checkpoint):
                    raise ValueError("it is a folder; give the path of a file in it")
            except ValueError as error:
                raise ValueError(f"Trainer.fit: checkpoint {os.fspath(checkpoint)!r}: "
                                 f"{error}") from None
            os.makedirs(folder, exist_ok=True)
        saved = None  # the step of the last checkpoint written by this call
        bar = tqdm(total=steps, desc="GAN", unit="step") if progress and tqdm else None
        refresh = max(1, steps // 100)
        try:
            for _ in range(steps):
                record = train_step(self.G, self.D, self.opt_G, self.opt_D, self.sample_real,
                                    self.sample_noise, self.config["k"], method=self.method,
                                    generator=self.rng)
                record["d_grad_norm"] = grad_norm(self.D)
                record["g_grad_norm"] = grad_norm(self.G)
                if doctor is not None:  # first, so that it records a divergence it stops
                    doctor.update(self.step + 1, record, self.G)
                check_divergence(self.step + 1, record, self.history, doctor,
                                 _kept(checkpoint, saved))
                self.step += 1
                self.history["step"].append(self.step)
                for m in MEASURES:
                    self.history[m].append(record[m])
                if bar is not None:
                    bar.update()
                    if self.step % refresh == 0:
                        status = {} if doctor is None else {"doctor": doctor.status()}
                        bar.set_postfix(d_loss=f"{record['d_loss']:.3f}",
                                        g_loss=f"{record['g_loss']:.3f}", **status,
                                        refresh=False)
                if callback is not None and due(self.step):
                    callback(self)
                if checkpoint is not None and checkpoint_every and \
                        self.step % checkpoint_every == 0:
                    self.save_checkpoint(checkpoint)
                    saved = self.step
        finally:
            if bar is not None:
                bar.close()
        if checkpoint is not None and saved != self.step:
            self.save_checkpoint(checkpoint)
        return self.history

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs: models, optimizers, generator state, step, history
        (and the configuration, checked on load); with objects in ``trainer.attached`` (name
        -> an object with ``state_dict()`` and ``load_state_dict(state)``, such as the
        curves a caller records), their states under ``"attached"``."""
        history = {name: np.asarray(values, dtype=np.int64 if name == "step" else np.float64)
                   for name, values in self.history.items()}
        state = {"step": self.step, "config": dict(self.config), "rng": self.rng.get_state(),
                 "G": self.G.state_dict(), "D": self.D.state_dict(),
                 "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                 "history": history}
        if self.attached:
            state["attached"] = {name: obj.state_dict() for name, obj in self.attached.items()}
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` into this trainer (built with the same configuration)."""
        expect_keys(state, _STATE_KEYS, "a Trainer checkpoint (Trainer.save_checkpoint)",
                    "Trainer.load_state_dict: the state")
        saved = state["config"]
        differ = [f"{key}={saved.get(key)!r} there, {value!r} here"
                  for key, value in self.config.items() if saved.get(key) != value]
        if differ:
            raise ValueError("Trainer.load_state_dict: the checkpoint was written by a trainer "
                             "configured differently: " + "; ".join(differ))
        attached = state.get("attached", {})
        if set(attached) != set(self.attached):
            raise ValueError(f"Trainer.load_state_dict: the checkpoint holds the states of "
                             f"{sorted(attached) or 'nothing'} attached, this trainer has "
                             f"{sorted(self.attached) or 'nothing'} attached")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.rng.set_state(state["rng"])
        self.step = int(state["step"])
        self.history = {name: np.asarray(values).tolist()
                        for name, values in state["history"].items()}
        for name, obj in self.attached.items():
            obj.load_state_dict(attached[name])

    def save_checkpoint(self, path):
        """Write :meth:`state_dict` to ``path`` atomically (see :func:`minigan.save`)."""
        save(self.state_dict(), path)

    def load_checkpoint(self, path):
        """Continue from the checkpoint at ``path``; returns self. A file that is not a
        Trainer checkpoint (a model's state_dict, the DCGAN command's checkpoint...) raises
        :class:`~minigan.serialization.CheckpointError` saying what it holds."""
        state = load(path)
        expect_keys(state, _STATE_KEYS, "a Trainer checkpoint (Trainer.save_checkpoint)",
                    repr(os.fspath(path)))
        self.load_state_dict(state)
        return self


_STATE_KEYS = ("step", "config", "rng", "G", "D", "opt_G", "opt_D", "history")


def _kept(checkpoint, saved):
    """Which checkpoint a stopped :meth:`Trainer.fit` leaves, in words."""
    if checkpoint is None:
        return ""
    if saved is None:
        return (f"the checkpoint {os.fspath(checkpoint)!r} was not written by this run (what "
                "was there before is kept)")
    return f"the checkpoint of step {saved} in {os.fspath(checkpoint)!r} is kept"


def _check_count(caller, name, value, least):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
        raise ValueError(f"Trainer.{caller}: {name} must be an int >= {least}, got {value!r}")


def _schedule(every):
    """A test "is a callback due after step n?" from an int period or a collection of steps."""
    if isinstance(every, bool):
        raise TypeError("every must be an int or a collection of step numbers, got a bool")
    if isinstance(every, int):
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        return lambda n: n % every == 0
    steps = set(every)
    return lambda n: n in steps
