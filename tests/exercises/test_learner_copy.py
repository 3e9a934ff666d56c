"""The learner-copy tool: solution blocks found and blanked, the command line, and its promise:
the exercise tests fail on every exercise of a fresh copy and pass on the solutions."""

import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from minigan.exercises import (
    Exercise,
    ExerciseFormatError,
    all_exercises,
    blank_solutions,
    find_exercises,
)
from minigan.exercises.__main__ import main
from minigan.exercises.learner_copy import (
    BEGIN,
    C_BEGIN,
    C_END,
    END,
    ENV_VAR,
    c_source,
    check_command,
    exercise_modules,
    module_info,
    solution_blocks,
)

ROOT = Path(__file__).resolve().parents[2]
MODULES = exercise_modules()


C_BLANK = "(your CUDA C replaces this line)"


def c_source_argument(function):
    """The string literal a function passes to ``c_source``: an exercise's C source."""
    calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)
             and getattr(node.func, "id", None) == "c_source"]
    assert len(calls) == 1, f"{function.name} calls c_source {len(calls)} times"
    return ast.literal_eval(calls[0].args[0])


def definitions(tree):
    """{qualified name: node} for every class and function of a parsed module."""
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[prefix + child.name] = child
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


# -- blanking the package's modules ------------------------------------------------------------

@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_blanking_replaces_each_solution_by_a_raise_and_keeps_the_rest(path):
    source = path.read_text(encoding="utf-8")
    blocks = solution_blocks(source, path.name)
    assert blocks, f"{path.name} has no solution block"
    blanked = blank_solutions(source, path.name)
    assert not {BEGIN, END, C_BEGIN, C_END} & {line.strip() for line in blanked.splitlines()}

    # Outside the blocks nothing changed: the module without its blocks is the copy without the
    # raises (and C's blank lines), line for line.
    copy_lines = blanked.splitlines()
    blanks = [line for line in copy_lines if "raise NotImplementedError(" in line
              or line.endswith(C_BLANK)]
    assert len(blanks) == len(blocks)
    kept = [line for i, line in enumerate(source.splitlines(), 1)
            if not any(b.begin <= i <= b.end for b in blocks)]
    assert [line for line in copy_lines if line not in blanks] == kept

    # Each function to write now raises, at the block's indentation, naming its exercise; in C
    # the blank is a comment line, and c_source raises for it.
    numbers = {e.name: e.number for e in find_exercises(path)}
    original, copy = definitions(ast.parse(source)), definitions(ast.parse(blanked))
    for block, line in zip(blocks, blanks):
        message = f"Exercise {numbers[block.exercise]}: write {block.part}"
        if block.language == "c":
            assert line == f"{block.indent}// {message} {C_BLANK}"
            with pytest.raises(NotImplementedError, match=f"^{message}$"):
                c_source(c_source_argument(copy[block.part]))
            assert c_source(c_source_argument(original[block.part]))  # the solution's is kept
        else:
            assert line == f'{block.indent}raise NotImplementedError("{message}")'
            assert isinstance(copy[block.part].body[-1], ast.Raise)
    # The math and the hints are kept.
    assert {name: ast.get_docstring(node) for name, node in copy.items()} == \
        {name: ast.get_docstring(node) for name, node in original.items()}


def test_every_module_numbers_its_exercises_in_order():
    exercises = all_exercises()
    assert len({e.name for e in exercises}) == len(exercises), "exercise names must be unique"
    for path in MODULES:
        found = find_exercises(path)
        assert [e.number for e in found] == [f"{int(path.stem[2:4])}.{k}"
                                             for k in range(1, len(found) + 1)]


# -- the markers, on small made-up modules -----------------------------------------------------

DEMO = '''\
"""A made-up exercise module."""


class Square:
    """y = x^2."""

    @staticmethod
    def forward(ctx, x):
        # BEGIN SOLUTION
        return x * x
        # END SOLUTION

    @staticmethod
    def backward(ctx, g):
        """Hint: 2 x."""
        (x,) = ctx.inputs
        # BEGIN SOLUTION
        return 2 * x * g
        # END SOLUTION


class Given:
    """Nothing to write here."""

    def method(self):
        return 1


def double(x):
    """y = 2 x.

    Between the markers (a '# BEGIN SOLUTION' line in a string is not a marker).
    """
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION
'''


