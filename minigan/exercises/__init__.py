"""Exercises: operations whose backward the learner writes, shipped with their solutions.

    python -m minigan.exercises list                        # what each exercise asks
    python -m minigan.exercises learner-copy --out learner  # a copy with the solutions blanked
    MINIGAN_EXERCISES=learner python -m pytest -m exercise tests/exercises   # check a copy

The modules ``ex01_pointwise`` (tanh, sigmoid, softplus, leaky relu), ``ex02_broadcasting``
(unbroadcast, a broadcasting multiply), ``ex03_reduction`` (mean over a dimension) and
``ex04_gan_loss`` (binary cross-entropy with logits) are the exercises, solved, with
``ex13_inplace`` (the order of a GAN step's two updates, which in-place checks guard);
:mod:`~minigan.exercises.learner_copy` finds their solution blocks and writes the learner's copy.
docs/exercises.md walks through them.
"""

from .learner_copy import (
    Exercise,
    ExerciseFormatError,
    all_exercises,
    blank_solutions,
    find_exercises,
    write_learner_copy,
)

__all__ = ["Exercise", "ExerciseFormatError", "all_exercises", "blank_solutions",
           "find_exercises", "write_learner_copy"]
