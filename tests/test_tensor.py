"""Tensor: how data becomes a tensor (dtype, device, copying), its array facts, leaves and
detaching, operators that meet NumPy arrays, the factories, and seeded random tensors."""

import operator

import numpy as np
import pytest

import minigan
from minigan import tensor

# -- dtype rules ----------------------------------------------------------------------------

@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2.5], [3, 4]], [], [1, 2.0]])
def test_python_floats_become_float32(data):
    assert tensor(data).dtype == np.float32


@pytest.mark.parametrize("data", [3, [1, 2], [[1], [2]]])
def test_python_ints_become_int64(data):
    assert tensor(data).dtype == np.int64


def test_python_bools_become_bool():
    assert tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.uint8])
def test_numpy_arrays_and_scalars_keep_their_dtype(dtype):
    assert tensor(np.zeros((2, 3), dtype=dtype)).dtype == dtype
    assert tensor(dtype(1)).dtype == dtype


@pytest.mark.parametrize("data", [1.5, [1, 2], np.zeros(2, dtype=np.float32)])
@pytest.mark.parametrize("dtype", [np.float64, "float16", np.int32])
def test_an_explicit_dtype_wins(data, dtype):
    assert tensor(data, dtype=dtype).dtype == np.dtype(dtype)


@pytest.mark.parametrize("data, error, message", [
    ("abc", TypeError, "data must be numbers"),
    (None, TypeError, "data must be numbers"),
    ([1 + 2j], TypeError, "data must be numbers"),
    ([[1.0, 2.0], [3.0]], ValueError, "rectangular nested list"),
])
def test_bad_data_is_rejected_clearly(data, error, message):
    with pytest.raises(error, match=message):
        tensor(data)


def test_a_bad_dtype_is_rejected_clearly():
    with pytest.raises(TypeError, match="dtype must be a NumPy dtype.*'banana'"):
        tensor([1.0], dtype="banana")


# -- copying and devices --------------------------------------------------------------------

def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = tensor(a)
    a[0] = 9.0
    assert t.data[0] == 1.0
    u = tensor(t)
    t.data[1] = 7.0
    assert u.data[1] == 2.0


def test_data_goes_to_the_device_asked_for(device, xp):
    t = tensor([[1.0, 2.0]], device=device)
    assert t.device == device
    assert isinstance(t.data, xp.ndarray)
    np.testing.assert_array_equal(t.detach().numpy(), [[1.0, 2.0]])


def test_an_array_stays_on_its_device_unless_told(device, xp):
    a = xp.arange(3.0)
    assert tensor(a).device == device
    assert tensor(a, device="cpu").device == "cpu"


# -- array facts ----------------------------------------------------------------------------

def test_array_facts(device):
    t = tensor(np.zeros((2, 3, 4)), device=device)
    assert t.shape == (2, 3, 4)
    assert t.dtype == np.float64
    assert t.device == device
    assert t.ndim == t.dim() == 3
    assert t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert len(t) == 2


def test_len_of_a_scalar_is_a_type_error():
    with pytest.raises(TypeError, match="0-d tensor"):
        len(tensor(1.0))


def test_item_gives_a_python_number(device):
    value = tensor([[2.5]], device=device).item()
    assert value == 2.5 and type(value) is float
    assert type(tensor(3).item()) is int
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        tensor([1.0, 2.0]).item()


def test_numpy_of_a_tensor_that_requires_grad_is_read_only():
    x = tensor([1.0, 2.0], requires_grad=True)
    values = x.numpy()
    np.testing.assert_array_equal(values, [1.0, 2.0])
    with pytest.raises(ValueError, match="read-only"):
        values[0] = 5.0  # would change what a graph computed with, unseen
    assert x.data[0] == 1.0 and x.data.flags.writeable  # the tensor itself stays writable
    x.detach().numpy()[0] = 5.0  # writable, and shared
    assert x.data[0] == 5.0


