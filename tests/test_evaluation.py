"""Evaluation of image GANs (minigan.gan.evaluation): each measure against an answer known in
closed form or by hand, on synthetic data."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan
from minigan.gan import evaluation as ev


def random_covariance(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


# -- the Fréchet distance ---------------------------------------------------------------------
@given(st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_frechet_distance_of_identical_gaussians_is_zero(d, seed):
    rng = np.random.default_rng(seed)
    mu, cov = rng.normal(size=d), random_covariance(rng, d)
    assert ev.frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8 * np.trace(cov))


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.1, 3), st.floats(0.1, 3))
def test_frechet_distance_in_one_dimension_is_the_closed_form(m1, m2, s1, s2):
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    expected = (m1 - m2) ** 2 + (s1 - s2) ** 2
    assert ev.frechet_distance([m1], [[s1 ** 2]], [m2], [[s2 ** 2]]) == \
        pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_frechet_distance_matches_the_eigenvalues_of_the_covariance_product(d, seed):
    # tr((C1 C2)^(1/2)) is also the sum of the square roots of the (real, positive)
    # eigenvalues of C1 C2, a non-symmetric matrix: an independent route to the same number.
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    c1, c2 = random_covariance(rng, d), random_covariance(rng, d)
    cross = np.sqrt(np.linalg.eigvals(c1 @ c2).real).sum()
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * cross
    assert ev.frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-7, abs=1e-7)


def test_feature_frechet_distance_of_samples_approaches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal([0.0, 1.0], [1.0, 2.0], size=(200_000, 2))
    b = rng.normal([1.0, 1.0], [2.0, 0.5], size=(200_000, 2))
    expected = 1.0 + (1.0 - 2.0) ** 2 + (2.0 - 0.5) ** 2  # diagonal: per-axis closed forms
    assert ev.feature_frechet_distance(a, b) == pytest.approx(expected, rel=0.02)
    assert ev.feature_frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="one size F"):
        ev.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="N >= 2"):
        ev.gaussian_statistics(np.zeros((1, 4)))


# -- class coverage ---------------------------------------------------------------------------
def test_class_coverage_by_hand():
    balanced = ev.class_coverage(np.array([0, 1, 0, 1]), num_classes=2)
    assert balanced["classes_present"] == 2 and balanced["kl_to_uniform"] == pytest.approx(0)
    skewed = ev.class_coverage(np.array([0, 0, 0, 1]), num_classes=2)
    assert skewed["kl_to_uniform"] == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    np.testing.assert_allclose(skewed["histogram"], [0.75, 0.25])
    collapsed = ev.class_coverage(np.full(50, 7))
    assert collapsed["classes_present"] == 1
    assert collapsed["kl_to_uniform"] == pytest.approx(math.log(10))
    # Two of ten classes, evenly: log(10 / 2).
    assert ev.class_coverage(np.array([3, 4] * 5))["kl_to_uniform"] == pytest.approx(math.log(5))


def test_class_coverage_rejects_bad_labels():
    with pytest.raises(ValueError, match="0..9"):
        ev.class_coverage(np.array([0, 10]))
    with pytest.raises(ValueError, match="class indices"):
        ev.class_coverage(np.array([0.5]))


# -- Parzen windows ---------------------------------------------------------------------------
def gaussian_log_density(x, mu, sigma):
    d = len(x)
    return -((x - mu) ** 2).sum() / (2 * sigma ** 2) - d / 2 * math.log(2 * math.pi * sigma ** 2)


def test_parzen_of_one_centre_is_the_gaussian_density():
    x, mu = np.array([[0.3, -1.0, 2.0]]), np.array([[0.0, 0.5, 1.0]])
    got = ev.parzen_log_likelihood(mu, x, 0.7)
    assert got[0] == pytest.approx(gaussian_log_density(x[0], mu[0], 0.7))


@given(st.integers(0, 2**31 - 1), st.floats(0.05, 2.0))
def test_parzen_of_a_point_set_is_the_mixture_by_hand(seed, sigma):
    rng = np.random.default_rng(seed)
    centres, points = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    got = ev.parzen_log_likelihood(centres, points, sigma, batch_size=2)
    for x, value in zip(points, got):
        logs = [gaussian_log_density(x, mu, sigma) for mu in centres]
        top = max(logs)
        expected = top + math.log(sum(math.exp(v - top) for v in logs) / len(centres))
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_parzen_sigma_is_chosen_on_the_validation_set():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 0.3, size=(500, 1))
    validation = rng.normal(0, 0.3, size=(500, 1))
    sigmas = [0.001, 0.1, 10.0]
    sigma, scores = ev.choose_parzen_sigma(centres, validation, sigmas)
    assert sigma == 0.1 and scores.argmax() == 1  # too narrow and too wide both lose
    result = ev.parzen_estimate(centres, validation, validation, sigmas)
    assert result["sigma"] == 0.1
    assert result["mean"] == pytest.approx(scores[1])
    assert result["sem"] > 0


def test_parzen_rejects_bad_arguments():
    with pytest.raises(ValueError, match="sigma"):
        ev.parzen_log_likelihood(np.zeros((2, 3)), np.zeros((1, 3)), 0.0)
    with pytest.raises(ValueError, match="centres"):
        ev.parzen_log_likelihood(np.zeros((2, 3)), np.zeros((1, 4)), 1.0)


def parzen_by_differences(centres, points, sigma):
    """The Parzen log-likelihood the slow way: the (M, n, d) array of differences."""
    exponents = -((points[:, None, :] - centres[None]) ** 2).sum(-1) / (2 * sigma ** 2)
    top = exponents.max(axis=1)
    d = centres.shape[1]
    return (top + np.log(np.exp(exponents - top[:, None]).sum(axis=1)) - np.log(len(centres))
            - d / 2 * np.log(2 * np.pi * sigma ** 2))


@given(st.integers(0, 2**31 - 1), st.integers(1, 7), st.integers(1, 40))
def test_parzen_estimate_is_the_protocol_computed_the_slow_way(seed, d, batch_size):
    rng = np.random.default_rng(seed)
    centres = rng.random((int(rng.integers(1, 30)), d))
    validation, test = rng.random((int(rng.integers(1, 25)), d)), rng.random((17, d))
    sigmas = np.sort(rng.uniform(0.02, 2.0, size=5))
    result = ev.parzen_estimate(centres, validation, test, sigmas, batch_size=batch_size)
    curve = [parzen_by_differences(centres, validation, s).mean() for s in sigmas]
    np.testing.assert_allclose(result["validation"], curve, rtol=1e-10, atol=1e-9)
    best = sigmas[int(np.argmax(curve))]
    assert result["sigma"] == best and result["sigmas"] == sigmas.tolist()
    scores = parzen_by_differences(centres, test, best)
    assert result["mean"] == pytest.approx(scores.mean(), rel=1e-10, abs=1e-9)
    assert result["sem"] == pytest.approx(scores.std(ddof=1) / np.sqrt(len(test)), rel=1e-8)


def test_parzen_of_one_centre_has_a_validation_curve_in_closed_form():
    # One centre mu: the mean log-likelihood of points x_j is
    # -(d/2) log(2 pi sigma^2) - S / (2 sigma^2), S the mean of |x_j - mu|^2, which is largest
    # at sigma^2 = S / d.
    rng = np.random.default_rng(3)
    d, mu = 6, rng.normal(size=(1, 6))
    validation = mu + rng.normal(0, 0.4, size=(300, d))
    mean_squared = ((validation - mu) ** 2).sum(axis=1).mean()
    sigmas = np.linspace(0.2, 0.6, 41)
    result = ev.parzen_estimate(mu, validation, validation, sigmas)
    closed = -d / 2 * np.log(2 * np.pi * sigmas ** 2) - mean_squared / (2 * sigmas ** 2)
    np.testing.assert_allclose(result["validation"], closed, rtol=1e-12)
    best = np.sqrt(mean_squared / d)
    assert abs(result["sigma"] - best) <= 0.005  # the grid point nearest the optimum
    assert result["mean"] == pytest.approx(closed[int(np.argmax(closed))], rel=1e-12)


def test_parzen_sigma_is_chosen_on_validation_not_on_test():
    rng = np.random.default_rng(2)
    centres = rng.normal(0, 0.1, size=(200, 2))
    near, far = rng.normal(0, 0.1, size=(200, 2)), rng.normal(0, 3.0, size=(200, 2))
    sigmas = [0.01, 0.05, 0.3, 3.0]
    on_near = ev.parzen_estimate(centres, near, far, sigmas)
    on_far = ev.parzen_estimate(centres, far, far, sigmas)
    assert on_near["sigma"] == 0.05 and on_far["sigma"] == 3.0
    assert on_near["mean"] == pytest.approx(ev.parzen_log_likelihood(centres, far, 0.05).mean())
    assert on_near["mean"] < on_far["mean"]  # the width of the validation set, not the best one


def test_parzen_log_sum_exp_is_stable_far_from_every_centre():
    centres, point, sigma = np.array([[0.0], [10.0]]), np.array([[100.0]]), 0.1
    got = ev.parzen_log_likelihood(centres, point, sigma)[0]
    # exp(-90^2 / 0.02) underflows to 0 in a plain sum; the nearest centre dominates the sum
    expected = -90.0 ** 2 / (2 * sigma ** 2) - math.log(2) - 0.5 * math.log(2 * math.pi * 0.01)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: ev.parzen_estimate(np.zeros((2, 3)), np.zeros((1, 3)), np.full((1, 3), np.nan)),
     "test holds 3 values that are NaN"),
    (lambda: ev.parzen_estimate(np.zeros((2, 3)), np.zeros((1, 4)), np.zeros((1, 3))),
     r"centres \(2, 3\) and validation \(1, 4\)"),
    (lambda: ev.parzen_estimate(np.zeros((2, 3)), np.zeros((0, 3)), np.zeros((1, 3))),
     "validation must be a non-empty 2D array"),
    (lambda: ev.parzen_estimate(np.zeros(3), np.zeros((1, 3)), np.zeros((1, 3))),
     "centres must be a non-empty 2D array"),
    (lambda: ev.parzen_estimate(np.zeros((2, 3)), np.zeros((1, 3)), "digits"),
     "test must be an array of numbers"),
    (lambda: ev.parzen_estimate(np.zeros((2, 3)), np.zeros((1, 3)), np.zeros((1, 3)), [0.1, 0]),
     "sigmas must be a non-empty 1D sequence"),
    (lambda: ev.choose_parzen_sigma(np.zeros((2, 3)), np.zeros((1, 3)), []),
     "sigmas must be a non-empty 1D sequence"),
    (lambda: ev.choose_parzen_sigma(np.zeros((2, 3)), np.zeros((1, 3)), [[0.1]]),
     "sigmas must be a non-empty 1D sequence"),
    (lambda: ev.parzen_log_likelihood(np.zeros((2, 3)), np.zeros((1, 3)), 1.0, batch_size=0),
     "batch_size"),
    (lambda: ev.kmeans(np.zeros((2, 3)), 3), "k = 3 centres need at least as many points"),
    (lambda: ev.kmeans(np.zeros((2, 3)), 1, iterations=-1), "iterations"),
])
def test_parzen_and_kmeans_name_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def lloyd_by_hand(points, centres, iterations):
    centres = centres.copy()
    for _ in range(iterations):
        nearest = ((points[:, None] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        for j in range(len(centres)):
            if (nearest == j).any():
                centres[j] = points[nearest == j].mean(axis=0)
    return centres


@pytest.mark.parametrize("iterations, batch_size", [(0, 5), (1, 7), (4, 1000)])
def test_kmeans_is_lloyd_from_distinct_points(iterations, batch_size):
    rng = np.random.default_rng(5)
    points = rng.normal(size=(60, 3))
    got = ev.kmeans(points, 6, iterations, seed=4, batch_size=batch_size)
    start = ev.kmeans(points, 6, 0, seed=4)
    assert len({tuple(c) for c in start}) == 6 and all(
        (points == c).all(axis=1).any() for c in start)  # six distinct points of the set
    np.testing.assert_allclose(got, lloyd_by_hand(points, start, iterations), rtol=1e-12)


def test_kmeans_leaves_a_centre_without_points_where_it_is():
    # Two of the three starts are the same point: the nearest-centre rule gives both copies to
    # one of them (the first), and the other gets no points.
    points = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])
    centres = ev.kmeans(points, 3, iterations=3)
    assert np.isfinite(centres).all()
    np.testing.assert_array_equal(np.sort(centres, axis=0), np.sort(points, axis=0))


def test_kmeans_finds_the_means_of_separated_clusters():
    rng = np.random.default_rng(6)
    offsets = np.array([[0.0, 0.0], [50.0, 0.0], [0.0, 50.0]])
    points = np.concatenate([o + rng.normal(size=(40, 2)) for o in offsets])
    # seed 1 starts from one point of each cluster; Lloyd's steps then find their means
    centres = ev.kmeans(points, 3, iterations=2, seed=1)
    means = points.reshape(3, 40, 2).mean(axis=1)
    order = np.argsort(centres[:, 0] + 2 * centres[:, 1])
    np.testing.assert_allclose(centres[order], means, rtol=1e-12)


def test_unit_pixels_crops_the_centre_and_rescales():
    images = -np.ones((2, 1, 32, 32))
    images[:, :, 2:30, 2:30] = 1.0  # the 28 x 28 centre is ink, the padding paper
    flat = ev.unit_pixels(images)
    assert flat.shape == (2, 784) and (flat == 1.0).all()
    with pytest.raises(ValueError, match="S >= 28"):
        ev.unit_pixels(np.zeros((2, 1, 16, 16)))


# -- the classifier ---------------------------------------------------------------------------
def bars(n, rng):
    """Images of side 16 with a bar across the top (class 0) or the bottom (class 1) half."""
    labels = rng.integers(0, 2, size=n)
    images = -np.ones((n, 1, 16, 16), dtype=np.float32)
    for image, label in zip(images, labels):
        image[0, 2:6, 2:14] = 1.0 if label == 0 else -1.0
        image[0, 10:14, 2:14] = 1.0 if label == 1 else -1.0
    return images + rng.normal(0, 0.3, images.shape).astype(np.float32), labels


def test_classifier_shapes_and_features():
    model = ev.DigitClassifier(16, features=12, generator=minigan.Generator(0)).eval()
    x = minigan.randn(5, 1, 16, 16)
    assert model(x).shape == (5, 10)
    features = ev.classifier_features(model, x, batch_size=2)
    assert features.shape == (5, 12) and features.dtype == np.float64 and (features >= 0).all()
    with pytest.raises(ValueError, match="power of two"):
        ev.DigitClassifier(20)
    with pytest.raises(ValueError, match=r"\(N, 1, 16, 16\)"):
        model(minigan.randn(2, 1, 32, 32))


def test_classifier_learns_an_easy_task_and_feeds_the_measures():
    rng = np.random.default_rng(0)
    x, y = bars(128, rng)
    model = ev.train_classifier(x, y, epochs=3, batch_size=32, max_shift=1, seed=0)
    x_test, y_test = bars(200, rng)
    assert ev.accuracy(model, x_test, y_test) > 0.95
    coverage = ev.class_coverage(ev.predict(model, x_test))
    assert coverage["classes_present"] == 2
    # The same set twice is at distance 0; a set of one class is far from a mixed one.
    assert ev.classifier_fid(model, x_test, x_test) == pytest.approx(0.0, abs=1e-4)
    assert ev.classifier_fid(model, x_test, x_test[y_test == 0]) > \
        ev.classifier_fid(model, x_test[:100], x_test[100:])


def test_train_classifier_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        ev.train_classifier(np.zeros((4, 1, 16, 16), np.float32), np.zeros(3, np.int64))
