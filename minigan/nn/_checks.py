"""Argument checks shared by the layers' constructors: a bad size fails where it is written,
naming the layer and the argument, not later inside an array operation."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(layer, name, value, minimum):
    """``value`` as an int >= ``minimum``, or a ValueError naming the layer and the argument."""
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {value!r}")
    return value


def pair(layer, name, value, minimum):
    """An int or a pair of ints (height, width), each >= ``minimum``, as a tuple of two."""
    values = (value, value) if _is_int(value) else value
    if not isinstance(values, (tuple, list)) or len(values) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(check_int(layer, name, v, minimum) for v in values)


def check_probability(layer, name, value, one_allowed=True):
    """A float in [0, 1] (or [0, 1) when ``one_allowed`` is False)."""
    valid = (not isinstance(value, bool) and isinstance(value, (int, float))
             and 0 <= value <= 1 and (one_allowed or value < 1))
    if not valid:
        raise ValueError(f"{layer}: {name} must be a number in [0, 1{']' if one_allowed else ')'}"
                         f", got {value!r}")
    return float(value)
