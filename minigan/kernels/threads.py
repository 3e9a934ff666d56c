"""How many threads minigan computes with on the CPU: ``set_num_threads`` and ``get_num_threads``,
as PyTorch's.

The heavy work of a step is matrix products, which NumPy hands to its BLAS (OpenBLAS in NumPy's
wheels); BLAS splits each product over threads of its own, by default one per core, as PyTorch
does. minigan keeps that default: on an idle 2-core machine two BLAS threads beat one by about
20% on the DCGAN step (benchmarks/README.md, "Threads"). On a machine busy with other jobs the
opposite holds (a thread that waits for a core stalls every product it shares), and there
``minigan.set_num_threads(1)`` is the cure, as ``torch.set_num_threads(1)`` is for PyTorch.

BLAS is governed with ``threadpoolctl``, the library scikit-learn uses for the same purpose (it
finds the BLAS loaded in the process and calls its ``set_num_threads``). Only NumPy's BLAS is
changed, not another library's (PyTorch's). A thread count set in the environment before the
start (``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``) is BLAS's own
business: it read it when it loaded, and ``get_num_threads`` reports it.
"""

import os
from pathlib import Path

import numpy as np

from .._checks import check_int

# The variables a BLAS reads its thread count from, in the order OpenBLAS and MKL read them.
ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def environment_threads():
    """The thread count the user set in the environment (the first of :data:`ENVIRONMENT`
    that holds a number >= 1; OpenMP's "4,2" counts as 4), or None."""
    for name in ENVIRONMENT:
        value = os.environ.get(name, "").split(",")[0].strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return None


def numpy_blas():
    """threadpoolctl's controller of the BLAS that NumPy computes with, or None where
    threadpoolctl is not installed.

    NumPy's wheels carry their BLAS inside the installation (``numpy.libs/``,
    ``numpy/.dylibs/``): that one is picked, not a BLAS another library brought (PyTorch's). A
    NumPy that uses a BLAS of the system or of conda (no library inside NumPy's folders) gets
    every BLAS loaded, which is then the one NumPy shares with the others.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    blas = ThreadpoolController().select(user_api="blas")
    own = [lib.filepath for lib in blas.lib_controllers if inside_numpy(lib.filepath)]
    return blas.select(filepath=own) if own else blas


def inside_numpy(path):
    """True for a file that NumPy's installation holds: under ``numpy/`` or its wheel's
    ``numpy.libs/`` in the folder NumPy is installed in."""
    site = Path(np.__file__).resolve().parents[1]
    path = Path(path).resolve()
    return path.is_relative_to(site) and path.relative_to(site).parts[0].startswith("numpy")


def get_num_threads():
    """The threads NumPy's BLAS computes with now; where threadpoolctl is missing, the
    environment's count, else the cores this process may run on (BLAS's default)."""
    blas = numpy_blas()
    if blas is not None and blas.lib_controllers:
        return max(lib.num_threads for lib in blas.lib_controllers)
    if environment_threads() is not None:
        return environment_threads()
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_num_threads(n):
    """Let NumPy's BLAS compute with ``n`` threads (an int >= 1), as ``torch.set_num_threads``.
    Needs threadpoolctl (installed with minigan); without it, a RuntimeError says so."""
    n = check_int(n, "n", "set_num_threads", minimum=1)
    blas = numpy_blas()
    if blas is None:
        raise RuntimeError("set_num_threads needs threadpoolctl: pip install threadpoolctl "
                           "(or set OPENBLAS_NUM_THREADS before starting Python)")
    blas.limit(limits=n)  # used as a call, not a ``with``: the limit stays
