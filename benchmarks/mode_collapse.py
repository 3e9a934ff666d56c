"""The mode-collapse tables: every method on the 2D ring and grid, 10 seeds each, beside the
published numbers of PacGAN (Lin et al., 2018, Table 1), under one of two protocols.

    python benchmarks/mode_collapse.py                 # the classroom table (an hour, 2 cores)
    python benchmarks/mode_collapse.py --protocol published    # at the papers' settings
    python benchmarks/mode_collapse.py --quick         # a smoke test (2 seeds, 50 steps)
    python benchmarks/mode_collapse.py --methods gan pacgan2 --seeds 3

``--protocol classroom``, the same for every method: :func:`minigan.gan.experiment.run_mixture`
with the "classroom" preset (G and D with two hidden layers of 64 units, Adam, batches of 64;
the table lists it as run) for ``--steps`` generator updates (6,000 by default), with each
method's default options. ``--protocol published``: the "published" preset, each method with
the learning rates, betas, batch size and options its paper gives for the 2D mixtures (see
:mod:`minigan.gan.presets`), the players and the 7,500 steps shared; the table has a column of
each method's setting as run and one of the published numbers. Then, under both, the mode
metrics of :mod:`minigan.gan.metrics` on 2,500 samples: modes
captured (a mode with at least one sample within 3 standard deviations), the share of such
high-quality samples and the reverse KL of the mode histogram (over the runs with a high-quality
sample: "-" where none has one). Each cell is the mean +-
standard error over the seeds (std / sqrt(n)); the cost of a method is the mean CPU time of a
run (one thread per run: the time it takes on an idle core).

Runs go to ``--jobs`` worker processes with one BLAS thread each, and each finished run is
appended to ``results.jsonl`` in ``--out`` (by default one folder per protocol): an interrupted
table resumes where it stopped (a run already there, same protocol, dataset, method, seed and
steps, is not repeated). ``table.md`` is rewritten at the end; ``--table-only`` rewrites it
from the runs so far without running any.
"""

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

# One BLAS thread per process: the workers share the cores (set before NumPy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from _common import add_table_options, check_table_options, machine_line, run_resumable  # noqa: E402

from minigan.gan.experiment import run_mixture  # noqa: E402
from minigan.gan.methods import METHODS  # noqa: E402
from minigan.gan.metrics import reverse_kl_text  # noqa: E402
from minigan.gan.presets import get_preset, method_and_preset  # noqa: E402
from minigan.gan.trainer import TrainingDivergedError  # noqa: E402

DATASETS = ("ring", "grid")
# The protocols (presets) with their default steps and folders; the classroom's 6,000 steps of
# every method, both datasets, are 90 CPU s per seed.
STEPS = {"classroom": 6000, "published": get_preset("published").steps}
OUT = {"classroom": "runs/mode_collapse", "published": "runs/mode_collapse_published"}
RUN_LENGTH = ("steps", "eval_every")  # fields of the preset that the protocol replaces
PER_METHOD = ("g_lr", "d_lr", "betas", "batch_size")  # set by each method under "published"
# PacGAN, Table 1: (modes, % high quality, reverse KL) with the paper's players and 400k steps
PUBLISHED = {
    ("GAN", "ring"): (6.3, 98.2, 0.45), ("GAN", "grid"): (17.3, 94.8, 0.70),
    ("PacGAN2", "ring"): (7.9, 95.6, 0.07), ("PacGAN2", "grid"): (23.8, 91.3, 0.13),
    ("PacGAN4", "grid"): (24.8, 93.6, 0.04),
}
PAPER_ROW = {"gan": "GAN", "pacgan2": "PacGAN2", "pacgan4": "PacGAN4"}  # method -> its row


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                        metavar="METHOD", help="default: all of " + ", ".join(METHODS))
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--protocol", choices=sorted(STEPS), default="classroom",
                        help="classroom: one shared preset; published: each method at its "
                             "paper's settings (default classroom)")
    parser.add_argument("--steps", type=int,
                        help="generator updates per run (default: 6000 classroom, "
                             f"{STEPS['published']} published; 50 with --quick)")
    parser.add_argument("--table-only", action="store_true",
                        help="run nothing: write the table of the runs already in the folder "
                             "(a cell over fewer seeds says how many)")
    add_table_options(parser, OUT["classroom"], "2 seeds of 50 steps: a smoke test")
    parser.set_defaults(out=None)  # the protocol's folder unless --out is given
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = 50 if args.quick else STEPS[args.protocol]
    if args.out is None:
        args.out = Path(OUT[args.protocol])
    check_table_options(parser, args, "steps")
    return args


