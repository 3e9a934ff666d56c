"""``Trainer``: the library loop around :func:`~minigan.gan.step.train_step`.

The step is the game; the loop adds what a real run needs around it, and nothing inside it:

- two ways to be fed: :meth:`Trainer.fit` plays a number of rounds, each drawing a batch from
  ``data.sample(n, generator=...)`` (a Gaussian mixture, a digit loader...);
  :meth:`Trainer.fit_epochs` plays epochs, each a pass over ``data`` as a loader iterates it
  (every digit once, as PyTorch's DataLoader does), with a callback after each epoch;
- **labels** for a class-conditional pair (``conditional=True``): each real batch comes with
  its classes y, and both players are played as :class:`~minigan.gan.dcgan.WithLabels`, so
  that G(z, y) is judged by D(., y);
- a **history**: per step, both losses, the mean D(x) and D(G(z)) of D's last update, and the
  gradient norms of both players (||grad||_2 over all of a player's weights, as in gradient
  clipping), lists of floats in ``trainer.history``;
- a **progress bar** (tqdm, when it is installed) showing the latest measures, and the
  doctor's status when one watches;
- **callbacks** (a figure every n steps, at chosen steps, or after each epoch) that receive
  the trainer;
- **seeded determinism**: every random draw of the loop (data batches and noise) comes from one
  :class:`minigan.random.Generator` owned by the trainer, so a seed fixes the run;
- **checkpoints**: ``save_checkpoint`` writes the models, the optimizers, the generator's state,
  the step and epoch counters, the history, an averaged copy of G (``averaged_G``) and the
  states of ``trainer.attached``; ``load_checkpoint`` restores all of it, and a run resumed
  from a checkpoint continues exactly as the uninterrupted run would have (bit for bit on the
  CPU);
- a **divergence check** (:func:`~minigan.gan.divergence.check_divergence`): when a loss or a
  gradient norm becomes NaN or infinite, or a loss grows by orders of magnitude while finite,
  training stops with a :class:`TrainingDivergedError` naming the step and the quantity, and
  the last checkpoint written is kept as it is;
- **early checks**: bad arguments, and a checkpoint folder that cannot be written, fail before
  the first step, not after the last.
"""

import math
import os
import time
from contextlib import contextmanager

import numpy as np

from .._checks import check_int, check_positive_int
from ..random import Generator
from ..serialization import check_folder, expect_keys, load, save
from ..tensor import Tensor
from .dcgan import WithLabels
from .divergence import (  # noqa: F401 (GROWTH and WINDOW: read as minigan.gan.trainer.GROWTH)
    GROWTH,
    MEASURES,
    WINDOW,
    TrainingDivergedError,
    check_divergence,
)
from .methods import make_method
from .noise import check_noise, sample_noise
from .step import train_step

try:
    from tqdm import tqdm
except ImportError:  # the bar is optional: without tqdm the loop runs silently
    tqdm = None


def grad_norm(module):
    """sqrt(sum of squares) of every ``.grad`` of ``module``'s parameters (0.0 if none), summed
    in float64 so that large float32 gradients do not overflow on the way."""
    total = 0.0
    for p in module.parameters():
        if p.grad is not None:
            g = p.grad.data.astype(np.float64, copy=False)
            total += float((g * g).sum())
    return math.sqrt(total)


def _data_sampler(data, conditional):
    """``data`` as a function (n, generator) -> batch ((images, labels) when ``conditional``):
    an object with ``.sample(n, generator=)`` (``.sample_with_labels`` when conditional), or
    such a function itself; None for data that can only be iterated (epochs only)."""
    method = "sample_with_labels" if conditional else "sample"
    if hasattr(data, method):
        name = f"{type(data).__name__}.{method}"

        def sample(n, generator):
            return getattr(data, method)(n, generator=generator)
    elif callable(data):
        name = getattr(data, "__qualname__", type(data).__name__)
        sample = data
    elif hasattr(data, "__iter__") and hasattr(data, "__len__"):
        return None
    else:
        raise TypeError(f"Trainer: data must have a {method}(n, generator=...) method, be a "
                        f"function (n, generator) -> batch, or be a loader (iterable, with a "
                        f"len) of batches; got {type(data).__name__}")

    def sampler(n, generator):
        batch = sample(n, generator)
        images = batch[0] if conditional and isinstance(batch, tuple) else batch
        if not isinstance(images, Tensor):
            raise TypeError(f"Trainer: the data function {name} returned a "
                            f"{type(batch).__name__}, expected a minigan Tensor of shape "
                            f"({n}, ...){' with its labels' if conditional else ''}; wrap it "
                            f"with minigan.tensor(...)")
        return batch
    return sampler


