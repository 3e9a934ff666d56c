"""A DCGAN of handwritten digits as one object, :class:`DCGANRun`: the recipe behind
``python -m minigan dcgan``, for scripts and tutorials too.

The recipe is PyTorch's DCGAN example: G and D of :mod:`minigan.gan.dcgan`, both trained with
Adam(lr, betas=(beta1, 0.999)); each epoch serves every training digit once, in a fresh
shuffled order and full batches, to :func:`~minigan.gan.train_step` (one update of D on a real
batch and a fake one, then one of G with the non-saturating loss). The loop is the
:class:`~minigan.gan.Trainer`'s :meth:`~minigan.gan.Trainer.fit_epochs`. The digits held out
by ``Digits.split(0.2, seed=0)`` (:func:`~minigan.data.digit_split`) are never trained on: they
are the evaluation's. With ``conditional=True`` both players also see each digit's class.

Every random draw comes from one generator seeded with ``seed``, in this order: G's and D's
weights, the fixed noise of the sample grids, then (the Trainer's) each epoch's order and each
noise batch. A checkpoint holds the Trainer's state and, attached as ``"run"``, the settings
and the per-epoch summaries; a run resumed from it continues exactly as the uninterrupted run
would have (bit for bit on the CPU). Checkpoints of the command before it ran on the Trainer
(:data:`OLD_CHECKPOINT_KEYS`) are converted when loaded (:func:`convert_old_checkpoint`).
"""

import json
import os

import numpy as np

from .. import optim
from .._checks import check_positive, check_real
from ..data import DigitLoader, digit_split
from ..optim.swa_utils import AveragedModel, get_ema_avg_fn, update_bn
from ..random import Generator
from ..serialization import CheckpointError, expect_keys, load
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .doctor import Doctor, ImageProbe
from .methods import LabelSmoothing
from .noise import generate, sample_noise
from .trainer import MEASURES, Trainer

HELD_OUT = 0.2  # the fraction of every class kept away from the GAN, for the evaluation
QUICK_DIGITS = 256
PROBE_IMAGES = 256  # G's images and held-out digits the doctor compares at each probe
SUMMARY = ("d_loss", "g_loss", "d_real", "d_fake")
"""The measures whose epoch means the per-epoch summaries (and metrics files) keep."""
SETTINGS = ("data", "image_size", "batch_size", "nz", "ngf", "ndf", "lr", "lr_d", "lr_g",
            "beta1", "real_label", "spectral_norm", "seed", "conditional", "quick", "ema")
"""The settings a resumed run must share with the run that wrote the checkpoint."""
LATER_SETTINGS = {"lr_d": None, "lr_g": None, "real_label": 1.0, "spectral_norm": False}
"""Settings added after checkpoints were first written, with the value a checkpoint without
them was trained with."""
BN_BATCHES = 100
"""Batches of noise from which G_ema's batch-norm statistics are recomputed (:func:`update_bn`)."""
OLD_CHECKPOINT_KEYS = ("config", "epoch", "rng", "G", "D", "opt_G", "opt_D", "history",
                       "epochs")
"""What a checkpoint of the DCGAN command held before the command ran on the Trainer."""
_WHAT = "a checkpoint of the DCGAN of digits (python -m minigan dcgan)"


def training_digits(data=None, image_size=32, batch_size=64, quick=False, seed=0):
    """The digits G learns from: all but the held-out split (``QUICK_DIGITS`` of them drawn
    with ``Generator(seed)`` when ``quick``), of side ``image_size``."""
    kept, _ = digit_split(data, image_size, HELD_OUT)
    if quick:
        kept = kept.subset(Generator(seed).numpy.permutation(len(kept))[:QUICK_DIGITS])
    if len(kept) < batch_size:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(kept)} "
                         "training digits")
    return kept


class _RunLog:
    """Attached to the Trainer as ``"run"``: the settings, checked when a checkpoint is loaded,
    and per epoch its number, the seconds it took and the means of :data:`SUMMARY`."""

    def __init__(self, settings):
        self.settings, self.epochs = settings, []

    def check(self, there):
        there = {**LATER_SETTINGS, **there}
        differ = [f"{k} {v!r} there, {self.settings[k]!r} here" if k in self.settings
                  else f"{k} {v!r} there" for k, v in there.items()
                  if not _same(k, self.settings.get(k), v)]
        if differ:
            raise ValueError("the checkpoint was written by a run with other settings: "
                             + "; ".join(differ))

    def state_dict(self):
        return {"settings": dict(self.settings), "epochs": json.dumps(self.epochs)}

    def load_state_dict(self, state):
        self.check(state["settings"])
        self.epochs = json.loads(state["epochs"])


def _same(key, here, there):
    """Whether a setting of the checkpoint (``there``) is this run's (``here``); data folders
    are compared as the folders they name (``mnist/`` and its absolute path are one)."""
    if key == "data" and here is not None and there is not None:
        return os.path.realpath(here) == os.path.realpath(there)
    return here == there


