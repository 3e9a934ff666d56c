"""PyTorch's conventions where a learner meets them first: ``max``/``min`` along a dim return
``(values, indices)``, and ``gradcheck``/``gradgradcheck`` take ``(fn, inputs)``.

What minigan keeps different on purpose is listed, with its reason, in docs/architecture.md
("Where minigan departs from PyTorch"); the tests below pin both the agreements and those lists.
"""

import inspect

import numpy as np
import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan
import minigan.functional as F
from minigan import gradcheck, gradgradcheck

HYPOTHESIS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                      deadline=None)

# -- max and min along a dim: (values, indices) --------------------------------------------------


@st.composite
def along_a_dim(draw):
    """(x, dim, keepdim): small integer values, so that ties are common (they are where the
    conventions can differ), and a dim that may be negative."""
    shape = draw(S.shapes(min_dims=1))
    x = draw(hnp.arrays(np.float64, shape, elements=st.integers(-2, 2).map(float)))
    return x, draw(st.integers(-len(shape), len(shape) - 1)), draw(st.booleans())


@pytest.mark.parametrize("name", ["max", "min"])
def test_along_a_dim_is_a_named_tuple_of_values_and_indices(name):
    x = minigan.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    result = getattr(x, name)(1)
    assert type(result).__name__ == name and result._fields == ("values", "indices")
    values, indices = result  # a tuple: it unpacks, as PyTorch's does
    assert values is result.values and indices is result.indices
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert values.requires_grad and values.dtype == np.float32
    expected = {"max": ([3.0, 2.0], [1, 0]), "min": ([1.0, 0.0], [0, 2])}[name]
    np.testing.assert_array_equal(values.numpy(), expected[0])
    np.testing.assert_array_equal(indices.numpy(), expected[1])
    assert getattr(F, name)(x, 1).indices.tolist() == expected[1]  # the functional spelling


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_send_the_gradient_to_the_first(name):
    x = minigan.tensor([[3.0, 3.0, 1.0], [0.0, 2.0, 2.0]], dtype=np.float64, requires_grad=True)
    getattr(x, name)(1).values.sum().backward()
    first = {"max": [[1, 0, 0], [0, 1, 0]], "min": [[0, 0, 1], [1, 0, 0]]}[name]
    np.testing.assert_array_equal(x.grad.numpy(), first)


def test_without_a_dim_a_0d_tensor_whose_ties_share_the_gradient():
    x = minigan.tensor([[1.0, 3.0], [3.0, 0.0]], dtype=np.float64, requires_grad=True)
    y = x.max()
    assert isinstance(y, minigan.Tensor) and y.shape == ()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5], [0.5, 0]])


@given(along_a_dim())
def test_keepdim_keeps_the_dim_with_size_one(case):
    x, dim, keepdim = case
    values, indices = F.max(minigan.tensor(x), dim, keepdim)
    expected = np.max(x, axis=dim, keepdims=keepdim).shape
    assert values.shape == indices.shape == expected
    chosen = np.take_along_axis(x, indices.numpy() if keepdim else
                                np.expand_dims(indices.numpy(), dim), axis=dim)
    np.testing.assert_array_equal(chosen.reshape(expected), values.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=st.tuples(S.inputs(S.shapes(min_dims=1), unique=True), st.integers(-3, 2),
                      st.booleans()))
def test_values_pass_gradcheck_and_gradgradcheck_in_float64(name, case):
    x, dim, keepdim = case
    dim = dim % x.values.ndim
    leaf = minigan.Tensor(x.array(np), requires_grad=True)
    fn = lambda t: getattr(F, name)(t, dim, keepdim).values  # noqa: E731
    assert gradcheck(fn, (leaf,)) and gradgradcheck(fn, (leaf,))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "min"])
