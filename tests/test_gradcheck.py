"""gradcheck and gradgradcheck: they pass on correct operations and catch planted mistakes,
first order and second order, saying where (input, element) and by how much."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
from minigan import Function, GradcheckError, gradcheck, gradgradcheck, tensor


def leaf(values, device="cpu"):
    return tensor(np.asarray(values, dtype=np.float64), requires_grad=True, device=device)


def random_leaf(shape, seed=0, device="cpu"):
    return leaf(np.random.default_rng(seed).uniform(0.5, 1.5, size=shape), device)


class Cube(Function):
    """y = x^3, dy/dx = 3 x^2: correct to every order."""

    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * 3 * x ** 2


class WrongCube(Function):
    """y = x^3 with a planted mistake: dy/dx = 2 x^2."""

    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.inputs
        return g * 2 * x ** 2


class FrozenCube(Function):
    """y = x^3 whose backward reads x from the saved (constant) tensors: right to first order,
    but differentiating the backward again sees no dependence on x (the second derivative of a
    gradient penalty would come out wrong)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class WrongSecondFactor(Function):
    """y = a * b with a planted mistake in the gradient of b only: dy/db = 2 a."""

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return g * b, g * a * 2


def numbers(message):
    """The analytic and numerical values a GradcheckError reports."""
    found = re.search(r"analytic (\S+), numerical (\S+) ", message)
    return float(found.group(1)), float(found.group(2))


# -- passing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("fn, shapes", [
    (Cube.apply, [(2, 3)]),
    (lambda a: (a.tanh() * a).sum(dim=1), [(3, 4)]),
    (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    (lambda a, b: (a + b).sigmoid(), [(2, 3), (3,)]),  # broadcasting
    (lambda a, b: (a / b).log(), [(4,), (4,)]),
])
def test_correct_operations_pass(fn, shapes, fast_mode, device):
    inputs = tuple(random_leaf(s, seed=k, device=device) for k, s in enumerate(shapes))
    assert gradcheck(fn, inputs, fast_mode=fast_mode) is True
    assert gradgradcheck(fn, inputs, fast_mode=fast_mode) is True


def test_inputs_that_do_not_require_grad_are_not_checked():
    x = random_leaf((3,))
    mask = tensor([1.0, 0.0, 2.0])  # float32, fine: it is not checked
    assert gradcheck(lambda a, m: a * m, (x, mask))
    assert gradgradcheck(lambda a, m: a * m, (x, mask))


def test_unused_inputs_and_constant_outputs_pass():
    x, unused = random_leaf((2,)), random_leaf((3,), seed=1)
    assert gradcheck(lambda a, b: a * 2, (x, unused))
    assert gradgradcheck(lambda a, b: a * a, (x, unused))
    assert gradcheck(lambda a: (a * 2, minigan.ones(3, dtype=np.float64)), x)


# -- first-order mistakes --------------------------------------------------------------------

def test_a_wrong_backward_is_caught_with_where_and_by_how_much():
    x = random_leaf((2, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, x)
    message = str(info.value)
    assert "for input 0 at element (0, 0), output 0 at element (0, 0):" in message
    analytic, numerical = numbers(message)
    x00 = x.data[0, 0]
    assert analytic == pytest.approx(2 * x00 ** 2, rel=1e-9)
    assert numerical == pytest.approx(3 * x00 ** 2, rel=1e-6)
    assert issubclass(GradcheckError, AssertionError)


def test_a_mistake_in_one_element_is_located():
    x = random_leaf((2, 3))
    scale = np.ones((2, 3))
    scale[1, 2] = 1.5

    class OneWrongElement(Function):
        @staticmethod
        def forward(ctx, a):
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.inputs
            return g * 3 * a ** 2 * tensor(scale)

    with pytest.raises(GradcheckError, match=r"input 0 at element \(1, 2\), output 0 at "
                                             r"element \(1, 2\):"):
        gradcheck(OneWrongElement.apply, x)


@pytest.mark.parametrize("fast_mode, where", [(False, "element (0,)"),
                                              (True, "random direction 0")])
def test_a_mistake_in_the_second_input_names_it(fast_mode, where):
    a, b = random_leaf((3,)), random_leaf((3,), seed=1)
    with pytest.raises(GradcheckError, match=re.escape(f"for input 1 at {where}")):
        gradcheck(WrongSecondFactor.apply, (a, b), fast_mode=fast_mode)


def test_the_error_carries_the_input_the_element_and_both_values():
    """Callers (the exercise grader) put a failure in their own words from these attributes."""
    a, b = random_leaf((3,)), random_leaf((3,), seed=1)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (a * 2, WrongSecondFactor.apply(a, b)), (a, b))
    err = info.value
    assert (err.input, err.index, err.output) == (1, (0,), 1)
    assert err.where == "element (0,), output 1 at element (0,)"
    assert (err.analytic, err.numerical) == pytest.approx((2 * a.data[0], a.data[0]), rel=1e-6)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(FrozenCube.apply, a)
    assert (info.value.input, info.value.index, info.value.output) == (0, (0,), 0)
    assert info.value.analytic == 0.0
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, a, fast_mode=True)
    assert (info.value.input, info.value.index, info.value.output) == (0, None, None)


