"""Binary cross-entropy, from logits and from probabilities: values, first and second derivatives,
stability at extreme logits, agreement with PyTorch, and argument checks."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from oracle import compare_with_torch
from strategies import Input

import minigan
import minigan.functional as F
from minigan import gradcheck, gradgradcheck
from minigan.kernels import bce as kernel

SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
REDUCTIONS = ("mean", "sum", "none")


def _leaf(values, requires_grad=True):
    return minigan.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


@st.composite
def bce_case(draw, probabilities=False):
    """Inputs of one shape: logits (or probabilities kept off 0 and 1), soft labels in [0, 1],
    and a weight and a pos_weight that broadcast (each may be absent)."""
    shape = draw(SHAPES)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if probabilities:
        x = rng.uniform(0.05, 0.95, shape)
    else:
        x = rng.uniform(-4, 4, shape)
    y = rng.uniform(0, 1, shape)
    weight = rng.uniform(0.5, 2, shape[-1:]) if draw(st.booleans()) else None
    pos_weight = rng.uniform(0.5, 3, shape[-1:]) if draw(st.booleans()) else None
    return x, y, weight, pos_weight, draw(st.sampled_from(REDUCTIONS))


# the `torch` fixture only imports PyTorch: sharing it between examples is safe
WITH_TORCH = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _optional(values):
    return None if values is None else _leaf(values)


# -- the kernel against the textbook definition (no PyTorch needed) ---------------------------

def test_logit_kernel_equals_the_definition(rng):
    x = rng.uniform(-15, 15, 200)
    y = rng.uniform(0, 1, 200)
    w = rng.uniform(0.5, 3, 200)
    p = 1 / (1 + np.exp(-x))

    def definition(pos_weight):
        return -(pos_weight * y * np.log(p) + (1 - y) * np.log(1 - p))

    np.testing.assert_allclose(kernel.bce_with_logits(np, x, y, w), definition(w), rtol=1e-10)
    np.testing.assert_allclose(kernel.bce_with_logits(np, x, y), definition(1), rtol=1e-10)
    # d/dx of the definition: w y (p - 1) + (1 - y) p
    g = rng.standard_normal(200)
    np.testing.assert_allclose(kernel.bce_with_logits_backward(np, g, x, y, w),
                               g * (w * y * (p - 1) + (1 - y) * p), rtol=1e-9, atol=1e-15)


def test_probability_kernel_equals_the_definition_and_floors_logs(rng):
    p = rng.uniform(0.01, 0.99, 100)
    y = rng.uniform(0, 1, 100)
    np.testing.assert_allclose(kernel.binary_cross_entropy(np, p, y),
                               -(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-12)
    with np.errstate(all="raise"):  # the floored log(0) must not warn either
        edges = kernel.binary_cross_entropy(np, np.array([0.0, 1.0, 0.0, 1.0]),
                                            np.array([1.0, 0.0, 0.0, 1.0]))
    np.testing.assert_array_equal(edges, [100, 100, 0, 0])


# -- gradient checks ---------------------------------------------------------------------------

@given(bce_case())
def test_logits_first_and_second_derivatives(case):
    x, y, weight, pos_weight, reduction = case
    inputs = [_leaf(x), _leaf(y), _optional(weight), _optional(pos_weight)]
    present = [i for i, t in enumerate(inputs) if t is not None]

    def loss(*tensors):
        args = [None] * 4
        for i, t in zip(present, tensors):
            args[i] = t
        return F.binary_cross_entropy_with_logits(args[0], args[1], args[2],
                                                  pos_weight=args[3], reduction=reduction)

    tensors = [inputs[i] for i in present]
    assert gradcheck(loss, tensors)
    assert gradgradcheck(loss, tensors)


@given(bce_case(probabilities=True))
def test_probabilities_first_and_second_derivatives(case):
    p, y, weight, _, reduction = case
    tensors = [_leaf(p), _leaf(y)] + ([] if weight is None else [_leaf(weight)])

    def loss(*args):
        return F.binary_cross_entropy(*args[:2], args[2] if len(args) > 2 else None,
                                      reduction=reduction)

    assert gradcheck(loss, tensors)
    assert gradgradcheck(loss, tensors)


def test_first_derivative_is_the_same_with_and_without_create_graph(rng):
    x, y = _leaf(rng.normal(0, 3, 7)), _leaf(rng.uniform(0, 1, 7))
    pos_weight = _leaf(rng.uniform(0.5, 2, 7))
    first = minigan.grad(F.binary_cross_entropy_with_logits(x, y, pos_weight=pos_weight),
                         [x, y, pos_weight])
    graph = minigan.grad(F.binary_cross_entropy_with_logits(x, y, pos_weight=pos_weight),
                         [x, y, pos_weight], create_graph=True)
    for a, b in zip(first, graph):
        assert not a.requires_grad and b.requires_grad
        np.testing.assert_allclose(a.data, b.data, rtol=1e-14)


# -- stability ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_stable_for_huge_logits(device, xp, dtype):
    x = xp.asarray([-1e4, -1e4, 1e4, 1e4, -800.0, 800.0, -120.0, 120.0], dtype=dtype)
    y = xp.asarray([0, 1, 0, 1, 1, 0, 1, 0], dtype=dtype)
    logits = minigan.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, minigan.tensor(y), reduction="none")
    (grad,) = minigan.grad(loss.sum(), logits, create_graph=True)
    (second,) = minigan.grad(grad.sum(), logits)
    assert loss.dtype == dtype and grad.dtype == dtype and loss.device == device
    # right label: loss 0, gradient 0; wrong label: loss |x|, gradient sign(x)
    expected_loss = np.array([0, 1e4, 1e4, 0, 800, 800, 120, 120])
    np.testing.assert_allclose(loss.detach().numpy(), expected_loss, rtol=1e-6)
    np.testing.assert_allclose(grad.detach().numpy(), [0, -1, 1, 0, -1, 1, -1, 1], atol=1e-30)
    assert np.all(np.isfinite(second.numpy()))


def test_probabilities_at_zero_and_one_give_pytorch_bounds():
    p = _leaf([0.0, 1.0, 0.0, 1.0])
    y = _leaf([1.0, 0.0, 0.0, 1.0], requires_grad=False)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [100, 100, 0, 0])
    (grad,) = minigan.grad(loss.sum(), p)
    # (p - y) / max(p (1 - p), 1e-12)
    np.testing.assert_allclose(grad.numpy(), [-1e12, 1e12, 0, 0])


# -- agreement with PyTorch --------------------------------------------------------------------

# The tolerances of the comparisons with PyTorch, by dtype.
TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _constant(values, dtype):
    """A weight or pos_weight as a constant of the oracle's comparison (or None)."""
    return None if values is None else values.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@WITH_TORCH