@HYPOTHESIS
@given(case=along_a_dim())
def test_values_indices_and_gradients_match_torch(torch, name, case):
    x, dim, keepdim = case
    ours = minigan.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    values, indices = getattr(ours, name)(dim, keepdim)
    t_values, t_indices = getattr(theirs, name)(dim, keepdim)
    np.testing.assert_array_equal(values.detach().numpy(), t_values.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    assert indices.dtype == np.int64 and t_indices.dtype == torch.int64
    v = np.random.default_rng(0).standard_normal(values.shape)
    (g,) = minigan.grad(values, ours, minigan.tensor(v))
    (t_g,) = torch.autograd.grad(t_values, theirs, torch.tensor(v))
    np.testing.assert_array_equal(g.numpy(), t_g.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("name", ["max", "min"])
def test_a_0d_tensor_and_nan_as_torch(torch, name):
    for x in (np.array(3.0), np.array([1.0, np.nan, 2.0, np.nan])):
        ours = getattr(minigan.tensor(x), name)(-1)
        theirs = getattr(torch.tensor(x), name)(-1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.max((0, 1)), TypeError, r"max: dim must be one int.*amax\(x, dims\)"),
    (lambda x: x.min([0]), TypeError, r"min: dim must be one int.*amin"),
    (lambda x: x.max(2), IndexError, "dim=2"),
    (lambda x: x[:0].max(0), ValueError, r"max: cannot reduce over dim 0 of size 0"),
    (lambda x: x[:0].amin(), ValueError, r"amin: cannot reduce over dim 0 of size 0"),
])
def test_bad_dims_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(minigan.zeros(2, 3))


# -- gradcheck(func, inputs) ---------------------------------------------------------------------

def _leaf(*shape, seed=0):
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return minigan.tensor(values, requires_grad=True)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_inputs_are_one_tuple_and_a_tensor_alone_is_a_1_tuple(check):
    x, w = _leaf(2, 3), _leaf(3, seed=1)
    assert check(lambda x, w: (x * w).tanh(), (x, w)) is True
    assert check(lambda x, w: (x * w).tanh(), [x, w]) is True
    assert check(lambda x: x.tanh(), x) is True and check(lambda x: x.tanh(), (x,)) is True


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_the_old_form_is_a_clear_type_error(check):
    """gradcheck(fn, x, w) must not be read as (fn, inputs=x, <something>=w)."""
    x, w = _leaf(2), _leaf(2, seed=1)
    name = check.__name__
    with pytest.raises(TypeError, match=rf"{name}\(func, inputs\) takes the inputs as one tuple, "
                                        rf"as torch.autograd.{name} does: write {name}\(func, "
                                        rf"\(x, y\)\), not {name}\(func, x, y\)"):
        check(lambda x, w: x * w, x, w)


def test_inputs_that_are_not_tensors_are_passed_as_they_are():
    x = _leaf(3)
    assert gradcheck(lambda x, k, name: (x ** k).sum(dim=0), (x, 2, "unused"))
    assert gradgradcheck(lambda x, k: x ** k, (x, 3))


