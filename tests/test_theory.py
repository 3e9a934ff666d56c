"""minigan.gan.theory: the optimal discriminator, the Jensen-Shannon divergence and C(G), checked
against the theorems they come from (docs/theory.md) and against independent computations; and a
trained MLP discriminator that converges to D*."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
import minigan.functional as F
from minigan import data, nn, optim
from minigan.gan import theory

LOG_2 = math.log(2.0)

# Pairs (p_data, p_g) on the line: overlapping or not, unequal widths and weights.
PAIRS = {
    "shifted gaussians": (data.gaussian_1d(0.0, 1.0), data.gaussian_1d(1.5, 1.0)),
    "unequal widths": (data.gaussian_1d(0.0, 0.5), data.gaussian_1d(0.3, 2.0)),
    "mixture vs gaussian": (data.mixture_1d([-2.0, 2.0], 0.5), data.gaussian_1d(0.5, 1.25)),
    "mixtures": (data.mixture_1d([-3.0, 0.0, 2.0], [0.2, 1.0, 0.4], [0.2, 0.5, 0.3]),
                 data.mixture_1d([-1.0, 2.5], [0.7, 0.3], [0.6, 0.4])),
    "far apart": (data.gaussian_1d(0.0, 0.1), data.gaussian_1d(5.0, 0.1)),
}
PAIR_IDS = sorted(PAIRS)


@st.composite
def mixtures_1d(draw):
    k = draw(st.integers(1, 3))
    means = draw(st.lists(st.floats(-3, 3), min_size=k, max_size=k))
    stds = draw(st.lists(st.floats(0.2, 1.5), min_size=k, max_size=k))
    raw = np.array(draw(st.lists(st.floats(0.1, 1.0), min_size=k, max_size=k)))
    return data.mixture_1d(means, stds, raw / raw.sum())


def _jsd_equal_widths(mu):
    """JSD(N(0, 1), N(mu, 1)) as a Gaussian expectation, by mpmath's quadrature to 30 digits.

    log q/p = mu x - mu^2/2 under p, so KL(p || m) = log 2 - E_{z~N(0,1)} softplus(mu z - mu^2/2),
    and KL(q || m) is the same by symmetry: an independent route to the same number.
    """
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(30):
        def integrand(z):
            return mpmath.npdf(z) * mpmath.log1p(mpmath.exp(mu * z - mu**2 / 2))

        # Break the line where softplus turns from 0 to linear (z = mu / 2) and at the peak.
        expectation = mpmath.quad(integrand, [-mpmath.inf, 0, mu / 2, mpmath.inf])
        return LOG_2 - float(expectation)


# -- the optimal discriminator ---------------------------------------------------------------

@pytest.mark.parametrize("pair", PAIR_IDS)
def test_optimal_discriminator_is_the_density_ratio(pair):
    p_data, p_g = PAIRS[pair]
    x, _ = theory.integration_grid(p_data, p_g)
    p, q = p_data.density(x), p_g.density(x)
    both = (p > 1e-200) & (q > 1e-200)  # where the plain ratio is computable
    d_star = theory.optimal_discriminator(p_data, p_g, x)
    np.testing.assert_allclose(d_star[both], (p / (p + q))[both], rtol=1e-12, atol=1e-300)
    assert ((d_star >= 0) & (d_star <= 1)).all()
    # Swapping the roles swaps D* and 1 - D*.
    np.testing.assert_allclose(theory.optimal_discriminator(p_g, p_data, x), 1 - d_star,
                               atol=1e-15)


def test_optimal_discriminator_is_finite_where_both_densities_underflow():
    p_data, p_g = data.gaussian_1d(0.0, 0.01), data.gaussian_1d(0.02, 0.01)
    x = np.array([[-40.0], [40.0]])
    assert (p_data.density(x) == 0).all() and (p_g.density(x) == 0).all()  # 0 / 0 by density
    # log p_data - log p_g = (mu^2 - 2 mu x) / 2s^2 with mu = 0.02: -8000 at x = 40, +8000 at -40
    np.testing.assert_allclose(theory.optimal_logit(p_data, p_g, x), [8002.0, -7998.0])
    np.testing.assert_array_equal(theory.optimal_discriminator(p_data, p_g, x), [1.0, 0.0])


@pytest.mark.parametrize("pair", PAIR_IDS)
def test_optimal_discriminator_maximises_the_value_function(pair):
    """V(D* + perturbation) < V(D*), and the loss is second order: V is stationary at D*."""
    p_data, p_g = PAIRS[pair]

    def perturbed(direction, eps):
        return lambda x: theory.optimal_logit(p_data, p_g, x) + eps * direction(x[:, 0])

    best = theory.value_function(perturbed(np.cos, 0.0), p_data, p_g)
    for direction in (np.cos, np.tanh, lambda t: np.ones_like(t)):
        losses = [best - theory.value_function(perturbed(direction, eps), p_data, p_g)
                  for eps in (0.1, 0.05)]
        assert losses[0] > 0 and losses[1] > 0
        # Halving the step quarters the loss: the first-order term vanishes at D*.
        assert losses[0] / losses[1] == pytest.approx(4.0, rel=0.1)


# -- C(G) = -log 4 + 2 JSD -------------------------------------------------------------------

@pytest.mark.parametrize("pair", PAIR_IDS)
def test_value_of_the_optimal_discriminator_is_minus_log_4_plus_2_jsd(pair):
    p_data, p_g = PAIRS[pair]
    value = theory.value_function(lambda x: theory.optimal_logit(p_data, p_g, x), p_data, p_g)
    jsd = theory.js_divergence(p_data, p_g)
    assert abs(value - (-math.log(4) + 2 * jsd)) < 1e-6
    assert theory.training_criterion(p_data, p_g) == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize("p", [data.gaussian_1d(0.3, 0.7), PAIRS["mixtures"][0]])
def test_at_p_g_equal_p_data_d_star_is_one_half_and_c_is_minus_log_4(p):
    same = data.GaussianMixture(p.means.copy(), p.stds.copy(), p.weights.copy())  # a twin
    x, _ = theory.integration_grid(p)
    np.testing.assert_array_equal(theory.optimal_discriminator(p, same, x), 0.5)
    assert theory.js_divergence(p, same) == pytest.approx(0.0, abs=1e-12)
    assert theory.training_criterion(p, same) == pytest.approx(-math.log(4), abs=1e-12)
    value = theory.value_function(lambda t: np.zeros(len(t)), p, same)  # D = 1/2
    assert value == pytest.approx(-math.log(4), abs=1e-10)


@pytest.mark.parametrize("pair", PAIR_IDS)
def test_quadrature_integrates_the_densities_to_one(pair):
    x, w = theory.integration_grid(*PAIRS[pair])
    for dist in PAIRS[pair]:
        assert w @ dist.density(x) == pytest.approx(1.0, abs=1e-12)


def test_quadrature_resolves_narrow_modes_far_apart():
    narrow = data.mixture_1d([-100.0, 100.0], 0.02)  # 10,000 standard deviations apart
    x, w = theory.integration_grid(narrow)
    assert w @ narrow.density(x) == pytest.approx(1.0, abs=1e-12)
    assert theory.js_divergence(narrow, data.gaussian_1d(0.0, 1.0)) == pytest.approx(
        LOG_2, abs=1e-12)


# -- the Jensen-Shannon divergence -----------------------------------------------------------

@pytest.mark.parametrize("mu", [0.1, 0.5, 1.0, 2.0, 4.0, 8.0])
def test_jsd_of_shifted_gaussians_matches_an_independent_quadrature(mu):
    jsd = theory.js_divergence(data.gaussian_1d(0.0, 1.0), data.gaussian_1d(mu, 1.0))
    assert jsd == pytest.approx(_jsd_equal_widths(mu), abs=1e-12)


@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_jsd_by_quadrature_and_by_monte_carlo_agree(mu):
    p, q = data.gaussian_1d(0.0, 1.0), data.gaussian_1d(mu, 1.0)
    estimate = theory.js_divergence_mc(p, q, num_samples=50_000,
                                       generator=minigan.Generator(0))
    assert 0 < estimate.stderr < 0.01
    assert abs(estimate.value - theory.js_divergence(p, q)) < 4 * estimate.stderr


def test_monte_carlo_jsd_in_2d_reduces_to_the_1d_one():
    """N(0, I) against N((mu, 0), I): the second coordinate is shared and drops out."""
    mu = 1.5
    p, q = data.GaussianMixture([[0.0, 0.0]], 1.0), data.GaussianMixture([[mu, 0.0]], 1.0)
    estimate = theory.js_divergence_mc(p, q, num_samples=50_000,
                                       generator=minigan.Generator(1))
    assert abs(estimate.value - _jsd_equal_widths(mu)) < 4 * estimate.stderr


def test_monte_carlo_jsd_of_the_2d_layouts():
    ring = data.ring()
    twin = data.ring()
    assert theory.js_divergence_mc(ring, twin, num_samples=1000).value == pytest.approx(
        0.0, abs=1e-15)
    # A ring turned by half the angle between modes shares no mass with the original.
    turned = data.GaussianMixture(ring.means @ np.array([[math.cos(math.pi / 8),
                                                          math.sin(math.pi / 8)],
                                                         [-math.sin(math.pi / 8),
                                                          math.cos(math.pi / 8)]]), 0.01)
    estimate = theory.js_divergence_mc(ring, turned, num_samples=1000)
    assert estimate.value == pytest.approx(LOG_2, abs=1e-12)


@pytest.mark.parametrize("covered", [1, 2, 5, 8])
def test_monte_carlo_jsd_of_a_generator_that_drops_modes_matches_the_closed_form(covered):
    """p_data: 8 modes of weight a = 1/8; p_g: the same shape on m of them, weight b = 1/m.

    With modes 76 standard deviations apart, p_data / p_g is a / b on a covered mode and p_g = 0
    on a dropped one, so JSD = 1/2 [m a log(2a / (a + b)) + (8 - m) a log 2 + log(2b / (a + b))].
    """
    ring = data.ring(num_modes=8, radius=1.0, std=0.01)
    dropped = data.GaussianMixture(ring.means[:covered], 0.01)
    a, b = 1 / 8, 1 / covered
    closed_form = 0.5 * (covered * a * math.log(2 * a / (a + b)) + (8 - covered) * a * LOG_2
                         + math.log(2 * b / (a + b)))
    estimate = theory.js_divergence_mc(ring, dropped, num_samples=20_000,
                                       generator=minigan.Generator(2))
    assert abs(estimate.value - closed_form) <= 4 * estimate.stderr + 1e-12


def test_monte_carlo_is_reproducible_with_a_generator():
    p, q = data.grid(), data.grid(std=0.5)
    a = theory.js_divergence_mc(p, q, 2000, generator=minigan.Generator(3))
    b = theory.js_divergence_mc(p, q, 2000, generator=minigan.Generator(3))
    assert a == b


@given(mixtures_1d(), mixtures_1d())
def test_jsd_is_symmetric_and_between_0_and_log_2(p, q):
    jsd = theory.js_divergence(p, q)
    assert -1e-12 <= jsd <= LOG_2 + 1e-12
    assert theory.js_divergence(q, p) == pytest.approx(jsd, abs=1e-12)
    assert theory.training_criterion(p, q) >= -math.log(4) - 1e-12


@given(mixtures_1d())
def test_jsd_of_a_distribution_with_itself_is_zero(p):
    assert theory.js_divergence(p, p) == pytest.approx(0.0, abs=1e-13)


def test_jsd_grows_with_the_distance_and_tends_to_log_2():
    p = data.mixture_1d([-1.0, 1.0], 0.5)
    jsds = [theory.js_divergence(p, data.mixture_1d([-1.0 + s, 1.0 + s], 0.5))
            for s in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 12.0)]
    assert jsds[0] == pytest.approx(0.0, abs=1e-13)
    assert all(a < b for a, b in zip(jsds, jsds[1:]))
    assert jsds[-1] == pytest.approx(LOG_2, abs=1e-12)


@given(mixtures_1d(), mixtures_1d(), st.floats(-2, 2), st.floats(-2, 2))
def test_no_discriminator_beats_c_of_g(p_data, p_g, slope, offset):
    value = theory.value_function(lambda x: slope * x[:, 0] + offset, p_data, p_g)
    assert value <= theory.training_criterion(p_data, p_g) + 1e-9


# -- the gradient the generator receives from D* ---------------------------------------------
# p_g = N(theta, 0.8^2) against a fixed mixture; D* is frozen at theta_0, as it is when G takes
# a step, and derivatives in theta are central differences of integrals.

P_DATA = data.mixture_1d([-1.5, 1.0], [0.6, 0.9], [0.4, 0.6])
THETA_0, H = 0.7, 1e-4


def _p_g(theta):
    return data.gaussian_1d(theta, 0.8)


def _d_dtheta(f):
    return (f(THETA_0 + H) - f(THETA_0 - H)) / (2 * H)


def _frozen_optimal_logit(x):
    return theory.optimal_logit(P_DATA, _p_g(THETA_0), x)


def _expectation_under_p_g(theta, f):
    x, w = theory.integration_grid(P_DATA, _p_g(THETA_0), _p_g(theta))
    return float(w @ (_p_g(theta).density(x) * f(x)))


def test_against_d_star_the_generator_follows_the_gradient_of_c_of_g():
    """Envelope theorem: D* maximises V, so d/dtheta V(D*_theta0, G_theta) = d/dtheta C(G_theta)."""
    grad_v = _d_dtheta(lambda t: theory.value_function(_frozen_optimal_logit, P_DATA, _p_g(t)))
    grad_c = _d_dtheta(lambda t: theory.training_criterion(P_DATA, _p_g(t)))
    assert abs(grad_c) > 0.05  # theta_0 is not a stationary point: the check has teeth
    assert grad_v == pytest.approx(grad_c, abs=1e-7)


def test_non_saturating_loss_against_d_star_follows_kl_minus_2_jsd():
    """Arjovsky & Bottou (2017): the expected gradient of -log D*(G(z)) is that of
    KL(p_g || p_data) - 2 JSD(p_data || p_g)."""
    def non_saturating(theta):  # E_{p_g}[-log D*] = E_{p_g}[softplus(-l*)]
        return _expectation_under_p_g(theta, lambda x: np.logaddexp(0, -_frozen_optimal_logit(x)))

    def kl_minus_2_jsd(theta):
        kl = _expectation_under_p_g(
            theta, lambda x: _p_g(theta).log_density(x) - P_DATA.log_density(x))
        return kl - 2 * theory.js_divergence(P_DATA, _p_g(theta))

    expected = _d_dtheta(kl_minus_2_jsd)
    saturating = _d_dtheta(lambda t: theory.training_criterion(P_DATA, _p_g(t)))
    # Here the two losses pull G opposite ways: the reverse KL draws p_g onto the heavier mode
    # at 1.0 (theta up), the JSD towards covering both (theta down).
    assert expected < -0.04 and saturating > 0.04
    assert _d_dtheta(non_saturating) == pytest.approx(expected, abs=1e-7)


# -- a trained discriminator -----------------------------------------------------------------

def test_trained_mlp_discriminator_converges_to_d_star():
    """Adam on BCE-with-logits with samples of fixed p_data and p_g: D -> D*, V(D) -> C(G)."""
    # Equal widths make D*'s logit nearly piecewise linear, a shape a small LeakyReLU MLP
    # represents and extrapolates into the sparsely sampled tails (tutorial 05 shows a case
    # with unequal widths, where it does not).
    p_data, p_g = data.mixture_1d([-2.0, 2.0], 0.75), data.gaussian_1d(0.5, 0.75)
    gen = minigan.Generator(0)
    model = nn.Sequential(nn.Linear(1, 32, generator=gen), nn.LeakyReLU(0.2),
                          nn.Linear(32, 32, generator=gen), nn.LeakyReLU(0.2),
                          nn.Linear(32, 1, generator=gen))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    batch, steps = 256, 2000
    real_label, fake_label = minigan.ones(batch, 1), minigan.zeros(batch, 1)
    criterion = theory.training_criterion(p_data, p_g)
    gaps = [criterion - theory.value_function(model, p_data, p_g)]
    for step in range(steps):
        if step == 1400:
            opt.param_groups[0]["lr"] = 3e-4  # a smaller step to settle into the optimum
        loss = (F.binary_cross_entropy_with_logits(model(p_data.sample(batch, gen)), real_label)
                + F.binary_cross_entropy_with_logits(model(p_g.sample(batch, gen)), fake_label))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % 500 == 0:
            gaps.append(criterion - theory.value_function(model, p_data, p_g))

    x, _ = theory.integration_grid(p_data, p_g)
    with minigan.no_grad():
        d = F.sigmoid(model(minigan.tensor(x, dtype=np.float32))).numpy()[:, 0]
    mass = p_data.density(x) + p_g.density(x)
    where = mass > 0.01 * mass.max()
    error = np.abs(d - theory.optimal_discriminator(p_data, p_g, x))[where]
    assert error.max() < 0.05, f"max |D - D*| = {error.max():.4f}"
    # V(D, G) <= C(G) for every D, and training closes the gap.
    assert min(gaps) > -1e-9, gaps
    assert gaps[-1] < 0.005 and gaps[-1] < gaps[0] / 50, gaps


# -- arguments -------------------------------------------------------------------------------

def test_value_function_takes_a_module_or_a_function_of_arrays():
    p_data, p_g = PAIRS["mixtures"]
    gen = minigan.Generator(0)
    model = nn.Sequential(nn.Linear(1, 8, generator=gen), nn.Tanh(),
                          nn.Linear(8, 1, generator=gen)).double()

    def by_hand(x):
        return model(minigan.tensor(x)).detach().numpy()

    assert theory.value_function(model, p_data, p_g) == pytest.approx(
        theory.value_function(by_hand, p_data, p_g), abs=1e-12)
    assert theory.value_function(lambda x: by_hand(x)[:, 0], p_data, p_g) == pytest.approx(
        theory.value_function(by_hand, p_data, p_g), abs=1e-12)


def test_value_function_runs_a_module_on_its_own_device(device):
    p_data, p_g = PAIRS["mixture vs gaussian"]
    model = nn.Sequential(nn.Linear(1, 8, generator=minigan.Generator(0)), nn.Tanh(),
                          nn.Linear(8, 1, generator=minigan.Generator(1)))
    on_cpu = theory.value_function(model, p_data, p_g)
    assert theory.value_function(model.to(device), p_data, p_g) == pytest.approx(on_cpu,
                                                                                 abs=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: theory.js_divergence(data.ring(), data.ring()), "distributions on the line"),
    (lambda: theory.js_divergence(data.gaussian_1d(), data.ring()), "same dimension"),
    (lambda: theory.optimal_discriminator(data.gaussian_1d(), data.ring(), np.zeros((1, 1))),
     "same dimension"),
    (lambda: theory.js_divergence_mc(data.ring(), data.grid(), num_samples=1),
     "num_samples must be an int >= 2"),
    (lambda: theory.integration_grid(data.gaussian_1d(), num_points=1),
     "num_points must be an int >= 2"),
    (lambda: theory.integration_grid(data.mixture_1d([-1e3, 1e3], 1e-4)),
     "pass num_points"),
    (lambda: theory.value_function(lambda x: np.zeros((len(x), 2)), data.gaussian_1d(),
                                   data.gaussian_1d(1.0)), "one logit per point"),
])
def test_bad_arguments_fail_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
