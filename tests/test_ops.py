"""The bar every differentiable op must clear.

One table, ``OPS``, lists every op of the engine (``minigan.functional``'s core) as
``fn(F, *args)`` with a strategy for its arguments; adding an op is one line. Each entry runs
through:

1. ``gradcheck`` and ``gradgradcheck`` (float64, full Jacobians) on hypothesis-drawn shapes,
   broadcasting pairs and non-contiguous layouts, values kept away from kinks;
2. a comparison with PyTorch of values, first and second derivatives (``oracle.py``);
3. the dtype rule: float32 in, float32 out and float32 gradients.

A second table, ``ALIASES``, lists the Tensor operators and methods (``a - b``, ``x.sum()``...)
and the other names of the ops, each checked to give bit for bit what its entry gives. Then: the
harness itself catches a planted wrong backward; the conventions at kinks and ties
match PyTorch's; bad arguments raise clear errors.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import Case, compare_with_torch

import minigan
import minigan.functional as F
from minigan import Function, GradcheckError, gradcheck, gradgradcheck


@dataclass
class Op:
    """One line of the table: ``fn(F, *args)`` with args drawn from ``args``.

    ``torch`` / ``gradcheck`` say why an entry skips that part (None: it runs).
    """

    name: str
    fn: Callable
    args: st.SearchStrategy
    torch: Optional[str] = None
    gradcheck: Optional[str] = None


def one(shape=None, elements=S.SMOOTH):
    """The arguments of a unary op: one Input (of any small shape by default)."""
    return st.tuples(S.inputs(S.shapes() if shape is None else shape, elements))


def with_choice(arg, choices):
    """(Input, c) with c one of ``choices``."""
    return st.tuples(S.inputs(S.shapes(), arg), st.sampled_from(choices))


INT_POWERS = [2, 3, -1, -2]
REAL_POWERS = [0.5, 2.5, -1.5, np.float64(1.5)]  # a NumPy scalar must not upcast float32
BASES = [2.0, 0.5, np.e, np.float64(3.0)]
SCALARS = [1.5, np.float64(-2.0), 3]

OPS = [
    # -- arithmetic, broadcast; Python and NumPy scalars on either side ----------------------
    Op("add", lambda F, a, b: F.add(a, b), S.pairs()),
    Op("x + scalar", lambda F, x, c: x + c, with_choice(S.SMOOTH, SCALARS)),
    Op("sub", lambda F, a, b: F.sub(a, b), S.pairs()),
    Op("scalar - x", lambda F, x, c: c - x, with_choice(S.SMOOTH, SCALARS)),
    Op("mul", lambda F, a, b: F.mul(a, b), S.pairs()),
    Op("scalar * x", lambda F, x, c: c * x, with_choice(S.SMOOTH, SCALARS)),
    Op("div", lambda F, a, b: F.div(a, b), S.pairs(S.SMOOTH, S.NONZERO)),
    Op("x / scalar", lambda F, x, c: x / c, with_choice(S.SMOOTH, SCALARS)),
    Op("scalar / x", lambda F, x, c: c / x, with_choice(S.NONZERO, SCALARS)),
    Op("neg", lambda F, x: F.neg(x), one()),
    Op("pow", lambda F, a, b: F.pow(a, b), S.pairs(S.POSITIVE, S.EXPONENTS)),
    Op("x ** int", lambda F, x, p: x ** p, with_choice(S.NONZERO, INT_POWERS)),
    Op("pow(x, real)", lambda F, x, p: F.pow(x, p), with_choice(S.POSITIVE, REAL_POWERS)),
    Op("scalar ** x", lambda F, x, c: c ** x, with_choice(S.SMOOTH, BASES)),
    Op("pow(scalar, x)", lambda F, x, c: F.pow(c, x), with_choice(S.SMOOTH, BASES)),
    # -- pointwise ----------------------------------------------------------------------------
    Op("exp", lambda F, x: F.exp(x), one()),
    Op("log", lambda F, x: F.log(x), one(elements=S.POSITIVE)),
    Op("sqrt", lambda F, x: F.sqrt(x), one(elements=S.POSITIVE)),
    Op("abs", lambda F, x: F.abs(x), one(elements=S.NONZERO)),
    Op("tanh", lambda F, x: F.tanh(x), one()),
    Op("sigmoid", lambda F, x: F.sigmoid(x), one(elements=st.floats(-6, 6))),
    Op("softplus", lambda F, x, beta: F.softplus(x, beta),
       with_choice(st.floats(-6, 6), [1.0, 0.5, 2.0])),
    Op("logsigmoid", lambda F, x: F.logsigmoid(x), one(elements=st.floats(-6, 6))),
    Op("relu", lambda F, x: F.relu(x), one(elements=S.NONZERO)),
    Op("leaky_relu", lambda F, x, slope: F.leaky_relu(x, slope),
       with_choice(S.NONZERO, [0.01, 0.2, np.float64(0.2), 1.5, -0.5])),
    Op("clamp", lambda F, x, lo, hi: F.clamp(x, lo, hi), S.clamps()),
    Op("maximum", lambda F, a, b: F.maximum(a, b), S.pairs(S.LOW_BAND, S.HIGH_BAND)),
    Op("minimum", lambda F, a, b: F.minimum(a, b), S.pairs(S.HIGH_BAND, S.LOW_BAND)),
    Op("where", lambda F, c, a, b: F.where(c, a, b), S.wheres()),
    Op("where(c, x, scalar)", lambda F, c, a, b: F.where(c, a, 0.5), S.wheres()),
    # -- reductions ---------------------------------------------------------------------------
    Op("sum", lambda F, x, d, k: F.sum(x, d, k), S.reductions()),
    Op("mean", lambda F, x, d, k: F.mean(x, d, k), S.reductions()),
    Op("var", lambda F, x, d, k, c: F.var(x, d, keepdim=k, correction=c), S.variances()),
    Op("amax", lambda F, x, d, k: F.amax(x, d, k), S.reductions(unique=True)),
    Op("amin", lambda F, x, d, k: F.amin(x, d, k), S.reductions(unique=True)),
    Op("max", lambda F, x, d, k: F.max(x, d, k).values, S.reductions(unique=True,
                                                                      single_dim=True)),
    Op("min", lambda F, x, d, k: F.min(x, d, k).values, S.reductions(unique=True,
                                                                      single_dim=True)),
    Op("max()", lambda F, x: F.max(x), st.tuples(S.inputs(S.shapes(), unique=True))),
    Op("min()", lambda F, x: F.min(x), st.tuples(S.inputs(S.shapes(), unique=True))),
    Op("logsumexp", lambda F, x, d, k: F.logsumexp(x, d, k), S.reductions(all_dims=False)),
    Op("log_softmax", lambda F, x, d, k: F.log_softmax(x, d), S.reductions(single_dim=True)),
    Op("softmax", lambda F, x, d, k: F.softmax(x, d), S.reductions(single_dim=True)),
    # -- shape --------------------------------------------------------------------------------
    Op("reshape", lambda F, x, s: F.reshape(x, s), S.reshapes()),
    Op("permute", lambda F, x, p: F.permute(x, p), S.permutes()),
    Op("transpose", lambda F, x, a, b: F.transpose(x, a, b), S.transposes()),
    Op("x.T", lambda F, x: x.T, one(S.shapes(2, 2))),
    Op("flatten", lambda F, x, a, b: F.flatten(x, a, b), S.flattens()),
    Op("unsqueeze", lambda F, x, d: F.unsqueeze(x, d), S.unsqueezes()),
    Op("squeeze", lambda F, x, d: F.squeeze(x, d), S.squeezes()),
    Op("broadcast_to", lambda F, x, s: F.broadcast_to(x, s), S.broadcast_tos()),
    Op("sum_to", lambda F, x, s: F.sum_to(x, s), S.sum_tos()),
    Op("index", lambda F, x, i: F.index(x, i), S.indexings(reverse=False)),
    Op("index, negative steps", lambda F, x, i: F.index(x, i), S.indexings(reverse=True),
       torch="PyTorch has no negative slice steps ('index' is compared without them)"),
    Op("cat", lambda F, xs, d: F.cat(xs, d), S.cats()),
    Op("stack", lambda F, xs, d: F.stack(xs, d), S.stacks()),
    Op("pad", lambda F, x, p, v: F.pad(x, p, value=v), S.pads()),
    Op("to", lambda F, x: F.to(x, dtype=np.float32), one(),
       gradcheck="a float32 output's rounding swamps finite differences; the value, gradient "
                 "and dtype are checked against PyTorch and in test_to_sends_gradients_back"),
    # -- linear algebra and losses ------------------------------------------------------------
    Op("matmul", lambda F, a, b: F.matmul(a, b), S.matmuls()),
    Op("cross_entropy", lambda F, x, t, r: F.cross_entropy(x, t, reduction=r),
       S.cross_entropies()),
]
BY_NAME = {op.name: op for op in OPS}


@dataclass
class Alias:
    """Another spelling of a table entry (a Tensor operator or method, an alias): ``fn`` takes
    that entry's arguments and must give the same values and gradients."""

    name: str
    fn: Callable
    of: str