class _Wrong(minigan.Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g  # should be 2 x g


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_raise_exception_false_returns_false(check):
    x = _leaf(3)
    wrong = _Wrong.apply if check is gradcheck else lambda t: _Wrong.apply(t) * t
    assert check(wrong, (x,), raise_exception=False) is False
    with pytest.raises(minigan.GradcheckError):
        check(wrong, (x,))
    with pytest.raises(TypeError, match="float64"):  # not a wrong gradient: still raised
        check(wrong, (x.float().detach().requires_grad_(),), raise_exception=False)


# What minigan's checks take that PyTorch's do not, each with its reason in docs/architecture.md.
MINIGAN_ONLY = {"more", "n_directions", "seed"}


@pytest.mark.torch
@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck"])
def test_keywords_are_pytorchs_with_pytorchs_defaults(torch, name):
    ours = inspect.signature(getattr(minigan, name)).parameters
    theirs = inspect.signature(getattr(torch.autograd, name)).parameters
    assert list(ours)[:2] == list(theirs)[:2] == ["func", "inputs"]
    shared = set(ours) - MINIGAN_ONLY
    assert shared <= set(theirs), shared - set(theirs)
    for key in shared - {"func", "inputs"}:
        assert ours[key].default == theirs[key].default, key
        assert ours[key].kind == inspect.Parameter.KEYWORD_ONLY, key


# -- smaller signatures a learner carries over -----------------------------------------------------

def test_to_takes_a_dtype_first_as_pytorchs_does():
    x = minigan.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(np.float64)
    assert y.dtype == np.float64 and y.device == "cpu" and y.requires_grad
    assert x.to("cpu", np.float64).dtype == np.float64 and x.to(np.float32) is x
    with pytest.raises(ValueError, match="device must be"):
        x.to("gpu")


@pytest.mark.torch
@pytest.mark.parametrize("shape, sizes", [((2, 1), (-1, 3)), ((2, 1), (4, -1, 3)),
                                          ((3,), ((2, -1),)), ((1, 2), (5, 2))])
def test_expand_keeps_a_dim_given_as_minus_one(torch, shape, sizes):
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    ours = minigan.tensor(values).expand(*sizes)
    theirs = torch.tensor(values).expand(*sizes)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_var_takes_keepdim_and_correction_by_keyword_only():
    """torch.var's second positional argument may be the old ``unbiased``: a positional
    ``keepdim`` would mean something else there, so neither library takes it."""
    x = minigan.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert x.var(0, keepdim=True, correction=0).shape == (1, 2)
    for call in (lambda: x.var(0, True), lambda: F.var(x, 0, True)):
        with pytest.raises(TypeError, match="positional"):
            call()


def test_max_of_two_tensors_points_to_maximum():
    x = minigan.tensor([1.0, 4.0])
    with pytest.raises(TypeError, match=r"max\(x, other\).*maximum\(x, other\)"):
        x.max(minigan.tensor([3.0, 2.0]))
    with pytest.raises(TypeError, match=r"min\(x, other\).*minimum\(x, other\)"):
        F.min(x, minigan.tensor([3.0, 2.0]))


# Where PyTorch has an argument that minigan does not (a deprecated `size_average`, `groups` of a
# layer, `inplace`), minigan's later arguments are keyword-only: a call written for PyTorch never
# lands a value on the wrong parameter. Each entry: minigan's function, PyTorch's (by path).
SIGNATURES = [
    (F.pad, "nn.functional.pad"),
    (F.cross_entropy, "nn.functional.cross_entropy"),
    (F.binary_cross_entropy, "nn.functional.binary_cross_entropy"),
    (F.binary_cross_entropy_with_logits, "nn.functional.binary_cross_entropy_with_logits"),
    (F.dropout, "nn.functional.dropout"),
    (minigan.nn.init.constant_, "nn.init.constant_"),
    (minigan.nn.Module.named_parameters, "nn.Module.named_parameters"),
    (minigan.nn.Module.named_buffers, "nn.Module.named_buffers"),
    (minigan.nn.utils.functional_call, "func.functional_call"),
    (minigan.grad, "autograd.grad"),
]
# Names that differ, each a row of docs/architecture.md's table of departures.
RENAMED = {"tensors": "parameter_and_buffer_dicts"}


@pytest.mark.torch
@pytest.mark.parametrize("ours, path", SIGNATURES, ids=[p for _, p in SIGNATURES])
def test_positional_arguments_are_pytorchs(torch, ours, path):
    """Every argument minigan takes by position has PyTorch's name at PyTorch's position, and
    every keyword it shares with PyTorch has PyTorch's name."""
    theirs = torch
    for part in path.split("."):
        theirs = getattr(theirs, part)
    ours = inspect.signature(ours).parameters
    theirs = list(inspect.signature(theirs).parameters)
    positional = [RENAMED.get(n, n) for n, p in ours.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == theirs[:len(positional)]
    keyword = {n for n, p in ours.items() if p.kind == p.KEYWORD_ONLY} - {"generator"}
    assert keyword <= set(theirs), keyword - set(theirs)


def test_functional_call_takes_its_arguments_as_one_tuple():
    D = minigan.nn.Linear(3, 1, generator=minigan.Generator(0))
    x = minigan.randn(4, 3, generator=minigan.Generator(1))
    zero = minigan.zeros(1, 3)
    for args in ((x,), x):  # a tuple, or one argument that is not a tuple
        out = minigan.nn.utils.functional_call(D, {"weight": zero}, args)
        np.testing.assert_allclose(out.numpy(), np.broadcast_to(D.bias.numpy(), (4, 1)))


def test_named_parameters_puts_the_prefix_before_every_name():
    model = minigan.nn.Sequential(minigan.nn.Linear(2, 3), minigan.nn.Linear(3, 1))
    names = [n for n, _ in model.named_parameters()]
    assert [n for n, _ in model.named_parameters("D")] == ["D." + n for n in names]
    assert [n for n, _ in model.named_parameters(prefix="D", recurse=False)] == []


def test_pad_has_pytorchs_constant_mode_only():
    x = minigan.ones(2, 2)
    assert F.pad(x, (1, 1), "constant", 0.5).shape == (2, 4)
    with pytest.raises(ValueError, match="pad: unknown mode 'reflect'"):
        F.pad(x, (1, 1), "reflect")
