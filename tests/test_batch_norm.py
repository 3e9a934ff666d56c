"""Batch normalisation: values, running statistics, first and second derivatives in training and
evaluation, agreement with PyTorch, and argument checks."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigan
import minigan.functional as F
from minigan import gradcheck, gradgradcheck

# (N, C), (N, C, L) and (N, C, H, W), small enough for full Jacobians of second derivatives
SHAPES = st.one_of(
    st.tuples(st.integers(2, 4), st.integers(1, 3)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 2), st.integers(2, 3)),
)
# the `torch` fixture only imports PyTorch: sharing it between examples is safe
WITH_TORCH = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def bn_case(draw):
    """An input, running statistics, and a weight and bias that may each be absent."""
    shape = draw(SHAPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    c = shape[1]
    return dict(
        x=rng.normal(0.5, 2.0, shape),
        running_mean=rng.standard_normal(c),
        running_var=rng.uniform(0.5, 2.0, c),
        weight=rng.uniform(0.5, 1.5, c) * rng.choice([-1, 1], c) if draw(st.booleans()) else None,
        bias=rng.standard_normal(c) if draw(st.booleans()) else None,
        momentum=draw(st.sampled_from([0.1, 0.5, 1.0])),
        eps=draw(st.sampled_from([1e-5, 1e-2])),
    )


def _leaf(values, dtype=np.float64, requires_grad=True):
    return None if values is None else minigan.tensor(np.asarray(values, dtype),
                                                      requires_grad=requires_grad)


def _reference(x, mean, var, weight, bias, eps):
    """NumPy's batch norm with given statistics, the definition written out."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# -- values and running statistics (NumPy as the oracle) ---------------------------------------

@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 2)])
def test_training_normalises_with_batch_statistics_and_updates_running_ones(shape, rng):
    x = rng.normal(1.0, 3.0, shape)
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    running_mean, running_var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = minigan.tensor(running_mean), minigan.tensor(running_var)
    stored_mean, stored_var = rm.data, rv.data
    y = F.batch_norm(_leaf(x), rm, rv, _leaf(weight), _leaf(bias), training=True, momentum=0.3)

    dims = (0,) + tuple(range(2, x.ndim))
    mean, var = x.mean(axis=dims), x.var(axis=dims)
    np.testing.assert_allclose(y.detach().numpy(), _reference(x, mean, var, weight, bias, 1e-5),
                               rtol=1e-12, atol=1e-12)
    m = x.size // 3
    np.testing.assert_allclose(rm.numpy(), 0.7 * running_mean + 0.3 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.7 * running_var + 0.3 * var * m / (m - 1),
                               rtol=1e-12)
    assert rm.data is stored_mean and rv.data is stored_var  # in place


def test_running_statistics_given_as_arrays_are_updated_in_place(rng):
    x = rng.standard_normal((6, 2, 3))
    rm, rv = np.zeros(2), np.ones(2)
    F.batch_norm(_leaf(x), rm, rv, training=True)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1), rtol=1e-12)


def test_evaluation_uses_running_statistics_and_leaves_them_alone(rng):
    x = rng.standard_normal((5, 3, 2, 2))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    before = rm.copy(), rv.copy()
    y = F.batch_norm(_leaf(x), rm, rv, _leaf(weight), _leaf(bias), training=False, eps=1e-3)
    np.testing.assert_allclose(y.detach().numpy(), _reference(x, rm, rv, weight, bias, 1e-3),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])


