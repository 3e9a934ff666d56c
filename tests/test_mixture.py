"""minigan.data.mixture: Gaussian mixtures whose densities are exact (against the formula, PyTorch
and integration to 1), stable far from every mode, sampled reproducibly with the right moments
and component frequencies; the ring and grid layouts; clear errors for bad arguments."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
from minigan import data


def _naive_density(mixture, x):
    """sum_k w_k N(x; mu_k, s_k^2 I) written out directly: fine where nothing underflows."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), mixture.dim)
    total = np.zeros(len(x))
    for mean, std, weight in zip(mixture.means, mixture.stds, mixture.weights):
        squared = ((x - mean) ** 2).sum(axis=1)
        total += weight * np.exp(-squared / (2 * std**2)) / (2 * math.pi * std**2) ** (
            mixture.dim / 2)
    return total


@st.composite
def mixtures(draw, dim=None):
    """Small random mixtures: 1 to 4 components in 1 or 2 dimensions."""
    dim = draw(st.integers(1, 2)) if dim is None else dim
    k = draw(st.integers(1, 4))
    means = draw(st.lists(st.floats(-3, 3), min_size=k * dim, max_size=k * dim))
    stds = draw(st.lists(st.floats(0.2, 2.0), min_size=k, max_size=k))
    raw = np.array(draw(st.lists(st.floats(0.1, 1.0), min_size=k, max_size=k)))
    return data.GaussianMixture(np.reshape(means, (k, dim)), stds, raw / raw.sum())


# -- construction ----------------------------------------------------------------------------

def test_parameters_and_their_shapes():
    mix = data.GaussianMixture([[0.0, 1.0], [2.0, -1.0], [3.0, 3.0]], [0.5, 1.0, 2.0],
                               [0.2, 0.3, 0.5])
    assert (mix.num_modes, mix.dim) == (3, 2)
    assert mix.means.shape == (3, 2) and mix.stds.shape == (3,) and mix.weights.shape == (3,)
    assert mix.centers is mix.means
    np.testing.assert_array_equal(mix.weights, [0.2, 0.3, 0.5])


def test_flat_means_are_modes_on_the_line_and_defaults_fill_in():
    mix = data.GaussianMixture([-2.0, 0.0, 2.0], 0.5)
    assert (mix.num_modes, mix.dim) == (3, 1)
    np.testing.assert_array_equal(mix.means[:, 0], [-2.0, 0.0, 2.0])
    np.testing.assert_array_equal(mix.stds, [0.5, 0.5, 0.5])  # a scalar std is shared
    np.testing.assert_allclose(mix.weights, [1 / 3] * 3)  # uniform by default
    assert mix.weights.sum() == pytest.approx(1.0, abs=1e-15)


def test_parameters_are_read_only():
    mix = data.gaussian_1d(1.0, 2.0)
    with pytest.raises(ValueError):
        mix.means[0, 0] = 5.0  # a mixture is a value: its density cannot drift
    assert (mix.num_modes, mix.dim, mix.means[0, 0], mix.stds[0]) == (1, 1, 1.0, 2.0)


def test_parameters_may_come_as_tensors():
    mix = data.GaussianMixture(minigan.tensor([[0.0], [2.0]]), minigan.tensor([0.5, 1.0]),
                               minigan.tensor([0.25, 0.75]))
    assert mix.means.dtype == np.float64 and mix.means.shape == (2, 1)
    np.testing.assert_array_equal(mix.stds, [0.5, 1.0])


def test_mixture_1d_matches_the_general_constructor():
    a = data.mixture_1d([-1.0, 3.0], [0.5, 1.5], [0.25, 0.75])
    b = data.GaussianMixture([[-1.0], [3.0]], [0.5, 1.5], [0.25, 0.75])
    x = np.linspace(-5, 7, 50)[:, None]
    np.testing.assert_array_equal(a.log_density(x), b.log_density(x))


