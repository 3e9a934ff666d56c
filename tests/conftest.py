"""Shared fixtures: the device each test runs on, PyTorch where it is installed, and headless
matplotlib where it is installed."""

import os

import numpy as np
import pytest
from hypothesis import settings

import minigan

# Property tests: no deadlines (the first call of an op pays for imports), a fixed sequence of
# examples under CI so that a red build is reproducible, and a thorough profile for long runs
# (MINIGAN_HYPOTHESIS=thorough python -m pytest).
settings.register_profile("default", deadline=None, max_examples=25)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(
    os.environ.get("MINIGAN_HYPOTHESIS", "ci" if os.environ.get("CI") else "default"))

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]

# benchmarks/gpu_check.sh sets MINIGAN_REQUIRE_GPU=1: on a GPU machine a test marked cuda must
# run, so there one that skips (no CuPy, no GPU, a skipif) is reported as a failure.
REQUIRE_GPU = os.environ.get("MINIGAN_REQUIRE_GPU") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if REQUIRE_GPU and report.skipped and item.get_closest_marker("cuda"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = ("MINIGAN_REQUIRE_GPU=1, but this cuda case skipped: "
                           f"{str(reason).removeprefix('Skipped: ')}")


@pytest.fixture(params=DEVICES)
def device(request):
    """Run the test on each device. "cuda" runs on CuPy where a GPU answers, and elsewhere on the
    NumPy-backed stand-in for CuPy (the ``fake_cuda`` fixture); it skips only where the stand-in
    cannot run the CUDA kernels either (no C++ compiler for their emulation)."""
    return request.getfixturevalue("cuda_device") if request.param == "cuda" else "cpu"


@pytest.fixture
def cuda_device(request):
    """``"cuda"``, for a test of that device alone: on CuPy where a GPU answers, elsewhere on the
    stand-in."""
    if not minigan.cuda.is_available():
        request.getfixturevalue("fake_cuda")
    return "cuda"


@pytest.fixture
def fake_cuda(monkeypatch):
    """Make ``"cuda"`` the stand-in for CuPy of ``fake_cupy.py`` for one test, and return it: every
    array on ``"cuda"`` is then a ``fake_cupy.ndarray`` and every CUDA kernel runs emulated."""
    from minigan.kernels.cuda import emulation

    if emulation.compiler_unavailable_reason() is not None:
        pytest.skip(f"cuda: {minigan.cuda.unavailable_reason()}; the stand-in for CuPy cannot "
                    f"emulate its kernels: {emulation.compiler_unavailable_reason()}")
    import fake_cupy

    minigan.cuda.is_available()  # the real import is tried (and its failure kept) first
    monkeypatch.setattr(minigan.backend, "_cupy", fake_cupy)
    monkeypatch.setattr(minigan.backend, "_cupyx", fake_cupy.cupyx)
    monkeypatch.setattr(minigan.backend, "_cupy_error", None)
    return fake_cupy


@pytest.fixture
def xp(device):
    """The array module of the device under test."""
    return minigan.backend.array_module(device)


@pytest.fixture
def torch():
    """PyTorch, the test oracle; tests that take it skip where it is not installed."""
    torch = pytest.importorskip("torch")
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(dtype)  # a later test (a benchmark's float32 twin) expects the default


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def plt():
    """matplotlib.pyplot on the headless Agg backend; tests that take it skip where matplotlib is
    not installed, and every figure they open is closed afterwards."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