def test_training_without_running_statistics(rng):
    x = rng.standard_normal((4, 2))
    y = F.batch_norm(_leaf(x), None, None, training=True)
    np.testing.assert_allclose(y.detach().numpy(),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_float32_stays_float32_on_every_device(device, xp, training):
    x = minigan.tensor(xp.asarray(np.linspace(-2, 3, 24).reshape(3, 2, 4), dtype=np.float32),
                       requires_grad=True)
    weight = minigan.tensor(xp.asarray([0.5, 2.0], dtype=np.float32), requires_grad=True)
    rm, rv = xp.zeros(2, dtype=np.float64), xp.ones(2, dtype=np.float64)
    y = F.batch_norm(x, rm, rv, weight, None, training=training)
    grads = minigan.grad((y * y).sum(), [x, weight])
    assert y.dtype == np.float32 and y.device == device
    assert all(g.dtype == np.float32 and g.device == device for g in grads)


def test_non_contiguous_input(rng):
    x = rng.standard_normal((3, 4, 5))
    strided = minigan.tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)
    view = strided.permute(2, 1, 0)  # values of x, laid out transposed
    y = F.batch_norm(view, None, None, training=True)
    dims = (0, 2)
    np.testing.assert_allclose(y.detach().numpy(),
                               (x - x.mean(dims, keepdims=True)) / np.sqrt(
                                   x.var(dims, keepdims=True) + 1e-5), rtol=1e-12)
    assert gradcheck(lambda t: F.batch_norm(t.permute(2, 1, 0), None, None, training=True),
                     strided, fast_mode=True)


# -- derivatives -------------------------------------------------------------------------------

def _differentiable(case, training):
    """(fn, tensors): fn(*tensors) is batch norm of the case with fresh running statistics on
    every call, so that repeated evaluations (finite differences) see the same state."""
    names = [k for k in ("x", "weight", "bias") if case[k] is not None]

    def fn(*tensors):
        args = dict(zip(names, tensors))
        return F.batch_norm(args["x"], case["running_mean"].copy(), case["running_var"].copy(),
                            args.get("weight"), args.get("bias"), training=training,
                            momentum=case["momentum"], eps=case["eps"])

    return fn, [_leaf(case[k]) for k in names]


@pytest.mark.parametrize("training", [True, False])
@given(case=bn_case())
def test_first_and_second_derivatives(training, case):
    fn, tensors = _differentiable(case, training)
    assert gradcheck(fn, tensors)
    assert gradgradcheck(fn, tensors)


@given(case=bn_case())
def test_fast_first_derivative_equals_the_differentiable_one(case):
    """The kernel's closed form (plain backward) and the Tensor-op one (create_graph) agree."""
    fn, tensors = _differentiable(case, training=True)
    g = minigan.tensor(np.random.default_rng(0).standard_normal(case["x"].shape))
    fast = minigan.grad(fn(*tensors), tensors, g)
    graph = minigan.grad(fn(*tensors), tensors, g, create_graph=True)
    assert graph[0].requires_grad  # dL/dx is a function of x: a second derivative exists
    for a, b in zip(fast, graph):
        assert not a.requires_grad
        np.testing.assert_allclose(a.data, b.data, rtol=1e-9, atol=1e-12)


def test_gradient_of_weight_alone(rng):
    """Only the weight requires grad: the input's gradient is neither computed nor returned."""
    x = _leaf(rng.standard_normal((4, 3)), requires_grad=False)
    weight = _leaf(rng.standard_normal(3))
    assert gradcheck(lambda w: F.batch_norm(x, None, None, w, training=True), weight)
    assert gradgradcheck(lambda w: F.batch_norm(x, None, None, w, training=True), weight)


