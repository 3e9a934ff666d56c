"""minigan's threads (minigan/kernels/threads.py): im2col and col2im split over the batch give
bit-for-bit the arrays of the one-thread code, the split really runs on several threads, and the
thread policy (one BLAS thread unless the user chose; ``set_num_threads``; the environment).

Every test restores the module's state (thread count, pool, switches, BLAS threads) afterwards.
"""

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_conv import FIXTURES_OK, LAYOUTS, arrange, cases

import minigan
from minigan.kernels import threads
from minigan.kernels.im2col import col2im, im2col


@pytest.fixture(autouse=True)
def restore_threads(monkeypatch):
    """Leave the thread settings as they were, whatever the test changes."""
    blas = threads.get_blas_threads()
    for name in ("_num_threads", "_pool", "split_copies", "MIN_BYTES"):
        monkeypatch.setattr(threads, name, getattr(threads, name))
    yield
    if blas is not None:
        threads.set_blas_threads(blas)


@pytest.fixture
def threadpoolctl():
    return pytest.importorskip("threadpoolctl")


# -- im2col and col2im, split against plain -------------------------------------------------


def plain_and_split(function, workers):
    """function() computed on one thread (split_copies off), then split over ``workers`` threads
    with no size threshold."""
    threads.split_copies = False
    plain = function()
    threads.split_copies, threads.MIN_BYTES = True, 0
    threads.set_num_threads(workers)
    return plain, function()


@FIXTURES_OK
@given(case=cases(transposed=False, max_batch=7), layout=st.sampled_from(LAYOUTS),
       workers=st.integers(2, 4), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**32 - 1))
def test_split_im2col_and_col2im_equal_the_plain_ones_exactly(case, layout, workers, dtype, seed):
    rng = np.random.default_rng(seed)
    x = arrange(rng.standard_normal(case.input_shape), layout).array(np, dtype)
    geometry = (case.stride, case.padding, case.dilation)
    plain, split = plain_and_split(lambda: im2col(x, case.kernel, *geometry), workers)
    assert split.dtype == plain.dtype and split.flags.c_contiguous
    np.testing.assert_array_equal(split, plain)  # copies: no rounding may differ

    cols = rng.standard_normal(plain.shape).astype(dtype)
    plain, split = plain_and_split(lambda: col2im(cols, x.shape, *geometry), workers)
    assert split.strides == plain.strides  # channels-last memory, as the plain one
    np.testing.assert_array_equal(split, plain)  # the same adds in the same order


def test_split_im2col_keeps_the_first_positions_asked_for():
    # out_size smaller than the full output (a weight gradient's g covering fewer positions).
    x = np.random.default_rng(0).standard_normal((5, 3, 9, 9))
    plain, split = plain_and_split(
        lambda: im2col(x, (3, 3), (2, 2), (1, 1), (1, 1), out_size=(3, 2)), 3)
    assert split.shape == (5, 3, 2, 3, 3, 3)
    np.testing.assert_array_equal(split, plain)


# -- over_batch: who runs which slice -------------------------------------------------------


def record_slices(n, nbytes, wait_for_company=False):
    """Run over_batch with a work that records (start, stop, thread name) of each slice. With
    ``wait_for_company``, the first slice waits (5 s at most) for a slice on another thread."""
    calls, lock, company = [], threading.Lock(), threading.Event()

    def work(start, stop):
        with lock:
            calls.append((start, stop, threading.current_thread().name))
            if len({name for _, _, name in calls}) > 1:
                company.set()
        if wait_for_company and start == 0:
            company.wait(timeout=5)

    threads.over_batch(work, n, nbytes)
    return sorted(calls)


