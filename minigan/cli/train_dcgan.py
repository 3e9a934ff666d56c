"""Train a DCGAN on handwritten digits: ``python -m minigan dcgan [options]``.

The flags follow PyTorch's DCGAN example, in snake case::

    python -m minigan dcgan --epochs 20 --out runs/dcgan            # the packaged MNIST
    python -m minigan dcgan --data ~/mnist --image_size 32 --epochs 5  # the MNIST files
    python -m minigan dcgan --conditional --epochs 20 --out runs/cdcgan
    python -m minigan dcgan --resume --epochs 30 --out runs/dcgan   # 20 -> 30 epochs

The run is a :class:`~minigan.gan.dcgan_training.DCGANRun` (the recipe, the digits held out
for the evaluation, the order of the random draws), trained epoch by epoch by the
:class:`~minigan.gan.Trainer`. With ``--conditional`` both players also see each digit's
class, and G draws the classes of the real batch it is played against.

Written to ``--out``:

- ``samples_epoch_NNN.png``: G's images of one fixed noise batch after each epoch (for the
  conditional model, row r is class r), so that the grids of successive epochs are comparable;
- ``loss_curves.png``: the losses and the mean D(x), D(G(z)) against the step;
- ``metrics.csv`` (one row per step) and ``metrics.json`` (the configuration, and per epoch
  the mean of each measure and the seconds it took);
- ``checkpoint.npz``, written atomically after every epoch: the Trainer's state (models,
  optimizers, the random generator's state, the step and epoch, the history) with the run's
  settings and summaries. ``--resume`` continues from it to ``--epochs`` (more than the
  checkpoint's) exactly as the uninterrupted run would have (bit for bit on the CPU); a
  checkpoint of the command's older format is converted. A run that diverges
  (:func:`minigan.gan.divergence.check_divergence`: NaN, or losses grown 10,000-fold) stops
  with exit status 1 before overwriting it; Ctrl-C or SIGTERM stop with status 130, the last
  checkpoint whole;
- with ``--doctor``: ``doctor.txt`` (the report, also printed), ``doctor.json`` and
  ``doctor.png`` of :mod:`minigan.gan.doctor`, which probes G once per epoch against held-out
  digits (its own noise and digits: the run's random draws are unchanged) and stops a
  diverging run. It watches the steps of this invocation: after ``--resume``, its scales (the
  gradient's and the losses') are taken at the first resumed step.

``--quick`` is a smoke run: 256 digits and 2 epochs, ngf = ndf = 16 unless given.
"""

import argparse
import csv
import importlib.util
import json
import math
import os
import sys

from .._checks import check_non_negative_int, check_positive_int, check_real
from ..gan import TrainingDivergedError
from ..gan.dcgan_training import SETTINGS, SUMMARY, DCGANRun
from ..serialization import sigterm_as_interrupt
from ..viz import draw_loss_curves, require_pyplot, save_image_grid
from .common import check_flag, check_out, checked_device, interrupted, write_doctor

PROG = "python -m minigan dcgan"
ADVICE = "start again with a lower --lr (a resumed run keeps the --lr it was started with)"


