"""How many threads minigan computes with on the CPU, and the pool that shares copies among them.

Two kinds of work run on the CPU's cores: the matrix products, which NumPy hands to its BLAS
(OpenBLAS in NumPy's wheels) and which BLAS splits over threads of its own, and the memory work
of ``im2col`` and ``col2im`` (plain NumPy copies and adds), which NumPy runs on the thread that
calls it. The policy, chosen by minigan so that a learner sets nothing:

- **copies** are split over every core: :func:`over_batch` cuts a large im2col / col2im into
  one slice of the batch per thread and runs the slices at once, the caller's thread taking the
  first and a small pool of ``get_num_threads() - 1`` threads (made once, on first use) the
  others. NumPy lets go of the GIL inside a large copy or add, so the slices really run side by
  side. Each slice does exactly the copies and adds of the one-thread code on its own images, in
  the same order, so the result is bit-for-bit the same. Small calls stay on the caller's thread
  (:data:`MIN_BYTES`).
- **BLAS** gets one thread (:data:`BLAS_THREADS`). A product split over two threads hands half
  of the work to the other thread and waits for it; on the products of a DCGAN for 32 x 32
  digits that costs more than it gives as soon as the machine does anything else, and the idle
  BLAS thread spins for a while after each product, taking the core that the copies want. One
  DCGAN step (ngf = ndf = 32, batch 64) took 175 ms with one BLAS thread and 362 ms with two,
  median of 9 interleaved samples on a 2-core machine shared with other jobs (load 2.7); with
  ngf = ndf = 64, 456 ms against 838 ms (load 4).

The user overrides both, as in PyTorch: ``minigan.set_num_threads(n)`` gives the copies ``n``
threads and BLAS ``n`` threads; and a thread count set in the environment before the start
(``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``, the first one set) is
respected: BLAS keeps what it read there and the copies use that many threads too.

BLAS is governed with ``threadpoolctl``, the library scikit-learn uses for the same purpose
(it finds the BLAS loaded in the process and calls its ``set_num_threads``); without it, BLAS
keeps its own default. Only NumPy's BLAS is limited, not another library's (PyTorch's). The
copies' pool never calls BLAS, so the two never compete for a limit. NumPy arrays only: CuPy's
im2col and col2im are CUDA kernels, already parallel.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .._checks import check_int

# The variables a BLAS reads its thread count from, in the order OpenBLAS and MKL read them.
ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")

# NumPy's BLAS threads when the user has chosen none (see the module's docstring).
BLAS_THREADS = 1

# Below this many bytes of patches, a call stays on one thread. Handing a slice to a pool
# thread and waiting for it costs tens of microseconds (more when the other core is busy); the
# DCGAN's im2col of 1 MiB took 0.35 ms on one thread and no less on two, its 8-16 MiB ones
# (0.7-7 ms) up to half as long on two (benchmarks/README.md).
MIN_BYTES = 4 * 2**20

# Whether large copies are split at all. False runs every call on the caller's thread as one
# slice, the plain code that the split one is tested against; the environment variable
# MINIGAN_SPLIT_COPIES=0 starts a process so, to time one against the other
# (benchmarks/README.md).
split_copies = os.environ.get("MINIGAN_SPLIT_COPIES", "1").strip() != "0"

_num_threads = None  # None until first asked: then the environment's number or the cores
_pool = None  # the ThreadPoolExecutor of the other threads, made on first use
_lock = threading.Lock()  # guards making and replacing _pool


def environment_threads():
    """The thread count the user set in the environment (the first of :data:`ENVIRONMENT`
    that holds a number >= 1; OpenMP's "4,2" counts as 4), or None."""
    for name in ENVIRONMENT:
        value = os.environ.get(name, "").split(",")[0].strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return None


def _default_num_threads():
    """The environment's thread count if the user set one, else the cores we may run on."""
    if environment_threads() is not None:
        return environment_threads()
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def get_num_threads():
    """The number of threads minigan computes with on the CPU."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_num_threads()
    return _num_threads


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


def get_blas_threads():
    """The threads NumPy's BLAS may use now, or None where threadpoolctl is not installed."""
    blas = numpy_blas()
    return None if blas is None else max(lib.num_threads for lib in blas.lib_controllers)


def set_blas_threads(n):
    """Let NumPy's BLAS use ``n`` threads (nothing happens without threadpoolctl)."""
    blas = numpy_blas()
    if blas is not None:
        blas.limit(limits=n)  # used as a call, not a ``with``: the limit stays


def use_default_policy():
    """Apply the policy of the docstring (``import minigan`` calls it): one BLAS thread, unless
    the user set a thread count in the environment, which BLAS has read already."""
    if environment_threads() is None:
        set_blas_threads(BLAS_THREADS)


def set_num_threads(n):
    """Compute with ``n`` threads on the CPU (an int >= 1), as ``torch.set_num_threads``: the
    large copies of im2col and col2im are split ``n`` ways and NumPy's BLAS uses ``n``
    threads."""
    global _num_threads, _pool
    n = check_int(n, "n", "set_num_threads", minimum=1)
    set_blas_threads(n)
    with _lock:
        # A new pool of the new size is made on next use. The old one is dropped, not shut
        # down: a thread in the middle of over_batch may still hand it slices, and its idle
        # threads end when it is collected.
        _num_threads, _pool = n, None


def _get_pool():
    """The pool of get_num_threads() - 1 threads, made once (again after set_num_threads)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(get_num_threads() - 1, thread_name_prefix="minigan-copy")
        return _pool


def over_batch(work, n, nbytes):
    """Run ``work(start, stop)`` over the batch range(n): once, as ``work(0, n)``, when the call
    is small (``nbytes`` < :data:`MIN_BYTES`), one thread is asked for or splitting is off;
    else once per contiguous slice of the batch, one slice per thread, at the same time.

    ``work`` must touch only its own images (then the slices cannot race), and must not
    call ``over_batch`` itself (the pool does not nest).
    """
    threads = min(get_num_threads(), n)
    if not split_copies or threads == 1 or nbytes < MIN_BYTES:
        work(0, n)
        return
    bounds = [n * i // threads for i in range(threads + 1)]
    pool = _get_pool()
    others = [pool.submit(work, start, stop) for start, stop in zip(bounds[1:-1], bounds[2:])]
    work(bounds[0], bounds[1])
    for future in others:
        future.result()  # re-raises an error of a slice here, in the caller
