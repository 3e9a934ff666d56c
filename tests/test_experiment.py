"""run_mixture: the players a preset builds, seeded runs, the metric curves, the callback; the
presets; and (slow) the collapse demo's seed counts."""

import time

import numpy as np
import pytest

import minigan
import minigan.gan as gan
import minigan.nn as nn
from minigan.data import ring
from minigan.gan.experiment import mixture_dataset, run_mixture
from minigan.gan.presets import COLLAPSE_DEMO, PRESETS, REMEDY_DEMO, get_preset

TINY = get_preset("classroom", g_hidden=(8,), d_hidden=(8,), batch_size=12, steps=6,
                  eval_every=3)


def _weights(module):
    return [p.detach().numpy().copy() for p in module.parameters()]


def test_a_run_returns_players_history_curves_and_final_metrics():
    seen = []
    result = run_mixture("ring", "gan", seed=1, preset=TINY, progress=False,
                         callback=lambda trainer, metrics: seen.append((trainer.step, metrics)))
    assert isinstance(result, gan.MixtureResult)
    assert result.trainer.step == 6 and len(result.history["d_loss"]) == 6
    assert result.curves["step"] == [0, 3, 6]  # before training, then every eval_every
    assert set(result.curves) == {"step", "modes_captured", "high_quality", "reverse_kl"}
    assert [step for step, _ in seen] == [0, 3, 6]
    assert seen[-1][1] is result.metrics and result.metrics.num_samples == 2500
    assert result.curves["reverse_kl"][-1] == result.metrics.reverse_kl
    assert result.mixture.num_modes == 8 and result.seconds > 0
    assert run_mixture("ring", "gan", seed=1, preset=TINY, steps=4, eval_every=3,
                       progress=False).curves["step"] == [0, 3, 4]


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    runs = [run_mixture("grid", "wgan_gp", seed=s, preset=TINY, steps=2, progress=False,
                        n_critic=2) for s in (4, 4, 5)]
    assert runs[0].history == runs[1].history and runs[0].curves == runs[1].curves
    for a, b in zip(_weights(runs[0].G), _weights(runs[1].G)):
        np.testing.assert_array_equal(a, b)
    assert runs[0].history["d_loss"] != runs[2].history["d_loss"]
    assert runs[0].method.d_steps == 2 and runs[0].mixture.num_modes == 25


def test_learning_rates_decay_linearly_over_the_end_of_the_run():
    preset = get_preset(TINY, lr_decay=0.5, g_lr=1e-3, d_lr=2e-3, eval_every=1)
    seen = []
    run_mixture(preset=preset, progress=False, callback=lambda trainer, metrics: seen.append(
        (trainer.opt_G.param_groups[0]["lr"], trainer.opt_D.param_groups[0]["lr"])))
    # the rates for steps 1..6 are seen after steps 0..5: constant, then 3/4, 2/4, 1/4
    factors = [1, 1, 1, 0.75, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(seen, [(1e-3 * f, 2e-3 * f) for f in factors], rtol=1e-12)


def test_the_method_shapes_the_discriminator_and_the_batch():
    result = run_mixture(method="pacgan3", preset=TINY, steps=1, progress=False)
    assert result.D.net[0].in_features == 6
    assert result.trainer.config["batch_size"] == 36  # batch_size packs of 3 samples
    assert "pacgan3" in result.trainer.config["method"]


def test_the_paper_preset_builds_pacgans_players():
    preset = get_preset("paper", steps=2, eval_every=2)
    result = run_mixture(preset=preset, progress=False)
    kinds = [type(layer).__name__ for layer in result.G.net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU"] * 4 + ["Linear"]
    assert [layer.out_features for layer in result.G.net if isinstance(layer, nn.Linear)] == \
        [400] * 4 + [2]
    maxouts = [layer for layer in result.D.net if isinstance(layer, nn.Maxout)]
    assert [(m.out_features, m.pieces) for m in maxouts] == [(200, 5)] * 3
    assert result.G.noise_dim == 2 and result.trainer.config["batch_size"] == 100
    assert result.trainer.opt_D.param_groups[0]["betas"] == (0.8, 0.999)


def test_init_std_draws_normal_weights_and_zero_biases():
    G, D = gan.experiment.build_players(get_preset("paper"), gan.make_method("gan"), 2,
                                        minigan.Generator(0))
    weights = np.concatenate([m.weight.detach().numpy().ravel() for m in D.modules()
                              if isinstance(m, nn.Maxout)])
    assert abs(weights.std() - 0.02) < 0.001 and abs(weights.mean()) < 0.001
    assert all(not m.bias.detach().numpy().any() for m in D.modules()
               if isinstance(m, (nn.Maxout, nn.Linear)))


def test_presets_and_datasets_by_name():
    assert set(PRESETS) == {"paper", "classroom"}
    assert get_preset("paper", steps=10).steps == 10 and PRESETS["paper"].steps == 400_000
    assert mixture_dataset("grid").num_modes == 25
    custom = ring(num_modes=3)
    assert mixture_dataset(custom) is custom
    with pytest.raises(ValueError, match="unknown preset 'fast'; expected one of 'paper'"):
        get_preset("fast")
    with pytest.raises(ValueError, match="unknown field.*lr"):
        get_preset("paper", lr=1.0)
    with pytest.raises(ValueError, match="unknown dataset 'spiral'"):
        run_mixture("spiral")
    with pytest.raises(ValueError, match="unknown method 'vae'"):
        run_mixture(method="vae")
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        run_mixture(preset=TINY, steps=0)


def test_the_demos_differ_in_one_switch():
    assert set(COLLAPSE_DEMO) == set(REMEDY_DEMO)
    differ = {key for key in COLLAPSE_DEMO if COLLAPSE_DEMO[key] != REMEDY_DEMO[key]}
    assert differ == {"method"}


@pytest.mark.slow
@pytest.mark.parametrize("demo, wanted, at_least", [
    (COLLAPSE_DEMO, lambda modes: modes <= 3, 8),
    (REMEDY_DEMO, lambda modes: modes == 8, 9),
])
def test_collapse_on_demand_over_ten_seeds(demo, wanted, at_least):
    """The documented demo: the GAN ends on at most 3 of the 8 modes for at least 8 of 10
    seeds; the one-switch remedy finds all 8 for at least 9 of 10."""
    modes, seconds = [], []
    for seed in range(10):
        start = time.perf_counter()
        modes.append(run_mixture(**demo, seed=seed, progress=False).metrics.modes_captured)
        seconds.append(time.perf_counter() - start)
    print(f"{demo['method']}: modes {modes}, {np.mean(seconds):.1f} s per run")
    assert sum(wanted(m) for m in modes) >= at_least, modes
