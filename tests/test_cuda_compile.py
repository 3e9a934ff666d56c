"""Check 1 of the GPU code, "compiles": every CUDA source builds for the GPUs it targets.

Each ``minigan/kernels/cuda/*.cu`` is compiled twice, by the two compilers that matter:

- ``nvcc -ptx`` for sm_80 (A100) and sm_90 (H100/H200), warnings as errors;
- NVRTC, the run-time compiler that ``cupy.RawModule`` calls on the first launch, with the
  loader's own options plus the ones CuPy adds, for compute_80 and compute_90; its PTX is then
  assembled by ``ptxas`` into machine code for sm_80 / sm_90. NVRTC refuses what nvcc accepts
  (``#include <cmath>``: it has no system headers), so nvcc alone would not be enough.

Both must export every ``extern "C" __global__`` kernel under its plain name (the loader looks
kernels up by name; C++ would mangle it). ``cupy.cuda.nvrtc`` is called directly because it
needs no GPU or driver, unlike ``RawKernel.compile()``. Each check skips, with the reason, where
its tool (nvcc, CuPy with its NVRTC library, ptxas) is missing.

What this proves: the sources are valid CUDA C for both compilers and both architectures, and
name their kernels as the loader expects. What only a GPU shows: that the driver loads and
launches them, and how fast they run; check 2 (``test_cuda_emulation.py``) shows what they
compute.
"""

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from minigan.kernels import cuda
from minigan.kernels.cuda.emulation import parse_kernels

SOURCES = sorted(Path(cuda.__file__).parent.glob("*.cu"))
ARCHITECTURES = ["80", "90"]
# What cupy.RawModule adds to the loader's options before NVRTC sees them (CuPy 13-14).
CUPY_NVRTC_OPTIONS = ("-ftz=true", "--device-as-default-execution-space")


EVERY_SOURCE_AND_ARCH = pytest.mark.parametrize("source, arch", [
    pytest.param(s, a, id=f"{s.name}-{a}") for s in SOURCES for a in ARCHITECTURES])


def run_toolkit(tool, *args):
    """Run a CUDA toolkit program: skip where it is not installed, fail with its messages."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool}: not on PATH (the CUDA toolkit is not installed)")
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    assert result.returncode == 0, f"{tool} failed:\n{result.stderr}"


def exported_kernels(ptx):
    return set(re.findall(r"\.entry\s+(\w+)\s*\(", ptx))


def kernels_in(source):
    return set(parse_kernels(source.read_text()))


def test_there_are_sources_and_kernels():
    assert {s.name for s in SOURCES} >= {"im2col.cu", "bce.cu"}
    assert all(kernels_in(s) for s in SOURCES)


@EVERY_SOURCE_AND_ARCH
def test_nvcc_compiles(source, arch, tmp_path):
    ptx = tmp_path / "out.ptx"
    run_toolkit("nvcc", "-ptx", f"-arch=sm_{arch}", "-Werror", "all-warnings", source, "-o", ptx)
    assert exported_kernels(ptx.read_text()) == kernels_in(source)


@functools.cache
def nvrtc_ptx(source, arch):
    """The PTX that NVRTC makes of ``source`` for compute_<arch>, with CuPy's options."""
    nvrtc = pytest.importorskip("cupy", reason="nvrtc: CuPy is not installed").cuda.nvrtc
    try:
        nvrtc.getVersion()
    except Exception as exc:  # the wheel is there, its NVRTC library is not
        pytest.skip(f"nvrtc: the NVRTC library cannot be loaded ({type(exc).__name__}: {exc})")
    options = [*cuda.NVRTC_OPTIONS, *CUPY_NVRTC_OPTIONS, f"--gpu-architecture=compute_{arch}"]
    program = nvrtc.createProgram(source.read_text(), source.name, [], [])
    try:
        try:
            nvrtc.compileProgram(program, options)
        except nvrtc.NVRTCError as exc:
            pytest.fail(f"NVRTC rejects {source.name}: {exc}\n{nvrtc.getProgramLog(program)}")
        return nvrtc.getPTX(program).rstrip(b"\0").decode()
    finally:
        nvrtc.destroyProgram(program)


@EVERY_SOURCE_AND_ARCH
def test_nvrtc_compiles_with_the_loaders_options(source, arch):
    assert exported_kernels(nvrtc_ptx(source, arch)) == kernels_in(source)


@EVERY_SOURCE_AND_ARCH
def test_ptxas_assembles_the_nvrtc_ptx(source, arch, tmp_path):
    ptx = tmp_path / "kernels.ptx"
    ptx.write_text(nvrtc_ptx(source, arch))
    run_toolkit("ptxas", f"-arch=sm_{arch}", ptx, "-o", tmp_path / "kernels.cubin")