def one_run(job):
    """Train one (protocol, method, dataset, seed) and return its final metrics as a dict; a
    run that the Trainer stops as diverged is a result too: its record says at which step
    and why ("diverged_at", "evidence"), with no metrics."""
    protocol, method, dataset, seed, steps = job
    cpu, start = time.process_time(), time.perf_counter()
    record = {"protocol": protocol, "method": method, "dataset": dataset, "seed": seed,
              "steps": steps}
    method, preset = method_and_preset(method, protocol)
    record.update(preset=asdict(preset), options=repr(method))
    try:
        result = run_mixture(dataset, method, seed=seed, preset=preset, steps=steps,
                             eval_every=steps, progress=False)
    except TrainingDivergedError as error:
        return {**record, "diverged_at": error.step, "evidence": error.evidence,
                "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu}
    m = result.metrics
    return {**record, "modes": m.modes_captured, "num_modes": m.num_modes,
            "high_quality": m.high_quality, "reverse_kl": m.reverse_kl,
            "seconds": result.seconds, "cpu_seconds": time.process_time() - cpu}


def mean_se(values):
    """(mean, standard error of the mean) of a list of numbers (se 0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def _cell(values, digits, scale=1.0):
    mean, se = mean_se([scale * v for v in values])
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def _kl_cell(runs):
    """The reverse KL over the runs with a high-quality sample ("-" for none; it is undefined
    without one), with how many runs that is when it is not all of them."""
    defined = [r["reverse_kl"] for r in runs if r["high_quality"] > 0]
    if not defined:
        return "-"
    share = "" if len(defined) == len(runs) else f" ({len(defined)}/{len(runs)} runs)"
    return _cell(defined, 2) + share


def _paper_cell(method, dataset):
    """The published (modes, % HQ, reverse KL) of ``method`` on ``dataset``, or "–"."""
    published = PUBLISHED.get((PAPER_ROW.get(method), dataset))
    return "–" if published is None else (f"*{published[0]:.1f} / {published[1]:.1f} / "
                                          f"{published[2]:.2f}*")


def _rate(x):
    """A learning rate as written in papers: 1e-4, 5e-5, 1.67e-4."""
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _setting(record):
    """The method's options and optimiser as run, e.g. "wgan_gp(penalty_weight=0.1,
    n_critic=5); Adam G 1e-4, D 1e-4, betas (0.5, 0.9), batch 256"."""
    p = record["preset"]
    return (f"{record['options']}; Adam G {_rate(p['g_lr'])}, D {_rate(p['d_lr'])}, betas "
            f"({p['betas'][0]:g}, {p['betas'][1]:g}), batch {p['batch_size']}")


