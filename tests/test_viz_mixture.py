"""minigan.viz.mixture2d: snapshots of a GAN on a 2D mixture, the panels, the GIF, the curves."""

import numpy as np
import pytest

import minigan
from minigan import data, gan, viz


def players(pack=1, batch_norm=False):
    G = gan.MLPGenerator(2, 2, hidden=(16,), batch_norm=batch_norm,
                         generator=minigan.Generator(0))
    D = gan.MLPDiscriminator(2, hidden=(16,), pack=pack, generator=minigan.Generator(1))
    return G, D


def evaluate(module, x):
    with minigan.no_grad():
        return module(minigan.tensor(x, dtype=np.float32)).numpy().astype(np.float64)


class Metrics:  # what the panels read from a ModeMetrics
    def __init__(self, modes_captured, high_quality, reverse_kl):
        self.modes_captured, self.high_quality, self.reverse_kl = \
            modes_captured, high_quality, reverse_kl


def assert_drawn(path, plt):
    """A PNG that is not blank: a fair share of non-white pixels, and not all one colour."""
    image = plt.imread(path)[..., :3]
    assert min(image.shape[:2]) > 200
    assert (image < 0.9).any(axis=-1).mean() > 0.02
    assert image.std() > 0.05


# -- snapshots --------------------------------------------------------------------------------
def test_snapshot_holds_samples_and_d_on_the_grid():
    G, D = players()
    ring = data.ring()
    z = minigan.randn(50, 2, generator=minigan.Generator(3))
    s = viz.snapshot_2d(G, D, ring, noise=z, points=7, step=12)
    np.testing.assert_allclose(s.samples, evaluate(G, z.numpy()), rtol=1e-6)
    assert s.bounds == viz.default_bounds(ring) == (-1.5, 1.5)
    assert s.d.shape == (7, 7)
    # d[i, j] is at (grid[j], grid[i]); D(x) is sigmoid(logit).
    point = np.array([[s.grid[2], s.grid[5]]])
    np.testing.assert_allclose(s.d[5, 2], 1 / (1 + np.exp(-evaluate(D, point)[0])), rtol=1e-6)
    np.testing.assert_array_equal(s.centers, ring.centers)
    assert s.step == 12 and s.metrics is None and s.d_output == "logit"


def test_snapshot_shows_a_pack_discriminator_a_pack_of_copies():
    G, D = players(pack=3)
    s = viz.snapshot_2d(G, D, data.grid(), n=10, points=4)
    point = np.array([s.grid[1], s.grid[3]])
    logit = evaluate(D, np.stack([point] * 3))[0]  # one pack of three copies
    np.testing.assert_allclose(s.d[3, 1], 1 / (1 + np.exp(-logit)), rtol=1e-6)


def test_snapshot_takes_a_critic_function_and_keeps_its_raw_score():
    G, _ = players()
    s = viz.snapshot_2d(G, lambda x: x[:, 0] - 10 * x[:, 1], data.ring(), n=10, points=5,
                        d_output="score", bounds=(-2, 2))
    xs, ys = np.meshgrid(s.grid, s.grid)
    np.testing.assert_allclose(s.d, xs - 10 * ys)
    assert s.bounds == (-2.0, 2.0)


def test_the_output_of_each_method_s_discriminator():
    assert viz.discriminator_output("gan") == viz.discriminator_output("pacgan2") == "logit"
    assert viz.discriminator_output("wgan_gp") == viz.discriminator_output("lsgan") == "score"


def test_a_score_panel_says_what_its_shading_is(plt):
    G, _ = players()
    shot = viz.snapshot_2d(G, lambda x: x[:, 0], data.ring(), n=10, points=5, d_output="score")
    texts = [t.get_text() for t in viz.draw_mixture_2d(shot).texts]
    assert any("score" in t for t in texts)


def test_snapshot_changes_nothing_in_training():
    """Drawn with its own noise: no draw from the training generator, modes and batch-norm
    statistics left as they were."""
    G, D = players(batch_norm=True)
    rng = minigan.Generator(7)
    state = rng.get_state()
    before = {k: v.numpy().copy() for k, v in G.state_dict().items()}
    viz.snapshot_2d(G, D, data.ring(), noise=minigan.randn(20, 2), points=3)
    assert G.training and D.training
    for key, value in G.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    # Drawing its own noise from a generator uses that generator only.
    viz.snapshot_2d(G, None, data.ring(), n=20, generator=minigan.Generator(1))
    assert rng.get_state() == state


def test_snapshot_noise_from_a_generator_is_reproducible():
    G, D = players()
    a = viz.snapshot_2d(G, D, data.ring(), n=30, generator=minigan.Generator(4), points=3)
    b = viz.snapshot_2d(G, D, data.ring(), n=30, generator=minigan.Generator(4), points=3)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.samples.shape == (30, 2)


def test_default_bounds_hold_every_mode_with_a_margin():
    lo, hi = viz.default_bounds(data.grid())
    assert (lo, hi) == (-6.0, 6.0)
    # Tight modes far apart: a quarter of the spread; wide modes: 10 stds.
    assert viz.default_bounds(data.GaussianMixture([[0, 0], [1, 0]], 0.5)) == (-5.0, 6.0)


