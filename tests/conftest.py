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
    """Run the test on each device; "cuda" skips cleanly where CuPy or a GPU is missing."""
    if request.param == "cuda" and not minigan.cuda.is_available():
        pytest.skip(f"cuda: {minigan.cuda.unavailable_reason()}")
    return request.param


@pytest.fixture
def xp(device):
    """The array module of the device under test."""
    return minigan.backend.array_module(device)


@pytest.fixture
def torch():
    """PyTorch, the test oracle; tests that take it skip where it is not installed."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch


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