ALIASES = [
    Alias("a + b", lambda F, a, b: a + b, "add"),
    Alias("a.add(b)", lambda F, a, b: a.add(b), "add"),
    Alias("a - b", lambda F, a, b: a - b, "sub"),
    Alias("a.sub(b)", lambda F, a, b: a.sub(b), "sub"),
    Alias("a * b", lambda F, a, b: a * b, "mul"),
    Alias("a.mul(b)", lambda F, a, b: a.mul(b), "mul"),
    Alias("a / b", lambda F, a, b: a / b, "div"),
    Alias("a.div(b)", lambda F, a, b: a.div(b), "div"),
    Alias("-x", lambda F, x: -x, "neg"),
    Alias("x.neg()", lambda F, x: x.neg(), "neg"),
    Alias("a ** b", lambda F, a, b: a ** b, "pow"),
    Alias("a.pow(b)", lambda F, a, b: a.pow(b), "pow"),
    Alias("x.exp()", lambda F, x: x.exp(), "exp"),
    Alias("x.log()", lambda F, x: x.log(), "log"),
    Alias("x.sqrt()", lambda F, x: x.sqrt(), "sqrt"),
    Alias("x.abs()", lambda F, x: x.abs(), "abs"),
    Alias("x.tanh()", lambda F, x: x.tanh(), "tanh"),
    Alias("x.sigmoid()", lambda F, x: x.sigmoid(), "sigmoid"),
    Alias("x.relu()", lambda F, x: x.relu(), "relu"),
    Alias("x.clamp()", lambda F, x, lo, hi: x.clamp(min=lo, max=hi), "clamp"),
    Alias("a.maximum(b)", lambda F, a, b: a.maximum(b), "maximum"),
    Alias("a.minimum(b)", lambda F, a, b: a.minimum(b), "minimum"),
    Alias("x.sum()", lambda F, x, d, k: x.sum(d, keepdim=k), "sum"),
    Alias("x.mean()", lambda F, x, d, k: x.mean(d, keepdim=k), "mean"),
    Alias("x.var()", lambda F, x, d, k, c: x.var(d, keepdim=k, correction=c), "var"),
    Alias("x.amax()", lambda F, x, d, k: x.amax(d, keepdim=k), "amax"),
    Alias("x.amin()", lambda F, x, d, k: x.amin(d, keepdim=k), "amin"),
    Alias("x.max(dim)", lambda F, x, d, k: x.max(d, keepdim=k).values, "max"),
    Alias("x.min(dim)", lambda F, x, d, k: x.min(d, keepdim=k).values, "min"),
    Alias("x.max()", lambda F, x: x.max(), "max()"),
    Alias("x.min()", lambda F, x: x.min(), "min()"),
    Alias("x.logsumexp()", lambda F, x, d, k: x.logsumexp(d, keepdim=k), "logsumexp"),
    Alias("x.log_softmax()", lambda F, x, d, k: x.log_softmax(d), "log_softmax"),
    Alias("x.softmax()", lambda F, x, d, k: x.softmax(d), "softmax"),
    Alias("x.reshape()", lambda F, x, s: x.reshape(s), "reshape"),
    Alias("x.reshape(*shape)", lambda F, x, s: x.reshape(*s), "reshape"),
    Alias("x.view(*shape)", lambda F, x, s: x.view(*s), "reshape"),
    Alias("x.permute(*dims)", lambda F, x, p: x.permute(*p), "permute"),
    Alias("x.transpose()", lambda F, x, a, b: x.transpose(a, b), "transpose"),
    Alias("x.flatten()", lambda F, x, a, b: x.flatten(a, b), "flatten"),
    Alias("x.unsqueeze()", lambda F, x, d: x.unsqueeze(d), "unsqueeze"),
    Alias("x.squeeze()", lambda F, x, d: x.squeeze(d), "squeeze"),
    Alias("x.expand()", lambda F, x, s: x.expand(s), "broadcast_to"),
    Alias("x.broadcast_to(*shape)", lambda F, x, s: x.broadcast_to(*s), "broadcast_to"),
    Alias("x[index]", lambda F, x, i: x[i], "index, negative steps"),
    Alias("concatenate", lambda F, xs, d: F.concatenate(xs, d), "cat"),
    Alias("minigan.cat", lambda F, xs, d: minigan.cat(xs, d), "cat"),
    Alias("minigan.stack", lambda F, xs, d: minigan.stack(xs, d), "stack"),
    Alias("minigan.where", lambda F, c, a, b: minigan.where(c, a, b), "where"),
    Alias("x.to(dtype=)", lambda F, x: x.to(dtype=np.float32), "to"),
    Alias("x.float()", lambda F, x: x.float(), "to"),
    Alias("a @ b", lambda F, a, b: a @ b, "matmul"),
    Alias("a.matmul(b)", lambda F, a, b: a.matmul(b), "matmul"),
    Alias("minigan.matmul", lambda F, a, b: minigan.matmul(a, b), "matmul"),
]

