"""In-place writes and the version counter: a tensor changed between a forward and its backward
(an optimizer step, ``copy_``, an assignment to ``.data``...) makes backward raise
InplaceModificationError naming it, instead of giving a silently wrong gradient; the right
orderings still work, views share the count, and second derivatives are untouched."""

import numpy as np
import pytest
from test_gradcheck import Cube  # y = x^3, written as a learner would

import minigan
import minigan.functional as F
from minigan import InplaceModificationError, nn, optim, tensor
from minigan.autograd.function import Function
from minigan.gan import train_step


def players(seed=0):
    gen = minigan.Generator(seed)
    G = nn.Sequential(nn.Linear(2, 8, generator=gen), nn.ReLU(), nn.Linear(8, 3, generator=gen))
    D = nn.Sequential(nn.Linear(3, 8, generator=gen), nn.LeakyReLU(0.2),
                      nn.Linear(8, 1, generator=gen))
    return G, D


def batches(seed=1):
    gen = minigan.Generator(seed)
    return minigan.randn(16, 3, generator=gen), minigan.randn(16, 2, generator=gen)


def bce(logits, value):
    return F.binary_cross_entropy_with_logits(logits, minigan.ones_like(logits) * value)


def d_loss_of(G, D, real, z):
    return bce(D(real), 1.0) + bce(D(G(z).detach()), 0.0)


# -- the GAN ordering bug of the issue -------------------------------------------------------
def test_the_g_loss_computed_before_d_step_raises_naming_the_tensor():
    G, D = players()
    real, z = batches()
    opt_D = optim.Adam(D.parameters(), lr=1e-2)
    g_loss = bce(D(G(z)), 1.0)  # computed too early: D is about to change
    d_loss_of(G, D, real, z).backward()
    opt_D.step()
    with pytest.raises(InplaceModificationError) as caught:
        g_loss.backward()
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    # the first node backward reaches: D's last layer (one Affine node), whose weight, its
    # argument 1, has had one step
    assert "Affine.backward needs its argument 1, a tensor of shape (1, 8) and dtype float32" \
        in message
    # nn.init wrote it once (version 1), the step once more
    assert "modified by an in-place operation (version 2, expected 1)" in message
    assert "optimizer step between the forward and this backward" in message
    assert "compute the loss again after the step, or call backward before the step" in message


def test_the_right_orderings_give_the_gradient_of_a_fresh_graph():
    G, D = players()
    real, z = batches()
    opt_D = optim.Adam(D.parameters(), lr=1e-2)
    d_loss_of(G, D, real, z).backward()
    opt_D.step()
    bce(D(G(z)), 1.0).backward()  # the fix: G's loss computed again, after D's step
    after_step = [p.grad.numpy().copy() for p in G.parameters()]

    G2, D2 = players()
    for p, q in zip(D2.parameters(), D.parameters()):  # D2 = D after its step, G2 = G
        with minigan.no_grad():
            p.copy_(q)
    bce(D2(G2(z)), 1.0).backward()
    for ours, fresh in zip(after_step, (p.grad.numpy() for p in G2.parameters())):
        np.testing.assert_array_equal(ours, fresh)

    # the other fix: both backwards before D's step
    G, D = players()
    opt_D = optim.Adam(D.parameters(), lr=1e-2)
    g_loss = bce(D(G(z)), 1.0)
    d_loss_of(G, D, real, z).backward()
    g_loss.backward()
    opt_D.step()


def test_minigan_train_step_orders_its_updates_correctly():
    G, D = players()
    real, z = batches()
    opts = [optim.Adam(p.parameters(), lr=1e-3) for p in (G, D)]
    for _ in range(3):
        train_step(G, D, *opts, lambda: real, lambda: z)


# -- every kind of in-place write is counted --------------------------------------------------
def product():
    w = tensor([1.0, -2.0, 3.0], requires_grad=True)
    x = tensor([0.5, 0.25, 2.0], requires_grad=True)
    return w, x, (w * x).sum()


@pytest.mark.parametrize("write", [
    lambda w: w.copy_(np.zeros(3, np.float32)),
    lambda w: w.fill_(7.0),
    lambda w: w.zero_(),
    lambda w: w.add_(1.0),
    lambda w: w.mul_(2.0),
    lambda w: minigan.nn.init.normal_(w),
    lambda w: optim.SGD([w], lr=0.1).step(),
], ids=["copy_", "fill_", "zero_", "add_", "mul_", "nn.init", "optimizer step"])
def test_an_in_place_write_between_forward_and_backward_raises(write):
    w, x, loss = product()
    w.grad = minigan.ones_like(w)  # for the optimizer
    with minigan.no_grad():
        write(w)
    assert w._version == 1
    with pytest.raises(InplaceModificationError,
                       match=r"Mul.backward needs its argument 0, a tensor of shape \(3,\) "
                             r"and dtype float32.*\(version 1, expected 0\)"):
        loss.backward()


