"""The autograd engine: the graph an operation records, backward and its accumulation into
``.grad``, ``minigan.grad`` with higher derivatives, grad modes, and user-defined Functions.

PyTorch, where installed, is the oracle for the less obvious results (accumulation, retained
gradients, a WGAN-GP gradient penalty); the simple ones are checked against formulas.
"""

import sys
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigan
import minigan.functional as F
from minigan import Function, GraphFreedError, tensor


def leaf(values, dtype=np.float64):
    return tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def close(t, expected):
    np.testing.assert_allclose(t.detach().numpy(), expected, rtol=1e-10, atol=1e-12)


# -- the graph ------------------------------------------------------------------------------

class Scale(Function):
    """y = x * factor, factor a Python number: one Tensor argument and one that is not."""

    @staticmethod
    def forward(ctx, x, factor):
        return x * factor

    @staticmethod
    def backward(ctx, g):
        _, factor = ctx.inputs
        return g * factor, None


def test_an_operation_records_its_node_and_inputs():
    x, w = leaf([1.0, 2.0]), tensor([3.0, 4.0])
    y = x * w
    z = Scale.apply(y, 2.0)
    assert x.is_leaf and x.grad_fn is None
    assert isinstance(z.grad_fn, Scale) and isinstance(z.grad_fn, Function)
    assert z.grad_fn.inputs[0] is y and z.grad_fn.inputs[1] == 2.0
    assert z.grad_fn.needs_input_grad == (True, False)
    assert y.grad_fn.inputs[0] is x and y.grad_fn.inputs[1] is w
    assert y.grad_fn.needs_input_grad == (True, False)
    assert z.requires_grad and not z.is_leaf


def test_operations_on_constants_record_nothing():
    y = Scale.apply(tensor([1.0]), 2.0) + tensor([1.0])
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


# -- backward -------------------------------------------------------------------------------

def test_backward_of_a_scalar():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    close(x.grad, 2 * x.data)
    assert x.grad.dtype == np.float64 and not x.grad.requires_grad


def test_backward_on_a_leaf_itself():
    x = leaf(2.0)
    x.backward()
    close(x.grad, 1.0)


def test_backward_with_a_gradient_on_a_non_scalar():
    x = leaf([1.0, 2.0])
    (x * x).backward(tensor([1.0, 10.0], dtype=np.float64))
    close(x.grad, [2.0, 40.0])
    x.grad = None
    (x * x).backward([1.0, 10.0])  # a list or array is taken as the gradient too
    close(x.grad, [2.0, 40.0])


def test_gradients_accumulate_across_backward_calls(torch):
    values = [0.5, -1.5, 2.0]
    x, tx = leaf(values), torch.tensor(values, requires_grad=True)
    for _ in range(3):
        (x.tanh() * x).sum().backward()
        (tx.tanh() * tx).sum().backward()
    close(x.grad, tx.grad.numpy())
    once = leaf(values)
    (once.tanh() * once).sum().backward()
    close(x.grad, 3 * once.grad.numpy())
    x.grad = None  # how a step starts afresh
    (x * 1.0).sum().backward()
    close(x.grad, np.ones(3))


def test_a_diamond_sums_both_paths(torch):
    def f(x):
        a = x * 2
        b = a * 3
        return (a * b + a + x * x).sum()  # x reaches the loss along four paths

    x, tx = leaf([1.0, -2.0]), torch.tensor([1.0, -2.0], requires_grad=True)
    f(x).backward()
    f(tx).backward()
    close(x.grad, tx.grad.numpy())
    close(x.grad, 24 * x.data + 2 + 2 * x.data)  # the loss is 12x^2 + 2x + x^2, summed


def test_leaves_that_do_not_require_grad_get_no_gradient():
    x, c = leaf([1.0, 2.0]), tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_backward_of_a_non_scalar_without_a_gradient_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*implicit only for a scalar"):
        (x * 2).backward()


def test_backward_of_a_tensor_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tensor([1.0]) * 2).sum().backward()
    x = leaf([1.0])
    with minigan.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad.*no_grad"):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape_is_an_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"gradient for output 0 has shape \(3,\).*shape \(2,\)"):
        (x * 2).backward(tensor([1.0, 1.0, 1.0]))


