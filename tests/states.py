"""``assert_identical``: exact equality of saved states (nested dicts, lists and tuples of
Tensors, arrays and plain values), for the tests of bit-for-bit resume."""

import numpy as np

import minigan


def assert_identical(a, b, where="state"):
    """Exact equality of nested dicts / lists / tuples of Tensors, arrays and plain values:
    the same keys in the same order, the same dtypes, the same bits."""
    if isinstance(a, minigan.Tensor) or isinstance(a, np.ndarray):
        a = a.numpy() if isinstance(a, minigan.Tensor) else a
        b = b.numpy() if isinstance(b, minigan.Tensor) else b
        assert a.dtype == b.dtype and np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
