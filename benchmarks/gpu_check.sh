#!/usr/bin/env bash
# The one command for a machine with an NVIDIA GPU: what only a GPU can show.
#
#     bash benchmarks/gpu_check.sh [LOG_FOLDER]        # default runs/gpu_check
#
# 1. checks that minigan sees the GPU through the real CuPy (not the CPU stand-in of the tests);
# 2. runs the default test suite (not the slow tests) with MINIGAN_REQUIRE_GPU=1, under which a
#    test marked cuda that skips fails (tests/conftest.py), and counts the cuda cases that ran;
# 3. runs benchmarks/bench_gpu.py (minigan on CuPy against PyTorch + cuDNN on the same GPU).
# It takes about 5 minutes on one H100 or H200 (the first use of each kernel compiles it).
#
# Assumed: a Linux machine with an NVIDIA driver for CUDA 12 and a Python >= 3.9 with pip
# (PYTHON, default python3, may be a virtual environment's). What is missing is installed with
# pip into that Python: minigan from this checkout with its test tools (".[dev]"), the CuPy
# wheel for CUDA 12 (cupy-cuda12x) and PyTorch. PyTorch's default Linux wheels on PyPI are CUDA
# builds; if the installed torch is a CPU build, install a CUDA one first. Without a package
# index, put the wheels in a folder and set MINIGAN_WHEELS to it (pip --no-index --find-links).
#
# Logs (the folder is created): summary.txt (this script's lines), nvidia-smi.txt, tests.txt,
# tests.xml (JUnit), bench_gpu.md. The exit status is 0 only when every step passed.

set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/gpu_check}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
: > "$OUT/summary.txt"
status=0
say() { echo "[gpu_check $(date -u +%H:%M:%S)] $*" | tee -a "$OUT/summary.txt"; }
fail() { say "FAILED: $*"; status=1; }

# -- 0. the machine and what is installed --------------------------------------------------------
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || say "nvidia-smi did not answer (see nvidia-smi.txt)"
pip_install() {
    if [ -n "${MINIGAN_WHEELS:-}" ]; then
        "$PYTHON" -m pip install -q --no-index --find-links "$MINIGAN_WHEELS" "$@"
    else
        "$PYTHON" -m pip install -q "$@"
    fi
}
"$PYTHON" -c "import numpy, pytest, hypothesis" 2>/dev/null || pip_install -e ".[dev]" ||
    fail "could not install minigan's test tools (.[dev])"
"$PYTHON" -c "import cupy" 2>/dev/null || pip_install cupy-cuda12x ||
    fail "could not install cupy-cuda12x"
"$PYTHON" -c "import torch" 2>/dev/null || pip_install torch || fail "could not install torch"
"$PYTHON" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null ||
    fail "PyTorch sees no GPU (a CPU build of torch?): bench_gpu.py cannot compare"

# -- 1. minigan on the real CuPy -----------------------------------------------------------------
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if "$PYTHON" - 2>&1 <<'EOF' | tee -a "$OUT/summary.txt"
import sys
import cupy
import minigan
import minigan.functional as F
if not minigan.cuda.is_available():
    sys.exit(f"minigan cannot use the GPU: {minigan.cuda.unavailable_reason()}")
x = minigan.randn(2, 3, 8, 8, device="cuda", requires_grad=True)
w = minigan.randn(4, 3, 3, 3, device="cuda")
F.conv2d(x, w, padding=1).sum().backward()
assert type(x.grad.data).__module__.startswith("cupy"), type(x.grad.data)
print(f"minigan {minigan.__version__} on cupy {cupy.__version__} ({cupy.__file__}), "
      f"{cupy.cuda.runtime.getDeviceCount()} GPU(s), "
      f"device 0: {cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
EOF
then
    say "minigan computes on the GPU through CuPy (a conv2d and its backward)"
else
    fail "minigan cannot compute on the GPU; the tests would not use it"
fi

# -- 2. the test suite, every cuda case on the GPU -----------------------------------------------
say "tests: python -m pytest -q -rfEs (the default run, not slow) with MINIGAN_REQUIRE_GPU=1"
MINIGAN_REQUIRE_GPU=1 timeout 320 "$PYTHON" -m pytest -q -rfEs -p no:cacheprovider \
    --junitxml="$OUT/tests.xml" > "$OUT/tests.txt" 2>&1 || fail "the tests (see tests.txt)"
say "tests: $(tail -n 1 "$OUT/tests.txt")"
"$PYTHON" - "$OUT/tests.xml" 2>&1 <<'EOF' | tee -a "$OUT/summary.txt" || fail "cuda cases did not all run"
import re
import sys
import xml.etree.ElementTree as ET

# the cases of the device fixture and the like: a parameter id cuda, as in test_x[cuda-float32]
cuda = re.compile(r"\[(?:[^\]]*-)?cuda(?::0)?(?:-[^\]]*)?\]$")
cases = [c for c in ET.parse(sys.argv[1]).iter("testcase") if cuda.search(c.get("name", ""))]
outcome = {"passed": 0, "failed": 0, "skipped": 0}
for case in cases:
    kinds = {child.tag for child in case}
    outcome["failed" if kinds & {"failure", "error"} else
            "skipped" if "skipped" in kinds else "passed"] += 1
print(f"test cases with the parameter cuda: {len(cases)}: " +
      ", ".join(f"{n} {k}" for k, n in outcome.items()))
sys.exit(1 if outcome["failed"] or outcome["skipped"] or not outcome["passed"] else 0)
EOF

# -- 3. the benchmark ----------------------------------------------------------------------------
say "benchmark: python benchmarks/bench_gpu.py --pause 0.02"
timeout 150 "$PYTHON" benchmarks/bench_gpu.py --pause 0.02 > "$OUT/bench_gpu.md" 2>&1 ||
    fail "bench_gpu.py (see bench_gpu.md)"
grep -E "^GPU:|^aim:" "$OUT/bench_gpu.md" | tee -a "$OUT/summary.txt"

say "done: $([ $status = 0 ] && echo "every step passed" || echo "some steps FAILED"); logs in $OUT"
exit $status