# The engine's ops: each has a line of the tables under its own name. (The layers' ops, conv2d,
# batch_norm, binary_cross_entropy..., have their own tests.)
CORE_OPS = [
    "add", "sub", "mul", "div", "neg", "pow",
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "softplus", "logsigmoid", "relu",
    "leaky_relu", "clamp", "maximum", "minimum", "where",
    "sum", "mean", "var", "amax", "amin", "max", "min", "logsumexp", "log_softmax", "softmax",
    "reshape", "permute", "transpose", "flatten", "unsqueeze", "squeeze", "broadcast_to",
    "sum_to", "index", "cat", "concatenate", "stack", "pad", "to",
    "matmul", "cross_entropy",
]


def test_tables_cover_every_core_op():
    names = set(BY_NAME) | {alias.name for alias in ALIASES}
    assert set(CORE_OPS) <= set(F.__all__)
    assert set(CORE_OPS) <= names, set(CORE_OPS) - names


TABLE = pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
# The `device` fixture is a plain string: sharing it across hypothesis examples is safe.
HYPOTHESIS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_gradients(op, args, device):
    """gradcheck and gradgradcheck ``op`` at ``args`` on ``device`` (float64)."""
    case = Case(args)
    leaves = case.minigan_leaves(device)

    def f(*xs):
        return op.fn(F, *case.minigan_args(xs, device))

    gradcheck(f, leaves)
    gradgradcheck(f, leaves)


