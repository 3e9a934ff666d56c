"""Train a GAN on a 2D Gaussian mixture from the command line, and draw what happened.

    python -m minigan mixture --dataset ring --method pacgan2 --seed 0 --out runs/ring-pacgan2
    python -m minigan mixture --dataset grid --method gan --preset paper --steps 20000 --out runs/g
    python -m minigan mixture --method wgan --option clip=0.05 --quick --out runs/try
    python -m minigan mixture --device cuda --out runs/ring-gpu        # on the GPU (CuPy)

One run of :func:`minigan.gan.experiment.run_mixture` (a progress bar while it trains), with a
snapshot of the game at each evaluation of the mode metrics, then in ``--out``:

- ``samples.png``: G's samples at the end over the data's modes, D(x) as contours;
- ``training.png``: a strip of snapshots over training;
- ``training.gif``: the same, one frame per snapshot;
- ``metrics.png``: the mode metrics over training (modes captured, % high quality, reverse KL);
- ``metrics.json``: the final metrics, their curves, the configuration and the seconds taken;
- ``checkpoint.npz``, written atomically every ``--checkpoint_every`` steps (by default at
  each evaluation) and at the end: the players, the optimizers, the random generator's state,
  the history, the curves and the snapshots. After an interruption (Ctrl-C, SIGTERM, a crash),
  the same command with ``--resume`` continues from it to the numbers and files of the
  uninterrupted run (bit for bit on the CPU);
- with ``--doctor``: ``doctor.txt`` (the report, also printed), ``doctor.json`` and
  ``doctor.png`` (the dashboard) of :mod:`minigan.gan.doctor`, which probes G at every
  evaluation and stops a diverging run (exit status 1, after writing its files).

Needs matplotlib (``pip install minigan[plots]``).
"""

import argparse
import ast
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path

from ..gan.doctor import Doctor, MixtureProbe
from ..gan.experiment import DATASETS, mixture_dataset, run_mixture
from ..gan.methods import METHODS, make_method
from ..gan.metrics import EVAL_SAMPLES, ModeMetrics
from ..gan.presets import PRESETS, get_preset
from ..gan.trainer import TrainingDivergedError
from ..serialization import sigterm_as_interrupt
from .common import check_out, checked_device, interrupted, write_doctor

QUICK_STEPS, QUICK_EVALUATIONS = 60, 5  # --quick: a smoke test of the whole pipeline
MAX_FRAMES = 40  # at most this many snapshots (and GIF frames), evenly spread over the run
STRIP_PANELS = 6  # panels of training.png
SNAPSHOT_SAMPLES = 1000  # G's samples drawn in each snapshot
CHECKPOINT = "checkpoint.npz"
FILES = ("samples.png", "training.png", "training.gif", "metrics.png", "metrics.json",
         CHECKPOINT)
