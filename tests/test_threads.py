"""minigan's thread count (minigan/kernels/threads.py): ``set_num_threads`` / ``get_num_threads``
govern NumPy's BLAS only, read the environment where threadpoolctl is missing, and check their
argument. Every test leaves NumPy's BLAS threads as it found them."""

import sys
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan.kernels import threads


@pytest.fixture
def threadpoolctl():
    return pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def restore_threads():
    before = threads.get_num_threads() if threads.numpy_blas() is not None else None
    yield
    if before is not None:
        threads.set_num_threads(before)


def test_set_num_threads_is_minigans_and_checks_its_argument(threadpoolctl):
    assert minigan.set_num_threads is threads.set_num_threads
    minigan.set_num_threads(3)
    assert minigan.get_num_threads() == 3
    for bad in (0, -1, 2.5, True, "2"):
        with pytest.raises(ValueError, match=r"set_num_threads: n must be an int >= 1"):
            minigan.set_num_threads(bad)
    assert minigan.get_num_threads() == 3


def test_set_num_threads_sets_numpys_blas_and_no_other(threadpoolctl):
    for n in (2, 1):
        minigan.set_num_threads(n)
        mine = {lib.filepath for lib in threads.numpy_blas().lib_controllers}
        found = [info for info in threadpoolctl.threadpool_info() if info["filepath"] in mine]
        assert found and all(info["num_threads"] == n for info in found)


def test_importing_minigan_leaves_blas_at_its_default(threadpoolctl):
    """No policy at import: a fresh process has the threads NumPy alone would have."""
    import subprocess

    code = ("import threadpoolctl, numpy; before = {{i['filepath']: i['num_threads'] for i in "
            "threadpoolctl.threadpool_info()}}; import minigan; after = {{i['filepath']: "
            "i['num_threads'] for i in threadpoolctl.threadpool_info() if i['filepath'] in "
            "before}}; assert after == before, (before, after); print({})")
    out = subprocess.run([sys.executable, "-c", code.format("'ok'")], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("environment, expected", [
    ({}, None),
    ({"OMP_NUM_THREADS": "3"}, 3),
    ({"OMP_NUM_THREADS": "4,2"}, 4),  # OpenMP's nested form: the outer count
    ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "2"}, 1),  # OpenBLAS reads its own first
    ({"MKL_NUM_THREADS": "2", "OMP_NUM_THREADS": "5"}, 2),
    ({"OPENBLAS_NUM_THREADS": "many", "OMP_NUM_THREADS": "0"}, None),
])
def test_without_threadpoolctl_the_count_is_the_environments_or_the_cores(monkeypatch,
                                                                           environment,
                                                                           expected):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # its import fails
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert threads.environment_threads() == expected
    assert threads.numpy_blas() is None
    assert minigan.get_num_threads() == (expected or len(threads.os.sched_getaffinity(0)))
    with pytest.raises(RuntimeError, match="set_num_threads needs threadpoolctl"):
        minigan.set_num_threads(2)


def test_only_the_blas_inside_numpy_is_numpys():
    site = Path(np.__file__).resolve().parents[1]
    assert threads.inside_numpy(site / "numpy.libs" / "libscipy_openblas64_.so")
    assert threads.inside_numpy(site / "numpy" / ".dylibs" / "libscipy_openblas.dylib")
    assert not threads.inside_numpy(site / "torch" / "lib" / "libopenblas.so")  # PyTorch's
    assert not threads.inside_numpy(site / "scipy.libs" / "libscipy_openblas.so")  # SciPy's
    assert not threads.inside_numpy("/usr/lib/libopenblas.so")  # the system's
