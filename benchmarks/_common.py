"""What the benchmark scripts share: their common options, the thread count of both libraries,
PyTorch (the reference each one compares with) and the details of the machine, printed at the
top of every result (timings mean little without the CPU, the core count, the library versions
and the BLAS and threads each library computed with).

This module imports neither NumPy nor PyTorch when it loads: a script sets the thread count
first (OpenBLAS reads OPENBLAS_NUM_THREADS once, when NumPy loads, and PyTorch reads
OMP_NUM_THREADS when it loads), and a child process that times minigan alone never loads
PyTorch.
"""

import argparse
import os
import platform
import sys
from pathlib import Path

QUICK_SAMPLES = 5


def argument_parser(doc, per, threads=True):
    """A parser with the options of every benchmark: --samples (15), --pause (0.15 s), --quick
    and, when ``threads``, --threads. ``doc`` is the script's docstring (its first line is the
    description); ``per`` says what gets that many samples ("job", "library")."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help=f"timed samples per {per}")
    parser.add_argument("--pause", type=float, default=0.15, help="seconds before each sample")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_SAMPLES} samples per {per}")
    if threads:
        parser.add_argument("--threads", type=int,
                            help="threads for both libraries (default: theirs)")
    return parser


def sample_count(args):
    """The number of timed samples the parsed options ask for."""
    return QUICK_SAMPLES if args.quick else args.samples


def timed(fn, pause):
    """Wall time of one call of fn, after a pause that lets other threads go idle."""
    import time

    time.sleep(pause)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_medians(jobs, samples, pause):
    """The median seconds of each job of ``jobs`` ({name: function}) over ``samples`` rounds
    in which every job runs once, in turn, after a pause: interleaved, all the jobs see the
    same state of the machine (its clock, its other load)."""
    import statistics

    times = {name: [] for name in jobs}
    for _ in range(samples):
        for name, job in jobs.items():
            times[name].append(timed(job, pause))
    return {name: statistics.median(t) for name, t in times.items()}


def use_threads(threads):
    """Give NumPy's OpenBLAS and PyTorch ``threads`` threads each (None: their own defaults).
    Call it before either library is imported."""
    if threads:
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)


def require_torch(script):
    """PyTorch, or an exit that says how to install it: every benchmark is a comparison."""
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the installation
        sys.exit(f"{Path(script).name} compares with PyTorch: install it with "
                 "`pip install torch`")
    return torch


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def torch_blas(torch):
    """The BLAS PyTorch was built with (BLAS_INFO in its build configuration), or "unknown"."""
    config = torch.__config__.show().replace(",", " ").split()
    found = [part.split("=", 1)[1] for part in config if part.startswith("BLAS_INFO=")]
    return ", ".join(found) or "unknown"


def minigan_threads():
    """The threads NumPy's BLAS computes with in minigan now (kernels/threads.py)."""
    from minigan.kernels import threads

    return f"BLAS threads: {threads.get_num_threads()}"


def machine_details():
    """Two lines: the CPU model, cores and Python; NumPy with its BLAS and minigan's threads,
    and PyTorch with its BLAS and thread count."""
    import numpy as np
    import torch

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}",
        f"numpy {np.__version__} (BLAS: {blas.get('name')} {blas.get('version', '')}; minigan's "
        f"{minigan_threads()}); torch {torch.__version__} (BLAS: {torch_blas(torch)}, "
        f"{torch.get_num_threads()} threads)",
    ]


def machine_line():
    """One line: the CPU, its cores, Python, NumPy and minigan's threads (for the scripts that
    time minigan alone, without PyTorch)."""
    import numpy as np

    return (f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"numpy {np.__version__}, minigan's {minigan_threads()}")


def add_table_options(parser, out, quick_help):
    """The options of the scripts that make a table of many seeded runs: --seeds (0..n-1;
    10, or 2 with --quick), --jobs (worker processes, one per core), --quick and --out (the
    folder of ``results.jsonl`` and ``table.md``, default ``out``)."""
    parser.add_argument("--seeds", type=int, help="seeds 0..n-1 (default 10; 2 with --quick)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", type=Path, default=Path(out),
                        help="folder for results.jsonl and table.md")


def check_table_options(parser, args, *others):
    """Fill in the default --seeds and exit with a message if --seeds, --jobs or the options
    named in ``others`` are below 1."""
    if args.seeds is None:
        args.seeds = 2 if args.quick else 10
    for name in ("seeds", "jobs", *others):
        if getattr(args, name) < 1:
            parser.error(f"argument --{name}: must be >= 1, got {getattr(args, name)}")


def run_resumable(one_run, jobs, log, key, workers, describe):
    """Run ``one_run(job)`` for every job of ``jobs`` not yet in ``log`` (a JSON-lines file,
    one record per finished run) in ``workers`` processes, appending each record as it
    finishes and printing ``describe(record)``; returns every record of the log, old and new.

    ``key(record)`` is the job a record came from. A long table (an hour of runs) interrupted
    for any reason resumes where it stopped: the runs already in the log are not repeated.
    ``one_run`` must be a module-level function (the workers are spawned and import it)."""
    import json
    import multiprocessing
    import time

    done = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    have = {key(record) for record in done}
    todo = [job for job in jobs if job not in have]
    print(f"{len(todo)} runs to do ({len(jobs) - len(todo)} already in {log}), "
          f"{workers} workers", flush=True)
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool, \
            log.open("a", encoding="utf-8") as f:
        for i, record in enumerate(pool.imap_unordered(one_run, todo), 1):
            f.write(json.dumps(record) + "\n")
            f.flush()
            done.append(record)
            print(f"[{i}/{len(todo)} {time.perf_counter() - start:6.0f} s] {describe(record)}",
                  flush=True)
    return done


def run_and_draw(args, jobs, one_run, key, describe, draw, figure):
    """The main of a script that runs a resumable set of ``jobs`` (:func:`run_resumable`, log
    ``results.jsonl`` in ``args.out``, ``args.jobs`` workers) and draws their records, old and
    new, with ``draw(records, path)`` into ``figure`` in ``args.out``."""
    args.out.mkdir(parents=True, exist_ok=True)
    print(machine_line(), flush=True)
    records = run_resumable(one_run, jobs, args.out / "results.jsonl", key, args.jobs, describe)
    wanted, path = set(jobs), args.out / figure
    draw([r for r in records if key(r) in wanted], path)
    print(f"wrote {path}")
