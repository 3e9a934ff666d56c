"""The training command ``python -m minigan dcgan``: its flags, what it writes, exact resume,
and checkpoints of its older format.

Tiny configurations (16 x 16 images, ngf = ndf = 8, the 256 digits of --quick in batches of
128) keep each run to about a second."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigan
from minigan.cli import train_dcgan as dcgan
from minigan.gan import dcgan_training

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--quick", "--image_size", "16", "--ngf", "8", "--ndf", "8", "--batch_size", "128",
        "--no_progress"]


def train(out, *flags):
    assert dcgan.main([*TINY, "--out", str(out), *flags]) == 0
    return minigan.load(out / "checkpoint.npz")


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            assert_same_state(a[key], b[key])
        elif isinstance(a[key], minigan.Tensor) or isinstance(a[key], np.ndarray):
            x, y = (v.numpy() if isinstance(v, minigan.Tensor) else v for v in (a[key], b[key]))
            np.testing.assert_array_equal(x, y, err_msg=key)
        else:
            assert a[key] == b[key], key


def test_a_quick_run_writes_grids_curves_metrics_and_a_checkpoint(tmp_path, capsys):
    state = train(tmp_path, "--epochs", "2")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["checkpoint.npz", "loss_curves.png", "metrics.csv", "metrics.json",
                     "samples_epoch_001.png", "samples_epoch_002.png"]
    assert state["epoch"] == 2
    summary = json.loads((tmp_path / "metrics.json").read_text())
    steps = summary["steps_per_epoch"]
    quick = dcgan_training.QUICK_DIGITS
    assert summary["training_digits"] == quick and steps == quick // 128
    assert [e["epoch"] for e in summary["epochs"]] == [1, 2]
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * steps and [int(r["step"]) for r in rows] == list(range(1, 5))
    # The epoch means in the JSON are the means of the CSV's rows of that epoch.
    first = [float(r["d_loss"]) for r in rows if r["epoch"] == "1"]
    assert summary["epochs"][0]["d_loss"] == pytest.approx(np.mean(first))
    assert all(0 < float(r["d_real"]) < 1 and 0 < float(r["d_fake"]) < 1 for r in rows)
    # An 8 x 8 grid of 16-pixel images with 1-pixel borders, each pixel drawn 2 x 2.
    import matplotlib.pyplot as plt
    grid = plt.imread(tmp_path / "samples_epoch_002.png")
    assert grid.shape[:2] == (2 * (8 * 17 + 1),) * 2
    assert "done: 2 epochs" in capsys.readouterr().out


def test_resume_after_epoch_one_gives_the_uninterrupted_run(tmp_path):
    straight = train(tmp_path / "straight", "--epochs", "2")
    train(tmp_path / "split", "--epochs", "1")
    resumed = train(tmp_path / "split", "--epochs", "2", "--resume")
    assert_same_state(straight["G"], resumed["G"])
    assert_same_state(straight["D"], resumed["D"])
    assert_same_state(straight["opt_G"], resumed["opt_G"])
    assert_same_state(straight["history"], resumed["history"])
    assert straight["rng"] == resumed["rng"]
    # The resumed run's per-epoch summary continues the interrupted one's.
    summary = json.loads((tmp_path / "split" / "metrics.json").read_text())
    assert [e["epoch"] for e in summary["epochs"]] == [1, 2]


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path, capsys):
    train(tmp_path, "--epochs", "1")
    code = dcgan.main([*TINY, "--out", str(tmp_path), "--epochs", "2", "--resume",
                       "--lr", "1e-3"])
    assert code == 1
    assert "--resume: the checkpoint was written by a run with other settings: lr 0.0002 " \
        "there, 0.001 here" in capsys.readouterr().err


def test_ema_keeps_an_average_of_g_that_draws_the_grids_and_resumes_exactly(tmp_path):
    straight = train(tmp_path / "straight", "--epochs", "2", "--ema", "0.9")
    plain = train(tmp_path / "plain", "--epochs", "2")
    assert_same_state(straight["G"], plain["G"])  # the average only looks: G trains the same
    assert straight["averaged_G"]["n_averaged"].item() == straight["step"]
    averaged, G = straight["averaged_G"]["module.main.0.weight"], straight["G"]["main.0.weight"]
    assert not np.array_equal(averaged.numpy(), G.numpy())
    train(tmp_path / "split", "--epochs", "1", "--ema", "0.9")
    resumed = train(tmp_path / "split", "--epochs", "2", "--ema", "0.9", "--resume")
    assert_same_state(straight["averaged_G"], resumed["averaged_G"])
    run = dcgan_training.DCGANRun(quick=True, image_size=16, ngf=8, ndf=8, batch_size=128,
                                  ema=0.9).load_checkpoint(tmp_path / "split" / "checkpoint.npz")
    expected = minigan.gan.generate(run.G_ema, run.fixed_z)
    np.testing.assert_array_equal(run.samples().numpy(), expected.numpy())


def test_resume_refuses_another_ema(tmp_path, capsys):
    train(tmp_path, "--epochs", "1", "--ema", "0.9")
    code = dcgan.main([*TINY, "--out", str(tmp_path), "--epochs", "2", "--resume"])
    assert code == 1
    assert "ema 0.9 there, None here" in capsys.readouterr().err


def test_a_conditional_run_draws_a_row_per_class(tmp_path):
    state = train(tmp_path, "--epochs", "1", "--conditional")
    assert state["G"]["main.0.weight"].shape[0] == 100 + 10  # z followed by the one-hot class
    import matplotlib.pyplot as plt
    grid = plt.imread(tmp_path / "samples_epoch_001.png")
    assert grid.shape[:2] == (2 * (10 * 17 + 1),) * 2


@pytest.mark.parametrize("flags, message", [
    (["--image_size", "24"], "--image_size must be a power of two >= 16"),
    (["--image_size", "8"], "--image_size must be a power of two >= 16"),
    (["--batch_size", "0"], "--batch_size must be an int >= 1, got 0"),
    (["--epochs", "0"], "--epochs must be an int >= 1, got 0"),
    (["--lr", "-1"], "--lr must be a finite number in (0, inf), got -1.0"),
    (["--lr", "nan"], "--lr must be a finite number in (0, inf), got nan"),
    (["--beta1", "1"], "--beta1 must be a number in [0, 1), got 1.0"),
    (["--seed", "-1"], "--seed must be an int >= 0, got -1"),
    (["--ema", "1"], "--ema must be a number in [0, 1), got 1.0"),
    (["--lr_d", "0"], "--lr_d must be a finite number in (0, inf), got 0.0"),
    (["--lr_g", "inf"], "--lr_g must be a finite number in (0, inf), got inf"),
    (["--real_label", "1.1"], "--real_label must be a number in (0, 1], got 1.1"),
    (["--real_label", "0"], "--real_label must be a number in (0, 1], got 0.0"),
    (["--data", "no/such/folder"], "--data: no folder 'no/such/folder'"),
    (["--device", "tpu"], "--device: device must be 'cpu', 'cuda'"),
    (["--resume", "missing.npz"], "--resume: no checkpoint 'missing.npz'"),
])
def test_bad_flags_exit_with_a_message_naming_the_flag(flags, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        dcgan.parse_args(flags)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_batch_larger_than_the_data_is_a_clear_error(tmp_path, capsys):
    assert dcgan.main([*TINY, "--out", str(tmp_path), "--batch_size", "300"]) == 1
    assert "batch_size 300 is larger than the 256 training digits" in capsys.readouterr().err


def test_quick_defaults_and_the_held_out_split():
    args = dcgan.parse_args(["--quick"])
    assert (args.ngf, args.ndf, args.epochs) == (16, 16, 2)
    args = dcgan.parse_args([])
    assert (args.ngf, args.ndf, args.epochs, args.image_size, args.nz) == (64, 64, 25, 32, 100)
    digits = dcgan_training.training_digits(args.data, args.image_size, args.batch_size)
    counts = minigan.data.load_digits().class_counts()  # MNIST's 60,000 training digits
    kept = counts - np.array([round(0.2 * c) for c in counts])
    assert len(digits) == kept.sum() == 48000
    np.testing.assert_array_equal(digits.class_counts(), kept)


def test_shrink_averages_blocks_of_the_padded_digits():
    images = np.zeros((1, 28, 28), np.uint8)
    images[0, :2, :2] = 200  # lands in the padded 32 x 32 at rows/columns 2..3: block (1, 1)
    small = minigan.data.shrink(minigan.data.Digits(images, np.array([3])), 16)
    assert small.images.shape == (1, 16, 16) and small.labels.tolist() == [3]
    assert small.images[0, 1, 1] == 200 and small.images.sum() == 200


def test_the_package_runs_the_command():
    result = subprocess.run([sys.executable, "-m", "minigan", "dcgan", "--image_size", "20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "usage: python -m minigan dcgan" in result.stderr
    assert "--image_size must be a power of two >= 16" in result.stderr


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"]])
def test_the_package_alone_lists_the_commands(argv, capsys):
    from minigan.__main__ import main

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: python -m minigan COMMAND" in out
    assert "  dcgan  " in out and "  mixture  " in out


def test_an_unknown_command_is_named(capsys):
    from minigan.__main__ import main

    assert main(["gan"]) == 2
    assert "unknown command 'gan'; expected one of dcgan, mixture" in capsys.readouterr().err


# -- checkpoints of the command before it ran on the Trainer --------------------------------------
# tests/data/dcgan_v1 holds what the older command wrote (its own state_dict: keys config,
# epoch, rng, G, D, opt_G, opt_D, history, epochs) for
OLD_FLAGS = ["--quick", "--image_size", "16", "--nz", "8", "--ngf", "4", "--ndf", "4",
             "--batch_size", "128", "--no_progress", "--seed", "7"]
# after one epoch (checkpoint_epoch1.npz), and the metrics.csv of its uninterrupted 2 epochs.
OLD = ROOT / "tests" / "data" / "dcgan_v1"


def test_an_old_checkpoint_is_converted_whole():
    old = minigan.load(OLD / "checkpoint_epoch1.npz")
    assert "step" not in old and set(old) == set(dcgan_training.OLD_CHECKPOINT_KEYS)
    run = dcgan.build_run(dcgan.parse_args([*OLD_FLAGS, "--out", "unused"]))
    run.load_checkpoint(OLD / "checkpoint_epoch1.npz")
    assert run.epoch == 1 and run.trainer.step == len(old["history"]["step"]) == 2
    assert_same_state(old["G"], run.G.state_dict())
    assert_same_state(old["opt_D"], run.trainer.opt_D.state_dict())
    assert run.trainer.rng.get_state() == old["rng"]
    for m in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert run.history[m] == old["history"][m].tolist()
    assert np.isnan(run.history["d_grad_norm"]).all()  # not recorded by the old command
    assert run.epochs == json.loads(old["epochs"])
    # Other settings are refused by name, as with a checkpoint of today's format.
    other = dcgan.build_run(dcgan.parse_args([*OLD_FLAGS, "--out", "unused", "--seed", "8"]))
    with pytest.raises(ValueError, match="other settings: seed 7 there, 8 here"):
        other.load_checkpoint(OLD / "checkpoint_epoch1.npz")


def test_an_old_checkpoint_resumes_to_the_old_uninterrupted_run(tmp_path):
    (tmp_path / "checkpoint.npz").write_bytes((OLD / "checkpoint_epoch1.npz").read_bytes())
    assert dcgan.main([*OLD_FLAGS, "--out", str(tmp_path), "--epochs", "2", "--resume"]) == 0
    with open(tmp_path / "metrics.csv") as f:
        ours = list(csv.DictReader(f))
    with open(OLD / "metrics_epoch2.csv") as f:
        theirs = list(csv.DictReader(f))
    assert [(r["epoch"], r["step"]) for r in ours] == [(r["epoch"], r["step"]) for r in theirs]
    for a, b in zip(ours, theirs):  # epoch 2 computed here: equal up to the BLAS's rounding
        for m in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert float(a[m]) == pytest.approx(float(b[m]), rel=1e-5), (a["step"], m)
    assert minigan.load(tmp_path / "checkpoint.npz")["step"] == 4  # now today's format


def test_an_old_checkpoint_with_a_key_missing_says_which(tmp_path):
    old = minigan.load(OLD / "checkpoint_epoch1.npz")
    del old["opt_G"]
    minigan.save(old, tmp_path / "broken.npz")
    run = dcgan.build_run(dcgan.parse_args([*OLD_FLAGS, "--out", "unused"]))
    with pytest.raises(minigan.serialization.CheckpointError,
                       match=r"is not a checkpoint of the DCGAN of digits.*missing 'opt_G'"):
        run.load_checkpoint(tmp_path / "broken.npz")


def test_image_grid_tiles_scales_and_pads():
    from minigan.viz import image_grid, running_mean
    images = np.stack([np.full((1, 2, 3), v) for v in (-1.0, 0.0, 1.0, 3.0, -5.0)])
    grid = image_grid(images, nrow=2, padding=1, fill=0.2)
    assert grid.shape == (3 * 3 + 1, 2 * 4 + 1)
    # Image i sits at row i // 2, column i % 2; values in [-1, 1] map to [0, 1], clipped.
    for i, expected in enumerate([0.0, 0.5, 1.0, 1.0, 0.0]):
        top, left = 1 + (i // 2) * 3, 1 + (i % 2) * 4
        assert (grid[top:top + 2, left:left + 3] == expected).all()
    assert (grid[7:9, 5:8] == 0.2).all() and (grid[0] == 0.2).all()  # empty cell, border
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        image_grid(np.zeros((2, 2, 4, 4)))
    np.testing.assert_allclose(running_mean([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])
