"""How many threads minigan computes with on the CPU, and the pool that shares copies among them.

Two kinds of work run on the CPU's cores: the matrix products, which NumPy hands to its BLAS
(OpenBLAS in NumPy's wheels) and which BLAS splits over threads of its own, and the memory work
of ``im2col`` and ``col2im`` (plain NumPy copies and adds), which NumPy runs on the thread that
calls it. The policy, chosen by minigan so that a learner sets nothing:

- **BLAS gets one thread** (:data:`BLAS_THREADS`). A product split over two threads hands half
  of its work to the other thread and waits for it, and the waiting thread spins for a while
  after each product. On the DCGAN for 32 x 32 digits that costs more than it gives as soon as
  the machine does anything else: one step (batch 64, ngf = ndf = 32) took 175 ms with one BLAS
  thread and 362 ms with two, with ngf = ndf = 64 456 ms against 838 ms (medians of 7-9
  interleaved samples, 2 cores, load 3-4 from other jobs). The README's run (ngf = ndf = 32)
  took 11.5 s an epoch with two threads, and 8.9 s of CPU an epoch with one
  (docs/results.md). Only on an idle machine and the larger model did two threads win
  (ngf = ndf = 64: 268 against 370 ms a step, benchmarks/README.md).
- **Copies are split over every core**: :func:`over_batch` cuts a large im2col or col2im into
  slices of the batch that the caller's thread and a small pool of ``get_num_threads() - 1``
  threads (made once, on first use) take one after another. NumPy lets go of the GIL inside a
  large copy or add, so the slices run side by side, on the core that BLAS leaves free. Each
  slice does exactly the copies and adds of the one-thread code on its own images, in the same
  order, so the result is bit-for-bit the same. Small calls stay on the caller's thread
  (:data:`MIN_BYTES`); ``split_copies = False`` (or ``MINIGAN_SPLIT_COPIES=0`` in the
  environment) runs every call so, the plain code.

The user overrides both, as in PyTorch: ``minigan.set_num_threads(n)`` gives BLAS ``n`` threads
and splits the copies ``n`` ways; and a thread count set in the environment before the start
(``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``, the first one set) is
respected: BLAS keeps what it read there and the copies use that many threads too.

BLAS is governed with ``threadpoolctl``, the library scikit-learn uses for the same purpose (it
finds the BLAS loaded in the process and calls its ``set_num_threads``, some 7 us a call);
without it, BLAS keeps its own default. Only NumPy's BLAS is limited, not another library's
(PyTorch's). The pool's threads only copy, never call BLAS, so they cannot race with a change
of its limit. NumPy arrays only: CuPy's im2col and col2im are CUDA kernels, parallel already.
"""

import itertools
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

# Below this many bytes of patches, a call stays on one thread: a slice handed to the pool
# costs tens of microseconds before it starts, and a 1 MiB im2col (D 1->64 of the DCGAN) took
# 0.31 ms alone and 0.36 ms split, at best of 21 (2 cores); at 4 MiB the two were even, from 8
# MiB on the split one was faster at best (col2im of D 64->128 at 16x16: 3.6 against 6.3 ms).
MIN_BYTES = 4 * 2**20

# Slices of the batch per thread: more than one, so that a thread without a core holds up
# little (see over_batch); few, because each slice costs a few Python calls (col2im's: kh*kw
# slice-adds, some 50 us). 1, 2 and 4 timed the same within the noise of a busy machine.
SLICES_PER_THREAD = 2

# Whether large copies are split at all. False runs every call on the caller's thread as one
# slice, the plain code that the split one is tested against; MINIGAN_SPLIT_COPIES=0 in the
# environment starts a process so, to time one against the other.
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


def _forget_pool():
    """In a forked child: the pool's threads stayed in the parent, so make a new pool (and lock)
    on next use."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_pool)


def over_batch(work, n, nbytes):
    """Run ``work(start, stop)`` over the batch range(n): once, as ``work(0, n)``, when the call
    is small (``nbytes`` < :data:`MIN_BYTES`), one thread is asked for or splitting is off;
    else over contiguous slices of the batch, :data:`SLICES_PER_THREAD` per thread, that the
    caller's thread and the pool's take one after another until none is left.

    Taking slices as they go, rather than one fixed share each, is what makes a busy machine
    harmless: a pool thread that gets no core leaves its slices to the others, and the caller
    waits at most for the one slice a preempted pool thread holds.

    ``work`` must touch only its own images (then the slices cannot race), and must not
    call ``over_batch`` itself (the pool does not nest).
    """
    threads = min(get_num_threads(), n)
    if not split_copies or threads == 1 or nbytes < MIN_BYTES:
        work(0, n)
        return
    slices = min(n, threads * SLICES_PER_THREAD)
    bounds = [n * i // slices for i in range(slices + 1)]
    next_slice = itertools.count()  # next() on it is atomic: each slice is taken once

    def take_slices():
        while (i := next(next_slice)) < slices:
            work(bounds[i], bounds[i + 1])

    pool = _get_pool()
    helpers = [pool.submit(take_slices) for _ in range(threads - 1)]
    take_slices()
    for helper in helpers:
        if not helper.cancel():  # a helper that never began has nothing to wait for
            helper.result()  # re-raises an error of its slices here, in the caller
