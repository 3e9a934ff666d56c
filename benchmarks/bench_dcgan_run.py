"""Time epochs of the DCGAN run a learner starts, the README's ``python -m minigan dcgan --ngf 32
--ndf 32 --epochs 7 --ema 0.99 --lr_d 1e-4 --lr_g 4e-4``, in minigan as the command runs it and
in a layer-for-layer PyTorch twin of the same job, on the CPU: wall and CPU time per epoch, peak
memory, and the ratios minigan / PyTorch.

    python benchmarks/bench_dcgan_run.py                # 1 epoch per run, 3 rounds
    python benchmarks/bench_dcgan_run.py --epochs 2 --repeats 5
    python benchmarks/bench_dcgan_run.py --steps 200    # the first 200 steps of each epoch
    python benchmarks/bench_dcgan_run.py --threads 1    # one thread for each library
    python benchmarks/bench_dcgan_run.py --quick        # 3 steps, 1 round: a smoke run

**The job** is the README's command: G and D of ``minigan.gan.dcgan`` for 32 x 32 x 1 images
(nz = 100, ngf = ndf = 32), batch 64, the 48,000 training digits of the packaged MNIST (the
other 12,000 held out), 750 steps per epoch, Adam with betas (0.5, 0.999) at 4e-4 for G and
1e-4 for D, float32, and an exponential moving average of G's weights (decay 0.99, updated after
each step, its batch-norm statistics recomputed from 100 batches of noise after each epoch).

**minigan** runs the command itself: the child calls ``minigan.__main__.main(["dcgan", ...])``
with a temporary ``--out``, so it parses the flags, builds the ``DCGANRun``, trains with its
progress bar (to a pipe), and writes its figures, metrics and checkpoint after every epoch, as
a learner's run does. Two hooks watch it without changing what runs: the loader the Trainer
iterates is wrapped to start each epoch's clock (and to end an epoch after ``--steps``
steps), and the command's ``write_outputs`` to stop it.

**PyTorch's twin**: G and D of ``bench_dcgan.py``, loaded with the command's initial weights,
and its ``TorchStep`` (D's update, then G's through a frozen D), the average kept by
``torch.optim.swa_utils`` (``AveragedModel`` with the EMA, ``update_bn`` after each epoch). It
is fed the same decoded
digits (minigan's ``training_digits``, decoded once at start-up as the command does), each
batch indexed from a fresh shuffle, converted to float32 in [-1, 1] and padded 28 -> 32 with
-1 as minigan's loader does; noise drawn at each step. It writes no figures or checkpoints.

**Measured**: each library in a child process of its own (its own threads and memory),
alternating minigan / PyTorch for ``--repeats`` rounds; medians over the rounds. Per epoch:
the wall and CPU time of its steps (``time.process_time``: every thread of the process), and
for minigan also the epoch as the command lives it (its steps, then its figures and
checkpoint). Per process: the wall time from start to exit (imports, decoding the digits,
building the models) and the peak resident memory. Without ``--threads`` the thread variables
(``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``) are removed from the
children's environment: each library runs with the threads it picks itself, as for a learner
who sets nothing.
"""

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_details, require_torch, use_threads

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

