"""Smoke test of ``benchmarks/bench_gpu.py`` on the CPU: its tables come out whole, the two
libraries agree on the first DCGAN step (the script exits otherwise), and asking for the GPU
where there is none says why. No time is asserted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import minigan

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_gpu.py"

pytestmark = pytest.mark.torch


def run(*args):
    pytest.importorskip("torch")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_bench_gpu_runs_on_the_cpu_and_prints_both_tables():
    result = run("--device", "cpu", "--quick", "--batch", "2", "--ngf", "4", "--ndf", "4",
                 "--pause", "0")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    out = result.stdout
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    layers = [row for row in rows if row.startswith(("| D conv", "| G deconv"))]
    assert len(layers) == 10  # D: 4 strided + 1 output; G: 1 + 4 transposed at 64 x 64
    assert "| D conv 3->4 @64 |" in out and "| G deconv 4->3 @32 |" in out
    assert any(row.startswith("| total |") for row in rows)
    assert any(row.startswith("| minigan |") for row in rows)
    assert any(row.startswith("| PyTorch |") for row in rows)
    assert "PyTorch TF32" not in out  # a GPU-only column
    assert "aim: minigan <= 2x PyTorch" in out


@pytest.mark.skipif(minigan.cuda.is_available(), reason="a GPU is here: the error cannot occur")
def test_bench_gpu_without_a_gpu_says_why():
    result = run("--quick")
    assert result.returncode != 0
    assert "bench_gpu.py: minigan cannot use the GPU:" in result.stderr
    assert minigan.cuda.unavailable_reason().split(" (")[0] in result.stderr