def test_a_gradient_gets_the_dtype_of_its_tensor(torch):
    # float32 x times float64 data is float64; x.grad must still be float32, as in PyTorch.
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * np.array([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float32
    close(x.grad, [3.0, 4.0])
    x.grad = None
    (x * 2).backward(tensor([1.0, 1.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    tx = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    (tx * torch.tensor([3.0, 4.0], dtype=torch.float64)).sum().backward()
    assert tx.grad.dtype == torch.float32


def test_a_second_backward_through_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match=r"second time.*retain_graph=True"):
        y.backward()
    assert issubclass(GraphFreedError, RuntimeError)


def test_a_shared_subgraph_is_freed_by_the_first_backward():
    x = leaf([1.0, 2.0])
    h = x.exp()
    (h * 2).sum().backward()
    with pytest.raises(GraphFreedError):
        (h * 3).sum().backward()


def test_each_intermediate_gradient_is_freed_once_used():
    """Memory stays flat during backward: no gradient outlives the node that consumed it."""
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            seen.append([r() is not None for r in seen_refs])
            seen_refs.append(weakref.ref(g))
            return g * 1.0

    seen_refs = []
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(3):
        y = Probe.apply(y) * 2.0
    y.sum().backward()
    assert seen == [[], [False], [False, False]]


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 4 * x.data)


def test_retain_grad_keeps_the_gradient_of_a_non_leaf(torch):
    def f(x):
        h = x * 3
        h.retain_grad()
        return h, (h * h.tanh()).sum()

    x, tx = leaf([0.5, -1.0]), torch.tensor([0.5, -1.0], requires_grad=True)
    h, y = f(x)
    th, ty = f(tx)
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    close(h.grad, th.grad.numpy())
    y.backward()
    ty.backward()
    close(h.grad, th.grad.numpy())  # accumulated, like a leaf's
    close(x.grad, tx.grad.numpy())


def test_without_retain_grad_a_non_leaf_keeps_no_gradient():
    x = leaf([1.0])
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None
    x.retain_grad()  # a no-op on a leaf, which keeps its gradient anyway
    assert x.grad is not None


def test_backward_with_create_graph_gives_a_differentiable_grad():
    x = leaf([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    close(x.grad, 3 * x.data ** 2)
    (g2,) = minigan.grad(x.grad.sum(), x)
    close(g2, 6 * x.data)


# -- minigan.grad ---------------------------------------------------------------------------

def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 5.0])
    w.grad = tensor([7.0, 7.0], dtype=np.float64)
    gx, gw = minigan.grad((x * w).sum(), [x, w])
    close(gx, w.data)
    close(gw, x.data)
    assert x.grad is None
    close(w.grad, [7.0, 7.0])
    assert not gx.requires_grad  # no create_graph: plain values


def test_grad_of_a_single_input_is_a_one_tuple():
    x = leaf(3.0)
    result = minigan.grad(x * x, x)
    assert isinstance(result, tuple) and len(result) == 1
    close(result[0], 6.0)


def test_grad_with_grad_outputs_and_several_outputs():
    x = leaf([1.0, 2.0])
    y1, y2 = x * x, x * 3
    (g,) = minigan.grad([y1, y2], x, [tensor([1.0, 2.0], dtype=np.float64),
                                      tensor([10.0, 10.0], dtype=np.float64)])
    close(g, 2 * x.data * [1.0, 2.0] + 30.0)


def test_grad_of_an_unused_input():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="input 1 was not used.*allow_unused=True"):
        minigan.grad((x * 2).sum(), [x, unused])
    gx, gu = minigan.grad((x * 2).sum(), [x, unused], allow_unused=True)
    close(gx, [2.0])
    assert gu is None


@pytest.mark.parametrize("bad", [tensor([1.0]), np.ones(1), 1.0])
def test_grad_inputs_must_require_grad(bad):
    x = leaf([1.0])
    with pytest.raises(ValueError, match="input 1 must be a Tensor with requires_grad=True"):
        minigan.grad((x * 2).sum(), [x, bad])


def test_grad_checks_its_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad\\(\\): output 0 has shape"):
        minigan.grad(x * 2, x)
    with pytest.raises(ValueError, match="2 outputs but 1 gradients"):
        minigan.grad([x.sum(), x.sum()], x, [tensor(1.0)])
    with pytest.raises(TypeError, match="output 0 must be a Tensor"):
        minigan.grad(np.ones(1), x)


def test_grad_with_respect_to_non_leaf_tensors():
    x = leaf([1.0, 2.0])
    h = x * 3
    out = (h * h).sum()
    gh, gx = minigan.grad(out, [h, x], retain_graph=True)
    close(gh, 2 * h.data)
    close(gx, 18 * x.data)
    (gh_alone,) = minigan.grad(out, h)
    close(gh_alone, 2 * h.data)


def test_grad_with_respect_to_the_output_itself():
    x = leaf([1.0, 2.0])
    y = x * 2
    (g,) = minigan.grad(y, y, tensor([3.0, 4.0], dtype=np.float64))
    close(g, [3.0, 4.0])


def test_grad_runs_only_the_nodes_that_lead_to_its_inputs():
    ran = []

    class Marked(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            ran.append(ctx)
            return g * 1.0

    x, w = leaf([1.0]), leaf([2.0])
    on_path, off_path = Marked.apply(x), Marked.apply(w)
    minigan.grad((on_path * off_path).sum(), x)
    assert ran == [on_path.grad_fn]


def test_grad_frees_the_graph_unless_told_to_keep_it():
    x = leaf([1.0, 2.0])
    y = (x.exp()).sum()
    minigan.grad(y, x, retain_graph=True)
    minigan.grad(y, x)
    with pytest.raises(GraphFreedError):
        minigan.grad(y, x)


def test_second_and_third_derivatives_of_a_cube():
    x = leaf([3.0, -1.0])
    (g1,) = minigan.grad((x ** 3).sum(), x, create_graph=True)
    assert g1.requires_grad and g1.grad_fn is not None
    close(g1, 3 * x.data ** 2)
    (g2,) = minigan.grad(g1.sum(), x, create_graph=True)
    close(g2, 6 * x.data)
    (g3,) = minigan.grad(g2.sum(), x)
    close(g3, [6.0, 6.0])


def test_hessian_vector_product(torch):
    a = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.1]])
    x0, v0 = np.array([0.4, -0.7, 1.2]), np.array([1.0, 2.0, -0.5])

    def f(x, A):
        return ((A @ x).tanh() ** 2).sum() + (x ** 3).sum()

    x = leaf(x0)
    (g,) = minigan.grad(f(x, tensor(a)), x, create_graph=True)
    (hv,) = minigan.grad((g * tensor(v0)).sum(), x)

    tx = torch.tensor(x0, requires_grad=True)
    (tg,) = torch.autograd.grad(f(tx, torch.tensor(a)), tx, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v0)).sum(), tx)
    close(hv, thv.numpy())