"""What a run writes into ``--out``."""


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _option(text):
    """``NAME=VALUE`` with VALUE a Python literal (``clip=0.05``, ``steps=10``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"the value of {name} must be a number, a string in "
                                         f"quotes, True or False; got {value!r}") from None


def parser():
    p = argparse.ArgumentParser(
        prog="python -m minigan mixture",
        description="Train a GAN on a 2D Gaussian mixture; write figures, an animation and the "
                    "mode metrics.")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="ring",
                   help="8 modes on a ring or 25 on a grid (default: ring)")
    p.add_argument("--method", choices=METHODS, default="gan", metavar="METHOD",
                   help=f"the GAN variant, one of: {', '.join(METHODS)} (default: gan)")
    p.add_argument("--option", type=_option, action="append", default=[], metavar="NAME=VALUE",
                   help="an option of the method, e.g. clip=0.05 for wgan (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seeds everything random (default: 0)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="classroom",
                   help="players, optimiser, batch and run length (default: classroom)")
    p.add_argument("--steps", type=_positive_int,
                   help="generator updates (default: the preset's)")
    p.add_argument("--eval_every", type=_positive_int,
                   help="steps between two evaluations and snapshots (default: the preset's)")
    p.add_argument("--quick", action="store_true",
                   help=f"a short run ({QUICK_STEPS} steps unless --steps), for smoke tests")
    p.add_argument("--device", default="cpu", help='"cpu" (default) or "cuda"')
    p.add_argument("--out", type=Path, required=True, help="folder for the files")
    p.add_argument("--checkpoint_every", "--checkpoint-every", type=_positive_int,
                   metavar="N", help="steps between two checkpoints in --out (default: "
                                     "--eval_every)")
    p.add_argument("--resume", action="store_true",
                   help=f"continue the interrupted run from --out/{CHECKPOINT} (same flags)")
    p.add_argument("--no_progress", action="store_true", help="no progress bar")
    p.add_argument("--doctor", action="store_true",
                   help="diagnose the training (status in the progress bar, a report at the "
                        "end, doctor.png/json/txt in --out)")
    return p


def parse_args(argv=None):
    """The parsed command line; errors (exit status 2) name the argument and what it
    expects."""
    p = parser()
    args = p.parse_args(argv)
    args.options = dict(args.option)
    try:
        make_method(args.method, **args.options)  # unknown or bad options fail here, not later
    except (TypeError, ValueError) as exc:
        p.error(f"argument --option: {exc}")
    args.device = checked_device(p, args.device, "argument --device")
    if args.seed < 0:
        p.error(f"argument --seed: expected a whole number >= 0, got {args.seed}")
    check_out(p, args.out, "argument --out")
    if args.resume and not (args.out / CHECKPOINT).is_file():
        p.error(f"argument --resume: no checkpoint {args.out / CHECKPOINT} to continue from")
    preset = get_preset(args.preset)
    if args.steps is None:
        args.steps = QUICK_STEPS if args.quick else preset.steps
    if args.eval_every is None:
        args.eval_every = max(1, args.steps // QUICK_EVALUATIONS) if args.quick \
            else min(preset.eval_every, args.steps)
    if args.checkpoint_every is None:
        args.checkpoint_every = args.eval_every
    return args


def _frame_steps(steps, eval_every):
    """The evaluation steps that get a snapshot: at most :data:`MAX_FRAMES`, evenly spread,
    always the first (step 0) and the last."""
    evaluations = list(range(0, steps + 1, eval_every))
    if evaluations[-1] != steps:
        evaluations.append(steps)
    stride = math.ceil(len(evaluations) / MAX_FRAMES)
    return set(evaluations[::stride]) | {steps}


def _jsonable(value):
    """NumPy numbers and arrays as plain Python, for json."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_outputs(result, snapshots, out, args):
    """The figures, the animation and the metrics of a finished run (see the module
    docstring); returns the paths written."""
    from .. import viz

    plt = viz.require_pyplot()
    out.mkdir(parents=True, exist_ok=True)
    title = f"{args.dataset}, {result.method!r}, seed {args.seed}"
    paths = [out / name for name in FILES]

    ax = viz.draw_mixture_2d(snapshots[-1], sample_size=4)
    ax.set_title(f"{title}\n{ax.get_title()}", fontsize=10)
    ax.figure.savefig(paths[0], dpi=120, bbox_inches="tight")
    plt.close(ax.figure)

    fig = viz.draw_mixture_2d_stages(viz.evenly_spread(snapshots, STRIP_PANELS), suptitle=title)
    fig.savefig(paths[1], dpi=100, bbox_inches="tight")
    plt.close(fig)

    viz.animate_mixture_2d(snapshots, paths[2], suptitle=title)

    fig = viz.draw_mode_metrics({repr(result.method): result.curves},
                                num_modes=result.mixture.num_modes, title=title)
    fig.savefig(paths[3], dpi=100, bbox_inches="tight")
    plt.close(fig)

    m = result.metrics
    record = {"dataset": args.dataset, "method": result.method.name,
              "method_options": result.method.options(), "seed": args.seed,
              "preset": args.preset, "preset_fields": asdict(result.preset),
              "steps": args.steps, "eval_every": args.eval_every,
              "seconds": result.seconds,
              "final": {"modes_captured": m.modes_captured, "num_modes": m.num_modes,
                        "high_quality": m.high_quality, "reverse_kl": m.reverse_kl,
                        "counts": m.counts, "num_samples": m.num_samples},
              "curves": result.curves}
    paths[4].write_text(json.dumps(_jsonable(record), indent=2) + "\n", encoding="utf-8")
    return paths


