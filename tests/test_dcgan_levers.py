"""The DCGAN's levers of issue 15 (each player's learning rate, one-sided label smoothing,
spectral norm in D, the EMA's batch-norm statistics), the judge protocol of tutorial 11 in one
function, and the benchmark that measures the levers.

The runs are the tiny ones of ``test_dcgan_cli.py`` (16 x 16 images, ngf = ndf = 8, the 256
digits of --quick in batches of 128)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_dcgan_cli import OLD, OLD_FLAGS, TINY, assert_same_state, train

import minigan
from minigan import nn
from minigan.cli import train_dcgan as dcgan
from minigan.gan import dcgan_training, evaluation
from minigan.gan.dcgan import DCGANDiscriminator
from minigan.gan.methods import LabelSmoothing
from minigan.optim.swa_utils import update_bn

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
SMALL = dict(quick=True, image_size=16, ngf=8, ndf=8, batch_size=128)
LEVERS = ["--lr_d", "4e-4", "--lr_g", "1e-4", "--real_label", "0.9", "--spectral_norm",
          "--ema", "0.9"]


def test_each_player_gets_its_own_learning_rate_and_lr_is_the_default():
    run = dcgan_training.DCGANRun(**SMALL, lr=3e-4, lr_d=5e-4)
    lr = {name: opt.param_groups[0]["lr"]
          for name, opt in (("G", run.trainer.opt_G), ("D", run.trainer.opt_D))}
    assert lr == {"G": 3e-4, "D": 5e-4}
    run = dcgan_training.DCGANRun(**SMALL, lr=3e-4, lr_g=1e-4)
    assert (run.trainer.opt_G.param_groups[0]["lr"], run.trainer.opt_D.param_groups[0]["lr"]) \
        == (1e-4, 3e-4)
    args = dcgan.parse_args(["--lr_d", "4e-4", "--lr_g", "1e-4"])
    assert (args.lr_d, args.lr_g) == (4e-4, 1e-4)
    assert dcgan.build_run(dcgan.parse_args([*TINY, "--lr_g", "1e-4"])).settings["lr_g"] == 1e-4


def test_real_label_below_one_plays_one_sided_label_smoothing():
    plain = dcgan_training.DCGANRun(**SMALL)
    assert plain.trainer.config["method"] == "gan(loss='non_saturating')"
    run = dcgan_training.DCGANRun(**SMALL, real_label=0.9)
    assert isinstance(run.trainer.method, LabelSmoothing) and run.trainer.method.real_label == 0.9
    # D's loss is BCE(D(x), 0.9) + BCE(D(G(z)), 0), fake targets untouched.
    real, fake = minigan.tensor([0.3, -1.2]), minigan.tensor([0.5, 2.0])
    sig = 1 / (1 + np.exp(-np.array([0.3, -1.2])))
    expected = -np.mean(0.9 * np.log(sig) + 0.1 * np.log(1 - sig)) \
        - np.mean(np.log(1 - 1 / (1 + np.exp(-np.array([0.5, 2.0])))))
    assert run.trainer.method.d_loss(real, fake).item() == pytest.approx(expected, rel=1e-5)


def test_spectral_norm_wraps_every_convolution_of_d_and_keeps_the_batch_norms():
    gen = minigan.Generator(0)
    D = DCGANDiscriminator(8, 1, 32, spectral_norm=True, generator=gen)
    convs = [m for m in D.main if isinstance(m, nn.utils.SpectralNorm)]
    assert len(convs) == 4 and all(isinstance(m.module, nn.Conv2d) for m in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in D.main) == 2
    assert "spectral_norm=True" in repr(D)
    # Same initial weights as the plain D of the same seed (the wrap comes after the init).
    plain = DCGANDiscriminator(8, 1, 32, generator=minigan.Generator(0))
    np.testing.assert_array_equal(convs[0].module.weight.numpy(), plain.main[0].weight.numpy())
    # In training, the power iteration makes each normalised weight's top singular value 1.
    x = minigan.randn(4, 1, 32, 32, generator=gen)
    for _ in range(30):
        D(x)
    for m in convs:
        w = m.normalized_weight().numpy()
        assert np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0] == \
            pytest.approx(1.0, abs=2e-3)
    run = dcgan.build_run(dcgan.parse_args([*TINY, "--spectral_norm"]))
    assert any(isinstance(m, nn.utils.SpectralNorm) for m in run.D.main)


@pytest.mark.parametrize("conditional", [False, True])
def test_the_ema_grids_and_checkpoint_use_batch_norm_statistics_of_the_averaged_weights(
        tmp_path, conditional):
    flags = ["--conditional"] if conditional else []
    state = train(tmp_path, "--epochs", "1", "--ema", "0.9", *flags)
    run = dcgan_training.DCGANRun(**SMALL, ema=0.9, conditional=conditional).load_checkpoint(
        tmp_path / "checkpoint.npz")
    saved = {k: v.numpy().copy() for k, v in run.G_ema.state_dict().items()}
    # The statistics saved are those of the average's own batch norm on the fixed noise batches
    # of Generator(seed + 3) (with the classes 0..9 in turn), recomputed here in the same way.
    gen, labels = minigan.Generator(run.settings["seed"] + 3), np.arange(128) % 10
    noise = [minigan.gan.sample_noise(128, (100,), "normal", gen)
             for _ in range(dcgan_training.BN_BATCHES)]
    update_bn([(z, labels) for z in noise] if conditional else noise, run.G_ema)
    for key, value in run.G_ema.state_dict().items():
        np.testing.assert_allclose(value.numpy(), saved[key], rtol=1e-6, err_msg=key)
    mean = state["averaged_G"]["module.main.1.running_mean"].numpy()
    g_mean = state["G"]["main.1.running_mean"].numpy()
    assert not np.allclose(mean, g_mean)  # G's own statistics would be the wrong ones
    # recompute_ema_bn is idempotent: the same noise every time.
    run.recompute_ema_bn()
    for key, value in run.G_ema.state_dict().items():
        np.testing.assert_allclose(value.numpy(), saved[key], rtol=1e-6, err_msg=key)
    assert dcgan_training.DCGANRun(**SMALL).recompute_ema_bn() is None  # no average: nothing


def test_every_lever_at_once_resumes_bit_for_bit(tmp_path):
    straight = train(tmp_path / "straight", "--epochs", "2", *LEVERS)
    train(tmp_path / "split", "--epochs", "1", *LEVERS)
    resumed = train(tmp_path / "split", "--epochs", "2", "--resume", *LEVERS)
    for key in ("G", "D", "opt_G", "opt_D", "averaged_G", "history"):
        assert_same_state(straight[key], resumed[key])
    assert straight["rng"] == resumed["rng"]
    assert straight["attached"]["run"]["settings"] == {
        **resumed["attached"]["run"]["settings"]}
    settings = straight["attached"]["run"]["settings"]
    assert (settings["lr_d"], settings["lr_g"], settings["real_label"], settings["spectral_norm"],
            settings["ema"]) == (4e-4, 1e-4, 0.9, True, 0.9)


@pytest.mark.parametrize("flag, differ", [
    (["--lr_d", "1e-3"], "lr_d 0.0004 there, 0.001 here"),
    (["--lr_g", "2e-4"], "lr_g 0.0001 there, 0.0002 here"),
    (["--real_label", "1"], "real_label 0.9 there, 1.0 here"),
])
def test_resume_refuses_other_levers(tmp_path, capsys, flag, differ):
    train(tmp_path, "--epochs", "1", "--lr_d", "4e-4", "--lr_g", "1e-4", "--real_label", "0.9")
    args = ["--lr_d", "4e-4", "--lr_g", "1e-4", "--real_label", "0.9"]
    args[args.index(flag[0]) + 1] = flag[1]
    assert dcgan.main([*TINY, "--out", str(tmp_path), "--epochs", "2", "--resume", *args]) == 1
    assert differ in capsys.readouterr().err


def test_resume_refuses_spectral_norm_added_or_dropped(tmp_path, capsys):
    train(tmp_path, "--epochs", "1")
    assert dcgan.main([*TINY, "--out", str(tmp_path), "--epochs", "2", "--resume",
                       "--spectral_norm"]) == 1
    assert "spectral_norm False there, True here" in capsys.readouterr().err


def test_a_checkpoint_from_before_the_levers_counts_as_trained_without_them():
    run = dcgan.build_run(dcgan.parse_args([*OLD_FLAGS, "--out", "unused"]))
    run.load_checkpoint(OLD / "checkpoint_epoch1.npz")  # no lr_d... in its settings: accepted
    for flags, differ in ((["--lr_d", "1e-3"], "lr_d None there, 0.001 here"),
                          (["--real_label", "0.9"], "real_label 1.0 there, 0.9 here")):
        other = dcgan.build_run(dcgan.parse_args([*OLD_FLAGS, "--out", "unused", *flags]))
        with pytest.raises(ValueError, match=differ):
            other.load_checkpoint(OLD / "checkpoint_epoch1.npz")


@pytest.mark.parametrize("options, message", [
    ({"real_label": 1.5}, "DCGANRun: real_label must be a number in (0, 1], got 1.5"),
    ({"ema": 1.0}, "DCGANRun: ema must be a number in [0, 1), got 1.0"),
    ({"lr_d": -1e-4}, "DCGANRun: lr_d must be"),
    ({"lr_g": 0}, "DCGANRun: lr_g must be"),
])
def test_bad_lever_options_of_the_run_are_named(options, message):
    with pytest.raises(ValueError) as error:
        dcgan_training.DCGANRun(**SMALL, **options)
    assert message in str(error.value)


# -- the judge protocol ---------------------------------------------------------------------------
def test_judge_generators_is_tutorial_11s_protocol_in_one_call():
    gen = minigan.Generator(3)
    G = minigan.gan.DCGANGenerator(nz=10, ngf=8, nc=1, image_size=32, generator=gen)
    first = evaluation.judge_generators({"G": G, "again": G}, 50, judge_epochs=1,
                                        judge_digits=100, nz=10)
    judge, real_a, real_b = first["judge"], first["real_a"], first["real_b"]
    assert real_a.shape == real_b.shape == (50, 1, 32, 32) and len(first["test"]) >= 100
    # A and B are disjoint halves of digits of the GAN's training split.
    a, b = (x.numpy().reshape(50, -1) for x in (real_a, real_b))
    assert not (a[:, None] == b[None]).all(axis=2).any()
    # G's digits come from Generator(7)'s noise, in eval mode, and are judged against B.
    z = minigan.gan.sample_noise(50, (10,), "normal", minigan.Generator(7))
    fake = minigan.gan.generate(G, z)
    g = first["generators"]["G"]
    np.testing.assert_array_equal(g["images"].numpy(), fake.numpy())
    assert g["fid"] == evaluation.classifier_fid(judge, fake, real_b)
    again = first["generators"]["again"]  # the same noise for every generator
    assert (again["fid"], again["class_kl"]) == (g["fid"], g["class_kl"])
    coverage = evaluation.class_coverage(evaluation.predict(judge, fake))
    assert (g["class_kl"], g["classes_present"]) == (coverage["kl_to_uniform"],
                                                     coverage["classes_present"])
    assert first["fid_floor"] == evaluation.classifier_fid(judge, real_a, real_b)
    assert first["fid_floor"] < first["fid_noise"]
    # A judge given back is used as it is: same numbers, no training.
    second = evaluation.judge_generators({"G": G}, 50, judge=judge, nz=10, judge_epochs=0)
    assert second["generators"]["G"]["fid"] == g["fid"] and second["judge"] is judge


def test_judge_generators_names_bad_arguments():
    with pytest.raises(ValueError, match="judge_generators: n must be an int >= 2, got 1"):
        evaluation.judge_generators({}, 1)
    with pytest.raises(TypeError, match="generators must be a dict name -> generator"):
        evaluation.judge_generators([None], 10)
    with pytest.raises(ValueError, match="judge_digits must be an int >= 1, got 0"):
        evaluation.judge_generators({}, 10, judge_digits=0)
    with pytest.raises(ValueError, match="judge_digits = 10000000 is more than the 12000 held"):
        evaluation.judge_generators({}, 10, judge_digits=10_000_000)
    with pytest.raises(ValueError, match="n = 30000 needs 2 n <= 48000"):
        evaluation.judge_generators({}, 30_000)


# -- the benchmark -------------------------------------------------------------------------------
@pytest.mark.slow
def test_dcgan_levers_quick_judges_each_lever_and_resumes(tmp_path):
    script = ROOT / "benchmarks" / "dcgan_levers.py"
    command = [sys.executable, str(script), "--quick", "--levers", "baseline", "g_faster",
               "--out", str(tmp_path)]
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    records = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [(r["lever"], r["seed"]) for r in records] == [("baseline", 0), ("g_faster", 0)]
    assert records[1]["settings"]["lr_g"] == 4e-4 and records[0]["settings"]["lr_g"] is None
    assert all(r["G"]["fid"] > 0 and r["G_ema"]["fid"] > 0 for r in records)
    assert (tmp_path / "judge.npz").exists()
    assert (tmp_path / "baseline_seed0" / "G_ema.png").exists()
    table = (tmp_path / "table.md").read_text()
    assert "| baseline: the former README run | 0 | 1 |" in table and "| g_faster:" in table
    # Run again: nothing is retrained or re-judged, the table is the same.
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0 and (tmp_path / "table.md").read_text() == table
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 2