def test_wgan_gp_gradient_penalty_matches_pytorch(torch):
    """lambda * (||dD/dx (x_hat)|| - 1)^2 averaged over the batch, differentiated with respect
    to D's parameters: a gradient of a gradient, as in WGAN-GP."""
    rng = np.random.default_rng(1)
    values = {"W1": rng.normal(size=(3, 8)), "b1": rng.normal(size=8),
              "w2": rng.normal(size=(8, 1)), "x_hat": rng.normal(size=(5, 3))}

    def penalty(lib_grad, p, sqrt):
        out = ((p["x_hat"] @ p["W1"] + p["b1"]).tanh() @ p["w2"]).sum()
        (g,) = lib_grad(out, p["x_hat"], create_graph=True)
        norm = sqrt((g * g).sum(1))
        return 10.0 * ((norm - 1) ** 2).mean()

    params = {k: leaf(v) for k, v in values.items()}
    penalty(minigan.grad, params, F.sqrt).backward()
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    penalty(torch.autograd.grad, tparams, torch.sqrt).backward()
    for k in values:
        close(params[k].grad, tparams[k].grad.numpy())


# -- grad modes -----------------------------------------------------------------------------

def test_no_grad_records_nothing_and_restores():
    x = leaf([1.0])
    with minigan.no_grad():
        assert not minigan.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert minigan.is_grad_enabled()
    assert (x * 2).requires_grad


