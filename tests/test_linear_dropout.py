"""F.linear (input @ weight^T + bias) and F.dropout (inverted, seeded)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigan
import minigan.functional as F
from minigan import gradcheck, gradgradcheck

# the `torch` fixture only imports PyTorch: sharing it between examples is safe
WITH_TORCH = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def linear_case(draw):
    """input (*lead, in), weight (out, in), bias (out,) or None; lead has 0 to 2 dimensions."""
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    bias = rng.standard_normal(n_out) if draw(st.booleans()) else None
    return rng.standard_normal(lead + [n_in]), rng.standard_normal((n_out, n_in)), bias


def _leaves(*arrays):
    return [minigan.tensor(a, requires_grad=True) for a in arrays if a is not None]


# -- linear ------------------------------------------------------------------------------------

@given(linear_case())
def test_linear_is_the_affine_map_with_its_derivatives(case):
    x, w, b = case
    y = F.linear(*_leaves(x, w, b))
    np.testing.assert_allclose(y.detach().numpy(), x @ w.T + (0 if b is None else b),
                               rtol=1e-12, atol=1e-12)
    assert gradcheck(F.linear, _leaves(x, w, b))
    assert gradgradcheck(F.linear, _leaves(x, w, b))


@WITH_TORCH
@given(linear_case())
def test_linear_matches_pytorch(torch, case):
    ours = _leaves(*case)
    theirs = [torch.tensor(a, requires_grad=True) for a in case if a is not None]
    y, expected = F.linear(*ours), torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(0).standard_normal(y.shape)
    grads = minigan.grad(y, ours, minigan.tensor(g))
    for a, b in zip(grads, torch.autograd.grad(expected, theirs, torch.tensor(g))):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)


def _linear_both_ways(arrays, g):
    """(output, gradients) of F.linear fused (one Affine node) and as the plain composition."""
    from minigan.functional import linalg

    results = []
    for fused in (True, False):
        leaves = _leaves(*arrays)
        old, linalg.FUSED_LINEAR = linalg.FUSED_LINEAR, fused
        try:
            y = F.linear(*leaves)
        finally:
            linalg.FUSED_LINEAR = old
        grads = minigan.grad(y, leaves, minigan.tensor(g.astype(y.dtype)))
        results.append([y.detach().numpy()] + [t.numpy() for t in grads])
    return results


@given(st.integers(1, 70), st.integers(1, 70), st.integers(1, 70), st.booleans(),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_fused_linear_matches_the_plain_composition_bit_for_bit(n, n_in, n_out, bias, dtype,
                                                                seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((n, n_in), (n_out, n_in))]
    arrays += [rng.standard_normal(n_out).astype(dtype)] if bias else []
    fused, plain = _linear_both_ways(arrays, rng.standard_normal((n, n_out)))
    for a, b in zip(fused, plain):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_fused_linear_keeps_the_dtype_rules_of_the_plain_one(rng):
    x, w = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((2, 3))
    b = rng.standard_normal(2)  # float64 bias and weight on float32 input: a float64 result
    fused, plain = _linear_both_ways([x, w.astype(np.float32), b], rng.standard_normal((4, 2)))
    assert fused[0].dtype == plain[0].dtype == np.float64
    for a, p in zip(fused, plain):
        np.testing.assert_array_equal(a, p)


def test_linear_keeps_float32(device, xp):
    x = minigan.tensor(xp.ones((2, 3), dtype=np.float32), requires_grad=True)
    w = minigan.tensor(xp.ones((4, 3), dtype=np.float32), requires_grad=True)
    y = F.linear(x, w, minigan.tensor(xp.zeros(4, dtype=np.float32)))
    (gw,) = minigan.grad(y.sum(), w)
    assert y.dtype == gw.dtype == np.float32 and y.device == gw.device == device
    np.testing.assert_array_equal(y.detach().numpy(), np.full((2, 4), 3.0))
    np.testing.assert_array_equal(gw.numpy(), np.full((4, 3), 2.0))


def test_linear_argument_errors():
    x, w = minigan.zeros(5, 3), minigan.zeros(4, 3)
    with pytest.raises(ValueError, match=r"weight must have shape \(out_features, in_features\)"):
        F.linear(x, minigan.zeros(3))
    with pytest.raises(ValueError, match=r"input must have shape \(\*, in_features\) with "
                                         r"in_features = 3"):
        F.linear(minigan.zeros(5, 4), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(out_features,\) = \(4,\)"):
        F.linear(x, w, minigan.zeros(3))


# -- dropout -----------------------------------------------------------------------------------

def test_dropout_is_the_identity_when_not_training_or_p_is_zero():
    x = minigan.randn(4, 5)
    assert F.dropout(x, 0.7, training=False) is x
    assert F.dropout(x, 0.0) is x


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_zeroes_about_p_and_scales_the_rest(p):
    x = minigan.rand(200_000, generator=minigan.Generator(1)) + 1  # no zeros in x
    y = F.dropout(x, p, generator=minigan.Generator(2)).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)
    # the number dropped is Binomial(n, p): 6 standard deviations is never reached by chance
    n = x.numel()
    assert abs((~kept).sum() - n * p) < 6 * np.sqrt(n * p * (1 - p))


def test_dropout_mask_is_seeded(device):
    x = minigan.ones(6, 7, device=device)
    a = F.dropout(x, 0.5, generator=minigan.Generator(3)).numpy()
    b = F.dropout(x, 0.5, generator=minigan.Generator(3)).numpy()
    c = F.dropout(x, 0.5, generator=minigan.Generator(4)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    minigan.manual_seed(5)
    d = F.dropout(x, 0.5).numpy()
    minigan.manual_seed(5)
    np.testing.assert_array_equal(d, F.dropout(x, 0.5).numpy())


def test_dropout_gradient_is_the_scaled_mask(device, xp):
    x = minigan.tensor(xp.asarray(np.linspace(1, 2, 30, dtype=np.float32)), requires_grad=True)
    y = F.dropout(x, 0.4, generator=minigan.Generator(0))
    (g,) = minigan.grad(y.sum(), x)
    assert y.dtype == g.dtype == np.float32 and g.device == device
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(g.numpy(), mask / np.float32(0.6), rtol=1e-6)


def test_dropout_derivatives_with_a_fixed_mask():
    x = minigan.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def fn(t):  # a fresh generator with the same seed: the same mask on every evaluation
        return F.dropout(t, 0.3, generator=minigan.Generator(7)) ** 2

    assert gradcheck(fn, x)
    assert gradgradcheck(fn, x)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, True, "0.5", None])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        F.dropout(minigan.ones(3), p)


def test_dropout_argument_errors():
    with pytest.raises(TypeError, match="generator must be a minigan.Generator"):
        F.dropout(minigan.ones(3), 0.5, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.dropout(np.ones(3), 0.5)
    with pytest.raises(TypeError, match="input must be floating point"):
        F.dropout(minigan.tensor([1, 2, 3]), 0.5)
