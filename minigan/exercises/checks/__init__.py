"""The checks of the exercises: ``checks/exNN_topic.py`` holds ``CHECKS``, the list of
:class:`~minigan.exercises.checking.Check` objects for the exercise module ``exNN_topic.py``.
The grader (``python -m minigan.exercises check``) and the tests in ``tests/exercises`` run them.
"""