# -- the command line -----------------------------------------------------------------------------
def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Train a DCGAN on handwritten digits.")
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
    add("--lr_d", type=float, default=None, help="D's learning rate (default: --lr)")
    add("--lr_g", type=float, default=None, help="G's learning rate (default: --lr)")
    add("--beta1", type=float, default=0.5, help="Adam's beta1")
    add("--real_label", type=float, default=1.0,
        help="D's target for real digits; below 1 (e.g. 0.9) it is one-sided label smoothing")
    add("--spectral_norm", action="store_true",
        help="spectral normalisation of D's convolutions (Miyato et al., 2018)")
    add("--seed", type=int, default=0)
    add("--device", default="cpu", help='"cpu" or "cuda"')
    add("--out", default=os.path.join("runs", "dcgan"), help="folder for everything written")
    add("--resume", nargs="?", const="", default=None, metavar="CHECKPOINT",
        help="continue from CHECKPOINT (default: OUT/checkpoint.npz)")
    add("--conditional", action="store_true", help="condition both players on the class")
    add("--ema", type=float, default=None, metavar="DECAY",
        help="sample from an exponential moving average of G's weights with this decay "
             "(e.g. 0.99; ProGAN's is 0.999), its batch-norm statistics recomputed after each "
             "epoch; default: sample from G")
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
        check_flag(parser, args, flag, check_positive_int)
    for flag in ("lr", "lr_d", "lr_g"):
        if getattr(args, flag) is not None:
            check_flag(parser, args, flag, check_real, low=0, low_open=True, high=math.inf,
                       high_open=True, what="a finite number")
    check_flag(parser, args, "real_label", check_real, low=0, low_open=True, high=1)
    check_flag(parser, args, "beta1", check_real, low=0, high=1, high_open=True)
    check_flag(parser, args, "seed", check_non_negative_int)
    if args.ema is not None:
        check_flag(parser, args, "ema", check_real, low=0, high=1, high_open=True)
    if args.data is not None and not os.path.isdir(args.data):
        parser.error(f"--data: no folder {args.data!r}; give the folder that holds the MNIST "
                     "files (train-images-idx3-ubyte...), or leave --data out for the copy of "
                     "MNIST that ships with minigan")
    args.device = checked_device(parser, args.device)
    check_out(parser, args.out)
    if args.resume == "":
        args.resume = os.path.join(args.out, "checkpoint.npz")
    if args.resume is not None and not os.path.isfile(args.resume):
        parser.error(f"--resume: no checkpoint {args.resume!r}")
    return args


def build_run(args):
    """The :class:`DCGANRun` that ``args`` describe."""
    return DCGANRun(**{k: getattr(args, k) for k in SETTINGS}, device=args.device,
                    doctor=args.doctor)


# -- what a run writes ----------------------------------------------------------------------------
def write_outputs(run, out):
    """The sample grid of this epoch, the loss curves and the metrics files, under ``out``."""
    save_image_grid(run.samples(), os.path.join(out, f"samples_epoch_{run.epoch:03d}.png"),
                    nrow=10 if run.settings["conditional"] else 8)
    steps = len(run.loader)
    fig = draw_loss_curves(run.history, epoch_steps=steps,
                           title=f"DCGAN on digits, {run.epoch} epochs")
    fig.savefig(os.path.join(out, "loss_curves.png"), dpi=100)
    require_pyplot().close(fig)
    with open(os.path.join(out, "metrics.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", "step", *SUMMARY])
        epochs = [(step - 1) // steps + 1 for step in run.history["step"]]
        writer.writerows(zip(epochs, *(run.history[k] for k in ("step", *SUMMARY))))
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"config": run.settings, "training_digits": len(run.digits),
                   "steps_per_epoch": steps, "epochs": run.epochs}, f, indent=1)


def train(args):
    """Run (or resume) the training that ``args`` describes; returns the :class:`DCGANRun`."""
    os.makedirs(args.out, exist_ok=True)
    run = build_run(args)
    if args.resume is not None:
        try:
            run.load_checkpoint(args.resume)
        except ValueError as error:
            raise ValueError(f"--resume: {error}") from None
        if args.epochs <= run.epoch:
            raise ValueError(f"--epochs {args.epochs}: the checkpoint {args.resume} has already "
                             f"trained {run.epoch} epochs; --epochs must be > {run.epoch}")
        print(f"resumed from {args.resume} after epoch {run.epoch}")

    lines = args.no_progress or importlib.util.find_spec("tqdm") is None  # else a bar

    def after_epoch(run):
        write_outputs(run, args.out)
        if lines:
            last = run.epochs[-1]
            print(f"epoch {run.epoch}/{args.epochs} ({last['seconds']:.1f} s): "
                  + ", ".join(f"{m} {last[m]:.3f}" for m in SUMMARY))

    try:
        run.train(args.epochs, os.path.join(args.out, "checkpoint.npz"), after_epoch,
                  progress=not args.no_progress, advice=ADVICE)
    finally:
        if run.doctor is not None and run.doctor.last_step is not None:
            write_doctor(run.doctor, args.out, "DCGAN on digits")
    return run


def main(argv=None):
    args = parse_args(argv)
    try:
        with sigterm_as_interrupt():
            train(args)
    except (ValueError, FileNotFoundError, ImportError, TrainingDivergedError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a save under way removed its temporary file
        print(interrupted(PROG, os.path.join(args.out, "checkpoint.npz"),
                          "continue with --resume"), file=sys.stderr)
        return 130
    print(f"done: {args.epochs} epochs; figures, metrics and checkpoint in {args.out}")
    return 0
