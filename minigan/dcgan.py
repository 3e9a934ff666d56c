"""Train a DCGAN on handwritten digits: ``python -m minigan.dcgan [options]``.

The flags follow PyTorch's DCGAN example, in snake case::

    python -m minigan.dcgan --epochs 20 --out runs/dcgan            # the packaged MNIST
    python -m minigan.dcgan --data ~/mnist --image_size 32 --epochs 5  # the MNIST files
    python -m minigan.dcgan --conditional --epochs 20 --out runs/cdcgan
    python -m minigan.dcgan --resume --epochs 30 --out runs/dcgan   # 20 -> 30 epochs

Each epoch serves every training digit once (in a fresh shuffled order, full batches) to
:func:`minigan.gan.train_step`: one update of D on a real batch and a fake one, then one of G
with the non-saturating loss, both with Adam(lr, betas=(beta1, 0.999)). The digits held out by
``Digits.split(0.2, seed=0)`` are never trained on: they are the evaluation's (see
:mod:`minigan.gan.evaluation`). With ``--conditional`` both players also see each digit's
class, and G draws the classes of the real batch it is played against.

Written to ``--out``:

- ``samples_epoch_NNN.png``: G's images of one fixed noise batch after each epoch (for the
  conditional model, row r is class r), so that the grids of successive epochs are comparable;
- ``loss_curves.png``: the losses and the mean D(x), D(G(z)) against the step;
- ``metrics.csv`` (one row per step) and ``metrics.json`` (the configuration, and per epoch
  the mean of each measure and the seconds it took);
- ``checkpoint.npz``, written atomically after every epoch: the models, the optimizers, the
  random generator's state, the epoch and the history. ``--resume`` continues from it to
  ``--epochs`` (more than the checkpoint's) exactly as the uninterrupted run would have (bit
  for bit on the CPU). A run that diverges (:func:`minigan.gan.trainer.check_divergence`: NaN,
  or losses grown 10,000-fold) stops with exit status 1 before overwriting it; Ctrl-C or
  SIGTERM stop with status 130, the last checkpoint whole;
- with ``--doctor``: ``doctor.txt`` (the report, also printed), ``doctor.json`` and
  ``doctor.png`` of :mod:`minigan.gan.doctor`, which probes G once per epoch against held-out
  digits (its own noise and digits: the run's random draws are unchanged) and stops a
  diverging run. It watches the steps of this invocation: after ``--resume``, its gradient
  scale is taken at the first resumed step.

``--quick`` is a smoke run: 256 digits and 2 epochs, ngf = ndf = 16 unless given.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np

from . import backend, nn, optim
from .data import DigitLoader, Digits, load_digits
from .gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    Doctor,
    ImageProbe,
    TrainingDivergedError,
    generate,
    grad_norm,
    sample_noise,
)
from .gan.step import train_step
from .gan.trainer import check_divergence
from .random import Generator
from .serialization import check_folder, expect_keys, load, save, sigterm_as_interrupt
from .viz import draw_loss_curves, require_pyplot, save_dashboard, save_image_grid

try:
    from tqdm import tqdm
except ImportError:  # the bar is a nicety: without tqdm the loop prints one line per epoch
    tqdm = None

MEASURES = ("d_loss", "g_loss", "d_real", "d_fake")
HELD_OUT = 0.2  # the fraction of every class kept away from the GAN, for the evaluation
QUICK_DIGITS = 256
PROBE_IMAGES = 256  # G's images and held-out digits the doctor compares at each probe
# Settings a resumed run must share with the run that wrote the checkpoint.
_FIXED = ("data", "image_size", "batch_size", "nz", "ngf", "ndf", "lr", "beta1", "seed",
          "conditional", "quick")
CHECKPOINT_KEYS = ("config", "epoch", "rng", "G", "D", "opt_G", "opt_D", "history", "epochs")
"""What ``checkpoint.npz`` holds (:meth:`Run.state_dict`)."""


# -- the command line -----------------------------------------------------------------------------
def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m minigan.dcgan", description="Train a DCGAN on handwritten digits.")
    add = parser.add_argument
    add("--data", default=None,
        help="folder of the MNIST IDX files (default: the copy of MNIST that ships inside "
             "minigan)")
    add("--image_size", type=int, default=32, help="side of the images, a power of two >= 16")
    add("--batch_size", type=int, default=64)
    add("--nz", type=int, default=100, help="size of the latent vector z")
    add("--ngf", type=int, default=None, help="width of G (default 64; 16 with --quick)")
    add("--ndf", type=int, default=None, help="width of D (default 64; 16 with --quick)")
    add("--epochs", type=int, default=None, help="epochs to train to (default 25; 2 with --quick)")
    add("--lr", type=float, default=2e-4, help="Adam's learning rate, both players")
    add("--beta1", type=float, default=0.5, help="Adam's beta1")
    add("--seed", type=int, default=0)
    add("--device", default="cpu", help='"cpu" or "cuda"')
    add("--out", default=os.path.join("runs", "dcgan"), help="folder for everything written")
    add("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
        help="continue from CHECKPOINT (default: OUT/checkpoint.npz)")
    add("--conditional", action="store_true", help="condition both players on the class")
    add("--quick", action="store_true", help="a smoke run: 256 digits, 2 epochs, small nets")
    add("--no_progress", action="store_true", help="no progress bar")
    add("--doctor", action="store_true",
        help="diagnose the training: status in the progress bar, a report at the end, "
             "doctor.png/json/txt in --out")
    return parser


def parse_args(argv=None):
    """The options, with the defaults that depend on ``--quick`` filled in and every value
    checked; a bad one exits with a message naming the flag (argparse's ``error``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    small = 16 if args.quick else 64
    args.ngf = small if args.ngf is None else args.ngf
    args.ndf = small if args.ndf is None else args.ndf
    args.epochs = (2 if args.quick else 25) if args.epochs is None else args.epochs
    size = args.image_size
    if size < 16 or size & (size - 1):
        parser.error(f"--image_size must be a power of two >= 16 (16, 32, 64...), got {size}")
    for flag in ("batch_size", "nz", "ngf", "ndf", "epochs"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be >= 1, got {getattr(args, flag)}")
    if not (args.lr > 0 and math.isfinite(args.lr)):
        parser.error(f"--lr must be a positive number, got {args.lr}")
    if not 0 <= args.beta1 < 1:
        parser.error(f"--beta1 must lie in [0, 1), got {args.beta1}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if args.data is not None and not os.path.isdir(args.data):
        parser.error(f"--data: no folder {args.data!r}; give the folder that holds the MNIST "
                     "files (train-images-idx3-ubyte...), or leave --data out for the copy of "
                     "MNIST that ships with minigan")
    try:
        args.device = backend.check_device(args.device)
    except (ValueError, RuntimeError) as error:
        parser.error(f"--device: {error}")
    try:
        check_folder(args.out)
    except ValueError as error:
        parser.error(f"--out: {error}")
    if args.resume == "":
        args.resume = os.path.join(args.out, "checkpoint.npz")
    if args.resume is not None and not os.path.isfile(args.resume):
        parser.error(f"--resume: no checkpoint {args.resume!r}")
    return args


# -- the pieces of a run --------------------------------------------------------------------------
def shrink(digits, size):
    """``digits`` (28 x 28) at a side ``size`` < 28 (16): padded with paper to 32 x 32, then
    each block of (32 / size)^2 pixels averaged. Larger sides need no resizing: the loader pads."""
    factor = 32 // size
    padded = np.pad(digits.images, ((0, 0), (2, 2), (2, 2)))
    blocks = padded.reshape(len(digits), size, factor, size, factor)
    # float32 sums of at most 16 pixels are exact, and no float copy of 60,000 digits is made
    means = blocks.mean(axis=(2, 4), dtype=np.float32)
    return Digits(np.rint(means).astype(np.uint8), digits.labels)


def digit_split(args):
    """(kept, held out): the digits of ``Digits.split(HELD_OUT, seed=0)``, of side
    ``--image_size``."""
    parts = load_digits(args.data).split(HELD_OUT, seed=0)
    return tuple(shrink(p, args.image_size) for p in parts) if args.image_size < 28 else parts


def training_digits(args):
    """The digits G learns from: all but the held-out split (256 of them with --quick), of side
    ``--image_size``."""
    kept, _ = digit_split(args)
    if args.quick:
        kept = kept.subset(Generator(args.seed).numpy.permutation(len(kept))[:QUICK_DIGITS])
    if len(kept) < args.batch_size:
        raise ValueError(f"--batch_size {args.batch_size} is larger than the {len(kept)} "
                         "training digits")
    return kept


def build_models(args, generator):
    """G and D for ``args``, their weights drawn from ``generator``, on ``args.device``."""
    classes = 10 if args.conditional else None
    G = DCGANGenerator(args.nz, args.ngf, 1, args.image_size, classes, generator=generator)
    D = DCGANDiscriminator(args.ndf, 1, args.image_size, classes, generator=generator)
    return G.to(args.device), D.to(args.device)


def fixed_inputs(args, generator):
    """The noise (and labels) of the sample grids: 64 draws, or 10 per class in class rows."""
    n = 100 if args.conditional else 64
    z = sample_noise(n, (args.nz,), "normal", generator, args.device)
    labels = np.repeat(np.arange(10), 10) if args.conditional else None
    return z, labels


class WithLabels(nn.Module):
    """``model`` with its labels bound: ``WithLabels(D, y)(x) = D(x, y)``. It lets the one
    :func:`~minigan.gan.train_step` play the conditional game too: within a step, real and
    fake batches carry the same classes y."""

    def __init__(self, model, labels):
        super().__init__()
        self.model, self.labels = model, labels

    def forward(self, x):
        return self.model(x, self.labels)


# -- the run --------------------------------------------------------------------------------------
class Run:
    """Everything a training run holds; :meth:`state_dict` is its checkpoint."""

    def __init__(self, args):
        self.args = args
        self.rng = Generator(args.seed)  # the one source of every random draw
        self.digits = training_digits(args)
        self.G, self.D = build_models(args, self.rng)
        betas = (args.beta1, 0.999)
        self.opt_G = optim.Adam(self.G.parameters(), lr=args.lr, betas=betas)
        self.opt_D = optim.Adam(self.D.parameters(), lr=args.lr, betas=betas)
        self.fixed_z, self.fixed_labels = fixed_inputs(args, self.rng)
        self.loader = DigitLoader(self.digits, args.batch_size, drop_last=True,
                                  size=args.image_size, generator=self.rng, device=args.device)
        self.epoch = 0
        self.history = {"epoch": [], "step": [], **{m: [] for m in MEASURES}}
        self.epochs = []  # per epoch: its number, the means of the measures, its seconds
        self.doctor = self.build_doctor() if args.doctor else None
        self.saved = None  # (epoch, path) of the last checkpoint written or resumed from

    def build_doctor(self):
        """A :class:`~minigan.gan.Doctor` probing once per epoch: G's images of its own fixed
        noise (a class each, in turn, for the conditional model) beside held-out digits."""
        args = self.args
        _, held_out = digit_split(args)
        real = DigitLoader(held_out, size=args.image_size, device=args.device).sample(
            min(PROBE_IMAGES, len(held_out)), generator=Generator(args.seed + 1))
        noise = sample_noise(PROBE_IMAGES, (args.nz,), "normal", Generator(args.seed + 2),
                             args.device)
        labels = np.arange(PROBE_IMAGES) % 10 if args.conditional else None
        steps = len(self.loader)
        return Doctor(ImageProbe(real, noise, labels=labels), probe_every=steps,
                      window=min(100, steps))

    def config(self):
        return {k: getattr(self.args, k) for k in _FIXED}

    def state_dict(self):
        return {"config": self.config(), "epoch": self.epoch, "rng": self.rng.get_state(),
                "G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                "history": {k: np.asarray(v, dtype=np.int64 if k in ("epoch", "step")
                                          else np.float64) for k, v in self.history.items()},
                "epochs": json.dumps(self.epochs)}

    def load_state_dict(self, state):
        here = self.config()
        differ = [f"--{k} {v!r} there, {here[k]!r} here" if k in here else f"--{k} {v!r} there"
                  for k, v in state["config"].items() if not _same(k, here.get(k), v)]
        if differ:
            raise ValueError("--resume: the checkpoint was written by a run with other settings: "
                             + "; ".join(differ))
        for name in ("G", "D", "opt_G", "opt_D"):
            getattr(self, name).load_state_dict(state[name])
        self.rng.set_state(state["rng"])
        self.epoch = int(state["epoch"])
        self.history = {k: np.asarray(v).tolist() for k, v in state["history"].items()}
        self.epochs = json.loads(state["epochs"])

    def train_epoch(self, bar=None):
        """One pass over the training digits; returns the seconds it took."""
        start = time.perf_counter()
        self.epoch += 1
        for real, labels in self.loader:
            z = sample_noise(len(real), (self.args.nz,), "normal", self.rng, self.args.device)
            G, D = self.G, self.D
            if self.args.conditional:
                G, D = WithLabels(G, labels), WithLabels(D, labels)
            record = train_step(G, D, self.opt_G, self.opt_D, lambda r=real: r, lambda z=z: z)
            step = len(self.history["step"]) + 1
            if self.doctor is not None:  # first, so that it records a divergence it stops
                record.update(d_grad_norm=grad_norm(self.D), g_grad_norm=grad_norm(self.G))
                self.doctor.update(step, record, self.G)
            check_divergence(step, record, self.history, self.doctor, self.kept(),
                             "start again with a lower --lr (a resumed run keeps the "
                             "--lr it was started with)")
            self.record(record)
            if bar is not None:
                bar.update()
                status = {} if self.doctor is None else {"doctor": self.doctor.status()}
                bar.set_postfix(epoch=self.epoch, d_loss=f"{record['d_loss']:.3f}",
                                g_loss=f"{record['g_loss']:.3f}",
                                **{"D(x)": f"{record['d_real']:.2f}",
                                   "D(G(z))": f"{record['d_fake']:.2f}"}, **status,
                                refresh=False)
        seconds = time.perf_counter() - start
        this = [i for i, e in enumerate(self.history["epoch"]) if e == self.epoch]
        self.epochs.append({"epoch": self.epoch, "seconds": round(seconds, 3),
                            **{m: float(np.mean([self.history[m][i] for i in this]))
                               for m in MEASURES}})
        return seconds

    def kept(self):
        """Which checkpoint a run stopped now leaves, in words."""
        if self.saved is None:
            return "no checkpoint was written"
        epoch, path = self.saved
        return f"the checkpoint of epoch {epoch} in {path} is kept (not overwritten)"

    def record(self, record):
        self.history["epoch"].append(self.epoch)
        self.history["step"].append(len(self.history["step"]) + 1)
        for m in MEASURES:
            self.history[m].append(record[m])

    def samples(self):
        return generate(self.G, self.fixed_z, self.fixed_labels)


# -- what a run writes ----------------------------------------------------------------------------
def write_outputs(run, out):
    """The sample grid of this epoch, the loss curves and the metrics files, under ``out``."""
    save_image_grid(run.samples(), os.path.join(out, f"samples_epoch_{run.epoch:03d}.png"),
                    nrow=10 if run.args.conditional else 8)
    fig = draw_loss_curves(run.history, epoch_steps=len(run.loader),
                           title=f"DCGAN on digits, {run.epoch} epochs")
    fig.savefig(os.path.join(out, "loss_curves.png"), dpi=100)
    require_pyplot().close(fig)
    with open(os.path.join(out, "metrics.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", "step", *MEASURES])
        writer.writerows(zip(*(run.history[k] for k in ("epoch", "step", *MEASURES))))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"config": run.config(), "training_digits": len(run.digits),
                   "steps_per_epoch": len(run.loader), "epochs": run.epochs}, f, indent=1)


