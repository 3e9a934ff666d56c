"""Exercise 12, the im2col kernel in CUDA C: the grader on the solution, on a fresh copy, on
kernels with a planted mistake, and where no C++ compiler is found."""

import ast

import numpy as np
import pytest

from minigan.exercises.__main__ import main
from minigan.exercises.checking import FAILING, NOT_WRITTEN, PASSED, SKIPPED, exit_code, grade
from minigan.exercises.learner_copy import PACKAGE_DIR, blank_solutions
from minigan.kernels.cuda import emulation

MODULE = "ex12_cuda_kernel"
needs_compiler = pytest.mark.skipif(emulation.compiler_unavailable_reason() is not None,
                                    reason=str(emulation.compiler_unavailable_reason()))
BACKEND_LAUNCH = "cols equals NumPy's im2col, launched as the CUDA backend launches the kernel"
SMALL_LAUNCH = "cols equals NumPy's im2col, launched with 3 blocks of 7 threads"


def graded(directory):
    (result,) = grade(directory, "12")
    return result


@needs_compiler
def test_the_solution_passes():
    result = graded(None)
    assert (result.status, result.skipped) == (PASSED, [])


def test_a_fresh_copy_is_not_written_yet_even_without_a_compiler(tmp_path, monkeypatch):
    main(["learner-copy", "--out", str(tmp_path)])
    result = graded(tmp_path)
    assert (result.status, result.message) == (NOT_WRITTEN, "Exercise 12.1: write im2col_kernel")
    monkeypatch.setattr(emulation, "compiler_unavailable_reason", lambda: "no compiler here")
    assert graded(tmp_path).status == NOT_WRITTEN


@needs_compiler
def test_the_blanked_kernel_compiles_and_writes_nothing():
    """The learner's starting point is a kernel that compiles: the blank is a comment."""
    path = PACKAGE_DIR / f"{MODULE}.py"
    tree = ast.parse(blank_solutions(path.read_text(encoding="utf-8"), path.name))
    (call,) = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
               and getattr(node.func, "id", None) == "c_source"]
    kernel = emulation.EmulatedModule(ast.literal_eval(call.args[0])).get_function("im2col_f64")
    x, cols = np.ones((1, 3, 3, 1)), np.full((1, 2, 2, 2, 2, 1), 5.0)
    sizes = tuple(np.int32(v) for v in (1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2))
    kernel((1,), (32,), (x, cols) + sizes)
    assert (cols == 5.0).all()


GRID_STRIDE_LOOP = """\
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += stride) {"""


@needs_compiler
@pytest.mark.parametrize("old, new, check, words", [
    ("int y = i * sh + p * dh - ph;", "int y = i * sh + p * dh;", BACKEND_LAUNCH,
     "cols[n, oy, ox, ki, kj, c] = cols[0, 0, 0, 0, 1, 0] (entry e = 3) is 0.12573; expected 0: "
     "it lies in the padding (row -1, column 0 of x, which has 5 rows and 4 columns)"),
    (GRID_STRIDE_LOOP, "    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
     "    if (e < total) {", SMALL_LAUNCH,
     "launched with grid (3,) and block (7,) (21 threads for 1080 entries of cols), "
     "cols[n, oy, ox, ki, kj, c] = cols[0, 0, 0, 2, 1, 0] (entry e = 21) was never written"),
    (GRID_STRIDE_LOOP, "    long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
     "    {", BACKEND_LAUNCH, "your kernel wrote past the end of cols (entry 1080 of 1080)"),
    ("cols[e] = T(0);", "cols[e - 1] = T(0);", BACKEND_LAUNCH,
     "your kernel wrote before the start of cols (entry -1): is an index negative?"),
    ("if (0 <= y && y < h && 0 <= z && z < w) {", "if (0 <= y && y < h && z < w) {",
     BACKEND_LAUNCH, "was read from memory outside x; expected 0: it lies in the padding"),
    ("int z = j * sw + q * dw - pw;", "int z = j * sw + q * dh - pw;", BACKEND_LAUNCH,
     "x of shape (N, C, H, W) = (1, 2, 7, 6), a 3x2 kernel, stride (2, 1), padding (1, 0), "
     "dilation (1, 2), float64: launched with grid (1,) and block (256,)"),
], ids=["padding ignored", "no grid-stride loop", "no bound", "before the start",
        "left border unchecked", "dilation mixed up"])
def test_a_wrong_kernel_is_failing_with_its_check_and_the_first_wrong_entry(
        solved, plant, old, new, check, words):
    plant(solved, MODULE, old, new)
    result = graded(solved)
    assert (result.status, result.check) == (FAILING, check)
    assert words in result.message
    assert result.hint


@needs_compiler
def test_the_grid_stride_hint_names_the_loop(solved, plant, capsys):
    plant(solved, MODULE, GRID_STRIDE_LOOP, "    long long e = (long long)blockIdx.x * "
          "blockDim.x + threadIdx.x;\n    if (e < total) {")
    assert main(["check", "--copy", str(solved), "12"]) == 1
    report = " ".join(capsys.readouterr().out.split())
    assert "12.1 im2col_kernel failing" in report
    assert "hint: a launch of T threads has to cover every entry however small T is" in report


@needs_compiler
def test_a_kernel_that_does_not_compile_points_at_its_line(solved, plant):
    plant(solved, MODULE, "cols[e] = T(0);", "cols[e] = T(0)")
    result = graded(solved)
    source = (solved / f"{MODULE}.py").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "cols[e] = T(0)" in text)
    assert result.status == FAILING
    assert " ".join(result.message.split()).startswith(
        f"your kernel does not compile: {MODULE}.py:{line}:")


def test_without_a_compiler_the_exercise_is_skipped_with_the_reason(monkeypatch, capsys):
    reason = "no C++ compiler found (c++, g++ or clang++ on PATH, or one named by $CXX)"
    monkeypatch.setattr(emulation, "compiler_unavailable_reason", lambda: reason)
    result = graded(None)
    assert result.status == SKIPPED and exit_code([result]) == 0
    assert main(["check", "12"]) == 0
    report = " ".join(capsys.readouterr().out.split())
    assert "12.1 im2col_kernel skipped" in report
    assert f"skipped: {SMALL_LAUNCH} ({reason})" in report
    assert report.endswith("1 skipped")
