"""Where the exercise tests get the exercises: the solutions in minigan/exercises by default, or
a learner's copy, the directory named by the environment variable MINIGAN_EXERCISES:

    python -m minigan.exercises learner-copy --out learner
    MINIGAN_EXERCISES=learner python -m pytest -m exercise tests/exercises
"""

import importlib
import importlib.util
import os
from pathlib import Path

import pytest

from minigan.exercises.learner_copy import ENV_VAR


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
    if directory is None:
        return lambda name: importlib.import_module(f"minigan.exercises.{name}")
    loaded = {}

    def load(name):
        if name not in loaded:
            path = directory / f"{name}.py"
            if not path.is_file():
                pytest.fail(f"{ENV_VAR}={directory}: there is no {path.name} there; write a copy "
                            "with: python -m minigan.exercises learner-copy --out DIR",
                            pytrace=False)
            # A name of its own, so that the copy never shadows the package's module.
            spec = importlib.util.spec_from_file_location(f"learner_copy_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[name] = module
        return loaded[name]

    return load
