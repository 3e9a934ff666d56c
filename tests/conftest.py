"""Shared fixtures: the device each test runs on, and PyTorch where it is installed."""

import numpy as np
import pytest

import minigan

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


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
