"""Exercises: the course's ideas, written by the learner, shipped with their solutions.

    python -m minigan.exercises list                        # the course, module by module
    python -m minigan.exercises learner-copy --out learner  # a copy with the solutions blanked
    python -m minigan.exercises check --copy learner        # the grader: where you stand

The modules ``exNN_topic.py`` are the exercises, solved, one per tutorial in the tutorials'
order: backwards of pointwise ops, broadcasting, a mean and BCE (1-4), the convolution (5), the
optimal discriminator (6), the GAN step (7), Adam (8), the mode metrics (9), the gradient
penalty (10), batch norm (11), the im2col kernel in CUDA C (12) and the order of a GAN step's
two updates, which in-place checks guard (13). :mod:`~minigan.exercises.learner_copy` finds
their solution blocks and writes the learner's copy; :mod:`~minigan.exercises.checking` is the
grader, which runs the checks in ``checks/exNN_topic.py`` on the solutions or on a copy.
docs/exercises.md is the course page.
"""

from .checking import Check, grade
from .learner_copy import (
    Exercise,
    ExerciseFormatError,
    all_exercises,
    blank_solutions,
    find_exercises,
    write_learner_copy,
)

__all__ = ["Check", "Exercise", "ExerciseFormatError", "all_exercises", "blank_solutions",
           "find_exercises", "grade", "write_learner_copy"]
