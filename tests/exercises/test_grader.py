"""The grader, ``python -m minigan.exercises check``: what it says about a fresh copy, a solved
one, and copies with a planted mistake, a crash, a syntax error or a missing module."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.exercises import all_exercises
from minigan.exercises.__main__ import main
from minigan.exercises.checking import (
    FAILING,
    MISSING,
    NOT_WRITTEN,
    PASSED,
    Check,
    exercise_hint,
    exit_code,
    grade,
)
from minigan.exercises.learner_copy import PACKAGE_DIR, exercise_modules, write_learner_copy
from minigan.kernels.cuda import emulation

MODULES = exercise_modules()
# Exercise 12 (a CUDA kernel, compiled for the CPU) is skipped, not passed, without a compiler.
SKIPPED_HERE = int(emulation.compiler_unavailable_reason() is not None)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A learner's copy as written by learner-copy: nothing solved."""
    out = tmp_path_factory.mktemp("fresh")
    write_learner_copy(out, force=True)
    return out


def by_number(results):
    return {r.exercise.number: r for r in results}


def test_every_exercise_of_a_fresh_copy_is_not_written_yet(fresh, capsys):
    results = grade(fresh)
    assert [r.exercise.number for r in results] == [e.number for e in all_exercises()]
    assert {r.status for r in results} == {NOT_WRITTEN}
    assert exit_code(results) == 0  # nothing written, nothing wrong
    assert main(["check", "--copy", str(fresh)]) == 0
    out = capsys.readouterr().out
    assert f"{len(results)} not written yet" in out
    for e in all_exercises():
        assert f"{e.number:>5}  {', '.join(e.parts)}" in out


def test_a_copy_of_the_solutions_passes_every_exercise(solved, capsys):
    assert main(["check", "--copy", str(solved)]) == 0
    out = capsys.readouterr().out
    assert f"{len(all_exercises()) - SKIPPED_HERE} passed" in out
    assert "failing" not in out and "not written" not in out


