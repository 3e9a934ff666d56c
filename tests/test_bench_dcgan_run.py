"""Smoke test of ``benchmarks/bench_dcgan_run.py``: with --quick both children run the job
(minigan through its command, PyTorch's twin) and the table comes out whole; the twin's batches
are minigan's loader's, and the epoch clock cuts and times epochs. No time is asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigan.data import images_to_tensor

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_dcgan_run.py"
NUMBER = r"\s+[\d.]+"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import bench_dcgan_run

    return bench_dcgan_run


@pytest.mark.torch
def test_bench_dcgan_run_quick_prints_both_libraries_and_their_ratios():
    pytest.importorskip("torch")
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--threads", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    out = result.stdout
    assert "48,000 digits, batch 64, 750 steps per epoch" in out
    assert "1 epoch(s) of 3 steps" in out and "1 round(s)" in out
    assert "threads: 1" in out and "1 threads" in out  # --threads reached both libraries
    assert re.search(r"^minigan" + NUMBER * 6 + "$", out, re.M)
    assert re.search(r"^PyTorch twin" + NUMBER * 6 + "$", out, re.M)
    assert re.search(r"^ratio" + NUMBER * 3 + r"\s+-" + NUMBER * 2 + "$", out, re.M)
    assert "the README's 7 epochs (5250 steps)" in out


@pytest.mark.torch
def test_the_twins_batches_are_minigans_loader_batches(bench):
    torch = pytest.importorskip("torch")
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    indices = np.array([3, 0, 4])
    twin = bench.twin_batch(torch.from_numpy(images), torch.from_numpy(indices), 32)
    expected = images_to_tensor(images[indices], 32).numpy()
    assert twin.dtype == torch.float32 and tuple(twin.shape) == (3, 1, 32, 32)
    np.testing.assert_allclose(twin.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_the_epoch_clock_serves_at_most_steps_batches_and_times_each_epoch(bench):
    clock = bench.EpochClock(list(range(10)), steps=4)
    assert len(clock) == 4 and len(bench.EpochClock(list(range(3)), steps=4)) == 3
    assert len(bench.EpochClock(list(range(10)))) == 10
    for _ in range(2):  # two epochs, as the Trainer plays them
        assert list(clock) == [0, 1, 2, 3]
        clock.stop()
    epochs = clock.finish()
    assert len(epochs) == 2
    for epoch in epochs:
        assert set(epoch) == {"steps_wall", "steps_cpu", "wall", "cpu"}
        assert 0 <= epoch["steps_wall"] <= epoch["wall"] and 0 <= epoch["steps_cpu"]


def test_bad_counts_are_refused_naming_the_option(bench, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--steps", "0"])
    assert "argument --steps: must be >= 1, got 0" in capsys.readouterr().err
    quick = bench.parse_args(["--quick", "--repeats", "9"])
    assert (quick.epochs, quick.repeats, quick.steps) == (1, 1, bench.QUICK_STEPS)


def test_the_timed_job_is_the_readmes_command(bench):
    lines = [line.split() for line in (ROOT / "README.md").read_text().splitlines()
             if line.startswith("python -m minigan dcgan --ngf")]
    assert len(lines) == 1, lines
    flags = lines[0][4:]
    out = flags.index("--out")
    del flags[out:out + 2]
    epochs = flags.index("--epochs")
    assert int(flags.pop(epochs + 1)) == bench.README_EPOCHS
    del flags[epochs]
    assert flags == bench.JOB