class DCGANRun:
    """G, D, their optimizers, the digits and the :class:`~minigan.gan.Trainer` of one run.

    The settings are PyTorch's example's flags: ``data`` (the folder of the MNIST files, None
    for the packaged copy), ``image_size`` (a power of two >= 16), ``batch_size``, ``nz``,
    ``ngf``, ``ndf``, ``lr``, ``beta1``, ``seed``, ``conditional``; ``quick`` trains on 256
    digits. The levers of issue 15 (``benchmarks/dcgan_levers.py`` measures each):

    - ``lr_d``, ``lr_g``: each player's own learning rate (None: ``lr``), for an imbalance in
      either direction (Heusel et al., 2017, train D faster than G);
    - ``real_label``: D's target for real digits, 1 by default; below 1 it is one-sided label
      smoothing (Salimans et al., 2016; :class:`~minigan.gan.methods.LabelSmoothing`);
    - ``spectral_norm``: D's convolutions spectrally normalised (``DCGANDiscriminator``'s
      option);
    - ``ema``: None, or the decay beta of an exponential moving average of G's weights
      (:class:`~minigan.optim.swa_utils.AveragedModel`, e.g. 0.99), updated after each step of
      G. After each epoch, before its grid is drawn and its checkpoint written, the average's
      batch-norm statistics are recomputed (:meth:`recompute_ema_bn`): averaged weights need
      their own. The sample grids are then drawn by the average (``G_ema``).

    ``device``: where the models train; ``doctor``: watch the run with a
    :class:`~minigan.gan.Doctor` (:meth:`build_doctor`).
    """

    def __init__(self, data=None, image_size=32, batch_size=64, nz=100, ngf=64, ndf=64,
                 lr=2e-4, lr_d=None, lr_g=None, beta1=0.5, real_label=1.0,
                 spectral_norm=False, seed=0, conditional=False, quick=False, ema=None,
                 device="cpu", doctor=False):
        real_label = check_real(real_label, "real_label", "DCGANRun", low=0, low_open=True,
                                high=1)
        if ema is not None:
            ema = check_real(ema, "ema", "DCGANRun", low=0, high=1, high_open=True)
        lr_d, lr_g = (None if rate is None else check_positive(rate, name, "DCGANRun")
                      for rate, name in ((lr_d, "lr_d"), (lr_g, "lr_g")))
        self.settings = {"data": data, "image_size": image_size, "batch_size": batch_size,
                         "nz": nz, "ngf": ngf, "ndf": ndf, "lr": lr, "lr_d": lr_d,
                         "lr_g": lr_g, "beta1": beta1, "real_label": real_label,
                         "spectral_norm": bool(spectral_norm), "seed": seed,
                         "conditional": conditional, "quick": quick, "ema": ema}
        self.device = device
        rng = Generator(seed)  # the one source of every random draw
        self.digits = training_digits(data, image_size, batch_size, quick, seed)
        classes = 10 if conditional else None
        self.G = DCGANGenerator(nz, ngf, 1, image_size, classes, generator=rng).to(device)
        self.D = DCGANDiscriminator(ndf, 1, image_size, classes, spectral_norm=spectral_norm,
                                    generator=rng).to(device)
        betas = (beta1, 0.999)
        opt_G = optim.Adam(self.G.parameters(), lr=lr if lr_g is None else lr_g, betas=betas)
        opt_D = optim.Adam(self.D.parameters(), lr=lr if lr_d is None else lr_d, betas=betas)
        # The sample grids: 64 draws, or 10 per class in class rows.
        self.fixed_z = sample_noise(100 if conditional else 64, (nz,), "normal", rng, device)
        self.fixed_labels = np.repeat(np.arange(10), 10) if conditional else None
        self.loader = DigitLoader(self.digits, batch_size, drop_last=True, size=image_size,
                                  generator=rng, device=device)
        self.G_ema = None if ema is None else AveragedModel(
            self.G, avg_fn=get_ema_avg_fn(ema), use_buffers=True)
        self.trainer = Trainer(self.G, self.D, opt_G, opt_D, self.loader,
                               batch_size=batch_size, noise_shape=(nz,),
                               method="gan" if real_label == 1 else LabelSmoothing(real_label),
                               conditional=conditional, seed=rng, averaged_G=self.G_ema)
        self.log = _RunLog(self.settings)
        self.trainer.attached["run"] = self.log
        self.doctor = self.build_doctor() if doctor else None

    @property
    def epoch(self):
        """Epochs trained so far."""
        return self.trainer.epoch

    @property
    def epochs(self):
        """Per epoch: its number, its seconds and the means of :data:`SUMMARY`."""
        return self.log.epochs

    @property
    def history(self):
        """The Trainer's per-step history."""
        return self.trainer.history

    def build_doctor(self):
        """A :class:`~minigan.gan.Doctor` probing once per epoch: G's images of its own fixed
        noise (a class each, in turn, for the conditional model) beside held-out digits; its
        own generators, so that the run's random draws are unchanged."""
        s = self.settings
        _, held_out = digit_split(s["data"], s["image_size"], HELD_OUT)
        real = DigitLoader(held_out, size=s["image_size"], device=self.device).sample(
            min(PROBE_IMAGES, len(held_out)), generator=Generator(s["seed"] + 1))
        noise = sample_noise(PROBE_IMAGES, (s["nz"],), "normal", Generator(s["seed"] + 2),
                             self.device)
        labels = np.arange(PROBE_IMAGES) % 10 if s["conditional"] else None
        steps = len(self.loader)
        return Doctor(ImageProbe(real, noise, labels=labels), probe_every=steps,
                      window=min(100, steps))

    def train(self, epochs, checkpoint=None, callback=None, progress=True, advice=None):
        """Train until ``epochs`` epochs are done, saving to ``checkpoint`` after each one;
        ``callback(run)`` runs after each epoch's summary is recorded, before its checkpoint
        is written. Returns self."""
        steps = len(self.loader)

        def after_epoch(trainer):
            history = trainer.history
            self.log.epochs.append({"epoch": trainer.epoch,
                                    "seconds": round(trainer.epoch_seconds, 3),
                                    **{m: float(np.mean(history[m][-steps:]))
                                       for m in SUMMARY}})
            self.recompute_ema_bn()
            if callback is not None:
                callback(self)

        self.trainer.fit_epochs(max(0, epochs - self.epoch), callback=after_epoch,
                                checkpoint=checkpoint, progress=progress, doctor=self.doctor,
                                advice=advice)
        return self

    def load_checkpoint(self, path):
        """Continue from the checkpoint at ``path`` (one of an older command is converted);
        returns self. A file of another kind raises
        :class:`~minigan.serialization.CheckpointError` saying what it holds; one of other
        settings a ValueError naming them."""
        state = load(path)
        where = repr(os.fspath(path))
        if isinstance(state, dict) and "step" not in state and "epochs" in state:
            state = convert_old_checkpoint(
                expect_keys(state, OLD_CHECKPOINT_KEYS, _WHAT, where), self.trainer.config)
        expect_keys(state, ("step", "config", "G", "D"), _WHAT, where)
        run = state.get("attached", {}).get("run")
        if run is None:
            raise CheckpointError(f"{where} is not {_WHAT}: it is a Trainer checkpoint "
                                  "without the settings of a DCGAN run (attached 'run')")
        self.log.check(run["settings"])  # the settings first: they say what differs
        self.trainer.load_state_dict(state)
        return self

    def recompute_ema_bn(self):
        """Recompute G_ema's batch-norm running statistics (:func:`update_bn`) from
        :data:`BN_BATCHES` batches of noise (with labels 0..9 in turn for the conditional
        model) drawn by ``Generator(seed + 3)``: the same batches every time, and none of the
        run's own draws, so that a resumed run stays bit-exact. Nothing to do without ``ema``.
        """
        if self.G_ema is None:
            return
        s = self.settings
        rng, n = Generator(s["seed"] + 3), s["batch_size"]
        labels = np.arange(n) % 10 if s["conditional"] else None
        update_bn([(z, labels) if s["conditional"] else z
                   for z in (sample_noise(n, (s["nz"],), "normal", rng, self.device)
                             for _ in range(BN_BATCHES))], self.G_ema)

    @property
    def G_sampled(self):
        """The generator whose images are looked at: the average ``G_ema`` when the run keeps
        one, else G."""
        return self.G if self.G_ema is None else self.G_ema

    def samples(self):
        """The images of the fixed noise (and labels) of the sample grids, by
        :attr:`G_sampled`."""
        return generate(self.G_sampled, self.fixed_z, self.fixed_labels)


