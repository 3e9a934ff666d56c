"""The GAN value function and losses: equal to their binary cross-entropy formulations and to
the textbook formulas, stable at extreme logits, differentiable twice, equal to PyTorch's, and
the saturation of the minimax generator loss measured on a real network."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan
import minigan.functional as F
import minigan.gan as gan
import minigan.optim as optim
from minigan import gradcheck, gradgradcheck
from minigan.data import gaussian_1d

SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6)
# the `device` fixture only names a device: sharing it between examples is safe
SHARED_FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def logit_batches(draw, scale=8.0):
    """Two batches of logits (real, fake) of independent shapes, values in [-scale, scale]."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (rng.uniform(-scale, scale, draw(SHAPES)), rng.uniform(-scale, scale, draw(SHAPES)))


def _logits(values, device="cpu", dtype=np.float64, requires_grad=False):
    return minigan.tensor(np.asarray(values), dtype=dtype, device=device,
                          requires_grad=requires_grad)


def _bce(logits, label):
    target = minigan.ones_like(logits) if label == 1 else minigan.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def _log_sigmoid(x):  # the textbook formula, for moderate logits
    return np.log(1 / (1 + np.exp(-x)))


# -- the losses against their formulations -----------------------------------------------------

@given(logit_batches())
def test_value_function_is_the_mean_of_log_d_plus_the_mean_of_log_one_minus_d(batches):
    real, fake = batches
    v = gan.value_function(_logits(real), _logits(fake))
    expected = _log_sigmoid(real).mean() + _log_sigmoid(-fake).mean()
    np.testing.assert_allclose(v.item(), expected, rtol=1e-12)
    assert v.item() <= 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@SHARED_FIXTURES
@given(batches=logit_batches(scale=40.0))
def test_losses_equal_their_bce_with_logits_formulations(device, dtype, batches):
    real, fake = (_logits(b, device, dtype) for b in batches)
    # The BCE kernel writes a loss for label 0 as l + softplus(-l), which cancels to within a
    # rounding error of |l| where the loss itself is tiny; logsigmoid(-l) does not cancel.
    tol = dict(rtol=1e-5 if dtype == np.float32 else 1e-12, atol=4 * np.finfo(dtype).eps * 40)
    pairs = [
        (gan.discriminator_loss(real, fake), _bce(real, 1) + _bce(fake, 0)),
        (gan.value_function(real, fake), -(_bce(real, 1) + _bce(fake, 0))),
        (gan.generator_loss(fake, "non_saturating"), _bce(fake, 1)),
        (gan.generator_loss(fake, "saturating"), -_bce(fake, 0)),
    ]
    for ours, bce in pairs:
        assert ours.dtype == dtype and ours.device == device and ours.shape == ()
        np.testing.assert_allclose(ours.item(), bce.item(), **tol)


def test_named_losses_are_the_module_functions():
    fake = _logits([-3.0, 0.5, 2.0])
    for name, fn in gan.GENERATOR_LOSSES.items():
        assert gan.generator_loss(fake, name).item() == fn(fake).item()
    assert gan.generator_loss(fake).item() == gan.non_saturating_generator_loss(fake).item()
    assert gan.saturating_generator_loss(fake).item() != \
        gan.non_saturating_generator_loss(fake).item()


def test_value_at_an_undecided_discriminator_is_minus_log_4():
    zeros = _logits(np.zeros(5))  # D = 1/2 everywhere
    np.testing.assert_allclose(gan.value_function(zeros, zeros[:3]).item(), -np.log(4),
                               rtol=1e-15)


# -- gradients --------------------------------------------------------------------------------

@given(fake=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-30, 30)))
def test_gradients_with_respect_to_the_logits(fake):
    """saturating: dL/dl = -D / N; non-saturating: dL/dl = -(1 - D) / N, D = sigmoid(l)."""
    d, one_minus_d = 1 / (1 + np.exp(-fake)), 1 / (1 + np.exp(fake))
    expected = {"saturating": -d / fake.size, "non_saturating": -one_minus_d / fake.size}
    for name, want in expected.items():
        logits = _logits(fake, requires_grad=True)
        (g,) = minigan.grad(gan.generator_loss(logits, name), [logits])
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-12, atol=1e-300)


@given(logit_batches(scale=5.0))
def test_losses_pass_gradcheck_and_gradgradcheck(batches):
    real, fake = (_logits(b, requires_grad=True) for b in batches)
    for fn in (gan.value_function, gan.discriminator_loss):
        gradcheck(fn, (real, fake))
        gradgradcheck(fn, (real, fake))
    for name in gan.GENERATOR_LOSSES:
        gradcheck(lambda f, name=name: gan.generator_loss(f, name), fake)
        gradgradcheck(lambda f, name=name: gan.generator_loss(f, name), fake)