def table(results, methods, datasets, steps, seeds, protocol="classroom"):
    """The Markdown table: one row per method, for each dataset modes / % HQ / reverse KL
    (mean ± se) and the CPU seconds of a run (its process time: one thread per run, so the
    wall-clock time on an idle core, whatever else the machine was doing). A cell over fewer
    runs than ``seeds`` says how many ("n=3"); runs the Trainer stopped as diverged are counted
    apart ("1 diverged"), out of the means. Classroom: then the published rows, and the
    preset the runs used. Published: a column of the published numbers (modes / % HQ /
    reverse KL) for each dataset, and one of each method's setting as run."""
    published = protocol == "published"
    columns = ["modes", "% HQ", "reverse KL", "CPU s/run"] + (["paper"] if published else [])
    header = ("| method |" + "".join(f" {d}: {c} |" for d in datasets for c in columns)
              + (" setting as run |" if published else ""))
    lines = [header, "|---" * (1 + len(columns) * len(datasets) + published) + "|"]
    for method in methods:
        row, setting = f"| {method} |", "–"
        for dataset in datasets:
            everything = [r for r in results
                          if (r["method"], r["dataset"]) == (method, dataset)]
            runs = [r for r in everything if "diverged_at" not in r]
            paper = f" {_paper_cell(method, dataset)} |" if published else ""
            diverged = len(everything) - len(runs)
            if diverged:
                setting = _setting(everything[0])
            if not runs:
                row += (f" diverged ({diverged}/{diverged} runs) | – | – | – |" if diverged
                        else " – | – | – | – |") + paper
                continue
            count = "" if len(runs) == seeds else f" (n={len(runs)})"
            count += f" ({diverged} diverged)" if diverged else ""
            row += (f" {_cell([r['modes'] for r in runs], 1)}{count} |"
                    f" {_cell([r['high_quality'] for r in runs], 1, 100)} |"
                    f" {_kl_cell(runs)} |"
                    f" {mean_se([r['cpu_seconds'] for r in runs])[0]:.1f} |" + paper)
            setting = _setting(runs[0])
        lines.append(row + (f" {setting} |" if published else ""))
    if not published:
        for name in ("GAN", "PacGAN2", "PacGAN4"):
            row = f"| *PacGAN paper: {name}* |"
            for dataset in datasets:
                paper = PUBLISHED.get((name, dataset))
                row += (" – | – | – | – |" if paper is None else
                        f" *{paper[0]:.1f}* | *{paper[1]:.1f}* | *{paper[2]:.2f}* | – |")
            lines.append(row)
    out_of = ", ".join(f"{ {'ring': 8, 'grid': 25}[d]} ({d})" for d in datasets)
    lines.append("")
    lines.append(f"minigan: mean ± standard error over {seeds} seeds, {protocol} preset, "
                 f"{steps} steps, 2,500 samples; modes out of {out_of}.")
    # The players and optimiser as run (the preset's own run length is replaced by --steps;
    # under "published" each method's own fields are in its row).
    own = RUN_LENGTH + (PER_METHOD if published else ())
    presets = {json.dumps({k: v for k, v in r["preset"].items() if k not in own},
                          sort_keys=True) for r in results}
    shared = "The shared fields of the published" if published else "The classroom"
    lines.append(f"{shared} preset as run: " + " / ".join(sorted(presets)))
    return "\n".join(lines) + "\n"


def _job_of(record):
    # records written before the published protocol existed are classroom runs
    return (record.get("protocol", "classroom"), record["method"], record["dataset"],
            record["seed"], record["steps"])


def _describe(record):
    if "diverged_at" in record:
        return (f"{record['method']:>16} {record['dataset']} seed {record['seed']}: diverged "
                f"at step {record['diverged_at']} ({record['seconds']:.1f} s)")
    return (f"{record['method']:>16} {record['dataset']} seed {record['seed']}: "
            f"{record['modes']}/{record['num_modes']} modes, "
            f"{100 * record['high_quality']:.1f}% HQ, "
            f"KL {reverse_kl_text(record['reverse_kl'], record['high_quality'])} "
            f"({record['seconds']:.1f} s)")


def main():
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(args.protocol, m, d, s, args.steps) for m in args.methods
            for d in args.datasets for s in range(args.seeds)]
    print(machine_line())
    start = time.perf_counter()
    log = args.out / "results.jsonl"
    if args.table_only:
        done = [json.loads(line) for line in log.read_text().splitlines()] \
            if log.exists() else []
    else:
        done = run_resumable(one_run, jobs, log, _job_of, args.jobs, _describe)
    results = [r for r in done if _job_of(r)[0] == args.protocol
               and r["steps"] == args.steps and r["seed"] < args.seeds]
    text = table(results, args.methods, args.datasets, args.steps, args.seeds, args.protocol)
    (args.out / "table.md").write_text(text, encoding="utf-8")
    print(f"\n{text}\nwrote {args.out / 'table.md'} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