# -- 1. gradients against finite differences -----------------------------------------------------

def gradcheck_op(op, device, data):
    if op.gradcheck:
        pytest.skip(op.gradcheck)
    check_gradients(op, data.draw(op.args, label="args"), device)


@TABLE
@HYPOTHESIS
@given(data=st.data())
def test_gradcheck(op, device, data):
    gradcheck_op(op, device, data)


# -- 2. values, first and second derivatives against PyTorch -------------------------------------

def compare_op(op, device, torch, data):
    if op.torch:
        pytest.skip(op.torch)
    compare_with_torch(torch, op.fn, data.draw(op.args, label="args"), device)


@pytest.mark.torch
@TABLE
@HYPOTHESIS
@given(data=st.data())
def test_matches_torch(op, device, torch, data):
    compare_op(op, device, torch, data)


# -- 3. dtypes: float32 stays float32, through the gradients and their gradients ----------------

@TABLE
@HYPOTHESIS
@given(data=st.data())
def test_float32_stays_float32(op, device, data):
    """float32 inputs (with Python and NumPy scalars) give a float32 output and gradients in
    each input's dtype, to second order; `to` casts a float64 input to float32."""
    case = Case(data.draw(op.args, label="args"))
    leaves = case.minigan_leaves(device, np.float64 if op.name == "to" else np.float32)
    y = op.fn(F, *case.minigan_args(leaves, device))
    assert y.dtype == np.float32 and y.device == device
    grads = minigan.grad(y, leaves, minigan.ones_like(y), create_graph=True, allow_unused=True)
    for x, g in zip(leaves, grads):
        assert g is None or (g.dtype == x.dtype and g.device == device), (g.dtype, x.dtype)
    used = [g.sum() for g in grads if g is not None and g.requires_grad]
    if used:
        for x, h in zip(leaves, minigan.grad(sum(used), leaves, allow_unused=True)):
            assert h is None or h.dtype == x.dtype, (h.dtype, x.dtype)