def test_numpy_shares_memory_on_the_cpu():
    t = tensor([1.0, 2.0])
    assert np.shares_memory(t.numpy(), t.data)


def test_bool_of_one_element_and_of_many():
    assert bool(tensor([3.0])) and not bool(tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tensor([1.0, 2.0]))


def test_repr_shows_values_dtype_and_graph():
    assert repr(tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tensor([1, 2])) == "tensor([1, 2], dtype=int64)"
    assert repr(tensor([1.5], dtype=np.float64, requires_grad=True)) == \
        "tensor([1.5], dtype=float64, requires_grad=True)"
    x = tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<Mul>)"


# -- leaves, requires_grad, detach, to ------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: tensor([1, 2], requires_grad=True),
    lambda: tensor([True], requires_grad=True),
    lambda: minigan.zeros(2, dtype=np.int64, requires_grad=True),
    lambda: tensor([1, 2]).requires_grad_(),
])
def test_integer_tensors_cannot_require_grad(make):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        make()


def test_requires_grad_can_be_set_on_a_leaf_only():
    x = tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf
    with pytest.raises(RuntimeError, match=r"only be set on a leaf.*detach"):
        y.requires_grad = False
    x.requires_grad = False
    assert not (x * 2).requires_grad


def test_detach_shares_data_and_is_a_constant_leaf():
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    for source in (x, y):
        d = source.detach()
        assert d.data is source.data
        assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    d = x.detach()
    d.data[0] = 5.0  # shared: the change is seen through x
    assert x.data[0] == 5.0


def test_detach_stops_the_gradient():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0])  # d(x * c)/dx = c, not 2x


def test_to_a_new_dtype_is_differentiable_and_casts_the_gradient_back(device):
    x = tensor([1.0, -2.0], requires_grad=True, device=device)
    y = x.to(dtype=np.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.device == device
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, -4.0])


def test_to_the_same_device_and_dtype_is_the_tensor_itself(device):
    x = tensor([1.0], device=device)
    assert x.to(device) is x
    assert x.to(dtype=np.float32) is x
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32


def test_to_another_device_is_differentiable(device):
    x = tensor([1.0, 3.0], requires_grad=True)
    y = x.to(device)
    assert y.device == device
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 6.0])


# -- comparisons and NumPy operands ---------------------------------------------------------

COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_give_constant_bool_tensors(op):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([2.0, 2.0, 2.0])
    x = tensor(a, requires_grad=True)
    for other, expected in ((tensor(b), op(a, b)), (2.0, op(a, 2.0)), (b, op(a, b))):
        result = op(x, other)
        assert isinstance(result, minigan.Tensor)
        assert result.dtype == np.bool_
        assert not result.requires_grad and result.is_leaf
        np.testing.assert_array_equal(result.numpy(), expected)


@pytest.mark.parametrize("op", COMPARISONS)
def test_ndarray_on_the_left_of_a_comparison_gives_a_tensor(op):
    a = np.array([1.0, 2.0, 3.0])
    x = tensor([2.0, 2.0, 2.0])
    result = op(a, x)
    assert isinstance(result, minigan.Tensor)
    np.testing.assert_array_equal(result.numpy(), op(a, x.numpy()))


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.matmul])
def test_ndarray_on_the_left_dispatches_to_the_tensor(op):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = tensor([[0.5, 1.5], [2.0, 1.0]], dtype=np.float64, requires_grad=True)
    result = op(a, x)  # not an object array of Tensors: NumPy defers to Tensor.__r*__
    assert isinstance(result, minigan.Tensor)
    assert result.dtype == np.float64 and result.requires_grad
    np.testing.assert_allclose(result.detach().numpy(), op(a, x.detach().numpy()))


def test_numpy_scalars_do_not_change_the_dtype():
    x = tensor([1.0, 2.0])
    assert (np.float64(2.0) * x).dtype == np.float32
    assert (x + np.float64(1.0)).dtype == np.float32