class Snapshots:
    """The callback of :func:`~minigan.gan.experiment.run_mixture` that takes a snapshot of the
    game at the evaluation steps ``due``, G drawing from the fixed ``noise``; its
    :meth:`state_dict` goes into the run's checkpoints, so that a resumed run draws every
    frame of the uninterrupted one."""

    def __init__(self, due, mixture, noise, d_output):
        self.due, self.mixture, self.noise, self.d_output = due, mixture, noise, d_output
        self.taken = []

    def __call__(self, trainer, metrics):
        from .. import viz

        if trainer.step in self.due:
            self.taken.append(viz.snapshot_2d(trainer.G, trainer.D, self.mixture,
                                              noise=self.noise, d_output=self.d_output,
                                              step=trainer.step, metrics=metrics))

    def state_dict(self):
        return {"taken": [asdict(snapshot) for snapshot in self.taken]}

    def load_state_dict(self, state):
        from ..viz import Snapshot2D

        self.taken = [Snapshot2D(**{**fields, "metrics": None if fields["metrics"] is None
                                    else ModeMetrics(**fields["metrics"])})
                      for fields in state["taken"]]


def main(argv=None):
    args = parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        sys.exit("python -m minigan mixture draws figures with matplotlib, which is not "
                 "installed: pip install minigan[plots]")
    matplotlib.use("Agg")  # files only, no window
    from .. import Generator, randn, viz

    method = make_method(args.method, **args.options)
    mixture = mixture_dataset(args.dataset)
    # Every snapshot shows G the same noise vectors, from a stream of their own.
    noise = randn(SNAPSHOT_SAMPLES, get_preset(args.preset).noise_dim,
                  generator=Generator(args.seed), device=args.device)
    snapshots = Snapshots(_frame_steps(args.steps, args.eval_every), mixture, noise,
                          viz.discriminator_output(method))
    checkpoint = args.out / CHECKPOINT
    print(f"{'resuming' if args.resume else 'training'} {method!r} on the {args.dataset} "
          f"({args.preset} preset, seed {args.seed}, {args.steps} steps); metrics on "
          f"{EVAL_SAMPLES} samples every {args.eval_every}; a checkpoint every "
          f"{args.checkpoint_every} steps in {checkpoint}")
    doctor = Doctor(MixtureProbe(mixture, seed=args.seed), probe_every=args.eval_every) \
        if args.doctor else None
    try:
        with sigterm_as_interrupt():
            result = run_mixture(mixture, method, seed=args.seed, preset=args.preset,
                                 steps=args.steps, eval_every=args.eval_every,
                                 callback=snapshots, progress=not args.no_progress,
                                 doctor=doctor, checkpoint=checkpoint,
                                 checkpoint_every=args.checkpoint_every, resume=args.resume,
                                 device=args.device)
    except TrainingDivergedError as error:
        if doctor is not None:
            write_doctor(doctor, args.out, _title(args))
        sys.exit(f"python -m minigan mixture: error: {error}")
    except ValueError as error:  # a checkpoint of other settings, or of a finished run
        if not args.resume:
            raise
        sys.exit(f"python -m minigan mixture: error: --resume: {error}")
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a save under way removed its temporary file
        print(interrupted("python -m minigan mixture", checkpoint,
                          "continue with the same command and --resume"), file=sys.stderr)
        sys.exit(130)
    print(f"{args.dataset}, {method!r}, seed {args.seed}: {result.metrics} in "
          f"{result.seconds:.1f} s")
    for path in write_outputs(result, snapshots.taken, args.out, args):
        print(f"[wrote] {path}")
    if doctor is not None:
        write_doctor(doctor, args.out, _title(args))


def _title(args):
    """The doctor's dashboard title."""
    return f"{args.dataset}, {args.method}, seed {args.seed}"