# -- the operators, methods and aliases are the table's ops under other spellings ---------------

@pytest.mark.parametrize("alias", ALIASES, ids=[alias.name for alias in ALIASES])
@HYPOTHESIS
@given(data=st.data())
def test_alias_is_its_op(alias, device, data):
    """Bit for bit the same values and gradients as the table entry it spells differently (so
    everything checked of the entry holds for it too)."""
    op = BY_NAME[alias.of]
    case = Case(data.draw(op.args, label="args"))
    leaves = case.minigan_leaves(device)
    args = case.minigan_args(leaves, device)
    y, expected = alias.fn(F, *args), op.fn(F, *args)
    assert (y.shape, y.dtype, y.device) == (expected.shape, expected.dtype, expected.device)
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    v = np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype)
    v = minigan.tensor(v, device=device)
    for g, e in zip(minigan.grad(y, leaves, v, allow_unused=True),
                    minigan.grad(expected, leaves, v, allow_unused=True)):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_float64_stays_float64(device):
    x = minigan.tensor([0.5, 1.5], dtype=np.float64, device=device, requires_grad=True)
    y = (2.0 * x ** 2 + np.float32(1.0)).exp().mean()
    assert y.dtype == np.float64
    (g,) = minigan.grad(y, x)
    assert g.dtype == np.float64


def test_to_sends_gradients_back(device):
    """Casting is differentiable: the gradient comes back in the dtype of what was cast."""
    x = minigan.tensor([0.5, -1.0, 2.0], dtype=np.float64, device=device, requires_grad=True)
    for y in (F.to(x, dtype=np.float32), x.float()):
        (g,) = minigan.grad((y * y).sum(), x)
        assert y.dtype == np.float32 and g.dtype == np.float64
        np.testing.assert_allclose(g.numpy(), 2 * x.detach().numpy(), rtol=1e-7)
    assert x.double() is x and F.to(x, device=device) is x  # nothing to change: no copy


