"""Argument checks, written once for the whole package: a bad argument fails where it is
passed, with a message that names the caller, the argument, what was expected and what was
given (``Linear: in_features must be an int >= 1, got 0``), not later as a NumPy traceback.

Every check returns the value it accepted, normalised (a Python ``int`` or ``float``, a
tuple), so a caller writes ``self.stride = pair(stride, "stride", "Conv2d", minimum=1)``.

The contract, the same for every check:
- ``caller`` names the function or class the user called (``"Conv2d"``,
  ``"DigitLoader.sample"``); the message starts with it. ``name`` is the argument's name.
- A value of the wrong type (``2.5`` or ``True`` for a count, a string for a rate) raises
  :class:`ArgumentTypeError`, a ``TypeError`` as in Python and PyTorch. It is also a
  ``ValueError``, because these checks raised ``ValueError`` before they were gathered here,
  and code that catches it should keep working.
- A value of the right type out of range (``0`` for a count, ``1.5`` for a probability) raises
  ``ValueError``.
- ``bool`` is never a number here, although Python makes it an ``int``: ``Linear(True, 3)`` is
  a mistake. NumPy integers and floats are accepted, as plain ``int`` and ``float`` are.
"""

import numbers

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type: a TypeError, and a ValueError for older callers."""


def _prefix(caller, name):
    return f"{caller}: {name}" if caller else name


def is_int(value):
    """True for a Python or NumPy integer, False for a bool (and everything else)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value):
    """True for a Python or NumPy real number (int or float), False for a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# -- integers ------------------------------------------------------------------------------------


def check_int(value, name, caller=None, minimum=None):
    """``value`` as a Python int (>= ``minimum`` when one is given)."""
    expected = "an int" if minimum is None else f"an int >= {minimum}"
    if not is_int(value):
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    return int(value)


def check_positive_int(value, name, caller=None):
    """A count that cannot be zero (a batch size, a number of features): an int >= 1."""
    return check_int(value, name, caller, minimum=1)


def check_non_negative_int(value, name, caller=None):
    """A count that may be zero (a number of steps, a padding): an int >= 0."""
    return check_int(value, name, caller, minimum=0)


def check_power_of_two(value, name, caller=None, minimum=1):
    """An int that is a power of two >= ``minimum`` (an image side that halves to 4 x 4)."""
    expected = f"a power of two >= {minimum} ({minimum}, {2 * minimum}, {4 * minimum}...)"
    if not is_int(value):
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    if value < minimum or value & (value - 1):
        raise ValueError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    return int(value)


def pair(value, name, caller=None, minimum=0):
    """An int or a pair of ints (height, width), each >= ``minimum``, as a tuple of two
    Python ints: ``pair(3, ...)`` is ``(3, 3)``, as for PyTorch's kernel_size, stride, padding."""
    values = (value, value) if is_int(value) else value
    if not (isinstance(values, (tuple, list)) and len(values) == 2
            and all(is_int(v) for v in values)):
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be an int or a pair of ints, "
                                f"got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{_prefix(caller, name)} must be an int >= {minimum} or a pair of "
                         f"them, got {value!r}")
    return int(values[0]), int(values[1])


def check_shape(value, name, caller=None):
    """An int or a sequence of ints >= 0 as a tuple: ``5 -> (5,)``, ``[2, 3] -> (2, 3)``."""
    values = (value,) if is_int(value) else value
    if not (isinstance(values, (tuple, list)) and all(is_int(v) for v in values)):
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be an int or a sequence of ints, "
                                f"got {value!r}")
    if any(v < 0 for v in values):
        raise ValueError(f"{_prefix(caller, name)} must have sizes >= 0, got {value!r}")
    return tuple(int(v) for v in values)


# -- real numbers --------------------------------------------------------------------------------


def _bound(low, high, low_open, high_open):
    """The set a number must lie in, as the message writes it: '> 0', '>= 0', 'in [0, 1)'."""
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_real(value, name, caller=None, *, low=None, high=None, low_open=False,
               high_open=False, what="a number"):
    """``value`` as a Python float, a real number between ``low`` and ``high`` (each bound
    included unless ``low_open`` / ``high_open``; None: no bound). NaN is never in range.
    ``what`` names the kind of number in the message ("a probability", "a fraction")."""
    expected = what
    if low is not None or high is not None:
        expected += " " + _bound(low, high, low_open, high_open)
    if not is_real(value):
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    # Written as "not inside" so that NaN, which fails every comparison, is rejected.
    inside = ((low is None or (value > low if low_open else value >= low))
              and (high is None or (value < high if high_open else value <= high)))
    if not inside:
        raise ValueError(f"{_prefix(caller, name)} must be {expected}, got {value!r}")
    return float(value)


def check_positive(value, name, caller=None):
    """A real number > 0 (a standard deviation, a radius, a learning rate that cannot be 0)."""
    return check_real(value, name, caller, low=0, low_open=True)


def check_non_negative(value, name, caller=None):
    """A real number >= 0 (a learning rate, a weight decay)."""
    return check_real(value, name, caller, low=0)


def check_probability(value, name, caller=None, one_allowed=True):
    """A probability: a real number in [0, 1], or in [0, 1) when ``one_allowed`` is False
    (a dropout rate of 1 would zero every unit and divide by 1 - p = 0)."""
    return check_real(value, name, caller, low=0, high=1, high_open=not one_allowed,
                      what="a probability")


def check_float_dtype(value, name, caller=None):
    """A floating-point NumPy dtype (float32, float64...) from anything ``np.dtype`` reads."""
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise ArgumentTypeError(f"{_prefix(caller, name)} must be a floating-point type such "
                                f"as float32, got {value!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"{_prefix(caller, name)} must be a floating-point type such as "
                        f"float32, got {dtype}")
    return dtype


def check_floating(value, name, caller=None):
    """``value`` (a Tensor or an array) if its dtype is floating point: what has a gradient."""
    if value.dtype.kind != "f":
        raise TypeError(f"{_prefix(caller, name)} must be floating point (e.g. float32), got "
                        f"{value.dtype}")
    return value


# -- names ---------------------------------------------------------------------------------------


def check_choice(value, name, choices, caller=None):
    """``value``, one of the names in ``choices`` (such as 'mean', 'sum', 'none'):
    ``cross_entropy: unknown reduction 'avg'; expected one of 'mean', 'sum', 'none'``."""
    if not (isinstance(value, str) and value in choices):
        raise ValueError(f"{caller + ': ' if caller else ''}unknown {name} {value!r}; expected "
                         f"one of {', '.join(map(repr, choices))}")
    return value
