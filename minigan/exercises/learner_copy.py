"""Solution blocks in the exercise modules: find them, list the exercises, blank them out.

An exercise module (``exNN_topic.py`` in this package) is ordinary, working Python. The lines a
learner is to write stand, inside a function, between two comment lines::

    # BEGIN SOLUTION
    ...
    # END SOLUTION

A *learner's copy* of the modules has each such block, markers included, replaced by the single
line ``raise NotImplementedError("Exercise 1.2: write Sigmoid.backward")`` at the block's
indentation; everything else (the docstrings with the math and the hints, forward) is kept.

An exercise in C (a CUDA kernel) is a function that returns its source as a string literal,
passed through :func:`c_source`; there the markers are C comment lines inside the string,
``// BEGIN SOLUTION`` and ``// END SOLUTION``. A blanked C block becomes the comment line
``// Exercise 12.1: write im2col_kernel (your CUDA C replaces this line)``, so that the kernel
still compiles, and :func:`c_source` raises the ``NotImplementedError`` a blanked Python block
would, with the same message, while that line is in the source.

The exercise tests import either the modules of this package or a copy (the directory named by
the environment variable ``MINIGAN_EXERCISES``), so the same tests check both.
"""

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
C_BEGIN = "// BEGIN SOLUTION"  # the markers of a block of C, inside a string literal
C_END = "// END SOLUTION"
_C_BLANK = "(your CUDA C replaces this line)"
_C_BLANK_LINE = re.compile(r"^[ \t]*// (Exercise \d+\.\d+: write [\w.]+) " + re.escape(_C_BLANK)
                           + r"[ \t]*$", re.M)
ENV_VAR = "MINIGAN_EXERCISES"
PACKAGE_DIR = Path(__file__).resolve().parent
MODULE_PATTERN = "ex[0-9][0-9]_*.py"


class ExerciseFormatError(ValueError):
    """The solution markers of an exercise module are malformed."""


@dataclass(frozen=True)
class Block:
    """One solution: lines ``begin`` to ``end`` (1-based, the markers included), indented by
    ``indent``, inside the function ``part`` (``"Sigmoid.backward"``) of the top-level class or
    function ``exercise`` (``"Sigmoid"``)."""

    begin: int
    end: int
    indent: str
    part: str
    exercise: str
    language: str = "python"  # or "c": a block of C source inside a string


@dataclass(frozen=True)
class Exercise:
    """One exercise: a top-level class or function of a module with solution blocks in it."""

    module: str  # the file's stem, e.g. "ex01_pointwise"
    number: str  # "1.2": the module's number, then the exercise's rank in the module
    name: str  # "Sigmoid"
    parts: tuple  # the functions to write, e.g. ("Sigmoid.backward",)
    summary: str  # the first line of its docstring


def exercise_modules(directory=PACKAGE_DIR):
    """The exercise modules in ``directory`` (this package by default), in order."""
    return sorted(Path(directory).glob(MODULE_PATTERN))


_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENDMARKER}


def _c_lines(token, lines):
    """The C marker lines of a string token, as (line, marker, indentation), and its lines of C
    code (not blank, not a // comment)."""
    markers, code = [], set()
    for row in range(token.start[0], token.end[0] + 1):
        line = lines[row - 1]
        text = line.strip()
        if text in (C_BEGIN, C_END):
            markers.append((row, text, line[:len(line) - len(line.lstrip())]))
        elif text and not text.startswith("//"):
            code.add(row)
    return markers, code


def _scan(source, filename):
    """The marker lines, as (line, marker, indentation): Python's marker comments, each checked
    to stand alone on its line, and C's marker lines inside string literals. And the lines of
    code: for Python those that hold code (not only comments or blanks), for C the lines of C
    code inside strings."""
    lines = source.splitlines()
    markers, code_lines, c_code_lines = [], set(), set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            code_lines.update(range(token.start[0], token.end[0] + 1))
        if token.type == tokenize.STRING:
            found, code = _c_lines(token, lines)
            markers += found
            c_code_lines |= code
        marker = token.string.strip()
        if token.type != tokenize.COMMENT or marker not in (BEGIN, END):
            continue
        row, col = token.start
        if lines[row - 1].strip() != marker:
            raise ExerciseFormatError(f"{filename}:{row}: '{marker}' must stand alone on its line")
        markers.append((row, marker, lines[row - 1][:col]))
    return sorted(markers), {"python": code_lines, "c": c_code_lines}