def test_large_calls_run_slices_on_several_threads_at_once():
    threads.set_num_threads(3)
    calls = record_slices(20, threads.MIN_BYTES, wait_for_company=True)
    slices = 3 * threads.SLICES_PER_THREAD
    assert [call[:2] for call in calls] == [(20 * i // slices, 20 * (i + 1) // slices)
                                            for i in range(slices)]  # each image once, in order
    names = {name for _, _, name in calls}
    assert len(names) > 1 and any(name.startswith("minigan-copy") for name in names), names


def test_slices_are_no_more_than_the_images():
    threads.set_num_threads(4)
    assert [call[:2] for call in record_slices(3, threads.MIN_BYTES)] == [(0, 1), (1, 2), (2, 3)]


def test_slices_a_busy_pool_never_begins_are_done_by_the_caller():
    threads.set_num_threads(2)
    busy = threading.Event()
    blocker = threads._get_pool().submit(busy.wait, 10)  # the pool's one thread has no time
    try:
        calls = record_slices(8, threads.MIN_BYTES)
        assert not blocker.done()  # the caller did not wait for the pool
    finally:
        busy.set()
        blocker.result()
    assert {name for _, _, name in calls} == {threading.current_thread().name}
    assert len(calls) == 2 * threads.SLICES_PER_THREAD


@pytest.mark.parametrize("how", ["small", "switched off", "one thread"])
def test_small_calls_and_one_thread_stay_on_the_callers_thread(how):
    threads.set_num_threads(1 if how == "one thread" else 2)
    threads.split_copies = how != "switched off"
    nbytes = threads.MIN_BYTES - 1 if how == "small" else threads.MIN_BYTES
    assert record_slices(8, nbytes) == [(0, 8, threading.current_thread().name)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_splits_with_a_pool_of_its_own():
    threads.set_num_threads(2)
    record_slices(4, threads.MIN_BYTES)  # the parent's pool now has its thread
    pid = os.fork()
    if pid == 0:  # the child: its copy of the pool has no threads; a new one must be made
        try:
            calls = record_slices(4, threads.MIN_BYTES, wait_for_company=True)
            os._exit(0 if len({name for _, _, name in calls}) == 2 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_error_in_a_slice_reaches_the_caller():
    threads.set_num_threads(2)

    def work(start, stop):
        if start == 3:
            raise RuntimeError(f"slice {start}:{stop} failed")

    with pytest.raises(RuntimeError, match="slice 3:4 failed"):
        threads.over_batch(work, 4, threads.MIN_BYTES)


def test_cupy_arrays_keep_their_cuda_kernels(fake_cuda, monkeypatch):
    def refuse(*args):
        raise AssertionError("CuPy arrays must not reach the copy pool")

    monkeypatch.setattr(threads, "over_batch", refuse)
    x = minigan.randn(2, 3, 5, 5, device="cuda").data
    cols = im2col(x, (3, 3), (1, 1), (1, 1), (1, 1))
    assert col2im(cols, x.shape, (1, 1), (1, 1), (1, 1)).shape == x.shape


# -- the thread count and the policy --------------------------------------------------------


def test_set_num_threads_is_minigans_and_checks_its_argument():
    assert minigan.set_num_threads is threads.set_num_threads
    minigan.set_num_threads(3)
    assert minigan.get_num_threads() == 3
    for bad in (0, -1, 2.5, True, "2"):
        with pytest.raises(ValueError, match=r"set_num_threads: n must be an int >= 1"):
            minigan.set_num_threads(bad)
    assert minigan.get_num_threads() == 3


def test_a_new_thread_count_gets_a_pool_of_its_size():
    threads.set_num_threads(3)
    record_slices(6, threads.MIN_BYTES)
    assert threads._pool._max_workers == 2
    threads.set_num_threads(2)
    record_slices(6, threads.MIN_BYTES)
    assert threads._pool._max_workers == 1


@pytest.mark.parametrize("environment, expected", [
    ({}, None),
    ({"OMP_NUM_THREADS": "3"}, 3),
    ({"OMP_NUM_THREADS": "4,2"}, 4),  # OpenMP's nested form: the outer count
    ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "2"}, 1),  # OpenBLAS reads its own first
    ({"MKL_NUM_THREADS": "2", "OMP_NUM_THREADS": "5"}, 2),
    ({"OPENBLAS_NUM_THREADS": "many", "OMP_NUM_THREADS": "0"}, None),
])
def test_the_environments_thread_count(monkeypatch, environment, expected):
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert threads.environment_threads() == expected
    threads._num_threads = None
    assert threads.get_num_threads() == (expected or len(threads.os.sched_getaffinity(0)))


def test_the_default_policy_gives_blas_one_thread_unless_the_user_chose(monkeypatch,
                                                                         threadpoolctl):
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    threads.set_blas_threads(2)
    threads.use_default_policy()
    assert threads.get_blas_threads() == threads.BLAS_THREADS == 1
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # the user's choice, read by BLAS at start
    threads.set_blas_threads(2)
    threads.use_default_policy()
    assert threads.get_blas_threads() == 2


def test_set_num_threads_sets_numpys_blas(threadpoolctl):
    for n in (2, 1):
        minigan.set_num_threads(n)
        assert threads.get_blas_threads() == n
        mine = {lib.filepath for lib in threads.numpy_blas().lib_controllers}
        found = [info for info in threadpoolctl.threadpool_info() if info["filepath"] in mine]
        assert found and all(info["num_threads"] == n for info in found)


def test_only_the_blas_inside_numpy_is_numpys():
    site = Path(np.__file__).resolve().parents[1]
    assert threads.inside_numpy(site / "numpy.libs" / "libscipy_openblas64_.so")
    assert threads.inside_numpy(site / "numpy" / ".dylibs" / "libscipy_openblas.dylib")
    assert not threads.inside_numpy(site / "torch" / "lib" / "libopenblas.so")  # PyTorch's
    assert not threads.inside_numpy(site / "scipy.libs" / "libscipy_openblas.so")  # SciPy's
    assert not threads.inside_numpy("/usr/lib/libopenblas.so")  # the system's


def test_without_threadpoolctl_blas_keeps_its_own_setting(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    assert threads.numpy_blas() is None and threads.get_blas_threads() is None
    threads.use_default_policy()
    minigan.set_num_threads(2)  # the copies still follow
    assert minigan.get_num_threads() == 2
