"""run_mixture: the players a preset builds, seeded runs, the metric curves, the callback; the
presets, the published protocol and its table (benchmarks/mode_collapse.py); and (slow) the
collapse demo's seed counts."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigan
import minigan.gan as gan
import minigan.nn as nn
from minigan.data import ring
from minigan.gan.experiment import mixture_dataset, run_mixture
from minigan.gan.methods import METHODS
from minigan.gan.presets import COLLAPSE_DEMO, PRESETS, REMEDY_DEMO, get_preset, method_and_preset

ROOT = Path(__file__).resolve().parents[1]

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
    assert set(PRESETS) == {"paper", "classroom", "published"}
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


# -- the published protocol ----------------------------------------------------------------------
# (method, Adam's (G lr, D lr, betas), batch size, options) as the sources in methods.py give them
CITED = [
    ("gan", (1e-4, 1e-4, (0.8, 0.999)), 100, {"loss": "non_saturating"}),  # PacGAN config.py
    ("pacgan4", (1e-4, 1e-4, (0.8, 0.999)), 100, {"pack": 4}),      # same, 100 packs
    ("wgan_gp", (1e-4, 1e-4, (0.5, 0.9)), 256, {"penalty_weight": 0.1, "n_critic": 5}),  # gan_toy
    ("wgan", (5e-5, 5e-5, (0.0, 0.9)), 256, {"clip": 0.01, "n_critic": 5}),  # its 'wgan' mode
    ("unrolled", (1e-3, 1e-4, (0.5, 0.999)), 512,  # the ring demo
     {"steps": 5, "lr": 0.05, "optimizer": "adam", "loss": "saturating"}),
    ("sngan", (2e-4, 2e-4, (0.5, 0.999)), 64, {}),                 # SN-GAN's setting C
    ("lsgan", (1e-4, 1e-4, (0.8, 0.999)), 100, {}),                # no 2D setting: the GAN's
]


@pytest.mark.parametrize("name, adam, batch_size, options", CITED)
def test_the_published_preset_gives_each_method_its_cited_settings(name, adam, batch_size,
                                                                    options):
    method, preset = method_and_preset(name, "published")
    assert (preset.g_lr, preset.d_lr, preset.betas) == adam
    assert preset.batch_size == batch_size and method.options() == options
    assert get_preset("published", method=name) == preset
    # what every method shares
    assert (preset.g_hidden, preset.d_hidden) == ((128,) * 3, (128,) * 3)
    assert (preset.g_activation, preset.d_activation) == ("relu", "relu")
    assert (preset.steps, preset.lr_decay, preset.noise_dim) == (7500, 0.0, 2)


def test_every_method_resolves_under_the_published_preset_and_options_override():
    for name in METHODS:
        method, preset = method_and_preset(name, "published")
        assert method.name == name and preset.steps == PRESETS["published"].steps
    # an option given overrides the published one; a ready-made Method is taken as it is
    assert method_and_preset("wgan_gp", "published", penalty_weight=10.0)[0].penalty_weight == 10
    ready = gan.make_method("wgan_gp", n_critic=2)
    method, preset = method_and_preset(ready, "published")
    assert method is ready and preset.betas == (0.5, 0.9)
    # the method is needed only by the published preset; the others ignore it
    assert get_preset("published") == get_preset("published", method="gan")
    assert method_and_preset("wgan_gp", "classroom")[1] == PRESETS["classroom"]
    assert method_and_preset("wgan_gp", "classroom")[0].penalty_weight == 10


def test_run_mixture_applies_the_published_settings():
    result = run_mixture("ring", "wgan_gp", preset="published", steps=1, progress=False)
    config, opt_D = result.trainer.config, result.trainer.opt_D
    assert config["k"] == 5 and config["batch_size"] == 256
    assert result.method.penalty_weight == 0.1
    assert [(g["lr"], g["betas"]) for g in opt_D.param_groups] == [(1e-4, (0.5, 0.9))]
    assert [layer.out_features for layer in result.G.net if isinstance(layer, nn.Linear)] == \
        [128, 128, 128, 2]


def _mode_collapse(tmp_path, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "mode_collapse.py"), "--quick", "--jobs",
         "1", "--seeds", "1", "--steps", "2", "--datasets", "ring", "--out", str(tmp_path),
         *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def test_the_published_table_runs_resumes_and_shows_the_papers_numbers(tmp_path):
    out = _mode_collapse(tmp_path, "--protocol", "published", "--methods", "gan", "wgan_gp")
    assert "2 runs to do (0 already in" in out
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text()
               .splitlines()]
    assert [(r["protocol"], r["method"], r["seed"], r["steps"]) for r in records] == \
        [("published", "gan", 0, 2), ("published", "wgan_gp", 0, 2)]
    table = (tmp_path / "table.md").read_text()
    assert "| ring: paper | setting as run |" in table and "*6.3 / 98.2 / 0.45*" in table
    assert "wgan_gp(penalty_weight=0.1, n_critic=5); Adam G 1e-4, D 1e-4, betas (0.5, 0.9), " \
        "batch 256" in table
    # again, with one more method: only that one runs; a classroom run of gan is another job
    out = _mode_collapse(tmp_path, "--protocol", "published", "--methods", "gan", "wgan_gp",
                         "sngan")
    assert "1 runs to do (2 already in" in out
    out = _mode_collapse(tmp_path, "--methods", "gan")
    assert "1 runs to do (0 already in" in out and "| *PacGAN paper: GAN* |" in out
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4
    # a record written before the protocols, without "protocol", counts as a classroom run
    legacy = json.loads(lines[-1])
    del legacy["protocol"]
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "results.jsonl").write_text(json.dumps(legacy) + "\n")
    assert "0 runs to do (1 already in" in _mode_collapse(tmp_path / "old", "--methods", "gan")
    # --table-only runs nothing and says how many seeds a cell has
    out = _mode_collapse(tmp_path, "--protocol", "published", "--methods", "gan", "sngan",
                         "--seeds", "3", "--table-only")
    assert "runs to do" not in out and "(n=1) |" in out
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 4


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


def test_a_diverged_run_is_recorded_and_kept_out_of_the_means(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import mode_collapse

    def diverge(*args, **kwargs):
        raise gan.TrainingDivergedError("diverged", step=12, evidence="G's gradient grew")

    monkeypatch.setattr(mode_collapse, "run_mixture", diverge)
    record = mode_collapse.one_run(("published", "unrolled", "ring", 0, 50))
    assert (record["diverged_at"], record["evidence"]) == (12, "G's gradient grew")
    assert "modes" not in record and record["options"] == (
        "unrolled(steps=5, lr=0.05, optimizer='adam', loss='saturating')")
    assert "diverged at step 12" in mode_collapse._describe(record)
    fine = {**record, "seed": 1, "modes": 8, "num_modes": 8, "high_quality": 0.5,
            "reverse_kl": 0.1}
    del fine["diverged_at"]
    table = mode_collapse.table([record, fine], ["unrolled"], ["ring"], 50, 2, "published")
    assert "| unrolled | 8.0 ± 0.0 (n=1) (1 diverged) | 50.0 ± 0.0 |" in table
    alone = mode_collapse.table([record], ["unrolled"], ["ring"], 50, 2, "published")
    assert "| unrolled | diverged (1/1 runs) | – |" in alone