def test_grad_modes_nest_and_restore_after_exceptions():
    with minigan.no_grad():
        with minigan.enable_grad():
            assert minigan.is_grad_enabled()
            assert (leaf([1.0]) * 2).requires_grad
        assert not minigan.is_grad_enabled()
        with pytest.raises(KeyError):
            with minigan.enable_grad():
                raise KeyError
        assert not minigan.is_grad_enabled()
    with pytest.raises(KeyError):
        with minigan.set_grad_enabled(False):
            raise KeyError
    assert minigan.is_grad_enabled()


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_a_context_manager(mode):
    with minigan.no_grad():
        with minigan.set_grad_enabled(mode):
            assert minigan.is_grad_enabled() is mode
            assert (leaf([1.0]) * 2).requires_grad is mode
        assert not minigan.is_grad_enabled()


def test_set_grad_enabled_called_on_its_own_switches_the_mode_like_pytorch():
    try:
        minigan.set_grad_enabled(False)
        assert not minigan.is_grad_enabled()
        assert not (leaf([1.0]) * 2).requires_grad
        minigan.set_grad_enabled(True)
        assert (leaf([1.0]) * 2).requires_grad
    finally:
        minigan.set_grad_enabled(True)


def test_one_grad_mode_object_can_be_entered_inside_itself():
    off = minigan.no_grad()
    with off:
        with off:
            assert not minigan.is_grad_enabled()
        assert not minigan.is_grad_enabled()
    assert minigan.is_grad_enabled()


def test_grad_modes_as_decorators():
    @minigan.no_grad()
    def sample(x):
        """Draw without a graph."""
        return x * 2

    @minigan.enable_grad()
    def train(x):
        return x * 2

    @minigan.set_grad_enabled(False)
    def fails():
        raise ValueError

    x = leaf([1.0])
    assert not sample(x).requires_grad
    assert sample.__name__ == "sample" and sample.__doc__ == "Draw without a graph."
    assert minigan.is_grad_enabled()
    with minigan.no_grad():
        assert train(x).requires_grad
        assert not minigan.is_grad_enabled()
    with pytest.raises(ValueError):
        fails()
    assert minigan.is_grad_enabled()


def test_backward_without_create_graph_records_no_graph():
    seen = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append(minigan.is_grad_enabled())
            return g * 2

    x = leaf([1.0])
    Spy.apply(x).sum().backward()
    minigan.grad(Spy.apply(x).sum(), x, create_graph=True)
    assert seen == [False, True]
    assert minigan.is_grad_enabled()


# -- depth ----------------------------------------------------------------------------------