# -- cases the issue names, checked on every run whatever hypothesis draws -----------------------

def _input(*shape, perm=None, steps=None):
    values = np.random.default_rng(sum(shape)).uniform(0.5, 1.5, shape)
    return S.Input(values, perm, steps)


NAMED_CASES = [
    ("add", (_input(3, 1, 4), _input(2, 4, perm=(1, 0), steps=(2, -1)))),
    ("mul", (_input(), _input(2, 3, steps=(-1, 2)))),
    ("pow", (_input(2, 3), _input())),
    ("index", (_input(4, 3), np.array([0, 0, 2, 0]))),  # repeated rows: gradients add up
    ("index", (_input(3, 4, steps=(1, 2)), (slice(None), np.array([[1, 1], [3, 1]])))),
    ("index", (_input(3, 4), np.array([[True, False, True, True]] * 3))),
    ("index", (_input(2, 3, 4, perm=(2, 0, 1)), (Ellipsis, None, slice(None, None, 2), 1))),
    ("index, negative steps", (_input(3, 4), (slice(None, None, -1), slice(3, 0, -2)))),
    ("matmul", (_input(3), _input(3))),
    ("matmul", (_input(3), _input(2, 3, 2, perm=(0, 2, 1)))),
    ("matmul", (_input(2, 1, 2, 3), _input(3, 3, 2))),
]
NAMED = pytest.mark.parametrize("name, args", NAMED_CASES,
                                ids=[f"{i}-{name}" for i, (name, _) in enumerate(NAMED_CASES)])


@NAMED
def test_named_case_gradients(device, name, args):
    check_gradients(BY_NAME[name], args, device)


@pytest.mark.torch
@NAMED
def test_named_case_matches_torch(device, torch, name, args):
    if BY_NAME[name].torch:
        pytest.skip(BY_NAME[name].torch)
    compare_with_torch(torch, BY_NAME[name].fn, args, device)


# -- 4. a wrong backward does not get through ----------------------------------------------------

class WrongSquare(Function):
    """y = x^2 with a planted bug: the backward forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * x


class FrozenSquare(Function):
    """y = x^2 whose backward is right but built from a *constant* copy of x: the first
    derivative passes, the second derivative is silently zero."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


def test_gradcheck_catches_a_wrong_backward_and_names_the_element():
    x = minigan.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=np.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 at element \(0, 0\)"):
        gradcheck(WrongSquare.apply, x)


def test_harness_fails_on_a_planted_wrong_op(device):
    planted = Op("planted", lambda F, a, b: WrongSquare.apply(a) + b, st.nothing())
    args = (S.Input(np.array([1.0, 2.0])), S.Input(np.array(3.0)))  # drawn by hand
    with pytest.raises(GradcheckError, match="input 0"):
        check_gradients(planted, args, device)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable(device):
    x = minigan.tensor([0.5, -1.0, 2.0], dtype=np.float64, device=device, requires_grad=True)
    assert gradcheck(FrozenSquare.apply, x)
    with pytest.raises(GradcheckError, match="input 0"):
        gradgradcheck(FrozenSquare.apply, x)


@pytest.mark.torch
@pytest.mark.parametrize("planted, wrong", [(WrongSquare, "gradient"),
                                            (FrozenSquare, "second derivative")])
def test_oracle_catches_wrong_first_and_second_derivatives(torch, planted, wrong):
    args = (S.Input(np.array([0.5, -1.0, 2.0])),)
    square = lambda F, x: x * x  # noqa: E731
    compare_with_torch(torch, square, args)  # the oracle passes the right op...
    with pytest.raises(AssertionError, match=f"{wrong} for input 0"):  # ...not a planted one
        compare_with_torch(torch, lambda F, x: planted.apply(x), args, torch_fn=square)