@pytest.mark.parametrize("call, message", [
    (lambda G, D: viz.snapshot_2d(G, D, data.mixture_1d([0, 1], 0.1)), "2D data"),
    (lambda G, D: viz.snapshot_2d(G, D, data.ring(), d_output="probability"), "d_output"),
    (lambda G, D: viz.snapshot_2d(G, D, data.ring(), bounds=(1, -1)), "lo < hi"),
    (lambda G, D: viz.snapshot_2d(gan.MLPGenerator(2, 3), D, data.ring()), r"shape \(N, 2\)"),
])
def test_snapshot_rejects_bad_input_clearly(call, message):
    G, D = players()
    with pytest.raises(ValueError, match=message):
        call(G, D)


# -- figures ----------------------------------------------------------------------------------
def snapshots(count, mixture=None, metrics=True):
    """``count`` snapshots of a GAN whose G moves a little between them."""
    mixture = data.ring() if mixture is None else mixture
    G, D = players()
    z = minigan.randn(200, 2, generator=minigan.Generator(2))
    shots = []
    for step in range(count):
        for p in G.parameters():
            p.data += 0.05
        shots.append(viz.snapshot_2d(G, D, mixture, noise=z, points=20, step=10 * step,
                                     metrics=Metrics(step, 0.5, 0.25) if metrics else None))
    return shots


def test_a_panel_is_titled_with_step_and_metrics_and_drawn(plt, tmp_path):
    shot = snapshots(1)[0]
    shot.samples[:3] = 50.0  # three samples far outside the square
    ax = viz.draw_mixture_2d(shot)
    assert ax.get_title() == "step 0\n0/8 modes · 50% HQ · KL 0.25"
    assert [t.get_text() for t in ax.texts] == ["3 outside"]
    ax.figure.savefig(tmp_path / "panel.png", dpi=110)
    assert_drawn(tmp_path / "panel.png", plt)


def test_evenly_spread_keeps_both_ends():
    assert viz.evenly_spread(range(11), 6) == [0, 2, 4, 6, 8, 10]
    assert viz.evenly_spread(range(4), 3) == [0, 2, 3]  # rounding half to even: 1.5 -> 2
    assert viz.evenly_spread(range(3), 6) == [0, 1, 2]
    assert viz.evenly_spread(range(3), 1) == [2]


def test_metrics_label():
    assert viz.metrics_label(Metrics(6, 0.923, 0.4512), 8) == "6/8 modes · 92% HQ · KL 0.45"
    assert viz.metrics_label(Metrics(0, 0.0, 0.0), 8) == "0/8 modes · 0% HQ · KL -"


def test_stages_draw_rows_of_panels_with_one_legend(plt, tmp_path):
    fig = viz.draw_mixture_2d_stages([snapshots(3), snapshots(2, data.grid(), metrics=False)],
                                     row_labels=["ring", "grid"], suptitle="two runs")
    panels = [ax for ax in fig.axes if ax.get_aspect() == 1.0]
    assert sum(ax.get_visible() for ax in panels) == 5  # the missing sixth is hidden
    assert [ax.get_title() for ax in panels[3:5]] == ["step 0", "step 10"]
    assert panels[0].get_ylabel() == "ring" and len(fig.legends) == 1
    fig.savefig(tmp_path / "stages.png", dpi=80)
    assert_drawn(tmp_path / "stages.png", plt)


def test_animation_has_one_frame_per_snapshot(plt, tmp_path):
    image = pytest.importorskip("PIL.Image")
    path = viz.animate_mixture_2d(snapshots(4), tmp_path / "one.gif", fps=5)
    with image.open(path) as gif:
        assert gif.n_frames == 4
        gif.seek(3)
        frame = np.asarray(gif.convert("RGB"), dtype=np.float64) / 255
    assert frame.std() > 0.05 and (frame < 0.9).any(axis=-1).mean() > 0.05
    # Two runs side by side: twice as wide, still one frame per snapshot.
    wide = viz.animate_mixture_2d([snapshots(3), snapshots(3)], tmp_path / "two.gif",
                                  titles=["a", "b"])
    with image.open(wide) as gif, image.open(path) as one:
        assert gif.n_frames == 3 and gif.size[0] == 2 * one.size[0]
    with pytest.raises(ValueError, match="as many snapshots"):
        viz.animate_mixture_2d([snapshots(3), snapshots(2)], tmp_path / "bad.gif")


def test_mode_metric_curves(plt, tmp_path):
    curves = {"gan": {"step": [0, 100, 200], "modes_captured": [0, 2, 1],
                      "high_quality": [0.0, 0.5, 0.9], "reverse_kl": [1.2, 0.8, 1.5]},
              "pacgan2": {"step": [0, 100, 200], "modes_captured": [0, 5, 8],
                          "high_quality": [0.0, 0.4, 0.8], "reverse_kl": [1.0, 0.3, 0.05]}}
    fig = viz.draw_mode_metrics(curves, num_modes=8, title="ring")
    modes, quality, kl = fig.axes
    np.testing.assert_array_equal(quality.lines[1].get_ydata(), [0, 40, 80])  # percent
    np.testing.assert_array_equal(modes.lines[1].get_ydata(), [0, 5, 8])
    assert modes.get_ylim()[1] > 8 and kl.get_ylim()[0] == 0
    # no high-quality sample at step 0: its KL is undefined and left as a gap, not drawn as a score
    np.testing.assert_array_equal(kl.lines[1].get_ydata(), [np.nan, 0.3, 0.05])
    fig.savefig(tmp_path / "metrics.png", dpi=80)
    assert_drawn(tmp_path / "metrics.png", plt)
    with pytest.raises(ValueError, match="lack"):
        viz.draw_mode_metrics({"gan": {"step": [0]}})