# -- factories ------------------------------------------------------------------------------

@pytest.mark.parametrize("factory, fill", [(minigan.zeros, 0), (minigan.ones, 1)])
def test_zeros_and_ones(factory, fill, device):
    for t in (factory(2, 3, device=device), factory((2, 3), device=device)):
        assert t.shape == (2, 3) and t.dtype == np.float32 and t.device == device
        assert t.is_leaf and not t.requires_grad
        np.testing.assert_array_equal(t.numpy(), np.full((2, 3), fill))
    t = factory(4, dtype=np.float64, device=device, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad


@pytest.mark.parametrize("factory, fill", [(minigan.zeros_like, 0), (minigan.ones_like, 1)])
def test_zeros_and_ones_like(factory, fill, device):
    x = tensor(np.full((3, 2), 7.0), device=device, requires_grad=True)
    t = factory(x)
    assert (t.shape, t.dtype, t.device) == ((3, 2), np.float64, device)
    assert not t.requires_grad and t.data is not x.data
    np.testing.assert_array_equal(t.numpy(), np.full((3, 2), fill))
    t = factory(x, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad


# -- seeded random tensors ------------------------------------------------------------------

@pytest.fixture
def default_stream():
    """Leave the default generator as it was found: other tests may draw from it."""
    state = minigan.random.default_generator.get_state()
    yield
    minigan.random.default_generator.set_state(state)


@pytest.mark.parametrize("draw", [
    lambda **kw: minigan.randn(2, 3, **kw),
    lambda **kw: minigan.rand((4,), **kw),
    lambda **kw: minigan.randint(0, 10, (5,), **kw),
])
def test_manual_seed_makes_draws_reproducible(draw, device, default_stream):
    minigan.manual_seed(123)
    first = [draw(device=device).numpy() for _ in range(2)]
    minigan.manual_seed(123)
    second = [draw(device=device).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])  # the stream moves on between draws
    minigan.manual_seed(124)
    assert not np.array_equal(draw(device=device).numpy(), first[0])


def test_random_dtypes_and_devices(device):
    assert minigan.randn(3, device=device).dtype == np.float32
    assert minigan.rand(3, dtype=np.float64, device=device).dtype == np.float64
    assert minigan.randint(0, 3, (2,), device=device).dtype == np.int64
    x = minigan.randn(3, device=device, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.device == device


def test_same_seed_same_numbers_on_every_device(device):
    cpu = minigan.randn(4, generator=minigan.Generator(5))
    here = minigan.randn(4, generator=minigan.Generator(5), device=device)
    np.testing.assert_array_equal(cpu.numpy(), here.numpy())


def test_a_generator_is_independent_of_the_default_one(default_stream):
    minigan.manual_seed(0)
    expected = minigan.randn(3).numpy()
    minigan.manual_seed(0)
    minigan.randn(5, generator=minigan.Generator(1))  # must not move the default stream
    np.testing.assert_array_equal(minigan.randn(3).numpy(), expected)


def test_generator_state_save_and_restore_continues_the_stream():
    gen = minigan.Generator(7)
    minigan.randn(10, generator=gen)
    state = gen.get_state()
    later = [minigan.randn(3, generator=gen).numpy(), minigan.rand(2, generator=gen).numpy()]
    gen.set_state(state)
    again = [minigan.randn(3, generator=gen).numpy(), minigan.rand(2, generator=gen).numpy()]
    np.testing.assert_array_equal(later[0], again[0])
    np.testing.assert_array_equal(later[1], again[1])
    resumed = minigan.Generator(0)  # a fresh generator picks the stream up from the state
    resumed.set_state(state)
    np.testing.assert_array_equal(minigan.randn(3, generator=resumed).numpy(), later[0])


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seeds_are_rejected(seed, default_stream):
    with pytest.raises(ValueError, match="manual_seed: seed must be an int >= 0, got"):
        minigan.manual_seed(seed)
