"""Maxout's max over the pieces: the kernel (``FAST_PIECE_MAX``) against the plain ``amax`` it
replaces, on values, gradients, ties and NaNs, and its own derivatives."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
from minigan import gradcheck, gradgradcheck
from minigan.functional import maxout as M


def _both(x, g):
    """(value, gradient) of piece_max with the kernel and with the plain amax."""
    results = []
    for fast in (True, False):
        t = minigan.tensor(x, requires_grad=True)
        old, M.FAST_PIECE_MAX = M.FAST_PIECE_MAX, fast
        try:
            y = M.piece_max(t, x.shape[-1] // g.shape[-1])
        finally:
            M.FAST_PIECE_MAX = old
        (dx,) = minigan.grad(y, t, minigan.tensor(g))
        results.append((y.detach().numpy(), dx.numpy()))
    return results


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(1, 6),
       st.integers(0, 2**16), st.sampled_from([np.float32, np.float64]),
       st.booleans())
def test_piece_max_matches_amax_bit_for_bit(lead, pieces, seed, dtype, coarse):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + [3 * pieces]).astype(dtype)  # 3 units
    if coarse:  # few distinct values: ties in many units
        x = np.round(x).astype(dtype)
    g = rng.standard_normal(lead + [3]).astype(dtype)
    (y_fast, dx_fast), (y_plain, dx_plain) = _both(x, g)
    np.testing.assert_array_equal(y_fast, y_plain)
    np.testing.assert_array_equal(dx_fast, dx_plain)
    assert y_fast.dtype == dx_fast.dtype == dtype


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_piece_max_splits_ties_evenly_and_propagates_nan():
    x = np.array([[1.0, 3.0, 3.0, 2.0, np.nan, 0.0, 5.0, -1.0, 4.0]])
    g = np.array([[6.0, 6.0, 6.0]])
    (y, dx), (y_plain, dx_plain) = _both(x, g)
    np.testing.assert_array_equal(y, [[3.0, np.nan, 5.0]])
    np.testing.assert_array_equal(dx[0, :3], [0.0, 3.0, 3.0])
    np.testing.assert_array_equal(dx[0, 6:], [6.0, 0.0, 0.0])
    np.testing.assert_array_equal(dx, dx_plain)  # the NaN unit too


def test_piece_max_derivatives(rng):
    x = minigan.tensor(rng.normal(size=(3, 4, 10)), requires_grad=True)
    assert gradcheck(lambda t: M.piece_max(t, 5), x)
    assert gradgradcheck(lambda t: M.piece_max(t, 5), x)
    with pytest.raises(ValueError, match=r"piece_max: the last dimension of x must be a "
                                         r"multiple of pieces=3, got shape \(3, 4, 10\)"):
        M.piece_max(x, 3)


def test_maxout_is_linear_then_piece_max(rng):
    x, w, b = (minigan.tensor(rng.normal(size=s), requires_grad=True)
               for s in ((2, 3, 4), (10, 4), (10,)))
    y = M.maxout(x, w, b, 5)
    affine = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), affine.reshape(2, 3, 2, 5).max(-1),
                               rtol=1e-12)
    assert gradcheck(lambda *t: M.maxout(*t, 5), [x, w, b])
    with pytest.raises(ValueError, match="maxout: weight has 10 rows, not a multiple of pieces=3"):
        M.maxout(x, w, b, 3)
