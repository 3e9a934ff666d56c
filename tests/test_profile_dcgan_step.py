"""Smoke test of ``benchmarks/profile_dcgan_step.py``: with --quick both libraries are timed and
profiled and every kind of work of both tables gets some of the time (a kind left at zero means
the sorting no longer recognises minigan's kernels or PyTorch's ops). No time is asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "profile_dcgan_step.py"


@pytest.mark.torch
def test_profile_quick_fills_every_kind_of_work_of_both_libraries():
    pytest.importorskip("torch")
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--threads", "1",
                             "--pause", "0"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    out = result.stdout
    assert "ngf 32, ndf 32" in out and "5 profiled steps per library" in out
    rows = dict(re.findall(r"^  (\S.*?)\s+([\d.]+) ms\s+\d+%$", out, re.M))
    kinds = ["convolution: matrix products", "convolution: col2im",
             "convolution: im2col and layout copies", "batch norm",
             "convolution (oneDNN: products and patches)", "everything else"]
    for kind in kinds:
        assert float(rows[kind]) > 0, kind
    assert re.search(r"^ratio of the medians minigan / PyTorch: [\d.]+$", out, re.M)