@given(case=bce_case())
def test_logits_match_pytorch(torch, dtype, case):
    x, y, weight, pos_weight, reduction = case

    def loss(F, x, y, weight, pos_weight):
        return F.binary_cross_entropy_with_logits(x, y, weight=weight, pos_weight=pos_weight,
                                                  reduction=reduction)

    inputs = [Input(x), Input(y), _constant(weight, dtype), _constant(pos_weight, dtype)]
    compare_with_torch(torch, loss, inputs, dtype=dtype, **TOLERANCE[dtype])


# Not through the oracle: PyTorch's double backward of binary_cross_entropy divides by
# p (1 - p) + 1e-12 (measured), so its derivatives of the target's gradient and its derivatives
# in the cotangent miss the exact ones by up to 1e-9 where terms cancel, beyond the float64
# tolerance. The comparison keeps to what PyTorch computes exactly: values, first derivatives,
# and the second derivatives of the input's gradient.
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@WITH_TORCH
@given(case=bce_case(probabilities=True))
def test_probabilities_match_pytorch(torch, dtype, case):
    p, y, weight, _, reduction = case
    tol = TOLERANCE[dtype]
    w = _constant(weight, dtype)
    ours = [minigan.tensor(v.astype(dtype), requires_grad=True) for v in (p, y)]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) for v in (p, y)]
    loss = F.binary_cross_entropy(*ours, None if w is None else minigan.tensor(w),
                                  reduction=reduction)
    expected = torch.nn.functional.binary_cross_entropy(
        *theirs, None if w is None else torch.tensor(w), reduction=reduction)
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), **tol)
    cotangent = rng.standard_normal(loss.shape).astype(dtype)
    grads = minigan.grad(loss, ours, minigan.tensor(cotangent), create_graph=True)
    expected_grads = torch.autograd.grad(expected, theirs, torch.tensor(cotangent),
                                         create_graph=True)
    for g, e in zip(grads, expected_grads):
        assert g.dtype == dtype
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), **tol)
    # d/d(input, target) of sum(v * dloss/dinput), along a random direction v
    v = rng.standard_normal(ours[0].shape).astype(dtype)
    second = minigan.grad((grads[0] * minigan.tensor(v)).sum(), ours)
    expected_second = torch.autograd.grad((expected_grads[0] * torch.tensor(v)).sum(), theirs)
    for g, e in zip(second, expected_second):
        np.testing.assert_allclose(g.numpy(), e.numpy(), **tol)