class Trainer:
    """Trains generator ``G`` against discriminator ``D`` with the optimizers ``opt_G``, ``opt_D``.

    - ``data``: where real batches come from: an object with a ``sample(n, generator=...)``
      method (such as a Gaussian mixture), a function (n, generator) -> Tensor, or, for
      :meth:`fit_epochs`, a loader (iterable, with a len) of batches, such as
      :class:`~minigan.data.DigitLoader`;
    - ``batch_size``: samples per batch drawn by :meth:`fit` (the loader's batches in
      :meth:`fit_epochs`);
    - ``noise_shape``: the shape of one noise sample (default ``(G.noise_dim,)``); ``noise``:
      ``"normal"`` or ``"uniform"`` (see :mod:`minigan.gan.noise`);
    - ``method``: the GAN variant played, which fixes both players' losses: a name from
      :data:`minigan.gan.METHODS` (``"gan"``, the non-saturating GAN, by default;
      ``"gan_saturating"`` for the minimax game as written) or a
      :class:`~minigan.gan.methods.Method` (build D with its ``discriminator_options``);
    - ``k``: discriminator updates per generator update (by default the method's: 1, or 5 for
      the WGANs);
    - ``conditional``: batches are (images, labels) (``data.sample_with_labels`` in
      :meth:`fit`) and both players take the labels: ``G(z, y)``, ``D(x, y)``;
    - ``averaged_G``: a place for an averaged copy of G, None or an object with
      ``update_parameters(G)`` (called after each generator update, as for
      ``torch.optim.swa_utils.AveragedModel``), ``state_dict()`` and ``load_state_dict()``
      (saved and restored with the checkpoints);
    - ``seed``: seeds the trainer's generator, the source of every batch and every noise draw
      (and of the method's own draws); a :class:`minigan.random.Generator` is used as it is
      (as ``numpy.random.default_rng`` does), so that a caller that drew the weights from it
      first continues the same stream.
    """

    def __init__(self, G, D, opt_G, opt_D, data, *, batch_size=64, noise_shape=None,
                 noise="normal", k=None, method="gan", conditional=False, averaged_G=None,
                 seed=0):
        self.G, self.D, self.opt_G, self.opt_D = G, D, opt_G, opt_D
        self.data = data
        self._sample_data = _data_sampler(data, conditional)
        batch_size = check_positive_int(batch_size, "batch_size", "Trainer")
        self.method = make_method(method)
        k = check_positive_int(self.method.d_steps if k is None else k, "k", "Trainer")
        if noise_shape is None:
            if not hasattr(G, "noise_dim"):
                raise ValueError("Trainer: give noise_shape, the shape of one noise sample (G "
                                 "has no noise_dim attribute to take it from)")
            noise_shape = (G.noise_dim,)
        noise_shape = (noise_shape,) if isinstance(noise_shape, int) else tuple(noise_shape)
        self.config = {"batch_size": batch_size, "noise_shape": noise_shape,
                       "noise": check_noise(noise), "k": k, "method": repr(self.method)}
        if conditional:  # only then: checkpoints of unconditional trainers stay as they were
            self.config["conditional"] = True
        if next(iter(G.parameters()), None) is None:
            raise ValueError("Trainer: G has no parameters to train")
        self.averaged_G = averaged_G
        self.rng = seed if isinstance(seed, Generator) else Generator(seed)
        self.step = 0  # generator updates done so far
        self.epoch = 0  # passes over the data done by fit_epochs
        self.epoch_seconds = None  # the wall-clock time of the last epoch's steps
        self.history = {"step": [], **{m: [] for m in MEASURES}}
        self.attached = {}  # name -> object saved and restored with the checkpoints

    # -- the two batches a step needs, both drawn from the trainer's generator ---------------
    # Batches go where G's weights are, in their dtype, read at each draw so that moving the
    # models (``G.to("cuda")``) after building the trainer just works.
    def sample_real(self):
        """A batch of data drawn for :meth:`fit` (with its labels when conditional), on G's
        device and in its dtype."""
        if self._sample_data is None:
            raise TypeError(f"Trainer: data ({type(self.data).__name__}) has no sample(n, "
                            "generator=...) method to draw batches from; train it by epochs "
                            "with fit_epochs")
        return self._on_device(self._sample_data(self.config["batch_size"], self.rng))

    def sample_noise(self, n=None):
        """A batch of ``n`` (default ``batch_size``) noise samples z for G, on its device and
        in its dtype."""
        param, c = next(iter(self.G.parameters())), self.config
        return sample_noise(c["batch_size"] if n is None else n, c["noise_shape"], c["noise"],
                            self.rng, param.device, param.dtype)

    def _on_device(self, batch):
        """``batch`` (images, or (images, labels) as loaders give them) as the round needs it:
        images on G's device in its dtype, with their labels when conditional."""
        param = next(iter(self.G.parameters()))
        images, labels = batch if isinstance(batch, (tuple, list)) else (batch, None)
        images = images.to(device=param.device, dtype=param.dtype)
        return (images, labels) if self.config.get("conditional") else images

    # -- one round, the same in both loops ----------------------------------------------------
    def _round(self, next_batch, doctor, kept, advice):
        """:func:`train_step` with real batches from ``next_batch()`` and as many noise
        samples; then the measures, the divergence check, the doctor and the history.
        Returns the step's record."""
        G, D, last = self.G, self.D, {}
        if self.config.get("conditional"):
            G, D = WithLabels(G), WithLabels(D)

        def sample_real():
            batch = next_batch()
            if self.config.get("conditional"):
                batch, G.labels = batch
                D.labels = G.labels  # D judges each fake against the class it was asked for
            last["n"] = len(batch)
            return batch

        record = train_step(G, D, self.opt_G, self.opt_D, sample_real,
                            lambda: self.sample_noise(last["n"]), self.config["k"],
                            method=self.method, generator=self.rng)
        record["d_grad_norm"] = grad_norm(self.D)
        record["g_grad_norm"] = grad_norm(self.G)
        # The check first: it tells the doctor of a divergence before it stops the run with
        # the kept checkpoint and the advice in its message (the doctor's test is the same)
        check_divergence(self.step + 1, record, self.history, doctor, kept, advice)
        if doctor is not None:
            doctor.update(self.step + 1, record, self.G)
        if self.averaged_G is not None:
            self.averaged_G.update_parameters(self.G)
        self.step += 1
        self.history["step"].append(self.step)
        for m in MEASURES:
            self.history[m].append(record[m])
        return record

    # -- the loops ------------------------------------------------------------------------------
    def fit(self, steps, callback=None, every=100, checkpoint=None, checkpoint_every=None,
            progress=True, doctor=None, advice=None):
        """Run ``steps`` (an int >= 0) more rounds of :func:`train_step`, each on batches drawn
        by :meth:`sample_real`; returns the history.

        ``callback(trainer)`` runs after step n when ``every`` is an int dividing n, or when n
        is in ``every`` given as a collection of step numbers. With ``checkpoint`` (a path),
        the state is saved every ``checkpoint_every`` steps (an int >= 1, when given) and at
        the end; its folder is created, or found unwritable, before the first step. A
        ``doctor`` (:class:`minigan.gan.doctor.Doctor`) sees every step's record and G, shows
        its status in the progress bar, and may stop a diverging run. A run that diverges
        (:func:`~minigan.gan.divergence.check_divergence`) stops with a
        :class:`TrainingDivergedError` before saving: the last checkpoint written stays as it
        was; ``advice`` replaces what its message says to do.
        """
        check_int(steps, "steps", "Trainer.fit", minimum=0)
        if checkpoint_every is not None:
            check_positive_int(checkpoint_every, "checkpoint_every", "Trainer.fit")
            if checkpoint is None:
                raise ValueError("Trainer.fit: checkpoint_every needs a checkpoint path to "
                                 "save to")
        due = _schedule(every)
        _prepare_folder("fit", checkpoint)
        saved = None  # the step of the last checkpoint written by this call
        with _progress_bar(steps, progress) as bar:
            for _ in range(steps):
                record = self._round(self.sample_real, doctor, _kept(checkpoint, saved),
                                     advice)
                _show(bar, record, doctor, self.step % max(1, steps // 100) == 0)
                if callback is not None and due(self.step):
                    callback(self)
                if checkpoint is not None and checkpoint_every and \
                        self.step % checkpoint_every == 0:
                    self.save_checkpoint(checkpoint)
                    saved = self.step
        if checkpoint is not None and saved != self.step:
            self.save_checkpoint(checkpoint)
        return self.history

    def fit_epochs(self, epochs, callback=None, checkpoint=None, progress=True, doctor=None,
                   advice=None):
        """Run ``epochs`` (an int >= 0) more passes over ``data``, a loader iterated once per
        epoch (:class:`~minigan.data.DigitLoader`: every digit once, in a fresh order drawn
        from its generator, which should be the trainer's); returns the history.

        A round takes k batches (one for k = 1), so an epoch is ``len(data) // k`` rounds.
        After each epoch, ``trainer.epoch`` counts it and ``trainer.epoch_seconds`` holds the
        time its rounds took; then ``callback(trainer)`` runs, and then the state is saved to
        ``checkpoint`` (a path), so that what the callback records in ``trainer.attached`` is
        in the checkpoint of its epoch. ``progress``, ``doctor`` and ``advice``: as in
        :meth:`fit`.
        """
        check_int(epochs, "epochs", "Trainer.fit_epochs", minimum=0)
        if not (hasattr(self.data, "__iter__") and hasattr(self.data, "__len__")):
            raise TypeError(f"Trainer.fit_epochs: data ({type(self.data).__name__}) is not a "
                            "loader of batches (iterable, with a len); train it with fit")
        rounds = len(self.data) // self.config["k"]
        if rounds == 0:
            raise ValueError(f"Trainer.fit_epochs: {len(self.data)} batches per epoch make no "
                             f"round of k = {self.config['k']} discriminator updates")
        _prepare_folder("fit_epochs", checkpoint)
        saved = None
        with _progress_bar(epochs * rounds, progress) as bar:
            for _ in range(epochs):
                start, batches = time.perf_counter(), iter(self.data)
                for _ in range(rounds):
                    record = self._round(lambda b=batches: self._on_device(next(b)), doctor,
                                         _kept(checkpoint, saved, self.epoch), advice)
                    _show(bar, record, doctor, True, epoch=self.epoch + 1)
                self.epoch += 1
                self.epoch_seconds = time.perf_counter() - start
                if callback is not None:
                    callback(self)
                if checkpoint is not None:
                    self.save_checkpoint(checkpoint)
                    saved = self.step
        return self.history

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs: models, optimizers, generator state, step and epoch
        counters, history (and the configuration, checked on load); the averaged G's state
        under ``"averaged_G"`` when there is one; with objects in ``trainer.attached`` (name
        -> an object with ``state_dict()`` and ``load_state_dict(state)``, such as the
        curves a caller records), their states under ``"attached"``."""
        history = {name: np.asarray(values, dtype=np.int64 if name == "step" else np.float64)
                   for name, values in self.history.items()}
        state = {"step": self.step, "epoch": self.epoch, "config": dict(self.config),
                 "rng": self.rng.get_state(),
                 "G": self.G.state_dict(), "D": self.D.state_dict(),
                 "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                 "history": history}
        if self.averaged_G is not None:
            state["averaged_G"] = self.averaged_G.state_dict()
        if self.attached:
            state["attached"] = {name: obj.state_dict() for name, obj in self.attached.items()}
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` into this trainer (built with the same configuration).
        Checkpoints written before ``loss=`` was retired (their configuration names the loss,
        which the method's name holds too) and before epochs were counted load as well."""
        expect_keys(state, _STATE_KEYS, "a Trainer checkpoint (Trainer.save_checkpoint)",
                    "Trainer.load_state_dict: the state")
        saved = {key: value for key, value in state["config"].items() if key not in _RETIRED}
        differ = [f"{key}={saved.get(key)!r} there, {self.config.get(key)!r} here"
                  for key in {**saved, **self.config} if saved.get(key) != self.config.get(key)]
        if differ:
            raise ValueError("Trainer.load_state_dict: the checkpoint was written by a trainer "
                             "configured differently: " + "; ".join(sorted(differ)))
        if ("averaged_G" in state) != (self.averaged_G is not None):
            there = "holds" if "averaged_G" in state else "holds no"
            here = "has one" if self.averaged_G is not None else "has none"
            raise ValueError(f"Trainer.load_state_dict: the checkpoint {there} averaged copy "
                             f"of G; this trainer {here} (averaged_G=)")
        attached = state.get("attached", {})
        if set(attached) != set(self.attached):
            raise ValueError(f"Trainer.load_state_dict: the checkpoint holds the states of "
                             f"{sorted(attached) or 'nothing'} attached, this trainer has "
                             f"{sorted(self.attached) or 'nothing'} attached")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        if self.averaged_G is not None:
            self.averaged_G.load_state_dict(state["averaged_G"])
        self.rng.set_state(state["rng"])
        self.step = int(state["step"])
        self.epoch = int(state.get("epoch", 0))
        self.history = {name: np.asarray(values).tolist()
                        for name, values in state["history"].items()}
        for name, obj in self.attached.items():
            obj.load_state_dict(attached[name])

    def save_checkpoint(self, path):
        """Write :meth:`state_dict` to ``path`` atomically (see :func:`minigan.save`)."""
        save(self.state_dict(), path)

    def load_checkpoint(self, path):
        """Continue from the checkpoint at ``path``; returns self. A file that is not a
        Trainer checkpoint (a model's state_dict...) raises
        :class:`~minigan.serialization.CheckpointError` saying what it holds."""
        state = load(path)
        expect_keys(state, _STATE_KEYS, "a Trainer checkpoint (Trainer.save_checkpoint)",
                    repr(os.fspath(path)))
        self.load_state_dict(state)
        return self


_STATE_KEYS = ("step", "config", "rng", "G", "D", "opt_G", "opt_D", "history")
_RETIRED = ("loss",)  # configuration keys of older checkpoints, now part of "method"


def _kept(checkpoint, saved, epoch=None):
    """Which checkpoint a stopped loop leaves, in words; ``saved``: the step of the last
    checkpoint it wrote (None: none), ``epoch``: the epochs done (in :meth:`fit_epochs`)."""
    if checkpoint is None:
        return ""
    path = repr(os.fspath(checkpoint))
    if saved is not None:
        of = f"step {saved}" + ("" if epoch is None else f" (epoch {epoch})")
        return f"the checkpoint of {of} in {path} is kept (not overwritten)"
    if os.path.isfile(checkpoint):
        return f"the checkpoint {path}, from before this run, is kept (not overwritten)"
    return "no checkpoint was written"


def _prepare_folder(caller, checkpoint):
    """Create the folder of ``checkpoint`` (a path, or None), or fail before the first step."""
    if checkpoint is None:
        return
    folder = os.path.dirname(os.path.abspath(os.fspath(checkpoint)))
    try:
        check_folder(folder)
        if os.path.isdir(checkpoint):
            raise ValueError("it is a folder; give the path of a file in it")
    except ValueError as error:
        raise ValueError(f"Trainer.{caller}: checkpoint {os.fspath(checkpoint)!r}: "
                         f"{error}") from None
    os.makedirs(folder, exist_ok=True)


@contextmanager
def _progress_bar(total, progress):
    """A tqdm bar of ``total`` steps when ``progress`` and tqdm is installed, else None."""
    bar = tqdm(total=total, desc="GAN", unit="step") if progress and tqdm else None
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _show(bar, record, doctor, refresh, epoch=None):
    """Advance the bar by a step; when ``refresh``, show the step's measures beside it."""
    if bar is None:
        return
    bar.update()
    if refresh:
        where = {} if epoch is None else {"epoch": epoch}
        status = {} if doctor is None else {"doctor": doctor.status()}
        bar.set_postfix(**where, d_loss=f"{record['d_loss']:.3f}",
                        g_loss=f"{record['g_loss']:.3f}",
                        **{"D(x)": f"{record['d_real']:.2f}",
                           "D(G(z))": f"{record['d_fake']:.2f}"}, **status, refresh=False)


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