def convert_old_checkpoint(state, config):
    """A checkpoint of the DCGAN command before it ran on the Trainer (the keys of
    :data:`OLD_CHECKPOINT_KEYS`) in today's format. ``config``: the Trainer's configuration of
    the run (the old command always played the GAN with k = 1 and normal noise). The old
    command did not record gradient norms: their history before the conversion is NaN."""
    history = state["history"]
    steps = len(history["step"])
    return {"step": steps, "epoch": int(state["epoch"]), "config": dict(config),
            "rng": state["rng"], "G": state["G"], "D": state["D"],
            "opt_G": state["opt_G"], "opt_D": state["opt_D"],
            "history": {"step": history["step"],
                        **{m: history[m] if m in history else np.full(steps, np.nan)
                           for m in MEASURES}},
            "attached": {"run": {"settings": state["config"], "epochs": state["epochs"]}}}


def train_dcgan(out, epochs, progress=True, **settings):
    """A :class:`DCGANRun` of ``settings`` trained to ``epochs`` epochs with its checkpoint in
    ``out``/checkpoint.npz, resumed from there when it exists (and only loaded when that run
    already reached ``epochs``): how tutorials reuse a model of ``python -m minigan dcgan``."""
    run = DCGANRun(**settings)
    checkpoint = os.path.join(out, "checkpoint.npz")
    if os.path.isfile(checkpoint):
        run.load_checkpoint(checkpoint)
    return run.train(epochs, checkpoint, progress=progress)