# -- layouts: the strategy really hands over strided views ---------------------------------------

@given(S.inputs(S.shapes()))
def test_layouts_keep_the_values(x):
    np.testing.assert_array_equal(x.array(np), x.values)


def test_layouts_are_views_of_larger_buffers():
    x = S.Input(np.arange(6.0).reshape(2, 3), perm=(1, 0), steps=(-2, 2))
    a = x.array(np)
    assert not a.flags.c_contiguous and not a.flags.f_contiguous and a.base is not None
    assert min(a.strides) < 0  # a reversed axis
    np.testing.assert_array_equal(a, x.values)
    t = minigan.Tensor(a, requires_grad=True)
    assert t.data is a  # Tensor keeps the view: the ops really see the strided layout


# -- conventions at kinks and ties: the same as PyTorch's ------------------------------------------

KINK = np.array([-1.0, 0.0, 0.5, 1.0])
HALF = np.full(4, 0.5)  # ties with KINK[2]
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])


@pytest.mark.torch
@pytest.mark.parametrize("fn, args", [
    (lambda F, x: F.relu(x), (KINK,)),  # 0 at 0
    (lambda F, x: F.abs(x), (KINK,)),  # 0 at 0
    (lambda F, x: F.leaky_relu(x, 0.2), (KINK,)),  # the slope at 0
    (lambda F, x: F.clamp(x, 0.0, 0.5), (KINK,)),  # 1 on both bounds
    (lambda F, a, b: F.maximum(a, b), (KINK, HALF)),  # ties split evenly
    (lambda F, a, b: F.minimum(a, b), (KINK, HALF)),
    (lambda F, x: F.amax(x, 1), (TIES,)),  # ties split evenly
    (lambda F, x: F.amin(x, (0, 1), True), (TIES,)),
    (lambda F, x: F.max(x, 1).values, (TIES,)),  # the first of the ties takes it all
    (lambda F, x: F.min(x, 0, True).values, (TIES,)),
    (lambda F, x: F.max(x), (TIES,)),  # ties split evenly
], ids=["relu", "abs", "leaky_relu", "clamp", "maximum", "minimum", "amax", "amin", "max(dim)",
        "min(dim)", "max()"])
def test_kink_conventions_match_torch(torch, device, fn, args):
    compare_with_torch(torch, fn, [S.Input(a.copy()) for a in args], device)


# -- 5. bad arguments: a clear error that names what was wrong ------------------------------------

def _t(*shape):
    return minigan.zeros(*shape)