def test_fast_mode_catches_the_planted_mistake():
    x = random_leaf((4, 5))
    with pytest.raises(GradcheckError, match=r"input 0 at random direction 0 \(u \. J v\)"):
        gradcheck(WrongCube.apply, x, fast_mode=True)


def test_fast_mode_handles_a_large_input():
    x = random_leaf((300, 400))  # 120,000 elements: the full Jacobian would be out of reach
    assert gradcheck(lambda a: (a.tanh() * a).sum(dim=0), x, fast_mode=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: WrongCube.apply(a).sum(dim=0), x, fast_mode=True)


def test_a_mistake_in_the_second_of_several_outputs():
    x = random_leaf((2,))
    assert gradcheck(lambda a: (Cube.apply(a), a.sum()), x)
    with pytest.raises(GradcheckError, match=r"input 0 at element \(1,\), output 2 at "
                                             r"element \(1,\)"):
        gradcheck(lambda a: (Cube.apply(a), a * 2, WrongCube.apply(a * tensor([0.0, 1.0]))), x)


# -- second-order mistakes -------------------------------------------------------------------

def test_a_frozen_backward_passes_gradcheck_but_not_gradgradcheck():
    x = random_leaf((2, 2))
    assert gradcheck(FrozenCube.apply, x)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(FrozenCube.apply, x)
    message = str(info.value)
    assert message.startswith("gradgradcheck: the second derivatives of func are wrong")
    assert "input 0 at element (0, 0)" in message
    analytic, numerical = numbers(message)
    assert analytic == 0.0  # the frozen backward has no derivative in x
    assert numerical != pytest.approx(0.0, abs=1e-3)


def test_fast_mode_catches_a_frozen_backward_too():
    with pytest.raises(GradcheckError, match="gradgradcheck.*u . J v"):
        gradgradcheck(FrozenCube.apply, random_leaf((20, 30)), fast_mode=True)


def test_gradgradcheck_with_given_grad_outputs():
    x = random_leaf((3,))
    v = tensor(np.array([1.0, -2.0, 0.5]))
    assert gradgradcheck(Cube.apply, x, grad_outputs=v)
    with pytest.raises(GradcheckError):
        gradgradcheck(FrozenCube.apply, x, grad_outputs=v)


# -- bad calls -------------------------------------------------------------------------------

@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_float32_inputs_are_rejected(check):
    x32 = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="input 1 is float32; gradient checks need float64"):
        check(lambda a, b: a * b, (random_leaf((2,)), x32))


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_no_input_requiring_grad_is_an_error(check):
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        check(lambda a: a * 2, tensor(np.ones(2)))


def test_other_bad_calls():
    x = random_leaf((2,))
    with pytest.raises(TypeError, match="inputs must be a Tensor or a tuple of Tensors, got "
                                        "ndarray"):
        gradcheck(lambda a: a, np.ones(2))
    with pytest.raises(TypeError, match="func must return a Tensor.*output 0 is a ndarray"):
        gradcheck(lambda a: a.data, x)
    with pytest.raises(TypeError, match="fast_mode must be True or False, got 'random'"):
        gradcheck(Cube.apply, x, fast_mode="random")


# -- the inputs are left as they were --------------------------------------------------------

@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("check, fn", [(gradcheck, Cube.apply), (gradcheck, WrongCube.apply),
                                       (gradgradcheck, Cube.apply),
                                       (gradgradcheck, FrozenCube.apply)])
def test_inputs_are_unchanged_after_a_check(check, fn, fast_mode):
    x = random_leaf((3, 2))
    before = x.data.copy()
    try:
        check(fn, x, fast_mode=fast_mode)
    except GradcheckError:
        pass
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None  # the check takes gradients without touching .grad


@pytest.mark.parametrize("fast_mode", [False, True])
def test_inputs_are_restored_when_fn_raises_midway(fast_mode):
    x = random_leaf((3,))
    before = x.data.copy()
    calls = []

    def fragile(a):
        calls.append(None)
        if len(calls) > 4:  # fails during a perturbed evaluation
            raise FloatingPointError("boom")
        return Cube.apply(a)

    with pytest.raises(FloatingPointError):
        gradcheck(fragile, x, fast_mode=fast_mode)
    np.testing.assert_array_equal(x.data, before)


# -- property: correct passes, wrong fails, in both modes ------------------------------------

@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       fast_mode=st.booleans(), seed=st.integers(0, 1000))
def test_any_shape(shape, fast_mode, seed):
    x = random_leaf(tuple(shape), seed=seed)
    assert gradcheck(lambda a: (Cube.apply(a) * 0.2).tanh(), x, fast_mode=fast_mode)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: (WrongCube.apply(a) * 0.2).tanh(), x, fast_mode=fast_mode)