JOB = ["--ngf", "32", "--ndf", "32", "--ema", "0.99", "--lr_d", "1e-4", "--lr_g", "4e-4"]
"""The README's command, less its --epochs and --out."""
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
README_EPOCHS = 7  # the README's command trains 7 epochs
QUICK_STEPS = 3
RESULT = "RESULT "  # starts the line of a child's measurements on its stdout


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs per run (default 1)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds, each a run of minigan then one of PyTorch (default 3)")
    parser.add_argument("--steps", type=int, help="at most this many steps per epoch "
                        "(default: all 750); the epoch's time is then extrapolated")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_STEPS} steps of one epoch, one round: a smoke run")
    parser.add_argument("--threads", type=int,
                        help="threads for both libraries (default: theirs)")
    parser.add_argument("--child", choices=("minigan", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats, args.steps = 1, 1, QUICK_STEPS
    for name in ("epochs", "repeats", "steps", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"argument --{name}: must be >= 1, got {value}")
    return args


# -- the clocks -----------------------------------------------------------------------------------
def now():
    """(wall seconds, CPU seconds of the whole process, all its threads)."""
    return time.perf_counter(), time.process_time()


def epoch_record(start, steps_end, end):
    """An epoch's times from the clock readings (wall, CPU) at its start, after its last step
    and at its end (after what the run does between epochs)."""
    return {"steps_wall": steps_end[0] - start[0], "steps_cpu": steps_end[1] - start[1],
            "wall": end[0] - start[0], "cpu": end[1] - start[1]}


def report(epochs, steps, steps_per_epoch, digits):
    """Print a child's measurements as one JSON line for the parent."""
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(RESULT + json.dumps({"epochs": epochs, "steps": steps,
                               "steps_per_epoch": steps_per_epoch, "digits": digits,
                               "peak_mib": peak_kib / 1024}), flush=True)


class EpochClock:
    """A loader wrapped for the Trainer: each pass over it (an epoch) starts the clock and
    serves at most ``steps`` batches of ``loader``; :meth:`stop` marks the end of the epoch's
    steps and :meth:`finish` the end of the run."""

    def __init__(self, loader, steps=None):
        self.loader = loader
        self.steps = len(loader) if steps is None else min(steps, len(loader))
        self.marks = []  # per epoch: [start, end of its steps], clock readings

    def __len__(self):
        return self.steps

    def __iter__(self):
        self.marks.append([now()])
        return itertools.islice(iter(self.loader), self.steps)

    def stop(self):
        self.marks[-1].append(now())

    def finish(self):
        """Each epoch's times: an epoch ends where the next one starts, the last one now."""
        ends = [start for start, _ in self.marks[1:]] + [now()]
        return [epoch_record(*marks, end) for marks, end in zip(self.marks, ends)]


# -- the two children -----------------------------------------------------------------------------
def minigan_child(args):
    """Run ``python -m minigan dcgan`` (the README's flags) in this process and report."""
    from minigan.__main__ import main as minigan_main
    from minigan.cli import train_dcgan

    build_run, write_outputs = train_dcgan.build_run, train_dcgan.write_outputs
    watched = {}

    def clocked_run(cli_args):  # the command's run, its loader wrapped in the clock
        run = watched["run"] = build_run(cli_args)
        run.trainer.data = watched["clock"] = EpochClock(run.trainer.data, args.steps)
        return run

    def clocked_outputs(run, out):  # the epoch's steps are done: the figures come next
        watched["clock"].stop()
        write_outputs(run, out)

    train_dcgan.build_run, train_dcgan.write_outputs = clocked_run, clocked_outputs
    with tempfile.TemporaryDirectory() as out:
        status = minigan_main(["dcgan", *JOB, "--epochs", str(args.epochs), "--out", out])
        if status:  # its message is on stderr, which the parent shows
            sys.exit(f"python -m minigan dcgan stopped with status {status}")
        epochs = watched["clock"].finish()
    run = watched["run"]
    report(epochs, watched["clock"].steps, len(run.loader), len(run.digits))


def twin_batch(images, indices, size):
    """The twin's batch: uint8 digits (N, h, w) at ``indices`` -> float32 (B, 1, size, size),
    x = pixel / 127.5 - 1 centred on a background of -1, as minigan's ``images_to_tensor``."""
    import torch.nn.functional as F

    h, w = images.shape[1:]
    top, left = (size - h) // 2, (size - w) // 2
    x = images[indices].float() / 127.5 - 1.0
    return F.pad(x, (left, size - w - left, top, size - h - top), value=-1.0).unsqueeze(1)


def torch_child(args):
    """Train PyTorch's twin of the command's job in this process and report."""
    torch = require_torch(__file__)
    from bench_dcgan import NZ, TorchStep, minigan_players, torch_players
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn, update_bn

    from minigan.cli.train_dcgan import build_parser
    from minigan.gan.dcgan_training import BN_BATCHES, training_digits

    job = build_parser().parse_args(JOB)  # the command's settings: its defaults and JOB
    if (job.nz, job.beta1, job.image_size < 28, job.ema is None) != (NZ, 0.5, False, False):
        sys.exit("the twin (bench_dcgan.py) has nz 100, Adam's beta1 0.5, images of side >= 28 "
                 f"and an average of G; the command now has nz {job.nz}, beta1 {job.beta1}, "
                 f"image_size {job.image_size}, ema {job.ema}")
    torch.manual_seed(job.seed)
    digits = training_digits(job.data, job.image_size, job.batch_size)
    images, batch = torch.from_numpy(digits.images), job.batch_size
    sizes = argparse.Namespace(batch=batch, size=job.image_size, nc=1, ngf=job.ngf,
                               ndf=job.ndf, device="cpu")
    tG, tD = torch_players(sizes, *minigan_players(sizes))
    step = TorchStep(tG, tD, batch, "cpu", lr_G=job.lr_g or job.lr, lr_D=job.lr_d or job.lr)
    G_ema = AveragedModel(tG, multi_avg_fn=get_ema_multi_avg_fn(job.ema), use_buffers=True)
    steps_per_epoch = len(images) // batch  # full batches only, as the command's loader
    steps = min(args.steps or steps_per_epoch, steps_per_epoch)
    epochs = []
    for _ in range(args.epochs):
        start = now()
        order = torch.randperm(len(images))
        for i in range(steps):
            real = twin_batch(images, order[i * batch:(i + 1) * batch], job.image_size)
            step(real, torch.randn(batch, job.nz))
            G_ema.update_parameters(tG)
        update_bn([torch.randn(batch, job.nz, 1, 1) for _ in range(BN_BATCHES)], G_ema)
        end = now()
        epochs.append(epoch_record(start, end, end))
    report(epochs, steps, steps_per_epoch, len(images))


# -- the parent -----------------------------------------------------------------------------------
def run_child(args, library):
    """One run of ``library`` in a child process: its measurements and its wall time."""
    command = [sys.executable, __file__, "--child", library, "--epochs", str(args.epochs)]
    if args.steps:
        command += ["--steps", str(args.steps)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        sys.exit(f"the {library} run failed (status {done.returncode}):\n"
                 f"{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return {**json.loads(lines[-1].removeprefix(RESULT)), "process_wall": wall}


def summary(record):
    """One run's figures: per step and per whole epoch (the steps' time, extrapolated to a
    full epoch when --steps cut it short), the time between epochs, the process's."""
    epochs, steps = record["epochs"], record["steps"]
    per_step = {key: sum(e[key] for e in epochs) / (len(epochs) * steps)
                for key in ("steps_wall", "steps_cpu")}
    return {"wall": per_step["steps_wall"] * record["steps_per_epoch"],
            "cpu": per_step["steps_cpu"] * record["steps_per_epoch"],
            "ms_step": 1e3 * per_step["steps_wall"],
            "outputs": statistics.mean(e["wall"] - e["steps_wall"] for e in epochs),
            "process": record["process_wall"], "peak": record["peak_mib"]}


COLUMNS = (("wall", "wall s/epoch", "{:.2f}"), ("cpu", "CPU s/epoch", "{:.2f}"),
           ("ms_step", "ms/step", "{:.1f}"), ("outputs", "outputs s/epoch", "{:.2f}"),
           ("process", "process s", "{:.1f}"), ("peak", "peak MiB", "{:.0f}"))


def table(medians):
    """The medians of both libraries and their ratios, one row each."""
    width = 16
    lines = [f"{'':14s}" + "".join(f"{title:>{width}s}" for _, title, _ in COLUMNS)]
    for name, values in medians.items():
        lines.append(f"{name:14s}" + "".join(f"{fmt.format(values[key]):>{width}s}"
                                              for key, _, fmt in COLUMNS))
    mg, th = medians.values()
    ratios = ["-" if key == "outputs" else f"{mg[key] / th[key]:.2f}" for key, _, _ in COLUMNS]
    lines.append(f"{'ratio':14s}" + "".join(f"{r:>{width}s}" for r in ratios))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return (minigan_child if args.child == "minigan" else torch_child)(args)
    if args.threads:
        use_threads(args.threads)
    else:  # the libraries' own choice, as for a learner who sets nothing
        removed = [f"{name}={os.environ.pop(name)}" for name in THREAD_VARIABLES
                   if name in os.environ]
        if removed:
            print(f"(removed from the children's environment: {', '.join(removed)})")
    require_torch(__file__)  # after the threads are set: PyTorch reads them when it loads
    load_before = os.getloadavg()[0]
    runs = {"minigan": [], "PyTorch twin": []}
    for _ in range(args.repeats):
        for name, library in (("minigan", "minigan"), ("PyTorch twin", "torch")):
            runs[name].append(run_child(args, library))
    load_after = os.getloadavg()[0]
    first = {name: records[0] for name, records in runs.items()}
    shape = {name: (r["digits"], r["steps_per_epoch"], r["steps"]) for name, r in first.items()}
    if len(set(shape.values())) != 1:
        sys.exit(f"the two runs differ in (digits, steps per epoch, steps run): {shape}")
    digits, steps_per_epoch, steps = shape["minigan"]
    medians = {name: {key: statistics.median(summary(r)[key] for r in records)
                      for key, _, _ in COLUMNS} for name, records in runs.items()}

    print("\n".join(machine_details()))
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after")
    print(f"the DCGAN run of `python -m minigan dcgan {' '.join(JOB)}`: {digits:,} digits, "
          f"batch 64, {steps_per_epoch} steps per epoch; each run {args.epochs} epoch(s) of "
          f"{steps} steps, in a process of its own; {args.repeats} round(s) alternating "
          "minigan / PyTorch, medians")
    print(table(medians))
    if steps < steps_per_epoch:
        print(f"(s/epoch: {steps_per_epoch} steps at the pace of the {steps} measured)")
    print("outputs: minigan's figures, metrics and checkpoint after each epoch; process: "
          "start to exit (imports, decoding the digits, building, the epochs)")
    whole = {name: README_EPOCHS * (v["wall"] + (v["outputs"] if name == "minigan" else 0))
             for name, v in medians.items()}
    print(f"the README's {README_EPOCHS} epochs ({README_EPOCHS * steps_per_epoch} steps) at "
          "this pace: " + ", ".join(f"{name} {s / 60:.1f} min" for name, s in whole.items()))
    print("aims (issue 14): wall s/epoch ratio <= 1.0; 3,720 steps (60 epochs of the former "
          "62-step data) <= 8 min on 2 cores")


if __name__ == "__main__":
    main()