# -- agreement with PyTorch --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
@WITH_TORCH
@given(case=bn_case())
def test_matches_pytorch(torch, dtype, training, case):
    if dtype == np.float32:
        # A channel whose few values nearly agree makes x - mean cancel in float32: both libraries
        # are then accurate only to ~1e-7 / std, below the tolerance. float64 covers such draws.
        spread = case["x"].std(axis=tuple(i for i in range(case["x"].ndim) if i != 1))
        assume(spread.min() > 0.1)
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    names = [k for k in ("x", "weight", "bias") if case[k] is not None]
    ours = {k: _leaf(case[k], dtype) for k in names}
    theirs = {k: torch.tensor(case[k], dtype=tdtype, requires_grad=True) for k in names}
    stats = {k: case[k].astype(dtype) for k in ("running_mean", "running_var")}
    our_stats = {k: minigan.tensor(v) for k, v in stats.items()}
    their_stats = {k: torch.tensor(v) for k, v in stats.items()}
    kwargs = dict(training=training, momentum=case["momentum"], eps=case["eps"])
    y = F.batch_norm(ours["x"], our_stats["running_mean"], our_stats["running_var"],
                     ours.get("weight"), ours.get("bias"), **kwargs)
    expected = torch.nn.functional.batch_norm(
        theirs["x"], their_stats["running_mean"], their_stats["running_var"],
        theirs.get("weight"), theirs.get("bias"), **kwargs)

    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(y.detach().numpy(), expected.detach().numpy(), **tol)
    for k in stats:
        np.testing.assert_allclose(our_stats[k].numpy(), their_stats[k].numpy(), **tol)
    rng = np.random.default_rng(1)
    g = rng.standard_normal(y.shape).astype(dtype)
    grads = minigan.grad(y, list(ours.values()), minigan.tensor(g), create_graph=True)
    expected_grads = torch.autograd.grad(expected, list(theirs.values()), torch.tensor(g),
                                         create_graph=True)
    for a, b in zip(grads, expected_grads):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    # second derivatives: d/d(x, weight, bias) of sum_k <v_k, dL/dk> over k = x, weight. (dL/dbias
    # = sum(g) is constant in every input; PyTorch fails to differentiate it without a weight.)
    vs = [rng.standard_normal(a.shape).astype(dtype) for a in grads]
    pairs = [(a, b, v) for name, a, b, v in zip(names, grads, expected_grads, vs) if name != "bias"]
    projected = sum((a * minigan.tensor(v)).sum() for a, _, v in pairs)
    expected_projected = sum((b * torch.tensor(v)).sum() for _, b, v in pairs)
    expected_second = torch.autograd.grad(expected_projected, list(theirs.values()),
                                          allow_unused=True)
    if not projected.requires_grad:  # eval without weight: our gradients are constants
        second = [None] * len(expected_second)
    else:
        second = minigan.grad(projected, list(ours.values()), allow_unused=True)
    for a, b in zip(second, expected_second):
        # no path in one graph means a zero derivative, which the other must give too
        a = 0 if a is None else a.numpy()
        b = 0 if b is None else b.numpy()
        np.testing.assert_allclose(a, b, **tol)


# -- argument checks ---------------------------------------------------------------------------

def test_argument_errors():
    x = minigan.zeros(4, 3, 2, 2)
    good = minigan.zeros(3), minigan.ones(3)
    with pytest.raises(ValueError, match=r"running_mean must have shape \(C,\) = \(3,\)"):
        F.batch_norm(x, minigan.zeros(4), good[1], training=True)
    with pytest.raises(ValueError, match=r"running_var must have shape \(C,\) = \(3,\)"):
        F.batch_norm(x, good[0], minigan.ones(3, 1))
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\)"):
        F.batch_norm(x, *good, weight=minigan.ones(2))
    with pytest.raises(ValueError, match=r"bias must have shape \(C,\)"):
        F.batch_norm(x, *good, bias=minigan.ones(3, 2))
    with pytest.raises(ValueError, match="input must have shape \\(N, C\\)"):
        F.batch_norm(minigan.zeros(3), *good)
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(minigan.zeros(1, 3, 1, 1), *good, training=True)
    with pytest.raises(ValueError, match="training=False normalises with running_mean"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="must be given together"):
        F.batch_norm(x, good[0], None, training=True)
    with pytest.raises(TypeError, match="weight is float64 but input is float32"):
        F.batch_norm(x, *good, weight=minigan.ones(3, dtype=np.float64))
    with pytest.raises(TypeError, match="running_mean must be floating point"):
        F.batch_norm(x, np.zeros(3, dtype=np.int64), good[1])
    with pytest.raises(TypeError, match="input must be a Tensor"):
        F.batch_norm(np.zeros((4, 3)), *good)
    with pytest.raises(TypeError, match="momentum must be a number"):
        F.batch_norm(x, *good, training=True, momentum=None)