@pytest.mark.parametrize("call, message", [
    (lambda: data.GaussianMixture([[[0.0]]], 1.0), "means must have shape"),
    (lambda: data.GaussianMixture(np.zeros((0, 2)), 1.0), "means must have shape"),
    (lambda: data.GaussianMixture(3.0, 1.0), "means must have shape"),
    (lambda: data.GaussianMixture([[0.0, 1.0], [2.0]], 1.0), "means must be numbers or a rect"),
    (lambda: data.GaussianMixture([0.0, 1.0], ["wide", "narrow"]), "stds must be numbers"),
    (lambda: data.GaussianMixture([0.0, np.nan], 1.0), "means must be finite"),
    (lambda: data.GaussianMixture([0.0, 1.0], [1.0, 1.0, 1.0]), r"stds must have .*\(2,\)"),
    (lambda: data.GaussianMixture([0.0, 1.0], [1.0, -1.0]), "stds must be > 0"),
    (lambda: data.GaussianMixture([0.0], 0.0), "stds must be > 0"),
    (lambda: data.GaussianMixture([0.0], np.inf), "stds must be finite"),
    (lambda: data.GaussianMixture([0.0, 1.0], 1.0, [0.5, 0.6]), "weights must sum to 1"),
    (lambda: data.GaussianMixture([0.0, 1.0], 1.0, [1.0]), r"weights must have shape \(2,\)"),
    (lambda: data.GaussianMixture([0.0, 1.0], 1.0, 0.5), r"weights must have shape \(2,\)"),
    (lambda: data.GaussianMixture([0.0, 1.0], 1.0, [1.5, -0.5]), "weights must be > 0"),
    (lambda: data.GaussianMixture([0.0, 1.0], 1.0, [1.0, 0.0]), "weights must be > 0"),
    (lambda: data.mixture_1d([[0.0], [1.0]], 1.0), "mixture_1d: means must be a flat list"),
    (lambda: data.gaussian_1d(0.0, -1.0), "stds must be > 0"),
    (lambda: data.ring(0), "ring: num_modes must be an int >= 1"),
    (lambda: data.ring(8.0), "ring: num_modes must be an int >= 1"),
    (lambda: data.ring(radius=-1.0), "ring: radius must be a number > 0"),
    (lambda: data.ring(std=0.0), "ring: std must be a number > 0"),
    (lambda: data.grid(0), "grid: size must be an int >= 1"),
    (lambda: data.grid(spacing=0.0), "grid: spacing must be a number > 0"),
    (lambda: data.grid(std="0.1"), "grid: std must be a number > 0"),
    (lambda: data.gaussian_1d().sample(-1), "sample: n must be an int >= 0"),
    (lambda: data.gaussian_1d().sample(2.5), "sample: n must be an int >= 0"),
    (lambda: data.ring().log_density(np.zeros((4, 3))), r"x must have shape \(n, 2\), got"),
    (lambda: data.ring().density(np.zeros(4)), r"x must have shape \(n, 2\), got"),
    (lambda: data.gaussian_1d().log_density(np.zeros((4, 2))), r"\(n, 1\) or \(n,\)"),
    (lambda: data.gaussian_1d().log_density(["a", "b"]), "log_density: x must be numbers"),
])
def test_bad_arguments_fail_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_weights_within_rounding_of_one_are_renormalised():
    mix = data.mixture_1d([0.0, 1.0, 2.0], 1.0, [0.1, 0.2, 0.7 + 1e-9])
    assert mix.weights.sum() == pytest.approx(1.0, abs=1e-15)


# -- layouts: ring and grid ------------------------------------------------------------------

