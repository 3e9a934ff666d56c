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
- a **divergence check**: when a loss or a gradient norm becomes NaN or infinite, training stops
  with a :class:`TrainingDivergedError` naming the step and the quantities.
"""

import math

import numpy as np

from ..random import Generator
from ..serialization import load, save
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


class TrainingDivergedError(RuntimeError):
    """A loss or a gradient became NaN or infinite during training."""


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
        return lambda n, generator: data.sample(n, generator=generator)
    if callable(data):
        return data
    raise TypeError(f"Trainer: data must have a sample(n, generator=...) method or be a "
                    f"function (n, generator) -> Tensor, got {type(data).__name__}")


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
        """Run ``steps`` more rounds of :func:`train_step`; returns the history.

        ``callback(trainer)`` runs after step n when ``every`` is an int dividing n, or when n
        is in ``every`` given as a collection of step numbers. With ``checkpoint`` (a path),
        the state is saved every ``checkpoint_every`` steps (when given) and at the end. A
        ``doctor`` (:class:`minigan.gan.doctor.Doctor`) sees every step's record and G, shows
        its status in the progress bar, and may stop a diverging run.
        """
        due = _schedule(every)
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
                self._check_finite(record)
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
        finally:
            if bar is not None:
                bar.close()
        if checkpoint is not None:
            self.save_checkpoint(checkpoint)
        return self.history

    def _check_finite(self, record):
        bad = [_WATCHED[name] for name in _WATCHED if not math.isfinite(record[name])]
        if bad:
            what = bad[0] if len(bad) == 1 else ", ".join(bad[:-1]) + " and " + bad[-1]
            values = ", ".join(f"{m}={record[m]:.4g}" for m in MEASURES)
            raise TrainingDivergedError(
                f"training diverged at step {self.step + 1}: {what} became non-finite "
                f"({values}). "
                "The weights were already updated with it: reload the last checkpoint and "
                "lower the learning rates, or look for NaN or inf in the data.")

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs: models, optimizers, generator state, step, history
        (and the configuration, checked on load)."""
        history = {name: np.asarray(values, dtype=np.int64 if name == "step" else np.float64)
                   for name, values in self.history.items()}
        return {"step": self.step, "config": dict(self.config), "rng": self.rng.get_state(),
                "G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                "history": history}

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` into this trainer (built with the same configuration)."""
        saved = state["config"]
        differ = [f"{key}={saved.get(key)!r} there, {value!r} here"
                  for key, value in self.config.items() if saved.get(key) != value]
        if differ:
            raise ValueError("Trainer.load_state_dict: the checkpoint was written by a trainer "
                             "configured differently: " + "; ".join(differ))
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.rng.set_state(state["rng"])
        self.step = int(state["step"])
        self.history = {name: np.asarray(values).tolist()
                        for name, values in state["history"].items()}

    def save_checkpoint(self, path):
        """Write :meth:`state_dict` to ``path`` atomically (see :func:`minigan.save`)."""
        save(self.state_dict(), path)

    def load_checkpoint(self, path):
        """Continue from the checkpoint at ``path``; returns self."""
        self.load_state_dict(load(path))
        return self


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
