"""The exercises, checked: every check of minigan/exercises/checks, one test each, on the
solutions shipped in minigan/exercises or on a learner's copy under MINIGAN_EXERCISES=DIR (see
conftest.py). Marked ``exercise``. The grader (``python -m minigan.exercises check``) runs the
same checks without pytest."""

import re

import numpy as np
import pytest

import minigan
from minigan.exercises import all_exercises
from minigan.exercises.checking import CheckSkipped, all_checks, checks_of
from minigan.exercises.learner_copy import exercise_modules


def check_id(module, check, device):
    """cpu-ex05_convolution.Conv2d-the-gradients-equal-those-of-minigan-s-conv2d"""
    words = "-".join(re.findall(r"[a-z0-9]+", check.title.lower()))
    return f"{device}-{module}.{check.exercise}-{words}"


PARAMS = [pytest.param(module, check, device, id=check_id(module, check, device),
                       marks=[pytest.mark.cuda] if device == "cuda" else [])
          for module, check in all_checks() for device in check.devices]


@pytest.mark.exercise
@pytest.mark.parametrize("module, check, device", PARAMS)
def test_exercise(module, check, device, load_exercise):
    if device == "cuda" and not minigan.cuda.is_available():
        pytest.skip(f"cuda: {minigan.cuda.unavailable_reason()}")
    try:
        check.run(load_exercise(module), device)
    except CheckSkipped as why:
        pytest.skip(str(why))


def test_every_exercise_module_has_checks_and_every_exercise_a_check():
    """An exercise added to minigan/exercises without a check would go unchecked."""
    for path in exercise_modules():
        assert checks_of(path.stem) is not None, f"no minigan/exercises/checks/{path.name}"
    checked = {(module, check.exercise) for module, check in all_checks()}
    assert {(e.module, e.name) for e in all_exercises()} == checked


def test_check_ids_are_unique():
    ids = [p.id for p in PARAMS]
    assert len(ids) == len(set(ids))


def test_bce_with_logits_names_a_shape_mismatch():
    from minigan.exercises.ex04_gan_loss import BCEWithLogits

    expected = r"targets t must have the shape of the logits x, \(2, 3\); got \(3,\)"
    with pytest.raises(ValueError, match=expected):
        BCEWithLogits.apply(minigan.zeros(2, 3), minigan.zeros(3))


def test_the_exercise_forwards_agree_with_minigan():
    """The forwards the learner is given (conv, batch norm) compute what minigan computes."""
    from minigan.exercises.ex05_convolution import Conv2d
    from minigan.exercises.ex11_batch_norm import BatchNorm

    rng = np.random.default_rng(0)
    x, w, b = (minigan.tensor(rng.normal(size=s)) for s in ((2, 3, 6, 5), (4, 3, 2, 3), (4,)))
    np.testing.assert_allclose(Conv2d.apply(x, w, b, (2, 1), (1, 0), (1, 2)).numpy(),
                               minigan.functional.conv2d(x, w, b, (2, 1), (1, 0), (1, 2)).numpy(),
                               rtol=1e-12)
    weight, bias = minigan.tensor(rng.uniform(0.5, 1.5, 3)), minigan.tensor(rng.normal(size=3))
    np.testing.assert_allclose(
        BatchNorm.apply(x, weight, bias, 1e-5).numpy(),
        minigan.functional.batch_norm(x, None, None, weight, bias, training=True).numpy(),
        rtol=1e-10, atol=1e-12)