def _functions(tree):
    """(first line, last line, qualified name, top-level name) of every function in a module,
    methods included (a method's qualified name is ``Class.method``)."""
    def visit(node, prefix, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    yield child.lineno, child.end_lineno, name, top or child.name
                yield from visit(child, name + ".", top or child.name)
    return list(visit(tree, "", None))


def solution_blocks(source, filename="<exercise>"):
    """The solution blocks of a module's source, in order; raises ExerciseFormatError for an
    unpaired or nested marker, a block without code, or a block that is not inside a function."""
    functions = _functions(ast.parse(source, filename))
    markers, code_lines = _scan(source, filename)
    blocks, opened = [], None
    for row, marker, indent in markers:
        if marker in (BEGIN, C_BEGIN):
            if opened is not None:
                raise ExerciseFormatError(f"{filename}:{row}: '{marker}' inside the block opened "
                                          f"at line {opened[0]}")
            opened = (row, indent, marker)
            continue
        if opened is None:
            raise ExerciseFormatError(f"{filename}:{row}: '{marker}' without a BEGIN SOLUTION "
                                      "line before it")
        begin, begin_indent, begin_marker = opened
        opened = None
        language = "c" if begin_marker == C_BEGIN else "python"
        if marker != (C_END if language == "c" else END):
            raise ExerciseFormatError(f"{filename}:{row}: '{marker}' cannot close the "
                                      f"'{begin_marker}' at line {begin}")
        if indent != begin_indent:
            raise ExerciseFormatError(f"{filename}:{row}: '{marker}' is not indented like the "
                                      f"'{begin_marker}' at line {begin}")
        code = [line for line in range(begin + 1, row) if line in code_lines[language]]
        if not code:
            raise ExerciseFormatError(f"{filename}:{begin}: a solution block without code")
        # The learner writes the innermost function that holds the block's code. (A function
        # ends at its last statement, so a trailing END marker may lie past its end.)
        inside = [f for f in functions if f[0] < begin and code[-1] <= f[1]]
        if not inside:
            raise ExerciseFormatError(f"{filename}:{begin}: a solution block must be inside a "
                                      "function (blanked, it becomes a raise statement)")
        _, _, part, exercise = max(inside, key=lambda f: f[0])
        blocks.append(Block(begin, row, begin_indent, part, exercise, language))
    if opened is not None:
        raise ExerciseFormatError(f"{filename}:{opened[0]}: '{opened[2]}' is never closed")
    return blocks


def _module_number(filename):
    """NN of a module named exNN_topic.py: the first part of its exercises' numbers."""
    stem = Path(filename).stem
    if not Path(filename).match(MODULE_PATTERN):
        raise ExerciseFormatError(f"{filename}: an exercise module is named like ex01_topic.py")
    return int(stem[2:4])


def _numbers(blocks, filename):
    """Exercise name -> its number ("1.2"), ranked by first appearance in the module."""
    numbers = {}
    for block in blocks:
        if block.exercise not in numbers:
            numbers[block.exercise] = f"{_module_number(filename)}.{len(numbers) + 1}"
    return numbers


def find_exercises(path):
    """The exercises of one exercise module, in the order they appear."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    tops = {node.name: node for node in ast.parse(source, path.name).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    blocks = solution_blocks(source, path.name)
    exercises = []
    for name, number in _numbers(blocks, path.name).items():
        parts = dict.fromkeys(b.part for b in blocks if b.exercise == name)  # ordered, unique
        summary = (ast.get_docstring(tops[name]) or "").split("\n", 1)[0]
        exercises.append(Exercise(path.stem, number, name, tuple(parts), summary))
    return exercises


def all_exercises(directory=PACKAGE_DIR):
    """Every exercise of every exercise module in ``directory``."""
    return [e for path in exercise_modules(directory) for e in find_exercises(path)]


def blank_line(block, number):
    """The line that replaces ``block``, the solution of exercise ``number`` ("5.2"), in a
    learner's copy: a ``raise NotImplementedError`` naming the exercise and the function to
    write, or for C a comment line saying the same, which :func:`c_source` turns into that
    raise."""
    message = f"Exercise {number}: write {block.part}"
    if block.language == "c":
        return f"{block.indent}// {message} {_C_BLANK}\n"
    return f'{block.indent}raise NotImplementedError("{message}")\n'


def c_source(code):
    """``code``, the C source an exercise function returns, as it is; but while a blanked solution
    of it is still there, the NotImplementedError that a blanked Python solution raises, with
    the same message ("Exercise 12.1: write im2col_kernel")."""
    blank = _C_BLANK_LINE.search(code)
    if blank:
        raise NotImplementedError(blank.group(1))
    return code


def blank_solutions(source, filename):
    """The source of the module ``filename`` (exNN_topic.py) with every solution block replaced
    by the line :func:`blank_line` gives: a ``raise NotImplementedError`` naming the exercise and
    the function to write (for C, a comment line that :func:`c_source` raises for)."""
    blocks = solution_blocks(source, filename)
    numbers = _numbers(blocks, filename)
    lines = source.splitlines(keepends=True)
    for block in reversed(blocks):  # from the bottom up, so that earlier line numbers hold
        lines[block.begin - 1:block.end] = [blank_line(block, numbers[block.exercise])]
    blanked = "".join(lines)
    try:
        compile(blanked, filename, "exec")
    except SyntaxError as err:
        raise ExerciseFormatError(
            f"{filename}: without its solutions the module is not valid Python ({err.msg}, line "
            f"{err.lineno}); does a solution block cut a statement in two?") from err
    return blanked


def module_info(path):
    """(title, tutorial) of an exercise module, from its docstring: the first line without its
    "Exercise N: " and the path on its "Tutorial: " line ("" where there is none)."""
    doc = ast.get_docstring(ast.parse(Path(path).read_text(encoding="utf-8"))) or ""
    title = doc.split("\n", 1)[0].split(": ", 1)[-1].rstrip(".")
    tutorial = next((line.split(":", 1)[1].split()[0] for line in doc.splitlines()
                     if line.startswith("Tutorial:") and line.split(":", 1)[1].split()), "")
    return title, tutorial


def format_table(exercises):
    """The course as text: for each module its title and tutorial, then one line per exercise
    (number, name, what to write) and the first line of its docstring."""
    width = max(len(e.name) for e in exercises)
    rows, module = [], None
    for e in exercises:
        if e.module != module:
            module = e.module
            title, tutorial = module_info(PACKAGE_DIR / f"{module}.py")
            rows.append(f"{module}.py: {title}" + (f" (after {tutorial})" if tutorial else ""))
        rows.append(f"{e.number:>4}  {e.name:<{width}}  {e.module}.py: write {', '.join(e.parts)}")
        rows.append(" " * (width + 8) + e.summary)
    return "\n".join(rows)


def format_markdown(exercises):
    """The course as the Markdown table of docs/exercises.md: one row per exercise."""
    rows = ["| # | what you write | after tutorial | what it is |", "| --- | --- | --- | --- |"]
    for e in exercises:
        tutorial = module_info(PACKAGE_DIR / f"{e.module}.py")[1]
        link = f"[{Path(tutorial).stem}](../{tutorial})" if tutorial else ""
        parts = ", ".join(f"`{part}`" for part in e.parts)
        summary = e.summary.replace("``", "`").replace("|", "\\|")
        rows.append(f"| {e.number} | {parts} (`{e.module}.py`) | {link} | {summary} |")
    return "\n".join(rows)


def check_command(directory):
    """The command that grades the copy in ``directory``."""
    return f"python -m minigan.exercises check --copy {Path(directory).resolve()}"


def pytest_command(directory):
    """The command that runs the exercise tests (pytest, from the repository) on the copy."""
    return f"{ENV_VAR}={Path(directory).resolve()} python -m pytest -m exercise tests/exercises"


_README = """\
# minigan exercises: your copy

Each `raise NotImplementedError("Exercise ...")` in these files marks code for you to write, in
place of that line; the docstring above it gives the math and a hint. In a CUDA kernel, the
line `// Exercise ...: write ... (your CUDA C replaces this line)` marks it.

Take them in order, each after its tutorial:

{table}

Check your answers (all of them, or one: add `5.2`):

    {command}

It prints a line per exercise: passed, not written yet, or failing with the first check that
failed, what was wrong and a hint. From a checkout of the repository the same checks also run
under pytest: `{pytest}`. docs/exercises.md in the repository says more.
"""


def write_learner_copy(out, force=False):
    """Write the exercise modules, solutions blanked, and a README into the directory ``out``.

    Refuses (FileExistsError) to write into a non-empty directory unless ``force``; with
    ``force`` it overwrites the files it writes and leaves any others alone. Returns the paths
    written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} is a directory that is not empty (use --force to "
                              "overwrite the exercise files in it)")
    modules = exercise_modules()
    # Blank everything before writing anything: a malformed module leaves no half-made copy.
    texts = {path.name: blank_solutions(path.read_text(encoding="utf-8"), path.name)
             for path in modules}
    texts["README.md"] = _README.format(table=format_table(all_exercises()),
                                        command=check_command(out), pytest=pytest_command(out))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written
