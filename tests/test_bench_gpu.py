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


def test_the_gpu_columns_switch_tf32_and_synchronise_every_call(monkeypatch, request):
    """The GPU-only path of the tables, driven on the CPU: a TF32 column whose calls run with
    TF32 on, the others with it off, and a synchronisation after every call."""
    torch = pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import bench_gpu

    layers = bench_gpu.dcgan_layers
    monkeypatch.setattr(bench_gpu, "dcgan_layers", lambda *sizes: layers(*sizes)[:3])
    monkeypatch.setattr(bench_gpu, "WARMUP", 0)
    threads = torch.get_num_threads()
    request.addfinalizer(lambda: torch.set_num_threads(threads))
    torch.set_num_threads(1)  # a few tiny layers: threads would only contend

    args = bench_gpu.parse_args(["--device", "cpu", "--batch", "2", "--ngf", "4", "--ndf", "4",
                                 "--pause", "0"])
    state = {"tf32": None, "synchronised": 0, "calls": []}

    def set_tf32(on):
        state["tf32"] = on

    def synchronize():
        state["synchronised"] += 1

    jobs = bench_gpu.compared(lambda: ("minigan", state["tf32"]),
                              lambda: ("torch", state["tf32"]), synchronize, set_tf32)
    assert list(jobs) == ["minigan", "PyTorch", "PyTorch TF32"]
    assert [job() for job in jobs.values()] == [("minigan", None), ("torch", False),
                                                ("torch", True)]
    assert state["synchronised"] == 3

    table = bench_gpu.conv_table(args, 1, synchronize, set_tf32)
    header = table.splitlines()[0]
    assert header.count("PyTorch TF32 ms") == 2 and "(TF32 off)" in table
    assert len([line for line in table.splitlines() if line.startswith("| ")]) == 1 + 3 + 1
    rows = bench_gpu.step_table(args, 1, synchronize, set_tf32).splitlines()
    assert [row.split(" | ")[0] for row in rows[2:5]] == ["| minigan", "| PyTorch",
                                                          "| PyTorch TF32"]
