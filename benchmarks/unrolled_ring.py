"""The unrolled GAN on the ring under the published protocol, by what it unrolls: the update of
D it simulates (plain gradient steps or D's own Adam) and the loss G minimises through it.

    python benchmarks/unrolled_ring.py                  # the two settings, seed 1 (26 CPU min)
    python benchmarks/unrolled_ring.py --settings adam:saturating adam:non_saturating --seeds 2
    python benchmarks/unrolled_ring.py --quick          # a smoke test

A setting is ``optimizer:loss`` (the options of :class:`~minigan.gan.methods.UnrolledGAN`):
``sgd:non_saturating`` is what the published table ran before (5 plain gradient steps of size
0.05 and G's non-saturating loss), ``adam:saturating`` what the method's reference demo runs
and the table runs now. Each run is ``run_mixture("ring", "unrolled", seed, preset="published",
eval_every=--every, optimizer=..., loss=...)``, the table's run (same seed, same training) with
its mode metrics along the way; its curves and 2,500 samples of the final G (the noise of
``Generator(123)``) are appended to ``results.jsonl`` in ``--out`` as each run ends (an
interrupted set resumes), and ``unrolled_ring.png`` draws them: each run's samples over the 8
centres, then the modes held and the share of high-quality samples against the steps.
"""

import argparse
import os
import sys
import time
from pathlib import Path

# One BLAS thread per process: the workers share the cores (set before NumPy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from _common import add_table_options, check_table_options, run_and_draw  # noqa: E402
from mode_collapse import STEPS  # noqa: E402

import minigan  # noqa: E402
from minigan.gan.experiment import mixture_dataset, run_mixture  # noqa: E402

SAMPLES = 2500
SETTINGS = ("sgd:non_saturating", "adam:saturating")  # the table's former setting, and its own


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), metavar="OPT:LOSS",
                        help="optimizer:loss pairs, optimizer sgd or adam, loss saturating or "
                             "non_saturating (default: " + " ".join(SETTINGS) + ")")
    parser.add_argument("--first-seed", type=int, default=1,
                        help="seeds first-seed .. first-seed + seeds - 1 (default 1)")
    parser.add_argument("--steps", type=int, help=f"generator updates per run (default "
                                                  f"{STEPS['published']}; 40 with --quick)")
    parser.add_argument("--every", type=int, help="steps between evaluations (default 500; "
                                                  "20 with --quick)")
    add_table_options(parser, "runs/unrolled_ring", "1 seed of 40 steps: a smoke test")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 1
    args.steps = args.steps or (40 if args.quick else STEPS["published"])
    args.every = args.every or (20 if args.quick else 500)
    check_table_options(parser, args, "steps", "every")
    if args.first_seed < 0:
        parser.error(f"argument --first-seed: must be >= 0, got {args.first_seed}")
    for setting in args.settings:
        optimizer, _, loss = setting.partition(":")
        if optimizer not in ("sgd", "adam") or loss not in ("saturating", "non_saturating"):
            parser.error(f"argument --settings: {setting!r} is not optimizer:loss with optimizer "
                         "sgd or adam and loss saturating or non_saturating")
    return args


def one_run(job):
    """Train one (setting, seed) and return its curves and final samples as a dict."""
    setting, seed, steps, every = job
    optimizer, loss = setting.split(":")
    cpu = time.process_time()
    result = run_mixture("ring", "unrolled", seed=seed, preset="published", steps=steps,
                         eval_every=every, progress=False, optimizer=optimizer, loss=loss)
    noise = minigan.randn(SAMPLES, result.preset.noise_dim, generator=minigan.Generator(123))
    with minigan.no_grad():
        samples = result.G(noise).numpy()
    return {"setting": setting, "seed": seed, "steps": steps, "every": every,
            "curves": result.curves, "samples": samples.tolist(),
            "cpu_seconds": time.process_time() - cpu}


def run_key(record):
    return (record["setting"], record["seed"], record["steps"], record["every"])


def describe(record):
    modes, hq = (record["curves"][k][-1] for k in ("modes_captured", "high_quality"))
    return (f"{record['setting']:>20s} seed {record['seed']}: at the end {modes}/8 modes, "
            f"{100 * hq:.1f}% HQ ({record['cpu_seconds']:.0f} CPU s)")


def plot(records, path):
    """A row of sample panels, one per run, then the two curves of every run."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    centres = mixture_dataset("ring").means
    fig = plt.figure(figsize=(4 * max(2, len(records)), 7.4))
    grid = fig.add_gridspec(2, 2 * len(records))
    for i, record in enumerate(records):
        ax = fig.add_subplot(grid[0, 2 * i:2 * i + 2])
        samples = np.asarray(record["samples"])
        ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, color=f"C{i}")
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", color="red", s=40)
        modes, hq = (record["curves"][k][-1] for k in ("modes_captured", "high_quality"))
        ax.set(xlim=(-1.6, 1.6), ylim=(-1.6, 1.6), aspect="equal",
               title=f"{record['setting']}, seed {record['seed']}\n{modes}/8 modes, "
                     f"{100 * hq:.1f}% high quality")
    for j, (measure, label, scale) in enumerate((("modes_captured", "modes held", 1),
                                                 ("high_quality", "% high quality", 100))):
        half = len(records)
        ax = fig.add_subplot(grid[1, j * half:(j + 1) * half])
        for i, record in enumerate(records):
            ax.plot(record["curves"]["step"], scale * np.asarray(record["curves"][measure]),
                    color=f"C{i}", label=f"{record['setting']}, seed {record['seed']}")
        ax.set(xlabel="generator steps", ylabel=label, title=label)
        ax.legend(fontsize=7)
    fig.suptitle("The unrolled GAN on the ring, published protocol: what the unroll simulates "
                 "decides it")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    jobs = [(setting, seed, args.steps, args.every) for setting in args.settings
            for seed in range(args.first_seed, args.first_seed + args.seeds)]
    run_and_draw(args, jobs, one_run, run_key, describe, plot, "unrolled_ring.png")

if __name__ == "__main__":
    main()
