"""The grader: every exercise's checks, run on the solutions or on a learner's copy.

The checks of the exercise module ``exNN_topic.py`` are the list ``CHECKS`` of the module
``minigan/exercises/checks/exNN_topic.py``: :class:`Check` objects, each a function of the
module under test that raises an ``AssertionError`` saying, in words, what is wrong. They are
plain Python (NumPy and minigan), so the grader needs no test framework: a learner who installed
minigan without its development tools checks a copy with

    python -m minigan.exercises check --copy learner

and the same checks run under pytest (``tests/exercises``) for the project's own tests. The
grader finds exercise modules by their names (``exNN_*.py``) and their checks by the same name,
so a new module and its checks module plug in without changes here.

An exercise *passes* when all its checks pass, is *not written yet* when a check meets the
``NotImplementedError`` a blanked solution raises, is *skipped* when none of its checks can run
here (a CUDA kernel without a C++ compiler), and is *failing* otherwise; a failing exercise is
reported with its first failing check, the message and a hint (the check's own, or the "Hint:"
paragraph of the exercise's docstring).
"""

import ast
import importlib
import importlib.util
import re
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..gradcheck import GradcheckError, gradcheck, gradgradcheck
from ..tensor import Tensor, tensor
from .learner_copy import PACKAGE_DIR, exercise_modules, find_exercises


class CheckSkipped(Exception):
    """A check that cannot run here (e.g. a comparison with PyTorch where it is not installed)."""


@dataclass(frozen=True)
class Check:
    """One check of one exercise: ``exercise`` is the name of the class or function in the
    module ("Conv2d"), ``title`` says what is checked, ``run(module, device)`` checks the
    module under test and raises an AssertionError in words if it is wrong. ``hint`` is advice
    for this failure (the exercise's own hint is used when it is empty); ``devices`` are the
    devices the check can run on (the grader uses the CPU)."""

    exercise: str
    title: str
    run: Callable
    hint: str = ""
    devices: tuple = ("cpu",)


# -- where the modules and their checks come from ----------------------------------------------