def test_a_wrong_backward_is_named_with_its_check_the_numbers_and_the_hint(solved, plant,
                                                                           capsys):
    plant(solved, "ex01_pointwise", "return grad_output * y * (1 - y)", "return grad_output * y")
    assert main(["check", "--copy", str(solved)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.strip().startswith("1.2"))
    assert lines[row].split() == ["1.2", "Sigmoid.backward", "failing"]
    report = " ".join(" ".join(lines[row + 1:row + 8]).split())
    assert "check: the output, then first and second derivatives against finite differences" \
        in report
    # sigmoid(x) vs its derivative sigmoid(x)(1 - sigmoid(x)) at the first element
    assert "your gradient for x differs from the numerical one at index (0,): 0.633636 vs " \
           "0.232141" in report
    assert "hint: as for tanh, the derivative is a function of the output `ctx.output`" in report
    assert f"{len(all_exercises()) - 1 - SKIPPED_HERE} passed, 1 failing" in out


def test_a_wrong_convolution_gradient_names_the_geometry_and_the_input(solved, plant):
    plant(solved, "ex05_convolution", "grad_w = F.conv2d_grad_weight(x, g, kernel, stride, "
          "padding, dilation)", "grad_w = 2 * F.conv2d_grad_weight(x, g, kernel, stride, "
          "padding, dilation)")
    result = by_number(grade(solved, "5.2"))["5.2"]
    assert result.status == FAILING
    assert result.check.startswith("the gradients for x, w and b")
    assert result.message.startswith("for x of shape (2, 2, 4, 5), a 2x3 kernel, stride (1, 1)")
    assert "your gradient for w differs from the numerical one at index (0, 0, 0, 0)" in \
        result.message


def test_a_first_derivative_that_cannot_be_differentiated_is_told_apart(solved, plant):
    plant(solved, "ex01_pointwise", "return grad_output * (1 - y * y)",
          "return grad_output * (1 - y.detach() * y.detach())")
    result = by_number(grade(solved, "1.1"))["1.1"]
    assert result.status == FAILING
    assert "your gradient for x is right but its own derivative is not" in result.message
    assert ".detach()" in result.message


def test_written_exercises_pass_while_the_rest_are_not_written(fresh, solved):
    shutil.copytree(fresh, solved, dirs_exist_ok=True)  # blank everything...
    shutil.copy(PACKAGE_DIR / "ex09_mode_metrics.py", solved)  # ...but solve exercise 9
    results = by_number(grade(solved))
    assert {n for n, r in results.items() if r.status == PASSED} == {"9.1", "9.2", "9.3"}
    assert exit_code(results.values()) == 0


def test_an_exercise_that_needs_an_earlier_one_says_so(fresh, solved, plant):
    shutil.copy(fresh / "ex09_mode_metrics.py", solved)
    plant(solved, "ex09_mode_metrics", 'raise NotImplementedError("Exercise 9.3: write '
          'mode_metrics")', "return ModeMetrics(*(mode_counts(x, mixture.means, mixture.stds),"
          ") * 5)")
    result = by_number(grade(solved, "9.3"))["9.3"]
    assert result.status == NOT_WRITTEN
    assert "it needs exercise 9.1 first" in result.message


def test_a_crash_in_the_learners_code_says_where(solved, plant):
    plant(solved, "ex09_mode_metrics", "    p_gen = (counts + 1)",
          "    p_gen = 1 / 0 * (counts + 1)")
    result = by_number(grade(solved, "9.2"))["9.2"]
    assert result.status == FAILING
    line = next(i for i, text in enumerate((solved / "ex09_mode_metrics.py").read_text()
                                           .splitlines(), 1) if "1 / 0" in text)
    assert result.message == ("your code raised ZeroDivisionError: division by zero (at "
                              f"ex09_mode_metrics.py line {line})")


def test_a_module_that_does_not_import_fails_all_its_exercises(solved, plant):
    plant(solved, "ex03_reduction", "class Mean(Function):", "class Mean(Function)")
    result = by_number(grade(solved, "3"))["3.1"]
    assert result.status == FAILING
    assert "ex03_reduction.py does not import: SyntaxError" in result.message


def test_a_module_missing_from_the_copy_is_reported(solved, capsys):
    (solved / "ex11_batch_norm.py").unlink()
    assert main(["check", "--copy", str(solved), "11"]) == 0
    out = capsys.readouterr().out
    assert MISSING in out and "there is no ex11_batch_norm.py" in out


@pytest.mark.parametrize("select, numbers", [
    ("5.2", ["5.2"]), ("9", ["9.1", "9.2", "9.3"]), ("Adam", ["8.1"]),
    ("ex07_gan_step", ["7.1", "7.2"])])
def test_one_exercise_a_module_or_a_name_can_be_checked(select, numbers):
    assert [r.exercise.number for r in grade(None, select)] == numbers


def test_an_unknown_exercise_is_an_error(capsys):
    assert main(["check", "99.1"]) == 2
    assert "no exercise is called '99.1'" in capsys.readouterr().out


def test_the_copy_defaults_to_the_environment(fresh, monkeypatch, capsys):
    monkeypatch.setenv("MINIGAN_EXERCISES", str(fresh))
    assert main(["check", "1.1"]) == 0
    assert f"checking your copy in {fresh}" in capsys.readouterr().out


def test_a_skipped_check_is_listed_but_does_not_fail(monkeypatch, capsys):
    from minigan.exercises import checking

    def no_torch(module, device):
        raise checking.CheckSkipped("PyTorch is not installed")

    real = checking.checks_of
    monkeypatch.setattr(checking, "checks_of", lambda name: real(name) + [
        Check("Adam", "against a library that is not here", no_torch)] if name == "ex08_adam"
        else real(name))
    assert main(["check", "8.1"]) == 0
    out = capsys.readouterr().out
    assert "8.1  Adam._update  passed" in out
    assert "skipped: against a library that is not here (PyTorch is not installed)" in out


def test_hints_come_from_the_docstrings_as_plain_text():
    hint = exercise_hint(PACKAGE_DIR / "ex09_mode_metrics.py", "mode_metrics")
    assert hint.startswith("`mixture.means`, `mixture.stds` and `mixture.weights` are the")
    assert hint.endswith("from `mode_counts` and `reverse_kl`.")


def test_the_grader_needs_neither_pytest_nor_hypothesis_nor_pytorch():
    """A learner with only minigan[plots] installed: the grader runs, and the comparison with
    PyTorch is reported as skipped."""
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in ("pytest", "hypothesis",
                                                                     "torch"))
    code = f"import sys; {blocked}; from minigan.exercises.__main__ import main; " \
           "sys.exit(main(['check']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(all_exercises()) - SKIPPED_HERE} passed" in done.stdout
    assert "skipped: 30 steps on the same bowl equal PyTorch's torch.optim.Adam (PyTorch is " \
           "not installed)" in " ".join(done.stdout.split())
