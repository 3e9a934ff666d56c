"""How the published protocol's scores grow with the length of the run: methods of the mode-collapse
table trained far past its 7,500 steps, at the same settings, with their mode metrics along the
way, drawn beside PacGAN's published rows.

    python benchmarks/published_length.py                      # 60,000 steps, 2 seeds
    python benchmarks/published_length.py --methods gan --datasets ring --seeds 1
    python benchmarks/published_length.py --quick              # a smoke test

Each run is ``run_mixture(dataset, method, seed, preset="published", steps=--steps,
eval_every=--every)``: the run of ``mode_collapse.py --protocol published`` up to its 7,500
steps (same seeds, same numbers), then longer. Its curves (modes captured, % high-quality
samples, reverse KL at every evaluation) are appended to ``results.jsonl`` in ``--out`` as each
run ends (an interrupted set resumes), and ``length.png`` draws them: the mean over the seeds
per method, the table's 7,500 steps marked, PacGAN's Table 1 as dashed lines (their players
and 400,000 steps).
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
from mode_collapse import DATASETS, PAPER_ROW, PUBLISHED, STEPS  # noqa: E402

from minigan.gan.experiment import run_mixture  # noqa: E402
from minigan.gan.methods import METHODS  # noqa: E402

MEASURES = {"modes_captured": "modes captured", "high_quality": "% high-quality samples"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, metavar="METHOD",
                        default=["gan", "pacgan2", "pacgan4"])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--steps", type=int, help="generator updates per run (default 60000; "
                                                  "200 with --quick)")
    parser.add_argument("--every", type=int, help="steps between evaluations (default 2500; "
                                                  "100 with --quick)")
    add_table_options(parser, "runs/published_length", "2 seeds of 200 steps: a smoke test")
    args = parser.parse_args(argv)
    if args.seeds is None and not args.quick:
        args.seeds = 2
    args.steps = args.steps or (200 if args.quick else 60_000)
    args.every = args.every or (100 if args.quick else 2_500)
    check_table_options(parser, args, "steps", "every")
    return args


def one_run(job):
    """Train one (method, dataset, seed) for ``steps`` and return its curves as a dict."""
    method, dataset, seed, steps, every = job
    cpu = time.process_time()
    result = run_mixture(dataset, method, seed=seed, preset="published", steps=steps,
                         eval_every=every, progress=False)
    return {"method": method, "dataset": dataset, "seed": seed, "steps": steps, "every": every,
            "curves": result.curves, "num_modes": result.metrics.num_modes,
            "cpu_seconds": time.process_time() - cpu}


def run_key(record):
    return (record["method"], record["dataset"], record["seed"], record["steps"],
            record["every"])


def describe(record):
    modes, hq = (record["curves"][k][-1] for k in ("modes_captured", "high_quality"))
    return (f"{record['method']:>10s} {record['dataset']} seed {record['seed']}: at the end "
            f"{modes}/{record['num_modes']} modes, {100 * hq:.1f}% HQ "
            f"({record['cpu_seconds']:.0f} CPU s)")


def plot(records, args, path):
    """Per dataset and measure, each method's mean curve over its seeds against the steps."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(len(args.datasets), 2, figsize=(11, 3.6 * len(args.datasets)),
                             squeeze=False)
    for row, dataset in zip(axes, args.datasets):
        for ax, (measure, label) in zip(row, MEASURES.items()):
            scale = 100 if measure == "high_quality" else 1
            for i, method in enumerate(args.methods):
                runs = [r for r in records if r["method"] == method and r["dataset"] == dataset]
                if not runs:
                    continue
                steps = runs[0]["curves"]["step"]
                mean = scale * np.mean([r["curves"][measure] for r in runs], axis=0)
                line, = ax.plot(steps, mean, color=f"C{i}",
                                label=f"{method} (mean of {len(runs)} seeds)" if len(runs) > 1
                                else f"{method} (seed {runs[0]['seed']})")
                paper = PUBLISHED.get((PAPER_ROW.get(method), dataset))
                if paper:
                    ax.axhline(paper[0 if measure == "modes_captured" else 1],
                               color=line.get_color(), ls="--", lw=1,
                               label=f"{PAPER_ROW[method]}, PacGAN's Table 1")
            ax.axvline(STEPS["published"], color="0.5", lw=1, ls=":")
            ax.set(title=f"{dataset}: {label}", xlabel="generator steps (thousands)",
                   ylabel=label)
            ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1000:g}")
        row[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("The published protocol run longer: the table stops at the dotted line "
                 f"({STEPS['published']:,} steps)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    jobs = [(method, dataset, seed, args.steps, args.every) for dataset in args.datasets
            for method in args.methods for seed in range(args.seeds)]
    run_and_draw(args, jobs, one_run, run_key, describe,
                 lambda records, path: plot(records, args, path), "length.png")


if __name__ == "__main__":
    main()
