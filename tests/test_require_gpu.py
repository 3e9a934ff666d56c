"""MINIGAN_REQUIRE_GPU=1 (set by benchmarks/gpu_check.sh) turns a skipped cuda case into a
failure, and leaves every other test alone: tests/conftest.py's hook, run on a small test file
in a separate pytest."""

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CASES = '''
import pytest

@pytest.mark.cuda
def test_a_cuda_case():
    pytest.skip("cuda: no GPU here")

@pytest.mark.cuda
def test_a_cuda_case_that_runs():
    pass

def test_a_cpu_case():
    pytest.skip("not about the GPU")
'''


def run(tmp_path, require):
    (tmp_path / "test_cases.py").write_text(CASES)
    env = dict(os.environ, MINIGAN_REQUIRE_GPU=require, PYTHONPATH=os.pathsep.join(
        [str(TESTS), str(TESTS.parent), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "conftest", "-p",
               "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning",
               "test_cases.py"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


def test_require_gpu_fails_a_skipped_cuda_case(tmp_path):
    result = run(tmp_path, "1")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed, 1 skipped" in result.stdout
    assert "FAILED test_cases.py::test_a_cuda_case" in result.stdout
    assert "MINIGAN_REQUIRE_GPU=1, but this cuda case skipped: cuda: no GPU here" in \
        result.stdout


def test_without_require_gpu_a_cuda_case_may_skip(tmp_path):
    result = run(tmp_path, "")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
