"""The GAN doctor's detection table: induced failures and healthy runs, 10 seeds each.

    python benchmarks/doctor_detection.py              # the table (about 5 min on 2 cores)
    python benchmarks/doctor_detection.py --quick      # a smoke test (2 seeds, short runs)
    python benchmarks/doctor_detection.py --seeds 3 --jobs 1

Every run is :func:`minigan.gan.experiment.run_mixture` on the 8-mode ring with the classroom
preset and a :class:`minigan.gan.doctor.Doctor` (a :class:`~minigan.gan.doctor.MixtureProbe`
every 500 steps, windows of 100 steps, defaults everywhere). Five configurations, each a
switch or two away from the healthy one (the remedy demo), and what the doctor should say:

======================  ==========================================  ==========  ==============
configuration           what changes                                steps       expected
======================  ==========================================  ==========  ==============
collapse demo           ``COLLAPSE_DEMO``: the plain GAN            10,000      mode collapse
saturating, strong D    the saturating loss; D's learning rate      1,000       vanishing
                        2e-2, G's 2e-5 (D learns 1,000x faster)                 gradient
learning rate 1         ``REMEDY_DEMO`` with Adam at 1.0 for both   1,000       divergence
healthy: PacGAN         ``REMEDY_DEMO`` (the remedy of rows 1, 3)   10,000      no alarm
healthy: non-saturating the non-saturating loss against the same    1,000       no alarm
                        strong D (the remedy of row 2)
======================  ==========================================  ==========  ==============

The failures show early, so their runs are short (a diverging run stops at the divergence
check, the Trainer's and the doctor's one test, which names it to the doctor first). The last
row is healthy over that short run only: trained on to 3,000 steps, the non-saturating G
facing so strong a D settles on a few modes (seeds 0 and 1 of 0-2), and the doctor reports
mode collapse; the non-saturating loss cures the gradient, not the imbalance.

The table counts, per configuration, the seeds where each condition was diagnosed at some
point, and "detected": the seeds with the expected condition (for the healthy rows, the seeds
with no alarm at all). The targets: each failure detected in >= 9 of 10 seeds, a false alarm
in <= 1 of 10 healthy runs.

Runs go to ``--jobs`` worker processes with one BLAS thread each, and each finished run is
appended to ``results.jsonl`` in ``--out``: an interrupted table resumes where it stopped.
``table.md`` (the table and the machine) is rewritten at the end.
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

from _common import add_table_options, check_table_options, machine_line, run_resumable  # noqa: E402

from minigan.gan import TrainingDivergedError  # noqa: E402
from minigan.gan.doctor import CONDITIONS, Doctor, MixtureProbe  # noqa: E402
from minigan.gan.experiment import mixture_dataset, run_mixture  # noqa: E402
from minigan.gan.presets import COLLAPSE_DEMO, REMEDY_DEMO, get_preset  # noqa: E402

STRONG_D = {"d_lr": 2e-2, "g_lr": 2e-5}
CONFIGS = {  # name: (run_mixture arguments, preset changes, steps, expected condition or None)
    "collapse demo": (COLLAPSE_DEMO, {}, 10_000, "mode_collapse"),
    "saturating, strong D": ({**COLLAPSE_DEMO, "method": "gan_saturating"}, STRONG_D, 1_000,
                             "vanishing_gradient"),
    "learning rate 1": (REMEDY_DEMO, {"d_lr": 1.0, "g_lr": 1.0}, 1_000, "divergence"),
    "healthy: PacGAN": (REMEDY_DEMO, {}, 10_000, None),
    "healthy: non-saturating": (COLLAPSE_DEMO, STRONG_D, 1_000, None),
}
QUICK_STEPS = {10_000: 1_500, 1_000: 300}  # --quick: enough for 3 probes, or 3 windows
PROBE_EVERY = 500


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS),
                        metavar="NAME", help="default: all of " + "; ".join(CONFIGS))
    add_table_options(parser, "runs/doctor_detection", "2 seeds of short runs")
    args = parser.parse_args(argv)
    check_table_options(parser, args)
    return args


def steps_of(config, quick):
    steps = CONFIGS[config][2]
    return QUICK_STEPS[steps] if quick else steps


def one_run(job):
    """Train one (configuration, seed) under the doctor; returns what it diagnosed."""
    config, seed, steps = job
    run, changes, _, _ = CONFIGS[config]
    preset = get_preset(run["preset"], **changes)
    doctor = Doctor(MixtureProbe(mixture_dataset(run["dataset"]), seed=seed),
                    probe_every=PROBE_EVERY)
    cpu, start = time.process_time(), time.perf_counter()
    stopped = None
    try:
        run_mixture(run["dataset"], run["method"], seed=seed, preset=preset, steps=steps,
                    progress=False, doctor=doctor)
    except TrainingDivergedError as error:
        stopped = str(error)
    return {"config": config, "seed": seed, "steps": steps, "steps_run": doctor.last_step,
            "diagnoses": [[d.condition, d.first_step, d.last_step] for d in doctor.diagnoses],
            "stopped": stopped, "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu}


def _label(condition):
    return condition.replace("_", " ")


def table(results, configs, seeds):
    """The Markdown table: per configuration the seeds with each condition, the detection
    count, the median first step of the expected condition and the CPU seconds of a run."""
    keys = list(CONDITIONS)
    header = ("| configuration | steps | expected | detected | "
              + " | ".join(_label(k) for k in keys)
              + " | first step (median) | CPU s/run |")
    lines = [header, "|---" * (6 + len(keys)) + "|"]
    for config in configs:
        runs = [r for r in results if r["config"] == config]
        if not runs:
            continue
        expected = CONFIGS[config][3]
        conditions = [{d[0] for d in r["diagnoses"]} for r in runs]
        counts = [sum(k in c for c in conditions) for k in keys]
        if expected is None:
            detected, firsts = sum(not c for c in conditions), []
        else:
            detected = sum(expected in c for c in conditions)
            firsts = sorted(next(d[1] for d in r["diagnoses"] if d[0] == expected)
                            for r, c in zip(runs, conditions) if expected in c)
        first = f"{firsts[len(firsts) // 2]:,}" if firsts else "–"
        cpu = sum(r["cpu_seconds"] for r in runs) / len(runs)
        lines.append(f"| {config} | {runs[0]['steps']:,} | "
                     f"{'no alarm' if expected is None else _label(expected)} | "
                     f"**{detected}/{len(runs)}** | " + " | ".join(map(str, counts))
                     + f" | {first} | {cpu:.1f} |")
    lines.append("")
    lines.append(f"Seeds 0-{seeds - 1}; the condition columns count the seeds where the doctor "
                 f"diagnosed it at some point.")
    return "\n".join(lines) + "\n"


def _job_of(record):
    return record["config"], record["seed"], record["steps"]


def _describe(record):
    found = ", ".join(f"{c} {a}-{b}" for c, a, b in record["diagnoses"]) or "nothing"
    return f"{record['config']}, seed {record['seed']}: {found} ({record['seconds']:.1f} s)"


def main():
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [(c, s, steps_of(c, args.quick)) for c in args.configs for s in range(args.seeds)]
    print(machine_line())
    start = time.perf_counter()
    done = run_resumable(one_run, jobs, args.out / "results.jsonl", _job_of, args.jobs,
                         _describe)
    results = [r for r in done if _job_of(r) in set(jobs)]
    command = "python benchmarks/doctor_detection.py" + " --quick" * args.quick
    if args.seeds != (2 if args.quick else 10):
        command += f" --seeds {args.seeds}"
    if args.configs != list(CONFIGS):
        command += " --configs " + " ".join(f"'{c}'" for c in args.configs)
    text = f"{table(results, args.configs, args.seeds)}\n`{command}`; {machine_line()}.\n"
    (args.out / "table.md").write_text(text, encoding="utf-8")
    print(f"\n{text}\nwrote {args.out / 'table.md'} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