def train(args, finished=False):
    """Run (or resume) the training that ``args`` describes; returns the :class:`Run`. A
    checkpoint that has already trained ``--epochs`` epochs is an error, unless ``finished``
    (then nothing is trained)."""
    os.makedirs(args.out, exist_ok=True)
    run = Run(args)
    if args.resume is not None:
        state = expect_keys(load(args.resume), CHECKPOINT_KEYS,
                            "a checkpoint of python -m minigan.dcgan", f"--resume {args.resume}")
        run.load_state_dict(state)
        if args.epochs < run.epoch or (args.epochs == run.epoch and not finished):
            least = f">= {run.epoch}" if finished else f"> {run.epoch}"
            raise ValueError(f"--epochs {args.epochs}: the checkpoint {args.resume} has already "
                             f"trained {run.epoch} epochs; --epochs must be {least}")
        run.saved = (run.epoch, args.resume)
        print(f"resumed from {args.resume} after epoch {run.epoch}")
    todo = max(0, args.epochs - run.epoch)
    show = tqdm is not None and not args.no_progress and todo > 0
    bar = tqdm(total=todo * len(run.loader), desc="DCGAN", unit="step") if show else None
    try:
        while run.epoch < args.epochs:
            seconds = run.train_epoch(bar)
            path = os.path.join(args.out, "checkpoint.npz")
            save(run.state_dict(), path)
            run.saved = (run.epoch, path)
            write_outputs(run, args.out)
            if bar is None:
                last = run.epochs[-1]
                print(f"epoch {run.epoch}/{args.epochs} ({seconds:.1f} s): "
                      + ", ".join(f"{m} {last[m]:.3f}" for m in MEASURES))
    finally:
        if bar is not None:
            bar.close()
        if run.doctor is not None and run.doctor.last_step is not None:
            write_doctor(run.doctor, args.out)
    return run