def test_logits_match_pytorch_at_huge_logits(torch):
    x = np.array([-1e4, -1e4, 1e4, 1e4, -3e3, 3e3], np.float32)
    y = np.array([0, 1, 0, 1, 0.3, 0.7], np.float32)
    pos_weight = np.array([2.5], np.float32)
    logits = minigan.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, minigan.tensor(y),
                                              pos_weight=minigan.tensor(pos_weight))
    t_logits = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        t_logits, torch.tensor(y), pos_weight=torch.tensor(pos_weight))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(minigan.grad(loss, logits)[0].numpy(),
                               torch.autograd.grad(expected, t_logits)[0].numpy(), rtol=1e-6)


def test_probabilities_match_pytorch_at_the_edges(torch):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-8, 1 - 1e-7, 1e-30], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    probs = minigan.tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(probs, minigan.tensor(y), reduction="none")
    t_probs = torch.tensor(p, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy(t_probs, torch.tensor(y),
                                                        reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(minigan.grad(loss.sum(), probs)[0].numpy(),
                               torch.autograd.grad(expected.sum(), t_probs)[0].numpy(), rtol=1e-6)


# -- types and argument checks -----------------------------------------------------------------

def test_target_may_be_an_integer_array_and_dtype_follows_input():
    logits = minigan.tensor(np.array([0.5, -1.0, 2.0], np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(logits, np.array([1, 0, 1]))
    expected = F.binary_cross_entropy_with_logits(logits, minigan.tensor([1.0, 0.0, 1.0]))
    assert loss.dtype == np.float32
    assert loss.item() == expected.item()


@pytest.mark.parametrize("fn", [F.binary_cross_entropy_with_logits, F.binary_cross_entropy])
def test_argument_errors(fn):
    p = minigan.tensor([[0.2, 0.7], [0.4, 0.9]])
    y = minigan.tensor([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="target must have the shape of input"):
        fn(p, minigan.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="weight of shape \\(3,\\) does not broadcast"):
        fn(p, y, weight=minigan.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="weight of shape \\(2, 2, 2\\) does not broadcast"):
        fn(p, y, weight=minigan.ones(2, 2, 2))  # it would enlarge the loss
    with pytest.raises(ValueError, match="reduction"):
        fn(p, y, reduction="average")
    with pytest.raises(TypeError, match="input must be a Tensor"):
        fn([[0.2, 0.7]], y)
    with pytest.raises(TypeError, match="input must be floating point"):
        fn(minigan.tensor([[0, 1], [1, 0]]), y)
    with pytest.raises(TypeError, match="target must be a Tensor or an array"):
        fn(p, 1.0)


def test_pos_weight_shape_is_checked():
    logits, y = minigan.zeros(4, 3), minigan.ones(4, 3)
    with pytest.raises(ValueError, match="pos_weight of shape \\(4,\\) does not broadcast"):
        F.binary_cross_entropy_with_logits(logits, y, pos_weight=minigan.ones(4))
    assert F.binary_cross_entropy_with_logits(logits, y, pos_weight=minigan.ones(3)).shape == ()


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan")])
def test_probabilities_out_of_range_are_rejected(bad):
    inside = minigan.tensor([0.5, 0.5])
    with pytest.raises(ValueError, match="all elements of input must lie in \\[0, 1\\]"):
        F.binary_cross_entropy(minigan.tensor([0.5, bad]), inside)
    with pytest.raises(ValueError, match="all elements of target must lie in \\[0, 1\\]"):
        F.binary_cross_entropy(inside, minigan.tensor([0.5, bad]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_with_logits_keeps_the_tiny_loss_of_a_confident_right_answer(dtype):
    # Label 0 and logit -16.4: loss = log(1 + e^-16.4) = 7.5e-8. The shorter form x + softplus(-x)
    # cancels to exactly 0 here; the loss (and its gradient sigmoid(x)) must keep full precision.
    x = minigan.tensor([-16.4, 16.4], dtype=dtype, requires_grad=True)
    y = minigan.tensor([0.0, 1.0], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    expected = np.log1p(np.exp(-16.4))
    np.testing.assert_allclose(loss.detach().numpy(), [expected, expected], rtol=1e-5)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.exp(-16.4) / (1 + np.exp(-16.4)),
                                                -np.exp(-16.4) / (1 + np.exp(-16.4))], rtol=1e-5)