def test_exercises_are_the_top_level_definitions_holding_solutions(tmp_path):
    path = tmp_path / "ex07_demo.py"
    path.write_text(DEMO)
    assert find_exercises(path) == [
        Exercise("ex07_demo", "7.1", "Square", ("Square.forward", "Square.backward"), "y = x^2."),
        Exercise("ex07_demo", "7.2", "double", ("double",), "y = 2 x."),
    ]
    blanked = blank_solutions(DEMO, path.name)
    assert [line.strip() for line in blanked.splitlines() if "raise" in line] == [
        'raise NotImplementedError("Exercise 7.1: write Square.forward")',
        'raise NotImplementedError("Exercise 7.1: write Square.backward")',
        'raise NotImplementedError("Exercise 7.2: write double")',
    ]
    namespace = {}
    exec(compile(blanked, path.name, "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Exercise 7.2"):
        namespace["double"](1.0)
    assert namespace["Given"]().method() == 1


C_DEMO = '''\
"""A made-up exercise module in C."""


def kernel():
    """The CUDA C of y = 2 x."""
    return c_source(r"""
__device__ void twice(const float* x, float* y, int n) {
    // BEGIN SOLUTION
    // a comment in the solution is kept with it
    for (int i = 0; i < n; ++i) y[i] = 2 * x[i];
    // END SOLUTION
}
""")


def square(x):
    """y = x^2, in Python beside it."""
    # BEGIN SOLUTION
    return x * x
    # END SOLUTION
'''


def test_a_block_of_c_in_a_string_is_blanked_to_a_comment_that_c_source_raises_for(tmp_path):
    path = tmp_path / "ex12_demo.py"
    path.write_text(C_DEMO)
    assert [(b.language, b.part) for b in solution_blocks(C_DEMO, path.name)] == [
        ("c", "kernel"), ("python", "square")]
    assert [e.number for e in find_exercises(path)] == ["12.1", "12.2"]
    blanked = blank_solutions(C_DEMO, path.name)
    assert "    // Exercise 12.1: write kernel (your CUDA C replaces this line)\n}" in blanked
    assert "a comment in the solution" not in blanked and "2 * x[i]" not in blanked
    namespace = {"c_source": c_source}
    exec(compile(blanked, path.name, "exec"), namespace)
    with pytest.raises(NotImplementedError, match="^Exercise 12.1: write kernel$"):
        namespace["kernel"]()
    solved = {"c_source": c_source}
    exec(compile(C_DEMO, path.name, "exec"), solved)
    assert "y[i] = 2 * x[i];" in solved["kernel"]()


@pytest.mark.parametrize("source, complaint", [
    ("def f(x):\n    # BEGIN SOLUTION\n    return x\n", "never closed"),
    ("def f(x):\n    return x\n    # END SOLUTION\n", "without a"),
    ("def f(x):\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n",
     "inside the block opened at line 2"),
    ("def f(x):\n    # BEGIN SOLUTION\n    return x\n# END SOLUTION\n", "not indented like"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
    ("def f(x):\n    # BEGIN SOLUTION\n    # think\n    # END SOLUTION\n    return x\n",
     "without code"),
    ("def f(x):\n    return x  # BEGIN SOLUTION\n", "stand alone"),
    ('def f():\n    s = """\n    // BEGIN SOLUTION\n    int i;\n"""\n    # END SOLUTION\n'
     '    return s\n', "cannot close the '// BEGIN SOLUTION'"),
    ('def f():\n    return """\n    // BEGIN SOLUTION\n    // only a comment\n'
     '    // END SOLUTION\n"""\n', "without code"),
    ('S = """\n// BEGIN SOLUTION\nint i;\n// END SOLUTION\n"""\n', "inside a function"),
], ids=["unclosed", "unopened", "nested", "indentation", "module level", "no code", "trailing",
        "c closed by python", "c without code", "c at module level"])
def test_malformed_markers_are_reported_with_their_line(source, complaint):
    with pytest.raises(ExerciseFormatError, match=complaint):
        blank_solutions(source, "ex09_bad.py")


def test_a_block_that_cuts_a_statement_is_refused():
    source = "def f(x):\n    y = (x +\n    # BEGIN SOLUTION\n         1)\n    # END SOLUTION\n"
    with pytest.raises(ExerciseFormatError, match="not valid Python"):
        blank_solutions(source, "ex09_bad.py")


def test_a_module_must_be_named_for_its_number():
    with pytest.raises(ExerciseFormatError, match="ex01_topic.py"):
        blank_solutions(DEMO, "demo.py")


# -- the command line --------------------------------------------------------------------------

def test_list_shows_every_exercise_under_its_module_and_tutorial(capsys):
    assert main(["list"]) == 0
    shown = capsys.readouterr().out
    for e in all_exercises():
        assert f"{e.number}  {e.name}" in shown
        assert f"{e.module}.py: write {', '.join(e.parts)}" in shown
    for path in MODULES:
        title, tutorial = module_info(path)
        assert f"{path.name}: {title} (after {tutorial})" in shown
        assert (ROOT / tutorial).is_file(), f"{path.name} names a tutorial that is not there"


def test_every_exercise_module_names_its_tutorial_and_they_come_in_tutorial_order():
    tutorials = [module_info(path)[1] for path in MODULES]
    assert all(tutorials), "each exercise module has a 'Tutorial: tutorials/NN_name.py' line"
    assert tutorials == sorted(tutorials)


def test_the_course_page_shows_every_exercise_as_list_prints_it(capsys):
    """docs/exercises.md holds the table `list --markdown` prints (rows for exercises still to
    come may stand there too)."""
    assert main(["list", "--markdown"]) == 0
    page = (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
    for row in capsys.readouterr().out.splitlines():
        assert row in page, f"docs/exercises.md lacks the row (python -m minigan.exercises " \
                            f"list --markdown prints it):\n{row}"


def test_learner_copy_writes_the_blanked_modules_and_a_readme(tmp_path, capsys):
    out = tmp_path / "learner"
    assert main(["learner-copy", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([p.name for p in MODULES]
                                                           + ["README.md"])
    for path in MODULES:
        assert (out / path.name).read_text() == blank_solutions(path.read_text(), path.name)
    readme = (out / "README.md").read_text()
    assert check_command(out) in readme
    assert f"{ENV_VAR}={out.resolve()} python -m pytest -m exercise" in readme
    assert check_command(out) in capsys.readouterr().out


def test_learner_copy_keeps_a_learners_work_unless_forced(tmp_path, capsys):
    out = tmp_path / "learner"
    out.mkdir()
    work = out / MODULES[0].name
    work.write_text("# my answers\n")
    assert main(["learner-copy", "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert work.read_text() == "# my answers\n"
    assert sorted(p.name for p in out.iterdir()) == [work.name]

    assert main(["learner-copy", "--out", str(out), "--force"]) == 0
    assert work.read_text() == blank_solutions(MODULES[0].read_text(), MODULES[0].name)


def test_learner_copy_writes_into_an_empty_directory_but_not_over_a_file(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["learner-copy", "--out", str(empty)]) == 0
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert main(["learner-copy", "--out", str(a_file), "--force"]) == 1
    assert "not a directory" in capsys.readouterr().err


# -- the exercise tests against a copy (pytest in a subprocess) -------------------------------

def run(*args, env=None):
    """``python *args`` in the repository's root."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def exercise_test_results(directory, report):
    """Run the exercise tests against ``directory``: {(module, exercise, check id): (outcome,
    message)} for the CPU checks, and {test name: outcome} for the other exercise tests (the
    property tests of exercise 5), from pytest's JUnit XML report."""
    env = {**os.environ, ENV_VAR: str(directory)}
    done = run("-m", "pytest", "-m", "exercise", "tests/exercises", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", env=env)
    assert report.exists(), done.stdout + done.stderr
    checks, others = {}, {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problems = [p for p in map(case.find, ("failure", "error", "skipped")) if p is not None]
        outcome = (problems[0].tag, problems[0].get("message")) if problems else ("passed", "")
        name, _, test_id = case.get("name").partition("[")
        if name != "test_exercise":
            others[name] = outcome[0]
        elif test_id.startswith("cpu-"):
            module, _, rest = test_id[len("cpu-"):].partition(".")
            exercise, _, words = rest.rstrip("]").partition("-")
            checks[(module, exercise, words)] = outcome
    return checks, others


def test_every_exercise_fails_on_a_fresh_copy(tmp_path):
    copy = tmp_path / "learner"
    done = run("-m", "minigan.exercises", "learner-copy", "--out", str(copy))  # as documented
    assert done.returncode == 0, done.stderr
    checks, others = exercise_test_results(copy, tmp_path / "report.xml")
    exercises = all_exercises()
    assert {(m, e) for m, e, _ in checks} == {(e.module, e.name) for e in exercises}
    numbers = {(e.module, e.name): e.number for e in exercises}
    for (module, exercise, words), (outcome, message) in checks.items():
        assert outcome == "failure", f"{module}.{exercise} {words}: {outcome}"
        assert f"NotImplementedError: Exercise {numbers[module, exercise]}: write" in message
    assert others and set(others.values()) == {"failure"}, others


@pytest.mark.slow  # the grader's test on a solved copy (test_grader.py) runs the same checks
def test_every_exercise_passes_when_the_copy_holds_the_solutions(tmp_path):
    solved = tmp_path / "solved"
    solved.mkdir()
    for path in MODULES:
        shutil.copy(path, solved)
    checks, others = exercise_test_results(solved, tmp_path / "report.xml")
    assert {(m, e) for m, e, _ in checks} == {(e.module, e.name) for e in all_exercises()}
    assert {outcome for outcome, _ in checks.values()} <= {"passed", "skipped"}
    assert set(others.values()) == {"passed"}
