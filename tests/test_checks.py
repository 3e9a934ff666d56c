"""The argument checks of ``minigan._checks``: each accepts the good values, normalised, and
rejects the rest with a message that names the caller, the argument, what was expected and
what was given; a wrong type is a TypeError (and a ValueError), a bad value a ValueError."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigan import _checks as C
from minigan._checks import ArgumentTypeError

NOT_NUMBERS = [True, False, np.bool_(True), "1", None, [1], (1,), 1 + 0j, np.array(1)]
NOT_INTS = NOT_NUMBERS + [1.0, 2.5, np.float64(3.0), math.nan]


def _raises(error, check, value, *args, expected, **kwargs):
    """check(value, "width", "Layer", ...) raises ``error`` whose message reads in full
    'Layer: width must be <expected>, got <repr(value)>'."""
    message = f"Layer: width must be {expected}, got {value!r}"
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        check(value, "width", "Layer", *args, **kwargs)


# -- integers ------------------------------------------------------------------------------------


@given(st.integers(1, 10**12), st.sampled_from([int, np.int32, np.int64, np.uint8]))
def test_positive_ints_are_accepted_as_python_ints(n, kind):
    n = min(n, np.iinfo(kind).max) if kind is not int else n
    got = C.check_positive_int(kind(n), "width", "Layer")
    assert got == n and type(got) is int


@given(st.integers(-10**6, 0))
def test_zero_and_negatives_are_not_positive(n):
    _raises(ValueError, C.check_positive_int, n, expected="an int >= 1")


@given(st.integers(-10**6, -1))
def test_negatives_are_not_non_negative(n):
    _raises(ValueError, C.check_non_negative_int, n, expected="an int >= 0")
    assert C.check_non_negative_int(-n, "width") == -n
    assert C.check_non_negative_int(0, "width") == 0


@pytest.mark.parametrize("value", NOT_INTS)
def test_bools_floats_and_other_types_are_not_ints(value):
    for check, expected in [(C.check_positive_int, "an int >= 1"),
                            (C.check_non_negative_int, "an int >= 0"),
                            (C.check_int, "an int")]:
        _raises(ArgumentTypeError, check, value, expected=expected)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)


def test_check_int_takes_any_minimum_and_no_caller():
    assert C.check_int(-7, "dim") == -7
    assert C.check_int(2, "n", minimum=2) == 2
    with pytest.raises(ValueError, match=r"^n must be an int >= 2, got 1$"):
        C.check_int(1, "n", minimum=2)


@given(st.integers(0, 12))
def test_powers_of_two(k):
    assert C.check_power_of_two(2 ** k, "width", "Layer") == 2 ** k
    expected = "a power of two >= 16 (16, 32, 64...)"
    if 2 ** k < 16:
        _raises(ValueError, C.check_power_of_two, 2 ** k, minimum=16, expected=expected)
    if k >= 2:
        _raises(ValueError, C.check_power_of_two, 2 ** k - 1, expected="a power of two >= 1 "
                "(1, 2, 4...)")
    _raises(ArgumentTypeError, C.check_power_of_two, float(2 ** k), minimum=16, expected=expected)


# -- pairs and shapes ----------------------------------------------------------------------------


@given(st.integers(0, 100), st.integers(0, 100))
def test_pair_takes_an_int_or_two(h, w):
    assert C.pair(h, "width", "Layer") == (h, h)
    assert C.pair((h, w), "width", "Layer") == (h, w)
    got = C.pair([np.int64(h), w], "width", "Layer")
    assert got == (h, w) and all(type(v) is int for v in got)


@pytest.mark.parametrize("value", [(1, 2, 3), (1,), (), (1, 2.0), (True, 1), 2.0, True, "22",
                                   None, {1: 2, 2: 3}])
def test_pair_rejects_what_is_not_an_int_or_two(value):
    _raises(ArgumentTypeError, C.pair, value, expected="an int or a pair of ints")


@pytest.mark.parametrize("value", [0, (1, 0), (0, 5), -1])
def test_pair_checks_the_minimum_of_both(value):
    _raises(ValueError, C.pair, value, minimum=1, expected="an int >= 1 or a pair of them")
    assert C.pair(value, "width", minimum=-1) == ((value, value) if isinstance(value, int)
                                                  else value)


@given(st.lists(st.integers(0, 9), max_size=4))
def test_shapes(sizes):
    assert C.check_shape(sizes, "width", "Layer") == tuple(sizes)
    assert C.check_shape(tuple(sizes), "width", "Layer") == tuple(sizes)
    if sizes:
        assert C.check_shape(sizes[0], "width", "Layer") == (sizes[0],)
        with pytest.raises(ValueError, match=r"^Layer: width must have sizes >= 0, got "):
            C.check_shape([*sizes, -1], "width", "Layer")


@pytest.mark.parametrize("value", [2.0, True, (2, 2.5), (True,), "3", None])
def test_shape_rejects_what_is_not_sizes(value):
    _raises(ArgumentTypeError, C.check_shape, value, expected="an int or a sequence of ints")


# -- real numbers --------------------------------------------------------------------------------


@given(st.floats(1e-300, 1e300) | st.integers(1, 10**6))
def test_positive_numbers(x):
    got = C.check_positive(x, "width", "Layer")
    assert got == x and type(got) is float
    assert C.check_positive(np.float32(1.5), "width") == 1.5
    _raises(ValueError, C.check_positive, -x, expected="a number > 0")
    assert C.check_non_negative(x, "width") == x


@pytest.mark.parametrize("value", [0, 0.0, -1e-12, math.nan, -math.inf])
def test_zero_nan_and_negatives_are_not_positive(value):
    _raises(ValueError, C.check_positive, value, expected="a number > 0")


@pytest.mark.parametrize("value", [-1, -1e-9, math.nan])
def test_non_negative_numbers(value):
    assert C.check_non_negative(0, "width") == 0.0
    _raises(ValueError, C.check_non_negative, value, expected="a number >= 0")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_bools_and_other_types_are_not_numbers(value):
    _raises(ArgumentTypeError, C.check_positive, value, expected="a number > 0")
    _raises(ArgumentTypeError, C.check_real, value, expected="a number")
    _raises(ArgumentTypeError, C.check_probability, value, expected="a probability in [0, 1]")


@given(st.floats(0, 1))
def test_probabilities(p):
    assert C.check_probability(p, "width", "Layer") == p
    if p < 1:
        assert C.check_probability(p, "width", "Layer", one_allowed=False) == p
    else:
        _raises(ValueError, C.check_probability, p, one_allowed=False,
                expected="a probability in [0, 1)")


@pytest.mark.parametrize("value", [-0.1, 1.0000001, 2, math.nan, math.inf])
def test_out_of_the_unit_interval_is_not_a_probability(value):
    _raises(ValueError, C.check_probability, value, expected="a probability in [0, 1]")


@pytest.mark.parametrize("bounds, inside, outside, expected", [
    (dict(low=0, high=1, low_open=True, high_open=True), [0.5, 1e-9], [0, 1],
     "a number in (0, 1)"),
    (dict(low=-1.5, high=2), [-1.5, 2], [-2, 2.5], "a number in [-1.5, 2]"),
    (dict(high=3, high_open=True), [-1e9, 2.9], [3, 4], "a number < 3"),
    (dict(high=3), [3], [3.1], "a number <= 3"),
    (dict(low=0.5, what="a fraction"), [0.5], [0.4], "a fraction >= 0.5"),
])
def test_check_real_bounds(bounds, inside, outside, expected):
    for x in inside:
        assert C.check_real(x, "width", "Layer", **bounds) == x
    for x in outside:
        _raises(ValueError, C.check_real, x, expected=expected, **bounds)


# -- dtypes and names ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, "float64", np.dtype(np.float16)])
def test_float_dtypes(dtype):
    assert C.check_float_dtype(dtype, "dtype", "Layer") == np.dtype(dtype)


@pytest.mark.parametrize("dtype, error, shown", [
    (np.int32, TypeError, "int32"), (bool, TypeError, "bool"),
    ("int8", TypeError, "int8"),
    ("floaty", ArgumentTypeError, "'floaty'"), (3.5, ArgumentTypeError, "3.5")])
def test_other_dtypes_are_rejected(dtype, error, shown):
    with pytest.raises(error, match=rf"^Layer: dtype must be a floating-point type such as "
                                    rf"float32, got {re.escape(shown)}$"):
        C.check_float_dtype(dtype, "dtype", "Layer")


def test_floating_arrays():
    x = np.zeros(2, np.float32)
    assert C.check_floating(x, "input", "op") is x
    with pytest.raises(TypeError, match=r"^op: input must be floating point \(e\.g\. float32\), "
                                        r"got int64$"):
        C.check_floating(np.zeros(2, np.int64), "input", "op")


@pytest.mark.parametrize("value", ["avg", "MEAN", "", None, 1, ["mean"]])
def test_choices(value):
    choices = ("mean", "sum", "none")
    for good in choices:
        assert C.check_choice(good, "reduction", choices, "loss") == good
    message = f"loss: unknown reduction {value!r}; expected one of 'mean', 'sum', 'none'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        C.check_choice(value, "reduction", choices, "loss")
    with pytest.raises(ValueError, match=r"^unknown noise 'x'; expected one of 'normal'$"):
        C.check_choice("x", "noise", {"normal": 1})
    with pytest.raises(ValueError, match=r"^unknown noise \['normal'\]; expected one of"):
        C.check_choice(["normal"], "noise", {"normal": 1})  # unhashable: not a raw TypeError


# -- the package uses them: one contract, wherever the argument is given -------------------------


def test_one_pair_contract_across_layers_functions_and_kernels():
    import minigan
    from minigan import functional as F
    from minigan import nn
    from minigan.kernels import conv as kernels

    x, w = np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 2, 2))
    for call, caller in [(lambda s: nn.Conv2d(1, 1, 2, stride=s), "Conv2d"),
                         (lambda s: F.conv2d(minigan.tensor(x), minigan.tensor(w), stride=s),
                          "conv2d"),
                         (lambda s: kernels.conv2d(x, w, stride=s), "conv2d")]:
        assert call(np.int64(2)) is not None and call((1, 2)) is not None
        with pytest.raises(ArgumentTypeError, match=rf"^{caller}: stride must be an int or a "
                                                    r"pair of ints, got 1\.5$"):
            call(1.5)
        with pytest.raises(ValueError, match=rf"^{caller}: stride must be an int >= 1 or a pair "
                                             r"of them, got \(1, 0\)$"):
            call((1, 0))
