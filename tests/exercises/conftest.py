"""Where the exercise tests get the exercises: the solutions in minigan/exercises by default, or
a learner's copy, the directory named by the environment variable MINIGAN_EXERCISES:

    python -m minigan.exercises learner-copy --out learner
    MINIGAN_EXERCISES=learner python -m pytest -m exercise tests/exercises
"""

import os
import shutil
from pathlib import Path

import pytest

from minigan.exercises.checking import load_module
from minigan.exercises.learner_copy import ENV_VAR, exercise_modules


def _learner_dir():
    """The learner's copy named by the environment, resolved; None to check the solutions."""
    directory = os.environ.get(ENV_VAR)
    return Path(directory).resolve() if directory else None


def pytest_report_header(config):
    directory = _learner_dir()
    return f"exercises: {'the solutions in minigan/exercises' if directory is None else directory}"


@pytest.fixture(scope="session")
def load_exercise():
    """A function from a module name ("ex01_pointwise") to that exercise module, imported from
    the package or, under MINIGAN_EXERCISES=DIR, from the file DIR/ex01_pointwise.py."""
    directory = _learner_dir()
    loaded = {}

    def load(name):
        if name not in loaded:
            try:
                loaded[name] = load_module(name, directory)
            except FileNotFoundError as err:
                pytest.fail(f"{ENV_VAR}={directory}: {err}; write a copy with: python -m "
                            "minigan.exercises learner-copy --out DIR", pytrace=False)
        return loaded[name]

    return load


@pytest.fixture
def solved(tmp_path):
    """A copy holding the solutions; tests plant mistakes in it."""
    for path in exercise_modules():
        shutil.copy(path, tmp_path)
    return tmp_path


@pytest.fixture
def plant():
    """``plant(directory, module, old, new)`` replaces ``old`` by ``new`` in the copy's
    ``module``.py (``old`` must be there): a planted mistake."""
    def replace(directory, module, old, new):
        path = Path(directory) / f"{module}.py"
        text = path.read_text()
        assert old in text, f"{old!r} is not in {module}.py"
        path.write_text(text.replace(old, new))
    return replace
