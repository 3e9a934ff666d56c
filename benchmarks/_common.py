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


def machine_details():
    """Two lines: the CPU model, cores and Python; NumPy with its BLAS and thread setting, and
    PyTorch with its BLAS and thread count."""
    import numpy as np
    import torch

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}",
        f"numpy {np.__version__} (BLAS: {blas.get('name')} {blas.get('version', '')}, threads: "
        f"{threads}); torch {torch.__version__} (BLAS: {torch_blas(torch)}, "
        f"{torch.get_num_threads()} threads)",
    ]