def test_ring_puts_distinct_modes_at_equal_angles_on_the_circle():
    ring = data.ring(num_modes=8, radius=2.0, std=0.02)
    assert (ring.num_modes, ring.dim) == (8, 2)
    np.testing.assert_array_equal(ring.stds, [0.02] * 8)
    np.testing.assert_allclose(np.linalg.norm(ring.means, axis=1), 2.0)
    angles = np.arctan2(ring.means[:, 1], ring.means[:, 0]) % (2 * math.pi)
    np.testing.assert_allclose(angles, 2 * math.pi * np.arange(8) / 8, atol=1e-12)
    # Eight distinct modes: the nearest two are a side of the octagon apart, 2 r sin(pi / 8).
    distances = np.linalg.norm(ring.means[:, None] - ring.means[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    np.testing.assert_allclose(distances.min(axis=1), 2 * 2.0 * math.sin(math.pi / 8))


def test_grid_puts_25_modes_on_the_product_of_the_axis_points():
    grid = data.grid()
    assert (grid.num_modes, grid.dim) == (25, 2)
    np.testing.assert_array_equal(grid.stds, [0.05] * 25)
    axis = [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert {tuple(m) for m in grid.means} == {(a, b) for a in axis for b in axis}
    np.testing.assert_allclose(grid.means.mean(axis=0), [0.0, 0.0], atol=1e-15)
    assert sorted(set(data.grid(size=4, spacing=1.0).means[:, 0])) == [-1.5, -0.5, 0.5, 1.5]


# -- the density -----------------------------------------------------------------------------

def test_density_matches_the_formula_written_out():
    mix = data.GaussianMixture([[0.0, 1.0], [2.0, -1.0], [-1.0, -2.0]], [0.5, 1.0, 0.8],
                               [0.2, 0.3, 0.5])
    x = np.random.default_rng(0).normal(0.0, 2.0, size=(200, 2))
    np.testing.assert_allclose(mix.density(x), _naive_density(mix, x), rtol=1e-12)
    np.testing.assert_allclose(mix.log_density(x), np.log(_naive_density(mix, x)), rtol=1e-12)


@pytest.mark.torch
def test_log_density_matches_pytorch(torch):
    dist = torch.distributions
    means, stds, weights = [[0.0, 1.0], [2.0, -1.0]], [0.5, 1.5], [0.4, 0.6]
    mix = data.GaussianMixture(means, stds, weights)
    components = dist.Independent(
        dist.Normal(torch.tensor(means), torch.tensor(stds)[:, None].expand(2, 2)), 1)
    oracle = dist.MixtureSameFamily(dist.Categorical(torch.tensor(weights)), components)
    x = np.random.default_rng(1).normal(0.0, 3.0, size=(100, 2))
    np.testing.assert_allclose(mix.log_density(x), oracle.log_prob(torch.tensor(x)).numpy(),
                               rtol=1e-10)


def test_log_density_is_finite_far_from_every_mode():
    mix = data.mixture_1d([-1.0, 1.0], 0.01, [0.3, 0.7])
    x = np.array([[50.0], [-1e4]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow is expected
        log_p = mix.log_density(x)
    # So far out the nearest component is all there is: log w - log(sqrt(2 pi) s) - d^2 / 2s^2.
    nearest = np.array([[1.0, 0.7], [-1.0, 0.3]])
    expected = (np.log(nearest[:, 1]) - np.log(math.sqrt(2 * math.pi) * 0.01)
                - (x[:, 0] - nearest[:, 0]) ** 2 / (2 * 0.01**2))
    np.testing.assert_allclose(log_p, expected, rtol=1e-13)
    np.testing.assert_array_equal(mix.density(x), [0.0, 0.0])  # underflows, as it must


@given(mixtures())
def test_log_density_lies_between_the_largest_term_and_log_k_above_it(mix):
    x = np.random.default_rng(2).normal(0.0, 4.0, size=(64, mix.dim))
    terms = mix.component_log_densities(x)
    log_p = mix.log_density(x)
    assert (log_p >= terms.max(axis=1) - 1e-12).all()
    assert (log_p <= terms.max(axis=1) + math.log(mix.num_modes) + 1e-12).all()
    np.testing.assert_allclose(mix.density(x), np.exp(log_p))


@pytest.mark.parametrize("mix, half_width, step", [
    (data.mixture_1d([-2.0, 0.5, 3.0], [0.3, 1.0, 0.7], [0.5, 0.2, 0.3]), 12.0, 0.01),
    (data.ring(num_modes=8, radius=1.0, std=0.1), 1.8, 0.02),
    (data.grid(size=3, spacing=1.0, std=0.2), 2.6, 0.025),
])
def test_density_integrates_to_one(mix, half_width, step):
    axis = np.arange(-half_width, half_width + step / 2, step)
    points = np.stack(np.meshgrid(*[axis] * mix.dim, indexing="ij"), axis=-1)
    total = mix.density(points.reshape(-1, mix.dim)).sum() * step**mix.dim
    assert total == pytest.approx(1.0, abs=1e-8)


def test_density_takes_flat_points_tensors_and_lists_on_the_line():
    mix = data.mixture_1d([-1.0, 2.0], [0.5, 1.0])
    column = np.array([[-1.0], [0.0], [2.5]])
    expected = mix.log_density(column)
    np.testing.assert_array_equal(mix.log_density(column[:, 0]), expected)
    np.testing.assert_array_equal(mix.log_density([-1.0, 0.0, 2.5]), expected)
    np.testing.assert_array_equal(mix.log_density(minigan.tensor(column, dtype=np.float64)),
                                  expected)


# -- sampling --------------------------------------------------------------------------------

def test_samples_are_float32_tensors_of_shape_n_by_d():
    for mix in (data.gaussian_1d(), data.ring(), data.grid()):
        x = mix.sample(10)
        assert isinstance(x, minigan.Tensor)
        assert (x.shape, x.dtype, x.device, x.requires_grad) == ((10, mix.dim), np.float32,
                                                                 "cpu", False)
    assert data.ring().sample(0).shape == (0, 2)


def test_a_seed_reproduces_the_samples_and_another_seed_does_not():
    mix = data.grid()
    a = mix.sample(100, generator=minigan.Generator(3)).numpy()
    b = mix.sample(100, generator=minigan.Generator(3)).numpy()
    c = mix.sample(100, generator=minigan.Generator(4)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    minigan.manual_seed(7)
    d = mix.sample(100).numpy()
    minigan.manual_seed(7)
    np.testing.assert_array_equal(mix.sample(100).numpy(), d)  # the default generator


def test_samples_are_the_same_on_every_device_and_in_every_dtype(device):
    mix = data.ring()
    x64 = mix.sample(50, generator=minigan.Generator(1), dtype=np.float64)
    x = mix.sample(50, generator=minigan.Generator(1), device=device)
    assert (x.device, x.dtype, x64.dtype) == (device, np.float32, np.float64)
    np.testing.assert_array_equal(x.numpy(), x64.numpy().astype(np.float32))


def test_component_frequencies_and_spreads_match_the_parameters():
    # Modes far apart compared with their spreads: the nearest centre names the component.
    mix = data.GaussianMixture([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]],
                               [0.5, 1.0, 0.25, 0.75], [0.1, 0.2, 0.3, 0.4])
    n = 100_000
    x = mix.sample(n, generator=minigan.Generator(0), dtype=np.float64).numpy()
    component = np.linalg.norm(x[:, None] - mix.centers[None], axis=-1).argmin(axis=1)
    counts = np.bincount(component, minlength=4)
    stderr = np.sqrt(mix.weights * (1 - mix.weights) / n)
    assert (np.abs(counts / n - mix.weights) < 4 * stderr).all(), counts / n
    for k in range(4):
        within = x[component == k] - mix.means[k]
        np.testing.assert_allclose(within.mean(axis=0), 0.0, atol=4 * mix.stds[k]
                                   / math.sqrt(counts[k]))
        # The variance of a sample variance of m normals is about 2 s^4 / m.
        np.testing.assert_allclose(within.var(axis=0), mix.stds[k] ** 2,
                                   atol=4 * mix.stds[k] ** 2 * math.sqrt(2 / counts[k]))


def test_mean_and_variance_of_a_1d_mixture():
    mix = data.mixture_1d([-2.0, 1.0, 4.0], [0.5, 1.0, 0.3], [0.5, 0.3, 0.2])
    mean = float(mix.weights @ mix.means[:, 0])
    variance = float(mix.weights @ (mix.stds**2 + mix.means[:, 0] ** 2)) - mean**2
    n = 200_000
    x = mix.sample(n, generator=minigan.Generator(5), dtype=np.float64).numpy()[:, 0]
    assert abs(x.mean() - mean) < 4 * math.sqrt(variance / n)
    fourth = float(np.mean((x - mean) ** 4))  # the spread of a sample variance
    assert abs(x.var() - variance) < 4 * math.sqrt((fourth - variance**2) / n)