@pytest.mark.parametrize("create_graph", [False, True])
def test_a_deep_chain_does_not_hit_the_recursion_limit(create_graph):
    depth = max(5000, 2 * sys.getrecursionlimit())
    x = leaf(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + x * 0.0
    (g,) = minigan.grad(y, x, create_graph=create_graph)
    close(g, 1.0001 ** depth)


def test_a_wide_fan_in_sums_every_path():
    x = leaf(2.0)
    y = x
    for _ in range(3000):
        y = y + x
    y.backward()
    close(x.grad, 3001.0)


# -- user-defined Functions -----------------------------------------------------------------

class Cube(Function):
    """y = x^3 with dy/dx = 3 x^2, written with Tensor operations (so twice differentiable)."""

    calls = []

    @staticmethod
    def forward(ctx, x):
        Cube.calls.append(("forward", type(x)))
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        Cube.calls.append(("backward", type(g)))
        (x,) = ctx.inputs
        return g * 3 * x ** 2


def test_a_user_function_gets_arrays_forward_and_tensors_backward():
    Cube.calls.clear()
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    assert isinstance(y, minigan.Tensor) and isinstance(y.grad_fn, Cube)
    y.sum().backward()
    assert Cube.calls == [("forward", np.ndarray), ("backward", minigan.Tensor)]
    close(x.grad, 3 * x.data ** 2)
    (g,) = minigan.grad(Cube.apply(x).sum(), x, create_graph=True)
    (g2,) = minigan.grad(g.sum(), x)
    close(g2, 6 * x.data)


def test_saved_tensors_are_constants_and_output_is_attached():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = np.exp(x)
            ctx.save_for_backward(y, None)
            return y

        @staticmethod
        def backward(ctx, g):
            saved, nothing = ctx.saved_tensors
            assert nothing is None
            assert not saved.requires_grad and saved.grad_fn is None
            assert ctx.output.grad_fn is ctx
            return g * ctx.output

    x = leaf([0.5, 1.0])
    (g,) = minigan.grad(Exp.apply(x).sum(), x, create_graph=True)
    close(g, np.exp(x.data))
    (g2,) = minigan.grad(g.sum(), x)  # through ctx.output: d/dx e^x = e^x again
    close(g2, np.exp(x.data))


def test_gradients_for_inputs_that_need_none_are_ignored():
    class MulBoth(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.inputs
            assert ctx.needs_input_grad == (True, False)
            return g * b, "ignored: b needs no gradient"

    a, b = leaf([2.0]), tensor([5.0], dtype=np.float64)
    MulBoth.apply(a, b).sum().backward()
    close(a.grad, [5.0])


def _broken(backward):
    return type("Broken", (Function,), {"forward": staticmethod(lambda ctx, x, y: x * y),
                                        "backward": staticmethod(backward)})


@pytest.mark.parametrize("backward, error, message", [
    (lambda ctx, g: (g.sum(), g), ValueError,
     r"gradient Broken\.backward returned for argument 0 has shape \(\), but the tensor it is "
     r"the gradient of has shape \(2,\)"),
    (lambda ctx, g: (g.data, g), TypeError,
     r"Broken\.backward returned a ndarray for argument 0; it must return a Tensor"),
    (lambda ctx, g: g, ValueError,
     r"Broken\.backward returned 1 gradients, but forward took 2 arguments"),
    (lambda ctx, g: (g, g, g), ValueError, "returned 3 gradients, but forward took 2"),
])
def test_a_broken_backward_gives_a_clear_error(backward, error, message):
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with pytest.raises(error, match=message):
        _broken(backward).apply(x, y).sum().backward()


def test_a_backward_returning_a_gradient_on_another_device_is_an_error():
    class Elsewhere:  # an array that is not NumPy's: the backend files it under "cuda"
        shape, dtype = (2,), np.dtype(np.float64)

    moved = minigan.Tensor._from_op(Elsewhere(), None)
    broken = _broken(lambda ctx, g: (moved, None))
    with pytest.raises(minigan.DeviceError, match="argument 0 is on 'cuda'.*is on 'cpu'"):
        broken.apply(leaf([1.0, 2.0]), tensor([1.0, 1.0])).sum().backward()


def test_a_function_without_forward_says_so():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(leaf([1.0]))


# -- property: any graph of these operations matches PyTorch --------------------------------

UNARY = {"tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(), "neg": lambda t: -t,
         "square": lambda t: t * t}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}
programs = st.lists(
    st.one_of(st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 100)),
              st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 100),
                        st.integers(0, 100))),
    min_size=1, max_size=12)


def _run(program, leaves):
    """Each step applies an operation to earlier values (picked by index), so values are reused
    along many paths; the loss sums every value computed."""
    values = list(leaves)
    for op, *picks in program:
        args = [values[p % len(values)] for p in picks]
        values.append((UNARY.get(op) or BINARY[op])(*args))
    total = values[len(leaves)].sum()
    for v in values[len(leaves) + 1:]:
        total = total + v.sum()
    return total


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # torch: a module
@given(program=programs, seed=st.integers(0, 2**16))
def test_random_graphs_match_pytorch(torch, program, seed):
    rng = np.random.default_rng(seed)
    data = [rng.uniform(-1, 1, size=3) for _ in range(2)]
    leaves = [leaf(d) for d in data]
    tleaves = [torch.tensor(d, requires_grad=True) for d in data]
    _run(program, leaves).backward()
    _run(program, tleaves).backward()
    for x, tx in zip(leaves, tleaves):
        if tx.grad is None:
            assert x.grad is None
        else:
            close(x.grad, tx.grad.numpy())