def load_module(name, directory=None):
    """The exercise module ``name`` ("ex01_pointwise"): the package's, or with ``directory``
    the file ``directory/name.py`` (imported under a name of its own, so that a copy never
    shadows the package's module). FileNotFoundError if the copy has no such file."""
    if directory is None:
        return importlib.import_module(f"{__package__}.{name}")
    path = Path(directory) / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"there is no {path.name} in {Path(directory).resolve()}")
    spec = importlib.util.spec_from_file_location(f"learner_copy_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checks_of(name):
    """The checks of the exercise module ``name``, or None if it has no checks module."""
    if not (PACKAGE_DIR / "checks" / f"{name}.py").is_file():
        return None
    return list(importlib.import_module(f"{__package__}.checks.{name}").CHECKS)


def all_checks():
    """(module name, Check) for every check of every exercise module, in order."""
    return [(path.stem, check) for path in exercise_modules()
            for check in checks_of(path.stem) or ()]


# -- helpers the checks share: comparisons that fail in words ---------------------------------

def as_array(value):
    """A Tensor's or array's values as a float64 NumPy array."""
    if isinstance(value, Tensor):
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def assert_close(actual, expected, what, rtol=1e-10, atol=1e-12):
    """``actual`` (the learner's ``what``) against ``expected``: same shape, and every value
    within atol + rtol |expected|; the message names the first index that differs."""
    if actual is None:
        raise AssertionError(f"your {what} is None")
    a, e = as_array(actual), as_array(expected)
    if a.shape != e.shape:
        raise AssertionError(f"your {what} has shape {a.shape}, expected {e.shape}")
    bad = ~(np.abs(a - e) <= atol + rtol * np.abs(e))  # NaN counts as bad
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {index}" if index else ""
        raise AssertionError(f"your {what} differs from the expected one{where}: "
                             f"{a[index]:.6g} vs {e[index]:.6g}")


def _name(names, i, fallback):
    return names[i] if i is not None and i < len(names) else fallback


def check_gradients(fn, names, tensors, second=True):
    """gradcheck (and with ``second``, gradgradcheck) of ``fn(*tensors)``, failures said in
    words with the name of each input: "your gradient for x differs from the numerical one at
    index (0, 2): 0.31 vs 0.12"."""
    checked = [n for n, t in zip(names, tensors) if t.requires_grad]
    try:
        gradcheck(fn, tensors)
    except GradcheckError as err:
        raise AssertionError(
            f"your gradient for {_name(names, err.input, 'an input')} differs from the "
            f"numerical one at index {err.index}: {err.analytic:.6g} vs {err.numerical:.6g}"
            ) from None
    if not second:
        return
    try:
        gradgradcheck(fn, tensors)
    except GradcheckError as err:
        of = _name(checked, err.output, "an input")
        wrt = _name(names, err.input, "the output gradient g")
        raise AssertionError(
            f"your gradient for {of} is right but its own derivative is not: differentiating "
            f"it with respect to {wrt}, at index {err.index}, gives {err.analytic:.6g}, the "
            f"numerical derivative {err.numerical:.6g}. Is it computed on .data, with "
            f".detach(), from saved arrays or with NumPy? Write it with Tensor operations on "
            f"ctx.inputs and ctx.output") from None


def describe(**arguments):
    """"x of shape (2, 3), stride (1, 2)": a case, for the start of a message."""
    return ", ".join(f"{name} of shape {value.shape}" if isinstance(value, Tensor)
                     else f"{name} {value!r}" for name, value in arguments.items())


def for_case(description, check, *args, **kwargs):
    """Run ``check(*args, **kwargs)``; an AssertionError gets "for <description>: " in front."""
    try:
        check(*args, **kwargs)
    except AssertionError as err:
        raise AssertionError(f"for {description}: {err}") from None
    except Exception as err:  # the learner's code raised: the grader reports it with the case
        if not hasattr(err, "case"):
            err.case = str(description)
        raise


@dataclass(frozen=True)
class Constant:
    """A case's array that becomes a Tensor *not* requiring grad (labels, a fixed mask)."""

    array: np.ndarray


def as_arguments(case, device="cpu"):
    """A case's values as arguments: float arrays become float64 Tensors requiring grad,
    Constants Tensors that do not; anything else (a dim, a slope) is passed as it is."""
    def convert(value):
        if isinstance(value, Constant):
            return tensor(value.array, device=device)
        if isinstance(value, np.ndarray):
            return tensor(value, requires_grad=True, device=device)
        return value
    return tuple(convert(value) for value in case)


def of_tensors(fn, args):
    """``fn`` as a function of the Tensor arguments only (what gradcheck differentiates), the
    others fixed at their values in ``args``; and the positions of those Tensors."""
    slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

    def call(*tensors):
        full = list(args)
        for i, t in zip(slots, tensors):
            full[i] = t
        return fn(*full)

    return call, slots


def callable_of(module, name):
    """The function to call for the exercise ``name``: a Function's ``apply``, or itself."""
    exercise = getattr(module, name)
    return exercise.apply if isinstance(exercise, type) else exercise


def function_check(name, reference, cases, names):
    """The check of the Function or function ``name`` of a module: on each case, its output
    against ``reference`` (same arguments), then its first and second derivatives against
    finite differences. ``cases(rng)`` gives argument tuples (see :func:`as_arguments`);
    ``names`` names the arguments, for the messages."""
    def one_case(fn, args):
        out = fn(*args)
        if not isinstance(out, Tensor):
            raise AssertionError(f"{name} returned a {type(out).__name__}, not a Tensor")
        assert_close(out, reference(*args), "output", rtol=1e-12)
        call, slots = of_tensors(fn, args)
        check_gradients(call, [names[i] for i in slots], [args[i] for i in slots])

    def run(module, device):
        fn = callable_of(module, name)
        for case in cases(np.random.default_rng(0)):
            args = as_arguments(case, device)
            for_case(describe(**dict(zip(names, args))), one_case, fn, args)

    return Check(name, "the output, then first and second derivatives against finite "
                 "differences", run, devices=("cpu", "cuda"))


def torch_or_skip():
    """PyTorch, or CheckSkipped where it is not installed."""
    try:
        import torch
    except ImportError:
        raise CheckSkipped("PyTorch is not installed") from None
    return torch


# -- the grader --------------------------------------------------------------------------------

PASSED, NOT_WRITTEN, FAILING, MISSING, UNCHECKED, SKIPPED = (
    "passed", "not written yet", "failing", "missing from your copy", "no checks", "skipped")


@dataclass
class Result:
    """What the grader found for one exercise: its ``status``, and for a failure the ``check``
    that failed, the ``message`` and the ``hint``. ``skipped`` lists checks that could not run."""

    exercise: object  # learner_copy.Exercise
    status: str
    check: str = ""
    message: str = ""
    hint: str = ""
    skipped: list = field(default_factory=list)


_HINT = re.compile(r"^\s*Hint:\s*(.*?)(?:\n\s*\n|\Z)", re.S | re.M)


def exercise_hint(module_path, name):
    """The "Hint:" paragraph of the docstring of ``name`` (or of a method of it), joined."""
    tree = ast.parse(Path(module_path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
            for inner in ast.walk(node):
                doc = (ast.get_docstring(inner) if isinstance(
                    inner, (ast.ClassDef, ast.FunctionDef)) else None) or ""
                found = _HINT.search(doc)
                if found:  # as plain text: ``x`` -> `x`
                    text = " ".join(found.group(1).split()).replace("``", "`")
                    return re.sub(r":\w+:`", "`", text)  # :func:`f` -> `f`
    return ""


def _not_written(err):
    """"5.2" if ``err`` is a blanked solution's NotImplementedError, else None."""
    found = re.match(r"Exercise (\d+\.\d+): write", str(err))
    return found.group(1) if found else None


def _where_in(err, module):
    """' (at ex05_convolution.py line 42)': the deepest frame of ``err`` in ``module``'s file,
    or '' if the error did not pass through it."""
    path = getattr(module, "__file__", None)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
    return f" (at {Path(path).name} line {frames[-1].lineno})" if frames else ""


def _run_checks(exercise, checks, module, hint):
    result = Result(exercise, PASSED)
    for check in checks:
        try:
            check.run(module, "cpu")
        except CheckSkipped as why:
            result.skipped.append(f"{check.title} ({why})")
        except NotImplementedError as err:
            number = _not_written(err)
            if number is None:
                return Result(exercise, FAILING, check.title, f"NotImplementedError: {err}"
                              f"{_where_in(err, module)}", check.hint or hint)
            waits = "" if number == exercise.number else f" (it needs exercise {number} first)"
            return Result(exercise, NOT_WRITTEN, check.title, f"{err}{waits}")
        except AssertionError as err:
            return Result(exercise, FAILING, check.title, str(err), check.hint or hint)
        except Exception as err:  # the learner's code crashed: say where, and on what
            where = _where_in(err, module)
            case = f"for {err.case}: " if hasattr(err, "case") else ""
            return Result(exercise, FAILING, check.title,
                          f"{case}{'your code ' if where else ''}raised {type(err).__name__}: "
                          f"{err}{where}", check.hint or hint)
    if len(result.skipped) == len(checks):  # nothing could run here (no C++ compiler...)
        result.status = SKIPPED
    return result


def _selected(exercise, select):
    return select is None or select in (exercise.number, exercise.number.split(".")[0],
                                        exercise.name, exercise.module)


def grade(directory=None, select=None):
    """Run the checks of every exercise (or of those ``select`` names: "5.2", "5", a name or a
    module) against the package's solutions or the copy in ``directory``; a list of Results."""
    results = []
    for path in exercise_modules():
        exercises = [e for e in find_exercises(path) if _selected(e, select)]
        if not exercises:
            continue
        checks = checks_of(path.stem)
        try:
            module = load_module(path.stem, directory)
        except FileNotFoundError as err:
            results += [Result(e, MISSING, message=str(err)) for e in exercises]
            continue
        except Exception as err:  # a copy that does not import (a syntax error...)
            message = f"{path.name} does not import: {type(err).__name__}: {err}"
            results += [Result(e, FAILING, "importing the module", message) for e in exercises]
            continue
        for e in exercises:
            mine = [c for c in checks or () if c.exercise == e.name]
            if not mine:
                results.append(Result(e, UNCHECKED, message=f"{path.stem} has no checks for "
                                      f"{e.name} in minigan/exercises/checks"))
                continue
            results.append(_run_checks(e, mine, module, exercise_hint(path, e.name)))
    return results


def format_report(results, source):
    """The grader's table: one line per exercise, and under a failing one its check, the
    message and the hint; then the totals."""
    lines = [f"checking {source}", ""]

    def say(label, text):
        lines.extend(textwrap.wrap(text, 96, initial_indent=f"{'':7}{label}",
                                   subsequent_indent=" " * 9, break_on_hyphens=False))

    width = max((len(", ".join(r.exercise.parts)) for r in results), default=0)
    for r in results:
        e = r.exercise
        lines.append(f"{e.number:>5}  {', '.join(e.parts):<{width}}  {r.status}")
        if r.status == FAILING:
            say("check: ", r.check)
            say("", r.message)
            if r.hint:
                say("hint: ", r.hint)
        elif r.status in (MISSING, UNCHECKED):
            say("", r.message)
        for skipped in r.skipped:
            say("skipped: ", skipped)
    counts = {s: sum(r.status == s for r in results) for s in
              (PASSED, FAILING, NOT_WRITTEN, SKIPPED, MISSING, UNCHECKED)}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n)]
    return "\n".join(lines)


def exit_code(results):
    """0 when every exercise written so far passes, 1 otherwise."""
    return int(any(r.status in (FAILING, UNCHECKED) for r in results))


def main_check(copy=None, select=None, out=None):
    """The ``check`` command: grade, print the report (to ``out``, default standard output),
    return the exit code: 0 when every exercise written so far passes."""
    out = sys.stdout if out is None else out
    results = grade(copy, select)
    if not results:
        print(f"no exercise is called {select!r}; `python -m minigan.exercises list` shows "
              "them", file=out)
        return 2
    source = "the solutions in minigan/exercises" if copy is None else f"your copy in {copy}"
    print(format_report(results, source), file=out)
    return exit_code(results)