@pytest.mark.parametrize("assign", ["replace", "augmented"])
def test_assigning_to_data_counts_as_a_write(assign):
    w, x, loss = product()
    if assign == "replace":
        w.data = w.data * 2
    else:
        w.data -= 0.1 * np.ones(3, np.float32)  # Python assigns the result back to w.data
    assert w._version == 1
    with pytest.raises(InplaceModificationError, match=r"\(version 1, expected 0\)"):
        loss.backward()
    with pytest.raises(TypeError, match="Tensor.data must be a NumPy or CuPy array, got list"):
        w.data = [1.0, 2.0, 3.0]


def test_load_state_dict_between_forward_and_backward_raises():
    model = nn.Linear(3, 2, generator=minigan.Generator(0))
    loss = model(tensor(np.ones((4, 3), np.float32))).sum()
    model.load_state_dict(nn.Linear(3, 2, generator=minigan.Generator(1)).state_dict())
    with pytest.raises(InplaceModificationError, match=r"\(version 2, expected 1\)"):
        loss.backward()


def test_a_write_before_the_forward_or_after_the_backward_is_fine():
    w, x, _ = product()
    with minigan.no_grad():
        w.add_(1.0)
    loss = (w * x).sum()  # forward sees version 1
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -1.0, 4.0])
    with minigan.no_grad():
        w.add_(1.0)  # after the backward: nothing left to check


def test_in_place_methods_refuse_a_tensor_that_requires_grad_outside_no_grad():
    w = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: in-place operations are not recorded by "
                                           r"autograd.*minigan.no_grad\(\)"):
        w.add_(1.0)
    assert w._version == 0
    plain = tensor([1.0, 2.0])
    plain.add_(tensor([1.0, 1.0]), alpha=2).mul_(3.0)
    np.testing.assert_array_equal(plain.numpy(), [9.0, 12.0])
    assert plain._version == 2 and plain.zero_().fill_(4.0)._version == 4
    with pytest.raises(ValueError, match=r"copy_: values of shape \(3,\) cannot be broadcast to "
                                         r"the tensor's shape \(2,\)"):
        plain.copy_(np.zeros(3))


def test_a_changed_output_is_caught_too():
    x = tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # Exp's backward reads its output
    with minigan.no_grad():
        y.mul_(10.0)
    with pytest.raises(InplaceModificationError, match="Exp.backward needs its output"):
        y.backward(minigan.ones_like(y))


def test_views_share_the_count_with_what_they_view():
    w = tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    views = [w.T, w.reshape(3, 2), w[0], w.detach()]
    copy = w * 1.0
    with minigan.no_grad():
        w.add_(1.0)
    assert [v._version for v in views] == [1, 1, 1, 1] and copy._version == 0
    with minigan.no_grad():
        views[-1].add_(1.0)  # a write through the detached view is a write to w
    assert w._version == 2

    # the case that needs it: a weight used through its transpose, then stepped
    x = tensor(np.ones((4, 2), np.float32))
    w = tensor(np.ones((3, 2), np.float32), requires_grad=True)
    loss = (x @ w.T).sum()  # MatMul keeps w.T, a view of w
    w.grad = minigan.ones_like(w)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(InplaceModificationError, match=r"MatMul.backward needs its argument 1, a "
                                                       r"tensor of shape \(2, 3\)"):
        loss.backward()


def test_numpy_of_a_tensor_that_requires_grad_is_read_only():
    w, _, loss = product()
    with pytest.raises(ValueError, match="read-only"):
        w.numpy()[0] = 5.0  # would change what the graph computed with, unseen
    loss.backward()  # nothing was written
    np.testing.assert_array_equal(w.data, [1.0, -2.0, 3.0])
    assert tensor([1.0]).numpy().flags.writeable


# -- what must keep working -------------------------------------------------------------------
def test_second_derivatives_and_retained_graphs():
    x = tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (g,) = minigan.grad((x ** 3).sum(), x, create_graph=True)
    (g * g).sum().backward()  # d/dx sum (3x^2)^2 = 36 x^3
    np.testing.assert_allclose(x.grad.numpy(), 36 * np.array([1.0, 8.0]))

    w, x, loss = product()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)  # nothing written: a second pass is fine
    with minigan.no_grad():
        w.add_(1.0)
    with pytest.raises(InplaceModificationError):
        loss.backward()


def test_a_learner_defined_function_is_checked_too():
    x = tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    with minigan.no_grad():
        x.fill_(1.0)  # backward would give 3 instead of 12
    with pytest.raises(InplaceModificationError, match="Cube.backward needs its argument 0"):
        y.backward()


def test_without_any_write_backward_compares_no_versions(monkeypatch):
    """The check's cost on the hot path: one comparison of a global count per node."""
    def fail(self):
        raise AssertionError("versions compared although nothing was written")

    monkeypatch.setattr(Function, "_check_versions", fail)
    G, D = players()
    real, z = batches()
    d_loss_of(G, D, real, z).backward()
    optim.Adam(D.parameters()).step()
    bce(D(G(z)), 1.0).backward()  # built after the step: no comparison needed