def test_extreme_logits_give_finite_losses_and_gradients():
    """Where sigmoid rounds to exactly 0 or 1 in float32, log D computed from probabilities
    is -inf; from the logits it is the exact -|l|."""
    extreme = np.array([-1e4, -200.0, 200.0, 1e4], dtype=np.float32)
    with np.errstate(divide="ignore", over="ignore"):
        naive = np.log(1 / (1 + np.exp(-extreme.astype(np.float32))))
    assert np.isinf(naive).any()  # what the logits protect from
    real = _logits(extreme, dtype=np.float32, requires_grad=True)
    fake = _logits(extreme, dtype=np.float32, requires_grad=True)
    losses = [gan.discriminator_loss(real, fake)] + \
        [gan.generator_loss(fake, name) for name in gan.GENERATOR_LOSSES]
    for loss in losses:
        grads = minigan.grad(loss, [real, fake], allow_unused=True)
        assert np.isfinite(loss.item())
        assert all(np.isfinite(g.numpy()).all() for g in grads if g is not None)
    # -V = mean softplus(-l_real) + mean softplus(l_fake) = 2 * (1e4 + 200) / 4
    np.testing.assert_allclose(losses[0].item(), 5100.0, rtol=1e-6)


# -- PyTorch as the oracle ---------------------------------------------------------------------

def test_losses_and_gradients_equal_pytorch(torch, rng):
    tf = torch.nn.functional
    real, fake = rng.uniform(-20, 20, 7), rng.uniform(-20, 20, 5)
    t_real, t_fake = (torch.tensor(a, requires_grad=True) for a in (real, fake))
    ones, zeros = torch.ones(5), torch.zeros(5)
    references = {
        "discriminator": tf.binary_cross_entropy_with_logits(t_real, torch.ones(7))
        + tf.binary_cross_entropy_with_logits(t_fake, zeros),
        "non_saturating": tf.binary_cross_entropy_with_logits(t_fake, ones),
        "saturating": -tf.binary_cross_entropy_with_logits(t_fake, zeros),
    }
    for name, reference in references.items():
        m_real, m_fake = _logits(real, requires_grad=True), _logits(fake, requires_grad=True)
        ours = gan.discriminator_loss(m_real, m_fake) if name == "discriminator" \
            else gan.generator_loss(m_fake, name)
        ours.backward()
        t_real.grad = t_fake.grad = None
        reference.backward()
        np.testing.assert_allclose(ours.item(), reference.item(), rtol=1e-12)
        # PyTorch computes 1 - D as sigmoid(l) - 1, which loses digits where D is near 1
        tol = dict(rtol=1e-10, atol=1e-16)
        np.testing.assert_allclose(m_fake.grad.numpy(), t_fake.grad.numpy(), **tol)
        if name == "discriminator":
            np.testing.assert_allclose(m_real.grad.numpy(), t_real.grad.numpy(), **tol)


# -- argument checks ---------------------------------------------------------------------------

def test_unknown_generator_loss_names_the_known_ones():
    with pytest.raises(ValueError, match="'non_saturating', 'saturating'") as info:
        gan.generator_loss(_logits([0.0]), "wasserstein")
    assert "'wasserstein'" in str(info.value)
    with pytest.raises(ValueError, match="unknown generator loss"):
        gan.generator_loss(_logits([0.0]), ["saturating"])


@pytest.mark.parametrize("bad, error, words", [
    ([0.0, 1.0], TypeError, "must be a Tensor of logits, got list"),
    (minigan.tensor([0, 1]), TypeError, "must be floating point .*, got int64"),
    (minigan.zeros(0), ValueError, "empty"),
])
def test_bad_logits_are_named(bad, error, words):
    with pytest.raises(error, match=words):
        gan.value_function(_logits([0.0]), bad)
    with pytest.raises(error, match="fake_logits"):
        gan.generator_loss(bad, "saturating")


# -- the saturation argument, measured ---------------------------------------------------------

def _generator_gradient_norm(G, D, z, loss):
    G.zero_grad()
    with gan.frozen(D):
        gan.generator_loss(D(G(z)), loss).backward()
    return gan.grad_norm(G)


def test_saturating_loss_gives_the_generator_almost_no_gradient_once_d_is_confident():
    """Early in training D rejects G's samples easily: D(G(z)) near 0. The saturating loss
    then scales G's gradient by D(G(z)), the non-saturating one by 1 - D(G(z))."""
    G = gan.MLPGenerator(1, 1, hidden=(16, 16), generator=minigan.Generator(0))
    D = gan.MLPDiscriminator(1, hidden=(16, 16), generator=minigan.Generator(1))
    data, rng = gaussian_1d(4.0, 0.5), minigan.Generator(2)  # G(z) starts near 0, far away
    z = gan.sample_noise(256, 1, generator=rng)

    def ratio():
        norms = {name: _generator_gradient_norm(G, D, z, name) for name in gan.GENERATOR_LOSSES}
        return norms["saturating"] / norms["non_saturating"]

    assert 0.2 < ratio() < 5  # an undecided D: both losses push G about equally
    opt_D = optim.Adam(D.parameters(), lr=1e-2)
    for _ in range(150):  # train D alone against the fixed G
        with minigan.no_grad():
            fake = G(gan.sample_noise(256, 1, generator=rng))
        loss = gan.discriminator_loss(D(data.sample(256, generator=rng)), D(fake))
        opt_D.zero_grad()
        loss.backward()
        opt_D.step()
    with minigan.no_grad():
        d_fake = D(G(z)).sigmoid().mean().item()
    assert d_fake < 0.01
    assert ratio() < 1e-2  # orders of magnitude less signal for the same G
