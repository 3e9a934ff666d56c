"""Mode metrics on hand-made sample sets whose answers are known, and ``evaluate`` on a
generator."""

import math

import numpy as np
import pytest

import minigan
import minigan.gan as gan
from minigan.data import GaussianMixture, grid, ring
from minigan.gan.metrics import ModeMetrics, evaluate, mode_metrics, reverse_kl_text


def _on_centres(mixture, modes, per_mode):
    """``per_mode`` samples exactly on each of the centres ``modes``."""
    return np.repeat(mixture.centers[list(modes)], per_mode, axis=0)


def test_all_samples_on_five_of_eight_centres():
    samples = _on_centres(ring(), range(5), 500)
    m = mode_metrics(samples, ring())
    assert isinstance(m, ModeMetrics)
    assert m.modes_captured == 5 and m.high_quality == 1.0 and m.num_samples == 2500
    assert m.counts.tolist() == [500] * 5 + [0] * 3
    # by hand: p_gen = 501/2508 on five modes, 1/2508 on three; p_data = 1/8 everywhere
    expected = 5 * (501 / 2508) * math.log(501 / 2508 * 8) + 3 * (1 / 2508) * math.log(8 / 2508)
    assert m.reverse_kl == pytest.approx(expected, rel=1e-12)
    assert m.reverse_kl == pytest.approx(math.log(8 / 5), abs=0.01)  # about log(K / m)
    assert str(m) == f"5/8 modes, 100.0% high quality, reverse KL {expected:.3f} (2500 samples)"


def test_samples_spread_evenly_over_every_mode_have_zero_divergence():
    m = mode_metrics(_on_centres(grid(), range(25), 4), grid())
    assert m.modes_captured == 25 == m.num_modes
    assert m.reverse_kl == pytest.approx(0.0, abs=1e-15)


def test_samples_far_from_every_mode_are_not_high_quality():
    angles = np.linspace(0, 2 * np.pi, 100)
    far = 10 * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # radius 10, the modes at 1
    m = mode_metrics(far, ring())
    assert m.modes_captured == 0 and m.high_quality == 0.0 and m.counts.sum() == 0
    # no good sample: the histogram is the smoothing's uniform prior, which matches the data
    assert m.reverse_kl == pytest.approx(0.0, abs=1e-15)


def test_three_standard_deviations_is_the_threshold():
    mixture = ring(std=0.01)
    direction = np.array([[0.6, 0.8]])  # a unit vector
    inside = mixture.centers[2] + 0.0299 * direction
    outside = mixture.centers[2] + 0.0301 * direction
    m = mode_metrics(np.concatenate([inside, outside, outside]), mixture)
    assert m.counts.tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    assert m.high_quality == pytest.approx(1 / 3)
    assert mode_metrics(outside, mixture, num_std=3.02).modes_captured == 1


def test_the_nearest_mode_is_measured_in_its_own_standard_deviations():
    # 0.2 is 20 stds from the narrow mode at 0 and 1.6 stds from the wide mode at 1
    mixture = GaussianMixture([[0.0], [1.0]], stds=[0.01, 0.5])
    assert mode_metrics([[0.2]], mixture).counts.tolist() == [0, 1]


def test_reverse_kl_uses_the_mixture_weights():
    mixture = GaussianMixture([[0.0], [5.0], [10.0]], 0.1, weights=[0.5, 0.25, 0.25])
    samples = [[0.0]] * 7 + [[5.0]] * 3 + [[10.0]] * 0
    p = np.array([8, 4, 1]) / 13  # (n_k + 1) / (N + K) with n = (7, 3, 0), N = 10, K = 3
    expected = float((p * np.log(p / np.array([0.5, 0.25, 0.25]))).sum())
    assert mode_metrics(samples, mixture).reverse_kl == pytest.approx(expected, rel=1e-12)


def test_tensors_of_any_dtype_give_the_same_metrics():
    rng = np.random.default_rng(0)
    samples = ring().centers[rng.integers(0, 3, 200)] + rng.normal(0, 0.02, (200, 2))
    reference = mode_metrics(samples, ring())
    for values in (minigan.tensor(samples, dtype=np.float32),
                   minigan.tensor(samples, requires_grad=True), samples.tolist()):
        m = mode_metrics(values, ring())
        assert m.counts.tolist() == reference.counts.tolist()
        assert m.reverse_kl == pytest.approx(reference.reverse_kl, rel=1e-6)
    assert 0 < reference.high_quality < 1 and reference.modes_captured == 3


@pytest.mark.parametrize("samples, num_std, words", [
    (np.zeros((4, 3)), 3.0, r"shape \(N, 2\).*got shape \(4, 3\)"),
    (np.zeros((0, 2)), 3.0, r"N >= 1"),
    ([["a", "b"]], 3.0, "numbers"),
    (np.zeros((4, 2)), 0.0, "num_std must be a number > 0"),
])
def test_bad_arguments_are_named(samples, num_std, words):
    with pytest.raises(ValueError, match=words):
        mode_metrics(samples, ring(), num_std=num_std)


def _constant_generator(point, batch_norm=False):
    """A generator whose every sample is ``point``: zero weights, the output bias at it."""
    G = gan.MLPGenerator(2, 2, hidden=(4,), batch_norm=batch_norm)
    for p in G.parameters():
        p.data[...] = 0
    G.net[-1].bias.data[...] = point
    if batch_norm:
        G.net[1].weight.data[...] = 1
    return G


def test_evaluate_draws_2500_samples_of_g():
    G = _constant_generator(ring().centers[3])
    m = evaluate(G, ring())
    assert m.num_samples == 2500 and m.modes_captured == 1 and m.counts[3] == 2500


def test_evaluate_is_seeded_uses_eval_mode_and_restores_the_mode():
    G = gan.MLPGenerator(2, 2, hidden=(16,), batch_norm=True, generator=minigan.Generator(0))
    G.net[1].running_mean.data[...] = 5.0  # eval mode must use these statistics
    before = G.state_dict()
    default_state = minigan.random.default_generator.get_state()
    results = [evaluate(G, ring(std=0.3), n=300, generator=minigan.Generator(1))
               for _ in range(2)]
    assert results[0].counts.tolist() == results[1].counts.tolist()
    assert minigan.random.default_generator.get_state() == default_state
    assert G.training and all(m.training for m in G.modules())
    for key, value in G.state_dict().items():  # the running statistics were not updated
        np.testing.assert_array_equal(value.numpy(), before[key].numpy(), err_msg=key)
    G.eval()
    with minigan.no_grad():
        z = gan.sample_noise(300, 2, generator=minigan.Generator(1))
        direct = mode_metrics(G(z), ring(std=0.3))
    assert direct.counts.tolist() == results[0].counts.tolist()
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        evaluate(G, ring(), n=0)


def test_a_reverse_kl_over_no_high_quality_sample_is_printed_as_a_dash():
    # the smoothed histogram of zero samples is uniform: KL 0, which must not read as perfect
    far = mode_metrics(np.full((10, 2), 50.0), ring())
    assert far.reverse_kl == pytest.approx(0.0, abs=1e-15)
    assert str(far) == "0/8 modes, 0.0% high quality, reverse KL - (10 samples)"
    assert reverse_kl_text(far.reverse_kl, far.high_quality) == "-"
    assert reverse_kl_text(0.123456, 0.5, 2) == "0.12"