BAD_CALLS = [
    (lambda: F.reshape(_t(2, 3), (4, 2)), ValueError, r"reshape.*\(2, 3\).*\(4, 2\)"),
    (lambda: F.reshape(_t(2, 3), (-1, -1)), ValueError, "reshape"),
    (lambda: F.permute(_t(2, 3), (0, 0)), ValueError, "permute: dims"),
    (lambda: F.transpose(_t(2, 3), 0, 2), IndexError, "dim1=2"),
    (lambda: F.sum(_t(2, 3), 2), IndexError, "dim=2"),
    (lambda: F.mean(_t(2, 3), "1"), TypeError, "dim must be an int"),
    (lambda: F.softmax(_t(2, 3), -3), IndexError, "dim=-3"),
    (lambda: F.flatten(_t(2, 3, 4), 2, 1), ValueError, "start_dim"),
    (lambda: F.unsqueeze(_t(2, 3), 3), IndexError, "dim=3"),
    (lambda: F.var(_t(1, 3), 0), ValueError, "var.*correction"),
    (lambda: F.clamp(_t(2)), ValueError, "clamp.*min.*max"),
    (lambda: F.broadcast_to(_t(2, 3), (3, 3)), ValueError, r"broadcast_to.*\(2, 3\)"),
    (lambda: F.add(_t(2, 3), _t(4)), ValueError, r"add.*\(2, 3\).*\(4,\)"),
    (lambda: F.maximum(_t(2, 3), _t(2)), ValueError, r"maximum.*\(2, 3\).*\(2,\)"),
    (lambda: F.where(_t(2) > 0, _t(3), 1.0), ValueError, r"where.*\(2,\).*\(3,\)"),
    (lambda: F.pow(_t(2), _t(3)), ValueError, r"pow.*\(2,\).*\(3,\)"),
    (lambda: F.matmul(_t(2, 3), _t(2, 3)), ValueError, r"matmul.*\(2, 3\) and \(2, 3\)"),
    (lambda: F.matmul(_t(2, 3, 4), _t(5, 4, 2)), ValueError, r"matmul: the batch.*\(5, 4, 2\)"),
    (lambda: F.matmul(_t(), _t(2)), ValueError, "matmul: both operands"),
    (lambda: F.cat([_t(2, 3), _t(3, 2)], 0), ValueError, r"cat: tensor 1.*\(3, 2\)"),
    (lambda: F.cat([_t(2, 3), _t(2)], 0), ValueError, "cat: tensor 1"),
    (lambda: F.cat([], 0), ValueError, "cat: tensors"),
    (lambda: F.stack([_t(2), _t(3)]), ValueError, "stack: tensor 1"),
    (lambda: F.pad(_t(2, 3), (1, 1, 1)), ValueError, "pad: expected an even number"),
    (lambda: F.pad(_t(2), (1, 1, 1, 1)), ValueError, "pad: expected"),
    (lambda: F.pad(_t(2, 3), (1, -1)), ValueError, "pad: widths"),
    (lambda: F.index(_t(2, 3), (0, 3)), IndexError, r"index.*\(2, 3\)"),
    (lambda: F.cross_entropy(_t(2, 3), np.array([0.0, 1.0])), TypeError, "target.*integer"),
    (lambda: F.cross_entropy(_t(2, 3), np.array([0, 3])), ValueError, r"target.*\[0, 3\)"),
    (lambda: F.cross_entropy(_t(2, 3), np.array([-1, 0])), ValueError, "target"),
    (lambda: F.cross_entropy(_t(2, 3), np.array([0, 1, 2])), ValueError, r"target.*\(2,\)"),
    (lambda: F.cross_entropy(_t(2, 3, 4), np.array([0, 1])), ValueError, "input.*shape"),
    (lambda: F.cross_entropy(_t(2, 3), np.array([0, 1]), reduction="avg"), ValueError, "reduction"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS,
                         ids=[f"{i}-{m.split(':')[0].split('.')[0]}"
                              for i, (_, _, m) in enumerate(BAD_CALLS)])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- exhaustive: many more examples of the same properties (run with -m slow) ---------------------

THOROUGH = settings(HYPOTHESIS, max_examples=200)


@pytest.mark.slow
@TABLE
@THOROUGH
@given(data=st.data())
def test_gradcheck_thorough(op, device, data):
    gradcheck_op(op, device, data)


@pytest.mark.slow
@pytest.mark.torch
@TABLE
@THOROUGH
@given(data=st.data())
def test_matches_torch_thorough(op, device, torch, data):
    compare_op(op, device, torch, data)


def test_pow_with_exponent_zero_has_zero_gradient_at_zero(device):
    # d/dx x**0 = 0 everywhere; the general formula b * x ** (b - 1) gives 0 * inf = nan at 0.
    x = minigan.tensor([0.0, 1.5, -2.0], dtype=np.float64, device=device, requires_grad=True)
    (g,) = minigan.grad((x ** 0).sum(), x)
    np.testing.assert_array_equal(minigan.backend.as_numpy(g.data), [0.0, 0.0, 0.0])