def write_doctor(doctor, out):
    """Print the doctor's report and write its files (also after a divergence it stopped)."""
    print(doctor.report())
    for path in doctor.save(out) + [save_dashboard(doctor, os.path.join(out, "doctor.png"),
                                                   "DCGAN on digits")]:
        print(f"[wrote] {path}")


def resume_or_train(argv):
    """:func:`train` for the command-line arguments ``argv``, resuming from ``OUT/checkpoint.npz``
    when it exists (no training at all when that run already reached ``--epochs``): the way
    tutorials reuse a model trained by the command."""
    args = parse_args(argv)
    checkpoint = os.path.join(args.out, "checkpoint.npz")
    if args.resume is None and os.path.isfile(checkpoint):
        args.resume = checkpoint
    return train(args, finished=True)


def _last_checkpoint(out):
    """Where an interrupted run can be resumed from, in words."""
    path = os.path.join(out, "checkpoint.npz")
    if os.path.isfile(path):
        return f"the last checkpoint (written after each epoch) is {path}: continue with --resume"
    return "no checkpoint was written yet"


def _same(key, here, there):
    """Whether a setting of the checkpoint (``there``) is this run's (``here``); data folders
    are compared as the folders they name (``mnist/`` and its absolute path are one)."""
    if key == "data" and here is not None and there is not None:
        return os.path.realpath(here) == os.path.realpath(there)
    return here == there


def main(argv=None):
    args = parse_args(argv)
    try:
        with sigterm_as_interrupt():
            train(args)
    except (ValueError, FileNotFoundError, ImportError, TrainingDivergedError) as error:
        print(f"python -m minigan.dcgan: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a save under way removed its temporary file
        print(f"python -m minigan.dcgan: interrupted; {_last_checkpoint(args.out)}",
              file=sys.stderr)
        return 130
    print(f"done: {args.epochs} epochs; figures, metrics and checkpoint in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
